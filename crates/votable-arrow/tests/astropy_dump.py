#!/usr/bin/env python3
"""Dump the first table of a VOTable as canonical JSON, as astropy.io.votable reads it.

usage: astropy_dump.py FILE...

Output: one JSON object mapping each FILE to the dump of its first table,
{"nrows": N, "fields": [{"name", "datatype", "arraysize"}], "columns": [[cell...]]}
A cell is null when astropy masks it entirely; floats that are NaN or infinite are the
strings "NaN", "Inf", "-Inf"; arrays are lists whose masked elements are null; bytes are
decoded as UTF-8. Used by tests/astropy.rs to compare votable-arrow with astropy.
"""
import json
import math
import sys
import warnings

import numpy as np
from astropy.io.votable import parse

warnings.simplefilter("ignore")


def scalar(v):
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Inf" if f > 0 else "-Inf"
        return f
    if isinstance(v, (np.complexfloating, complex)):
        return [scalar(np.float64(v.real)), scalar(np.float64(v.imag))]
    if isinstance(v, str):
        return v
    return str(v)


def cell(v, m):
    if np.ma.isMaskedArray(v) or isinstance(v, np.ndarray):
        data = np.ma.getdata(v)
        mask = np.ma.getmaskarray(v) if np.ma.isMaskedArray(v) else np.zeros(np.shape(data), bool)
        mask = mask | np.broadcast_to(np.asarray(m, bool), np.shape(data)) if np.shape(m) == np.shape(data) else mask
        if data.ndim == 0:
            return None if bool(mask) else scalar(data[()])
        flat = data.reshape(-1, order="F") if data.ndim > 1 else data
        fmask = mask.reshape(-1, order="F") if mask.ndim > 1 else mask
        out = [None if bool(mk) else scalar(x) for x, mk in zip(flat, fmask)]
        return out
    if np.ndim(m) == 0 and bool(m):
        return None
    return scalar(v)


def dump(path):
    try:
        vot = parse(path, verify="ignore")
    except Exception as e:  # astropy refuses some valid files (2-D char arrays)
        return {"unreadable": f"{type(e).__name__}: {e}"}
    tables = list(vot.iter_tables())
    if not tables:
        return {"no_table": True}
    table = tables[0]
    arr = table.array
    names = arr.dtype.names or ()
    cols = []
    for name in names:
        data = arr.data[name]
        mask = np.ma.getmaskarray(arr[name])
        cols.append([cell(data[i], mask[i]) for i in range(len(arr))])
    fields = [
        {"name": f.name, "datatype": f.datatype, "arraysize": f.arraysize}
        for f in table.fields
    ]
    return {"nrows": len(arr), "fields": fields, "columns": cols}


def main():
    json.dump({path: dump(path) for path in sys.argv[1:]}, sys.stdout)


if __name__ == "__main__":
    main()
