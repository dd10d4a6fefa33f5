//! Background clean-ups a program lets finish before it exits.
//!
//! A UWS job whose caller went away — the query future was dropped because the user pressed Ctrl-C, or
//! a result stream was abandoned — is deleted from the service by a task spawned on the runtime (a
//! `Drop` cannot wait for the `DELETE`). [`spawn`] tracks those tasks; a program about to exit calls
//! [`finish`] so that they complete instead of being cut off with the runtime, which would leave the
//! job EXECUTING on the server.

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use tokio_util::task::TaskTracker;

static TASKS: LazyLock<TaskTracker> = LazyLock::new(TaskTracker::new);

/// Runs `task` in the background on the current runtime, tracked for [`finish`]; without a runtime
/// (a value dropped after its runtime ended) the task cannot run and is dropped.
pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        TASKS.spawn_on(task, &handle);
    }
}

/// Waits, at most `limit`, for the clean-ups spawned so far (and any they spawn); returns whether all
/// finished. Call it from the runtime the clean-ups run on, before it shuts down.
pub async fn finish(limit: Duration) -> bool {
    TASKS.close();
    let done = tokio::time::timeout(limit, TASKS.wait()).await.is_ok();
    // Later clean-ups are tracked again (a long-lived program, or the next query of a shell).
    TASKS.reopen();
    done
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[tokio::test]
    async fn finish_waits_for_the_spawned_clean_ups() {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.store(true, Ordering::SeqCst);
        });
        assert!(finish(Duration::from_secs(5)).await);
        assert!(done.load(Ordering::SeqCst));
    }
}
