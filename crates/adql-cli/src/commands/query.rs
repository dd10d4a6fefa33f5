//! `adql query`: run an ADQL query over local files and remote archives.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use adql_federation::{Engine, OverflowPolicy};
use futures::StreamExt;

use crate::commands::Context;
use crate::error::{engine_error, query_error};
use crate::input::Input;
use crate::output::{OutputArgs, ResultSink, SinkOptions};
use crate::session_args::SessionArgs;
use crate::{Error, Result};

/// Arguments of `adql query`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Tables: --table NAME=PATH registers a .csv, .tsv, .parquet, .pq or .vot/.xml file as table NAME. CSV header \
cells may carry units in brackets (ra[deg]); --unit NAME.COLUMN=UNIT sets or overrides a column's unit for IN_UNIT.

Remote tables are named service.schema.table (or service.table / schema.table where unambiguous): the \
built-in archives (mast, gaia, vizier, simbad, irsa, heasarc, ned, datalab, ...), the user's configuration \
file, --config FILE and --service NAME=URL. Only the services a query names are contacted.

Exit status: 0 on success, 1 if the query is invalid or fails (the diagnostic goes to stderr), 2 for a usage \
error, 3 if a remote part hit MAXREC, 4 if a remote service failed.")]
pub(crate) struct QueryArgs {
    /// The engine: syntax, services, local tables.
    #[command(flatten)]
    pub(crate) session: SessionArgs,
    /// Where and how the rows are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
    /// Read the query from this file (`-` for standard input).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "query")]
    pub(crate) file: Option<PathBuf>,
    /// The query text; `-` or nothing (without -f) reads standard input.
    #[arg(value_name = "QUERY")]
    pub(crate) query: Option<String>,
}

/// Reads the query named by the arguments: the positional text, `-f FILE`, or standard input.
pub(crate) fn read_query(query: Option<String>, file: Option<&Path>) -> Result<Input> {
    match (query, file) {
        (Some(text), None) if text != "-" => Ok(Input {
            origin: "<query>".to_owned(),
            text,
        }),
        (_, file) => Input::read(file),
    }
}

/// A runtime for the engine.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the query runtime: {e}")))
}

/// Runs the query and writes its result.
pub(crate) fn exec(args: QueryArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let input = read_query(args.query, args.file.as_deref())?;
    let runtime = runtime()?;
    let engine = args.session.engine(&runtime, &input.origin)?;
    let hold = args.session.federation.on_overflow == OverflowPolicy::Fail;
    crate::interrupt::block_on(&runtime, run(&engine, &input, &args.out, hold, ctx))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the query of `input` on `engine` and writes its rows as `out` says. With `hold`, nothing is written
/// before the whole result is known (under `--on-overflow fail` a remote part may fail after rows came).
pub(crate) async fn run(
    engine: &Engine,
    input: &Input,
    out: &OutputArgs,
    hold: bool,
    ctx: &mut Context<'_>,
) -> Result<()> {
    let fail = |error| engine_error(error, &input.origin, &input.text);
    let frame = engine
        .query(&input.text)
        .await
        .map_err(|e| query_error(e, &input.origin, &input.text))?;
    let mut stream = frame.execute_stream().await.map_err(|e| fail(e.into()))?;
    let options = SinkOptions {
        truncated: false,
        hold,
    };
    let mut sink = ResultSink::create(out, stream.schema(), options, ctx, None)?;
    while let Some(batch) = stream.next().await {
        sink.write(&batch.map_err(|e| fail(e.into()))?)?;
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        args: QueryArgs,
    }

    fn run(argv: &[&str]) -> (Result<ExitCode>, String) {
        let args = Harness::try_parse_from([&["query"], argv].concat())
            .unwrap()
            .args;
        let mut out = Vec::new();
        let result = exec(args, &mut Context::plain(&mut out, 0));
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn queries_a_csv_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "id,Mag[mag]\n1,12.5\n2,9.25\n3,15\n").unwrap();
        let table = format!("t={}", path.display());
        let (result, out) = run(&[
            "--table",
            &table,
            "--format",
            "csv",
            "SELECT TOP 2 id, mag FROM t ORDER BY mag DESC",
        ]);
        assert_eq!(result.unwrap(), ExitCode::SUCCESS);
        assert_eq!(out, "id,Mag\n3,15.0\n1,12.5\n");
    }

    #[test]
    fn planning_errors_are_positioned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "id\n1\n").unwrap();
        let table = format!("t={}", path.display());
        let (result, _) = run(&["--table", &table, "SELECT nope FROM t"]);
        let err = result.unwrap_err();
        assert_eq!(err.exit_code(), 1);
        let text = crate::report::render(&err);
        assert!(
            text.starts_with("adql: error: column 'nope' not found\n --> <query>:1:8\n"),
            "{text}"
        );
    }
}
