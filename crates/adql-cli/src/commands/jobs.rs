//! `adql jobs`: the async (UWS) jobs of a TAP service — list them, show one, read a finished job's
//! result again (after a disconnect, or a job kept with `adql tap --async --keep`), delete one.

use std::process::ExitCode;

use vo_client::tap::TapService;

use crate::commands::Context;
use crate::commands::tap::{http_client, runtime, write_result};
use crate::output::{OutputArgs, ResultSink, text_batch};
use crate::progress::Progress;
use crate::{Error, Result};

/// Arguments of `adql jobs`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "JOB is a job id of the service or a job URL (as `adql tap --async` prints on a \
terminal). Exit status: 0 on success, 1 when the job failed or has no result yet, 4 when the service or \
the network failed."
)]
pub(crate) struct JobsArgs {
    /// What to do.
    #[command(subcommand)]
    pub(crate) action: JobsAction,
}

/// The `adql jobs` actions.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum JobsAction {
    /// List the jobs the service shows (ours and, as the service allows, others').
    List {
        /// The TAP service's base URL.
        #[arg(value_name = "URL")]
        url: String,
        /// Where and how the list is written.
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Show one job: phase, times, parameters, results, error.
    Show {
        /// The TAP service's base URL.
        #[arg(value_name = "URL")]
        url: String,
        /// The job id or URL.
        #[arg(value_name = "JOB")]
        job: String,
        /// Where and how it is written.
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Read the result of a finished job again (the job is kept).
    Results {
        /// The TAP service's base URL.
        #[arg(value_name = "URL")]
        url: String,
        /// The job id or URL.
        #[arg(value_name = "JOB")]
        job: String,
        /// Where and how the rows are written.
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Delete a job (aborting it if it runs).
    Delete {
        /// The TAP service's base URL.
        #[arg(value_name = "URL")]
        url: String,
        /// The job id or URL.
        #[arg(value_name = "JOB")]
        job: String,
    },
}

/// Runs `adql jobs`.
pub(crate) fn exec(args: JobsArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let runtime = runtime()?;
    match args.action {
        JobsAction::List { url, out } => {
            let jobs = crate::interrupt::block_on(&runtime, async {
                Ok::<_, Error>(TapService::new(http_client()?, &url)?.jobs().await?)
            })?;
            let batch = text_batch(
                &["job", "phase", "url"],
                vec![
                    jobs.iter().map(|j| Some(j.id.clone())).collect(),
                    jobs.iter()
                        .map(|j| j.phase.as_ref().map(ToString::to_string))
                        .collect(),
                    jobs.iter().map(|j| j.href.clone()).collect(),
                ],
            )?;
            ResultSink::write_whole(&out, &batch, ctx)?;
        }
        JobsAction::Show { url, job, out } => {
            let (job_url, info) = crate::interrupt::block_on(&runtime, async {
                let tap = TapService::new(http_client()?, &url)?;
                let job = tap.job(&job)?;
                let info = job.info().await?;
                Ok::<_, Error>((job.url().to_string(), info))
            })?;
            let mut rows: Vec<(String, Option<String>)> = vec![
                ("url".into(), Some(job_url)),
                ("job".into(), Some(info.job_id.clone())),
                ("phase".into(), Some(info.phase.to_string())),
                ("run_id".into(), info.run_id.clone()),
                ("created".into(), info.creation_time.clone()),
                ("started".into(), info.start_time.clone()),
                ("ended".into(), info.end_time.clone()),
                ("destruction".into(), info.destruction.clone()),
                ("error".into(), info.error_message.clone()),
            ];
            rows.extend(
                info.parameters
                    .iter()
                    .map(|(k, v)| (format!("parameter {k}"), Some(v.clone()))),
            );
            rows.extend(
                info.results
                    .iter()
                    .map(|r| (format!("result {}", r.id), r.href.clone())),
            );
            let batch = text_batch(
                &["key", "value"],
                vec![
                    rows.iter().map(|(k, _)| Some(k.clone())).collect(),
                    rows.into_iter().map(|(_, v)| v).collect(),
                ],
            )?;
            ResultSink::write_whole(&out, &batch, ctx)?;
        }
        JobsAction::Results { url, job, out } => {
            let progress = Progress::new();
            return crate::interrupt::block_on(&runtime, async {
                let tap = TapService::new(http_client()?, &url)?;
                let job = tap.job(&job)?;
                let result = tap
                    .job_result(&job)
                    .await
                    .map_err(|e| Error::from(e).refused_by_tap())?;
                write_result(result, &out, ctx, &progress).await
            });
        }
        JobsAction::Delete { url, job } => {
            let job_url = crate::interrupt::block_on(&runtime, async {
                let job = TapService::new(http_client()?, &url)?.job(&job)?;
                job.delete().await?;
                Ok::<_, Error>(job.url().to_string())
            })?;
            eprintln!("adql: deleted {job_url}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
