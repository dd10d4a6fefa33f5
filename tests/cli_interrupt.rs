//! Ctrl-C and SIGTERM end to end, against the DaCHS server of `tests/dachs/setup.sh` (skipped with a
//! message when it is not running, a failure under `CI`): an interrupted `adql tap --async` says
//! "interrupted", exits with 130, and leaves no job of ours executing on the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use crate::support;

use std::process::{Command, Stdio};

use support::dachs;

/// A query DaCHS needs hours for: 20,000 × 20,000 × 1000 triples.
const SLOW: &str = "SELECT COUNT(*) AS n_interrupt FROM archive2.sources AS a, archive2.sources AS b, \
                    archive1.obscore AS c WHERE a.ra + b.ra + c.s_ra > 10000";

#[test]
fn an_interrupted_async_query_leaves_no_job_executing() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    for signal in ["INT", "TERM"] {
        let before = dachs::job_ids(&tap);
        let child = Command::new(env!("CARGO_BIN_EXE_adql"))
            .args(["tap", "--async", &tap, SLOW])
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for our job to run.
        let ours = dachs::wait_for_new_executing_job(&tap, &before, "n_interrupt");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "SIG{signal}: {stderr}");
        assert_eq!(stderr, "adql: interrupted\n", "SIG{signal}");
        assert!(out.stdout.is_empty());
        // The job was deleted (gone from the list) or at least is no longer executing.
        dachs::assert_job_stopped(&tap, &ours, &format!("SIG{signal}"));
    }
}
