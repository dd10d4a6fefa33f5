//! `adql tap`: run an ADQL query on a TAP service (sync or async), with uploads; plus the
//! helpers the other service subcommands share (runtime, client, progress, writing results).

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use vo_client::tap::{Mode, Phase, TapOptions, TapQuery, TapService, Upload};
use vo_client::{Completeness, HttpClient, QueryResult};

use crate::commands::Context;
use crate::input::Input;
use crate::output::{OutputFormat, OutputOptions, ResultWriter};
use crate::{Error, Result};

/// Exit code when the rows were written but the service truncated the result (MAXREC).
pub(crate) const EXIT_TRUNCATED: u8 = 3;

/// Arguments of `adql tap`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Uploads: --upload NAME=PATH sends a VOTable (.vot, .xml) or CSV (.csv, header row) file as table \
TAP_UPLOAD.NAME (always as VOTable).

Exit status: 0 on success; 3 when the rows were written but the service truncated the result at \
MAXREC (stderr says so); 4 when the service or the network failed; 2 for a usage error.")]
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
    /// Ask the service for at most N rows.
    #[arg(long, value_name = "N")]
    pub(crate) maxrec: Option<u64>,
    /// Upload a table (repeatable).
    #[arg(long = "upload", value_name = "NAME=PATH")]
    pub(crate) uploads: Vec<UploadSpec>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,
    /// Write the result to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
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
    let text = match (&args.query, &args.file) {
        (Some(q), None) if q != "-" => q.clone(),
        (_, file) => Input::read(file.as_deref())?.text,
    };
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
    runtime.block_on(async {
        let http = http_client()?;
        let phase_bar = progress.clone();
        let options = TapOptions {
            mode,
            on_phase: Some(Arc::new(move |p: &Phase| {
                phase_bar.message(&format!("job {p}"))
            })),
            ..TapOptions::default()
        };
        let tap = TapService::new(http, &args.url)?.with_options(options);
        progress.message("querying");
        let result = tap.query(&query).await?;
        write_result(result, args.format, args.output.as_deref(), ctx, &progress).await
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

/// A spinner on stderr with the job phase and the rows received.
///
/// It exists only when stderr is a terminal: piped or redirected stderr (and so every test,
/// script and log) never receives a frame, an escape code or a carriage return. While rows
/// are written to a terminal stdout the spinner is hidden ([`Progress::suspend`]) so the two
/// never interleave on the screen, and it is cleared before anything else is said on stderr:
/// when the result is complete, and when the owner is dropped (an error on its way to be
/// reported).
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Only the handle made by [`Progress::new`] clears the spinner when dropped; the clones
    /// handed to callbacks do not.
    owner: bool,
}

impl Clone for Progress {
    fn clone(&self) -> Self {
        Progress {
            bar: self.bar.clone(),
            owner: false,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.owner {
            self.finish();
        }
    }
}

/// Whether a spinner may be drawn: only on a terminal stderr.
fn progress_enabled(stderr_is_terminal: bool) -> bool {
    stderr_is_terminal
}

impl Progress {
    pub(crate) fn new() -> Self {
        if !progress_enabled(std::io::stderr().is_terminal()) {
            return Progress {
                bar: None,
                owner: true,
            };
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(indicatif::ProgressStyle::default_spinner());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar: Some(bar),
            owner: true,
        }
    }

    pub(crate) fn message(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_owned());
        }
    }

    /// Runs `f` with the spinner hidden (for writing to a terminal stdout).
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A `Send` sink the result writer owns; what it collects is moved to the real destination
/// (which need not be `Send`) after every batch, so output still streams.
#[derive(Clone, Default)]
struct Spool(Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("output buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Spool {
    fn drain_into(&self, out: &mut dyn Write) -> Result<()> {
        let mut buf = self
            .0
            .lock()
            .map_err(|_| Error::Output(std::io::Error::other("output buffer poisoned")))?;
        out.write_all(&buf).map_err(Error::Output)?;
        buf.clear();
        Ok(())
    }
}

/// Streams a result into the chosen format and destination; reports truncation on stderr and
/// in the exit code.
pub(crate) async fn write_result(
    mut result: QueryResult,
    format: OutputFormat,
    output: Option<&Path>,
    ctx: &mut Context<'_>,
    progress: &Progress,
) -> Result<ExitCode> {
    let mut file_out;
    let out: &mut dyn Write = match output {
        Some(path) => {
            let f = File::create(path).map_err(|source| Error::Input {
                origin: path.display().to_string(),
                source,
            })?;
            file_out = BufWriter::new(f);
            &mut file_out
        }
        None => &mut *ctx.out,
    };
    let spool = Spool::default();
    // VOTable output says OVERFLOW itself, which must be known when the writer starts: the
    // rows are held back until the end for that format only.
    let schema = result.schema();
    let mut batches = Vec::new();
    let mut writer = if format == OutputFormat::Votable {
        None
    } else {
        Some(
            ResultWriter::new(
                format,
                spool.clone(),
                schema.clone(),
                &OutputOptions::default(),
            )
            .map_err(output_error)?,
        )
    };
    while let Some(batch) = result.next().await {
        let batch = batch?;
        progress.message(&format!("{} rows received", result.rows_received()));
        match writer.as_mut() {
            Some(w) => {
                w.write(&batch).map_err(output_error)?;
                progress.suspend(|| spool.drain_into(out))?;
            }
            None => batches.push(batch),
        }
    }
    let completeness = result.completeness().unwrap_or(Completeness::Complete);
    match writer {
        Some(w) => w.finish().map_err(output_error)?,
        None => {
            let opts = OutputOptions {
                truncated: completeness.is_truncated(),
            };
            let mut w =
                ResultWriter::new(format, spool.clone(), schema, &opts).map_err(output_error)?;
            for b in &batches {
                w.write(b).map_err(output_error)?;
            }
            w.finish().map_err(output_error)?;
        }
    }
    progress.finish();
    spool.drain_into(out)?;
    out.flush().map_err(Error::Output)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_spinner_unless_stderr_is_a_terminal() {
        assert!(!progress_enabled(false));
        assert!(progress_enabled(true));
        // In the test harness stderr is captured: the spinner is absent, and using it is a
        // no-op.
        if !std::io::stderr().is_terminal() {
            let p = Progress::new();
            assert!(p.bar.is_none());
            p.message("job EXECUTING");
            assert_eq!(p.suspend(|| 7), 7);
        }
    }
}

fn output_error(err: crate::output::OutputError) -> Error {
    match err {
        crate::output::OutputError::Io(e) => Error::Output(e),
        other if other.is_broken_pipe() => {
            Error::Output(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        other => Error::Output(std::io::Error::other(other.to_string())),
    }
}
