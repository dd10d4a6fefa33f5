#!/usr/bin/env bash
# The Python package's tests: a virtual environment (made once, at $ADQL_PY_VENV, default
# ~/.cache/adql/venv) with maturin, pyarrow, pandas, astropy, pyvo and pytest; the package built in debug mode
# into it (`maturin develop`, sharing cargo's target directory with the Rust tests); then pytest.
#
#   bash python/test.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${ADQL_PY_VENV:-$HOME/.cache/adql/venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade "maturin>=1.7,<2" "pyarrow>=14" "pandas>=2" "astropy>=5.3" "pyvo>=1.4" "pytest>=7"
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop -q
"$VENV/bin/python" -m pytest -q python/tests "$@"
