//! The local engine gives the same answers as DaCHS: every query of the ADQL corpus
//! (`tests/corpus/*.adql`) is run with `adql query --format csv` over the test tables
//! (`tests/data/*.csv`, `data/*.csv`, read with their declared types through schema sidecars written from
//! `tests/data/columns.tsv`) and compared with DaCHS's recorded answer
//! (`tests/corpus/expected/<name>.csv`, made by `tests/corpus/record.py`).
//!
//! Comparison rules: `tests/support/corpus.rs` (numbers to 1e-9 relative, row order only where
//! ORDER BY fixes it, empty field = NULL). Queries in `tests/corpus/exclusions.txt` have no
//! reference answer (DaCHS rejects them or deviates from the standard): they only must not crash
//! the engine. Queries in `tests/corpus/engine_known_failures.txt` (name, tab, reason) are known
//! engine gaps: their mismatches are reported but do not fail the test; a listed query that now
//! matches is reported so that the list can shrink.
//!
//! No server is needed: the answers are committed. `ADQL_CORPUS_ONLY=<substring>` runs a subset;
//! `ADQL_CORPUS_WRITE_KNOWN=1` rewrites `engine_known_failures.txt` from the current run instead of
//! failing; `python3 tests/corpus/record.py --check` re-checks the recorded answers against a live
//! DaCHS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use support::corpus::{self, CorpusQuery, TestTable};

/// What happened to one query.
enum Outcome {
    Match,
    /// Mismatch, engine error or crash, with the explanation.
    Fail(String),
    /// An excluded query (no reference) that ran without crashing.
    Unchecked,
}

fn mentioned_tables<'a>(query: &CorpusQuery, tables: &'a [TestTable]) -> Vec<&'a TestTable> {
    let words: Vec<String> = query
        .text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    tables.iter().filter(|t| words.contains(&t.name)).collect()
}

fn run_engine(
    root: &Path,
    query: &CorpusQuery,
    tables: &[TestTable],
) -> std::io::Result<std::process::Output> {
    let used: Vec<TestTable> = mentioned_tables(query, tables)
        .into_iter()
        .cloned()
        .collect();
    Command::new(env!("CARGO_BIN_EXE_adql"))
        .arg("query")
        .args(corpus::engine_table_args(root, &used))
        .args(["--format", "csv"])
        .arg(&query.text)
        .current_dir(root)
        .output()
}

fn check_one(root: &Path, query: &CorpusQuery, tables: &[TestTable], excluded: bool) -> Outcome {
    let output = match run_engine(root, query, tables) {
        Ok(o) => o,
        Err(e) => return Outcome::Fail(format!("cannot run adql: {e}")),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    let crashed =
        output.status.code().is_none_or(|c| c != 0 && c != 1) || stderr.contains("panicked at");
    if crashed {
        return Outcome::Fail(format!(
            "engine crashed ({:?}): {stderr}",
            output.status.code()
        ));
    }
    if excluded {
        return Outcome::Unchecked;
    }
    let Some(expected) = corpus::expected(root, query) else {
        return Outcome::Fail(
            "no recorded answer in tests/corpus/expected (run tests/corpus/record.py)".to_string(),
        );
    };
    match expected {
        Err(dachs_message) => {
            if output.status.success() {
                Outcome::Fail(format!(
                    "expected an error (DaCHS: {}), the engine answered",
                    dachs_message.trim()
                ))
            } else {
                Outcome::Match
            }
        }
        Ok(csv) => {
            if !output.status.success() {
                return Outcome::Fail(format!("engine error: {stderr}"));
            }
            let actual = String::from_utf8_lossy(&output.stdout);
            let abs_tol = query.abs_tol.unwrap_or(corpus::ABS_TOL);
            match corpus::compare_csv_within(&csv, &actual, query.ordered, abs_tol) {
                Ok(()) => Outcome::Match,
                Err(diff) => Outcome::Fail(diff),
            }
        }
    }
}

#[test]
fn corpus_matches_dachs() {
    let root = support::dachs::repo_root();
    let only = std::env::var("ADQL_CORPUS_ONLY").unwrap_or_default();
    let queries: Vec<CorpusQuery> = corpus::load_queries(&root)
        .into_iter()
        .filter(|q| only.is_empty() || q.name.contains(&only))
        .collect();
    assert!(
        only.is_empty() || !queries.is_empty(),
        "ADQL_CORPUS_ONLY={only} matches no query"
    );
    let exclusions = corpus::load_exclusions(&root);
    let known =
        corpus::name_reason_file(&corpus::corpus_dir(&root).join("engine_known_failures.txt"));
    // The engine reads copies of the tables with schema sidecars: the declared types, as DaCHS has them.
    let typed_dir = tempfile::tempdir().unwrap();
    let tables = corpus::typed_tables(&root, &corpus::load_tables(&root), typed_dir.path());

    let results: Mutex<HashMap<String, Outcome>> = Mutex::new(HashMap::new());
    let next = Mutex::new(0usize);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(q) = queries.get(i) else { break };
                    let outcome = check_one(&root, q, &tables, exclusions.contains_key(&q.name));
                    results.lock().unwrap().insert(q.name.clone(), outcome);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();

    let mut matched = 0;
    let mut unchecked = 0;
    let mut new_failures = Vec::new();
    let mut known_failures = 0;
    let mut fixed = Vec::new();
    for q in &queries {
        let where_ = format!(
            "{}:{}",
            q.file.file_name().unwrap().to_string_lossy(),
            q.line
        );
        match &results[&q.name] {
            Outcome::Match => {
                matched += 1;
                if known.contains_key(&q.name) {
                    fixed.push(q.name.clone());
                }
            }
            Outcome::Unchecked => unchecked += 1,
            Outcome::Fail(why) if known.contains_key(&q.name) => {
                known_failures += 1;
                eprintln!("known failure {} ({where_}): {why}", q.name);
            }
            Outcome::Fail(why) => new_failures.push(format!(
                "{} ({where_}; checks: {}): {why}",
                q.name, q.checks
            )),
        }
    }
    eprintln!(
        "corpus: {} queries, {matched} match DaCHS, {unchecked} excluded (ran without crashing), \
         {known_failures} known engine failures, {} new failures",
        queries.len(),
        new_failures.len()
    );
    for name in &fixed {
        eprintln!("now matching, remove from tests/corpus/engine_known_failures.txt: {name}");
    }
    if std::env::var("ADQL_CORPUS_WRITE_KNOWN").is_ok_and(|v| v == "1") {
        // Rewrite the known-failure list from this run (full runs only).
        assert!(
            only.is_empty(),
            "ADQL_CORPUS_WRITE_KNOWN=1 needs a full run (unset ADQL_CORPUS_ONLY)"
        );
        let mut text = String::from(
            "# Corpus queries the local engine does not (yet) answer like DaCHS: <name><TAB><first difference>.\n\
             # Written by ADQL_CORPUS_WRITE_KNOWN=1 cargo test --test end_to_end corpus_vs_dachs::; shrink it, never grow it silently.\n",
        );
        for q in &queries {
            if let Outcome::Fail(why) = &results[&q.name] {
                let line: String = why.lines().next().unwrap_or("").chars().take(300).collect();
                text.push_str(&format!("{}\t{}\n", q.name, line.replace('\t', " ")));
            }
        }
        let path = corpus::corpus_dir(&root).join("engine_known_failures.txt");
        std::fs::write(&path, text).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    assert!(
        new_failures.is_empty(),
        "{} corpus queries disagree with DaCHS:\n{}",
        new_failures.len(),
        new_failures.join("\n")
    );
}
