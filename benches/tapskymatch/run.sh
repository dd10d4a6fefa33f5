#!/usr/bin/env bash
# The cross-service crossmatch benchmark of issue 6: the 1000 observations of the test archive crossmatched
# (radius 0.01 deg, all pairs) with a one-million-row source table on the same DaCHS, by
#   1. STILTS tapskymatch (observations from a local VOTable, uploaded in blocks, joined by the server),
#   2. adql with the observations as a local table (the same input as tapskymatch),
#   3. adql across two services (observations from service `mast`, sources from service `gaia`),
# timed in the same run with hyperfine (each checked to return the same number of rows), then run once each
# through a counting proxy to report the HTTP requests they send.
#
#   bash benches/tapskymatch/run.sh            # results in benches/out/tapskymatch.{md,json}
#
# Needs: the test DaCHS (setup.sh imports the table), stilts, hyperfine, python3, a release build of adql.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TAP="${ADQL_TEST_TAP_URL:-http://localhost:8080/tap}"
OUT="$REPO/benches/out"
RADIUS="${ADQL_BENCH_RADIUS:-0.01}"
RUNS="${ADQL_BENCH_RUNS:-10}"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

bash "$HERE/setup.sh"
for tool in stilts hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
(cd "$REPO" && cargo build --release --bin adql --quiet)
ADQL="$CARGO_TARGET_DIR/release/adql"

# The observations as a local file, for tapskymatch and the local-table run.
"$ADQL" tap "$TAP" --format votable -o "$WORK/obs.vot" \
  "SELECT obs_id, s_ra, s_dec FROM archive1.obscore"

# A private configuration: the server registered twice, descriptions cached in the work directory.
config() { # config FILE URL
  printf '[cache]\ndir = "%s/cache-%s"\n\n[services.mast]\nurl = "%s"\n\n[services.gaia]\nurl = "%s"\n' \
    "$WORK" "$(basename "$1" .toml)" "$2" "$2" >"$1"
}
config "$WORK/direct.toml" "$TAP"

stilts_cmd() { # stilts_cmd URL OUT
  echo "stilts tapskymatch in=$WORK/obs.vot inlon=s_ra inlat=s_dec tapurl=$1 taptable=xmbench.sources" \
       "taplon=ra taplat=dec sr=$RADIUS find=all blockmaxrec=1000000 out=$2 ofmt=csv"
}
adql_local_cmd() { # adql_local_cmd CONFIG OUT
  echo "$ADQL query --no-user-config --config $1 --table obs=$WORK/obs.vot --format csv -o $2" \
       "\"SELECT o.obs_id, s.source_id, s.ra, s.dec FROM obs AS o JOIN gaia.xmbench.sources AS s" \
       "ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, $RADIUS))\""
}
adql_remote_cmd() { # adql_remote_cmd CONFIG OUT
  echo "$ADQL query --no-user-config --config $1 --format csv -o $2" \
       "\"SELECT o.obs_id, s.source_id, s.ra, s.dec FROM mast.archive1.obscore AS o JOIN gaia.xmbench.sources AS s" \
       "ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, $RADIUS))\""
}

# Same answer from all three (header line aside).
eval "$(stilts_cmd "$TAP" "$WORK/stilts.csv")" 2>/dev/null
eval "$(adql_local_cmd "$WORK/direct.toml" "$WORK/local.csv")"
eval "$(adql_remote_cmd "$WORK/direct.toml" "$WORK/remote.csv")"
rows() { echo $(( $(wc -l <"$1") - 1 )); }
n_stilts=$(rows "$WORK/stilts.csv"); n_local=$(rows "$WORK/local.csv"); n_remote=$(rows "$WORK/remote.csv")
echo "rows: tapskymatch $n_stilts, adql (local observations) $n_local, adql (two services) $n_remote"
if [[ "$n_stilts" != "$n_local" || "$n_stilts" != "$n_remote" ]]; then
  echo "run.sh: the tools disagree on the number of pairs" >&2
  exit 1
fi

# Explain: the strategy the cost model chose.
eval "$(adql_remote_cmd "$WORK/direct.toml" /dev/null | sed 's/ query / explain /; s/--format csv -o \/dev\/null//')" \
  >"$OUT/tapskymatch-explain.txt"

hyperfine --warmup 2 --runs "$RUNS" --export-json "$OUT/tapskymatch.json" --export-markdown "$OUT/tapskymatch.md" \
  -n "stilts tapskymatch" "$(stilts_cmd "$TAP" "$WORK/s.csv") 2>/dev/null" \
  -n "adql, local observations" "$(adql_local_cmd "$WORK/direct.toml" "$WORK/l.csv")" \
  -n "adql, two services" "$(adql_remote_cmd "$WORK/direct.toml" "$WORK/r.csv")"

# HTTP requests, through a counting proxy (a fresh description cache: the first adql run describes both
# services over VOSI, the second finds them cached).
PORT=18080
python3 "$HERE/count_proxy.py" "$PORT" "${TAP%/tap}" "$WORK/requests.log" &
sleep 1
PROXY="http://127.0.0.1:$PORT/tap"
config "$WORK/proxy.toml" "$PROXY"
count() { # count LABEL COMMAND
  : >"$WORK/requests.log"
  local status=ok
  eval "$2" >/dev/null 2>"$WORK/count.err" || status="failed: $(tail -1 "$WORK/count.err")"
  printf '| %s | %s | %s |\n' "$1" "$(wc -l <"$WORK/requests.log")" "$status"
}
{
  echo
  echo "| run | HTTP requests | through the proxy |"
  echo "| --- | --- | --- |"
  count "stilts tapskymatch" "$(stilts_cmd "$PROXY" "$WORK/s.csv")"
  count "adql, local observations, first run (VOSI description)" "$(adql_local_cmd "$WORK/proxy.toml" "$WORK/l.csv")"
  count "adql, local observations, cached description" "$(adql_local_cmd "$WORK/proxy.toml" "$WORK/l.csv")"
  count "adql, two services, cached description" "$(adql_remote_cmd "$WORK/proxy.toml" "$WORK/r.csv")"
  echo
  echo "Pairs found: $n_stilts (radius $RADIUS deg). Machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee -a "$OUT/tapskymatch.md"
