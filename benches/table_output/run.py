#!/usr/bin/env python3
"""Time to the first row, and peak memory, of `adql query`'s text table (issue 14).

For N in (1e5, 1e6) rows of a generated Parquet file (id, ra, dec, mag, name):

* time to first row on a terminal: `adql query --max-rows 0` runs in a pseudo-terminal (so stdout is a
  terminal, as for a person); the clock stops when the first data row (`| ` followed by a digit) arrives.
  Median of RUNS runs. Target: at most 0.5 s for 1e6 rows.
* peak memory of the whole table written to a pipe (`--format table`, every row, read and discarded):
  peak RSS from /usr/bin/time. Target: flat in the row count (the table streams; before issue 14 it held
  every row: 1.3 GB for 1e6 rows).

    python3 benches/table_output/run.py [ADQL_BINARY]     # results on stdout, as a Markdown table
"""
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time

ADQL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", "target"), "release", "adql")
RUNS = int(os.environ.get("RUNS", "5"))
QUERY = "SELECT id, ra, dec, mag, name FROM t"


def make(path: str, n: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(14)
    table = pa.table({
        "id": np.arange(1, n + 1, dtype=np.int64),
        "ra": rng.uniform(0, 360, n),
        "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
        "mag": rng.uniform(5, 21, n).astype(np.float32),
        "name": pa.array([f"src{i}" for i in range(n)]),
    })
    # Row groups of 65,536 rows: the reader streams too, so the peak is what the output holds.
    pq.write_table(table, path, row_group_size=65_536)


def first_row_seconds(table: str) -> float:
    """Runs adql in a pseudo-terminal; seconds until the first data row is on the screen."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(ADQL, [ADQL, "query", "--max-rows", "0", "--table", f"t={table}", QUERY])
    start = time.perf_counter()
    seen = b""
    first = None
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        if first is None:
            seen += chunk
            for line in seen.split(b"\n"):
                stripped = line.lstrip(b"| ").strip()
                if line.startswith(b"| ") and stripped[:1].isdigit():
                    first = time.perf_counter() - start
                    break
            seen = seen[-4096:]
    os.waitpid(pid, 0)
    return first if first is not None else float("nan")


def peak_rss_mib(table: str) -> float:
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%M", ADQL, "query", "--format", "table", "--table", f"t={table}", QUERY],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, text=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        print("| rows | time to first row on a terminal (median of %d) | peak RSS, whole table to a pipe |" % RUNS)
        print("| --- | --- | --- |")
        for n in (100_000, 1_000_000):
            path = os.path.join(work, f"t{n}.parquet")
            make(path, n)
            times = [first_row_seconds(path) for _ in range(RUNS)]
            print(f"| {n:,} | {statistics.median(times):.3f} s ({', '.join(f'{t:.3f}' for t in times)}) "
                  f"| {peak_rss_mib(path):.0f} MiB |")


if __name__ == "__main__":
    main()
