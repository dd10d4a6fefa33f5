//! Local files as tables: declared types from a schema sidecar, and metadata through Parquet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use adql_engine::AdqlSession;
use common::{rows, value};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::dataframe::DataFrameWriteOptions;

const CSV: &str = "id,mag,pos,circ,poly,t,label\n\
1,19.3828125,10.0 20.0,10.0 20.0 1.0,0 0 1 0 1 1,2020-02-29T12:00:00,007\n\
2,,,,,,\n";

const SIDECAR: &str = r#"{"columns": [
  {"name": "id", "type": "SMALLINT"},
  {"name": "mag", "type": "REAL", "unit": "mag", "ucd": "phot.mag"},
  {"name": "pos", "type": "POINT", "unit": "deg"},
  {"name": "circ", "xtype": "circle"},
  {"name": "poly", "type": "POLYGON"},
  {"name": "t", "type": "TIMESTAMP"},
  {"name": "label", "type": "VARCHAR(8)"}
]}"#;

async fn typed_session(dir: &std::path::Path) -> AdqlSession {
    let csv = dir.join("t.csv");
    std::fs::write(&csv, CSV).unwrap();
    std::fs::write(dir.join("t.schema.json"), SIDECAR).unwrap();
    let session = AdqlSession::new();
    session.register_file("t", &csv).await.unwrap();
    session
}

#[tokio::test]
async fn a_sidecar_declares_csv_types_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let session = typed_session(dir.path()).await;
    let schema = session
        .query("SELECT * FROM t")
        .await
        .unwrap()
        .schema()
        .as_arrow()
        .clone();
    let types: Vec<DataType> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(types[0], DataType::Int16);
    assert_eq!(types[1], DataType::Float32);
    assert!(matches!(types[2], DataType::FixedSizeList(_, 2)));
    assert!(matches!(types[3], DataType::FixedSizeList(_, 3)));
    assert!(matches!(types[4], DataType::List(_)));
    assert_eq!(types[5], DataType::Timestamp(TimeUnit::Nanosecond, None));
    assert_eq!(types[6], DataType::Utf8);
    let mag = schema.field(1).metadata();
    assert_eq!(mag.get("unit").map(String::as_str), Some("mag"));
    assert_eq!(mag.get("ucd").map(String::as_str), Some("phot.mag"));
    assert_eq!(
        schema.field(3).metadata().get("xtype").map(String::as_str),
        Some("circle")
    );

    // Text that looks like a number stays text; geometry columns work with the geometry functions.
    assert_eq!(
        value(&session, "SELECT label FROM t WHERE id = 1").await,
        "007"
    );
    assert_eq!(
        value(
            &session,
            "SELECT CONTAINS(pos, circ) + CONTAINS(POINT(0.5, 0.2), poly) FROM t WHERE id = 1"
        )
        .await,
        "2"
    );
    // Empty fields are NULL in every type.
    let (_, got) = rows(&session, "SELECT * FROM t WHERE id = 2").await;
    assert!(got[0][1..].iter().all(|v| v == "NULL"), "{got:?}");
}

#[tokio::test]
async fn a_sidecar_that_disagrees_with_the_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("u.csv");
    std::fs::write(&csv, "a,b\n1,2\n").unwrap();
    let session = AdqlSession::new();

    std::fs::write(
        dir.path().join("u.schema.json"),
        r#"{"columns": [{"name": "a", "type": "INTEGER"}]}"#,
    )
    .unwrap();
    let err = session.register_file("u", &csv).await.unwrap_err();
    assert!(err.to_string().contains("declares 1"), "{err}");

    std::fs::write(
        dir.path().join("u.schema.json"),
        r#"{"columns": [{"name": "a", "type": "INTEGER"}, {"name": "c", "type": "INTEGER"}]}"#,
    )
    .unwrap();
    let err = session.register_file("u", &csv).await.unwrap_err();
    assert!(err.to_string().contains("'b'"), "{err}");

    std::fs::write(
        dir.path().join("u.schema.json"),
        r#"{"columns": [{"name": "a", "type": "POINT"}, {"name": "b", "type": "INTEGER"}]}"#,
    )
    .unwrap();
    let err = session.register_file("u", &csv).await.unwrap_err();
    assert!(err.to_string().contains("needs 2 numbers"), "{err}");
}

#[tokio::test]
async fn units_survive_a_parquet_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let session = typed_session(dir.path()).await;
    let parquet = dir.path().join("p.parquet");
    session
        .query("SELECT id, mag FROM t")
        .await
        .unwrap()
        .write_parquet(
            parquet.to_str().unwrap(),
            DataFrameWriteOptions::new().with_single_file_output(true),
            None,
        )
        .await
        .unwrap();
    let again = AdqlSession::new();
    again.register_file("p", &parquet).await.unwrap();
    let schema = again
        .query("SELECT mag FROM p")
        .await
        .unwrap()
        .schema()
        .as_arrow()
        .clone();
    assert_eq!(
        schema.field(0).metadata().get("unit").map(String::as_str),
        Some("mag")
    );
    assert_eq!(
        value(&again, "SELECT IN_UNIT(mag, 'mmag') FROM p WHERE id = 1").await,
        "19382.8125"
    );
}
