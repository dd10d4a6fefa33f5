#!/usr/bin/env bash
# Load test of `adql serve` (issue 16): 100 concurrent clients, sync and async mixed, for 120 s, with the server
# killed and restarted halfway; every request must get the right rows and no job may be lost. Needs the DaCHS
# test server (tests/dachs/setup.sh) and the release binary.
#
#   benches/serve/run.sh [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin adql
mkdir -p benches/out
python3 benches/serve/load.py "$target/release/adql" --clients "${1:-100}" --seconds "${2:-120}" \
    --out "benches/out/serve-load-$(date -u +%Y%m%dT%H%M%S).json"
