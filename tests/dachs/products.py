#!/usr/bin/env python3
"""Writes the product files the DaCHS test server publishes (schema `products`): minimal FITS files
(a primary header and bytes of data) whose OBSID card names the observation.

    python3 tests/dachs/products.py DIR [COUNT] [MIN_BYTES] [MAX_BYTES]

The default, 12 files of 5 to 60 kB, is what the tests use; the download benchmark asks for 200 files
of 1 to 10 MB. The content is deterministic, so a file's checksum is the same on every machine.
"""
import os
import sys


def card(text):
    return text.ljust(80)


def write(path, obsid, size):
    header = "".join(
        [
            card("SIMPLE  =                    T"),
            card("BITPIX  =                    8"),
            card("NAXIS   =                    1"),
            card(f"NAXIS1  = {size:20d}"),
            card(f"OBSID   = '{obsid}'"),
            card("END"),
        ]
    )
    header = header.ljust(-(-len(header) // 2880) * 2880)
    pattern = bytes((i * 31 + len(obsid)) % 256 for i in range(4096))
    with open(path, "wb") as out:
        out.write(header.encode("ascii"))
        left = size
        while left > 0:
            chunk = pattern[: min(left, len(pattern))]
            out.write(chunk)
            left -= len(chunk)
        out.write(b"\0" * (-size % 2880))


def main():
    directory = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    smallest = int(sys.argv[3]) if len(sys.argv) > 3 else 5_000
    largest = int(sys.argv[4]) if len(sys.argv) > 4 else 60_000
    os.makedirs(directory, exist_ok=True)
    for i in range(1, count + 1):
        size = smallest + (largest - smallest) * (i - 1) // max(count - 1, 1)
        write(os.path.join(directory, f"obs{i}.fits"), f"obs{i}", size)


if __name__ == "__main__":
    main()
