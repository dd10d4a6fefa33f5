//! `adql tap`: run an ADQL query on a TAP service (sync or async), with uploads; plus the
//! helpers the other service subcommands share (runtime, client, progress, writing results).

use std::fs::File;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;

use futures::StreamExt;
use vo_client::tap::{DeletePolicy, Mode, Phase, TapOptions, TapQuery, TapService, Upload};
use vo_client::{Completeness, HttpClient, QueryResult};

use crate::commands::Context;
use crate::error::EXIT_TRUNCATED;
use crate::input::Input;
use crate::output::{OutputArgs, OutputFormat, ResultSink, SinkOptions};
use crate::progress::Progress;
use crate::syntax_args::{SyntaxArgs, parse_query};
use crate::{Error, Result};

/// Arguments of `adql tap`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Uploads: --upload NAME=PATH sends a VOTable (.vot, .xml) or CSV (.csv, header row) file as table \
TAP_UPLOAD.NAME (always as VOTable).

The query is checked locally first: a query that is not standard ADQL gets the diagnostic as a warning \
and is sent anyway (services accept dialects), or stops the command with --strict.

Exit status: 0 on success; 1 when the service refused the query (its error message is shown) or, with \
--strict, when it is not standard ADQL; 3 when the rows were written but the service truncated the \
result at MAXREC (stderr says so); 4 when the service or the network failed; 2 for a usage error.")]
pub(crate) struct TapArgs {
    /// The TAP service's base URL (the one /sync and /async hang off).
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// The query text; `-` or nothing (without -f) reads standard input.
    #[arg(value_name = "QUERY")]
    pub(crate) query: Option<String>,
    /// Read the query from this file (`-` for standard input).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "query")]
    pub(crate) file: Option<PathBuf>,
    /// Run synchronously (default: sync, switching to async if no answer starts within 60 s).
    #[arg(long, conflicts_with = "run_async")]
    pub(crate) sync: bool,
    /// Run as an asynchronous (UWS) job.
    #[arg(long = "async")]
    pub(crate) run_async: bool,
    /// Keep the async job on the service after reading its result (`adql jobs results URL JOB` reads it
    /// again); by default it is deleted.
    #[arg(long)]
    pub(crate) keep: bool,
    /// Ask the service for at most N rows.
    #[arg(long, value_name = "N")]
    pub(crate) maxrec: Option<u64>,
    /// Upload a table (repeatable).
    #[arg(long = "upload", value_name = "NAME=PATH")]
    pub(crate) uploads: Vec<UploadSpec>,
    /// Where and how the rows are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
    /// Stop (exit 1) when the query is not standard ADQL, instead of warning and sending it.
    #[arg(long)]
    pub(crate) strict: bool,
    /// The language the query is checked against locally before it is sent.
    #[command(flatten)]
    pub(crate) syntax: SyntaxArgs,
}

/// `NAME=PATH` of an upload.
#[derive(Debug, Clone)]
pub(crate) struct UploadSpec {
    name: String,
    path: PathBuf,
}

impl FromStr for UploadSpec {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok(Self {
                name: name.to_owned(),
                path: PathBuf::from(path),
            }),
            _ => Err(format!("expected NAME=PATH, got '{text}'")),
        }
    }
}

/// Runs `adql tap`.
pub(crate) fn exec(args: TapArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let input = match (&args.query, &args.file) {
        (Some(q), None) if q != "-" => Input {
            origin: "<query>".to_owned(),
            text: q.clone(),
        },
        (_, file) => Input::read(file.as_deref())?,
    };
    // Checked here first: a mistake is shown with its position at once. Services accept dialects (the
    // Gaia archive's own examples use `SELECT *, DISTANCE(...)`), so it is still sent unless --strict.
    let text = input.text.clone();
    if let Err(error) = parse_query(input, &args.syntax.parse_options()) {
        if args.strict {
            return Err(error);
        }
        crate::report::print_warning(&error);
    }
    let mut query = TapQuery::new(text);
    query.maxrec = args.maxrec;
    for spec in &args.uploads {
        query.uploads.push(load_upload(spec)?);
    }
    let mode = if args.run_async {
        Mode::Async
    } else if args.sync {
        Mode::Sync
    } else {
        TapOptions::default().mode
    };
    let progress = Progress::new();
    let runtime = runtime()?;
    crate::interrupt::block_on(&runtime, async {
        let http = http_client()?;
        let phase_bar = progress.clone();
        // On a terminal the job's URL is said at once: after a lost connection, `adql jobs` finds it.
        let keep = args.keep;
        let on_job: Option<vo_client::tap::JobObserver> = (std::io::stderr().is_terminal() || keep)
            .then(|| {
                Arc::new(move |url: &url::Url| {
                    let kept = if keep {
                        " (kept: adql jobs results, adql jobs delete)"
                    } else {
                        ""
                    };
                    eprintln!("adql: job {url}{kept}");
                }) as vo_client::tap::JobObserver
            });
        let options = TapOptions {
            mode,
            on_phase: Some(Arc::new(move |p: &Phase| {
                phase_bar.message(&format!("job {p}"))
            })),
            on_job,
            delete: if keep {
                DeletePolicy::Never
            } else {
                DeletePolicy::Always
            },
            ..TapOptions::default()
        };
        let tap = TapService::new(http, &args.url)?.with_options(options);
        progress.message("querying");
        let result = tap
            .query(&query)
            .await
            .map_err(|e| Error::from(e).refused_by_tap())?;
        write_result(result, &args.out, ctx, &progress)
            .await
            .map_err(Error::refused_by_tap)
    })
}

fn load_upload(spec: &UploadSpec) -> Result<Upload> {
    let read_err = |source| Error::Input {
        origin: spec.path.display().to_string(),
        source,
    };
    let is_csv = spec
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        let bytes = std::fs::read(&spec.path).map_err(read_err)?;
        return Ok(Upload::from_votable(&spec.name, bytes)?);
    }
    let file = File::open(&spec.path).map_err(read_err)?;
    let format = arrow::csv::reader::Format::default().with_header(true);
    let (schema, _) = format
        .infer_schema(&file, Some(1000))
        .map_err(|e| Error::Usage(format!("{}: {e}", spec.path.display())))?;
    let file = File::open(&spec.path).map_err(read_err)?;
    let reader = arrow::csv::ReaderBuilder::new(Arc::new(schema))
        .with_format(format)
        .build(file)
        .map_err(|e| Error::Usage(format!("{}: {e}", spec.path.display())))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Usage(format!("{}: {e}", spec.path.display())))?;
    Ok(Upload::from_batches(&spec.name, schema, &batches)?)
}

/// A multi-threaded runtime (job deletion on cancellation runs on a spawned task).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

/// The HTTP client with proxies and the MAST token from the environment/configuration.
pub(crate) fn http_client() -> Result<HttpClient> {
    Ok(HttpClient::from_env()?)
}

/// Streams a result into the chosen format and destination; reports truncation on stderr and
/// in the exit code.
pub(crate) async fn write_result(
    mut result: QueryResult,
    args: &OutputArgs,
    ctx: &mut Context<'_>,
    progress: &Progress,
) -> Result<ExitCode> {
    let schema = result.schema();
    // VOTable output says OVERFLOW itself, which must be known when the writer starts: the rows are
    // held back until the end for that format only.
    let held = args.format()? == OutputFormat::Votable;
    let mut batches = Vec::new();
    let mut sink = if held {
        None
    } else {
        Some(ResultSink::create(
            args,
            schema.clone(),
            SinkOptions::default(),
            ctx,
            Some(progress),
        )?)
    };
    while let Some(batch) = result.next().await {
        let batch = batch?;
        progress.message(&format!("{} rows received", result.rows_received()));
        match sink.as_mut() {
            Some(sink) => sink.write(&batch)?,
            None => batches.push(batch),
        }
    }
    let completeness = result.completeness().unwrap_or(Completeness::Complete);
    match sink {
        Some(sink) => sink.finish()?,
        None => {
            let options = SinkOptions {
                truncated: completeness.is_truncated(),
                hold: false,
            };
            let mut sink = ResultSink::create(args, schema, options, ctx, Some(progress))?;
            for batch in &batches {
                sink.write(batch)?;
            }
            sink.finish()?;
        }
    }
    match completeness {
        Completeness::Complete => Ok(ExitCode::SUCCESS),
        Completeness::Truncated { maxrec } => {
            let limit =
                maxrec.map_or_else(|| "its row limit".to_owned(), |m| format!("MAXREC={m}"));
            eprintln!(
                "adql: warning: the service truncated the result at {limit}; {} rows were written",
                result.rows_received()
            );
            Ok(ExitCode::from(EXIT_TRUNCATED))
        }
    }
}
