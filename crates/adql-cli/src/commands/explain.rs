//! `adql explain`: how a query is planned: the ADQL each service is sent, the strategy of every
//! cross-service join, and the local plans.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands::Context;
use crate::commands::query::{read_query, runtime};
use crate::error::query_error;
use crate::session_args::SessionArgs;
use crate::{Error, Result};

/// Arguments of `adql explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// The engine: syntax, services, local tables.
    #[command(flatten)]
    pub(crate) session: SessionArgs,
    /// Read the query from this file (`-` for standard input).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "query")]
    pub(crate) file: Option<PathBuf>,
    /// The query text; `-` or nothing (without -f) reads standard input.
    #[arg(value_name = "QUERY")]
    pub(crate) query: Option<String>,
}

/// Prints the remote parts (service, URL, exact ADQL), the lowered SQL, the optimized logical plan and the
/// physical plan.
pub(crate) fn exec(args: ExplainArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let input = read_query(args.query, args.file.as_deref())?;
    let runtime = runtime()?;
    let engine = args.session.engine(&runtime, &input.origin)?;
    let explanation = crate::interrupt::block_on(&runtime, async {
        engine
            .explain(&input.text)
            .await
            .map_err(|e| query_error(e, &input.origin, &input.text))
    })?;
    writeln!(ctx.out, "{}", explanation.to_string().trim_end()).map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}
