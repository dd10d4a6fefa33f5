//! `adql products` and `adql download` end to end against the DaCHS server of `tests/dachs/setup.sh` (skipped
//! with a message when it is not running, a failure under `CI`), which serves real product files
//! (`products.files`, written by `tests/dachs/products.py`) through DataLink: product lists through batched
//! DataLink requests, files that arrive whole and byte for byte, a second run that fetches nothing, a partial
//! file resumed, rows from a table file, the dry run and its curl script, and a missing file named in the
//! summary with exit status 4.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::dachs;

const ROWS: &str = "SELECT obs_id, obs_collection, access_url, access_format FROM d.products.files ORDER BY obs_id";

fn adql(dir: &Path, tap: &str, args: &[&str]) -> Output {
    support::cli::adql_with_service(dir, tap, &[], args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The files the server publishes, written again by the same generator.
fn expected_files(dir: &Path) -> std::path::PathBuf {
    let expected = dir.join("expected");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dachs/products.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(&expected)
        .status()
        .unwrap();
    assert!(status.success());
    expected
}

#[test]
fn products_are_listed_through_datalink_and_downloaded_whole() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    let list = ok(&adql(dir, &tap, &["products", "--format", "csv", ROWS]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(
        lines[0],
        "obs_collection,obs_id,semantics,access_url,content_type,content_length,file"
    );
    assert_eq!(lines.len(), 13, "{list}");
    assert!(lines[1].starts_with("TEST,obs1,#this,http://"), "{list}");
    assert!(
        lines[1].ends_with(",image/fits,8640,TEST/obs1/obs1.fits"),
        "{list}"
    );
    let previews = ok(&adql(
        dir,
        &tap,
        &[
            "products",
            "--format",
            "csv",
            "--semantics",
            "#preview",
            ROWS,
        ],
    ));
    assert!(
        previews
            .lines()
            .skip(1)
            .all(|l| l.contains("?preview=True")),
        "{previews}"
    );

    // Everything arrives, byte for byte, with a manifest.
    let out = adql(
        dir,
        &tap,
        &[
            "download",
            "-o",
            "out",
            "--manifest",
            "manifest.csv",
            "--parallel",
            "4",
            ROWS,
        ],
    );
    ok(&out);
    assert!(
        text(&out.stderr).contains("12 files fetched, 0 already there, 0 failed"),
        "{}",
        text(&out.stderr)
    );
    let expected = expected_files(dir);
    for i in 1..=12 {
        let name = format!("obs{i}.fits");
        let got = std::fs::read(dir.join(format!("out/TEST/obs{i}/{name}"))).unwrap();
        assert_eq!(got, std::fs::read(expected.join(&name)).unwrap(), "{name}");
    }
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    assert_eq!(manifest.lines().count(), 13);
    assert!(
        manifest.lines().skip(1).all(|l| l.contains(",downloaded,")),
        "{manifest}"
    );

    // A second run fetches nothing; a lost file comes again, a partial one is resumed.
    std::fs::remove_file(dir.join("out/TEST/obs3/obs3.fits")).unwrap();
    let whole = std::fs::read(expected.join("obs7.fits")).unwrap();
    std::fs::remove_file(dir.join("out/TEST/obs7/obs7.fits")).unwrap();
    std::fs::write(
        dir.join("out/TEST/obs7/obs7.fits.part"),
        &whole[..whole.len() / 3],
    )
    .unwrap();
    let out = adql(
        dir,
        &tap,
        &["download", "-o", "out", "--manifest", "manifest.csv", ROWS],
    );
    ok(&out);
    assert!(
        text(&out.stderr).contains("2 files fetched, 10 already there, 0 failed"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(dir.join("out/TEST/obs7/obs7.fits")).unwrap(),
        whole
    );
    assert!(!dir.join("out/TEST/obs7/obs7.fits.part").exists());
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    assert!(
        manifest.contains("obs7.fits,") && manifest.contains(",resumed,"),
        "{manifest}"
    );
}

#[test]
fn rows_come_from_a_table_file_and_failures_are_named() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(&adql(dir, &tap, &["query", "-o", "rows.vot", ROWS]));
    let dry = ok(&adql(
        dir,
        &tap,
        &[
            "download",
            "--from",
            "rows.vot",
            "--flat",
            "-o",
            "files",
            "--dry-run",
        ],
    ));
    let lines: Vec<&str> = dry.lines().collect();
    assert_eq!(lines.len(), 12, "{dry}");
    assert!(lines[0].ends_with("\tfiles/obs1.fits"), "{dry}");
    let script = ok(&adql(
        dir,
        &tap,
        &["download", "--from", "rows.vot", "--dry-run", "--curl"],
    ));
    assert!(script.starts_with("#!/bin/sh\n"));
    assert_eq!(
        script
            .lines()
            .filter(|l| l.starts_with("curl --fail"))
            .count(),
        12
    );
    assert!(
        !script.contains("MAST_API_TOKEN\"}"),
        "no token for a non-MAST host: {script}"
    );

    // One file the server does not have: the others arrive, the summary names it, exit status 4.
    let base = tap.trim_end_matches("/tap");
    std::fs::write(
        dir.join("rows.csv"),
        format!(
            "obs_id,obs_collection,access_url,access_format\n\
             obs1,TEST,{base}/getproduct/products/data/obs1.fits,image/fits\n\
             gone,TEST,{base}/getproduct/products/data/gone.fits,image/fits\n"
        ),
    )
    .unwrap();
    let out = adql(
        dir,
        &tap,
        &["download", "--from", "rows.csv", "-o", "partial"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("adql: error: 1 of 2 files did not arrive:"),
        "{stderr}"
    );
    assert!(stderr.contains("gone.fits: download: "), "{stderr}");
    assert!(dir.join("partial/TEST/obs1/obs1.fits").exists());
    assert!(
        !dir.join("partial/TEST/gone")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    );

    // Rows without access_url say what is missing.
    std::fs::write(dir.join("bad.csv"), "obs_id\nobs1\n").unwrap();
    let out = adql(dir, &tap, &["products", "--from", "bad.csv"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("adql: error: bad.csv: the rows have no access_url column"),
        "{}",
        text(&out.stderr)
    );
}

/// A configuration with the DaCHS DataLink endpoint of the product files as the service `dl`.
fn datalink_config(dir: &Path, tap: &str) -> String {
    let links = format!("{}/products/q/dl/dlmeta", tap.trim_end_matches("/tap"));
    let path = dir.join("datalink.toml");
    std::fs::write(
        &path,
        format!("[services.dl]\nurl = \"{links}\"\nkind = \"datalink\"\n"),
    )
    .unwrap();
    path.display().to_string()
}

const LINKED: &str = "SELECT f.obs_id, f.obs_collection, l.access_url, l.content_length, l.content_type \
     FROM d.products.files AS f JOIN dl.datalink.links AS l ON l.id = f.obs_publisher_did \
     WHERE l.semantics = '#this' ORDER BY f.obs_id";

#[test]
fn products_are_chosen_in_the_query_by_joining_the_datalink_table() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let config = datalink_config(dir, &tap);

    // The links of every observation, looked up for the observations' identifiers, in one query.
    let rows = ok(&adql(
        dir,
        &tap,
        &["query", "--config", &config, "--format", "csv", LINKED],
    ));
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(
        lines[0],
        "obs_id,obs_collection,access_url,content_length,content_type"
    );
    assert_eq!(lines.len(), 13, "{rows}");
    assert!(lines[1].starts_with("obs1,TEST,http://"), "{rows}");
    assert!(lines[1].ends_with(",8640,image/fits"), "{rows}");
    // The same files `adql products` finds from the rows' DataLink access_url.
    let listed = ok(&adql(dir, &tap, &["products", "--format", "csv", ROWS]));
    let urls = |text: &str, column: usize| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(column).unwrap().to_owned())
            .collect()
    };
    assert_eq!(urls(&rows, 2), urls(&listed, 3));

    // EXPLAIN shows the lookup bound to the other side's keys.
    let plan = ok(&adql(dir, &tap, &["explain", "--config", &config, LINKED]));
    assert!(
        plan.contains("LookupExec: service=dl") && plan.contains("ID IN (12 keys: \"ivo://"),
        "{plan}"
    );

    // The query's rows are downloadable as they are.
    let out = adql(
        dir,
        &tap,
        &["download", "--config", &config, "-o", "out", LINKED],
    );
    ok(&out);
    assert!(
        text(&out.stderr).contains("12 files fetched, 0 already there, 0 failed"),
        "{}",
        text(&out.stderr)
    );
    let expected = expected_files(dir);
    for i in [1, 12] {
        let name = format!("obs{i}.fits");
        let got = std::fs::read(dir.join(format!("out/TEST/obs{i}/{name}"))).unwrap();
        assert_eq!(got, std::fs::read(expected.join(&name)).unwrap(), "{name}");
    }

    // Keys given in the query itself; `IN (subquery)` binds them as a join does.
    let csv = |query: &str| {
        ok(&adql(
            dir,
            &tap,
            &["query", "--config", &config, "--format", "csv", query],
        ))
    };
    let first = lines[1].split(',').nth(2).unwrap().to_owned();
    let did = csv("SELECT obs_publisher_did FROM d.products.files WHERE obs_id = 'obs1'");
    let did = did.lines().nth(1).unwrap().to_owned();
    let one = csv(&format!(
        "SELECT access_url FROM dl.datalink.links WHERE ID = '{did}' AND semantics = '#this'"
    ));
    assert_eq!(one.lines().nth(1), Some(first.as_str()), "{one}");
    let semi = csv(
        "SELECT COUNT(*) AS n FROM dl.datalink.links WHERE semantics = '#this' AND ID IN \
         (SELECT obs_publisher_did FROM d.products.files WHERE obs_id IN ('obs1', 'obs2'))",
    );
    assert_eq!(semi, "n\n2\n");

    // Never the whole table: without keys the query fails and says how to give them.
    let out = adql(
        dir,
        &tap,
        &[
            "query",
            "--config",
            &config,
            "SELECT * FROM dl.datalink.links",
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("table dl.datalink.links needs values of ID"),
        "{}",
        text(&out.stderr)
    );
}
