//! The parser never panics and never overflows the stack: random input, mutated real queries and absurdly
//! deep nesting all give `Ok` or `Err`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use adql_syntax::{Extensions, ParseOptions, parse, parse_with};
use proptest::prelude::*;

fn all_extensions() -> ParseOptions {
    ParseOptions {
        extensions: Extensions {
            hex_literals: true,
            bitwise_operators: true,
        },
        ..ParseOptions::default()
    }
}

/// Parsing, and for accepted input printing and re-parsing, must not panic; errors must have a position.
fn exercise(text: &str) {
    for opts in [ParseOptions::default(), all_extensions()] {
        match parse_with(text, &opts) {
            Ok(q) => {
                let printed = q.to_string();
                let again = parse_with(&printed, &opts).unwrap_or_else(|e| {
                    panic!("printed form of {text:?} does not parse: {printed:?}: {e}")
                });
                assert_eq!(again, q, "round trip of {text:?} via {printed:?}");
            }
            Err(e) => {
                let (line, col) = e.line_col(text);
                assert!(line >= 1 && col >= 1);
                assert!(
                    e.span().start <= text.len() && e.span().end <= text.len(),
                    "{e:?} for {text:?}"
                );
                let _ = e.line_col(text);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_strings_never_panic(text in "\\PC{0,120}") {
        exercise(&text);
    }

    #[test]
    fn adql_flavoured_strings_never_panic(
        words in proptest::collection::vec(
            prop_oneof![
                Just("SELECT"), Just("FROM"), Just("WHERE"), Just("TOP"), Just("("), Just(")"), Just(","),
                Just("'a''b'"), Just("\"x\"\"y\""), Just("1.5e3"), Just(".5"), Just("a"), Just("t.b"), Just("*"),
                Just("="), Just("<>"), Just("AND"), Just("OR"), Just("NOT"), Just("IN"), Just("BETWEEN"),
                Just("JOIN"), Just("ON"), Just("UNION"), Just("ORDER BY"), Just("OFFSET"), Just("-"), Just("--"),
                Just("\n"), Just("POINT"), Just("CIRCLE"), Just("CONTAINS"), Just("COUNT"), Just("CAST"),
                Just("AS"), Just("WITH"), Just("IS NULL"), Just("||"), Just("0x1F"), Just("&"), Just("~"),
                Just("'"), Just("\""), Just(";"), Just("GROUP BY"), Just("HAVING"), Just("EXISTS"),
            ],
            0..40,
        )
    ) {
        exercise(&words.join(" "));
    }
}

/// Token-level and character-level mutations of every lyonetia query.
#[test]
fn mutated_lyonetia_queries_never_panic() {
    let Some(cases) = support::load_cases() else {
        println!(
            "skipping: the lyonetia suite is not at {}",
            support::suite_dir().display()
        );
        return;
    };
    // A fixed xorshift sequence: reproducible mutations without a random-number dependency.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound.max(1) as u64) as usize
    };
    let mut count = 0usize;
    for case in &cases {
        let tokens: Vec<&str> = case
            .adql
            .split_inclusive(|c: char| c.is_whitespace() || "(),=<>*".contains(c))
            .collect();
        let chars: Vec<char> = case.adql.chars().collect();
        for _ in 0..12 {
            let r = next(8);
            let a = next(tokens.len());
            let b = next(tokens.len());
            let c = next(chars.len());
            let mutated: String = match r {
                0 => tokens
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != a)
                    .map(|(_, t)| *t)
                    .collect(),
                1 => tokens
                    .iter()
                    .enumerate()
                    .flat_map(|(k, t)| if k == a { vec![*t, *t] } else { vec![*t] })
                    .collect(),
                2 => {
                    let mut t = tokens.clone();
                    if a < t.len() && b < t.len() {
                        t.swap(a, b);
                    }
                    t.concat()
                }
                3 => tokens
                    .iter()
                    .enumerate()
                    .flat_map(|(k, t)| {
                        if k == a {
                            vec![*t, tokens.get(b).copied().unwrap_or("")]
                        } else {
                            vec![*t]
                        }
                    })
                    .collect(),
                4 => chars
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != c)
                    .map(|(_, ch)| *ch)
                    .collect(),
                5 => chars
                    .iter()
                    .enumerate()
                    .flat_map(|(k, ch)| if k == c { vec![*ch, *ch] } else { vec![*ch] })
                    .collect(),
                6 => {
                    let mut v = chars.clone();
                    if c < v.len() {
                        v.insert(c, ['(', ')', '\'', '"', '-', ',', '.', '‘'][a % 8]);
                    }
                    v.into_iter().collect()
                }
                _ => chars.iter().take(c).collect(),
            };
            exercise(&mutated);
            count += 1;
        }
    }
    println!("{count} mutated queries parsed without panicking");
}

fn assert_depth_error(text: &str) {
    let err = parse(text).expect_err("must be rejected");
    assert!(
        err.message().contains("nested too deeply"),
        "{}",
        err.message()
    );
}

#[test]
fn deep_parentheses_give_the_depth_error() {
    let n = 10_000;
    assert_depth_error(&format!(
        "SELECT {}a{} FROM t",
        "(".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT a FROM t WHERE {}a = 1{}",
        "(".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT a FROM {}t{}",
        "(".repeat(n),
        ")".repeat(n)
    ));
    // Unterminated: the limit is reached before the end of the input is.
    assert_depth_error(&format!("SELECT {}", "(".repeat(n)));
}

#[test]
fn deep_operators_give_the_depth_error() {
    let n = 10_000;
    assert_depth_error(&format!("SELECT {}x FROM t", "- ".repeat(n)));
    assert_depth_error(&format!("SELECT {}x FROM t", "+".repeat(n)));
    assert_depth_error(&format!("SELECT a FROM t WHERE {}a = 1", "NOT ".repeat(n)));
    assert_depth_error(&format!("SELECT {} FROM t", vec!["a"; n].join(" + ")));
    assert_depth_error(&format!(
        "SELECT a FROM t WHERE {}",
        vec!["a = 1"; n].join(" OR ")
    ));
    assert_depth_error(&format!(
        "SELECT {}1{} FROM t",
        "ABS(".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT {}1{} FROM t",
        "ivo_f(".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT {}1{} FROM t",
        "CAST(".repeat(n),
        " AS INTEGER)".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT {}1{} FROM t",
        "COALESCE(".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT {}1{} FROM t",
        "POINT(1, ".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT {}1{} FROM t",
        "COUNT(DISTINCT ".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT a FROM t WHERE {}",
        "EXISTS (SELECT a FROM t WHERE ".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT a FROM t WHERE a IN {}",
        "(SELECT a FROM t WHERE a IN ".repeat(n)
    ));
    assert_depth_error(&format!("SELECT a FROM {}", "(SELECT a FROM ".repeat(n)));
    assert_depth_error(&format!(
        "{}SELECT a FROM t{}",
        "(".repeat(n),
        ")".repeat(n)
    ));
    assert_depth_error(&format!(
        "SELECT a FROM t{}",
        " UNION SELECT a FROM t".repeat(n)
    ));
    assert_depth_error(&format!("SELECT a FROM t{}", " JOIN u".repeat(n)));
}

#[test]
fn nesting_within_the_limit_is_accepted() {
    // Unoptimised builds have much larger stack frames and reach the parser's stack budget first.
    let n = if cfg!(debug_assertions) { 30 } else { 150 };
    let q = parse(&format!(
        "SELECT {}a{} FROM t",
        "(".repeat(n),
        ")".repeat(n)
    ))
    .unwrap();
    assert_eq!(q.to_string(), "SELECT a FROM t");
    let q = parse(&format!("SELECT {}x FROM t", "- ".repeat(n))).unwrap();
    assert_eq!(parse(&q.to_string()).unwrap(), q);
    let custom = ParseOptions {
        max_depth: 5,
        ..ParseOptions::default()
    };
    assert!(parse_with("SELECT ((((((a)))))) FROM t", &custom).is_err());
    assert!(parse_with("SELECT ((a)) FROM t", &custom).is_ok());
}
