//! `Engine` as a library front door: local tables and functions registered and removed, one error type
//! that keeps the query position, and an `Explanation` of plan objects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use adql_federation::{Catalogue, Engine, EngineOptions, FederationError};
use datafusion::arrow::array::{AsArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{ColumnarValue, LogicalPlan, Volatility, create_udf};

fn engine() -> Engine {
    let engine = Engine::new(Catalogue::empty(), EngineOptions::default()).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("ra", DataType::Float64, false),
        Field::new("dec", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Float64Array::from(vec![56.75, 10.0])),
            Arc::new(Float64Array::from(vec![24.12, -5.0])),
        ],
    )
    .unwrap();
    let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
    engine.register_table("stars", Arc::new(table)).unwrap();
    engine
}

#[tokio::test]
async fn a_registered_function_is_callable_in_adql() {
    let engine = engine();
    let adql = "SELECT twice(ra) AS t FROM stars ORDER BY t";
    let before = engine.query(adql).await.unwrap_err();
    assert_eq!(
        before.span().map(|s| &adql[s]),
        Some("twice(ra)"),
        "{before}"
    );

    let twice = create_udf(
        "twice",
        vec![DataType::Float64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let x = arrays[0].as_primitive::<Float64Type>();
            let doubled: Float64Array = x.iter().map(|v| v.map(|v| 2.0 * v)).collect();
            Ok(ColumnarValue::Array(Arc::new(doubled)))
        }),
    );
    engine.register_udf(twice);
    let rows = engine.query(adql).await.unwrap().collect().await.unwrap();
    let t = rows[0].column(0).as_primitive::<Float64Type>();
    assert_eq!((t.len(), t.value(0), t.value(1)), (2, 20.0, 113.5));
}

#[tokio::test]
async fn a_deregistered_table_is_gone_and_errors_keep_their_position() {
    let engine = engine();
    assert!(engine.query("SELECT ra FROM stars").await.is_ok());
    assert!(engine.deregister_table("stars").is_some());
    assert!(engine.deregister_table("stars").is_none());
    let adql = "SELECT ra FROM stars";
    let err = engine.query(adql).await.unwrap_err();
    assert!(matches!(err, FederationError::Query(_)), "{err:?}");
    assert_eq!(err.span().map(|s| &adql[s]), Some("stars"), "{err}");
    // The same table may be registered again, and a name is taken only once.
    let engine = self::engine();
    let stars = engine.deregister_table("stars").unwrap();
    engine.register_table("stars", stars.clone()).unwrap();
    assert!(engine.query(adql).await.is_ok());
    let err = engine.register_table("stars", stars).unwrap_err();
    assert!(matches!(err, FederationError::Query(_)), "{err:?}");
}

#[tokio::test]
async fn an_explanation_holds_the_plans() {
    let engine = engine();
    let explanation = engine
        .explain("SELECT COUNT(*) AS n FROM stars WHERE dec > 0")
        .await
        .unwrap();
    assert!(explanation.remote_parts.is_empty());
    assert!(matches!(
        explanation.logical_plan,
        LogicalPlan::Projection(_)
    ));
    assert!(explanation.physical_plan.schema().field(0).name() == "n");
    let text = explanation.to_string();
    for section in [
        "Remote parts: none",
        "Lowered SQL:",
        "Optimized logical plan:",
        "Physical plan:",
    ] {
        assert!(text.contains(section), "{section}: {text}");
    }
}

#[test]
fn from_env_builds_an_engine_too() {
    // With no proxy or token settings that are wrong, both constructors succeed; `new` never reads them.
    assert!(Engine::from_env(Catalogue::empty(), EngineOptions::default()).is_ok());
    assert!(Engine::new(Catalogue::builtin(), EngineOptions::default()).is_ok());
}
