//! `adql survey` end to end against the DaCHS server of `tests/dachs/setup.sh` (skipped with a message when
//! it is not running, a failure under `CI`): its TAP service and cone search as services, with a dead one —
//! counts equal to what `adql query` counts, the dead service a row of the answer and a line on stderr, the
//! rows themselves as one VOTable of several tables (read back by STILTS when it is installed) or as a long
//! CSV, and exit status 4 only when no service answered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::dachs;

const CONE: [&str; 3] = ["317.3778", "37.072", "0.5"];

/// `adql` with the test service as `d`, and its cone search (`cone2`) and a dead service (`dead`) configured.
fn adql(dir: &Path, tap: &str, args: &[&str]) -> Output {
    let cone = format!("{}/archive2/q/cone/scs.xml", tap.trim_end_matches("/tap"));
    let config = dir.join("services.toml");
    std::fs::write(
        &config,
        format!(
            "[services.cone2]\nurl = \"{cone}\"\nkind = \"scs\"\n\
             [services.dead]\nurl = \"http://127.0.0.1:9/tap\"\n"
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    support::cli::adql_with_service(dir, tap, &["--config", &config], args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The cells of a CSV line (no quoted commas in the cells read here).
fn cells(line: &str) -> Vec<&str> {
    line.split(',').collect()
}

#[test]
fn every_service_is_counted_and_a_dead_one_reported() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut args = vec!["survey", "--only", "d,cone2,dead", "--format", "csv"];
    args.extend(CONE);
    let out = adql(dir, &tap, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "service,kind,resource,rows,exact,access,error");
    assert!(
        lines[1].starts_with("cone2,scs,cone,1,true,http://"),
        "{csv}"
    );
    let dead = lines.iter().find(|l| l.starts_with("dead,")).unwrap();
    assert!(
        dead.starts_with("dead,tap,,,,http://127.0.0.1:9/tap,"),
        "{dead}"
    );
    assert!(dead.contains("refused the connection"), "{dead}");
    assert!(
        text(&out.stderr).contains("adql: service dead (http://127.0.0.1:9/tap)"),
        "{}",
        text(&out.stderr)
    );

    // Each table's count is what its own ADQL returns through `adql query`.
    let tables: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("d,tap,"))
        .collect();
    assert!(tables.len() >= 4, "{csv}");
    for line in &tables {
        let rows = cells(line)[3];
        let access = line.split(",\"").nth(1).unwrap().trim_end_matches("\",");
        assert!(access.starts_with("SELECT * FROM d."), "{access}");
        let counted = adql(
            dir,
            &tap,
            &[
                "query",
                "--format",
                "csv",
                &format!("SELECT COUNT(*) AS n FROM ({access}) AS q"),
            ],
        );
        assert_eq!(text(&counted.stdout), format!("n\n{rows}\n"), "{access}");
    }

    // Only dead services: the answer still says why, and the status says nothing answered.
    let mut args = vec!["survey", "--only", "dead", "--format", "csv"];
    args.extend(CONE);
    let out = adql(dir, &tap, &args);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(text(&out.stdout).lines().count(), 2);
}

#[test]
fn rows_come_back_as_tables_or_one_long_table() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut args = vec![
        "survey", "--only", "d,cone2", "--kind", "tap,scs", "--cap", "3", "--rows", "-o",
        "rows.vot",
    ];
    args.extend(CONE);
    let out = adql(dir, &tap, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = std::fs::read_to_string(dir.join("rows.vot")).unwrap();
    assert_eq!(doc.matches("<VOTABLE").count(), 1);
    assert!(
        doc.contains("<RESOURCE type=\"results\" name=\"cone2 cone\">"),
        "{doc}"
    );
    assert!(doc.contains("<TABLE name=\"d xmbench.sources\">"), "{doc}");
    // A client none of us wrote reads every table of it.
    if let Some(stilts) = support::clients::which("stilts") {
        let tables = doc.matches("<TABLE").count();
        for i in 0..tables {
            let read = Command::new(&stilts)
                .args(["tpipe", &format!("in=rows.vot#{i}"), "omode=count"])
                .current_dir(dir)
                .output()
                .unwrap();
            assert!(read.status.success(), "table {i}: {}", text(&read.stderr));
            let rows = text(&read.stdout);
            assert!(rows.contains("rows: "), "{rows}");
        }
    } else {
        eprintln!(
            "rows_come_back_as_tables_or_one_long_table: STILTS is not installed; not read back"
        );
    }

    // Other formats: one long table of cells.
    let mut args = vec![
        "survey", "--only", "d", "--cap", "2", "--rows", "--format", "csv",
    ];
    args.extend(CONE);
    let out = adql(dir, &tap, &args);
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "service,resource,row,column,value");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("d,xmbench.sources,2,ra,")),
        "{csv}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("d,xmbench.sources,3,")));
}

/// The path of `program` on `PATH`.
#[test]
fn the_shell_surveys_too() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let service = format!("d={tap}");
    let mut shell = Command::new(env!("CARGO_BIN_EXE_adql"));
    shell
        .args(["shell", "--no-user-config", "--service", &service])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join(".cache"))
        .env("XDG_DATA_HOME", dir.path().join(".data"));
    let out = support::cli::with_input(
        &mut shell,
        "\\format csv\n\\survey \"317.3778 37.072\" 0.5\n",
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\nd,tap,archive2.sources,1,true,\"SELECT * FROM d.archive2.sources WHERE"),
        "{stdout}{}",
        text(&out.stderr)
    );
}
