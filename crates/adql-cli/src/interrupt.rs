//! Ctrl-C and SIGTERM: every subcommand runs its work through [`block_on`], which stops it when the user
//! interrupts, lets the clean-ups finish, and reports [`Error::Interrupted`] (exit status 130).
//!
//! Stopping is dropping the work's future: whatever it owns is released the Rust way — a UWS job's guard
//! spawns the job's deletion ([`vo_client::cleanup`]), a file being written is removed
//! ([`crate::output::atomic_file`]), a spinner is cleared. The deletions then get a few seconds to reach
//! the services before the process exits, so no job of ours is left executing.

use std::future::Future;
use std::time::Duration;

use crate::{Error, Result};

/// How long the clean-ups (job deletions) may take after an interrupt.
const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

/// Runs `work` on `runtime` until it ends or the user interrupts it (SIGINT, SIGTERM).
///
/// # Errors
/// `work`'s error, or [`Error::Interrupted`].
pub(crate) fn block_on<T>(
    runtime: &tokio::runtime::Runtime,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = work => Some(result),
            () = interrupted() => None,
        }
    });
    match outcome {
        Some(result) => result,
        None => {
            // The work's future is dropped: its guards spawned their clean-ups.
            runtime.block_on(vo_client::cleanup::finish(CLEANUP_LIMIT));
            Err(Error::Interrupted)
        }
    }
}

/// Resolves when the process receives SIGINT (Ctrl-C) or SIGTERM; never, if the handlers cannot be
/// installed (the default behaviour, termination, then stays).
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
