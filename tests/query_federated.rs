//! End to end: `adql query` and `adql explain` over remote tables, with the test DaCHS registered as two
//! services (`mast` showing the observations, `gaia` the sources). Skips when DaCHS is not running, fails
//! under `CI`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::dachs;

/// A configuration file registering the test server twice, with a private description cache.
fn config(dir: &Path, tap: &str) -> String {
    let path = dir.join("config.toml");
    let text = format!(
        "[cache]\ndir = \"cache\"\nttl_hours = 1\n\n\
         [services.mast]\nurl = \"{tap}\"\n\n[services.gaia]\nurl = \"{tap}\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn adql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_adql"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const FEDERATED: &str = "SELECT TOP 5 o.obs_id, COUNT(*) AS n \
    FROM mast.archive1.obscore AS o JOIN gaia.archive2.sources AS s \
    ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.05)) \
    WHERE s.phot_g_mean_mag < 19 \
    GROUP BY o.obs_id ORDER BY n DESC, o.obs_id";

#[test]
fn a_cross_service_crossmatch_equals_the_servers_own_answer() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &tap);
    let federated = adql(&[
        "query",
        "--no-user-config",
        "--config",
        &config,
        "--format",
        "csv",
        FEDERATED,
    ]);
    assert!(federated.status.success(), "{}", stderr(&federated));
    let single = FEDERATED
        .replace("mast.archive1", "archive1")
        .replace("gaia.archive2", "archive2");
    let direct = adql(&["tap", &tap, "--format", "csv", &single]);
    assert!(direct.status.success(), "{}", stderr(&direct));
    assert_eq!(stdout(&federated), stdout(&direct));
    assert_eq!(
        stdout(&federated).lines().count(),
        6,
        "{}",
        stdout(&federated)
    );
    // The descriptions were cached: one file per service.
    let cached = std::fs::read_dir(dir.path().join("cache")).unwrap().count();
    assert_eq!(cached, 2);
}

#[test]
fn explain_shows_the_adql_sent_to_each_service() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &tap);
    let output = adql(&[
        "explain",
        "--no-user-config",
        "--config",
        &config,
        FEDERATED,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("Remote parts:\n"), "{text}");
    assert!(
        text.contains(&format!(
            "[1] mast ({tap})\n      SELECT o.obs_id, o.s_ra, o.s_dec FROM archive1.obscore AS o\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("[2] gaia ({tap})\n      SELECT s.ra, s.dec FROM archive2.sources AS s WHERE s.phot_g_mean_mag < 19.0\n")),
        "{text}"
    );
    assert!(text.contains("Crossmatch"), "{text}");
}

#[test]
fn a_single_service_query_goes_out_whole() {
    let Some(tap) = dachs::tap_url() else { return };
    let service = format!("gaia={tap}");
    let query = "SELECT population, COUNT(*) AS n FROM gaia.archive2.sources \
                 WHERE phot_g_mean_mag < 16 GROUP BY population ORDER BY population";
    let output = adql(&["explain", "--no-user-config", "--service", &service, query]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let parts: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('['))
        .collect();
    assert_eq!(parts.len(), 1, "{text}");
    assert!(text.contains("GROUP BY"), "{text}");
    let federated = adql(&[
        "query",
        "--no-user-config",
        "--service",
        &service,
        "--format",
        "csv",
        query,
    ]);
    let direct = adql(&[
        "tap",
        &tap,
        "--format",
        "csv",
        &query.replace("gaia.archive2", "archive2"),
    ]);
    assert!(federated.status.success(), "{}", stderr(&federated));
    assert_eq!(stdout(&federated), stdout(&direct));
}

#[test]
fn a_result_over_maxrec_is_fetched_in_pieces() {
    let Some(tap) = dachs::tap_url() else { return };
    let service = format!("gaia={tap}");
    let output = adql(&[
        "query",
        "--no-user-config",
        "--service",
        &service,
        "--maxrec",
        "3000",
        "--format",
        "csv",
        "SELECT source_id, phot_g_mean_mag FROM gaia.archive2.sources",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let mut ids: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 20_000);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20_000, "every row once");
}

#[test]
fn a_result_cut_at_maxrec_is_an_error_naming_the_service_when_asked() {
    let Some(tap) = dachs::tap_url() else { return };
    let service = format!("gaia={tap}");
    let output = adql(&[
        "query",
        "--no-user-config",
        "--service",
        &service,
        "--maxrec",
        "100",
        "--on-overflow",
        "fail",
        "SELECT source_id FROM gaia.archive2.sources",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.starts_with(&format!(
            "adql: error: service gaia ({tap}) truncated the result at 100 rows"
        )),
        "{message}"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn an_unreachable_service_is_a_remote_failure_with_its_url() {
    let output = adql(&[
        "query",
        "--no-user-config",
        "--service",
        "nowhere=http://127.0.0.1:9/tap",
        "SELECT * FROM nowhere.s.t",
    ]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("adql: error: service nowhere (http://127.0.0.1:9/tap): "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bad_service_flag_is_a_usage_error() {
    let output = adql(&[
        "query",
        "--no-user-config",
        "--service",
        "ftp://example.org",
        "SELECT 1 AS x",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("expected NAME=URL"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn local_and_remote_tables_join() {
    let Some(tap) = dachs::tap_url() else { return };
    let service = format!("gaia={tap}");
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.csv");
    // Two positions of bright sources of the test table, and one empty field.
    std::fs::write(
        &targets,
        "name,ra,dec\nfield_a,270.0086465,-28.98595202\nfield_b,322.39470463,89.30469476\nempty,10.0,10.0\n",
    )
    .unwrap();
    let table = format!("targets={}", targets.display());
    let query = "SELECT t.name, s.source_id FROM targets AS t \
                 JOIN gaia.archive2.sources AS s \
                 ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.ra, t.dec, 0.0001)) \
                 ORDER BY t.name";
    let output = adql(&[
        "query",
        "--no-user-config",
        "--service",
        &service,
        "--table",
        &table,
        "--format",
        "csv",
        query,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "name,source_id\nfield_a,782218960278913025\nfield_b,2297844062121623554\n"
    );
}

#[test]
fn a_table_newer_than_the_cached_description_is_found() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &tap);
    let query = "SELECT COUNT(*) AS n FROM gaia.archive2.sources WHERE phot_g_mean_mag < 12";
    let run = || {
        adql(&[
            "query",
            "--no-user-config",
            "--config",
            &config,
            "--format",
            "csv",
            query,
        ])
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    // Make the cached description older than the table: drop it from the cache file.
    let path = dir.path().join("cache").join("gaia.json");
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let tables = cached["description"]["tables"].as_array_mut().unwrap();
    let before = tables.len();
    tables.retain(|t| t["name"] != "archive2.sources");
    assert_eq!(tables.len(), before - 1);
    std::fs::write(&path, cached.to_string()).unwrap();
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(stdout(&second), stdout(&first));
    // The service was described again and the cache refreshed.
    let refreshed = std::fs::read_to_string(&path).unwrap();
    assert!(refreshed.contains("archive2.sources"));
}
