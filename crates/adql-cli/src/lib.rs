//! The `adql` command line.
//!
//! The binary of the root package calls [`main`]. The layout follows datafusion-cli and hpx:
//!
//! - `cli`: the clap derive structures (global flags and the [`Command`](cli::Command) enum);
//! - `commands/`: one module per subcommand, each with an `exec` function;
//! - `syntax_args`: the flags shared by every subcommand that parses ADQL;
//! - `federation_args`: the flags of `query` and `explain` that choose remote services, and the engine they build;
//! - `session_args`: those flags with the syntax flags and the local tables: everything an engine is made of;
//! - `input`: reading the query from a file or standard input;
//! - `shell`: the interactive shell (`adql shell`, or `adql` alone on a terminal);
//! - `interrupt`: Ctrl-C and SIGTERM, which stop the work, delete its remote jobs and exit with 130;
//! - `output`: the output flags, formats and destinations of every subcommand that writes rows;
//! - `position`: positions (decimal, sexagesimal) and object names of `cone`, `sia`, `mashup`;
//! - `progress`: the spinner on stderr;
//! - `verbose`: `-v`/`-vv`, each request on stderr;
//! - `error`: the crate's error type and its exit codes;
//! - `report`: the one place where errors become text for people, with `diagnostic` drawing those that
//!   point into the query.
//!
//! Adding a subcommand takes a module under `commands/` and one variant (plus its dispatch arm) in
//! [`Command`](cli::Command).
//!
//! Exit codes: 0 success, 1 the query is invalid (a diagnostic is printed on stderr) or a service refused it, 2
//! usage or I/O error,
//! 3 a remote result was truncated (MAXREC), 4 a remote service or the network failed, 130 interrupted.

mod cli;
mod commands;
mod diagnostic;
mod error;
mod federation_args;
mod input;
mod interrupt;
pub mod output;
mod position;
mod progress;
mod report;
mod session_args;
mod shell;
mod syntax_args;
mod verbose;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

pub use error::{Error, Result};

/// Runs the command line with the process arguments and returns the process exit code.
///
/// Errors are rendered on stderr, prefixed `adql: error: `; a broken pipe on stdout (`adql fmt q.adql | head`)
/// counts as success.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // clap renders its own usage errors and help; it knows whether this is an error (2) or help (0).
        Err(err) => {
            // Printing help to a closed pipe is not worth reporting.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(error::EXIT_USAGE));
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => report::print_error(&err),
    }
}

/// Runs a parsed command line with stdout as the output.
fn run(cli: cli::Cli) -> Result<ExitCode> {
    verbose::init(cli.global.verbose);
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut ctx = commands::Context {
        verbose: cli.global.verbose,
        out: &mut out,
        terminal,
        started: std::time::Instant::now(),
    };
    let command = match cli.command {
        Some(command) => command,
        // `adql` alone: the shell for a person at a terminal; a script gets the usage.
        None if terminal && io::stdin().is_terminal() => cli::Command::shell()?,
        None => {
            return Err(Error::Usage(
                "no subcommand given (adql --help lists them; `adql shell` reads queries from standard input)"
                    .to_owned(),
            ));
        }
    };
    let code = command.exec(&mut ctx)?;
    out.flush().map_err(Error::Output)?;
    Ok(code)
}
