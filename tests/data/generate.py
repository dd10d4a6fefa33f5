#!/usr/bin/env python3
"""Generate the project's test catalogues, deterministically.

Writes, from a fixed seed and with the Python standard library only:

* ``tests/data/*.csv``   -- the test tables (CSV with a header row; the source of truth)
* ``tests/data/columns.tsv`` -- the same column metadata as a flat TSV (table, file, dachs, column,
  type, unit, xtype) for dependency-free readers
* ``tests/data/tables.json`` -- column metadata of every table (ADQL type, unit, UCD, xtype,
  description) and where DaCHS serves it (``schema.table``); the local engine reads units from
  here for IN_UNIT, the DaCHS resource descriptors are generated from it
* ``data/stars.csv``, ``data/observations.csv`` (with their ``.schema.json`` sidecars) -- the small catalogue bundled for the README
* ``tests/dachs/rd/*.rd`` -- the DaCHS resource descriptors (one per DaCHS schema)

CSV conventions (shared by every table):

* header row with the column names exactly as in ADQL (``Mag`` is the delimited identifier
  ``"Mag"``);
* NULL is an empty field; there are no empty strings in the data (CSV cannot tell them apart);
* floats are written with Python's shortest round-trip ``repr``; REAL (float32) columns only hold
  multiples of 1/128 so that float32 and float64 readers see the same number;
* TIMESTAMP is ISO 8601 ``YYYY-MM-DDTHH:MM:SS`` (UTC, no zone);
* geometry is the DALI serialisation: POINT ``"lon lat"``, CIRCLE ``"lon lat radius"``, POLYGON
  ``"lon1 lat1 lon2 lat2 ..."`` (vertices counter-clockwise as seen from inside), degrees.

Run ``python3 tests/data/generate.py`` from anywhere; it rewrites every file above. Running it twice
gives byte-identical files (checked by ``--check``, which regenerates into memory and compares).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

SEED = 20260123
ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "tests" / "data"
BUNDLED_DIR = ROOT / "data"
RD_DIR = ROOT / "tests" / "dachs" / "rd"

N_SOURCES = 20000
N_OBSCORE = 1000
N_STARS = 2000
N_OBSERVATIONS = 120

# --------------------------------------------------------------------------------------------
# spherical helpers (degrees at the boundary)
# --------------------------------------------------------------------------------------------


def norm_ra(ra: float) -> float:
    ra = math.fmod(ra, 360.0)
    if ra < 0:
        ra += 360.0
    if ra >= 360.0:
        ra -= 360.0
    return ra


def offset(ra: float, dec: float, dist: float, pa: float) -> tuple[float, float]:
    """Point at angular distance ``dist`` and position angle ``pa`` (east of north) from (ra, dec)."""
    if abs(dec) >= 90.0:
        # from a pole every direction is along a meridian: take the position angle as the RA
        lat = (90.0 - dist) if dec > 0 else (dist - 90.0)
        return norm_ra(pa), lat
    ra1, dec1, d, p = map(math.radians, (ra, dec, dist, pa))
    sin_dec2 = math.sin(dec1) * math.cos(d) + math.cos(dec1) * math.sin(d) * math.cos(p)
    sin_dec2 = max(-1.0, min(1.0, sin_dec2))
    dec2 = math.asin(sin_dec2)
    y = math.sin(p) * math.sin(d) * math.cos(dec1)
    x = math.cos(d) - math.sin(dec1) * sin_dec2
    ra2 = ra1 + math.atan2(y, x)
    return norm_ra(math.degrees(ra2)), math.degrees(dec2)


def uniform_sphere(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(0.0, 360.0), math.degrees(math.asin(rng.uniform(-1.0, 1.0)))


def cap(rng: random.Random, ra0: float, dec0: float, radius: float) -> tuple[float, float]:
    """Uniform point in a spherical cap of ``radius`` degrees (small-angle sampling)."""
    r = radius * math.sqrt(rng.random())
    return offset(ra0, dec0, r, rng.uniform(0.0, 360.0))


def q128(x: float) -> float:
    """Round to a multiple of 1/128 (exact in float32 and float64)."""
    return round(x * 128.0) / 128.0


def r(x: float, nd: int) -> float:
    v = round(x, nd)
    return 0.0 if v == 0 else v  # no "-0.0" in the files


def iau_name(prefix: str, ra: float, dec: float) -> str:
    h = ra / 15.0
    hh = int(h)
    mm = int((h - hh) * 60)
    ss = (h - hh - mm / 60.0) * 3600.0
    sign = "+" if dec >= 0 else "-"
    a = abs(dec)
    dd = int(a)
    dm = int((a - dd) * 60)
    ds = (a - dd - dm / 60.0) * 3600.0
    return f"{prefix}{hh:02d}{mm:02d}{int(ss):02d}{sign}{dd:02d}{dm:02d}{int(ds):02d}"


def square_polygon(ra: float, dec: float, half: float, rot: float, nvert: int = 4) -> list[float]:
    """Regular polygon of ``nvert`` vertices at distance ``half*sqrt(2)`` around the centre,
    counter-clockwise on the sky (position angle increasing)."""
    out: list[float] = []
    rad = half * math.sqrt(2.0) if nvert == 4 else half
    for i in range(nvert):
        pa = rot + 45.0 + i * 360.0 / nvert
        vra, vdec = offset(ra, dec, rad, pa)
        out.extend([r(vra, 7), r(vdec, 7)])
    return out


def dali(values: list[float] | tuple[float, ...] | None) -> str | None:
    if values is None:
        return None
    return " ".join(repr(float(v)) for v in values)


# --------------------------------------------------------------------------------------------
# table model
# --------------------------------------------------------------------------------------------


class Col:
    def __init__(self, name, adql_type, unit="", ucd="", desc="", xtype="", nullable=True, verb=1, unicode=False):
        self.name = name
        # DaCHS serialises "text" as VOTable char (ASCII: non-ASCII becomes "?"); "unicode" columns
        # become unicodeChar. Used for the columns holding non-ASCII text.
        self.unicode = unicode
        self.verb = verb  # DaCHS verbLevel: SCS VERB=n returns columns with verbLevel <= 10*n
        self.type = adql_type
        self.unit = unit
        self.ucd = ucd
        self.desc = desc
        self.xtype = xtype or {
            "POINT": "point",
            "CIRCLE": "circle",
            "POLYGON": "polygon",
            "TIMESTAMP": "timestamp",
        }.get(adql_type, "")
        self.nullable = nullable

    def meta(self) -> dict:
        d = {"name": self.name, "type": self.type}
        for k in ("unit", "ucd", "xtype"):
            if getattr(self, k):
                d[k] = getattr(self, k)
        d["description"] = self.desc
        d["nullable"] = self.nullable
        return d


class Table:
    def __init__(self, name, file, dachs, desc, cols, rows, primary=None):
        self.name = name  # unqualified name (local engine)
        self.file = file  # path relative to the repository root
        self.dachs = dachs  # list of "schema.table" where DaCHS serves it
        self.desc = desc
        self.cols = cols
        self.rows = rows
        self.primary = primary


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("no NaN/Inf in the test data")
        return repr(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(v, str):
        if v == "":
            raise ValueError("empty strings are not representable (NULL is the empty field)")
        return v
    return str(v)


def table_csv(t: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([c.name for c in t.cols])
    for row in t.rows:
        assert len(row) == len(t.cols), (t.name, row)
        w.writerow([fmt(v) for v in row])
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# sources (Gaia-like) -- archive2.sources
# --------------------------------------------------------------------------------------------

# cluster centres: (name, ra, dec, sigma_deg, n)
CLUSTERS = [
    ("cl_pleiades", 56.75, 24.12, 0.5, 600),
    ("cl_m67", 132.85, 11.81, 0.15, 500),
    ("cl_wrap", 0.4, -30.0, 0.3, 500),  # a cluster straddling RA 0/360
    ("cl_south", 83.8, -69.3, 0.4, 500),
    ("cl_m13", 250.42, 36.46, 0.1, 400),
    ("cl_equator", 180.0, 0.0, 0.25, 500),
    ("cl_dense", 270.0, -29.0, 0.05, 500),
    ("cl_north", 10.7, 41.27, 0.3, 500),
]
N_POLE = 1000  # within 1 deg of each pole
N_WRAP = 2000  # RA within 1.5 deg of 0/360, |dec| < 5


def gen_sources(rng: random.Random):
    pos: list[tuple[float, float, str]] = []
    for name, ra0, dec0, sig, n in CLUSTERS:
        for _ in range(n):
            d = abs(rng.gauss(0.0, sig))
            pos.append((*offset(ra0, dec0, d, rng.uniform(0, 360)), name))
    for _ in range(N_POLE):
        pos.append((*cap(rng, 0.0, 90.0, 1.0), "npole"))
    for _ in range(N_POLE):
        pos.append((*cap(rng, 0.0, -90.0, 1.0), "spole"))
    for _ in range(N_WRAP):
        pos.append((norm_ra(rng.uniform(-1.5, 1.5)), rng.uniform(-5.0, 5.0), "wrap"))
    while len(pos) < N_SOURCES:
        pos.append((*uniform_sphere(rng), "field"))
    rng.shuffle(pos)

    t0 = datetime(2014, 7, 25, 10, 30, 0)
    span = (datetime(2017, 5, 28, 8, 44, 0) - t0).total_seconds()
    rows = []
    used_ids = set()
    for i, (ra, dec, region) in enumerate(pos):
        ra, dec = r(norm_ra(ra), 8), r(dec, 8)
        if ra >= 360.0:
            ra = 0.0
        cell = int((dec + 90.0) / 180.0 * 2047.999) * 4096 + int(ra / 360.0 * 4095.999)
        source_id = cell * (1 << 38) + i + 1
        assert source_id not in used_ids
        used_ids.add(source_id)
        cluster = region.startswith("cl_")
        dist_pc = rng.uniform(100, 3000) if cluster else rng.uniform(10, 8000)
        plx = 1000.0 / dist_pc + rng.gauss(0.0, 0.15)
        parallax = None if rng.random() < 0.15 else r(plx, 4)
        pmra = r(rng.gauss(0.0, 8.0), 3)
        pmdec = r(rng.gauss(-2.0, 8.0), 3)
        g = q128(min(21.0, max(3.0, rng.gauss(17.0, 2.0))))
        bp_rp = None if rng.random() < 0.08 else q128(max(-0.5, min(4.5, rng.gauss(1.0, 0.6))))
        rv = None if rng.random() < 0.85 else r(rng.gauss(0.0, 40.0), 2)
        flag = rng.choice([0, 0, 0, 0, 1, 2, 3, 4, 5, 7])
        obs_time = t0 + timedelta(seconds=int(rng.random() * span))
        rows.append(
            [
                source_id,
                iau_name("J", ra, dec),
                ra,
                dec,
                parallax,
                pmra,
                pmdec,
                g,
                bp_rp,
                rv,
                flag,
                region,
                2016.0,
                obs_time,
            ]
        )
    cols = [
        Col("source_id", "BIGINT", "", "meta.id;meta.main", "Unique source identifier (Gaia-like, up to 2^61)", nullable=False),
        Col("designation", "VARCHAR", "", "meta.id", "IAU-style designation from the position (not unique)", nullable=False, verb=15),
        Col("ra", "DOUBLE", "deg", "pos.eq.ra;meta.main", "Right ascension (ICRS) at ref_epoch", nullable=False),
        Col("dec", "DOUBLE", "deg", "pos.eq.dec;meta.main", "Declination (ICRS) at ref_epoch", nullable=False),
        Col("parallax", "DOUBLE", "mas", "pos.parallax.trig", "Parallax (NULL for about 15% of the rows)", verb=15),
        Col("pmra", "DOUBLE", "mas/yr", "pos.pm;pos.eq.ra", "Proper motion in RA times cos(dec)", nullable=False, verb=15),
        Col("pmdec", "DOUBLE", "mas/yr", "pos.pm;pos.eq.dec", "Proper motion in declination", nullable=False, verb=15),
        Col("phot_g_mean_mag", "REAL", "mag", "phot.mag;em.opt", "G-band mean magnitude (multiple of 1/128)", nullable=False, verb=15),
        Col("bp_rp", "REAL", "mag", "phot.color;em.opt.B;em.opt.R", "BP-RP colour (NULL for about 8%)", verb=15),
        Col("radial_velocity", "DOUBLE", "km/s", "spect.dopplerVeloc.opt", "Radial velocity (NULL for about 85%)", verb=20),
        Col("flag", "SMALLINT", "", "meta.code", "Quality bit flags (0..7)", nullable=False, verb=20),
        Col("population", "VARCHAR", "", "meta.code", "Generator population: field, npole, spole, wrap or cl_<name>", nullable=False, verb=30),
        Col("ref_epoch", "DOUBLE", "yr", "meta.ref;time.epoch", "Reference epoch (Julian year)", nullable=False, verb=30),
        Col("obs_time", "TIMESTAMP", "", "time.epoch", "Time of a (fake) observation", nullable=False, verb=30),
    ]
    return Table(
        "sources",
        "tests/data/sources.csv",
        ["archive2.sources"],
        "A Gaia-like source catalogue: uniform field, clusters, polar caps, RA 0/360 strip.",
        cols,
        rows,
        primary="source_id",
    )


# --------------------------------------------------------------------------------------------
# obscore-like observations -- archive1.obscore
# --------------------------------------------------------------------------------------------

COLLECTIONS = [
    # collection, facility, instruments, product types, (em_min, em_max) ranges in m
    ("HST", "HST", ["ACS/WFC", "WFC3/UVIS", "WFC3/IR", "STIS", "COS"], ["image", "spectrum"], (1.2e-7, 1.7e-6)),
    ("JWST", "JWST", ["NIRCAM", "NIRSPEC", "MIRI", "NIRISS"], ["image", "spectrum", "cube"], (6.0e-7, 2.8e-5)),
    ("TESS", "TESS", ["Photometer"], ["timeseries"], (6.0e-7, 1.0e-6)),
    ("GALEX", "GALEX", ["FUV", "NUV"], ["image"], (1.3e-7, 2.8e-7)),
    ("SDSS", "SDSS 2.5m", ["BOSS", "SDSS imager"], ["image", "spectrum"], (3.6e-7, 1.04e-6)),
]
TARGET_NAMES = [
    "NGC 1234", "ngc 1234", "M31", "m31", "Barnard's Star", "ρ Oph", "Orion Nebula",
    "47 Tuc", "LMC", "SMC", "Polaris", "sigma Oct", "HD 209458", "Kepler-90", "TRAPPIST-1",
    "Pleiades", "M 67", "M13", "Galactic Center", "Andromeda", "Zeta Pup", "ÆON field",
]


def gen_obscore(rng: random.Random, sources: Table):
    centres: list[tuple[float, float]] = []
    src_pos = [(row[2], row[3]) for row in sources.rows]
    for i in range(N_OBSCORE):
        u = rng.random()
        if u < 0.40:
            ra, dec = rng.choice(src_pos)
            ra, dec = cap(rng, ra, dec, 0.2)
        elif u < 0.70:
            _, ra0, dec0, sig, _ = rng.choice(CLUSTERS)
            ra, dec = cap(rng, ra0, dec0, 2 * sig)
        elif u < 0.78:
            ra, dec = cap(rng, 0.0, 90.0 if rng.random() < 0.5 else -90.0, 1.5)
        elif u < 0.88:
            ra, dec = norm_ra(rng.uniform(-1.5, 1.5)), rng.uniform(-5.0, 5.0)
        else:
            ra, dec = uniform_sphere(rng)
        centres.append((ra, dec))

    rows = []
    for i, (ra, dec) in enumerate(centres):
        coll, facility, instruments, ptypes, (emlo, emhi) = COLLECTIONS[rng.randrange(len(COLLECTIONS))]
        ra, dec = r(norm_ra(ra), 7), r(dec, 7)
        if ra >= 360.0:
            ra = 0.0
        fov = r(rng.choice([0.05, 0.1, 0.2, 0.4, 0.8, 1.5]) * rng.uniform(0.8, 1.2), 5)
        nvert = 4 if rng.random() < 0.8 else rng.choice([3, 5, 6])
        poly = square_polygon(ra, dec, fov / 2.0, rng.uniform(0.0, 90.0), nvert)
        t_min = r(rng.uniform(50000.0, 60500.0), 6)
        t_exptime = r(rng.choice([30.0, 120.0, 600.0, 1200.0, 3600.0, 86400.0]) * rng.uniform(0.5, 1.5), 3)
        t_max = r(t_min + t_exptime / 86400.0 * rng.uniform(1.0, 3.0), 6)
        lo = math.exp(rng.uniform(math.log(emlo), math.log(emhi)))
        hi = min(emhi, lo * rng.uniform(1.05, 2.5))
        ptype = rng.choice(ptypes)
        calib = rng.choice([0, 1, 2, 2, 3, 3, 3, 4])
        target = None if rng.random() < 0.2 else rng.choice(TARGET_NAMES)
        instrument = None if rng.random() < 0.03 else rng.choice(instruments)
        obs_id = f"{coll.lower()}_{i + 1:05d}"
        rows.append(
            [
                obs_id,
                coll,
                facility,
                instrument,
                ptype,
                calib,
                target,
                ra,
                dec,
                fov,
                dali(poly),
                r(rng.choice([0.05, 0.1, 1.0, 2.5, 21.0]), 3),
                t_min,
                t_max,
                t_exptime,
                float(f"{lo:.6e}"),
                float(f"{hi:.6e}"),
                None if ptype == "image" or rng.random() < 0.3 else r(rng.uniform(100, 20000), 1),
                "phot.count" if ptype in ("image", "timeseries") else "phot.flux.density;em.wl",
                f"http://localhost:8080/getproduct/{coll.lower()}/{obs_id}.fits",
                "application/fits",
                rng.randrange(100, 2_000_000),
            ]
        )
    cols = [
        Col("obs_id", "VARCHAR", "", "meta.id", "Observation identifier (unique)", nullable=False),
        Col("obs_collection", "VARCHAR", "", "meta.id", "Data collection (HST, JWST, TESS, GALEX, SDSS)", nullable=False),
        Col("facility_name", "VARCHAR", "", "meta.id;instr.tel", "Telescope", nullable=False),
        Col("instrument_name", "VARCHAR", "", "meta.id;instr", "Instrument (NULL for a few rows)"),
        Col("dataproduct_type", "VARCHAR", "", "meta.code.class", "image, spectrum, cube or timeseries", nullable=False),
        Col("calib_level", "SMALLINT", "", "meta.code;obs.calib", "Calibration level 0..4", nullable=False),
        Col("target_name", "VARCHAR", "", "meta.id;src", "Target name: mixed case, non-ASCII, quotes, NULLs", unicode=True),
        Col("s_ra", "DOUBLE", "deg", "pos.eq.ra", "Centre RA (ICRS)", nullable=False),
        Col("s_dec", "DOUBLE", "deg", "pos.eq.dec", "Centre Dec (ICRS)", nullable=False),
        Col("s_fov", "DOUBLE", "deg", "phys.angSize;instr.fov", "Field of view (side of the footprint)", nullable=False),
        Col("s_region", "POLYGON", "deg", "pos.outline;obs.field", "Footprint polygon", nullable=False),
        Col("s_resolution", "DOUBLE", "arcsec", "pos.angResolution", "Spatial resolution", nullable=False),
        Col("t_min", "DOUBLE", "d", "time.start;obs.exposure", "Start time (MJD)", nullable=False),
        Col("t_max", "DOUBLE", "d", "time.end;obs.exposure", "Stop time (MJD)", nullable=False),
        Col("t_exptime", "DOUBLE", "s", "time.duration;obs.exposure", "Exposure time", nullable=False),
        Col("em_min", "DOUBLE", "m", "em.wl;stat.min", "Shortest wavelength", nullable=False),
        Col("em_max", "DOUBLE", "m", "em.wl;stat.max", "Longest wavelength", nullable=False),
        Col("em_res_power", "DOUBLE", "", "spect.resolution", "Resolving power (NULL for images and some spectra)"),
        Col("o_ucd", "VARCHAR", "", "meta.ucd", "UCD of the observable", nullable=False),
        Col("access_url", "VARCHAR", "", "meta.ref.url", "(fake) product URL", nullable=False),
        Col("access_format", "VARCHAR", "", "meta.code.mime", "Product media type", nullable=False),
        Col("access_estsize", "BIGINT", "kbyte", "phys.size;meta.file", "Estimated product size", nullable=False),
    ]
    return Table(
        "obscore",
        "tests/data/obscore.csv",
        ["archive1.obscore"],
        "ObsCore-like observations whose footprints overlap the sources table.",
        cols,
        rows,
        primary="obs_id",
    )


# --------------------------------------------------------------------------------------------
# small tables for SQL semantics -- adqltest.*
# --------------------------------------------------------------------------------------------


def gen_strs():
    values = [
        ("Alpha", "first"), ("alpha", "lower"), ("ALPHA", "upper"), ("Beta", "b"),
        ("beta", None), ("Ärger", "umlaut"), ("ärger", "umlaut lower"), ("naïve", "diaeresis"),
        ("Émile", "accent"), ("émile", "accent lower"), ("straße", "sharp s"),
        ("Ω omega", "greek"), ("日本語", "cjk"), ("O'Brien", "single quote"),
        ('say "hi"', "double quote"), ("back\\slash", "backslash"), ("50% off", "percent"),
        ("under_score", "underscore"), ("  padded  ", "spaces"), ("a,b;c", "separators"),
        ("Zeta", "z"), ("zeta", "z lower"), ("abc", "short"), ("abcdef", "prefix"),
        ("xabcx", "infix"), ("a_c", "literal underscore"), ("a%c", "literal percent"),
        (None, "null s"), ("Mixed Case Words", "words"), ("123", "digits"),
        ("-0.5", "numeric text"), ("trailing ", "one trailing space"),
    ]
    rows = [[i + 1, s, t] for i, (s, t) in enumerate(values)]
    cols = [
        Col("id", "INTEGER", "", "meta.id;meta.main", "Row id", nullable=False),
        Col("s", "VARCHAR", "", "", "Test string: case, non-ASCII, quotes, wildcards, NULL", unicode=True),
        Col("t", "VARCHAR", "", "", "What s is about (NULL once)", unicode=True),
    ]
    return Table("strs", "tests/data/strs.csv", ["adqltest.strs"], "Strings for LIKE/ILIKE/UPPER/LOWER/ordering.", cols, rows, "id")


def gen_nulltab():
    ts = datetime(2020, 2, 29, 12, 0, 0)
    rows = [
        [1, 1, 10, 100, 1.5, 1.25, "one", ts],
        [2, None, 20, 200, 2.5, 2.5, "two", ts + timedelta(days=1)],
        [3, 3, None, 300, 3.5, 3.75, None, None],
        [4, 4, 40, None, None, 4.0, "four", ts + timedelta(days=3)],
        [5, None, None, None, None, None, None, None],
        [6, -6, -60, -600, -6.5, -6.25, "six", ts - timedelta(days=6)],
        [7, 7, 70, 9007199254740993, 7.0, None, "seven", ts + timedelta(hours=7)],
        [8, None, 80, 800, 8.5, 8.125, None, None],
        [9, 9, None, None, 9.0, 9.0, "nine", ts],
        [10, 0, 0, 0, 0.0, 0.0, "zero", ts],
        [11, None, None, None, None, None, None, None],
        [12, 1, 10, 100, 1.5, 1.25, "one", ts],
    ]
    cols = [
        Col("id", "INTEGER", "", "meta.id;meta.main", "Row id", nullable=False),
        Col("i", "SMALLINT", "", "", "nullable smallint"),
        Col("j", "INTEGER", "", "", "nullable integer"),
        Col("k", "BIGINT", "", "", "nullable bigint (one value above 2^53)"),
        Col("r", "REAL", "", "", "nullable real"),
        Col("d", "DOUBLE", "", "", "nullable double"),
        Col("s", "VARCHAR", "", "", "nullable string"),
        Col("ts", "TIMESTAMP", "", "", "nullable timestamp"),
    ]
    return Table("nulltab", "tests/data/nulltab.csv", ["adqltest.nulltab"], "NULLs in every type; rows 5 and 11 are all NULL; row 12 duplicates row 1.", cols, rows, "id")


def gen_nums():
    rows = []
    avals = [-17, -13, -10, -7, -6, -5, -3, -1, 0, 1, 2, 3, 5, 7, 10, 13, 17, 100, -100, 2147483647]
    bvals = [3, -3, 4, -4, 5, 7, -7, 2, -2, 6, 1, -1, 5, 3, 9, -5, 4, 7, -6, 10]
    xs = [-2.5, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.5, 10.0, -10.0, 0.125, 1e-3, 123.456]
    ys = [0.5, 1.0, 2.0, 3.0, 4.0, 10.0, 100.0, 0.01, 1e6, 2.718281828459045, 7.0, 9.0, 16.0, 0.1, 0.2, 25.0, 1.5, 64.0, 1000.0, 0.3]
    for i in range(20):
        rows.append([i + 1, avals[i], bvals[i], xs[i], ys[i]])
    cols = [
        Col("id", "INTEGER", "", "meta.id;meta.main", "Row id", nullable=False),
        Col("a", "INTEGER", "", "", "integers incl. negatives and INT_MAX", nullable=False),
        Col("b", "INTEGER", "", "", "non-zero integers of both signs (MOD divisor)", nullable=False),
        Col("x", "DOUBLE", "", "", "doubles of both signs, in [-10, 123.456]", nullable=False),
        Col("y", "DOUBLE", "", "", "positive doubles (LOG, SQRT, POWER)", nullable=False),
    ]
    return Table("nums", "tests/data/nums.csv", ["adqltest.nums"], "Numbers for arithmetic, MOD, ROUND, TRUNCATE, math functions.", cols, rows, "id")


def gen_mixedcase():
    rows = [
        [1, 10.5, 1.5, "Vega"],
        [2, 11.25, 2.25, "vega"],
        [3, 12.0, 3.0, "Sirius"],
        [4, None, 4.5, "Capella"],
        [5, 9.75, None, None],
    ]
    cols = [
        Col("id", "INTEGER", "", "meta.id;meta.main", "Row id", nullable=False),
        Col("Mag", "DOUBLE", "mag", "phot.mag", 'Delimited identifier "Mag" (differs from mag)'),
        Col("mag", "DOUBLE", "mag", "phot.mag", "Regular identifier mag"),
        Col("Name", "VARCHAR", "", "meta.id", 'Delimited identifier "Name"'),
    ]
    return Table("mixedcase", "tests/data/mixedcase.csv", ["adqltest.mixedcase"], 'Column names that only differ by case: "Mag" vs mag; "Name".', cols, rows, "id")


def gen_joins():
    a_rows = [
        [1, "x", 1.0], [2, "y", 2.0], [3, "z", 3.0], [4, None, 4.0], [5, "x", 5.0],
        [6, "w", 6.0], [7, "y", None], [8, "v", 8.0],
    ]
    b_rows = [
        [1, "x", 10.0], [2, "q", 20.0], [3, "z", 30.0], [4, None, 40.0], [5, "x", 50.0],
        [5, "x", 55.0], [9, "y", 90.0], [10, None, None],
    ]
    ca = [
        Col("id", "INTEGER", "", "meta.id", "join key (shared name with join_b)", nullable=False),
        Col("k", "VARCHAR", "", "", "second shared column (NULL once)"),
        Col("va", "DOUBLE", "", "", "value only in join_a"),
    ]
    cb = [
        Col("id", "INTEGER", "", "meta.id", "join key (shared name with join_a; 5 appears twice)", nullable=False),
        Col("k", "VARCHAR", "", "", "second shared column (NULL twice)"),
        Col("vb", "DOUBLE", "", "", "value only in join_b"),
    ]
    return [
        Table("join_a", "tests/data/join_a.csv", ["adqltest.join_a"], "Left side for NATURAL/USING/OUTER joins.", ca, a_rows),
        Table("join_b", "tests/data/join_b.csv", ["adqltest.join_b"], "Right side for NATURAL/USING/OUTER joins.", cb, b_rows),
    ]


def gen_units():
    rows = []
    for i in range(8):
        deg = [0.5, 1.0, 2.0, 0.001, 45.0, 90.0, 180.0, 0.25][i]
        rows.append(
            [
                i + 1,
                deg,
                r(deg * 3600.0, 6),
                r(deg * 3600000.0, 3),
                [10.0, 12.5, 15.0, 20.0, 0.0, -1.5, 5.25, 8.0][i],
                [1.0, 0.5, 2.5, 1e-3, 10.0, 0.125, 3.0, 100.0][i],
                [1000.0, 500.0, 2500.0, 1.0, 10000.0, 125.0, 3000.0, 100000.0][i],
                [10.0, 100.0, 1000.0, 2500.0, 8000.0, 50.0, 1.0, 150.0][i],
                [0.01, 0.1, 1.0, 2.5, 8.0, 0.05, 0.001, 0.15][i],
                [1.0, 0.5, 2.0, 10.0, 100.0, 1000.0, 0.25, 365.25][i],
                [365.25, 1.0, 30.0, 0.5, 7.0, 1.0, 10000.0, 3652.5][i],
                [86400.0, 3600.0, 60.0, 1.0, 31557600.0, 0.5, 120.0, 1e6][i],
                [1.0, 10.0, 100.0, 0.5, 299.792458, 30.0, 220.0, 5.0][i],
            ]
        )
    cols = [
        Col("id", "INTEGER", "", "meta.id;meta.main", "Row id", nullable=False),
        Col("ang_deg", "DOUBLE", "deg", "pos.angDistance", "an angle in degrees", nullable=False),
        Col("ang_arcsec", "DOUBLE", "arcsec", "pos.angDistance", "the same angle in arcsec", nullable=False),
        Col("ang_mas", "DOUBLE", "mas", "pos.angDistance", "the same angle in mas", nullable=False),
        Col("mag", "DOUBLE", "mag", "phot.mag", "a magnitude", nullable=False),
        Col("flux_jy", "DOUBLE", "Jy", "phot.flux.density", "a flux density in Jy", nullable=False),
        Col("flux_mjy", "DOUBLE", "mJy", "phot.flux.density", "a flux density in mJy", nullable=False),
        Col("dist_pc", "DOUBLE", "pc", "pos.distance", "a distance in pc", nullable=False),
        Col("dist_kpc", "DOUBLE", "kpc", "pos.distance", "a distance in kpc", nullable=False),
        Col("t_yr", "DOUBLE", "yr", "time.duration", "a duration in years", nullable=False),
        Col("t_d", "DOUBLE", "d", "time.duration", "a duration in days", nullable=False),
        Col("t_s", "DOUBLE", "s", "time.duration", "a duration in seconds", nullable=False),
        Col("speed", "DOUBLE", "km/s", "phys.veloc", "a speed in km/s", nullable=False),
    ]
    return Table("units", "tests/data/units.csv", ["adqltest.units"], "Values with units for IN_UNIT.", cols, rows, "id")


def gen_regions():
    rows = [
        [1, (10.0, 20.0), (10.0, 20.0, 1.0), square_polygon(10.0, 20.0, 0.5, 0.0)],
        [2, (359.9, 0.0), (0.0, 0.0, 0.5), square_polygon(0.0, 0.0, 0.5, 0.0)],  # RA wrap
        [3, (0.1, -0.1), (359.8, 0.1, 0.5), square_polygon(359.9, 0.1, 0.3, 10.0)],
        [4, (45.0, 89.9), (0.0, 90.0, 0.5), square_polygon(120.0, 89.5, 0.8, 0.0)],  # north pole
        [5, (200.0, -89.95), (0.0, -90.0, 1.0), square_polygon(0.0, -89.7, 0.5, 30.0)],  # south pole
        [6, (180.0, 0.0), (180.0, 0.0, 10.0), [170.0, -10.0, 190.0, -10.0, 190.0, 10.0, 170.0, 10.0]],
        [7, (56.75, 24.12), (56.75, 24.12, 0.5), square_polygon(56.75, 24.12, 0.4, 0.0)],
        [8, None, None, None],
        [9, (250.42, 36.46), (250.0, 36.0, 2.0), [249.0, 35.0, 252.0, 35.0, 250.5, 38.0]],  # triangle
        [10, (90.0, 0.0), (270.0, 0.0, 5.0), square_polygon(90.0, 0.0, 2.0, 0.0)],
        [11, (0.0, 0.0), (0.0, 0.0, 0.001), square_polygon(0.0, 0.0, 0.001, 0.0)],
        [12, (123.456, -45.678), None, [120.0, -50.0, 127.0, -50.0, 127.0, -40.0, 120.0, -40.0]],
    ]
    rows = [[i, dali(p), dali(c), dali(q)] for i, p, c, q in rows]
    cols = [
        Col("id", "INTEGER", "", "meta.id;meta.main", "Row id", nullable=False),
        Col("pos", "POINT", "deg", "pos.eq", "a point (NULL once)"),
        Col("circ", "CIRCLE", "deg", "pos.outline", "a circle (NULL twice)"),
        Col("poly", "POLYGON", "deg", "pos.outline", "a polygon (NULL once)"),
    ]
    return Table("regions", "tests/data/regions.csv", ["adqltest.regions"], "Geometry columns: points, circles, polygons at poles, RA wrap, NULLs.", cols, rows, "id")


# --------------------------------------------------------------------------------------------
# the bundled catalogue (data/) -- adqltest.stars, adqltest.observations
# --------------------------------------------------------------------------------------------


def gen_bundled(rng: random.Random):
    # a 12 x 8 degree field around the Pleiades-like cluster, with a cluster and a field population
    ra0, dec0 = 56.75, 24.12
    stars = []
    for i in range(N_STARS):
        if i < 500:
            ra, dec = offset(ra0, dec0, abs(rng.gauss(0, 0.6)), rng.uniform(0, 360))
            plx = r(rng.gauss(7.35, 0.25), 3)
            pmra, pmdec = r(rng.gauss(19.9, 1.0), 2), r(rng.gauss(-45.4, 1.0), 2)
            g = q128(rng.uniform(3.0, 16.0))
        else:
            ra, dec = rng.uniform(ra0 - 6.0, ra0 + 6.0), rng.uniform(dec0 - 4.0, dec0 + 4.0)
            plx = r(abs(rng.gauss(0.0, 2.0)) + 0.05, 3)
            pmra, pmdec = r(rng.gauss(0.0, 10.0), 2), r(rng.gauss(-3.0, 10.0), 2)
            g = q128(rng.uniform(8.0, 19.0))
        ra, dec = r(ra, 7), r(dec, 7)
        bp_rp = None if rng.random() < 0.05 else q128(rng.uniform(-0.2, 3.0))
        stars.append([i + 1, iau_name("J", ra, dec), ra, dec, plx, pmra, pmdec, g, bp_rp])
    star_cols = [
        Col("star_id", "INTEGER", "", "meta.id;meta.main", "Star number", nullable=False),
        Col("name", "VARCHAR", "", "meta.id", "IAU-style designation", nullable=False),
        Col("ra", "DOUBLE", "deg", "pos.eq.ra;meta.main", "Right ascension (ICRS)", nullable=False),
        Col("dec", "DOUBLE", "deg", "pos.eq.dec;meta.main", "Declination (ICRS)", nullable=False),
        Col("parallax", "DOUBLE", "mas", "pos.parallax.trig", "Parallax", nullable=False),
        Col("pmra", "DOUBLE", "mas/yr", "pos.pm;pos.eq.ra", "Proper motion in RA times cos(dec)", nullable=False),
        Col("pmdec", "DOUBLE", "mas/yr", "pos.pm;pos.eq.dec", "Proper motion in Dec", nullable=False),
        Col("gmag", "REAL", "mag", "phot.mag;em.opt", "G magnitude", nullable=False),
        Col("bp_rp", "REAL", "mag", "phot.color", "BP-RP colour (NULL for a few)"),
    ]
    obs = []
    instruments = [("HST", "WFC3/UVIS", "image"), ("HST", "STIS", "spectrum"), ("JWST", "NIRCAM", "image"),
                   ("TESS", "Photometer", "timeseries"), ("GALEX", "NUV", "image")]
    for i in range(N_OBSERVATIONS):
        if i < 40:
            ra, dec = offset(ra0, dec0, abs(rng.gauss(0, 0.8)), rng.uniform(0, 360))
        else:
            ra, dec = rng.uniform(ra0 - 6.0, ra0 + 6.0), rng.uniform(dec0 - 4.0, dec0 + 4.0)
        ra, dec = r(ra, 6), r(dec, 6)
        coll, inst, ptype = instruments[rng.randrange(len(instruments))]
        fov = r(rng.choice([0.05, 0.1, 0.2, 0.4]) * rng.uniform(0.8, 1.2), 5)
        t_min = r(rng.uniform(55000.0, 60500.0), 5)
        exptime = r(rng.choice([300.0, 1200.0, 3600.0]) * rng.uniform(0.5, 1.5), 2)
        obs.append([
            f"{coll.lower()}_{i + 1:04d}", coll, inst, ptype, ra, dec, fov,
            dali(square_polygon(ra, dec, fov / 2.0, rng.uniform(0, 90))),
            t_min, r(t_min + exptime / 86400.0, 5), exptime,
        ])
    obs_cols = [
        Col("obs_id", "VARCHAR", "", "meta.id;meta.main", "Observation identifier", nullable=False),
        Col("obs_collection", "VARCHAR", "", "meta.id", "Mission", nullable=False),
        Col("instrument_name", "VARCHAR", "", "meta.id;instr", "Instrument", nullable=False),
        Col("dataproduct_type", "VARCHAR", "", "meta.code.class", "image, spectrum or timeseries", nullable=False),
        Col("s_ra", "DOUBLE", "deg", "pos.eq.ra", "Pointing RA (ICRS)", nullable=False),
        Col("s_dec", "DOUBLE", "deg", "pos.eq.dec", "Pointing Dec (ICRS)", nullable=False),
        Col("s_fov", "DOUBLE", "deg", "phys.angSize;instr.fov", "Field of view", nullable=False),
        Col("s_region", "POLYGON", "deg", "pos.outline;obs.field", "Footprint", nullable=False),
        Col("t_min", "DOUBLE", "d", "time.start", "Start (MJD)", nullable=False),
        Col("t_max", "DOUBLE", "d", "time.end", "End (MJD)", nullable=False),
        Col("t_exptime", "DOUBLE", "s", "time.duration", "Exposure time", nullable=False),
    ]
    return [
        Table("stars", "data/stars.csv", ["adqltest.stars"], "Bundled demo catalogue: 2000 stars around the Pleiades (500 members).", star_cols, stars, "star_id"),
        Table("observations", "data/observations.csv", ["adqltest.observations"], "Bundled demo observation log: 120 pointings over the stars field.", obs_cols, obs, "obs_id"),
    ]


# --------------------------------------------------------------------------------------------
# DaCHS resource descriptors
# --------------------------------------------------------------------------------------------

DACHS_TYPES = {
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "REAL": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "TIMESTAMP": "timestamp",
    "POINT": "spoint",
    "CIRCLE": "scircle",
    "POLYGON": "spoly",
}
DALI_CLASS = {"POINT": "SPoint", "CIRCLE": "SCircle", "POLYGON": "SPoly"}


def xml_attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def rd_column(c: Col) -> str:
    name = c.name if c.name == c.name.lower() else f"quoted/{c.name}"
    dtype = "unicode" if c.unicode else DACHS_TYPES[c.type]
    attrs = [f'name="{xml_attr(name)}"', f'type="{dtype}"']
    if c.unit:
        attrs.append(f'unit="{xml_attr(c.unit)}"')
    if c.ucd:
        attrs.append(f'ucd="{xml_attr(c.ucd)}"')
    attrs.append(f'description="{xml_attr(c.desc)}"')
    if not c.nullable:
        attrs.append('required="True"')
    attrs.append(f'verbLevel="{c.verb}"')
    return "    <column " + " ".join(attrs) + "/>"


def rd_map(c: Col) -> str:
    key = c.name if c.name == c.name.lower() else f"quoted/{c.name}"
    src = f'@{c.name}' if c.name.isidentifier() else f'vars["{c.name}"]'
    if c.type in DALI_CLASS:
        return (f'        <map key="{key}">None if not {src} else pgsphere.{DALI_CLASS[c.type]}'
                f'.fromDALI([float(v) for v in {src}.split()])</map>')
    if c.type == "VARCHAR":
        return f'        <map key="{key}" nullExpr="\'\'">{src}</map>'
    if c.type == "TIMESTAMP":
        return (f'        <map key="{key}">None if not {src} else '
                f'datetime.datetime.strptime({src}, "%Y-%m-%dT%H:%M:%S")</map>')
    # numbers: DaCHS' automatic mapping turns "" into NULL
    return f'        <map key="{key}" source="{c.name}"/>'


def rd_table(t: Table, tid: str, scs: bool) -> str:
    mixin = ' mixin="//scs#q3cindex"' if scs else ""
    lines = [f'  <table id="{tid}" onDisk="True" adql="True"{mixin}>']
    lines.append(f"    <meta name=\"description\">{xml_attr(t.desc)}</meta>")
    if t.primary:
        lines.append(f"    <primary>{t.primary}</primary>")
    if scs:
        lines.append('    <stc>Position ICRS "ra" "dec"</stc>')
    lines.extend(rd_column(c) for c in t.cols)
    lines.append("  </table>")
    return "\n".join(lines)


def rd_data(t: Table, tid: str) -> str:
    fname = Path(t.file).name
    lines = [
        f'  <data id="import_{tid}">',
        f'    <sources pattern="data/{fname}"/>',
        '    <csvGrammar enc="utf-8"/>',
        f'    <make table="{tid}">',
        "      <rowmaker>",
    ]
    lines.extend(rd_map(c) for c in t.cols)
    lines += ["      </rowmaker>", "    </make>", "  </data>"]
    return "\n".join(lines)


RD_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<!-- GENERATED by tests/data/generate.py; edit the generator, not this file. -->
<resource schema="{schema}" resdir=".">
  <meta name="title">{title}</meta>
  <meta name="description">{description}</meta>
  <meta name="creationDate">2026-01-23T00:00:00Z</meta>
  <meta name="subject">virtual-observatory</meta>
  <meta name="creator.name">adql project test suite</meta>
  <meta name="contentLevel">Research</meta>
  <meta name="type">Catalog</meta>
"""

SCS_SERVICE = """
  <service id="cone" allowed="scs.xml,form">
    <meta name="title">{schema} sources cone search</meta>
    <meta name="shortName">{schema} scs</meta>
    <meta name="testQuery">
      <meta name="ra">56.75</meta>
      <meta name="dec">24.12</meta>
      <meta name="sr">0.1</meta>
    </meta>
    <publish render="scs.xml" sets="local"/>
    <scsCore queriedTable="{tid}">
      <FEED source="//scs#coreDescs"/>
    </scsCore>
  </service>
"""


def make_rd(schema: str, title: str, description: str, tables: list[Table], scs_table: str | None) -> str:
    parts = [RD_HEADER.format(schema=schema, title=xml_attr(title), description=xml_attr(description))]
    for t in tables:
        tid = next(q.split(".", 1)[1] for q in t.dachs if q.startswith(schema + "."))
        parts.append(rd_table(t, tid, scs=(tid == scs_table)))
        parts.append("")
    for t in tables:
        tid = next(q.split(".", 1)[1] for q in t.dachs if q.startswith(schema + "."))
        parts.append(rd_data(t, tid))
        parts.append("")
    if scs_table:
        parts.append(SCS_SERVICE.format(schema=schema, tid=scs_table))
    parts.append("</resource>\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------


def build() -> dict[Path, str]:
    rng = random.Random(SEED)
    sources = gen_sources(rng)
    obscore = gen_obscore(rng, sources)
    small = [gen_strs(), gen_nulltab(), gen_nums(), gen_mixedcase(), *gen_joins(), gen_units(), gen_regions()]
    bundled = gen_bundled(random.Random(SEED + 1))
    tables = [sources, obscore, *small, *bundled]

    out: dict[Path, str] = {}
    for t in tables:
        out[ROOT / t.file] = table_csv(t)
    meta = {
        "generator": "tests/data/generate.py",
        "seed": SEED,
        "conventions": {
            "null": "empty field",
            "timestamp": "YYYY-MM-DDTHH:MM:SS (UTC)",
            "point": "DALI 'lon lat' in deg",
            "circle": "DALI 'lon lat radius' in deg",
            "polygon": "DALI 'lon1 lat1 lon2 lat2 ...' in deg",
        },
        "tables": [
            {
                "name": t.name,
                "file": t.file,
                "dachs": t.dachs,
                "description": t.desc,
                "rows": len(t.rows),
                "primary_key": t.primary,
                "columns": [c.meta() for c in t.cols],
            }
            for t in tables
        ],
    }
    out[DATA_DIR / "tables.json"] = json.dumps(meta, indent=1, ensure_ascii=False) + "\n"
    # the bundled demo files carry their types and units in schema sidecars (data/NAME.schema.json), so
    # that `--table stars=data/stars.csv` has units for IN_UNIT, as the user guide's first example needs
    for t in tables:
        if t.file.startswith("data/"):
            sidecar = {"columns": [c.meta() for c in t.cols]}
            path = ROOT / t.file.replace(".csv", ".schema.json")
            out[path] = json.dumps(sidecar, indent=1, ensure_ascii=False) + "\n"
    # the same catalogue as a flat TSV for dependency-free readers (tests/support/corpus.rs)
    tsv = ["table\tfile\tdachs\tcolumn\ttype\tunit\txtype"]
    for t in tables:
        for c in t.cols:
            tsv.append("\t".join([t.name, t.file, t.dachs[0], c.name, c.type, c.unit, c.xtype]))
    out[DATA_DIR / "columns.tsv"] = "\n".join(tsv) + "\n"

    by_schema: dict[str, list[Table]] = {}
    for t in tables:
        for q in t.dachs:
            by_schema.setdefault(q.split(".")[0], []).append(t)
    out[RD_DIR / "archive1.rd"] = make_rd(
        "archive1", "adql test archive 1: observations",
        "ObsCore-like observation log for the adql federation tests (plays the role of an"
        " observation archive).", by_schema["archive1"], None)
    out[RD_DIR / "archive2.rd"] = make_rd(
        "archive2", "adql test archive 2: Gaia-like sources",
        "Gaia-like source catalogue for the adql federation tests (plays the role of a"
        " catalogue archive), with a simple cone search.", by_schema["archive2"], "sources")
    out[RD_DIR / "adqltest.rd"] = make_rd(
        "adqltest", "adql test tables",
        "Small tables exercising ADQL semantics (strings, NULLs, numbers, identifiers,"
        " joins, units, geometry) and the bundled demo catalogue.", by_schema["adqltest"], None)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the committed files are up to date")
    args = ap.parse_args(argv)
    files = build()
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        old = p.read_text(encoding="utf-8") if p.exists() else None
        if old != text:
            p.write_text(text, encoding="utf-8")
            print(f"wrote {p.relative_to(ROOT)} ({len(text.encode('utf-8'))} bytes)")
        else:
            print(f"unchanged {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
