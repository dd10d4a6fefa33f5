#!/usr/bin/env python3
"""Writes the 1e6-row source table of the tapskymatch benchmark (deterministic).

60 % of the sources lie within 0.3 deg of the observations of tests/data/obscore.csv (so that a crossmatch
with them finds rows), 40 % are uniform over the sphere. Columns: source_id, ra, dec, phot_g_mean_mag.

    python3 benches/tapskymatch/generate.py OUT.csv [ROWS]
"""
import csv
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    out = Path(sys.argv[1])
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rng = random.Random(20261123)
    with open(ROOT / "tests/data/obscore.csv", newline="") as f:
        centres = [(float(r["s_ra"]), float(r["s_dec"])) for r in csv.DictReader(f)]
    with open(out, "w", newline="") as f:
        f.write("source_id,ra,dec,phot_g_mean_mag\n")
        for i in range(rows):
            if rng.random() < 0.6:
                ra0, dec0 = rng.choice(centres)
                # Uniform in a 0.3 deg cap around the centre.
                r = 0.3 * math.sqrt(rng.random())
                pa = rng.uniform(0, 2 * math.pi)
                dec = max(-90.0, min(90.0, dec0 + r * math.cos(pa)))
                cosd = max(math.cos(math.radians(dec)), 1e-3)
                ra = (ra0 + r * math.sin(pa) / cosd) % 360.0
            else:
                ra = rng.uniform(0, 360)
                dec = math.degrees(math.asin(rng.uniform(-1, 1)))
            mag = round(rng.uniform(8, 21) * 128) / 128
            f.write(f"{i + 1},{ra:.8f},{dec:.8f},{mag}\n")


if __name__ == "__main__":
    main()
