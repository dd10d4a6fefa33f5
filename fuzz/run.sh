#!/usr/bin/env bash
# Runs the fuzz targets (cargo-fuzz, nightly), each for SECONDS (default 60), after seeding its corpus from
# the project's own inputs and, when present, ../shared (lyonetia and the real-world queries, the recorded
# service answers). A crash leaves its input in fuzz/artifacts/TARGET/ and fails the script.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(adql_parse votable_read stcs mashup_json uws_vosi)
shared=../../shared

# inline TARGET TEXT...: seeds written from literal texts (a clone without ../shared still has these).
inline() {
    local dir="corpus/$1"; shift
    mkdir -p "$dir"
    for s in "$@"; do
        printf '%s' "$s" > "$dir/$(printf '%s' "$s" | md5sum | cut -c1-12)"
    done
}

seed() { # seed TARGET FILES...
    local dir="corpus/$1"; shift
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] && cp -n "$f" "$dir/$(basename "$(dirname "$f")")_$(basename "$f")" 2>/dev/null || true
    done
}

for t in "${targets[@]}"; do
    case "$t" in
    adql_parse)
        seed "$t" ../tests/corpus/*.adql
        # The real-world queries (one per TSV row, newlines escaped) and lyonetia's (in XML test files).
        python3 - "$shared/conformance" "corpus/$t" <<'PY'
import glob, hashlib, os, re, sys, html
src, out = sys.argv[1], sys.argv[2]
texts = []
tsv = os.path.join(src, "realworld", "queries.tsv")
if os.path.exists(tsv):
    for line in open(tsv, encoding="utf-8").read().splitlines()[1:]:
        texts.append(line.split("\t")[-1].replace("\\n", "\n"))
for f in glob.glob(os.path.join(src, "lyonetia", "**", "*.xml"), recursive=True):
    texts += [html.unescape(q) for q in re.findall(r"<adql[^>]*>(.*?)</adql>", open(f, encoding="utf-8").read(), re.S)]
for t in texts:
    if t.strip():
        open(os.path.join(out, hashlib.md5(t.encode()).hexdigest()[:16]), "w", encoding="utf-8").write(t)
PY
        ;;
    votable_read)
        inline "$t" '<VOTABLE version="1.4"><RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE><FIELD name="a" datatype="int"/><FIELD name="s" datatype="char" arraysize="*"/><FIELD name="p" datatype="double" arraysize="2" xtype="point"/><DATA><TABLEDATA><TR><TD>1</TD><TD>x</TD><TD>1 2</TD></TR><TR><TD/><TD/><TD/></TR></TABLEDATA></DATA></TABLE><INFO name="QUERY_STATUS" value="OVERFLOW"/></RESOURCE></VOTABLE>' \
            '<VOTABLE version="1.4"><RESOURCE><TABLE><FIELD name="a" datatype="long"/><FIELD name="b" datatype="float" arraysize="*"/><DATA><BINARY2><STREAM encoding="base64">AAAAAAAAAAABAAAAAT+AAAA=</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>'
        seed "$t" $(find ../tests/data ../crates/votable-arrow/tests "$shared/fixtures" \( -name '*.vot' -o -name '*.xml' -o -name '*.votable' \) 2>/dev/null | head -500) ;;
    stcs)
        inline "$t" "Circle ICRS 10 20 1" "Polygon ICRS 0 0 1 0 1 1" "Box FK5 10 20 2 3" "Position GALACTIC 1 2" \
            "Union ICRS (Circle 1 2 3 Polygon 0 0 1 0 1 1)" "Not (Circle ICRS 1 2 3)" ;;
    mashup_json)
        seed "$t" $(find "$shared/fixtures" -name '*.json' 2>/dev/null | head -200) ;;
    uws_vosi)
        inline "$t" '<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink"><uws:jobId>a</uws:jobId><uws:phase>COMPLETED</uws:phase><uws:results><uws:result id="result" xlink:href="http://h/r"/></uws:results><uws:errorSummary><uws:message>m</uws:message></uws:errorSummary></uws:job>' \
            '<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0"><capability standardID="ivo://ivoa.net/std/TAP"><language><name>ADQL</name><version>2.1</version><languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo"><feature><form>CONTAINS</form></feature></languageFeatures></language><outputLimit><hard unit="row">10</hard></outputLimit><uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/></capability></vosi:capabilities>' \
            '<vosi:tableset xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0"><schema><name>s</name><table><name>s.t</name><column><name>ra</name><unit>deg</unit><ucd>pos.eq.ra</ucd><dataType arraysize="*">char</dataType></column></table></schema></vosi:tableset>'
        seed "$t" $(find "$shared/fixtures" ../crates/vo-client/tests \( -name '*.xml' \) 2>/dev/null | head -500) ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
    esac
    echo "==> $t for ${seconds} s ($(ls "corpus/$t" | wc -l) inputs in the corpus)"
    cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 2>&1 | grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|Test unit written)' || true
    if compgen -G "artifacts/$t/*" >/dev/null; then
        echo "$t: crashes in fuzz/artifacts/$t" >&2
        exit 1
    fi
done
