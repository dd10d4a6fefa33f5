//! The engine never panics on a query that parses. Every query of the ADQL corpus, with some of its literals
//! and function names replaced by awkward values (NULL, ±1e308, a subnormal, the i64 extremes, latitudes
//! past the poles, empty and malformed STC-S strings, another function), is planned and run in process over
//! the typed test tables. Each must give rows or an error that says something; planning errors carry a position.
//!
//! The mutations are drawn from a fixed seed, so a failure names a query that reproduces it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use adql_engine::{AdqlSession, EngineError};
use support::corpus;

/// Mutated versions of each corpus query.
const MUTATIONS_PER_QUERY: usize = 4;

const NUMBERS: &[&str] = &[
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-320",
    "9223372036854775807",
    "-9223372036854775808",
    "2147483648",
    "-1",
    "360",
    "-90",
    "90.0000001",
    "NULL",
    "'x'",
];

const STRINGS: &[&str] = &[
    "''",
    "'x'",
    "'%'",
    "'deg'",
    "'Circle ICRS 10 10 1'",
    "'Circle ICRS 1 2 -1'",
    "'Polygon ICRS 1 2 3'",
    "'Union ICRS (Circle 1 1 1 Box 2 2 1 1)'",
    "'Not ICRS (Circle 1 2 3)'",
    "'Position ICRS 1 95'",
    "NULL",
    "0",
];

const FUNCTIONS: &[&str] = &[
    "ABS",
    "CEILING",
    "DEGREES",
    "EXP",
    "FLOOR",
    "LOG",
    "LOG10",
    "RADIANS",
    "SQRT",
    "SIN",
    "COS",
    "TAN",
    "ASIN",
    "ACOS",
    "ATAN",
    "COT",
    "LOWER",
    "UPPER",
    "COORD1",
    "COORD2",
    "AREA",
    "CENTROID",
    "COORDSYS",
    "TRUNCATE",
    "ROUND",
    "MOD",
    "POWER",
    "ATAN2",
    "DISTANCE",
    "CONTAINS",
    "INTERSECTS",
    "POINT",
    "CIRCLE",
    "BOX",
    "POLYGON",
    "REGION",
    "IN_UNIT",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
];

/// A small deterministic generator (xorshift64*), enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// What a token of the query can be replaced with.
#[derive(Clone, Copy)]
enum Kind {
    Number,
    String,
    Function,
}

/// The byte ranges of the numeric literals, string literals and function names of `text`.
fn mutable_tokens(text: &str) -> Vec<(Range<usize>, Kind)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            // A comment runs to the end of the line.
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'\'' {
            let start = i;
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push((start..i.min(bytes.len()), Kind::String));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || ((bytes[i] == b'-' || bytes[i] == b'+')
                        && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            out.push((start..i, Kind::Number));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = text[start..i].to_ascii_uppercase();
            let called = text[i..].trim_start().starts_with('(');
            if called && FUNCTIONS.contains(&word.as_str()) {
                out.push((start..i, Kind::Function));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// `text` with one or two of its tokens replaced.
fn mutate(text: &str, tokens: &[(Range<usize>, Kind)], rng: &mut Rng) -> String {
    let mut chosen: Vec<(Range<usize>, &str)> = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let (range, kind) = tokens[rng.below(tokens.len())].clone();
        let replacement = match kind {
            Kind::Number => rng.pick(NUMBERS),
            Kind::String => rng.pick(STRINGS),
            Kind::Function => rng.pick(FUNCTIONS),
        };
        if chosen.iter().all(|(r, _)| r.start != range.start) {
            chosen.push((range, replacement));
        }
    }
    chosen.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.to_owned();
    for (range, replacement) in chosen {
        out.replace_range(range, replacement);
    }
    out
}

/// Plans and runs `adql`; an error must render, and a planning error must have a position.
async fn run(session: &AdqlSession, adql: &str) -> Result<(), String> {
    let outcome = match session.query(adql).await {
        Ok(frame) => frame.collect().await.map(|_| ()).map_err(EngineError::from),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(err) => {
            if err.to_string().trim().is_empty() {
                return Err("an error that says nothing".to_owned());
            }
            if matches!(err, EngineError::Plan { .. } | EngineError::Syntax(_))
                && err.line_column(adql).is_none()
            {
                return Err(format!("a planning error without a position: {err}"));
            }
            Ok(())
        }
    }
}

#[test]
fn mutated_corpus_queries_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let queries = corpus::load_queries(root);
    assert!(queries.len() >= 200, "corpus not found");
    let typed_dir = tempfile::tempdir().unwrap();
    let tables = corpus::typed_tables(root, &corpus::load_tables(root), typed_dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let session = AdqlSession::new();
    for table in &tables {
        runtime
            .block_on(session.register_file(&table.name, Path::new(&table.file)))
            .unwrap_or_else(|e| panic!("{}: {e}", table.name));
    }

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ran, mut failures) = (0usize, Vec::new());
    for query in &queries {
        let tokens = mutable_tokens(&query.text);
        if tokens.is_empty() {
            continue;
        }
        for _ in 0..MUTATIONS_PER_QUERY {
            let adql = mutate(&query.text, &tokens, &mut rng);
            ran += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| runtime.block_on(run(&session, &adql))));
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(problem)) => failures.push(format!("{}: {problem}\n  {adql}", query.name)),
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    failures.push(format!("{}: panicked: {message}\n  {adql}", query.name));
                }
            }
        }
    }
    assert!(ran >= 4 * 200, "only {ran} mutated queries");
    assert!(
        failures.is_empty(),
        "{} of {ran} mutated queries failed badly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mutations_replace_whole_tokens() {
    let text = "SELECT ROUND(a, 2) FROM t WHERE s = 'it''s' AND b <= 1.5e-3 -- 7\n";
    let kinds: Vec<(&str, u8)> = mutable_tokens(text)
        .into_iter()
        .map(|(r, k)| (&text[r], k as u8))
        .collect();
    assert_eq!(
        kinds,
        [("ROUND", 2), ("2", 0), ("'it''s'", 1), ("1.5e-3", 0)]
    );
    let mut rng = Rng(1);
    let tokens = mutable_tokens(text);
    for _ in 0..50 {
        let mutated = mutate(text, &tokens, &mut rng);
        assert!(mutated.contains("<="), "{mutated}");
        assert_ne!(mutated, text);
    }
}
