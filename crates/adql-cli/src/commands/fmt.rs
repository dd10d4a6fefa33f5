//! `adql fmt`: print a query in the canonical form of the syntax tree's printer.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands::Context;
use crate::input::Input;
use crate::syntax_args::{SyntaxArgs, parse_query};
use crate::{Error, Result};

/// Arguments of `adql fmt`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit status: 0 when the query was printed, 1 if it does not parse (the diagnostic goes to stderr), \
2 for a usage error.")]
pub(crate) struct FmtArgs {
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
    /// File holding the query; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

/// Parses the query and prints its canonical form followed by a newline.
pub(crate) fn exec(args: FmtArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let options = args.syntax.parse_options();
    let input = Input::read(args.file.as_deref())?;
    let query = parse_query(input, &options)?;
    writeln!(ctx.out, "{query}").map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        args: FmtArgs,
    }

    #[test]
    fn prints_the_canonical_form_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.adql");
        std::fs::write(&path, "select a,\n  b -- note\nfrom t;\n").unwrap();
        let args = Harness::try_parse_from(["fmt", path.to_str().unwrap()])
            .unwrap()
            .args;
        let mut out = Vec::new();
        assert_eq!(
            exec(args, &mut Context::plain(&mut out, 0)).unwrap(),
            ExitCode::SUCCESS
        );
        assert_eq!(String::from_utf8(out).unwrap(), "SELECT a, b FROM t\n");
    }
}
