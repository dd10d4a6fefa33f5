#!/usr/bin/env bash
# The Python package's tests: the virtual environment of python/venv.sh (at $ADQL_PY_VENV, default
# ~/.cache/adql/venv) with maturin, pyarrow, pandas, astropy, pyvo and pytest; the package built in debug mode
# into it (`maturin develop`, sharing cargo's target directory with the Rust tests); then pytest.
#
#   bash python/test.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${ADQL_PY_VENV:-$HOME/.cache/adql/venv}"
bash python/venv.sh
VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop -q
"$VENV/bin/python" -m pytest -q python/tests "$@"
