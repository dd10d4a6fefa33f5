//! ADQL semantics where DataFusion's differ, checked by running queries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{rows, session, value};

#[tokio::test]
async fn top_applies_after_offset_and_order_by() {
    let s = session();
    let (_, got) = rows(&s, "SELECT TOP 2 id FROM stars ORDER BY id OFFSET 1").await;
    assert_eq!(got, [["2"], ["3"]]);
    let (_, got) = rows(&s, "SELECT TOP 0 id FROM stars").await;
    assert!(got.is_empty());
    let (_, got) = rows(&s, "SELECT id FROM stars ORDER BY id DESC OFFSET 3").await;
    assert_eq!(got, [["2"], ["1"]]);
}

#[tokio::test]
async fn unquoted_names_ignore_case_and_keep_the_stored_name() {
    let s = session();
    let (names, got) = rows(&s, "SELECT ID, mag FROM STARS WHERE Id = 2").await;
    assert_eq!(names, ["id", "Mag"]);
    assert_eq!(got, [["2", "9.0"]]);
    assert_eq!(value(&s, "SELECT COUNT(*) FROM mixed").await, "2");
    assert_eq!(value(&s, "SELECT \"A\" FROM twins").await, "2");
    assert_eq!(value(&s, "SELECT \"a\" FROM twins").await, "1");
    // A regular identifier matching several columns means the one in the default (lower) case.
    assert_eq!(value(&s, "SELECT A FROM twins").await, "1");
    assert_eq!(value(&s, "SELECT a FROM twins").await, "1");
}

#[tokio::test]
async fn output_names_are_unique() {
    let s = session();
    let (names, _) = rows(&s, "SELECT s.id, o.star_id AS id, 1 + 1, 2 * 2, COUNT(*) FROM stars s JOIN obs o ON s.id = o.star_id GROUP BY s.id, o.star_id").await;
    assert_eq!(names, ["id", "id_2", "expr", "expr_2", "count"]);
    let (names, _) = rows(&s, "SELECT * FROM stars s JOIN obs o ON s.id = o.star_id").await;
    assert_eq!(
        names,
        [
            "id", "ra", "dec", "Mag", "pmra", "name", "obs_id", "star_id", "flux", "band"
        ]
    );
    let (names, _) = rows(&s, "SELECT * FROM stars a JOIN stars b ON a.id = b.id").await;
    assert_eq!(names.get(6).map(String::as_str), Some("id_2"));
}

#[tokio::test]
async fn math_functions_follow_adql() {
    let s = session();
    assert_eq!(
        value(&s, "SELECT LOG(EXP(2)) FROM mixed WHERE x = 7").await,
        "2.0"
    );
    assert_eq!(
        value(&s, "SELECT LOG10(1000) FROM mixed WHERE x = 7").await,
        "3.0"
    );
    assert_eq!(
        value(&s, "SELECT MOD(-7, 3) FROM mixed WHERE x = 7").await,
        "-1"
    );
    assert_eq!(
        value(&s, "SELECT MOD(7.5, -2) FROM mixed WHERE x = 7").await,
        "1.5"
    );
    assert_eq!(
        value(&s, "SELECT TRUNCATE(-2.75) FROM mixed WHERE x = 7").await,
        "-2.0"
    );
    assert_eq!(
        value(&s, "SELECT TRUNCATE(1234.5678, 2) FROM mixed WHERE x = 7").await,
        "1234.56"
    );
    assert_eq!(
        value(&s, "SELECT ROUND(1234.5678, -2) FROM mixed WHERE x = 7").await,
        "1200.0"
    );
    assert_eq!(
        value(&s, "SELECT ROUND(2.5) FROM mixed WHERE x = 7").await,
        "2.0"
    );
    assert_eq!(
        value(&s, "SELECT ROUND(3.14159, 3) FROM mixed WHERE x = 7").await,
        "3.142"
    );
    assert_eq!(
        value(&s, "SELECT CEILING(1.2) FROM mixed WHERE x = 7").await,
        "2.0"
    );
    assert_eq!(
        value(&s, "SELECT POWER(2, 10) FROM mixed WHERE x = 7").await,
        "1024.0"
    );
    assert_eq!(value(&s, "SELECT 7 / 2 FROM mixed WHERE x = 7").await, "3");
    assert_eq!(
        value(&s, "SELECT -7 / 2 FROM mixed WHERE x = 7").await,
        "-3"
    );
    assert_eq!(
        value(&s, "SELECT 7.0 / 2 FROM mixed WHERE x = 7").await,
        "3.5"
    );
    assert_eq!(
        value(&s, "SELECT PI() FROM mixed WHERE x = 7").await,
        std::f64::consts::PI.to_string()
    );
}

#[tokio::test]
async fn seeded_rand_is_reproducible() {
    let s = session();
    let first = rows(&s, "SELECT RAND(42) FROM stars").await.1;
    let second = rows(&s, "SELECT RAND(42) FROM stars").await.1;
    assert_eq!(first, second);
    assert_eq!(first.len(), 5);
    assert!(
        first.windows(2).any(|w| w[0] != w[1]),
        "a sequence, not a constant: {first:?}"
    );
    let unseeded = rows(&s, "SELECT RAND() FROM stars").await.1;
    assert!(
        unseeded
            .iter()
            .all(|r| (0.0..1.0).contains(&r[0].parse::<f64>().unwrap()))
    );
}

#[tokio::test]
async fn strings_and_nulls() {
    let s = session();
    let (_, got) = rows(&s, "SELECT id FROM stars WHERE name LIKE 'V%' ORDER BY id").await;
    assert_eq!(got, [["1"]]);
    let (_, got) = rows(&s, "SELECT id FROM stars WHERE name ILIKE 'v%' ORDER BY id").await;
    assert_eq!(got, [["1"], ["2"]]);
    assert_eq!(
        value(
            &s,
            "SELECT name || '-' || UPPER(name) FROM stars WHERE id = 1"
        )
        .await,
        "Vega-VEGA"
    );
    assert_eq!(
        value(&s, "SELECT LOWER(name) FROM stars WHERE id = 3").await,
        "sirius"
    );
    assert_eq!(
        value(
            &s,
            "SELECT COALESCE(name, 'anonymous') FROM stars WHERE id = 4"
        )
        .await,
        "anonymous"
    );
    assert_eq!(
        value(&s, "SELECT COALESCE(Mag, -1) FROM stars WHERE id = 3").await,
        "-1.0"
    );
    let (_, got) = rows(&s, "SELECT id FROM stars WHERE name IS NULL").await;
    assert_eq!(got, [["4"]]);
}

#[tokio::test]
async fn casts_convert_and_refuse_to_wrap() {
    let s = session();
    assert_eq!(
        value(&s, "SELECT CAST(id AS SMALLINT) FROM stars WHERE id = 5").await,
        "5"
    );
    assert_eq!(
        value(
            &s,
            "SELECT CAST('2.5' AS DOUBLE PRECISION) FROM mixed WHERE x = 7"
        )
        .await,
        "2.5"
    );
    assert_eq!(
        value(
            &s,
            "SELECT CAST(id AS VARCHAR(10)) || 'x' FROM stars WHERE id = 5"
        )
        .await,
        "5x"
    );
    let (message, position) =
        common::error(&s, "SELECT CAST(100000 * id AS SMALLINT) FROM stars").await;
    assert!(
        message.to_lowercase().contains("overflow") || message.contains("Int16"),
        "{message}"
    );
    let _ = position;
}

#[tokio::test]
async fn casts_round_pad_and_make_geometries() {
    let s = session();
    let cast = |expr: &str| format!("SELECT {expr} FROM mixed WHERE x = 7");
    // Approximate to exact numeric rounds to nearest, ties to even (as PostgreSQL, so DaCHS).
    for (expr, want) in [
        ("CAST(0.75 AS INTEGER)", "1"),
        ("CAST(-2.7 AS INTEGER)", "-3"),
        ("CAST(2.5 AS INTEGER)", "2"),
        ("CAST(3.5 AS BIGINT)", "4"),
        ("CAST(-0.5 AS SMALLINT)", "0"),
        ("CAST(x AS INTEGER)", "7"),
        ("CAST('12' AS INTEGER)", "12"),
    ] {
        assert_eq!(value(&s, &cast(expr)).await, want, "{expr}");
    }
    // CHAR(n) pads and truncates to n characters, VARCHAR(n) truncates.
    assert_eq!(value(&s, &cast("CAST(x AS CHAR(4)) || '|'")).await, "7   |");
    assert_eq!(value(&s, &cast("CAST('abcdef' AS CHAR(3))")).await, "abc");
    assert_eq!(value(&s, &cast("CAST('abcdef' AS VARCHAR(2))")).await, "ab");
    assert_eq!(value(&s, &cast("CAST('abc' AS VARCHAR(10))")).await, "abc");
    // Geometries from DALI text.
    assert_eq!(
        value(&s, &cast("COORD2(CAST('12.5 45.25' AS POINT))")).await,
        "45.25"
    );
    assert_eq!(
        value(&s, &cast("CONTAINS(POINT(1, 1), CAST('0 0 2' AS CIRCLE))")).await,
        "1"
    );
    assert_eq!(
        value(
            &s,
            &cast("CONTAINS(POINT(0.5, 0.2), CAST('0 0 1 0 1 1' AS POLYGON))")
        )
        .await,
        "1"
    );
    let (message, _) = common::error(&s, &cast("CAST('1 2 3' AS POINT)")).await;
    assert!(message.contains("needs 2 numbers"), "{message}");
}

#[tokio::test]
async fn upper_and_lower_map_characters_one_to_one() {
    let s = session();
    let one = |expr: &str| format!("SELECT {expr} FROM mixed WHERE x = 7");
    assert_eq!(value(&s, &one("UPPER('straße')")).await, "STRAßE");
    assert_eq!(value(&s, &one("LOWER('ÉTÉ')")).await, "été");
    assert_eq!(value(&s, &one("UPPER(NULL)")).await, "NULL");
}

#[tokio::test]
async fn in_unit_converts_with_column_metadata() {
    let s = session();
    assert_eq!(
        value(&s, "SELECT IN_UNIT(ra, 'arcmin') FROM stars WHERE id = 1").await,
        "600.0"
    );
    let pm: f64 = value(
        &s,
        "SELECT IN_UNIT(pmra, 'arcsec/yr') FROM stars WHERE id = 1",
    )
    .await
    .parse()
    .unwrap();
    assert!((pm - 3.6).abs() < 1e-12, "{pm}");
    assert_eq!(
        value(&s, "SELECT IN_UNIT(flux, 'Jy') FROM obs WHERE obs_id = 10").await,
        "1.5"
    );
    assert_eq!(
        value(&s, "SELECT IN_UNIT(2 * ra, 'deg') FROM stars WHERE id = 1").await,
        "20.0"
    );
    let frame = s
        .query("SELECT IN_UNIT(ra, 'arcsec') AS ra_as FROM stars")
        .await
        .unwrap();
    let schema = frame.schema().as_arrow().clone();
    assert_eq!(
        schema.field(0).metadata().get("unit").map(String::as_str),
        Some("arcsec")
    );
}

#[tokio::test]
async fn joins_subqueries_and_set_operations() {
    let s = session();
    let (_, got) = rows(&s, "SELECT s.id, o.obs_id FROM stars AS s INNER JOIN obs AS o ON s.id = o.star_id ORDER BY o.obs_id").await;
    assert_eq!(got, [["1", "10"], ["1", "11"], ["2", "12"]]);
    let (_, got) = rows(&s, "SELECT s.id, o.obs_id FROM stars s LEFT OUTER JOIN obs o ON s.id = o.star_id WHERE s.id >= 2 ORDER BY s.id").await;
    assert_eq!(
        got,
        [["2", "12"], ["3", "NULL"], ["4", "NULL"], ["5", "NULL"]]
    );
    let (_, got) = rows(
        &s,
        "SELECT COUNT(*) FROM stars s FULL OUTER JOIN obs o ON s.id = o.star_id",
    )
    .await;
    assert_eq!(got, [["7"]]);
    let (_, got) = rows(
        &s,
        "SELECT id FROM stars WHERE id IN (SELECT star_id FROM obs) ORDER BY 1",
    )
    .await;
    assert_eq!(got, [["1"], ["2"]]);
    let (_, got) = rows(&s, "SELECT id FROM stars s WHERE NOT EXISTS (SELECT * FROM obs o WHERE o.star_id = s.id) ORDER BY id").await;
    assert_eq!(got, [["3"], ["4"], ["5"]]);
    let (_, got) = rows(&s, "SELECT q.n FROM (SELECT star_id AS n, COUNT(*) AS c FROM obs GROUP BY star_id) AS q WHERE q.c > 1").await;
    assert_eq!(got, [["1"]]);
    let (_, got) = rows(
        &s,
        "SELECT id FROM stars WHERE id < 3 UNION SELECT star_id FROM obs ORDER BY id",
    )
    .await;
    assert_eq!(got, [["1"], ["2"], ["9"]]);
    let (_, got) = rows(
        &s,
        "SELECT star_id FROM obs UNION ALL SELECT star_id FROM obs ORDER BY 1",
    )
    .await;
    assert_eq!(got.len(), 8);
    let (_, got) = rows(
        &s,
        "SELECT id FROM stars EXCEPT SELECT star_id FROM obs ORDER BY id",
    )
    .await;
    assert_eq!(got, [["3"], ["4"], ["5"]]);
    let (_, got) = rows(
        &s,
        "SELECT id FROM stars INTERSECT SELECT star_id FROM obs ORDER BY id",
    )
    .await;
    assert_eq!(got, [["1"], ["2"]]);
    let (_, got) = rows(&s, "WITH bright AS (SELECT id, mag FROM stars WHERE mag < 10) SELECT b.id FROM bright AS b ORDER BY b.mag").await;
    assert_eq!(got, [["5"], ["2"]]);
}

#[tokio::test]
async fn using_and_natural_joins_merge_columns() {
    let s = session();
    let (names, got) = rows(
        &s,
        "SELECT * FROM (SELECT id, name FROM stars) AS a JOIN (SELECT star_id AS id, band FROM obs) AS b USING (id) ORDER BY band",
    )
    .await;
    assert_eq!(names, ["id", "name", "band"]);
    assert_eq!(
        got,
        [
            ["1", "Vega", "BP"],
            ["1", "Vega", "G"],
            ["2", "vega b", "G"]
        ]
    );
    let (_, got) = rows(
        &s,
        "SELECT * FROM (SELECT id FROM stars) AS a NATURAL JOIN (SELECT star_id AS ID, band FROM obs) AS b ORDER BY band",
    )
    .await;
    assert_eq!(got.len(), 3);
    let (names, _) = rows(&s, "SELECT id, band FROM (SELECT id FROM stars) AS a NATURAL JOIN (SELECT star_id AS ID, band FROM obs) AS b").await;
    assert_eq!(names, ["id", "band"]);
    // After a RIGHT or FULL join the merged column comes from whichever side has the row.
    let (_, got) = rows(
        &s,
        "SELECT id FROM (SELECT id FROM stars WHERE id = 1) AS a FULL OUTER JOIN (SELECT star_id AS id FROM obs) AS b USING (id) ORDER BY id",
    )
    .await;
    assert!(got.iter().all(|r| r[0] != "NULL"), "{got:?}");
    let (_, got) = rows(
        &s,
        "SELECT * FROM (SELECT id FROM stars WHERE id = 1) AS a RIGHT OUTER JOIN (SELECT star_id AS id FROM obs) AS b USING (id)",
    )
    .await;
    assert!(got.iter().all(|r| r[0] != "NULL"), "{got:?}");
}

#[tokio::test]
async fn grouping_having_distinct_and_order_by_forms() {
    let s = session();
    let (_, got) = rows(
        &s,
        "SELECT band, COUNT(*) AS n FROM obs GROUP BY band HAVING COUNT(*) > 1",
    )
    .await;
    assert_eq!(got, [["G", "2"]]);
    let (_, got) = rows(&s, "SELECT DISTINCT band FROM obs ORDER BY band").await;
    assert_eq!(got, [["BP"], ["G"], ["RP"]]);
    let (_, got) = rows(
        &s,
        "SELECT id, mag AS m FROM stars WHERE mag IS NOT NULL ORDER BY m DESC",
    )
    .await;
    assert_eq!(got.first().map(|r| r[0].as_str()), Some("4"));
    let (_, got) = rows(&s, "SELECT id FROM stars ORDER BY ra * -1").await;
    assert_eq!(got.first().map(|r| r[0].as_str()), Some("4"));
    let (_, got) = rows(
        &s,
        "SELECT id, mag FROM stars WHERE mag IS NOT NULL ORDER BY 2",
    )
    .await;
    assert_eq!(got.first().map(|r| r[0].as_str()), Some("5"));
    let (_, got) = rows(
        &s,
        "SELECT star_id AS sid, SUM(flux) FROM obs GROUP BY sid ORDER BY sid",
    )
    .await;
    assert_eq!(got.len(), 3);
    assert_eq!(value(&s, "SELECT COUNT(DISTINCT band) FROM obs").await, "3");
}
