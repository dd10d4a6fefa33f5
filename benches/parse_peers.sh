#!/usr/bin/env bash
# Parse time of the valid lyonetia queries: our parser (benches/parse.rs) against DaCHS's (pyparsing) and
# ADQL-Lib's (JavaCC), one after the other in the same run, then the ratios.
#
# usage: benches/parse_peers.sh [--criterion]
#   --criterion  also run the criterion group (slower); by default only the per-query summary runs.
# Environment: LYONETIA (default ../shared/conformance/lyonetia/src/adql), PEERS (default ../shared/peers),
#   CARGO_TARGET_DIR as usual.
#
# Each tool times the valid queries it accepts itself (the peers' scripts choose), so the sets differ by a few
# queries; the counts are printed beside the figures. The peers report the mean CPU time per query over 5 s of
# repeated passes (ADQL-Lib after a 5 s JIT warm-up); ours reports the median and the mean over queries of
# each query's own time (median of 31 rounds). The ratios compare means with means.
set -euo pipefail
cd "$(dirname "$0")/.."

suite=${LYONETIA:-../shared/conformance/lyonetia/src/adql}
peers=${PEERS:-../shared/peers}
if [ ! -d "$suite" ] || [ ! -d "$peers" ]; then
    echo "parse_peers: skipped, needs the lyonetia suite ($suite) and the peers' scripts ($peers)"
    exit 0
fi
bench_args=(--summary-only)
[ "${1:-}" = "--criterion" ] && bench_args=()

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== adql-syntax (cargo bench --bench parse)"
nice -n 10 cargo bench --quiet --bench parse -- "${bench_args[@]}" | tee "$log/ours"
ours=$(grep '^parse summary:' "$log/ours")
ours_n=$(sed -E 's/^parse summary: ([0-9]+) queries.*/\1/' <<<"$ours")
ours_median=$(sed -E 's/.* median ([0-9.]+) us\/query.*/\1/' <<<"$ours")
ours_mean=$(sed -E 's/.* mean ([0-9.]+) us\/query.*/\1/' <<<"$ours")

echo
echo "== DaCHS ($peers/dachs_parse_bench.py)"
/usr/bin/python3 "$peers/dachs_parse_bench.py" "$suite" | tee "$log/dachs"

echo
echo "== ADQL-Lib ($peers/AdqlLibBench.java, /usr/share/java/adql.jar)"
javac -d "$log" -cp /usr/share/java/adql.jar "$peers/AdqlLibBench.java"
java -cp "/usr/share/java/adql.jar:$log" AdqlLibBench "$suite" | tee "$log/adqllib"

# "<name>: N queries, Q q/s cpu, U us/query ..." -> "N U"
peer() { sed -nE 's/^'"$1"': ([0-9]+) queries, .* ([0-9.]+) us\/query.*/\1 \2/p' "$log/$2"; }
read -r dachs_n dachs_us <<<"$(peer dachs dachs)"
read -r lib_n lib_us <<<"$(peer adqllib adqllib)"

echo
echo "== summary (µs per query; ratio = peer mean / adql-syntax mean)"
awk -v on="$ours_n" -v omed="$ours_median" -v omean="$ours_mean" \
    -v dn="$dachs_n" -v dus="$dachs_us" -v ln="$lib_n" -v lus="$lib_us" 'BEGIN {
    printf "%-12s %8s %12s %12s %10s\n", "parser", "queries", "median µs", "mean µs", "ratio"
    printf "%-12s %8d %12.2f %12.2f %10s\n", "adql-syntax", on, omed, omean, "1"
    printf "%-12s %8d %12s %12.1f %10.0f\n", "DaCHS", dn, "-", dus, dus / omean
    printf "%-12s %8d %12s %12.1f %10.1f\n", "ADQL-Lib", ln, "-", lus, lus / omean
}'
