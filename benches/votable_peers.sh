#!/usr/bin/env bash
# VOTable read speed of votable-arrow against STIL (stilts) and astropy, in the same run, on Gaia-like
# tables made by ../shared/peers/gen_gaialike.py (TABLEDATA and BINARY2), then the ratios; and the peak
# memory of a streamed read of 1e5 and 1e6 rows (it must not grow with the row count).
#
# usage: benches/votable_peers.sh [ROWS] [--criterion]
#   ROWS         rows of the large table (default 1e6); the memory check also reads a 1e5-row table.
#   --criterion  also run `cargo bench --bench votable` (criterion's figures, slower).
# Environment: PEERS (default ../shared/peers), CARGO_TARGET_DIR as usual.
#
# Our figure is examples/vot_count.rs (file → record batches, one core, page cache warm); STIL's is
# `stilts tpipe in=FILE ifmt=votable omode=checksum` (wall time of the JVM run, start-up included, as in
# the reference figures); astropy's is peers/astropy_votable.py (parse_single_table(...).to_table()).
set -euo pipefail
cd "$(dirname "$0")/.."

peers=${PEERS:-../shared/peers}
rows=${1:-1e6}
[ "${rows}" = "--criterion" ] && rows=1e6
if [ ! -f "$peers/gen_gaialike.py" ]; then
    echo "votable_peers: skipped, needs $peers/gen_gaialike.py"
    exit 0
fi
out=benches/out
mkdir -p "$out"
for n in "$rows" 1e5; do
    for fmt in tabledata binary2; do
        f="$out/gaialike_${n}_${fmt}.vot"
        [ -s "$f" ] || { echo "generating $f"; python3 "$peers/gen_gaialike.py" "$n" "$f" "$fmt"; }
    done
done

target=${CARGO_TARGET_DIR:-target}
nice -n 10 cargo build --quiet --release -p votable-arrow --example vot_count
count="$target/release/examples/vot_count"

mbps() { grep -oE '[0-9.]+ MB/s' | tail -1 | cut -d' ' -f1; }
declare -A ours stil astro
for fmt in tabledata binary2; do
    f="$out/gaialike_${rows}_${fmt}.vot"
    size=$(stat -c %s "$f")
    cat "$f" > /dev/null   # warm the page cache for everybody
    echo "== $fmt: $f ($((size / 1000000)) MB)"
    line=$("$count" "$f"); echo "$line"; ours[$fmt]=$(echo "$line" | mbps)
    if command -v stilts > /dev/null; then
        t0=$(date +%s.%N)
        stilts tpipe in="$f" ifmt=votable omode=checksum > /dev/null
        t1=$(date +%s.%N)
        stil[$fmt]=$(python3 -c "print(f'{$size/1e6/($t1-$t0):.1f}')")
        echo "stil ${stil[$fmt]} MB/s"
    fi
    line=$(python3 "$peers/astropy_votable.py" "$f"); echo "$line"; astro[$fmt]=$(echo "$line" | mbps)
done

echo
printf '%-10s %12s %12s %12s %10s %10s\n' format "ours MB/s" "STIL MB/s" "astropy MB/s" "vs STIL" "vs astropy"
for fmt in tabledata binary2; do
    python3 - "$fmt" "${ours[$fmt]}" "${stil[$fmt]:-0}" "${astro[$fmt]}" <<'PY'
import sys
fmt, o, s, a = sys.argv[1], *map(float, sys.argv[2:])
r = lambda x: f"{o / x:.1f}x" if x else "-"
print(f"{fmt:<10} {o:12.1f} {s:12.1f} {a:12.1f} {r(s):>10} {r(a):>10}")
PY
done

echo
echo "== peak memory of a streamed read (batch size 8192)"
for fmt in tabledata binary2; do
    small=$(/usr/bin/time -f %M "$count" "$out/gaialike_1e5_${fmt}.vot" 2>&1 >/dev/null | tail -1)
    large=$(/usr/bin/time -f %M "$count" "$out/gaialike_${rows}_${fmt}.vot" 2>&1 >/dev/null | tail -1)
    echo "$fmt: 1e5 rows ${small} KiB, ${rows} rows ${large} KiB"
    # Streaming: the large file may not need more than the small one, within a few MiB of noise.
    if [ "$large" -gt $((small + 4096)) ]; then
        echo "FAIL: peak memory grows with the row count ($small KiB -> $large KiB)"
        exit 1
    fi
done
echo "peak memory does not grow with the row count: OK"

if [ "${1:-}" = "--criterion" ] || [ "${2:-}" = "--criterion" ]; then
    VOTABLE_BENCH_ROWS=$rows nice -n 10 cargo bench --bench votable
fi
