//! `adql tables`: the tables (and, for one table, the columns) of a TAP service, from VOSI
//! `/tables` or, failing that, `TAP_SCHEMA`.

use std::process::ExitCode;

use vo_client::tap::TapService;

use crate::commands::Context;
use crate::commands::tap::{http_client, runtime};
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
}

/// A description on one line: runs of white space (line breaks included) become one space.
fn one_line(text: Option<&str>) -> String {
    text.unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `adql tables`.
pub(crate) fn exec(args: TablesArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let set = crate::interrupt::block_on(&runtime()?, async {
        Ok::<_, Error>(TapService::new(http_client()?, &args.url)?.tables().await?)
    })?;
    let out = &mut *ctx.out;
    match &args.table {
        None => {
            for t in set.tables() {
                let rows = t.nrows.map(|n| format!("{n} rows")).unwrap_or_default();
                let desc = one_line(t.description.as_deref());
                writeln!(out, "{}\t{}\t{}", t.name, rows, desc).map_err(Error::Output)?;
            }
        }
        Some(name) => {
            let t = set
                .table(name)
                .ok_or_else(|| Error::Usage(format!("the service has no table '{name}'")))?;
            writeln!(
                out,
                "column\tdatatype\tarraysize\txtype\tunit\tucd\tdescription"
            )
            .map_err(Error::Output)?;
            for c in &t.columns {
                let (dt, size, xtype) = c.votable_datatype().unwrap_or_default();
                let desc = one_line(c.description.as_deref());
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    c.name,
                    dt,
                    size.unwrap_or_default(),
                    xtype.unwrap_or_default(),
                    c.unit.as_deref().unwrap_or(""),
                    c.ucd.as_deref().unwrap_or(""),
                    desc
                )
                .map_err(Error::Output)?;
            }
        }
    }
    if !set.complete {
        eprintln!(
            "adql: warning: the table list is incomplete (TAP_SCHEMA was truncated by the service)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
