//! The result cache end to end, against the DaCHS server of `tests/dachs/setup.sh` (skipped with a message
//! when it is not running, a failure under `CI`): `--cache` answers a repeated query without a request and
//! with the same rows and units; without `--cache` nothing is reused; an answer cut at MAXREC is never kept;
//! `adql cache list` and `adql cache clear` show and remove what is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::dachs;

/// `adql ARGS` with its cache and configuration directories in `home`.
fn adql(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adql"))
        .args(args)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The requests `-v` reported (one line each).
fn requests(output: &Output) -> usize {
    text(&output.stderr)
        .lines()
        .filter(|l| l.contains(" -> HTTP "))
        .count()
}

#[test]
fn repeated_queries_are_answered_from_the_cache_only_when_asked() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let service = format!("d={tap}");
    let query = "SELECT TOP 3 source_id, ra FROM d.archive2.sources ORDER BY source_id";
    let run = |extra: &[&str]| {
        let mut args = vec!["-v", "query", "--no-user-config", "--service", &service];
        args.extend_from_slice(extra);
        args.push(query);
        let out = adql(home.path(), &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        out
    };
    let first = run(&["--cache"]);
    assert!(requests(&first) >= 1, "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("[deg]"));
    let second = run(&["--cache"]);
    assert_eq!(requests(&second), 0, "{}", text(&second.stderr));
    assert_eq!(
        text(&second.stdout).lines().take(6).collect::<Vec<_>>(),
        text(&first.stdout).lines().take(6).collect::<Vec<_>>()
    );
    // Without --cache the service is asked again.
    let third = run(&[]);
    assert!(
        text(&third.stderr).contains("POST"),
        "{}",
        text(&third.stderr)
    );

    // An answer cut at MAXREC fails the query under --on-overflow fail and is not kept.
    let cut = adql(
        home.path(),
        &[
            "query",
            "--no-user-config",
            "--service",
            &service,
            "--cache",
            "--maxrec",
            "5",
            "--on-overflow",
            "fail",
            "SELECT ra FROM d.archive2.sources",
        ],
    );
    assert_eq!(cut.status.code(), Some(3), "{}", text(&cut.stderr));

    let list = adql(
        home.path(),
        &["cache", "list", "--no-user-config", "--format", "csv"],
    );
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    // The first query's answer (the size probes of the planner are kept too, being complete answers)...
    let kept: Vec<&&str> = rows.iter().filter(|r| r.contains("ORDER BY")).collect();
    assert_eq!(kept.len(), 1, "{listed}");
    assert!(kept[0].contains(",d,3,"), "{listed}");
    // ... but not the answer cut at MAXREC.
    assert!(
        !rows
            .iter()
            .any(|r| r.ends_with("SELECT sources.ra FROM archive2.sources AS sources")),
        "{listed}"
    );

    let clear = adql(home.path(), &["cache", "clear", "--no-user-config"]);
    let removed = format!("removed {} cached answer", rows.len());
    assert!(
        text(&clear.stdout).starts_with(&removed),
        "{}",
        text(&clear.stdout)
    );
    let list = adql(
        home.path(),
        &["cache", "list", "--no-user-config", "--format", "csv"],
    );
    assert_eq!(text(&list.stdout), "key,service,rows,bytes,age,adql\n");
    let again = run(&["--cache"]);
    assert!(requests(&again) >= 1, "{}", text(&again.stderr));
}
