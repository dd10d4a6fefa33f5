//! Finding the test DaCHS server started by `tests/dachs/setup.sh`.
//!
//! Include it from a root-package test with `mod support;` (then `support::dachs::tap_url()`), or
//! from a crate's tests with
//!
//! ```ignore
//! #[path = "../../../tests/support/dachs.rs"]
//! mod dachs;
//! ```
//!
//! Environment:
//! * `ADQL_TEST_TAP_URL` -- TAP base URL, default `http://localhost:8080/tap`;
//! * `ADQL_TEST_SCS_URL` -- Simple Cone Search URL over the sources table, default
//!   `http://localhost:8080/archive2/q/cone/scs.xml`;
//! * `CI` -- when set (to anything but `false`/`0`/empty), a missing server is a test failure
//!   (panic), never a silent skip.
//!
//! The probe is a plain HTTP/1.0 GET of `<TAP>/availability` over `std::net::TcpStream`
//! (no dependencies), done once per test binary.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// Default TAP base URL of the test server.
pub const DEFAULT_TAP_URL: &str = "http://localhost:8080/tap";
/// Default Simple Cone Search URL (over `archive2.sources`).
pub const DEFAULT_SCS_URL: &str = "http://localhost:8080/archive2/q/cone/scs.xml";

/// DaCHS names of the test tables (see `tests/data/tables.json` for all of them).
/// "Archive 1": the ObsCore-like observation table.
pub const OBSCORE: &str = "archive1.obscore";
/// "Archive 2": the Gaia-like source table (also served by the cone search).
pub const SOURCES: &str = "archive2.sources";
/// Schema of the small SQL-semantics tables (`strs`, `nulltab`, `nums`, `mixedcase`, `join_a`,
/// `join_b`, `units`, `regions`) and of the bundled `stars` and `observations`.
pub const SMALL_SCHEMA: &str = "adqltest";

/// The TAP base URL if the test server answers, else `None` after printing why the calling test
/// skips. Panics instead of skipping when `CI` is set.
pub fn tap_url() -> Option<String> {
    let url = env_or("ADQL_TEST_TAP_URL", DEFAULT_TAP_URL);
    if server_available(&url) {
        Some(url)
    } else {
        skip_or_panic(&url);
        None
    }
}

/// The cone search URL if the test server answers (probed through its TAP availability), else
/// `None` (or a panic under `CI`), like [`tap_url`].
pub fn scs_url() -> Option<String> {
    let tap = env_or("ADQL_TEST_TAP_URL", DEFAULT_TAP_URL);
    if server_available(&tap) {
        Some(env_or("ADQL_TEST_SCS_URL", DEFAULT_SCS_URL))
    } else {
        skip_or_panic(&tap);
        None
    }
}

/// Whether the tests run under CI (`CI` set and not `false`/`0`).
pub fn in_ci() -> bool {
    match std::env::var("CI") {
        Ok(v) => !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false")),
        Err(_) => false,
    }
}

/// `tests/data` of the repository (found by walking up from the including crate).
pub fn test_data_dir() -> PathBuf {
    repo_root().join("tests").join("data")
}

/// The repository root: the nearest ancestor of the including crate holding `tests/data/tables.json`.
pub fn repo_root() -> PathBuf {
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut dir = start.as_path();
    loop {
        if dir.join("tests").join("data").join("tables.json").is_file() {
            return dir.to_path_buf();
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => panic!("no tests/data/tables.json above {}", start.display()),
        }
    }
}

fn env_or(key: &str, default: &str) -> String {
    match std::env::var(key) {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_string(),
        _ => default.to_string(),
    }
}

fn skip_or_panic(url: &str) {
    let msg = format!(
        "test DaCHS server not available at {url} (start it with `bash tests/dachs/setup.sh`, \
         or point ADQL_TEST_TAP_URL at a TAP service)"
    );
    if in_ci() {
        panic!("{msg}; CI is set, so this is a failure, not a skip");
    }
    eprintln!("SKIP: {msg}");
}

/// Probes once per process; later calls reuse the answer.
fn server_available(tap_url: &str) -> bool {
    static PROBED: OnceLock<std::sync::Mutex<Vec<(String, bool)>>> = OnceLock::new();
    let cache = PROBED.get_or_init(|| std::sync::Mutex::new(Vec::new()));
    let mut cache = match cache.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((_, ok)) = cache.iter().find(|(u, _)| u == tap_url) {
        return *ok;
    }
    let ok = probe(tap_url).unwrap_or_else(|why| {
        eprintln!("probe of {tap_url}/availability failed: {why}");
        false
    });
    cache.push((tap_url.to_string(), ok));
    ok
}

fn probe(tap_url: &str) -> Result<bool, String> {
    let rest = if let Some(r) = tap_url.strip_prefix("http://") {
        r
    } else if tap_url.starts_with("https://") {
        // No TLS without dependencies: trust an explicitly configured https URL.
        return Ok(true);
    } else {
        return Err(format!("not an http URL: {tap_url}"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addrs: Vec<_> = host_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host_port}: {e}"))?
        .collect();
    let mut last_err = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(mut stream) => {
                let timeout = Some(Duration::from_secs(10));
                stream
                    .set_read_timeout(timeout)
                    .map_err(|e| e.to_string())?;
                stream
                    .set_write_timeout(timeout)
                    .map_err(|e| e.to_string())?;
                let req = format!(
                    "GET {path}/availability HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: adql-tests\r\nConnection: close\r\n\r\n"
                );
                stream
                    .write_all(req.as_bytes())
                    .map_err(|e| e.to_string())?;
                let mut body = Vec::new();
                stream
                    .take(1 << 20)
                    .read_to_end(&mut body)
                    .map_err(|e| e.to_string())?;
                let text = String::from_utf8_lossy(&body);
                let status_ok = text
                    .lines()
                    .next()
                    .is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
                if !status_ok {
                    return Err(format!(
                        "answer: {}",
                        text.lines().next().unwrap_or("(empty)")
                    ));
                }
                return Ok(text.contains("available>true<"));
            }
            Err(e) => last_err = format!("connect {addr}: {e}"),
        }
    }
    Err(last_err)
}

/// The ids of the jobs in the service's job list (`GET <tap>/async`, through curl, as a person would look),
/// with their phases.
pub fn jobs(tap: &str) -> Vec<(String, String)> {
    let out = std::process::Command::new("curl")
        .args(["-s", "-m", "10", &format!("{tap}/async")])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    list.split("<uws:jobref id=\"")
        .skip(1)
        .filter_map(|entry| {
            let (id, rest) = entry.split_once('"')?;
            let phase = rest.split_once("<uws:phase>")?.1.split_once('<')?.0;
            Some((id.to_owned(), phase.to_owned()))
        })
        .collect()
}

/// The ids of the jobs now in the service's job list.
pub fn job_ids(tap: &str) -> Vec<String> {
    jobs(tap).into_iter().map(|(id, _)| id).collect()
}

/// Waits (up to 30 s) for a job not in `before`, whose query contains `marker`, to be EXECUTING, and returns
/// its id. The marker tells a test's own job from the jobs of tests running beside it.
pub fn wait_for_new_executing_job(tap: &str, before: &[String], marker: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let running = jobs(tap).into_iter().find(|(id, phase)| {
            !before.contains(id) && phase == "EXECUTING" && job_document(tap, id).contains(marker)
        });
        if let Some((id, _)) = running {
            return id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the job never started executing"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The UWS document of job `id`.
pub fn job_document(tap: &str, id: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-m", "10", &format!("{tap}/async/{id}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails unless the job `id` was deleted (gone from the list) or at least is no longer queued or executing.
#[track_caller]
pub fn assert_job_stopped(tap: &str, id: &str, context: &str) {
    let phase = jobs(tap)
        .into_iter()
        .find(|(job, _)| job == id)
        .map(|(_, p)| p);
    assert!(
        phase
            .as_deref()
            .is_none_or(|p| p != "EXECUTING" && p != "QUEUED"),
        "{context}: job {id} is still {phase:?}"
    );
}
