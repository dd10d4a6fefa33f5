#!/usr/bin/env bash
# The cross-service benchmarks of issues 6 and 12: a one-million-row source table on the test DaCHS joined
#   A. with the 1000 observations of the test archive (radius 0.01 deg, all pairs), by
#      1. STILTS tapskymatch (observations from a local VOTable, uploaded in blocks, joined by the server),
#      2. adql with the observations as a local table (the same input as tapskymatch),
#      3. adql across two services (observations from service `mast`, sources from service `gaia`);
#   B. with 100,000 local targets (the same radius), by STILTS tapskymatch and adql;
#   C. with a local list of 10,000 source ids, by equality: adql, and STILTS tapquery uploading the list
#      and joining on the server (what one writes by hand);
# each part timed in one hyperfine run (the tools checked to return the same number of rows), then run
# once each through a counting proxy to report the HTTP requests they send.
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
eval "$(stilts_cmd "$TAP" "$WORK/stilts.csv")" 2>"$WORK/stilts.err" || { tail -20 "$WORK/stilts.err" >&2; exit 1; }
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
  count "adql, two services, first run for mast (VOSI description)" "$(adql_remote_cmd "$WORK/proxy.toml" "$WORK/r.csv")"
  count "adql, two services, cached descriptions" "$(adql_remote_cmd "$WORK/proxy.toml" "$WORK/r.csv")"
  echo
  echo "Pairs found: $n_stilts (radius $RADIUS deg). Machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee -a "$OUT/tapskymatch.md"

# B. 100,000 local targets (60 % near the observations, as the sources are) against the million sources.
python3 - "$WORK/targets.csv" "$REPO/tests/data/obscore.csv" <<'PY'
import csv, math, random, sys
rng = random.Random(20261207)
with open(sys.argv[2], newline="") as f:
    centres = [(float(r["s_ra"]), float(r["s_dec"])) for r in csv.DictReader(f)]
with open(sys.argv[1], "w") as out:
    out.write("target_id,ra,dec\n")
    for i in range(100_000):
        if rng.random() < 0.6:
            ra0, dec0 = rng.choice(centres)
            r, pa = 0.3 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            dec = max(-90.0, min(90.0, dec0 + r * math.cos(pa)))
            ra = (ra0 + r * math.sin(pa) / max(math.cos(math.radians(dec)), 1e-3)) % 360.0
        else:
            ra, dec = rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))
        out.write(f"{i + 1},{ra:.8f},{dec:.8f}\n")
PY
"$ADQL" query --table t="$WORK/targets.csv" --format votable -o "$WORK/targets.vot" "SELECT target_id, ra, dec FROM t"
stilts_targets_cmd() { # stilts_targets_cmd URL OUT
  echo "stilts tapskymatch in=$WORK/targets.vot inlon=ra inlat=dec tapurl=$1 taptable=xmbench.sources" \
       "taplon=ra taplat=dec sr=$RADIUS find=all blockmaxrec=1000000 out=$2 ofmt=csv"
}
adql_targets_cmd() { # adql_targets_cmd CONFIG OUT
  echo "$ADQL query --no-user-config --config $1 --table t=$WORK/targets.vot --format csv -o $2" \
       "\"SELECT t.target_id, s.source_id, s.ra, s.dec FROM t JOIN gaia.xmbench.sources AS s" \
       "ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.ra, t.dec, $RADIUS))\""
}
eval "$(stilts_targets_cmd "$TAP" "$WORK/st.csv")" 2>"$WORK/stilts.err" || { tail -20 "$WORK/stilts.err" >&2; exit 1; }
eval "$(adql_targets_cmd "$WORK/direct.toml" "$WORK/at.csv")"
n_st=$(rows "$WORK/st.csv"); n_at=$(rows "$WORK/at.csv")
echo "rows, 100,000 targets: tapskymatch $n_st, adql $n_at"
[[ "$n_st" == "$n_at" ]] || { echo "run.sh: the tools disagree on the number of pairs" >&2; exit 1; }
hyperfine --warmup 1 --runs "${ADQL_BENCH_RUNS_LARGE:-3}" --export-json "$OUT/tapskymatch-100k.json" \
  --export-markdown "$OUT/tapskymatch-100k.md" \
  -n "stilts tapskymatch, 100,000 targets" "$(stilts_targets_cmd "$TAP" "$WORK/s2.csv") 2>/dev/null" \
  -n "adql, 100,000 local targets" "$(adql_targets_cmd "$WORK/direct.toml" "$WORK/a2.csv")"

# C. 10,000 local source ids (9,000 the table has, 1,000 it has not) joined by equality.
python3 - "$WORK/ids.csv" <<'PY'
import random, sys
rng = random.Random(7)
ids = rng.sample(range(1, 1_000_001), 9_000) + list(range(2_000_001, 2_001_001))
rng.shuffle(ids)
with open(sys.argv[1], "w") as out:
    out.write("source_id\n")
    out.writelines(f"{i}\n" for i in ids)
PY
"$ADQL" query --table i="$WORK/ids.csv" --format votable -o "$WORK/ids.vot" "SELECT CAST(source_id AS BIGINT) AS source_id FROM i"
stilts_ids_cmd() { # stilts_ids_cmd URL OUT
  echo "stilts tapquery tapurl=$1 nupload=1 upload1=$WORK/ids.vot upname1=ids maxrec=1000000 out=$2 ofmt=csv" \
       "adql=\"SELECT i.source_id, s.ra, s.dec FROM TAP_UPLOAD.ids AS i JOIN xmbench.sources AS s ON s.source_id = i.source_id\""
}
adql_ids_cmd() { # adql_ids_cmd CONFIG OUT
  echo "$ADQL query --no-user-config --config $1 --table ids=$WORK/ids.vot --format csv -o $2" \
       "\"SELECT i.source_id, s.ra, s.dec FROM ids AS i JOIN gaia.xmbench.sources AS s ON s.source_id = i.source_id\""
}
eval "$(stilts_ids_cmd "$TAP" "$WORK/si.csv")" 2>"$WORK/stilts.err" || { tail -20 "$WORK/stilts.err" >&2; exit 1; }
eval "$(adql_ids_cmd "$WORK/direct.toml" "$WORK/ai.csv")"
n_si=$(rows "$WORK/si.csv"); n_ai=$(rows "$WORK/ai.csv")
echo "rows, 10,000 ids: stilts tapquery $n_si, adql $n_ai"
[[ "$n_si" == "$n_ai" ]] || { echo "run.sh: the tools disagree on the number of rows" >&2; exit 1; }
eval "$(adql_ids_cmd "$WORK/direct.toml" /dev/null | sed 's/ query / explain /; s/--format csv -o \/dev\/null//')" \
  >"$OUT/tapskymatch-ids-explain.txt"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/tapskymatch-ids.json" \
  --export-markdown "$OUT/tapskymatch-ids.md" \
  -n "stilts tapquery, ids uploaded by hand" "$(stilts_ids_cmd "$TAP" "$WORK/si2.csv") 2>/dev/null" \
  -n "adql, 10,000 local ids" "$(adql_ids_cmd "$WORK/direct.toml" "$WORK/ai2.csv")"

{
  echo
  echo "| run | HTTP requests | through the proxy |"
  echo "| --- | --- | --- |"
  count "stilts tapskymatch, 100,000 targets" "$(stilts_targets_cmd "$PROXY" "$WORK/s.csv")"
  count "adql, 100,000 local targets" "$(adql_targets_cmd "$WORK/proxy.toml" "$WORK/l.csv")"
  count "stilts tapquery, 10,000 ids uploaded" "$(stilts_ids_cmd "$PROXY" "$WORK/s.csv")"
  count "adql, 10,000 local ids" "$(adql_ids_cmd "$WORK/proxy.toml" "$WORK/l.csv")"
} | tee -a "$OUT/tapskymatch.md"
