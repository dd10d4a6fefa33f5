#!/usr/bin/env bash
# The Python package's benchmarks (issue 15), release builds, one hyperfine session each:
#   1. a 1e6-row local query (Parquet in) to a pyarrow Table through `adql` from Python — in a running
#      interpreter (as in a notebook), and as a whole process — against the same query by the command line
#      writing Parquet (target: within 1.2× the command line's time);
#   2. a 1e6-row TAP query against the test DaCHS (`SELECT TOP 1000000 … FROM xmbench.sources`) to a table,
#      through `adql` and through pyvo's `TAPService.search(...).to_table()` (target: adql at least 5×
#      faster), and the same request by curl (the server's own share). Both tools are checked to return the
#      same number of rows.
#
#   bash benches/python/run.sh        # results in benches/out/python.{md,json}
#
# Needs: hyperfine, the virtual environment of python/test.sh ($ADQL_PY_VENV), a running test DaCHS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
VENV="${ADQL_PY_VENV:-$HOME/.cache/adql/venv}"
OUT="$REPO/benches/out"
RUNS="${ADQL_BENCH_RUNS:-5}"
TAP="${ADQL_TEST_TAP_URL:-http://localhost:8080/tap}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "run.sh: hyperfine is needed" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "run.sh: make the environment first (bash python/test.sh)" >&2; exit 1; }
PY="$VENV/bin/python"

(cd "$REPO" && cargo build -q --release --bin adql)
(cd "$REPO" && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" "$VENV/bin/maturin" develop -q --release)
ADQL="$TARGET/release/adql"

# 1e6 rows of a catalogue, as Parquet.
"$PY" - "$WORK/big.parquet" <<'PY'
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(7)
n = 1_000_000
pq.write_table(pa.table({
    "id": np.arange(n, dtype=np.int64),
    "ra": rng.uniform(0, 360, n),
    "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
    "mag": rng.normal(17, 2, n).astype(np.float32),
}), sys.argv[1])
PY
LOCAL="SELECT id, ra, dec, mag, ra * 3600 AS ra_arcsec FROM big WHERE mag < 30"
cat >"$WORK/local.py" <<PY
import adql
e = adql.Engine(user_config=False)
e.register_file("big", "$WORK/big.parquet")
t = e.query("$LOCAL").to_arrow()
assert t.num_rows == 1_000_000, t.num_rows
PY
hyperfine --runs "$RUNS" --warmup 1 --export-json "$OUT/python_local.json" \
  -n "python: adql to pyarrow" "$PY $WORK/local.py" \
  -n "adql query to Parquet" "$ADQL query --no-user-config --table big=$WORK/big.parquet -o $WORK/out.parquet '$LOCAL'"

# In the notebook the interpreter and pyarrow are loaded already: the query and to_arrow() alone.
cat >"$WORK/local_inprocess.py" <<PY
import json, statistics, time
import adql
e = adql.Engine(user_config=False)
e.register_file("big", "$WORK/big.parquet")
e.query("$LOCAL").to_arrow()
times = []
for _ in range(max($RUNS, 5)):
    t0 = time.perf_counter()
    t = e.query("$LOCAL").to_arrow()
    times.append(time.perf_counter() - t0)
    assert t.num_rows == 1_000_000
json.dump({"median": statistics.median(times), "times": times}, open("$OUT/python_local_inprocess.json", "w"))
PY
"$PY" "$WORK/local_inprocess.py"

REMOTE="SELECT TOP 1000000 source_id, ra, dec, phot_g_mean_mag FROM xmbench.sources"
cat >"$WORK/remote_adql.py" <<PY
import adql
e = adql.Engine(services={"d": "$TAP"}, user_config=False, max_remote_rows=0)
t = e.query("${REMOTE/FROM /FROM d.}").to_arrow()
assert t.num_rows == 1_000_000, t.num_rows
PY
cat >"$WORK/remote_pyvo.py" <<PY
import pyvo
t = pyvo.dal.TAPService("$TAP").search("$REMOTE", maxrec=2_000_000).to_table()
assert len(t) == 1_000_000, len(t)
PY
# The server's own share: the same sync request by curl, the answer written to a file.
SYNC="$("$PY" -c 'import sys, urllib.parse; print(sys.argv[1] + "/sync?REQUEST=doQuery&LANG=ADQL&MAXREC=2000000&QUERY=" + urllib.parse.quote(sys.argv[2]))' "$TAP" "$REMOTE")"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$OUT/python_remote.json" \
  -n "python: adql to pyarrow" "$PY $WORK/remote_adql.py" \
  -n "python: pyvo to_table" "$PY $WORK/remote_pyvo.py" \
  -n "curl: the DaCHS answer alone" "curl -s -o $WORK/answer.vot '$SYNC'"

"$PY" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
local = {r["command"]: r for r in json.load(open(f"{out}/python_local.json"))["results"]}
remote = {r["command"]: r for r in json.load(open(f"{out}/python_remote.json"))["results"]}
a, c = local["python: adql to pyarrow"], local["adql query to Parquet"]
inproc = json.load(open(f"{out}/python_local_inprocess.json"))["median"]
p, v = remote["python: adql to pyarrow"], remote["python: pyvo to_table"]
lines = [
    "| measurement | median | mean ± σ |", "| --- | --- | --- |",
    *[f"| {k} (1e6 local rows) | {r['median']:.3f} s | {r['mean']:.3f} s ± {r['stddev']:.3f} |" for k, r in local.items()],
    *[f"| {k} (1e6 TAP rows) | {r['median']:.3f} s | {r['mean']:.3f} s ± {r['stddev']:.3f} |" for k, r in remote.items()],
    "",
    f"local: query + to_arrow() in a running interpreter {inproc:.3f} s; / command line = "
    f"{inproc / c['median']:.2f} (target <= 1.2); a whole python process / command line = "
    f"{a['median'] / c['median']:.2f}",
    f"TAP: pyvo / adql = {v['median'] / p['median']:.2f} (target >= 5); "
    f"the server alone {remote['curl: the DaCHS answer alone']['median']:.3f} s",
]
open(f"{out}/python.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
