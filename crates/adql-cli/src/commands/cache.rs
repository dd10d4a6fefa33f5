//! `adql cache`: the answers kept by the result cache (`--cache`, `results_ttl_hours`) — list them, clear
//! them (with `--all`, the cached service descriptions too).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use adql_federation::{Catalogue, LoadOptions};
use arrow::array::{ArrayRef, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::commands::Context;
use crate::output::{OutputArgs, ResultSink, one_line};
use crate::{Error, Result};

/// Arguments of `adql cache`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The cache lives in the platform's cache directory (~/.cache/adql on Linux) or \
under the `[cache] dir` of the configuration file."
)]
pub(crate) struct CacheArgs {
    /// What to do.
    #[command(subcommand)]
    pub(crate) action: CacheAction,
    /// Read this configuration file (repeatable), after the user's, for `[cache] dir`.
    #[arg(long = "config", value_name = "FILE", global = true)]
    pub(crate) configs: Vec<PathBuf>,
    /// Do not read the user's configuration file.
    #[arg(long = "no-user-config", global = true)]
    pub(crate) no_user_config: bool,
}

/// The `adql cache` actions.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum CacheAction {
    /// List the cached answers, newest first: service, rows, size, age and the ADQL.
    List {
        /// Where and how the list is written.
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Remove every cached answer.
    Clear {
        /// Also remove the cached service descriptions (they are fetched again when next needed).
        #[arg(long)]
        all: bool,
    },
}

/// How long ago `then` (seconds since the epoch) was, for people.
fn age(then: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let seconds = now.saturating_sub(then);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        3600..172_800 => format!("{:.1} h", seconds as f64 / 3600.0),
        _ => format!("{:.1} d", seconds as f64 / 86_400.0),
    }
}

/// Runs `adql cache`.
pub(crate) fn exec(args: CacheArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let catalogue = Catalogue::load(&LoadOptions {
        user_config: !args.no_user_config,
        config_files: args.configs,
        services: Vec::new(),
    })
    .map_err(|e| Error::Federation(Box::new(e)))?;
    let federation = |e| Error::Federation(Box::new(e));
    let Some(results) = catalogue.result_cache() else {
        return Err(Error::Usage(
            "this platform has no cache directory; set `[cache] dir` in the configuration"
                .to_owned(),
        ));
    };
    match args.action {
        CacheAction::List { out } => {
            let entries = results.list().map_err(federation)?;
            let text = |values: Vec<String>| Arc::new(StringArray::from(values)) as ArrayRef;
            let numbers = |values: Vec<u64>| Arc::new(UInt64Array::from(values)) as ArrayRef;
            let schema = Schema::new(vec![
                Field::new("key", DataType::Utf8, false),
                Field::new("service", DataType::Utf8, false),
                Field::new("rows", DataType::UInt64, false),
                Field::new("bytes", DataType::UInt64, false),
                Field::new("age", DataType::Utf8, false),
                Field::new("adql", DataType::Utf8, false),
            ]);
            let batch = RecordBatch::try_new(
                Arc::new(schema),
                vec![
                    text(
                        entries
                            .iter()
                            .map(|e| e.key.chars().take(12).collect())
                            .collect(),
                    ),
                    text(entries.iter().map(|e| e.service.clone()).collect()),
                    numbers(entries.iter().map(|e| e.rows).collect()),
                    numbers(entries.iter().map(|e| e.bytes).collect()),
                    text(entries.iter().map(|e| age(e.fetched_at)).collect()),
                    text(
                        entries
                            .iter()
                            .map(|e| one_line(Some(&e.adql)).unwrap_or_default())
                            .collect(),
                    ),
                ],
            )
            .map_err(|e| Error::Output(std::io::Error::other(e)))?;
            ResultSink::write_whole(&out, &batch, ctx)?;
        }
        CacheAction::Clear { all } => {
            let removed = results.clear().map_err(federation)?;
            let mut said = format!(
                "removed {removed} cached answer{} from {}",
                if removed == 1 { "" } else { "s" },
                results.dir().display()
            );
            if all && let Some(descriptions) = catalogue.cache() {
                for service in catalogue.services() {
                    descriptions.invalidate(&service.name).map_err(federation)?;
                }
                said.push_str(" and the service descriptions");
            }
            writeln!(ctx.out, "{said}").map_err(Error::Output)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
