//! Running the built `adql` binary from the root package's end-to-end tests, and the files they use.

// Each test file uses some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `adql ARGS` in the repository root and waits for it.
pub fn adql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adql"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// Runs `adql SUBCOMMAND --no-user-config --service d=TAP EXTRA... REST...` (`args[0]` is the subcommand) in
/// `dir`, with the caches there and no HTTP proxy: the test service `tap` as `d`, nothing of the user's.
pub fn adql_with_service(dir: &Path, tap: &str, extra: &[&str], args: &[&str]) -> Output {
    let service = format!("d={tap}");
    let mut all = vec![args[0], "--no-user-config", "--service", &service];
    all.extend_from_slice(extra);
    all.extend_from_slice(&args[1..]);
    Command::new(env!("CARGO_BIN_EXE_adql"))
        .args(&all)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .unwrap()
}

/// Standard output of a successful run (the test fails with stderr otherwise).
pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Standard error, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `stars=<repo>/data/stars.csv`, the bundled demo table as a `--table` argument.
pub fn stars() -> String {
    format!(
        "stars={}",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/stars.csv")
            .display()
    )
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `command` with `input` on its standard input, capturing its output.
pub fn with_input(command: &mut Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
