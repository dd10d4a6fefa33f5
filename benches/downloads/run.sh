#!/usr/bin/env bash
# The download benchmark of issue 13: 200 files of 1 to 10 MB (written by tests/dachs/products.py) from a
# loopback HTTP server (Python's threading http.server), fetched
#   1. by adql download --from urls.csv --flat --parallel 8,
#   2. by curl --parallel --parallel-max 8 over the same URLs,
# in one hyperfine run (each run into an empty directory; both checked to write the same bytes); then adql's
# peak memory (GNU time) for that job and for 10 files of 100 MB, which must stay flat in the file size.
#
#   bash benches/downloads/run.sh          # results in benches/out/downloads.{md,json}
#
# Needs: curl, hyperfine, python3, /usr/bin/time, a release build of adql (cargo build --release).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
ADQL="${ADQL_BIN:-$REPO/target/release/adql}"
[[ -x "$ADQL" ]] || ADQL="${CARGO_TARGET_DIR:-$REPO/target}/release/adql"
OUT="$REPO/benches/out"
RUNS="${ADQL_BENCH_RUNS:-5}"
PORT="${ADQL_BENCH_PORT:-8791}"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
for tool in curl hyperfine python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done
[[ -x "$ADQL" ]] || { echo "run.sh: build adql first (cargo build --release)" >&2; exit 1; }

python3 "$REPO/tests/dachs/products.py" "$WORK/files" 200 1000000 10000000
python3 "$REPO/tests/dachs/products.py" "$WORK/big" 10 100000000 100000000
(cd "$WORK" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

# The same URLs for both tools.
list() { # DIR -> urls.csv and curl.cfg for the files of DIR
  local dir=$1 name=$2
  echo "access_url" >"$WORK/$name.csv"
  : >"$WORK/$name.cfg"
  for f in $(ls "$WORK/$dir" | sort -V); do
    echo "http://127.0.0.1:$PORT/$dir/$f" >>"$WORK/$name.csv"
    printf 'url = "http://127.0.0.1:%s/%s/%s"\noutput = "%s/curl/%s"\n' "$PORT" "$dir" "$f" "$WORK" "$f" >>"$WORK/$name.cfg"
  done
}
list files urls
list big big
bytes=$(du -sb "$WORK/files" | cut -f1)

hyperfine --runs "$RUNS" --warmup 1 \
  --prepare "rm -rf '$WORK/adql' '$WORK/curl'; mkdir -p '$WORK/curl'" \
  -n "adql download --parallel 8" "'$ADQL' download --from '$WORK/urls.csv' --flat --parallel 8 -o '$WORK/adql'" \
  -n "curl --parallel --parallel-max 8" "curl --parallel --parallel-max 8 -s --fail -K '$WORK/urls.cfg'" \
  --export-json "$OUT/downloads.json" --export-markdown "$OUT/downloads.md"

# Both write the same bytes.
rm -rf "$WORK/adql" "$WORK/curl"; mkdir -p "$WORK/curl"
"$ADQL" download --from "$WORK/urls.csv" --flat --parallel 8 -o "$WORK/adql" 2>/dev/null
curl --parallel --parallel-max 8 -s --fail -K "$WORK/urls.cfg"
diff -r "$WORK/adql" "$WORK/curl" >/dev/null || { echo "run.sh: adql and curl wrote different files" >&2; exit 1; }

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
rm -rf "$WORK/adql"
small_rss=$(rss "$ADQL" download --from "$WORK/urls.csv" --flat --parallel 8 -o "$WORK/adql")
rm -rf "$WORK/adql"
big_rss=$(rss "$ADQL" download --from "$WORK/big.csv" --flat --parallel 8 -o "$WORK/adql")

python3 - "$OUT/downloads.json" "$bytes" "$small_rss" "$big_rss" <<'PY' | tee -a "$OUT/downloads.md"
import json, sys
results = json.load(open(sys.argv[1]))["results"]
bytes_, small, big = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mean = {r["command"]: r["mean"] for r in results}
adql = next(v for k, v in mean.items() if k.startswith("adql"))
curl = next(v for k, v in mean.items() if k.startswith("curl"))
print()
print(f"200 files, {bytes_ / 1e6:.0f} MB: adql {bytes_ / adql / 1e6:.0f} MB/s, curl {bytes_ / curl / 1e6:.0f} MB/s; "
      f"throughput ratio adql/curl = {curl / adql:.2f} (target >= 0.8)")
print(f"adql peak RSS: {small / 1024:.0f} MiB for 200 files of 1-10 MB, {big / 1024:.0f} MiB for 10 files of 100 MB")
PY
