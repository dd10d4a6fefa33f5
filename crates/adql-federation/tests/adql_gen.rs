//! The plan → ADQL generator: snapshots of generated ADQL for many plan shapes, and a
//! differential check that the generated ADQL, run locally, gives the rows of the original plan.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use adql_federation::ServiceCapabilities;
use adql_federation::{LocalTableNaming, plan_to_adql};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;

use common::{local_context, optimized_plan, rows, run_adql};

/// Generates ADQL for `sql` (planned and optimized over the local tables) under `caps`.
async fn adql_with(
    ctx: &SessionContext,
    sql: &str,
    caps: &ServiceCapabilities,
) -> Result<String, String> {
    let plan = optimized_plan(ctx, sql).await;
    let adql = plan_to_adql(&plan, caps, &LocalTableNaming)
        .map(|s| s.to_string())
        .map_err(|e| e.to_string())?;
    // Every generated query is valid ADQL for the service it is meant for.
    if let Err(e) = adql_syntax::parse_with(&adql, &caps.parse_options()) {
        panic!(
            "generated ADQL does not re-parse under {:?}: {e}\n{adql}",
            caps.adql_version
        );
    }
    Ok(adql)
}

/// Generates ADQL for `sql`, checks that it runs locally and gives the same rows as the
/// original plan (in order when `ordered`), and returns it.
async fn check(sql: &str, ordered: bool) -> String {
    let ctx = local_context();
    let adql = adql_with(&ctx, sql, &ServiceCapabilities::adql_2_1_full())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let expected = rows(&ctx.sql(sql).await.unwrap().collect().await.unwrap());
    let actual = rows(
        &run_adql(&ctx, &adql)
            .await
            .unwrap_or_else(|e| panic!("{adql}: {e}")),
    );
    let (mut expected_cmp, mut actual_cmp) = (expected.clone(), actual.clone());
    if !ordered {
        expected_cmp.sort();
        actual_cmp.sort();
    }
    assert_eq!(actual_cmp, expected_cmp, "\nSQL:  {sql}\nADQL: {adql}");
    adql
}

macro_rules! shape {
    ($name:ident, $sql:expr, ordered = $ordered:expr) => {
        #[tokio::test]
        async fn $name() {
            let adql = check($sql, $ordered).await;
            insta::assert_snapshot!(stringify!($name), adql, $sql);
        }
    };
}

shape!(
    projection_and_filter,
    "SELECT id, ra FROM stars WHERE mag < 10",
    ordered = false
);
shape!(
    all_columns_with_odd_names,
    "SELECT * FROM stars WHERE \"size\" > 1",
    ordered = false
);
shape!(
    order_by_limit,
    "SELECT id, mag FROM stars ORDER BY mag DESC, id LIMIT 3",
    ordered = true
);
shape!(
    order_by_limit_offset,
    "SELECT id FROM stars ORDER BY id LIMIT 3 OFFSET 2",
    ordered = true
);
shape!(
    offset_only,
    "SELECT id FROM stars ORDER BY id OFFSET 5",
    ordered = true
);
shape!(
    limit_one,
    "SELECT id FROM stars ORDER BY id DESC LIMIT 1",
    ordered = true
);
shape!(
    nested_limits_compose,
    "SELECT id FROM (SELECT id FROM stars ORDER BY id LIMIT 5 OFFSET 1) t ORDER BY id LIMIT 2 OFFSET 1",
    ordered = true
);
shape!(
    filter_above_limit_wraps,
    "SELECT * FROM (SELECT id, mag FROM stars ORDER BY mag LIMIT 4) s WHERE mag > 8.5",
    ordered = false
);
shape!(
    sort_above_limit_wraps,
    "SELECT * FROM (SELECT id, mag FROM stars ORDER BY id LIMIT 4) s ORDER BY mag DESC",
    ordered = true
);
shape!(
    order_by_expression_not_selected,
    "SELECT id FROM stars ORDER BY ra + dec DESC LIMIT 4",
    ordered = true
);
shape!(
    group_by_with_aggregates,
    "SELECT filter, COUNT(*) AS n, AVG(exptime) AS t, MIN(obs_id), MAX(exptime), SUM(exptime) FROM obs GROUP BY filter",
    ordered = false
);
shape!(
    having,
    "SELECT target_id, COUNT(*) AS n FROM obs GROUP BY target_id HAVING COUNT(*) > 1",
    ordered = false
);
shape!(
    count_distinct,
    "SELECT COUNT(DISTINCT target_id) AS n, COUNT(filter) AS f FROM obs",
    ordered = false
);
shape!(count_star, "SELECT COUNT(*) FROM stars", ordered = false);
shape!(
    top_groups,
    "SELECT target_id, COUNT(*) AS n FROM obs GROUP BY target_id ORDER BY n DESC, target_id LIMIT 2",
    ordered = true
);
shape!(
    aggregate_of_aggregate,
    "SELECT MAX(n) AS most FROM (SELECT target_id, COUNT(*) AS n FROM obs GROUP BY target_id) t",
    ordered = false
);
shape!(
    distinct,
    "SELECT DISTINCT filter FROM obs ORDER BY filter",
    ordered = true
);
shape!(
    inner_join,
    "SELECT s.id, o.obs_id FROM stars s JOIN obs o ON s.id = o.target_id WHERE o.exptime > 100",
    ordered = false
);
shape!(
    inner_join_with_filter,
    "SELECT s.id, o.obs_id FROM stars s JOIN obs o ON s.id = o.target_id AND o.exptime > s.mag * 10",
    ordered = false
);
shape!(
    left_join_condition_on_right,
    "SELECT s.id, o.obs_id FROM stars s LEFT JOIN obs o ON s.id = o.target_id AND o.filter = 'F200W'",
    ordered = false
);
shape!(
    left_join_where_on_left,
    "SELECT s.id, o.obs_id FROM stars s LEFT JOIN obs o ON s.id = o.target_id WHERE s.mag < 13",
    ordered = false
);
shape!(
    right_join,
    "SELECT s.id, o.obs_id FROM stars s RIGHT JOIN obs o ON s.id = o.target_id",
    ordered = false
);
shape!(
    full_join_with_filtered_sides,
    "SELECT s.id, o.obs_id FROM (SELECT * FROM stars WHERE mag < 13) s \
     FULL JOIN (SELECT * FROM obs WHERE exptime > 55) o ON s.id = o.target_id",
    ordered = false
);
shape!(
    join_of_limited_side,
    "SELECT s.id, o.obs_id FROM (SELECT id FROM stars ORDER BY mag LIMIT 3) s JOIN obs o ON s.id = o.target_id",
    ordered = false
);
shape!(
    three_way_join,
    "SELECT a.id, b.id AS b_id, o.obs_id FROM stars a JOIN stars b ON a.mag = b.mag AND a.id < b.id \
     JOIN obs o ON o.target_id = a.id",
    ordered = false
);
shape!(
    cross_join,
    "SELECT a.id, b.obs_id FROM stars a, obs b WHERE a.id < 3 AND b.obs_id < 102",
    ordered = false
);
shape!(
    math_functions,
    "SELECT id, ln(mag) AS l, log10(mag) AS l10, ceil(mag) AS c, floor(mag) AS f, trunc(mag) AS t, \
     round(mag, 1) AS r, abs(dec) AS a, sqrt(mag) AS s, power(mag, 2) AS p, id % 3 AS m, -(-ra) AS nn, \
     ra - -1 AS minus_neg FROM stars WHERE mag IS NOT NULL",
    ordered = false
);
shape!(
    strings_and_predicates,
    "SELECT id, \"Name\" FROM stars WHERE (\"Name\" LIKE 'A%' OR \"Name\" = 'O''Brien' OR \"Name\" NOT LIKE '%a%') \
     AND mag BETWEEN 5 AND 15 AND id IN (1, 2, 5, 8) AND \"Name\" IS NOT NULL",
    ordered = false
);
shape!(
    ilike_lower_upper,
    "SELECT id, upper(\"Name\") AS u FROM stars WHERE lower(\"Name\") = 'alpha' OR \"Name\" ILIKE 'de%'",
    ordered = false
);
shape!(
    casts_and_arithmetic,
    "SELECT id, CAST(\"size\" AS DOUBLE) / 2 AS half, id / 2 AS int_div FROM stars WHERE \"size\" < 2.5",
    ordered = false
);
shape!(
    coalesce,
    "SELECT id, coalesce(mag, 99.0) AS m FROM stars",
    ordered = false
);
shape!(
    is_null,
    "SELECT id FROM stars WHERE mag IS NULL OR \"Name\" IS NULL",
    ordered = false
);

/// Things that stay local, with the reason.
#[tokio::test]
async fn unsupported_shapes_are_not_pushable() {
    let ctx = local_context();
    let full = ServiceCapabilities::adql_2_1_full();
    let mut reasons = Vec::new();
    for sql in [
        "SELECT id, CASE WHEN mag > 10 THEN 1 ELSE 0 END AS faint FROM stars",
        "SELECT id, ROW_NUMBER() OVER (ORDER BY mag) AS r FROM stars",
        "SELECT id FROM stars UNION SELECT obs_id FROM obs",
        "SELECT id, random() AS r FROM stars",
        "SELECT id FROM stars WHERE \"Name\" ~ 'a.*'",
        "SELECT id, mag > 10 AS faint FROM stars",
        "SELECT id FROM stars WHERE ra IS DISTINCT FROM dec",
    ] {
        let err = adql_with(&ctx, sql, &full).await.unwrap_err();
        reasons.push(format!("{sql}\n  -> {err}"));
    }
    insta::assert_snapshot!(reasons.join("\n"));
}

/// Optional features and ADQL 2.0 decide what may be sent.
#[tokio::test]
async fn capabilities_restrict_generation() {
    let ctx = local_context();
    let core = ServiceCapabilities::adql_2_0_core();
    let mut out = Vec::new();
    for sql in [
        "SELECT id FROM stars ORDER BY id LIMIT 3 OFFSET 2",
        "SELECT id FROM stars ORDER BY id LIMIT 3",
        "SELECT id FROM stars ORDER BY ra + dec",
        "SELECT id FROM stars WHERE \"Name\" ILIKE 'a%'",
        "SELECT id, upper(\"Name\") FROM stars",
        "SELECT coalesce(mag, 0.0) FROM stars",
        "SELECT CAST(id AS DOUBLE) / 2 FROM stars",
        "SELECT id % 2 AS m, COUNT(*) FROM stars GROUP BY id % 2",
        "SELECT id FROM stars WHERE \"size\" < 2.5",
    ] {
        let result = match adql_with(&ctx, sql, &core).await {
            Ok(adql) => adql,
            Err(e) => e,
        };
        out.push(format!("{sql}\n  -> {result}"));
    }
    insta::assert_snapshot!(out.join("\n"));
}

/// Geometry and UDF names map back to their ADQL forms (planning only: these stand-ins for the
/// engine's functions are never executed).
#[tokio::test]
async fn geometry_and_udfs_map_to_adql() {
    let ctx = local_context();
    let never = |_: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        Err(datafusion::error::DataFusionError::Execution(
            "planning-only test function".into(),
        ))
    };
    let f64s = |n: usize| vec![DataType::Float64; n];
    for (name, args, ret) in [
        ("point", f64s(2), DataType::Float64),
        ("circle", f64s(3), DataType::Float64),
        ("contains", f64s(2), DataType::Int32),
        ("distance", f64s(4), DataType::Float64),
        ("gavo_specconv", f64s(1), DataType::Float64),
        ("my_udf", f64s(1), DataType::Float64),
    ] {
        ctx.register_udf(create_udf(
            name,
            args,
            ret,
            Volatility::Immutable,
            Arc::new(never),
        ));
    }
    let caps = ServiceCapabilities::adql_2_1_full().with_feature(
        adql_federation::FEATURE_UDF,
        "gavo_specconv(x DOUBLE PRECISION) -> DOUBLE PRECISION",
    );
    let mut out = Vec::new();
    for sql in [
        "SELECT id FROM stars WHERE contains(point(ra, dec), circle(10.0, -5.0, 1.0)) = 1",
        "SELECT id, distance(ra, dec, 10.0, -5.0) AS d FROM stars WHERE distance(ra, dec, 10.0, -5.0) < 0.5",
        "SELECT gavo_specconv(mag) AS s FROM stars",
        "SELECT my_udf(mag) AS s FROM stars",
    ] {
        let result = match adql_with(&ctx, sql, &caps).await {
            Ok(adql) => adql,
            Err(e) => e,
        };
        out.push(format!("{sql}\n  -> {result}"));
    }
    let mut no_geometry = ServiceCapabilities::adql_2_1_full();
    no_geometry.features.retain(|f| f.form != "DISTANCE");
    let sql = "SELECT distance(ra, dec, 10.0, -5.0) AS d FROM stars";
    out.push(format!(
        "{sql} (no DISTANCE)\n  -> {}",
        adql_with(&ctx, sql, &no_geometry).await.unwrap_err()
    ));
    insta::assert_snapshot!(out.join("\n"));
}
