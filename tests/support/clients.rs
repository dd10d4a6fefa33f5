//! Finding the real clients some tests run: STILTS, and a Python with pyvo (the virtual environment of
//! `python/venv.sh`). A missing one makes the calling test skip with a message, or fail under `CI`, where
//! `.ci/run` installs them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// `program` on the `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

fn missing(what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(!ci, "{what} is missing under CI (.ci/run installs it)");
    eprintln!("skipping: {what} is missing");
}

/// The `stilts` command, if installed.
pub fn stilts() -> Option<PathBuf> {
    let found = which("stilts");
    if found.is_none() {
        missing("stilts (Debian package stilts)");
    }
    found
}

/// A Python interpreter that imports pyvo, astropy and astroquery: `$ADQL_PYTHON`, else the one of `$ADQL_PY_VENV` (default
/// `~/.cache/adql/venv`).
pub fn python_with_pyvo() -> Option<PathBuf> {
    let venv = std::env::var_os("ADQL_PY_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/adql/venv")));
    let candidates = std::env::var_os("ADQL_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(venv.map(|v| v.join("bin/python")));
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", "import pyvo, astropy, astroquery"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    missing("a Python with pyvo and astroquery (bash python/venv.sh)");
    None
}
