#!/usr/bin/env python3
"""Record (or re-check) DaCHS's answers to the ADQL result-comparison corpus.

    python3 tests/corpus/record.py                 # record every query into tests/corpus/expected/
    python3 tests/corpus/record.py --check         # re-run every query and compare with expected/
    python3 tests/corpus/record.py --only 'geom_*' # a subset (fnmatch on the query name)
    python3 tests/corpus/record.py --list          # names, files, ordered flag

Standard library only. The server is ADQL_TEST_TAP_URL (default http://localhost:8080/tap),
started by tests/dachs/setup.sh.

Query files (tests/corpus/*.adql) hold one or more queries, each introduced by a header:

    -- name: strings_like_percent
    -- checks: LIKE with a trailing % is case-sensitive
    -- ordered: yes            (yes = ORDER BY fixes the row order; no = compare as a multiset)
    SELECT id, s FROM strs WHERE s LIKE 'a%' ORDER BY id

An optional ``-- expect: error`` marks a query that must fail; its DaCHS message is stored as
expected/<name>.error.

The query text uses the *unqualified* table names under which the local engine registers the CSV
files (``adql query --table sources=tests/data/sources.csv ...``). Before sending a query to DaCHS,
this script qualifies them with their DaCHS schema (tests/data/tables.json: sources ->
archive2.sources, obscore -> archive1.obscore, everything else adqltest.<name>); string literals and
delimited identifiers are left alone.

Each answer is stored as tests/corpus/expected/<name>.csv, converted from DaCHS's JSON result format
(RESPONSEFORMAT=json). Not VOTable: DaCHS serialises text-typed results (e.g. UPPER(s)) as VOTable
`char`, replacing every non-ASCII character by "?", and its TABLEDATA rounds float32 to 8 digits.

* a header row with DaCHS's column names;
* NULL is an empty field (NaN in a float column and a VALUES/@null sentinel count as NULL);
* numbers as Python repr (shortest round-trip) of the binary value; float32 (REAL) values are
  widened exactly to double (19.3828125, not PostgreSQL's "19.382812");
* arrays (geometry) space-separated: DALI "lon lat ..." in degrees;
* booleans as true/false.

Queries listed in tests/corpus/exclusions.txt (name, tab, reason) are not recorded: DaCHS rejects
them or answers differently from the ADQL standard.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import fnmatch
import io
import json
import os
import re
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXPECTED = HERE / "expected"
VOT_NS = "http://www.ivoa.net/xml/VOTable/v1.3"
FLOAT_TYPES = {"float", "double", "floatComplex", "doubleComplex"}


# ------------------------------------------------------------------------------------------------
# corpus files
# ------------------------------------------------------------------------------------------------


class Query:
    def __init__(self, name: str, file: Path, line: int, checks: str, ordered: bool, text: str, error: bool):
        self.name, self.file, self.line = name, file, line
        self.checks, self.ordered, self.text = checks, ordered, text
        self.error = error  # "-- expect: error": the query must fail


HEADER_RE = re.compile(r"^--\s*(name|checks|ordered|expect)\s*:\s*(.*?)\s*$")


def load_corpus() -> list[Query]:
    queries: list[Query] = []
    seen: dict[str, str] = {}
    for file in sorted(HERE.glob("*.adql")):
        cur: dict | None = None

        def flush():
            if cur is None:
                return
            text = "\n".join(cur["lines"]).strip().rstrip(";").strip()
            if not text:
                raise SystemExit(f"{file}:{cur['line']}: query {cur['name']} has no text")
            if cur.get("ordered") not in ("yes", "no"):
                raise SystemExit(f"{file}:{cur['line']}: query {cur['name']}: '-- ordered: yes|no' missing")
            if not cur.get("checks"):
                raise SystemExit(f"{file}:{cur['line']}: query {cur['name']}: '-- checks:' missing")
            if cur.get("expect", "rows") not in ("rows", "error"):
                raise SystemExit(f"{file}:{cur['line']}: query {cur['name']}: '-- expect:' must be rows or error")
            queries.append(Query(cur["name"], file, cur["line"], cur["checks"], cur["ordered"] == "yes", text,
                                 cur.get("expect") == "error"))

        for i, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            m = HEADER_RE.match(raw)
            if m and m.group(1) == "name":
                flush()
                name = m.group(2)
                if not re.fullmatch(r"[a-z0-9_]+", name):
                    raise SystemExit(f"{file}:{i}: bad query name {name!r} (use [a-z0-9_]+)")
                if name in seen:
                    raise SystemExit(f"{file}:{i}: duplicate query name {name} (first in {seen[name]})")
                seen[name] = f"{file.name}:{i}"
                cur = {"name": name, "line": i, "lines": []}
            elif m and cur is not None:
                cur[m.group(1)] = m.group(2)
            elif cur is not None:
                if raw.lstrip().startswith("--"):
                    continue  # further comments
                cur["lines"].append(raw)
        flush()
    return queries


def load_exclusions() -> dict[str, str]:
    out: dict[str, str] = {}
    path = HERE / "exclusions.txt"
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reason = line.partition("\t")
        out[name.strip()] = reason.strip()
    return out


# ------------------------------------------------------------------------------------------------
# table name rewriting
# ------------------------------------------------------------------------------------------------


def table_map() -> dict[str, str]:
    meta = json.loads((ROOT / "tests" / "data" / "tables.json").read_text(encoding="utf-8"))
    return {t["name"].lower(): t["dachs"][0] for t in meta["tables"]}


TOKEN_RE = re.compile(
    r"""('(?:[^']|'')*')        # string literal
      |("(?:[^"]|"")*")         # delimited identifier
      |(--[^\n]*)               # comment
      |([A-Za-z_][A-Za-z0-9_]*) # regular identifier or keyword
      |(\s+|.)                  # anything else
    """,
    re.X | re.S,
)


def qualify(text: str, names: dict[str, str]) -> str:
    """Prefix the known table names with their DaCHS schema (not after a '.', not in literals)."""
    out: list[str] = []
    prev_sig = ""  # previous significant token
    for m in TOKEN_RE.finditer(text):
        tok = m.group(0)
        ident = m.group(4)
        if ident and ident.lower() in names and prev_sig != ".":
            out.append(names[ident.lower()])
        else:
            out.append(tok)
        if not (m.group(5) and tok.isspace()) and not m.group(3):
            prev_sig = tok
    return "".join(out)


# ------------------------------------------------------------------------------------------------
# TAP
# ------------------------------------------------------------------------------------------------


class TapError(Exception):
    pass


def run_sync(tap_url: str, query: str, timeout: float = 180.0) -> bytes:
    data = urllib.parse.urlencode(
        {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": "json", "MAXREC": "1000000"}
    ).encode("utf-8")
    req = urllib.request.Request(tap_url.rstrip("/") + "/sync", data=data, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            votable_rows(body)
        except TapError as inner:
            raise TapError(f"HTTP {e.code}: {inner}") from None
        raise TapError(f"HTTP {e.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        raise SystemExit(f"cannot reach {tap_url}: {e} (start it with: bash tests/dachs/setup.sh)") from None


def q(tag: str) -> str:
    return f"{{{VOT_NS}}}{tag}"


def _fmt_json(v, float32: bool) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return None  # NaN is how VO formats spell NULL in float columns
        if float32:
            # PostgreSQL prints float4 as its shortest round-trip decimal; give the exact binary value
            v = struct.unpack("<f", struct.pack("<f", v))[0]
        return repr(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):  # geometry (DALI arrays) and other arrays
        parts = [_fmt_json(x, float32) for x in v]
        return " ".join("" if p is None else p for p in parts)
    return json.dumps(v, ensure_ascii=False)


def json_rows(body: bytes) -> tuple[list[str], list[list[str | None]]]:
    """Parse DaCHS's JSON result (or the VOTable error document it sends instead)."""
    text = body.lstrip()
    if text.startswith(b"<"):
        votable_rows(body)  # raises TapError for error documents
        raise TapError("expected JSON, got a VOTable without an error status")
    try:
        doc = json.loads(body)
    except ValueError as e:
        raise TapError(f"not JSON ({e}): {body[:200]!r}") from None
    if doc.get("queryStatus") == "OVERFLOW":
        raise TapError("queryStatus OVERFLOW: result truncated")
    if doc.get("queryStatus") not in (None, "OK"):
        raise TapError(f"queryStatus {doc.get('queryStatus')}")
    cols = doc.get("columns")
    if not isinstance(cols, list) or not isinstance(doc.get("data"), list):
        raise TapError("JSON answer without columns/data")
    names = [c.get("name", "") for c in cols]
    f32 = [c.get("datatype") == "float" for c in cols]
    rows = [[_fmt_json(v, f) for v, f in zip(row, f32, strict=True)] for row in doc["data"]]
    return names, rows


def votable_rows(body: bytes) -> tuple[list[str], list[list[str | None]]]:
    """Parse a TABLEDATA VOTable into (column names, rows); raise TapError for error documents
    and truncated (OVERFLOW) answers."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise TapError(f"not XML ({e}): {body[:200]!r}") from None
    if root.tag != q("VOTABLE"):
        raise TapError(f"not a VOTable: root element {root.tag}")
    statuses = [(i.get("value"), (i.text or "").strip()) for i in root.iter(q("INFO")) if i.get("name") == "QUERY_STATUS"]
    if statuses and statuses[-1][0] == "ERROR":
        raise TapError(statuses[-1][1] or "QUERY_STATUS=ERROR")
    if any(st == "OVERFLOW" for st, _ in statuses):
        raise TapError("QUERY_STATUS=OVERFLOW: result truncated")
    table = next(root.iter(q("TABLE")), None)
    if table is None:
        raise TapError("no TABLE in the answer")
    fields = table.findall(q("FIELD"))
    names = [f.get("name") or "" for f in fields]
    kinds = []
    for f in fields:
        values = f.find(q("VALUES"))
        kinds.append((f.get("datatype"), f.get("arraysize"), values.get("null") if values is not None else None))
    rows: list[list[str | None]] = []
    for tr in table.iter(q("TR")):
        row: list[str | None] = []
        for (datatype, arraysize, null), td in zip(kinds, tr.findall(q("TD")), strict=True):
            text = td.text
            if text is None or text == "" or (null is not None and text.strip() == null):
                row.append(None)
            elif datatype in FLOAT_TYPES and arraysize is None and text.strip().lower() == "nan":
                row.append(None)
            else:
                row.append(text.strip() if datatype not in ("char", "unicodeChar") else text)
        rows.append(row)
    return names, rows


def to_csv(names: list[str], rows: list[list[str | None]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# comparison for --check (same rules as tests/corpus_vs_dachs.rs)
# ------------------------------------------------------------------------------------------------


def cells_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        xs, ys = a.split(), b.split()
        if len(xs) > 1 and len(xs) == len(ys):
            return all(cells_equal(p, r) for p, r in zip(xs, ys))
        return False
    return abs(x - y) <= max(1e-9 * max(abs(x), abs(y)), 1e-12)


def tables_equal(exp: str, got: str, ordered: bool) -> str | None:
    e = list(csv.reader(io.StringIO(exp)))
    g = list(csv.reader(io.StringIO(got)))
    if not e or not g:
        return "empty CSV"
    if [c.lower() for c in e[0]] != [c.lower() for c in g[0]]:
        return f"columns differ: {e[0]} vs {g[0]}"
    er, gr = e[1:], g[1:]
    if len(er) != len(gr):
        return f"{len(er)} rows expected, {len(gr)} got"
    if not ordered:
        er, gr = sorted(er), sorted(gr)
    for i, (x, y) in enumerate(zip(er, gr)):
        if len(x) != len(y) or not all(cells_equal(p, r) for p, r in zip(x, y)):
            return f"row {i + 1}: expected {x}, got {y}"
    return None


# ------------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Record DaCHS's answers to tests/corpus/*.adql")
    ap.add_argument("--check", action="store_true", help="compare with expected/ instead of writing")
    ap.add_argument("--only", default="*", help="fnmatch pattern on query names")
    ap.add_argument("--list", action="store_true", help="list the queries and exit")
    ap.add_argument("--show", action="store_true", help="print the rewritten query text")
    ap.add_argument("--jobs", type=int, default=2, help="queries sent in parallel (default 2)")
    args = ap.parse_args(argv)

    tap_url = os.environ.get("ADQL_TEST_TAP_URL", "http://localhost:8080/tap").strip() or "http://localhost:8080/tap"
    queries = [x for x in load_corpus() if fnmatch.fnmatch(x.name, args.only)]
    excluded = load_exclusions()
    names = table_map()
    if args.list:
        for x in queries:
            flag = "EXCLUDED" if x.name in excluded else ("ordered" if x.ordered else "unordered")
            print(f"{x.name}\t{x.file.name}:{x.line}\t{flag}")
        return 0

    EXPECTED.mkdir(exist_ok=True)
    failures: list[str] = []
    written = unchanged = 0
    slow: list[tuple[float, str]] = []
    t0 = time.time()
    todo = [x for x in queries if x.name not in excluded]
    skipped = len(queries) - len(todo)

    def fetch(x: Query):
        text = qualify(x.text, names)
        tq = time.time()
        try:
            result = json_rows(run_sync(tap_url, text))
        except TapError as e:
            result = e
        return text, time.time() - tq, result

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        answers = list(pool.map(fetch, todo))

    for x, (text, dt_q, result) in zip(todo, answers):
        slow.append((dt_q, x.name))
        if args.show:
            print(f"-- {x.name}\n{text}\n")
        if isinstance(result, TapError):
            e = result
            if x.error:
                got = f"{e}\n"
                out = EXPECTED / f"{x.name}.error"
                if args.check:
                    if out.exists():
                        unchanged += 1
                    else:
                        failures.append(f"{x.name}: no expected/{out.name}")
                elif out.exists() and out.read_text(encoding="utf-8") == got:
                    unchanged += 1
                else:
                    out.write_text(got, encoding="utf-8")
                    written += 1
                continue
            failures.append(f"{x.name} ({x.file.name}:{x.line}): DaCHS error: {e}")
            continue
        names_, rows = result
        if x.error:
            failures.append(f"{x.name} ({x.file.name}:{x.line}): expected an error, DaCHS answered {len(rows)} rows")
            continue
        got = to_csv(names_, rows)
        out = EXPECTED / f"{x.name}.csv"
        if args.check:
            if not out.exists():
                failures.append(f"{x.name}: no expected/{out.name}")
                continue
            diff = tables_equal(out.read_text(encoding="utf-8"), got, x.ordered)
            if diff:
                failures.append(f"{x.name}: differs from expected/{out.name}: {diff}")
            else:
                unchanged += 1
            continue
        if out.exists() and out.read_text(encoding="utf-8") == got:
            unchanged += 1
        else:
            out.write_text(got, encoding="utf-8")
            written += 1
    if not args.check and args.only == "*":
        known = {x.name for x in queries}
        for stale in [*EXPECTED.glob("*.csv"), *EXPECTED.glob("*.error")]:
            errs = {x.name for x in queries if x.error}
            if stale.stem not in known or stale.stem in excluded or (stale.suffix == ".csv") == (stale.stem in errs):
                stale.unlink()
                print(f"removed stale {stale.relative_to(ROOT)}")
    dt = time.time() - t0
    verb = "matched" if args.check else "unchanged"
    print(
        f"{len(queries)} queries: {written} written, {unchanged} {verb}, {skipped} excluded, "
        f"{len(failures)} failed ({dt:.1f}s against {tap_url})"
    )
    for dt_q, name in sorted(slow, reverse=True)[:5]:
        if dt_q > 2.0:
            print(f"slow: {name} {dt_q:.1f}s")
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
