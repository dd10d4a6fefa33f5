//! The command line as clap derive structures: global flags and the subcommand enum.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::Result;
use crate::commands::{self, Context};

/// Check, format and run ADQL queries across astronomical archives.
#[derive(Debug, Parser)]
#[command(name = "adql", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    /// Flags accepted by every subcommand.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// The subcommand to run; none starts the shell on a terminal.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Flags accepted before or after any subcommand.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Show each request on stderr: service, URL, status, time, the ADQL sent, job URLs and phases
    /// (-vv: more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The subcommands; the doc comment of each variant is its help line.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check that an ADQL query is valid; print a diagnostic and exit with 1 if it is not.
    Check(commands::check::CheckArgs),
    /// Print an ADQL query in canonical form.
    Fmt(commands::fmt::FmtArgs),
    /// Run an ADQL query over local files and remote archives (one query across services).
    Query(commands::query::QueryArgs),
    /// Show how a query is planned: the ADQL sent to each service, join strategies, local plans.
    Explain(commands::explain::ExplainArgs),
    /// Run an ADQL query on a TAP service (sync or async, with uploads).
    Tap(commands::tap::TapArgs),
    /// List, show, read again or delete the async jobs of a TAP service.
    Jobs(commands::jobs::JobsArgs),
    /// Run a Simple Cone Search.
    Cone(commands::cone::ConeArgs),
    /// Run a Simple Image Access 2.0 query.
    Sia(commands::sia::SiaArgs),
    /// Run a Simple Spectral Access query.
    Ssa(commands::ssa::SsaArgs),
    /// List the tables (or one table's columns) of a TAP service.
    Tables(commands::tables::TablesArgs),
    /// Show what a TAP service declares: ADQL features, formats, uploads, limits.
    Capabilities(commands::capabilities::CapabilitiesArgs),
    /// Call a MAST Mashup service.
    Mashup(commands::mashup::MashupArgs),
    /// List the files (data products) the rows of a query or table point to, through DataLink where needed.
    Products(commands::products::ProductsArgs),
    /// Fetch the data products of the rows of a query or table: resumed, verified, in parallel.
    Download(commands::download::DownloadArgs),
    /// List or clear the answers kept by the result cache (`--cache`).
    Cache(commands::cache::CacheArgs),
    /// What every configured service holds around a position or an object: counts per table or service.
    Survey(commands::survey::SurveyArgs),
    /// Resolve an object name to coordinates (MAST name resolver).
    Resolve(commands::resolve::ResolveArgs),
    /// Serve the federation as a TAP service for TOPCAT, pyvo, astroquery and STILTS.
    Serve(commands::serve::ServeArgs),
    /// Type queries one after another, with history and completion (what `adql` alone starts on a
    /// terminal).
    Shell(crate::shell::ShellArgs),
}

impl Command {
    /// The shell with no flags (what `adql` alone starts on a terminal).
    pub(crate) fn shell() -> Result<Self> {
        Ok(Self::Shell(crate::shell::ShellArgs::default_args()?))
    }

    /// Runs the subcommand.
    pub(crate) fn exec(self, ctx: &mut Context<'_>) -> Result<ExitCode> {
        match self {
            Self::Check(args) => commands::check::exec(args, ctx),
            Self::Fmt(args) => commands::fmt::exec(args, ctx),
            Self::Query(args) => commands::query::exec(args, ctx),
            Self::Explain(args) => commands::explain::exec(args, ctx),
            Self::Tap(args) => commands::tap::exec(args, ctx),
            Self::Jobs(args) => commands::jobs::exec(args, ctx),
            Self::Cone(args) => commands::cone::exec(args, ctx),
            Self::Sia(args) => commands::sia::exec(args, ctx),
            Self::Ssa(args) => commands::ssa::exec(args, ctx),
            Self::Tables(args) => commands::tables::exec(args, ctx),
            Self::Capabilities(args) => commands::capabilities::exec(args, ctx),
            Self::Mashup(args) => commands::mashup::exec(args, ctx),
            Self::Products(args) => commands::products::exec(args, ctx),
            Self::Download(args) => commands::download::exec(args, ctx),
            Self::Cache(args) => commands::cache::exec(args, ctx),
            Self::Survey(args) => commands::survey::exec(args, ctx),
            Self::Resolve(args) => commands::resolve::exec(args, ctx),
            Self::Serve(args) => commands::serve::exec(args, ctx),
            Self::Shell(args) => crate::shell::exec(args, ctx),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
