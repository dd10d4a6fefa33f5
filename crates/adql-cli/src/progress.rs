//! [`Progress`]: the spinner on stderr while a remote request runs.

use std::io::IsTerminal;
use std::time::Duration;

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
        if !progress_enabled(std::io::stderr().is_terminal()) || crate::verbose::on() {
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
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
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
