#!/usr/bin/python3
"""Does DaCHS's ADQL parser accept what `adql fmt` prints?

For every lyonetia query marked valid that DaCHS's own parser (`gavo.adql.parseToTree`) accepts as written,
print it with `adql fmt` and parse the printed form with DaCHS again. Prints the counts and every failure;
exits 1 if DaCHS rejects any printed form, 0 otherwise (and 0 with a message when DaCHS or the suite is absent).

usage: /usr/bin/python3 tests/scripts/dachs_print_roundtrip.py [--adql BIN] [--suite DIR] [-v]

BIN is the `adql` binary: --adql, else $ADQL_BIN, else the one `cargo build --bin adql` produces (built here).
DIR defaults to <repo>/../shared/conformance/lyonetia/src/adql (the ivoa, gavo and roe folders).

DaCHS's parser is pure: it needs no database and no configuration, but it resolves function names while
parsing, so a query calling a UDF DaCHS does not know is rejected as written and is not round-tripped.
It runs in a temporary directory with GAVOSETTINGS and GAVOCUSTOM pointing at an empty settings file there,
so that the configuration of a DaCHS server on this machine (/etc/gavo.rc, ~/.gavorc) plays no part.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

REPO = pathlib.Path(__file__).resolve().parents[2]


def load_valid_queries(suite):
    """(file, index, text) of every <adql valid="true"> under the suite's folders, raw text kept."""
    out = []
    for folder in ("ivoa", "gavo", "roe"):
        for path in sorted((suite / folder).glob("*.xml")):
            index = 0
            for node in ET.parse(path).getroot().iter():
                if node.tag.split("}")[-1] != "adql":
                    continue
                index += 1
                if node.get("valid") == "true":
                    out.append((f"{folder}/{path.name}", index, node.text or ""))
    return out


def find_adql(explicit):
    if explicit:
        return explicit
    if os.environ.get("ADQL_BIN"):
        return os.environ["ADQL_BIN"]
    build = subprocess.run(
        ["cargo", "build", "--quiet", "--bin", "adql", "--message-format=json-render-diagnostics"],
        cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["target"]["name"] == "adql":
            return message["executable"]
    sys.exit("dachs_print_roundtrip: cargo built no `adql` executable")


def dachs_error(adql, text):
    """None when DaCHS parses `text`, else its error as one line."""
    try:
        adql.parseToTree(text)
        return None
    except Exception as exc:  # DaCHS raises several unrelated exception types for a bad query.
        return f"{type(exc).__name__}: {exc}".replace("\n", " ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adql", help="the adql binary")
    ap.add_argument("--suite", type=pathlib.Path,
                    default=REPO.parent / "shared/conformance/lyonetia/src/adql")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list the queries adql does not print")
    args = ap.parse_args()

    if not args.suite.is_dir():
        print(f"dachs_print_roundtrip: skipped, no lyonetia suite at {args.suite}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        settings = pathlib.Path(scratch) / "gavo.rc"
        settings.write_text("")
        os.environ["GAVOSETTINGS"] = os.environ["GAVOCUSTOM"] = str(settings)
        os.chdir(scratch)
        try:
            from gavo import adql
        except ImportError as exc:
            print(f"dachs_print_roundtrip: skipped, DaCHS's python package is not importable ({exc})")
            return 0
        binary = find_adql(args.adql)
        return roundtrip(adql, binary, load_valid_queries(args.suite), args.verbose)


def roundtrip(adql, binary, queries, verbose):
    dachs_rejects, not_printed, passed, failures = [], [], 0, []
    for where, index, text in queries:
        if dachs_error(adql, text) is not None:
            dachs_rejects.append((where, index))
            continue
        fmt = subprocess.run([binary, "fmt", "-"], input=text, capture_output=True, encoding="utf-8")
        if fmt.returncode != 0:
            not_printed.append((where, index, text, fmt.stderr.strip()))
            continue
        printed = fmt.stdout
        error = dachs_error(adql, printed)
        if error is None:
            passed += 1
        else:
            failures.append((where, index, text, printed, error))

    print(f"valid lyonetia queries: {len(queries)}")
    print(f"  rejected by DaCHS as written (not round-tripped): {len(dachs_rejects)}")
    print(f"  accepted by DaCHS, rejected by `adql fmt`: {len(not_printed)}")
    print(f"  printed by `adql fmt`, accepted by DaCHS: {passed}")
    print(f"  printed by `adql fmt`, REJECTED by DaCHS: {len(failures)}")
    if not_printed and verbose:
        print("\nqueries DaCHS accepts that adql rejects (see grammar/deviations.md):")
        for where, index, text, err in not_printed:
            print(f"--- {where} #{index}\n{text.strip()}\n{err}")
    for where, index, text, printed, error in failures:
        print(f"\nFAIL {where} #{index}\n  original: {' '.join(text.split())}\n"
              f"  printed:  {printed.strip()}\n  DaCHS:    {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
