//! One module per subcommand. Each exposes `exec(args, ctx) -> Result<ExitCode>`.

pub(crate) mod check;
pub(crate) mod explain;
pub(crate) mod fmt;
pub(crate) mod query;
// Services (vo-client).
pub(crate) mod cache;
pub(crate) mod capabilities;
pub(crate) mod cone;
pub(crate) mod download;
pub(crate) mod jobs;
pub(crate) mod mashup;
pub(crate) mod products;
pub(crate) mod resolve;
pub(crate) mod serve;
pub(crate) mod sia;
pub(crate) mod ssa;
pub(crate) mod survey;
pub(crate) mod tables;
pub(crate) mod tap;

use std::io::Write;
use std::time::Instant;

/// What a subcommand gets besides its own arguments.
pub(crate) struct Context<'a> {
    /// How many times `-v` was given.
    pub(crate) verbose: u8,
    /// Where results go (stdout in the binary, a buffer in unit tests).
    pub(crate) out: &'a mut dyn Write,
    /// Whether `out` is a terminal (a person reads it: tables are capped and timed).
    pub(crate) terminal: bool,
    /// When the command started.
    pub(crate) started: Instant,
}

impl<'a> Context<'a> {
    /// A context writing to `out`, which is not a terminal (tests, scripts).
    #[cfg(test)]
    pub(crate) fn plain(out: &'a mut dyn Write, verbose: u8) -> Self {
        Self {
            verbose,
            out,
            terminal: false,
            started: Instant::now(),
        }
    }
}
