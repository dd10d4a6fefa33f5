//! `-v` and `-vv`: what the program does, on stderr.
//!
//! The libraries say it through `tracing`: `vo-client` logs every HTTP request (service, method, URL,
//! status, time), the ADQL each TAP query sends with its MAXREC and uploads, and each UWS job's URL and
//! phases. `-v` shows those (`info`), `-vv` more (`debug`: each request as it leaves). The spinner is off
//! meanwhile, so that the two never share a line.

use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::EnvFilter;

static ON: AtomicBool = AtomicBool::new(false);

/// Starts logging for `-v` repeated `level` times (nothing for 0).
pub(crate) fn init(level: u8) {
    let filter = match level {
        0 => return,
        1 => "vo_client=info,adql_federation=info",
        _ => "vo_client=debug,adql_federation=debug,adql_engine=debug",
    };
    let installed = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_env_filter(EnvFilter::new(filter))
        .try_init()
        .is_ok();
    ON.store(installed, Ordering::Relaxed);
}

/// Whether `-v` logging is on.
pub(crate) fn on() -> bool {
    ON.load(Ordering::Relaxed)
}
