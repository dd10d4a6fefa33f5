//! `adql download`: fetch the products of the rows of a query (or of a table file) — a bounded number at a
//! time, resumed after cuts, verified, each under its final name only when complete — or, with `--dry-run`,
//! print their URLs (or a curl script).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use vo_client::TokenPolicy;
use vo_client::download::{DownloadOptions, DownloadProgress, FileRequest, Outcome, Status};
use vo_client::products::{Layout, file_requests};

use crate::commands::Context;
use crate::commands::products::ProductArgs;
use crate::commands::query::runtime;
use crate::output::atomic_file::AtomicFile;
use crate::{Error, Result};

/// Arguments of `adql download`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Files go to DIR/COLLECTION/OBSERVATION/NAME (--flat: DIR/NAME), each written as NAME.part \
and renamed once complete and verified; files already there are skipped, .part files resumed. Exit status: 0 \
when every file arrived, 4 otherwise (each failure is named), 2 for a usage error."
)]
pub(crate) struct DownloadArgs {
    #[command(flatten)]
    pub(crate) products: ProductArgs,
    /// The directory the files go to.
    #[arg(long = "output", short = 'o', value_name = "DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// All files in DIR itself, not by collection and observation.
    #[arg(long)]
    pub(crate) flat: bool,
    /// Transfers at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) parallel: usize,
    /// A transfer that receives nothing for this many seconds is cut and resumed.
    #[arg(long = "stall-timeout", value_name = "SECONDS", default_value_t = 60.0)]
    pub(crate) stall_timeout: f64,
    /// Attempts per file (resumptions included).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) attempts: u32,
    /// Print the URLs (and where each file would go) instead of fetching them.
    #[arg(long = "dry-run")]
    pub(crate) dry_run: bool,
    /// With --dry-run: print a shell script of curl commands (the MAST token is read from MAST_API_TOKEN
    /// when it runs, and sent to MAST's hosts only).
    #[arg(long, requires = "dry_run")]
    pub(crate) curl: bool,
    /// Write a manifest (CSV: url, path, bytes, status, message) of every file to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) manifest: Option<PathBuf>,
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The curl script of `--dry-run --curl`.
fn curl_script(files: &[FileRequest], dir: &Path, tokens: &TokenPolicy) -> String {
    let mut script = format!(
        "#!/bin/sh\n# {} files, written by adql download --dry-run --curl.\n# MAST_API_TOKEN, when set, is sent to MAST's hosts only.\nset -e\n",
        files.len()
    );
    for file in files {
        let path = dir.join(&file.path);
        let host = file.url.host_str().unwrap_or_default();
        let mast = tokens.is_mast_host(host);
        let other = tokens.other_for(host);
        // The script never holds a token: it reads the variable the token comes from when it runs.
        let header = match (mast, other) {
            (true, _) => {
                " ${MAST_API_TOKEN:+-H \"Authorization: token $MAST_API_TOKEN\"}".to_owned()
            }
            (false, Some(token)) => match &token.env {
                Some(var) => format!(" ${{{var}:+-H \"Authorization: {} ${var}\"}}", token.scheme),
                None => {
                    script.push_str(&format!(
                        "# {host} takes a token written in the configuration file: add it by hand.\n"
                    ));
                    String::new()
                }
            },
            (false, None) => String::new(),
        };
        script.push_str(&format!(
            "curl --fail --location --create-dirs --continue-at -{header} -o {} {}\n",
            shell_quote(&path.display().to_string()),
            shell_quote(file.url.as_str())
        ));
    }
    script
}

/// A bar of bytes on a terminal stderr, cleared when dropped.
struct Bar(indicatif::ProgressBar);

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

impl DownloadProgress for Bar {
    fn advanced(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn finished(&self, outcome: &Outcome) {
        if let Status::Present = outcome.status {
            self.0.inc(outcome.bytes);
        }
    }
}

fn bar(files: &[FileRequest]) -> Option<Arc<dyn DownloadProgress>> {
    if !std::io::stderr().is_terminal() || crate::verbose::on() {
        return None;
    }
    let total: u64 = files.iter().filter_map(|f| f.size).sum();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} ({elapsed}) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{} files", files.len()));
    Some(Arc::new(Bar(bar)))
}

/// The manifest: one line per file.
fn write_manifest(path: &Path, outcomes: &[Outcome]) -> Result<()> {
    let (guard, mut file) = AtomicFile::create(path).map_err(Error::Output)?;
    let mut text = String::from("url,path,bytes,status,message\n");
    for outcome in outcomes {
        let (status, message) = match &outcome.status {
            Status::Downloaded => ("downloaded", String::new()),
            Status::Resumed => ("resumed", String::new()),
            Status::Present => ("present", String::new()),
            Status::Failed(error) => ("failed", error.to_string()),
        };
        text.push_str(&format!(
            "{},{},{},{status},{}\n",
            csv_field(outcome.request.url.as_str()),
            csv_field(&outcome.path.display().to_string()),
            outcome.bytes,
            csv_field(&message)
        ));
    }
    file.write_all(text.as_bytes()).map_err(Error::Output)?;
    file.sync_all().map_err(Error::Output)?;
    drop(file);
    guard.commit().map_err(Error::Output)
}

/// Runs `adql download`.
pub(crate) fn exec(args: DownloadArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    if !(args.stall_timeout.is_finite() && args.stall_timeout > 0.0) {
        return Err(Error::Usage(format!(
            "--stall-timeout takes a positive number of seconds, not {}",
            args.stall_timeout
        )));
    }
    let runtime = runtime()?;
    let (engine, products) = args.products.products(&runtime)?;
    let layout = if args.flat {
        Layout::Flat
    } else {
        Layout::ByObservation
    };
    let files = file_requests(&products, layout);
    if args.dry_run {
        let text = if args.curl {
            let tokens = engine
                .http()
                .map(|http| http.config().tokens.clone())
                .unwrap_or_default();
            curl_script(&files, &args.dir, &tokens)
        } else {
            files
                .iter()
                .map(|f| format!("{}\t{}\n", f.url, args.dir.join(&f.path).display()))
                .collect()
        };
        ctx.out.write_all(text.as_bytes()).map_err(Error::Output)?;
        return Ok(ExitCode::SUCCESS);
    }
    let downloader = engine
        .downloader(DownloadOptions {
            dir: args.dir.clone(),
            parallel: args.parallel.max(1),
            stall_timeout: Duration::from_secs_f64(args.stall_timeout),
            attempts: args.attempts.max(1),
            service: "download".to_owned(),
        })
        .map_err(|e| Error::Federation(Box::new(e)))?;
    let progress = bar(&files);
    let total = files.len();
    // Transfers are I/O: one thread drives them all (as curl does), leaving the cores to the kernel's copies.
    let transfers = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the download runtime: {e}")))?;
    let outcomes = crate::interrupt::block_on(&transfers, async {
        Ok(downloader.run(files, progress.clone()).await)
    })?;
    // The bar is cleared (its last handle dropped) before the summary.
    drop(progress);
    if let Some(path) = &args.manifest {
        write_manifest(path, &outcomes)?;
    }
    let count = |f: fn(&Status) -> bool| outcomes.iter().filter(|o| f(&o.status)).count();
    let fetched = count(|s| matches!(s, Status::Downloaded | Status::Resumed));
    let present = count(|s| matches!(s, Status::Present));
    let bytes: u64 = outcomes.iter().filter(|o| o.is_ok()).map(|o| o.bytes).sum();
    eprintln!(
        "adql: {fetched} files fetched, {present} already there, {} failed ({bytes} bytes in {})",
        total - fetched - present,
        args.dir.display()
    );
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::Failed(error) => Some(format!("\n  {}: {error}", o.request.url)),
            _ => None,
        })
        .collect();
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::Downloads {
            failed: failures.len(),
            total,
            report: failures.concat(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use url::Url;

    use super::*;

    #[test]
    fn the_curl_script_sends_the_token_to_its_hosts_only_and_never_writes_it() {
        let file = |url: &str, path: &str| FileRequest {
            url: Url::parse(url).unwrap(),
            path: path.into(),
            size: None,
            checksum: None,
        };
        let files = [
            file(
                "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/a.fits",
                "JWST/o1/a.fits",
            ),
            file("http://localhost:8080/getproduct/it's.fits", "x/it's.fits"),
        ];
        let tokens = TokenPolicy {
            token: Some(vo_client::Secret::new("s3cr3t")),
            ..TokenPolicy::default()
        };
        let tokens = TokenPolicy {
            others: vec![vo_client::HostToken {
                hosts: vec!["localhost".to_owned()],
                token: vo_client::Secret::new("other-secret"),
                scheme: "Bearer".to_owned(),
                env: Some("LOCAL_TOKEN".to_owned()),
            }],
            ..tokens
        };
        let script = curl_script(&files, Path::new("out"), &tokens);
        assert!(!script.contains("s3cr3t") && !script.contains("other-secret"));
        let lines: Vec<&str> = script.lines().filter(|l| l.starts_with("curl")).collect();
        assert!(lines[0].contains("$MAST_API_TOKEN"), "{}", lines[0]);
        assert!(!lines[1].contains("MAST_API_TOKEN"), "{}", lines[1]);
        assert!(
            lines[1].contains("${LOCAL_TOKEN:+-H \"Authorization: Bearer $LOCAL_TOKEN\"}"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("'out/x/it'\\''s.fits'"), "{}", lines[1]);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a"), "a");
        assert_eq!(csv_field("a,b \"c\""), "\"a,b \"\"c\"\"\"");
    }
}
