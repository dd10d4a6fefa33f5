//! `adql tables`: the tables (and, for one table, the columns) of a TAP service, from VOSI
//! `/tables` or, failing that, `TAP_SCHEMA`, written like any result (a table for people; CSV, JSON,
//! Parquet or VOTable with `--format` or `-o`).

use std::process::ExitCode;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use vo_client::tap::TapService;

use crate::commands::Context;
use crate::commands::tap::{http_client, runtime};
use crate::output::{OutputArgs, ResultSink, one_line};
use crate::{Error, Result};

/// Arguments of `adql tables`.
#[derive(Debug, clap::Args)]
pub(crate) struct TablesArgs {
    /// The TAP service's base URL.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// Show the columns of this table.
    #[arg(long, value_name = "NAME")]
    pub(crate) table: Option<String>,
    /// Where and how the list is written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

/// Text columns of a listing; an absent value is NULL (shown as such), not an empty string.
fn strings(values: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

/// Runs `adql tables`.
pub(crate) fn exec(args: TablesArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let set = crate::interrupt::block_on(&runtime()?, async {
        Ok::<_, Error>(TapService::new(http_client()?, &args.url)?.tables().await?)
    })?;
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let batch = match &args.table {
        None => {
            let tables: Vec<_> = set.tables().collect();
            let schema = Schema::new(vec![
                text("table"),
                Field::new("rows", DataType::UInt64, true),
                text("description"),
            ]);
            RecordBatch::try_new(
                Arc::new(schema),
                vec![
                    strings(tables.iter().map(|t| Some(t.name.clone())).collect()),
                    Arc::new(UInt64Array::from(
                        tables.iter().map(|t| t.nrows).collect::<Vec<_>>(),
                    )),
                    strings(
                        tables
                            .iter()
                            .map(|t| one_line(t.description.as_deref()))
                            .collect(),
                    ),
                ],
            )
        }
        Some(name) => {
            let t = set
                .table(name)
                .ok_or_else(|| Error::Usage(format!("the service has no table '{name}'")))?;
            let names = [
                "column",
                "datatype",
                "arraysize",
                "xtype",
                "unit",
                "ucd",
                "description",
            ];
            let schema = Schema::new(names.iter().map(|n| text(n)).collect::<Vec<_>>());
            let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); names.len()];
            for c in &t.columns {
                let (datatype, size, xtype) = c.votable_datatype().unwrap_or_default();
                let row = [
                    Some(c.name.clone()),
                    (!datatype.is_empty()).then(|| datatype.to_string()),
                    size.map(|s| s.to_string()),
                    xtype.map(|x| x.to_string()),
                    c.unit.clone(),
                    c.ucd.clone(),
                    one_line(c.description.as_deref()),
                ];
                for (column, value) in columns.iter_mut().zip(row) {
                    column.push(value);
                }
            }
            RecordBatch::try_new(Arc::new(schema), columns.into_iter().map(strings).collect())
        }
    }
    .map_err(|e| Error::Output(std::io::Error::other(e)))?;
    ResultSink::write_whole(&args.out, &batch, ctx)?;
    if !set.complete {
        eprintln!(
            "adql: warning: the table list is incomplete (TAP_SCHEMA was truncated by the service)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
