#!/usr/bin/env bash
# Crossmatch, 1e6 x 1e6 at 1 arcsec, all pairs: our engine (`adql query` on the Parquet files) against STILTS
# tmatch2 and astropy search_around_sky (the peers' own script), in the same run, with wall time, peak memory
# (/usr/bin/time -v) and pair counts; then the kernel's match phase from `cargo bench --bench crossmatch`.
#
# usage: benches/xmatch_peers.sh [DIR] [N] [SCENARIO...]
#   DIR       where the catalogues are (generated there if missing); default target/xmatch-data
#   N         rows per catalogue; default 1e6
#   SCENARIO  counterpart | uniform | dense; default all three
# Environment: PEERS (default ../shared/peers), ADQL (the binary; default target/release/adql, built if
#   missing), SKIP_KERNEL=1 to skip the criterion run.
#
# All tools must print the same pair count (counterpart 1,000,006; uniform 8; dense 241,675 at N = 1e6).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

peers=${PEERS:-../shared/peers}
if [ ! -f "$peers/xmatch_peers.sh" ]; then
    echo "xmatch_peers: skipped, needs the peers' scripts in $peers"
    exit 0
fi
peers=$(cd "$peers" && pwd)
dir=${1:-target/xmatch-data}
n=${2:-1e6}
shift $(( $# > 2 ? 2 : $# ))
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(counterpart uniform dense)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
N=$(python3 -c "print(int(float('$n')))")

adql=${ADQL:-$root/target/release/adql}
if [ ! -x "$adql" ]; then
    echo "== building $adql"
    nice -n 10 cargo build --quiet --release --bin adql
fi

echo "load: $(uptime)"
for scen in "${scenarios[@]}"; do
    case $scen in
        counterpart) a=cpA_$N b=cpB_$N ;;
        uniform) a=uniA_$N b=uniB_$N ;;
        dense) a=denseA_$N b=denseB_$N ;;
        *) echo "unknown scenario $scen"; exit 2 ;;
    esac
    echo
    echo "== $scen, $N x $N, r = 1 arcsec"
    # The peers' script generates the catalogues when missing, then runs STILTS and astropy.
    bash "$peers/xmatch_peers.sh" "$dir" "$N" "$scen"
    query="SELECT COUNT(*) AS pairs FROM a JOIN b ON 1 = CONTAINS(POINT('ICRS', b.ra, b.dec), CIRCLE('ICRS', a.ra, a.dec, 1/3600.0))"
    out=$(mktemp)
    /usr/bin/time -v "$adql" query --format csv --table "a=$dir/$a.parquet" --table "b=$dir/$b.parquet" "$query" >"$out" 2>"$out.time" || {
        cat "$out.time"; exit 1; }
    peak=$(grep 'Maximum resident set size' "$out.time" | awk '{print $NF}')
    # A run of ours is short beside the peers' (one each): take the median of five for the time.
    walls=()
    for _ in 1 2 3 4 5; do
        walls+=("$( { /usr/bin/time -f %e "$adql" query --format csv --table "a=$dir/$a.parquet" \
            --table "b=$dir/$b.parquet" "$query" >/dev/null; } 2>&1 | tail -1)")
    done
    wall=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n 3p)
    echo "adql query (CrossmatchExec): ${wall} s wall (median of ${walls[*]}), ${peak} KB peak RSS, pairs=$(tail -1 "$out")"
    rm -f "$out" "$out.time"
    # Peak memory against the inputs: the Arrow size of both tables (all columns), and the peak heap of
    # the run (heaptrack, when installed), beside the peak RSS above, which also counts the program's
    # own code pages mapped from the binary and what the allocator keeps after freeing.
    arrow=$(python3 -c "import sys, pyarrow.parquet as pq; print(sum(pq.read_table(f).nbytes for f in sys.argv[1:]))" \
        "$dir/$a.parquet" "$dir/$b.parquet" 2>/dev/null || echo 0)
    if command -v heaptrack >/dev/null && [ "$arrow" -gt 0 ]; then
        ht=$(mktemp -d)
        heaptrack -o "$ht/run" "$adql" query --format csv --table "a=$dir/$a.parquet" --table "b=$dir/$b.parquet" "$query" >/dev/null 2>&1
        heap=$(heaptrack_print "$ht/run.zst" 2>/dev/null | sed -n 's/^peak heap memory consumption: //p')
        rm -rf "$ht"
        echo "adql query memory: peak heap ${heap}, inputs' Arrow size $((arrow / 1000000))M"
    fi
    echo "adql query memory: $(python3 benches/peak_memory.py "$adql" query --format csv \
        --table "a=$dir/$a.parquet" --table "b=$dir/$b.parquet" "$query")"
    # The floor any query on these files pays, for comparison: the same binary reading both inputs' ra and
    # dec through the same Parquet reader, without a join (program code, runtime, reader buffers).
    scan="SELECT COUNT(*) AS n FROM (SELECT ra, dec FROM a UNION ALL SELECT ra, dec FROM b) AS s WHERE s.dec > -91"
    echo "adql scan of both inputs, no join: $(python3 benches/peak_memory.py "$adql" query --format csv \
        --table "a=$dir/$a.parquet" --table "b=$dir/$b.parquet" "$scan")"
done

if [ "${SKIP_KERNEL:-0}" != 1 ]; then
    echo
    echo "== kernel match phase (cargo bench --bench crossmatch)"
    ADQL_XMATCH_DATA=$dir nice -n 10 cargo bench --quiet --bench crossmatch -- --test 2>&1 | grep '^crossmatch '
fi
