//! `adql query` and `adql explain` end to end over local CSV and Parquet files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::process::Command;

use support::cli::{adql, stars, stdout, with_input, write};

#[test]
fn csv_query_with_top_order_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t.csv",
        "id,Mag[mag]\n1,12.5\n2,9.25\n3,15\n4,7\n",
    );
    let table = format!("t={}", path.display());
    let out = adql(&[
        "query",
        "--table",
        &table,
        "--format",
        "csv",
        "SELECT TOP 2 id, mag FROM t ORDER BY mag OFFSET 1",
    ]);
    assert_eq!(stdout(&out), "id,Mag\n2,9.25\n1,12.5\n");
}

#[test]
fn query_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "t.csv", "a,b\n1,x\n2,y\n");
    let query = write(
        dir.path(),
        "q.adql",
        "SELECT COUNT(*) AS n FROM t WHERE b <> 'x'\n",
    );
    let table = format!("t={}", data.display());
    let out = adql(&[
        "query",
        "-t",
        &table,
        "--format",
        "csv",
        "-f",
        query.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&out), "n\n1\n");

    let out = with_input(
        Command::new(env!("CARGO_BIN_EXE_adql"))
            .args(["query", "-t", &table, "--format", "json", "-"]),
        "SELECT a FROM t ORDER BY a DESC",
    );
    assert_eq!(stdout(&out).trim(), r#"[{"a":2},{"a":1}]"#);
}

#[test]
fn parquet_round_trip_with_units() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("stars.parquet");
    let out = adql(&[
        "query",
        "--table",
        &stars(),
        "--unit",
        "stars.ra=deg",
        "--format",
        "parquet",
        "-o",
        parquet.to_str().unwrap(),
        "SELECT star_id, ra, dec FROM stars WHERE star_id <= 3",
    ]);
    stdout(&out);
    let table = format!("p={}", parquet.display());
    let out = adql(&[
        "query",
        "--table",
        &table,
        "--unit",
        "p.ra=deg",
        "--format",
        "csv",
        "SELECT star_id, IN_UNIT(ra, 'arcmin') AS ra_arcmin FROM p ORDER BY star_id",
    ]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"star_id,ra_arcmin"));
    assert_eq!(lines.len(), 4, "{text}");
    let ra: f64 = lines[1].split(',').nth(1).unwrap().parse().unwrap();
    assert!((ra - 56.9608667 * 60.0).abs() < 1e-6, "{ra}");
}

#[test]
fn errors_point_into_the_query() {
    let out = adql(&[
        "query",
        "--table",
        &stars(),
        "SELECT star_id,\n  nope FROM stars",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("adql: error: column 'nope' not found\n --> <query>:2:3\n"),
        "{stderr}"
    );
    assert!(stderr.contains("^^^^"), "{stderr}");

    let out = adql(&["query", "--table", &stars(), "SELECT x FROM nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("adql: error: table 'nowhere' not found\n --> <query>:1:15\n")
    );

    let out = adql(&[
        "query",
        "--table",
        "t=/nonexistent/file.csv",
        "SELECT 1 FROM t",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_shows_the_plans() {
    let out = adql(&[
        "explain",
        "--table",
        &stars(),
        "SELECT TOP 5 name FROM stars WHERE gmag < 10 ORDER BY gmag",
    ]);
    let text = stdout(&out);
    for section in [
        "Remote parts: none (the query runs locally)",
        "Lowered SQL:",
        "Optimized logical plan:",
        "Physical plan:",
    ] {
        assert!(text.contains(section), "{text}");
    }
    assert!(text.contains("LIMIT 5"), "{text}");
}

#[test]
fn floating_point_noise_at_a_pole_means_the_pole() {
    // DaCHS returns a circle centred on the pole at latitude 90.0000000000002.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "p.csv", "id,ra,dec\n1,10,89.5\n2,10,80\n");
    let table = format!("p={}", path.display());
    let out = adql(&[
        "query",
        "--table",
        &table,
        "--format",
        "csv",
        "SELECT id, ROUND(AREA(CIRCLE('ICRS', 0, 90.0000000000002, 1)), 4) AS a FROM p \
         WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 0, 90.0000000000002, 1))",
    ]);
    assert_eq!(stdout(&out), "id,a\n1,3.1415\n");
    // A latitude really out of range stays an error.
    let out = adql(&[
        "query",
        "--table",
        &table,
        "SELECT AREA(CIRCLE('ICRS', 0, 90.001, 1)) AS a FROM p",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside [-90, 90]"));
}
