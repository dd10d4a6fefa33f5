//! [`ServerConfig`] and [`Limits`]: where the server listens, who may use it, and what one request may cost.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How `adql serve` runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on. Anything but a loopback address needs a [`token`](Self::token).
    pub bind: SocketAddr,
    /// The bearer token every request must carry (`Authorization: Bearer …`), if any.
    pub token: Option<String>,
    /// The URL clients reach the service at, when it differs from what their `Host` header says (a
    /// reverse proxy); job and capability links are built on it.
    pub public_url: Option<String>,
    /// Where jobs, their uploads and their results are kept (the SQLite job store and one directory per
    /// job).
    pub data_dir: PathBuf,
    /// The catalogue services whose tables `/tables` and `TAP_SCHEMA` list (every catalogue service can be
    /// queried; listing the built-in archives would mean describing tens of thousands of tables).
    pub listed_services: Vec<String>,
    /// What one request may cost.
    pub limits: Limits,
}

/// What one request or job may cost, and how much the server takes on at once.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Queries running at once (sync and async together); later ones wait.
    pub max_running: usize,
    /// Async jobs waiting to run (`QUEUED`); one more is refused with 503.
    pub max_queued: usize,
    /// Rows of a result when the request gives no `MAXREC`.
    pub maxrec_default: u64,
    /// The most rows a result may have, whatever `MAXREC` asks.
    pub maxrec_hard: u64,
    /// Execution time of a job unless it asks for less.
    pub execution_default: Duration,
    /// The longest execution time a job may ask for; also the limit of a sync query.
    pub execution_hard: Duration,
    /// How long a job and its result are kept unless it asks for less.
    pub retention_default: Duration,
    /// The longest a job may ask to be kept.
    pub retention_hard: Duration,
    /// The largest upload (each inline part, and each table fetched by URL), in bytes.
    pub max_upload_bytes: usize,
    /// The largest result file of one job, in bytes (a larger one fails the job).
    pub max_result_bytes: u64,
    /// All result files together, in bytes: past it, the oldest finished jobs are destroyed early.
    pub max_results_total: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const HOUR: u64 = 3600;
        Self {
            max_running: 8,
            max_queued: 1000,
            maxrec_default: 100_000,
            maxrec_hard: 10_000_000,
            execution_default: Duration::from_secs(HOUR),
            execution_hard: Duration::from_secs(6 * HOUR),
            retention_default: Duration::from_secs(7 * 24 * HOUR),
            retention_hard: Duration::from_secs(30 * 24 * HOUR),
            max_upload_bytes: 100 * 1024 * 1024,
            max_result_bytes: 4 * 1024 * 1024 * 1024,
            max_results_total: 20 * 1024 * 1024 * 1024,
        }
    }
}

impl ServerConfig {
    /// A server on `bind` keeping its jobs in `data_dir`, with the default limits, no token, and no service
    /// listed.
    pub fn new(bind: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            bind,
            token: None,
            public_url: None,
            data_dir: data_dir.into(),
            listed_services: Vec::new(),
            limits: Limits::default(),
        }
    }
}
