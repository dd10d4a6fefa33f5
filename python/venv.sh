#!/usr/bin/env bash
# The virtual environment of the Python package's tests, and of the real clients (pyvo, astropy, astroquery)
# that the `adql serve` tests run: made once at $ADQL_PY_VENV (default ~/.cache/adql/venv), its packages installed.
#
#   bash python/venv.sh        # then $ADQL_PY_VENV/bin/python has them
set -euo pipefail
VENV="${ADQL_PY_VENV:-$HOME/.cache/adql/venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade "maturin>=1.7,<2" "pyarrow>=14" "pandas>=2" "astropy>=5.3" "pyvo>=1.4" "astroquery>=0.4.7" "pytest>=7"
