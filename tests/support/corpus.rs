//! The ADQL result-comparison corpus (`tests/corpus/`): reading the queries, the recorded DaCHS
//! answers and the test-table catalogue, and comparing two CSV results.
//!
//! Dependency-free (std only) so any test can include it: `mod support;` then `support::corpus`.
//! The rules mirror `tests/corpus/record.py --check`:
//!
//! * column names are compared case-insensitively;
//! * an empty field is NULL (the CSV files cannot tell NULL from an empty string);
//! * two cells are equal when their text is equal, or both parse as numbers that agree to 1e-9
//!   relative (or 1e-12 absolute, for results that should be 0), or both are space-separated
//!   number lists (geometry in DALI form) that agree element-wise;
//! * `true`/`false` equal `1`/`0` (DaCHS answers CONTAINS and INTERSECTS with 1/0);
//! * a REAL printed as a shortest decimal of its float32 (`19.382812`, as the engine's CSV writer does)
//!   equals the exact decimal of the same float32 widened to double (`19.3828125`, as recorded);
//! * a query may widen the absolute tolerance with `-- tolerance: <number>` (for geometry columns, which
//!   pgsphere stores to about 3e-9 degrees; see tests/corpus/README.md);
//! * rows are compared in order when the query's ORDER BY fixes it (`-- ordered: yes`), otherwise
//!   as multisets.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Relative tolerance for numbers.
pub const REL_TOL: f64 = 1e-9;
/// Absolute tolerance for numbers near zero.
pub const ABS_TOL: f64 = 1e-12;

/// One query of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusQuery {
    /// Unique name; the recorded answer is `expected/<name>.csv` (or `.error`).
    pub name: String,
    /// The `.adql` file holding the query.
    pub file: PathBuf,
    /// The line of its `-- name:` header.
    pub line: usize,
    /// What the query checks.
    pub checks: String,
    /// Whether ORDER BY fixes the row order.
    pub ordered: bool,
    /// `-- expect: error`: the query must fail.
    pub expect_error: bool,
    /// `-- tolerance: <number>`: the absolute tolerance for numbers, when wider than [`ABS_TOL`].
    pub abs_tol: Option<f64>,
    /// The query text with unqualified table names.
    pub text: String,
}

/// A table of the test catalogue (`tests/data/columns.tsv`).
#[derive(Debug, Clone)]
pub struct TestTable {
    /// Unqualified name, as the local engine registers it.
    pub name: String,
    /// Path of the CSV file relative to the repository root.
    pub file: String,
    /// Where DaCHS serves it (`schema.table`).
    pub dachs: String,
    /// Its columns, in file order.
    pub columns: Vec<TestColumn>,
}

/// A column of a test table.
#[derive(Debug, Clone)]
pub struct TestColumn {
    /// Column name (case as in ADQL; `Mag` is the delimited identifier `"Mag"`).
    pub name: String,
    /// ADQL type: SMALLINT, INTEGER, BIGINT, REAL, DOUBLE, VARCHAR, TIMESTAMP, POINT, CIRCLE, POLYGON.
    pub adql_type: String,
    /// VOUnit, empty when none.
    pub unit: String,
    /// DALI xtype (`point`, `circle`, `polygon`, `timestamp`), empty when none.
    pub xtype: String,
}

/// `tests/corpus` under `root`.
pub fn corpus_dir(root: &Path) -> PathBuf {
    root.join("tests").join("corpus")
}

/// Every query of `tests/corpus/*.adql`, in file order.
///
/// # Panics
/// On a malformed corpus file (missing headers, duplicate names): the corpus is test input.
pub fn load_queries(root: &Path) -> Vec<CorpusQuery> {
    let dir = corpus_dir(root);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "adql"))
        .collect();
    files.sort();
    let mut out: Vec<CorpusQuery> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let mut cur: Option<(CorpusQuery, Vec<String>, Option<String>)> = None;
        let finish = |cur: Option<(CorpusQuery, Vec<String>, Option<String>)>,
                      out: &mut Vec<CorpusQuery>| {
            if let Some((mut q, lines, ordered)) = cur {
                let body = lines.join("\n");
                let body = body.trim().trim_end_matches(';').trim().to_string();
                assert!(
                    !body.is_empty(),
                    "{}:{}: query {} has no text",
                    q.file.display(),
                    q.line,
                    q.name
                );
                assert!(
                    !q.checks.is_empty(),
                    "{}:{}: query {} lacks '-- checks:'",
                    q.file.display(),
                    q.line,
                    q.name
                );
                q.ordered = match ordered.as_deref() {
                    Some("yes") => true,
                    Some("no") => false,
                    _ => panic!(
                        "{}:{}: query {} lacks '-- ordered: yes|no'",
                        q.file.display(),
                        q.line,
                        q.name
                    ),
                };
                q.text = body;
                assert!(
                    !out.iter().any(|o| o.name == q.name),
                    "duplicate corpus query name {}",
                    q.name
                );
                out.push(q);
            }
        };
        for (i, raw) in text.lines().enumerate() {
            let trimmed = raw.trim_start();
            if let Some(rest) = trimmed.strip_prefix("--") {
                let rest = rest.trim();
                if let Some((key, value)) = rest.split_once(':') {
                    let (key, value) = (key.trim(), value.trim());
                    match key {
                        "name" => {
                            finish(cur.take(), &mut out);
                            cur = Some((
                                CorpusQuery {
                                    name: value.to_string(),
                                    file: file.clone(),
                                    line: i + 1,
                                    checks: String::new(),
                                    ordered: false,
                                    expect_error: false,
                                    abs_tol: None,
                                    text: String::new(),
                                },
                                Vec::new(),
                                None,
                            ));
                            continue;
                        }
                        "checks" | "ordered" | "expect" | "tolerance" if cur.is_some() => {
                            if let Some((q, _, ordered)) = cur.as_mut() {
                                match key {
                                    "checks" => q.checks = value.to_string(),
                                    "ordered" => *ordered = Some(value.to_string()),
                                    "tolerance" => {
                                        q.abs_tol = Some(value.parse().unwrap_or_else(|_| {
                                            panic!(
                                                "{}:{}: '-- tolerance:' needs a number, got {value:?}",
                                                q.file.display(),
                                                i + 1
                                            )
                                        }));
                                    }
                                    _ => q.expect_error = value == "error",
                                }
                            }
                            continue;
                        }
                        _ => {}
                    }
                }
                continue; // other comments
            }
            if let Some((_, lines, _)) = cur.as_mut() {
                lines.push(raw.to_string());
            }
        }
        finish(cur.take(), &mut out);
    }
    out
}

/// `tests/corpus/exclusions.txt`: query name → why DaCHS's answer is not the reference.
pub fn load_exclusions(root: &Path) -> HashMap<String, String> {
    name_reason_file(&corpus_dir(root).join("exclusions.txt"))
}

/// A `name<TAB>reason` file (`#` comments, blank lines ignored); empty when absent.
pub fn name_reason_file(path: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once('\t').unwrap_or((l, ""));
            (name.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

/// The recorded answer of `query`: `Ok(csv)` or `Err(error message)` for `-- expect: error`.
pub fn expected(root: &Path, query: &CorpusQuery) -> Option<Result<String, String>> {
    let dir = corpus_dir(root).join("expected");
    if query.expect_error {
        std::fs::read_to_string(dir.join(format!("{}.error", query.name)))
            .ok()
            .map(Err)
    } else {
        std::fs::read_to_string(dir.join(format!("{}.csv", query.name)))
            .ok()
            .map(Ok)
    }
}

/// The test tables (`tests/data/columns.tsv`, written by `tests/data/generate.py`).
///
/// # Panics
/// When the file is missing or malformed.
pub fn load_tables(root: &Path) -> Vec<TestTable> {
    let path = root.join("tests").join("data").join("columns.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut tables: Vec<TestTable> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() == 7, "{}: bad line {line:?}", path.display());
        let column = TestColumn {
            name: f[3].to_string(),
            adql_type: f[4].to_string(),
            unit: f[5].to_string(),
            xtype: f[6].to_string(),
        };
        match tables.iter_mut().find(|t| t.name == f[0]) {
            Some(t) => t.columns.push(column),
            None => tables.push(TestTable {
                name: f[0].to_string(),
                file: f[1].to_string(),
                dachs: f[2].to_string(),
                columns: vec![column],
            }),
        }
    }
    tables
}

/// Command-line arguments registering every test table with `adql query`: `--table NAME=PATH`.
///
/// The tables must be those of [`typed_tables`]: their declared types, units and xtypes come from the
/// schema sidecar next to each file, not from `--unit` options.
pub fn engine_table_args(root: &Path, tables: &[TestTable]) -> Vec<String> {
    let mut args = Vec::new();
    for t in tables {
        args.push("--table".to_string());
        args.push(format!("{}={}", t.name, root.join(&t.file).display()));
    }
    args
}

/// The schema sidecar (`NAME.schema.json`, read by `adql query --table`) declaring `table`'s columns as
/// `tests/data/columns.tsv` does: ADQL type, unit and xtype.
pub fn schema_sidecar(table: &TestTable) -> String {
    let quote = |s: &str| {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let mut fields = vec![
                format!("\"name\": {}", quote(&c.name)),
                format!("\"type\": {}", quote(&c.adql_type)),
            ];
            if !c.unit.is_empty() {
                fields.push(format!("\"unit\": {}", quote(&c.unit)));
            }
            if !c.xtype.is_empty() {
                fields.push(format!("\"xtype\": {}", quote(&c.xtype)));
            }
            format!("    {{{}}}", fields.join(", "))
        })
        .collect();
    format!("{{\n  \"columns\": [\n{}\n  ]\n}}\n", columns.join(",\n"))
}

/// Copies of the test tables in `dir`, each with its schema sidecar ([`schema_sidecar`]), so that the
/// engine reads them with their declared types (as DaCHS has them) instead of types inferred from the CSV.
/// The returned tables' `file` is the absolute path of the copy.
///
/// # Panics
/// When a file cannot be copied or written.
pub fn typed_tables(root: &Path, tables: &[TestTable], dir: &Path) -> Vec<TestTable> {
    tables
        .iter()
        .map(|t| {
            let source = root.join(&t.file);
            let copy = dir.join(format!("{}.csv", t.name));
            std::fs::copy(&source, &copy)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", source.display()));
            let sidecar = dir.join(format!("{}.schema.json", t.name));
            std::fs::write(&sidecar, schema_sidecar(t))
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", sidecar.display()));
            TestTable {
                file: copy.display().to_string(),
                ..t.clone()
            }
        })
        .collect()
}

/// Parses CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) into rows of fields.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    match t {
        "true" => Some(1.0),
        "false" => Some(0.0),
        _ => t.parse::<f64>().ok(),
    }
}

/// Whether two CSV cells are equal under the corpus rules (see the module documentation).
pub fn cells_equal(expected: &str, actual: &str) -> bool {
    cells_equal_within(expected, actual, ABS_TOL)
}

/// [`cells_equal`] with the absolute tolerance `abs_tol` for numbers.
pub fn cells_equal_within(expected: &str, actual: &str, abs_tol: f64) -> bool {
    if expected == actual {
        return true;
    }
    if let (Some(x), Some(y)) = (number(expected), number(actual)) {
        return x == y
            || (x - y).abs() <= (REL_TOL * x.abs().max(y.abs())).max(abs_tol)
            || same_float32(expected, y)
            || same_float32(actual, x);
    }
    let xs: Vec<&str> = expected.split_whitespace().collect();
    let ys: Vec<&str> = actual.split_whitespace().collect();
    if xs.len() > 1 && xs.len() == ys.len() && xs.iter().all(|v| number(v).is_some()) {
        return xs
            .iter()
            .zip(&ys)
            .all(|(a, b)| cells_equal_within(a, b, abs_tol));
    }
    false
}

/// Whether `short` is a float32 printed with at most 9 significant digits (enough for any float32; a
/// double result prints more) whose exact value is `exact`: the same REAL printed two ways (shortest float32
/// text, or widened to double), not two different numbers. (Where two shortest texts are equally close,
/// writers differ: `19.382812` and `19.382813` both denote the float32 19.3828125.)
fn same_float32(short: &str, exact: f64) -> bool {
    let text = short.trim();
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let digits = mantissa
        .trim_start_matches(['-', '+'])
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits.trim_start_matches('0').len();
    if significant > 9 {
        return false;
    }
    match text.parse::<f32>() {
        Ok(f) if f.is_finite() => f64::from(f) == exact,
        _ => false,
    }
}

/// Compares two CSV results; `Err` says where they differ.
///
/// # Errors
/// A description of the first difference: header, row count, or the first differing row.
pub fn compare_csv(expected: &str, actual: &str, ordered: bool) -> Result<(), String> {
    compare_csv_within(expected, actual, ordered, ABS_TOL)
}

/// [`compare_csv`] with the absolute tolerance `abs_tol` for numbers.
///
/// # Errors
/// As [`compare_csv`].
pub fn compare_csv_within(
    expected: &str,
    actual: &str,
    ordered: bool,
    abs_tol: f64,
) -> Result<(), String> {
    let e = parse_csv(expected);
    let a = parse_csv(actual);
    let (Some(eh), Some(ah)) = (e.first(), a.first()) else {
        return Err(format!(
            "empty CSV (expected {} lines, got {})",
            e.len(),
            a.len()
        ));
    };
    let lower = |h: &Vec<String>| h.iter().map(|c| c.to_lowercase()).collect::<Vec<_>>();
    if lower(eh) != lower(ah) {
        return Err(format!("columns differ: expected {eh:?}, got {ah:?}"));
    }
    let mut er: Vec<Vec<String>> = e[1..].to_vec();
    let mut ar: Vec<Vec<String>> = a[1..].to_vec();
    if er.len() != ar.len() {
        return Err(format!("expected {} rows, got {}", er.len(), ar.len()));
    }
    if !ordered {
        er.sort_by(|x, y| row_order(x, y));
        ar.sort_by(|x, y| row_order(x, y));
    }
    for (i, (x, y)) in er.iter().zip(&ar).enumerate() {
        if x.len() != y.len()
            || !x
                .iter()
                .zip(y)
                .all(|(p, q)| cells_equal_within(p, q, abs_tol))
        {
            let mut msg = String::new();
            let _ = write!(msg, "row {} differs: expected {x:?}, got {y:?}", i + 1);
            if !ordered {
                msg.push_str(" (rows sorted: the query has no fixed order)");
            }
            return Err(msg);
        }
    }
    Ok(())
}

/// A total order on rows that puts numerically equal cells together (numbers by value, then text).
fn row_order(x: &[String], y: &[String]) -> std::cmp::Ordering {
    for (p, q) in x.iter().zip(y) {
        let o = match (number(p), number(q)) {
            (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
            _ => p.cmp(q),
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len())
}
