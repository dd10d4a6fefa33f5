//! `adql check`: parse a query under a service profile and report whether it is valid.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands::Context;
use crate::input::Input;
use crate::syntax_args::{SyntaxArgs, parse_query};
use crate::{Error, Result};

/// Arguments of `adql check`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit status: 0 if the query is valid, 1 if it is not (the diagnostic goes to stderr), 2 for a usage error.")]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
    /// File holding the query; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

/// Parses the query; prints nothing when it is valid (`ok` with `-v`), fails with the diagnostic otherwise.
pub(crate) fn exec(args: CheckArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let options = args.syntax.parse_options();
    let input = Input::read(args.file.as_deref())?;
    parse_query(input, &options)?;
    if ctx.verbose > 0 {
        writeln!(ctx.out, "ok").map_err(Error::Output)?;
    }
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
        args: CheckArgs,
    }

    fn check(query: &str, verbose: u8, flags: &[&str]) -> (Result<ExitCode>, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.adql");
        std::fs::write(&path, query).unwrap();
        let argv = [&["check"], flags, &[path.to_str().unwrap()]].concat();
        let args = Harness::try_parse_from(argv).unwrap().args;
        let mut out = Vec::new();
        let result = exec(args, &mut Context::plain(&mut out, verbose));
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn valid_queries_print_nothing_unless_verbose() {
        let (result, out) = check("SELECT a FROM t", 0, &[]);
        assert_eq!(result.unwrap(), ExitCode::SUCCESS);
        assert_eq!(out, "");
        let (result, out) = check("SELECT a FROM t", 1, &[]);
        assert_eq!(result.unwrap(), ExitCode::SUCCESS);
        assert_eq!(out, "ok\n");
    }

    #[test]
    fn invalid_queries_are_syntax_errors_naming_the_file() {
        let (result, out) = check(
            "SELECT a FROM t ORDER BY a OFFSET 2",
            1,
            &["--adql-version", "2.0"],
        );
        let Err(Error::Syntax(syntax)) = result else {
            panic!("{result:?}")
        };
        assert!(syntax.origin.ends_with("q.adql"), "{}", syntax.origin);
        assert_eq!(
            &syntax.text[syntax.error.span().start..syntax.error.span().end],
            "OFFSET"
        );
        assert_eq!(out, "");
    }
}
