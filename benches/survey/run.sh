#!/usr/bin/env bash
# The survey benchmark of issue 19: `adql survey` over 10 services — the test DaCHS's TAP service under 8
# names and its cone search under 2 (tests/dachs/setup.sh) — against each of those services surveyed alone,
# in one hyperfine run (the service descriptions cached by a warm-up, as a second survey finds them).
# Target: the whole survey in less than 1.5× the slowest single service's time.
#
#   bash benches/survey/run.sh          # results in benches/out/survey.{md,json}
#
# Needs: curl, hyperfine, python3, a running test DaCHS, a release build of adql (cargo build --release).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
ADQL="${ADQL_BIN:-$REPO/target/release/adql}"
[[ -x "$ADQL" ]] || ADQL="${CARGO_TARGET_DIR:-$REPO/target}/release/adql"
OUT="$REPO/benches/out"
RUNS="${ADQL_BENCH_RUNS:-10}"
TAP="${ADQL_TEST_TAP_URL:-http://localhost:8080/tap}"
CONE="${TAP%/tap}/archive2/q/cone/scs.xml"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
for tool in curl hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done
[[ -x "$ADQL" ]] || { echo "run.sh: build adql first (cargo build --release)" >&2; exit 1; }
curl -fs -o /dev/null "$TAP/availability" || { echo "run.sh: no DaCHS at $TAP (tests/dachs/setup.sh)" >&2; exit 1; }

SERVICES=()
: >"$WORK/services.toml"
for i in 1 2 3 4 5 6 7 8; do
  printf '[services.tap%s]\nurl = "%s"\n' "$i" "$TAP" >>"$WORK/services.toml"
  SERVICES+=("tap$i")
done
for i in 1 2; do
  printf '[services.cone%s]\nurl = "%s"\nkind = "scs"\n' "$i" "$CONE" >>"$WORK/services.toml"
  SERVICES+=("cone$i")
done
export XDG_CACHE_HOME="$WORK/cache"
POSITION="317.3778 37.072 0.5"
survey() { # NAMES -> the command surveying them
  echo "$ADQL survey --no-user-config --config $WORK/services.toml --only $1 --format csv $POSITION"
}
ALL="$(IFS=,; echo "${SERVICES[*]}")"
# The answer must name all ten services, none failed.
$(survey "$ALL") >"$WORK/all.csv"
python3 - "$WORK/all.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
services = {r["service"] for r in rows}
failed = [r for r in rows if r["error"]]
assert len(services) == 10 and not failed, (services, failed)
print(f"survey of {len(services)} services: {len(rows)} findings, none failed")
PY

args=(--runs "$RUNS" --warmup 2 --export-json "$OUT/survey.json" -n "all 10 services" "$(survey "$ALL")")
for s in "${SERVICES[@]}"; do
  args+=(-n "$s alone" "$(survey "$s")")
done
hyperfine "${args[@]}"

python3 - "$OUT/survey.json" "$OUT/survey.md" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
whole = next(r for r in results if r["command"] == "all 10 services")
singles = [r for r in results if r["command"] != "all 10 services"]
slowest = max(singles, key=lambda r: r["median"])
ratio = whole["median"] / slowest["median"]
lines = [
    "| command | median | mean ± σ |",
    "| --- | --- | --- |",
    *[f"| {r['command']} | {r['median']:.3f} s | {r['mean']:.3f} s ± {r['stddev']:.3f} |" for r in results],
    "",
    f"whole survey / slowest single service ({slowest['command']}): {ratio:.2f} (target < 1.5)",
]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
