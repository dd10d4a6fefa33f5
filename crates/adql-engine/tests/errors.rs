//! Every planning error carries the ADQL line and column it is about.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{error, session};

async fn assert_error(adql: &str, fragment: &str, line: usize, column: usize) {
    let (message, position) = error(&session(), adql).await;
    assert!(
        message.contains(fragment),
        "{adql}: expected '{fragment}' in '{message}'"
    );
    assert_eq!(position, Some((line, column)), "{adql}: {message}");
}

#[tokio::test]
async fn unknown_tables() {
    assert_error("SELECT id FROM nowhere", "table 'nowhere' not found", 1, 16).await;
    assert_error(
        "SELECT id\nFROM stars s\nJOIN nowhere n ON s.id = n.id",
        "table 'nowhere' not found",
        3,
        6,
    )
    .await;
    assert_error(
        "SELECT x FROM other.mixed",
        "table 'other.mixed' not found",
        1,
        15,
    )
    .await;
}

#[tokio::test]
async fn unknown_and_ambiguous_columns() {
    assert_error(
        "SELECT id, nope FROM stars",
        "column 'nope' not found",
        1,
        12,
    )
    .await;
    assert_error(
        "SELECT id\nFROM stars\nWHERE  magnitude > 3",
        "column 'magnitude' not found",
        3,
        8,
    )
    .await;
    assert_error(
        "SELECT q.id FROM stars s",
        "unknown table or alias 'q'",
        1,
        8,
    )
    .await;
    assert_error(
        "SELECT id FROM stars s JOIN stars t ON s.id = t.id",
        "ambiguous",
        1,
        8,
    )
    .await;
    // `a` means the lower-case column "a"; `bc` has no lower-case candidate, so it stays ambiguous.
    assert_error("SELECT bc FROM twins", "matches \"Bc\" and \"BC\"", 1, 8).await;
    assert_error(
        "SELECT id FROM stars ORDER BY 9",
        "ORDER BY position 9",
        1,
        31,
    )
    .await;
}

#[tokio::test]
async fn unknown_functions() {
    assert_error(
        "SELECT id, my_udf(ra) FROM stars",
        "MY_UDF is not available",
        1,
        12,
    )
    .await;
}

#[tokio::test]
async fn type_errors() {
    assert_error(
        "SELECT id FROM stars WHERE name > 3 AND\n  ROUND(name) > 1",
        "ROUND expects a numeric argument",
        2,
        3,
    )
    .await;
    assert_error(
        "SELECT id, ra + name FROM stars",
        "incompatible types",
        1,
        12,
    )
    .await;
}

/// What fails while the optimiser evaluates constant expressions is positioned too, and a cone with a
/// constant circle that cannot exist is an error rather than no rows.
#[tokio::test]
async fn constant_errors() {
    assert_error(
        "SELECT id FROM stars\nWHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE('ICRS', 10, 95, 1))",
        "latitude 95 deg is outside",
        2,
        36,
    )
    .await;
    assert_error(
        "SELECT id, INTERSECTS(POINT(ra, dec), CIRCLE('ICRS', 0, 0, 1)) AS a,\n  BOX('ICRS', 1, 2, -3, 4) AS b FROM stars",
        "box of -3 x 4 deg",
        2,
        3,
    )
    .await;
    assert_error(
        "SELECT id FROM stars WHERE 1 = CONTAINS(POINT(ra, dec), REGION('Circle ICRS 1 2 -1'))",
        "radius -1 deg is outside",
        1,
        57,
    )
    .await;
    assert_error(
        "SELECT id, INTERSECTS('Polygon ICRS 1 2 3', CIRCLE('ICRS', 0, 0, 1)) AS i FROM stars",
        "a Polygon needs at least 3",
        1,
        12,
    )
    .await;
    assert_error(
        "SELECT id, CAST('12 95' AS POINT) AS p FROM stars",
        "latitude 95 deg is outside",
        1,
        12,
    )
    .await;
    assert_error(
        "SELECT a.id FROM stars AS a JOIN stars AS b\n  ON 1 = CONTAINS(POINT(b.ra, b.dec), CIRCLE(a.ra, a.dec, -1))",
        "radius -1 deg is outside",
        2,
        39,
    )
    .await;
    assert_error(
        "SELECT id FROM stars WHERE dec > 'x'",
        "Cannot cast string 'x'",
        1,
        34,
    )
    .await;
}

#[tokio::test]
async fn character_lengths_are_bounded() {
    assert_error(
        "SELECT CAST(name AS CHAR(2000000000)) AS s FROM stars",
        "character length of 2000000000 is too large",
        1,
        8,
    )
    .await;
}

#[tokio::test]
async fn unit_errors() {
    assert_error("SELECT IN_UNIT(id, 'deg') FROM stars", "has no unit", 1, 16).await;
    assert_error(
        "SELECT IN_UNIT(mag, 'Jy') FROM stars",
        "dimensions differ",
        1,
        8,
    )
    .await;
    assert_error(
        "SELECT IN_UNIT(ra, 'furlong') FROM stars",
        "unknown unit symbol 'furlong'",
        1,
        20,
    )
    .await;
    assert_error("SELECT IN_UNIT(42, 'kg') FROM stars", "has no unit", 1, 16).await;
}

#[tokio::test]
async fn syntax_errors_use_the_parser() {
    let s = session();
    let err = s.query("SELECT FROM stars").await.unwrap_err();
    assert!(
        matches!(err, adql_engine::EngineError::Syntax(_)),
        "{err:?}"
    );
    assert_eq!(err.line_column("SELECT FROM stars"), Some((1, 8)));
}

#[tokio::test]
async fn errors_point_at_the_culprit() {
    let s = session();
    let adql = "SELECT id,\n       nope\nFROM stars";
    let err = s.query(adql).await.unwrap_err();
    assert_eq!(err.to_string(), "column 'nope' not found");
    assert_eq!(err.line_column(adql), Some((2, 8)));
    assert_eq!(err.span().map(|s| &adql[s]), Some("nope"));
}
