//! The command line's output and errors end to end (issue: the command line as pleasant as
//! datafusion-cli and duckdb): the format from `-o`'s extension, files that appear only when complete,
//! JSON nulls, the table (numbers right-aligned, NULL, units, row limit), and one error style for bad
//! CSV files, empty files, reserved words and unreachable hosts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::process::Output;

use support::cli::{adql, stars, stderr, stdout, write};

#[test]
fn the_output_format_comes_from_the_file_extension() {
    let dir = tempfile::tempdir().unwrap();
    for (name, magic) in [
        ("r.parquet", &b"PAR1"[..]),
        ("r.vot", &b"<?xml"[..]),
        ("r.json", &b"["[..]),
        ("r.csv", &b"star_id,gmag"[..]),
    ] {
        let path = dir.path().join(name);
        let out = adql(&[
            "query",
            "--table",
            &stars(),
            "-o",
            path.to_str().unwrap(),
            "SELECT TOP 3 star_id, gmag FROM stars ORDER BY star_id",
        ]);
        stdout(&out);
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(magic),
            "{name}: {:?}",
            &bytes[..8.min(bytes.len())]
        );
    }
    let unknown = adql(&[
        "query",
        "--table",
        &stars(),
        "-o",
        "r.dat",
        "SELECT TOP 1 star_id FROM stars",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("give --format"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn a_failed_query_leaves_no_file_and_keeps_an_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path(), "t.csv", "id,name\n1,a\n2,b\n");
    let table = format!("t={}", table.display());
    let fresh = dir.path().join("fresh.parquet");
    let kept = write(dir.path(), "kept.csv", "old\n");
    for path in [&fresh, &kept] {
        // The cast fails while rows are produced, after the output was opened.
        let out = adql(&[
            "query",
            "--table",
            &table,
            "-o",
            path.to_str().unwrap(),
            "SELECT CAST(name AS INTEGER) AS n FROM t",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    }
    assert!(!fresh.exists());
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "no partial file is left behind: {names:?}");
}

#[test]
fn json_writes_null() {
    let out = adql(&[
        "query",
        "--table",
        &stars(),
        "--format",
        "json",
        "SELECT TOP 1 star_id, bp_rp FROM stars WHERE bp_rp IS NULL",
    ]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(value[0]["bp_rp"], serde_json::Value::Null);
    assert!(value[0].as_object().unwrap().contains_key("bp_rp"));
}

#[test]
fn the_table_aligns_numbers_shows_null_and_units_and_counts_what_it_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(
        dir.path(),
        "t.csv",
        "id,mag[mag],name\n1,12.5,a\n22,,b\n333,7,c\n",
    );
    let out = adql(&[
        "query",
        "--table",
        &format!("t={}", table.display()),
        "--max-rows",
        "2",
        "SELECT id, mag, name FROM t ORDER BY id",
    ]);
    let expected = "\
+----+-------+------+
| id | mag   | name |
|    | [mag] |      |
+----+-------+------+
|  1 |  12.5 | a    |
| 22 |  NULL | b    |
+----+-------+------+
3 rows, 2 shown (--max-rows N shows N, 0 all)
";
    assert_eq!(stdout(&out), expected);
}

#[test]
fn the_bundled_tables_have_units() {
    // The user guide's first local example.
    let out = adql(&[
        "query",
        "--table",
        &stars(),
        "--format",
        "csv",
        "SELECT TOP 1 name, IN_UNIT(pmra, 'deg/yr') AS pmra_deg FROM stars WHERE gmag < 8 ORDER BY gmag",
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("name,pmra_deg\n"), "{text}");
}

#[test]
fn bad_and_empty_csv_files_are_named_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.csv", "a,b\n1,2\n3,4,5\n");
    let out = adql(&[
        "query",
        "--table",
        &format!("t={}", bad.display()),
        "SELECT * FROM t",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err,
        format!(
            "adql: error: cannot register {}: line 3: 3 fields, the header has 2\n",
            bad.display()
        )
    );
    let empty = write(dir.path(), "empty.csv", "");
    let out = adql(&[
        "query",
        "--table",
        &format!("t={}", empty.display()),
        "SELECT * FROM t",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout_is_empty(&out), "nothing printed for an empty file");
    assert!(
        stderr(&out).contains("the file is empty"),
        "{}",
        stderr(&out)
    );
}

fn stdout_is_empty(out: &Output) -> bool {
    out.stdout.is_empty()
}

#[test]
fn a_reserved_word_as_a_column_gets_the_quoting_hint() {
    let out = adql(&["query", "--table", &stars(), "SELECT distance FROM stars"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("adql: error: "), "{err}");
    assert!(err.contains("help: `distance` is a reserved word"), "{err}");
    assert!(err.contains("\"distance\""), "{err}");
}

#[test]
fn columns_differing_only_by_case_are_both_kept() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "v.csv", "id,Rmag,RMag\n1,12.5,-3.25\n");
    let vot = dir.path().join("v.vot");
    stdout(&adql(&[
        "query",
        "--table",
        &format!("v={}", csv.display()),
        "-o",
        vot.to_str().unwrap(),
        "SELECT * FROM v",
    ]));
    for file in [&csv, &vot] {
        let out = adql(&[
            "query",
            "--table",
            &format!("v={}", file.display()),
            "--format",
            "csv",
            "SELECT \"Rmag\", \"RMag\" FROM v",
        ]);
        assert_eq!(
            stdout(&out),
            "Rmag,RMag\n12.5,-3.25\n",
            "{}",
            file.display()
        );
        let out = adql(&[
            "query",
            "--table",
            &format!("v={}", file.display()),
            "SELECT rmag FROM v",
        ]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("ambiguous"), "{}", stderr(&out));
    }
}

#[test]
fn unreachable_hosts_fail_at_once_with_a_plain_message() {
    let started = std::time::Instant::now();
    let out = adql(&["tap", "http://127.0.0.1:1/tap", "SELECT a FROM t"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        stderr(&out),
        "adql: error: TAP: request to http://127.0.0.1:1/tap/sync failed: 127.0.0.1:1 refused the \
         connection (is the service running?)\n"
    );
    // Refused connections are not retried (they were, for 4-6 s).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // `.invalid` never resolves (RFC 6761).
    let out = adql(&["tap", "http://nonexistent.invalid/tap", "SELECT a FROM t"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).ends_with("failed: cannot resolve the host name nonexistent.invalid\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn errors_while_the_query_runs_have_no_library_prefixes() {
    for (query, said) in [
        (
            "SELECT 1/0 AS x FROM stars",
            "adql: error: division by zero\n",
        ),
        (
            "SELECT SQRT(-1) AS x FROM stars",
            "adql: error: cannot take square root of a negative number\n",
        ),
        (
            "SELECT CAST(name AS INTEGER) AS n FROM stars",
            "adql: error: Cannot cast string 'J034750+242444' to value of Int32 type\n",
        ),
    ] {
        let out = adql(&["query", "--table", &stars(), query]);
        assert_eq!(out.status.code(), Some(1), "{query}");
        assert_eq!(stderr(&out), said, "{query}");
    }
}
