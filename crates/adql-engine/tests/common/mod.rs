//! Shared fixtures: a session with small in-memory tables.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use adql_engine::AdqlSession;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::datasource::MemTable;

fn field(name: &str, data_type: DataType, unit: Option<&str>) -> Field {
    let field = Field::new(name, data_type, true);
    match unit {
        Some(unit) => field.with_metadata(HashMap::from([("unit".to_owned(), unit.to_owned())])),
        None => field,
    }
}

fn table(fields: Vec<Field>, columns: Vec<ArrayRef>) -> Arc<MemTable> {
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap())
}

/// `stars(id, ra[deg], dec[deg], Mag[mag], pmra[mas/yr], name)`, `obs(obs_id, star_id, flux[mJy], band)`,
/// `twins(a, A, Bc, BC)` (columns differing by case; only `a` is in the default lower case) and `Mixed(x)` (a mixed-case table name).
pub fn session() -> AdqlSession {
    let session = AdqlSession::new();
    session
        .register_table(
            "stars",
            table(
                vec![
                    field("id", DataType::Int64, None),
                    field("ra", DataType::Float64, Some("deg")),
                    field("dec", DataType::Float64, Some("deg")),
                    field("Mag", DataType::Float64, Some("mag")),
                    field("pmra", DataType::Float64, Some("mas/yr")),
                    field("name", DataType::Utf8, None),
                ],
                vec![
                    Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])),
                    Arc::new(Float64Array::from(vec![10.0, 10.5, 200.25, 359.5, 0.5])),
                    Arc::new(Float64Array::from(vec![-5.0, 20.0, 45.5, -89.0, 0.0])),
                    Arc::new(Float64Array::from(vec![
                        Some(12.5),
                        Some(9.0),
                        None,
                        Some(15.25),
                        Some(7.75),
                    ])),
                    Arc::new(Float64Array::from(vec![3600.0, -1800.0, 0.0, 36.0, 1.0])),
                    Arc::new(StringArray::from(vec![
                        Some("Vega"),
                        Some("vega b"),
                        Some("Sirius"),
                        None,
                        Some("Altair"),
                    ])),
                ],
            ),
        )
        .unwrap();
    session
        .register_table(
            "obs",
            table(
                vec![
                    field("obs_id", DataType::Int64, None),
                    field("star_id", DataType::Int64, None),
                    field("flux", DataType::Float64, Some("mJy")),
                    field("band", DataType::Utf8, None),
                ],
                vec![
                    Arc::new(Int64Array::from(vec![10, 11, 12, 13])),
                    Arc::new(Int64Array::from(vec![1, 1, 2, 9])),
                    Arc::new(Float64Array::from(vec![1500.0, 250.0, 3.0, 8.0])),
                    Arc::new(StringArray::from(vec!["G", "BP", "G", "RP"])),
                ],
            ),
        )
        .unwrap();
    session
        .register_table(
            "twins",
            table(
                vec![
                    field("a", DataType::Int64, None),
                    field("A", DataType::Int64, None),
                    field("Bc", DataType::Int64, None),
                    field("BC", DataType::Int64, None),
                ],
                vec![
                    Arc::new(Int64Array::from(vec![1])),
                    Arc::new(Int64Array::from(vec![2])),
                    Arc::new(Int64Array::from(vec![3])),
                    Arc::new(Int64Array::from(vec![4])),
                ],
            ),
        )
        .unwrap();
    session
        .register_table(
            "Mixed",
            table(
                vec![field("x", DataType::Int64, None)],
                vec![Arc::new(Int64Array::from(vec![7, 8]))],
            ),
        )
        .unwrap();
    session
}

/// Runs `adql` and returns the column names and the rows as strings (NULL as `NULL`).
pub async fn rows(session: &AdqlSession, adql: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let frame = session
        .query(adql)
        .await
        .unwrap_or_else(|e| panic!("{e} at {:?}", e.line_column(adql)));
    let batches = frame
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{adql}: {e}"));
    let schema = session
        .query(adql)
        .await
        .unwrap()
        .schema()
        .as_arrow()
        .clone();
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut out = Vec::new();
    for batch in &batches {
        for row in 0..batch.num_rows() {
            out.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(row) {
                            "NULL".to_owned()
                        } else {
                            array_value_to_string(c, row).unwrap()
                        }
                    })
                    .collect(),
            );
        }
    }
    (names, out)
}

/// The single value of a one-row, one-column query.
pub async fn value(session: &AdqlSession, adql: &str) -> String {
    let (_, rows) = rows(session, adql).await;
    assert_eq!(rows.len(), 1, "{adql}: {rows:?}");
    rows[0][0].clone()
}

/// The rendered error of a query that must fail, and its line and column.
pub async fn error(session: &AdqlSession, adql: &str) -> (String, Option<(usize, usize)>) {
    let err = match session.query(adql).await {
        Ok(frame) => match frame.collect().await {
            Ok(rows) => panic!("{adql} should fail, got {rows:?}"),
            Err(e) => adql_engine::EngineError::from(e),
        },
        Err(e) => e,
    };
    (err.to_string(), err.line_column(adql))
}
