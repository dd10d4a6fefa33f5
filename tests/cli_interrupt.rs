//! Ctrl-C and SIGTERM end to end, against the DaCHS server of `tests/dachs/setup.sh` (skipped with a
//! message when it is not running, a failure under `CI`): an interrupted `adql tap --async` says
//! "interrupted", exits with 130, and leaves no job of ours executing on the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::dachs;

/// A query DaCHS needs hours for: 20,000 × 20,000 × 1000 triples.
const SLOW: &str = "SELECT COUNT(*) AS n FROM archive2.sources AS a, archive2.sources AS b, \
                    archive1.obscore AS c WHERE a.ra + b.ra + c.s_ra > 10000";

/// `GET url` through curl (what a person would use to look at the server's job list).
fn get(url: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "10", url])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The ids of the jobs in the service's job list, with their phases.
fn jobs(tap: &str) -> Vec<(String, String)> {
    let list = get(&format!("{tap}/async"));
    list.split("<uws:jobref id=\"")
        .skip(1)
        .filter_map(|entry| {
            let (id, rest) = entry.split_once('"')?;
            let phase = rest.split_once("<uws:phase>")?.1.split_once('<')?.0;
            Some((id.to_owned(), phase.to_owned()))
        })
        .collect()
}

#[test]
fn an_interrupted_async_query_leaves_no_job_executing() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    for signal in ["INT", "TERM"] {
        let before: Vec<String> = jobs(&tap).into_iter().map(|(id, _)| id).collect();
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
        let started = Instant::now();
        let ours = loop {
            let running = jobs(&tap)
                .into_iter()
                .find(|(id, phase)| !before.contains(id) && phase == "EXECUTING");
            if let Some((id, _)) = running {
                break id;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the job never started executing"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
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
        let phase = jobs(&tap)
            .into_iter()
            .find(|(id, _)| *id == ours)
            .map(|(_, p)| p);
        assert!(
            phase
                .as_deref()
                .is_none_or(|p| p != "EXECUTING" && p != "QUEUED"),
            "SIG{signal}: job {ours} is still {phase:?}"
        );
    }
}
