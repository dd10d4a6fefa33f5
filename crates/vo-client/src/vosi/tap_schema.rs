//! Table metadata from `TAP_SCHEMA`, for services whose VOSI `/tables` is missing or unusable.

use std::collections::HashMap;

use futures::StreamExt;

use super::tableset::{ColumnMeta, SchemaMeta, TableMeta, TableSet};
use crate::arrow_util::column_cell;
use crate::error::Result;
use crate::result::Completeness;
use crate::tap::{TapQuery, TapService};

/// Reads the metadata from `TAP_SCHEMA.tables` and `TAP_SCHEMA.columns`.
pub async fn from_tap_schema(tap: &TapService) -> Result<TableSet> {
    let mut complete = true;
    let mut schemas: Vec<SchemaMeta> = Vec::new();
    let mut index: HashMap<String, (usize, usize)> = HashMap::new();

    let mut tables = tap
        .query_sync(&TapQuery::new("SELECT * FROM TAP_SCHEMA.tables"), None)
        .await?;
    while let Some(batch) = tables.next().await {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            let Some(name) = column_cell(&batch, "table_name", row) else {
                continue;
            };
            let schema_name = column_cell(&batch, "schema_name", row).unwrap_or_default();
            let si = match schemas.iter().position(|s| s.name == schema_name) {
                Some(i) => i,
                None => {
                    schemas.push(SchemaMeta {
                        name: schema_name,
                        ..SchemaMeta::default()
                    });
                    schemas.len() - 1
                }
            };
            let Some(schema) = schemas.get_mut(si) else {
                continue;
            };
            index.insert(name.to_ascii_lowercase(), (si, schema.tables.len()));
            schema.tables.push(TableMeta {
                name,
                title: None,
                description: column_cell(&batch, "description", row),
                table_type: column_cell(&batch, "table_type", row),
                nrows: column_cell(&batch, "nrows", row).and_then(|n| n.parse().ok()),
                columns: Vec::new(),
            });
        }
    }
    complete &= tables
        .completeness()
        .is_none_or(|c| c == Completeness::Complete);

    let mut columns = tap
        .query_sync(&TapQuery::new("SELECT * FROM TAP_SCHEMA.columns"), None)
        .await?;
    while let Some(batch) = columns.next().await {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            let (Some(table), Some(name)) = (
                column_cell(&batch, "table_name", row),
                column_cell(&batch, "column_name", row),
            ) else {
                continue;
            };
            let Some(&(si, ti)) = index.get(&table.to_ascii_lowercase()) else {
                continue;
            };
            let flag = |col: &str, label: &str| {
                column_cell(&batch, col, row)
                    .filter(|v| v == "1" || v == "true")
                    .map(|_| label.to_owned())
            };
            let col = ColumnMeta {
                name,
                datatype: column_cell(&batch, "datatype", row),
                // TAP 1.1 TAP_SCHEMA holds VOTable types; TAP 1.0 held TAP types
                // (upper-case names such as VARCHAR).
                votable_types: column_cell(&batch, "datatype", row)
                    .is_some_and(|d| d.chars().any(|c| c.is_ascii_lowercase())),
                arraysize: column_cell(&batch, "arraysize", row)
                    .or_else(|| column_cell(&batch, "size", row).filter(|s| s != "0")),
                xtype: column_cell(&batch, "xtype", row),
                unit: column_cell(&batch, "unit", row).filter(|u| !u.is_empty()),
                ucd: column_cell(&batch, "ucd", row).filter(|u| !u.is_empty()),
                utype: column_cell(&batch, "utype", row).filter(|u| !u.is_empty()),
                description: column_cell(&batch, "description", row).filter(|d| !d.is_empty()),
                flags: [
                    flag("indexed", "indexed"),
                    flag("principal", "principal"),
                    flag("std", "std"),
                ]
                .into_iter()
                .flatten()
                .collect(),
            };
            if let Some(t) = schemas.get_mut(si).and_then(|s| s.tables.get_mut(ti)) {
                t.columns.push(col);
            }
        }
    }
    complete &= columns
        .completeness()
        .is_none_or(|c| c == Completeness::Complete);
    Ok(TableSet { schemas, complete })
}
