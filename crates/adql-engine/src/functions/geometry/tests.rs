#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::AdqlSession;

fn ctx() -> SessionContext {
    let session = AdqlSession::new();
    let ctx = session.context().clone();
    // A small table: a point on each side of RA 0/360, one at the north pole, one with NULLs.
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("ra", DataType::Float64, true),
        Field::new("dec", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            Arc::new(Float64Array::from(vec![
                Some(359.95),
                Some(0.05),
                Some(123.0),
                None,
            ])),
            Arc::new(Float64Array::from(vec![
                Some(0.0),
                Some(0.0),
                Some(90.0),
                Some(1.0),
            ])),
        ],
    )
    .unwrap();
    ctx.register_table(
        "t",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap()),
    )
    .unwrap();
    ctx
}

async fn run(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn f64_value(ctx: &SessionContext, sql: &str) -> Option<f64> {
    let batches = run(ctx, sql).await;
    let col = batches[0].column(0);
    let col = datafusion::arrow::compute::cast(col, &DataType::Float64).unwrap();
    let a = col.as_primitive::<Float64Type>();
    a.is_valid(0).then(|| a.value(0))
}

async fn text(ctx: &SessionContext, sql: &str) -> String {
    pretty_format_batches(&run(ctx, sql).await)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn distance_both_forms_and_ra_wrap() {
    let ctx = ctx();
    let d = f64_value(
        &ctx,
        "SELECT distance(point('ICRS', 359.9, 0), point(0.1, 0))",
    )
    .await
    .unwrap();
    assert!((d - 0.2).abs() < 1e-12, "{d}");
    let d = f64_value(&ctx, "SELECT distance(10, 20, 10, 21)")
        .await
        .unwrap();
    assert!((d - 1.0).abs() < 1e-12, "{d}");
    assert_eq!(
        f64_value(&ctx, "SELECT distance(10, NULL, 10, 21)").await,
        None
    );
    let d = f64_value(
        &ctx,
        "SELECT max(distance(point(ra, dec), point(0, 0))) FROM t WHERE id < 3",
    )
    .await
    .unwrap();
    assert!((d - 0.05).abs() < 1e-12, "{d}");
}

#[tokio::test]
async fn contains_and_intersects() {
    let ctx = ctx();
    for (sql, expected) in [
        (
            "SELECT contains(point(0.05, 10), circle('ICRS', 359.9, 10, 0.2))",
            Some(1.0),
        ),
        (
            "SELECT contains(point(0.5, 10), circle(359.9, 10, 0.2))",
            Some(0.0),
        ),
        (
            "SELECT contains(point(NULL, 10), circle(359.9, 10, 0.2))",
            None,
        ),
        (
            "SELECT intersects(circle(0, 0, 1), point(0.5, 0.5))",
            Some(1.0),
        ),
        (
            "SELECT contains(point(0.5, 0.5), box(0, 0, 2, 2))",
            Some(1.0),
        ),
        (
            "SELECT contains(point(1.5, 0.5), box(point(0, 0), 2, 2))",
            Some(0.0),
        ),
        (
            "SELECT contains(circle(10, 10, 1), polygon(5, 5, 15, 5, 15, 15, 5, 15))",
            Some(1.0),
        ),
        (
            "SELECT contains(polygon(point(5, 5), point(15, 5), point(10, 15)), circle(10, 10, 20))",
            Some(1.0),
        ),
        (
            "SELECT intersects(polygon(0, 0, 2, 0, 2, 2), polygon(1, 1, 3, 1, 3, 3))",
            Some(1.0),
        ),
        (
            "SELECT contains(point(0, 89.5), circle(180, 89.5, 1.1))",
            Some(1.0),
        ),
        (
            "SELECT contains(point(10, 20.5), region('Circle ICRS 10 20 1'))",
            Some(1.0),
        ),
        (
            "SELECT contains(point(10, 20.5), region('Not (Circle ICRS 10 20 1)'))",
            Some(0.0),
        ),
    ] {
        assert_eq!(f64_value(&ctx, sql).await, expected, "{sql}");
    }
    // A column of points against a constant circle around the pole and across RA 0.
    let out = text(
        &ctx,
        "SELECT id, contains(point(ra, dec), circle(0, 0, 0.1)) AS c FROM t ORDER BY id",
    )
    .await;
    assert!(
        out.contains("| 1  | 1 |") && out.contains("| 2  | 1 |") && out.contains("| 3  | 0 |"),
        "{out}"
    );
    assert!(out.contains("| 4  |   |"), "NULL point gives NULL: {out}");
    let n = f64_value(
        &ctx,
        "SELECT count(*) FROM t WHERE 1 = contains(point(ra, dec), circle(77, 89.9, 0.2))",
    )
    .await;
    assert_eq!(n, Some(1.0));
}

#[tokio::test]
async fn measures_and_coordsys() {
    let ctx = ctx();
    let half_sky = adql_geom::FULL_SKY_DEG2 / 2.0;
    assert!(
        (f64_value(&ctx, "SELECT area(circle(0, 0, 90))")
            .await
            .unwrap()
            - half_sky)
            .abs()
            < 1e-9
    );
    assert_eq!(f64_value(&ctx, "SELECT area(point(1, 2))").await, Some(0.0));
    let octant = f64_value(&ctx, "SELECT area(polygon(0, 0, 90, 0, 0, 90))")
        .await
        .unwrap();
    assert!((octant - adql_geom::FULL_SKY_DEG2 / 8.0).abs() < 1e-9);
    assert_eq!(
        f64_value(&ctx, "SELECT coord1(point(12.5, -3))").await,
        Some(12.5)
    );
    assert_eq!(
        f64_value(&ctx, "SELECT coord2(point(12.5, -3))").await,
        Some(-3.0)
    );
    let c = f64_value(
        &ctx,
        "SELECT coord1(centroid(polygon(-10, -10, 10, -10, 10, 10, -10, 10)))",
    )
    .await
    .unwrap();
    assert!(!(1e-9..=360.0 - 1e-9).contains(&c), "{c}");
    let out = text(&ctx, "SELECT coordsys(point('ICRS', 1, 2)) AS a, coordsys(point(1, 2)) AS b, coordsys(region('Circle GALACTIC 1 2 3')) AS c").await;
    assert!(out.contains("| ICRS | UNKNOWN | GALACTIC |"), "{out}");
    let out = text(&ctx, "SELECT region('circle icrs 10 20 1') AS r").await;
    assert!(out.contains("Circle ICRS 10 20 1"), "{out}");
}

#[tokio::test]
async fn arrow_types_and_metadata() {
    let ctx = ctx();
    let batches = run(
        &ctx,
        "SELECT point('ICRS', ra, dec) AS p, circle(1, 2, 3) AS c, box(1, 2, 3, 4) AS b FROM t",
    )
    .await;
    let schema = batches[0].schema();
    assert_eq!(schema.field(0).data_type(), &super::types::point_type());
    assert_eq!(
        schema.field(0).metadata().get("xtype").map(String::as_str),
        Some("point")
    );
    assert_eq!(schema.field(1).data_type(), &super::types::circle_type());
    assert_eq!(schema.field(2).data_type(), &super::types::polygon_type());
    let points = batches[0].column(0).as_fixed_size_list();
    assert!(points.is_null(3), "NULL in, NULL out");
    let corners = batches[0].column(2).as_list::<i32>().value(0);
    assert_eq!(corners.len(), 8);
    // Integer result of CONTAINS.
    let batches = run(&ctx, "SELECT contains(point(1, 2), circle(1, 2, 1)) AS c").await;
    assert_eq!(batches[0].column(0).as_primitive::<Int32Type>().value(0), 1);
}

#[tokio::test]
async fn invalid_geometry_is_an_error() {
    let ctx = ctx();
    for sql in [
        "SELECT point(0, 95)",
        "SELECT circle(0, 0, -1)",
        "SELECT polygon(0, 0, 10, 0, 20, 0)",
        "SELECT region('Ellipse 1 2 3')",
        "SELECT point('QUARK', 1, 2)",
        "SELECT polygon(1, 2, 3, 4, 5)",
        "SELECT distance(1, 2, 3)",
        "SELECT contains(1, 2)",
    ] {
        let result = match ctx.sql(sql).await {
            Ok(df) => df.collect().await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(result.is_err(), "{sql} should fail");
    }
}

#[tokio::test]
async fn simplify_removes_geometry_values_from_cone_filters() {
    let ctx = ctx();
    let plan = text(&ctx, "EXPLAIN SELECT id FROM t WHERE 1 = contains(point('ICRS', ra, dec), circle('ICRS', 0, 0, 0.1))").await;
    assert!(
        plan.contains("distance(t.ra, t.dec, Int64(0), Int64(0))")
            || plan.contains("distance(t.ra, t.dec"),
        "{plan}"
    );
    assert!(
        !plan.contains("contains("),
        "contains should be rewritten: {plan}"
    );
    assert!(
        !plan.contains("point("),
        "no POINT values should be built: {plan}"
    );
    let plan = text(
        &ctx,
        "EXPLAIN SELECT distance(point(ra, dec), point(1, 2)) AS d FROM t",
    )
    .await;
    assert!(plan.contains("distance(ra@0, dec@1, 1, 2) as d"), "{plan}");
}
