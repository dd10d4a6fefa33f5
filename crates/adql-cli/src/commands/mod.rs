//! One module per subcommand. Each exposes `exec(args, ctx) -> Result<ExitCode>`.

pub(crate) mod check;
pub(crate) mod fmt;

use std::io::Write;

/// What a subcommand gets besides its own arguments.
pub(crate) struct Context<'a> {
    /// How many times `-v` was given.
    pub(crate) verbose: u8,
    /// Where results go (stdout in the binary, a buffer in unit tests).
    pub(crate) out: &'a mut dyn Write,
}
