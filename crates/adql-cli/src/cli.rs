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
    /// The subcommand to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags accepted before or after any subcommand.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Say more about what happens (repeat for more detail).
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
}

impl Command {
    /// Runs the subcommand.
    pub(crate) fn exec(self, ctx: &mut Context<'_>) -> Result<ExitCode> {
        match self {
            Self::Check(args) => commands::check::exec(args, ctx),
            Self::Fmt(args) => commands::fmt::exec(args, ctx),
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
