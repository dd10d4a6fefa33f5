//! The loopback GAVO DaCHS that `tests/dachs/setup.sh` starts: its TAP URL, and whether it is listening.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The TAP endpoint (`ADQL_TEST_TAP_URL`, default `http://localhost:8080/tap`).
pub fn tap_url() -> String {
    std::env::var("ADQL_TEST_TAP_URL").unwrap_or_else(|_| "http://localhost:8080/tap".to_string())
}

/// Is the server listening? Skips (or fails under CI) when not.
pub fn server_up(url: &str) -> bool {
    let parsed = url::Url::parse(url).unwrap();
    let addr = format!(
        "{}:{}",
        parsed.host_str().unwrap_or("localhost"),
        parsed.port_or_known_default().unwrap_or(80)
    );
    let up = addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "DaCHS is not running at {url} (run tests/dachs/setup.sh)"
        );
        eprintln!("skipping: DaCHS is not running at {url} (run tests/dachs/setup.sh)");
    }
    up
}
