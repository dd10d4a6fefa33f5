//! `adql serve`: the federation as a TAP 1.1 service (see the `adql-server` crate).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use adql_server::{Limits, Server, ServerConfig};

use crate::commands::Context;
use crate::commands::query::runtime;
use crate::session_args::SessionArgs;
use crate::{Error, Result};

/// Arguments of `adql serve`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Clients (TOPCAT, pyvo, astroquery, STILTS) use the printed base URL as a TAP service. Every catalogue \
service is queryable by its three-part names (service.schema.table), as with `adql query`; /tables and \
TAP_SCHEMA list the tables of the --service and --list services and the --table files.

Only a loopback address is served without --token; with a token, clients send `Authorization: Bearer TOKEN`.")]
pub(crate) struct ServeArgs {
    /// The engine: syntax, services, local tables.
    #[command(flatten)]
    pub(crate) session: SessionArgs,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub(crate) bind: SocketAddr,
    /// The bearer token clients must send (required for a non-loopback address).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ADQL_SERVE_TOKEN",
        hide_env_values = true
    )]
    pub(crate) token: Option<String>,
    /// The URL clients reach the server at, when a proxy stands in front of it.
    #[arg(long = "public-url", value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// Where jobs and their results are kept (default: the user's data directory, adql/serve).
    #[arg(long = "data-dir", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Also list this catalogue service's tables in /tables and TAP_SCHEMA (repeatable; the --service
    /// services are listed anyway).
    #[arg(long = "list", value_name = "SERVICE")]
    pub(crate) list: Vec<String>,
    /// Queries running at once; later ones wait.
    #[arg(long = "max-running", value_name = "N", default_value_t = Limits::default().max_running)]
    pub(crate) max_running: usize,
    /// Queries waiting for a slot before new ones are refused (503).
    #[arg(long = "max-queued", value_name = "N", default_value_t = Limits::default().max_queued)]
    pub(crate) max_queued: usize,
    /// Rows of a result when a request gives no MAXREC.
    #[arg(long = "result-rows", value_name = "ROWS", default_value_t = Limits::default().maxrec_default)]
    pub(crate) result_rows: u64,
    /// The most rows of a result, whatever MAXREC asks.
    #[arg(long = "max-result-rows", value_name = "ROWS", default_value_t = Limits::default().maxrec_hard)]
    pub(crate) max_result_rows: u64,
    /// The longest a query may run, in seconds (sync, and the most a job may ask for).
    #[arg(long = "max-execution", value_name = "SECONDS",
          default_value_t = Limits::default().execution_hard.as_secs())]
    pub(crate) max_execution: u64,
    /// The largest upload, in megabytes.
    #[arg(long = "max-upload-mb", value_name = "MB", default_value_t = 100)]
    pub(crate) max_upload_mb: usize,
    /// All kept results together, in gigabytes; past it the oldest finished jobs are destroyed.
    #[arg(long = "max-results-gb", value_name = "GB", default_value_t = 20)]
    pub(crate) max_results_gb: u64,
}

/// Serves until Ctrl-C or SIGTERM.
pub(crate) fn exec(mut args: ServeArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    args.session.federation.quiet = true;
    let runtime = runtime()?;
    let engine = args.session.engine(&runtime, "<serve>")?;
    let mut listed = Vec::new();
    for spec in &args.session.federation.services {
        let service = adql_federation::parse_service_spec(spec)
            .map_err(|e| Error::Federation(Box::new(e)))?;
        listed.push(service.name);
    }
    for name in &args.list {
        let service = engine
            .catalogue()
            .get(name)
            .map_err(|e| Error::Federation(Box::new(e)))?;
        if !listed.contains(&service.name) {
            listed.push(service.name.clone());
        }
    }
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => dirs::data_dir()
            .map(|d| d.join("adql").join("serve"))
            .ok_or_else(|| {
                Error::Usage("no data directory on this system: give --data-dir".into())
            })?,
    };
    let defaults = Limits::default();
    let limits = Limits {
        max_running: args.max_running.max(1),
        max_queued: args.max_queued,
        maxrec_default: args.result_rows.min(args.max_result_rows),
        maxrec_hard: args.max_result_rows,
        execution_hard: Duration::from_secs(args.max_execution.max(1)),
        execution_default: defaults
            .execution_default
            .min(Duration::from_secs(args.max_execution.max(1))),
        max_upload_bytes: args.max_upload_mb.saturating_mul(1024 * 1024),
        max_results_total: args.max_results_gb.saturating_mul(1024 * 1024 * 1024),
        ..defaults
    };
    let config = ServerConfig {
        token: args.token,
        public_url: args.public_url,
        listed_services: listed,
        limits,
        ..ServerConfig::new(args.bind, &data_dir)
    };
    runtime.block_on(async {
        let server = Server::bind(engine, config)
            .await
            .map_err(|e| Error::Server(Box::new(e)))?;
        let _ = writeln!(
            ctx.out,
            "adql serve: TAP service at http://{} (jobs in {})",
            server.local_addr(),
            data_dir.display()
        );
        let _ = ctx.out.flush();
        server
            .run(stopped())
            .await
            .map_err(|e| Error::Server(Box::new(e)))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Completes at Ctrl-C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
