//! Snapshots of the lowered SQL and of the logical plans of representative queries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::session;

const QUERIES: &[(&str, &str)] = &[
    (
        "top_offset",
        "SELECT TOP 10 id, Mag FROM stars WHERE mag < 12 ORDER BY mag DESC OFFSET 5",
    ),
    (
        "star_join",
        "SELECT * FROM stars AS s JOIN obs AS o ON s.id = o.star_id",
    ),
    (
        "using_join",
        "SELECT * FROM (SELECT id FROM stars) AS a LEFT OUTER JOIN (SELECT star_id AS id FROM obs) AS b USING (id)",
    ),
    (
        "functions",
        "SELECT LOG(ra), LOG10(ra), MOD(id, 3), CEILING(dec), ROUND(ra, -1), TRUNCATE(ra), RAND(3), POWER(ra, 2) FROM stars",
    ),
    (
        "in_unit",
        "SELECT IN_UNIT(pmra, 'deg/yr'), IN_UNIT(ra / 2, 'arcsec') AS half FROM stars",
    ),
    (
        "predicates",
        "SELECT id FROM stars WHERE name LIKE 'V%' OR name ILIKE 'v%' AND id BETWEEN 1 AND 3 AND id NOT IN (4, 5) AND mag IS NOT NULL",
    ),
    ("nested_minus", "SELECT -(-id), - (id - 1) FROM stars"),
    (
        "subqueries",
        "SELECT id FROM stars s WHERE EXISTS (SELECT 1 FROM obs o WHERE o.star_id = s.id) AND id IN (SELECT star_id FROM obs)",
    ),
    (
        "set_ops",
        "SELECT id FROM stars UNION SELECT star_id FROM obs EXCEPT SELECT 9 FROM obs ORDER BY 1",
    ),
    (
        "with_group",
        "WITH c AS (SELECT band, COUNT(*) AS n FROM obs GROUP BY band HAVING COUNT(*) > 0) SELECT DISTINCT c.band FROM c ORDER BY band",
    ),
    (
        "casts",
        "SELECT CAST(id AS SMALLINT), CAST(ra AS REAL), CAST(id AS VARCHAR(3)), CAST('2024-01-02' AS TIMESTAMP) FROM stars",
    ),
    (
        "strings",
        "SELECT name || '!' AS shout, LOWER(name), UPPER(name), COALESCE(name, 'x') FROM stars",
    ),
];

#[tokio::test]
async fn lowered_sql() {
    let s = session();
    for (name, adql) in QUERIES {
        let lowered = s
            .lower(adql)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e} at {:?}", e.line_column(adql)));
        insta::assert_snapshot!(format!("sql_{name}"), lowered.statement.to_string(), adql);
    }
}

#[tokio::test]
async fn logical_plans() {
    let s = session();
    for (name, adql) in QUERIES {
        let plan = s
            .logical_plan(adql)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e} at {:?}", e.line_column(adql)));
        insta::assert_snapshot!(
            format!("plan_{name}"),
            plan.display_indent().to_string(),
            adql
        );
    }
}
