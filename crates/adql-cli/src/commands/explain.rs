//! `adql explain`: how the built-in engine plans an ADQL query over local files.

use std::path::PathBuf;
use std::process::ExitCode;

use datafusion::physical_plan::displayable;

use crate::commands::Context;
use crate::commands::query::{TableSpec, UnitSpec, engine_error, read_query, runtime, session};
use crate::syntax_args::SyntaxArgs;
use crate::{Error, Result};

/// Arguments of `adql explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
    /// Register a local file as a table (repeatable).
    #[arg(long = "table", short = 't', value_name = "NAME=PATH")]
    pub(crate) tables: Vec<TableSpec>,
    /// Set the unit of a column of a registered table (repeatable).
    #[arg(long = "unit", value_name = "TABLE.COLUMN=UNIT")]
    pub(crate) units: Vec<UnitSpec>,
    /// Read the query from this file (`-` for standard input).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "query")]
    pub(crate) file: Option<PathBuf>,
    /// The query text; `-` or nothing (without -f) reads standard input.
    #[arg(value_name = "QUERY")]
    pub(crate) query: Option<String>,
}

/// Prints the lowered SQL, the logical plan before and after optimisation, and the physical plan.
pub(crate) fn exec(args: ExplainArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let input = read_query(args.query, args.file.as_deref())?;
    let runtime = runtime()?;
    let session = session(
        &runtime,
        &args.syntax,
        &args.tables,
        &args.units,
        &input.origin,
    )?;
    let fail = |error| engine_error(error, &input.origin, &input.text);
    let text = runtime.block_on(async {
        let lowered = session.lower(&input.text).await.map_err(fail)?;
        let plan = session.logical_plan(&input.text).await.map_err(fail)?;
        let state = session.context().state();
        let optimized = state.optimize(&plan).map_err(|e| fail(e.into()))?;
        let physical = state.create_physical_plan(&optimized).await.map_err(|e| fail(e.into()))?;
        Ok::<_, Error>(format!(
            "Lowered SQL:\n  {}\n\nLogical plan:\n{}\n\nOptimized logical plan:\n{}\n\nPhysical plan:\n{}",
            lowered.statement,
            indent(&plan.display_indent().to_string()),
            indent(&optimized.display_indent().to_string()),
            indent(&displayable(physical.as_ref()).indent(false).to_string()),
        ))
    })?;
    writeln!(ctx.out, "{}", text.trim_end()).map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
