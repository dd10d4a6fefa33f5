//! Waiting for the engine without holding the GIL: other Python threads run meanwhile, and Ctrl-C
//! (`KeyboardInterrupt`) stops the wait — the future is dropped, which cancels the query and deletes its
//! remote async jobs, as the command line does.

use std::future::Future;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How often a wait looks for a pending signal (Python handles signals only when a thread asks).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `future` on `runtime` with the GIL released; a signal whose handler raises (Ctrl-C) stops it and
/// is returned.
pub(crate) fn wait<F>(py: Python<'_>, runtime: &Runtime, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| {
        runtime.block_on(async {
            let mut future = std::pin::pin!(future);
            let mut tick = tokio::time::interval(SIGNAL_CHECK);
            loop {
                tokio::select! {
                    out = &mut future => return Ok(out),
                    _ = tick.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}
