//! [`Served`]: the tables the service lists — the tables of the listed catalogue services, the local tables,
//! and `TAP_SCHEMA` itself — as `/tables` and `TAP_SCHEMA` describe them, and the `TAP_SCHEMA` tables built
//! from that description.
//!
//! Naming: a remote table is listed under the three-part name `adql query` takes (`service.schema.table`,
//! e.g. `gaia.gaiadr3.gaia_source`) in schema `service.schema`; a local table under its own name in schema
//! `local`; the upload and metadata schemas as `TAP_UPLOAD` and `TAP_SCHEMA`. Every listed `table_name` is
//! a name a query can use as it is written.

use std::sync::Arc;

use adql_federation::{ColumnMetadata, Engine, TableMetadata};
use adql_syntax::ast::Ident;
use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use votable_arrow::keys;

/// One column as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServedColumn {
    pub(crate) name: String,
    /// VOTable datatype.
    pub(crate) datatype: String,
    pub(crate) arraysize: Option<String>,
    pub(crate) xtype: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) ucd: Option<String>,
    pub(crate) utype: Option<String>,
    pub(crate) description: Option<String>,
}

/// One table as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServedTable {
    /// `TAP_SCHEMA.schemas.schema_name`.
    pub(crate) schema: String,
    /// The name queries use.
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) rows: Option<u64>,
    pub(crate) columns: Vec<ServedColumn>,
    /// Foreign keys: `(target table, from column, target column)`.
    pub(crate) foreign_keys: Vec<(String, String, String)>,
}

/// Everything listed, and the `TAP_SCHEMA` tables each query's session gets.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    pub(crate) tables: Vec<ServedTable>,
    /// `(table, provider)` of `TAP_SCHEMA`.
    pub(crate) tap_schema: Vec<(String, Arc<MemTable>)>,
    /// Listed services that could not be described, with why (shown by `/availability`).
    pub(crate) failures: Vec<String>,
}

/// The schema of the local tables.
pub(crate) const LOCAL_SCHEMA: &str = "local";

impl Served {
    /// Describes the listed services of `engine` (a failing one is left out and reported) and its local
    /// tables, and builds `TAP_SCHEMA` from them.
    pub(crate) async fn describe(engine: &Engine, listed: &[String]) -> Self {
        let mut tables = Vec::new();
        let mut failures = Vec::new();
        for service in listed {
            match engine.service_tables(service).await {
                Ok(metadata) => tables.extend(metadata.iter().map(|t| remote_table(service, t))),
                Err(e) => failures.push(format!("{service}: {e}")),
            }
        }
        for (name, schema) in engine.local_tables() {
            tables.push(ServedTable {
                schema: LOCAL_SCHEMA.to_owned(),
                name: Ident::new(name).to_string(),
                description: None,
                rows: None,
                columns: schema.fields().iter().map(|f| arrow_column(f)).collect(),
                foreign_keys: Vec::new(),
            });
        }
        let skeleton = tap_schema_schemas();
        // TAP_SCHEMA lists itself (its tables as they are built, rows aside).
        for (table, schema, description) in &skeleton {
            let name = format!("TAP_SCHEMA.{table}");
            let foreign_keys = TAP_SCHEMA_KEYS
                .iter()
                .filter(|k| k.1 == name)
                .map(|k| (k.3.to_owned(), k.2.to_owned(), k.4.to_owned()))
                .collect();
            tables.push(ServedTable {
                schema: "TAP_SCHEMA".to_owned(),
                name,
                description: Some((*description).to_owned()),
                rows: None,
                columns: schema.fields().iter().map(|f| arrow_column(f)).collect(),
                foreign_keys,
            });
        }
        let tap_schema = build_tap_schema(&tables, &skeleton);
        Self {
            tables,
            tap_schema,
            failures,
        }
    }
}

/// A table of service `service` as listed.
fn remote_table(service: &str, table: &TableMetadata) -> ServedTable {
    let schema = table.schema_name();
    let name = table.table_name();
    ServedTable {
        // Exact spellings: `"Cat"` stays delimited, so that the name means the same to any client.
        schema: format!("{}.{}", Ident::new(service), Ident::exact(schema.clone())),
        name: format!(
            "{}.{}.{}",
            Ident::new(service),
            Ident::exact(schema),
            Ident::exact(name)
        ),
        description: table.description.clone(),
        rows: table.rows,
        columns: table.columns.iter().map(remote_column).collect(),
        foreign_keys: Vec::new(),
    }
}

/// A column of a service's table, its type said as VOTable says it (services describe with TAP types
/// too: `VARCHAR`, `DOUBLE`, …).
fn remote_column(column: &ColumnMetadata) -> ServedColumn {
    let (datatype, arraysize, xtype) = votable_type(
        &column.datatype,
        column.arraysize.clone(),
        column.xtype.clone(),
    );
    ServedColumn {
        name: column.name.clone(),
        datatype,
        arraysize,
        xtype,
        unit: column.unit.clone(),
        ucd: column.ucd.clone(),
        utype: column.utype.clone(),
        description: column.description.clone(),
    }
}

/// A VOTable `(datatype, arraysize, xtype)` for a type a service declared, in VOTable or TAP terms.
fn votable_type(
    datatype: &str,
    arraysize: Option<String>,
    xtype: Option<String>,
) -> (String, Option<String>, Option<String>) {
    let text = |xt: &str| {
        (
            "char".to_owned(),
            Some(arraysize.clone().unwrap_or_else(|| "*".to_owned())),
            xtype.clone().or_else(|| Some(xt.to_owned())),
        )
    };
    match datatype.to_ascii_uppercase().as_str() {
        "SMALLINT" => ("short".into(), arraysize, xtype),
        "INTEGER" => ("int".into(), arraysize, xtype),
        "BIGINT" => ("long".into(), arraysize, xtype),
        "REAL" => ("float".into(), arraysize, xtype),
        "DOUBLE" => ("double".into(), arraysize, xtype),
        "VARCHAR" | "CHAR" | "CLOB" => (
            "char".into(),
            Some(arraysize.unwrap_or_else(|| "*".to_owned())),
            xtype,
        ),
        "TIMESTAMP" => text("timestamp"),
        "POINT" => (
            "double".into(),
            Some("2".into()),
            xtype.or_else(|| Some("point".into())),
        ),
        "REGION" => text("adql:REGION"),
        "BOOLEAN" => ("boolean".into(), arraysize, xtype),
        "BINARY" | "VARBINARY" | "BLOB" => (
            "unsignedByte".into(),
            Some(arraysize.unwrap_or_else(|| "*".to_owned())),
            xtype,
        ),
        _ => (datatype.to_owned(), arraysize, xtype),
    }
}

/// A column of an Arrow schema as listed: the type the VOTable writer gives it, and its field metadata.
fn arrow_column(field: &Field) -> ServedColumn {
    let md = field.metadata();
    let declared = votable_arrow::declared_type(field).ok();
    ServedColumn {
        // Delimited where ADQL needs it (`"size"` of TAP_SCHEMA.columns is a reserved word).
        name: Ident::new(field.name().clone()).to_string(),
        datatype: declared
            .as_ref()
            .map_or_else(|| "char".to_owned(), |d| d.datatype.as_str().to_owned()),
        arraysize: declared.as_ref().and_then(|d| d.arraysize.clone()),
        xtype: declared.and_then(|d| d.xtype),
        unit: md.get(keys::UNIT).cloned(),
        ucd: md.get(keys::UCD).cloned(),
        utype: md.get(keys::UTYPE).cloned(),
        description: md.get(keys::DESCRIPTION).cloned(),
    }
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn int(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}

/// The `TAP_SCHEMA` tables (TAP 1.1): name, schema, description.
fn tap_schema_schemas() -> Vec<(&'static str, SchemaRef, &'static str)> {
    vec![
        (
            "schemas",
            Arc::new(Schema::new(vec![
                text("schema_name"),
                text("utype"),
                text("description"),
                int("schema_index"),
            ])),
            "The schemas of this service.",
        ),
        (
            "tables",
            Arc::new(Schema::new(vec![
                text("schema_name"),
                text("table_name"),
                text("table_type"),
                text("utype"),
                text("description"),
                int("table_index"),
            ])),
            "The tables of this service, by the names queries use.",
        ),
        (
            "columns",
            Arc::new(Schema::new(vec![
                text("table_name"),
                text("column_name"),
                text("datatype"),
                text("arraysize"),
                int("size"),
                text("xtype"),
                text("description"),
                text("utype"),
                text("unit"),
                text("ucd"),
                int("indexed"),
                int("principal"),
                int("std"),
                int("column_index"),
            ])),
            "The columns of the tables of this service.",
        ),
        (
            "keys",
            Arc::new(Schema::new(vec![
                text("key_id"),
                text("from_table"),
                text("target_table"),
                text("utype"),
                text("description"),
            ])),
            "Foreign keys between tables (those of TAP_SCHEMA).",
        ),
        (
            "key_columns",
            Arc::new(Schema::new(vec![
                text("key_id"),
                text("from_column"),
                text("target_column"),
            ])),
            "The columns of the foreign keys.",
        ),
    ]
}

/// The foreign keys of `TAP_SCHEMA` itself (TAP 1.1): id, from table, from column, target table, target
/// column.
const TAP_SCHEMA_KEYS: [(&str, &str, &str, &str, &str); 5] = [
    (
        "tap_schema_tables_schema",
        "TAP_SCHEMA.tables",
        "schema_name",
        "TAP_SCHEMA.schemas",
        "schema_name",
    ),
    (
        "tap_schema_columns_table",
        "TAP_SCHEMA.columns",
        "table_name",
        "TAP_SCHEMA.tables",
        "table_name",
    ),
    (
        "tap_schema_keys_from",
        "TAP_SCHEMA.keys",
        "from_table",
        "TAP_SCHEMA.tables",
        "table_name",
    ),
    (
        "tap_schema_keys_target",
        "TAP_SCHEMA.keys",
        "target_table",
        "TAP_SCHEMA.tables",
        "table_name",
    ),
    (
        "tap_schema_key_columns_key",
        "TAP_SCHEMA.key_columns",
        "key_id",
        "TAP_SCHEMA.keys",
        "key_id",
    ),
];

fn strings<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

fn ints(values: impl IntoIterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<Int32Array>())
}

fn index(i: usize) -> Option<i32> {
    i32::try_from(i).ok()
}

/// The `TAP_SCHEMA` tables describing `tables`.
fn build_tap_schema(
    tables: &[ServedTable],
    skeleton: &[(&'static str, SchemaRef, &'static str)],
) -> Vec<(String, Arc<MemTable>)> {
    let mut schemas: Vec<&str> = Vec::new();
    for t in tables {
        if !schemas.contains(&t.schema.as_str()) {
            schemas.push(&t.schema);
        }
    }
    let columns: Vec<(&ServedTable, usize, &ServedColumn)> = tables
        .iter()
        .flat_map(|t| t.columns.iter().enumerate().map(move |(i, c)| (t, i, c)))
        .collect();
    let data: Vec<Vec<ArrayRef>> = vec![
        vec![
            strings(schemas.iter().map(|s| Some(*s))),
            strings(schemas.iter().map(|_| None)),
            strings(schemas.iter().map(|s| {
                Some(if *s == LOCAL_SCHEMA {
                    "Tables of this server's own files."
                } else if *s == "TAP_SCHEMA" {
                    "This service's metadata."
                } else {
                    "Tables of a remote service, queried through it."
                })
            })),
            ints((0..schemas.len()).map(index)),
        ],
        vec![
            strings(tables.iter().map(|t| Some(t.schema.as_str()))),
            strings(tables.iter().map(|t| Some(t.name.as_str()))),
            strings(tables.iter().map(|_| Some("table"))),
            strings(tables.iter().map(|_| None)),
            strings(tables.iter().map(|t| t.description.as_deref())),
            ints((0..tables.len()).map(index)),
        ],
        vec![
            strings(columns.iter().map(|(t, _, _)| Some(t.name.as_str()))),
            strings(columns.iter().map(|(_, _, c)| Some(c.name.as_str()))),
            strings(columns.iter().map(|(_, _, c)| Some(c.datatype.as_str()))),
            strings(columns.iter().map(|(_, _, c)| c.arraysize.as_deref())),
            ints(columns.iter().map(|(_, _, c)| {
                c.arraysize
                    .as_deref()
                    .and_then(|a| a.trim_end_matches('*').parse::<i32>().ok())
            })),
            strings(columns.iter().map(|(_, _, c)| c.xtype.as_deref())),
            strings(columns.iter().map(|(_, _, c)| c.description.as_deref())),
            strings(columns.iter().map(|(_, _, c)| c.utype.as_deref())),
            strings(columns.iter().map(|(_, _, c)| c.unit.as_deref())),
            strings(columns.iter().map(|(_, _, c)| c.ucd.as_deref())),
            ints(columns.iter().map(|_| Some(0))),
            ints(columns.iter().map(|_| Some(1))),
            ints(
                columns
                    .iter()
                    .map(|(t, _, _)| Some(i32::from(t.schema == "TAP_SCHEMA"))),
            ),
            ints(columns.iter().map(|(_, i, _)| index(*i))),
        ],
        vec![
            strings(TAP_SCHEMA_KEYS.iter().map(|k| Some(k.0))),
            strings(TAP_SCHEMA_KEYS.iter().map(|k| Some(k.1))),
            strings(TAP_SCHEMA_KEYS.iter().map(|k| Some(k.3))),
            strings(TAP_SCHEMA_KEYS.iter().map(|_| None)),
            strings(TAP_SCHEMA_KEYS.iter().map(|_| None)),
        ],
        vec![
            strings(TAP_SCHEMA_KEYS.iter().map(|k| Some(k.0))),
            strings(TAP_SCHEMA_KEYS.iter().map(|k| Some(k.2))),
            strings(TAP_SCHEMA_KEYS.iter().map(|k| Some(k.4))),
        ],
    ];
    skeleton
        .iter()
        .zip(data)
        .filter_map(|((name, schema, _), arrays)| {
            let batch = RecordBatch::try_new(Arc::clone(schema), arrays).ok()?;
            let table = MemTable::try_new(Arc::clone(schema), vec![vec![batch]]).ok()?;
            Some(((*name).to_owned(), Arc::new(table)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tap_types_are_listed_as_votable_types() {
        assert_eq!(votable_type("DOUBLE", None, None).0, "double");
        assert_eq!(
            votable_type("VARCHAR", None, None),
            ("char".into(), Some("*".into()), None)
        );
        assert_eq!(
            votable_type("POINT", None, None),
            ("double".into(), Some("2".into()), Some("point".into()))
        );
        assert_eq!(
            votable_type("char", Some("12".into()), None),
            ("char".into(), Some("12".into()), None)
        );
    }

    #[test]
    fn remote_tables_are_listed_by_the_names_queries_use() {
        let table = TableMetadata {
            schema: "gaiadr3".into(),
            name: "gaiadr3.gaia_source".into(),
            description: None,
            columns: vec![ColumnMetadata {
                name: "ra".into(),
                datatype: "double".into(),
                ..ColumnMetadata::default()
            }],
            rows: Some(10),
        };
        let served = remote_table("gaia", &table);
        assert_eq!(served.name, "gaia.gaiadr3.gaia_source");
        assert_eq!(served.schema, "gaia.gaiadr3");
        let odd = TableMetadata {
            schema: "\"Cat\"".into(),
            name: "\"Cat\".\"My Table\"".into(),
            ..table
        };
        assert_eq!(remote_table("gaia", &odd).name, "gaia.\"Cat\".\"My Table\"");
    }

    #[test]
    fn tap_schema_describes_every_table_and_column() {
        let tables = vec![ServedTable {
            schema: LOCAL_SCHEMA.into(),
            name: "stars".into(),
            description: None,
            rows: None,
            columns: vec![ServedColumn {
                name: "ra".into(),
                datatype: "double".into(),
                ..ServedColumn::default()
            }],
            foreign_keys: Vec::new(),
        }];
        let built = build_tap_schema(&tables, &tap_schema_schemas());
        let names: Vec<&str> = built.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["schemas", "tables", "columns", "keys", "key_columns"]
        );
    }
}
