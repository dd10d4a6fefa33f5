"""Fixtures of the adql package's tests: the DaCHS test server of tests/dachs/setup.sh, the built ``adql``
command line (to compare rows with), and the repository's bundled data."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
TAP = os.environ.get("ADQL_TEST_TAP_URL", "http://localhost:8080/tap")


def _listening(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 80), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def tap() -> str:
    """The DaCHS TAP URL; skips (fails under CI) when it is not running."""
    if not _listening(TAP):
        if os.environ.get("CI"):
            pytest.fail(f"DaCHS is not running at {TAP} (run tests/dachs/setup.sh)")
        pytest.skip(f"DaCHS is not running at {TAP} (run tests/dachs/setup.sh)")
    return TAP


@pytest.fixture(scope="session")
def cli() -> Path:
    """The built ``adql`` binary (``ADQL_BIN``, else the cargo target directory's debug build)."""
    candidates = [os.environ.get("ADQL_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    candidates += [os.path.join(target, "debug", "adql"), shutil.which("adql")]
    for c in candidates:
        if c and os.path.isfile(c):
            return Path(c)
    pytest.skip("the adql binary is not built (cargo build)")


def run_cli(cli: Path, *args: str) -> str:
    out = subprocess.run([str(cli), *args], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.fixture()
def data() -> Path:
    return REPO / "data"
