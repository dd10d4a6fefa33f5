#!/usr/bin/env bash
# A/B of two adql builds on the 1e6 x 1e6 crossmatch (the files of xmatch_peers.sh), in one hyperfine
# session so that both see the same machine state:
#
#   bash benches/xmatch_ab.sh OLD_ADQL NEW_ADQL DATA_DIR [SCENARIO]     # SCENARIO: cp, uni (default), dense
set -euo pipefail
old="$1" new="$2" dir="$3" scenario="${4:-uni}"
command -v hyperfine >/dev/null || { echo "xmatch_ab.sh: hyperfine is needed" >&2; exit 1; }
query="SELECT COUNT(*) AS pairs FROM a JOIN b ON 1 = CONTAINS(POINT('ICRS', b.ra, b.dec), CIRCLE('ICRS', a.ra, a.dec, 1/3600.0))"
tables="--table a=$dir/${scenario}A_1000000.parquet --table b=$dir/${scenario}B_1000000.parquet"
hyperfine -N --warmup 2 --runs "${RUNS:-15}" \
  -n old "$old query --format csv $tables \"$query\"" \
  -n new "$new query --format csv $tables \"$query\""
