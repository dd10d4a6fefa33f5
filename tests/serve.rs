//! `adql serve` end to end, against the DaCHS server of `tests/dachs/setup.sh` (skipped with a message when
//! it is not running, a failure under `CI`), registered as two services, `mast` and `gaia`, with the bundled
//! `stars` as a local table. Real clients none of us wrote talk to it: STILTS `taplint` (no errors),
//! `stilts tapquery` and pyvo (sync, async, upload) get the rows `adql query` gets; and with curl: error
//! documents with the query position, MAXREC overflow, every format, TAP_SCHEMA, uploads, the token, and
//! jobs that survive the server being killed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::clients;
use support::dachs;

/// A cross-service crossmatch (as in `query_federated`): string and integer columns, exact to compare.
const FEDERATED: &str = "SELECT TOP 5 o.obs_id, COUNT(*) AS n \
    FROM mast.archive1.obscore AS o JOIN gaia.archive2.sources AS s \
    ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.05)) \
    WHERE s.phot_g_mean_mag < 19 \
    GROUP BY o.obs_id ORDER BY n DESC, o.obs_id";

/// A running `adql serve`, killed when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `adql SUBCOMMAND` in `dir` over the test services `mast` and `gaia` (both the DaCHS at `tap`) and the
/// bundled `stars`, with the caches in `dir` and nothing of the user's.
fn adql_over_services(dir: &Path, tap: &str, subcommand: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adql"));
    command
        .args([subcommand, "--no-user-config"])
        .arg("--service")
        .arg(format!("mast={tap}"))
        .arg("--service")
        .arg(format!("gaia={tap}"))
        .arg("--table")
        .arg(support::cli::stars())
        .current_dir(dir)
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy");
    command
}

fn serve_command(dir: &Path, tap: &str, bind: &str, extra: &[&str]) -> Command {
    let mut command = adql_over_services(dir, tap, "serve");
    command
        .args(["--bind", bind])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(extra)
        .stdout(Stdio::piped());
    command
}

/// Starts the server and waits for its address.
fn start(dir: &Path, tap: &str, extra: &[&str]) -> Served {
    let mut child = serve_command(dir, tap, "127.0.0.1:0", extra)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    Served { child, url }
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `curl -s ARGS`, with the HTTP status appended on a last line of its own.
fn curl(args: &[&str]) -> (u16, String) {
    let out = run(Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}"])
        .args(args));
    let body = text(&out.stdout);
    let (body, status) = body.rsplit_once('\n').unwrap();
    (status.parse().unwrap(), body.to_owned())
}

/// The rows `adql query` gives for `adql` over the same services, as CSV.
fn adql_query_csv(dir: &Path, tap: &str, adql: &str) -> String {
    let out = run(adql_over_services(dir, tap, "query").args(["--format", "csv", adql]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn csv_rows(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.trim_end_matches('\r').to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn taplint_finds_no_errors() {
    let Some(tap) = dachs::tap_url() else { return };
    let Some(stilts) = clients::stilts() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    let out = run(Command::new(stilts)
        .args(["taplint", "report=EW", "maxtable=10"])
        .arg(format!("tapurl={}", server.url)));
    let report = text(&out.stdout);
    let totals = report
        .lines()
        .find(|l| l.starts_with("Totals:"))
        .unwrap_or_else(|| panic!("no totals in {report}"));
    eprintln!("{report}");
    assert!(totals.contains("Errors: 0;"), "{totals}\n{report}");
}

#[test]
fn stilts_tapquery_gets_the_rows_of_adql_query() {
    let Some(tap) = dachs::tap_url() else { return };
    let Some(stilts) = clients::stilts() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    for sync in ["true", "false"] {
        let out = run(Command::new(&stilts)
            .args(["tapquery", "ofmt=csv", "out=-"])
            .arg(format!("sync={sync}"))
            .arg(format!("tapurl={}", server.url))
            .arg(format!("adql={FEDERATED}")));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let expected = csv_rows(&adql_query_csv(dir.path(), &tap, FEDERATED));
        assert!(!expected.is_empty());
        assert_eq!(csv_rows(&text(&out.stdout)), expected, "sync={sync}");
    }
}

/// pyvo's sync and async queries and an upload joined with a remote table, and astroquery's `TapPlus` sync
/// and async queries, each printed as CSV rows.
const PYVO: &str = r#"
import sys, io
import pyvo
from astropy.table import Table
url, query, upload_query = sys.argv[1], sys.argv[2], sys.argv[3]
service = pyvo.dal.TAPService(url)
def rows(table):
    out = io.StringIO()
    table.write(out, format="ascii.csv")
    return out.getvalue().splitlines()[1:]
print("--SYNC", *rows(service.run_sync(query).to_table()), sep="\n")
print("--ASYNC", *rows(service.run_async(query).to_table()), sep="\n")
targets = Table({"name": ["a", "b"], "ra": [56.75, 10.0], "dec": [24.12, -5.0]})
result = service.run_sync(upload_query, uploads={"targets": targets}).to_table()
print("--UPLOAD", *rows(result), sep="\n")
names = [t.name for t in service.tables]
print("--TABLES", "gaia.archive2.sources" in names, "stars" in names)
# astroquery's generic TAP client, which looks for the service under /tap.
from astroquery import log
from astroquery.utils.tap.core import TapPlus
log.setLevel("WARNING")
tap = TapPlus(url=url + "/tap", verbose=False)
print("--TAPPLUS", *rows(tap.launch_job(query).get_results()), sep="\n")
print("--TAPPLUS_ASYNC", *rows(tap.launch_job_async(query).get_results()), sep="\n")
print("--END")
"#;

#[test]
fn pyvo_and_astroquery_get_the_rows_of_adql_query() {
    let Some(tap) = dachs::tap_url() else { return };
    let Some(python) = clients::python_with_pyvo() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    let upload = "SELECT t.name, COUNT(*) AS n FROM TAP_UPLOAD.targets AS t JOIN stars AS s \
                  ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.ra, t.dec, 1)) \
                  GROUP BY t.name ORDER BY t.name";
    let out = run(Command::new(python).args(["-c", PYVO, &server.url, FEDERATED, upload]));
    let printed = text(&out.stdout);
    assert!(out.status.success(), "{}\n{printed}", text(&out.stderr));
    let section = |name: &str| -> Vec<String> {
        printed
            .split(&format!("--{name}\n"))
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| !l.starts_with("--"))
            .map(str::to_owned)
            .collect()
    };
    let expected = csv_rows(&adql_query_csv(dir.path(), &tap, FEDERATED));
    assert_eq!(section("SYNC"), expected);
    assert_eq!(section("ASYNC"), expected);
    assert_eq!(section("TAPPLUS"), expected);
    assert_eq!(section("TAPPLUS_ASYNC"), expected);
    // The bundled stars lie around the Pleiades: target a has some within a degree, b none.
    let uploaded = section("UPLOAD");
    assert_eq!(uploaded.len(), 1, "{uploaded:?}");
    assert!(uploaded[0].starts_with("a,"), "{uploaded:?}");
    assert!(printed.contains("--TABLES True True"), "{printed}");
}

#[test]
fn errors_are_votable_documents_with_the_query_position() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    let sync = format!("{}/sync", server.url);
    let (status, body) = curl(&[
        &sync,
        "-d",
        "LANG=ADQL",
        "--data-urlencode",
        "QUERY=SELECT ra,\n  FROM stars",
    ]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("QUERY_STATUS\" value=\"ERROR\""), "{body}");
    assert!(body.contains("line 2, column 3"), "{body}");
    let (status, body) = curl(&[
        &sync,
        "-d",
        "LANG=ADQL",
        "--data-urlencode",
        "QUERY=SELECT * FROM gaia.archive2.nonesuch",
    ]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("nonesuch"), "{body}");
    let (status, body) = curl(&[&sync, "-d", "LANG=SQL", "-d", "QUERY=SELECT 1"]);
    assert_eq!(status, 400);
    assert!(body.contains("LANG SQL"), "{body}");
    let (status, _) = curl(&[&format!("{}/async/0123456789abcdef", server.url)]);
    assert_eq!(status, 404);
    // A job id is never a path: deleting "../../canary" touches nothing.
    let canary = dir.path().join("canary");
    std::fs::create_dir(&canary).unwrap();
    let (status, _) = curl(&[
        "-X",
        "DELETE",
        &format!("{}/async/..%2F..%2Fcanary", server.url),
    ]);
    assert_eq!(status, 404);
    assert!(canary.is_dir());
}

#[test]
fn maxrec_cuts_the_rows_with_an_overflow_status_and_every_format_is_written() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    let sync = format!("{}/sync", server.url);
    let query = "QUERY=SELECT name, ra FROM stars ORDER BY name";
    let (status, body) = curl(&[
        &sync,
        "-d",
        "LANG=ADQL",
        "-d",
        "MAXREC=2",
        "-d",
        "RESPONSEFORMAT=votable/td",
        "--data-urlencode",
        query,
    ]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.matches("<TR>").count(), 2, "{body}");
    assert!(body.contains("value=\"OVERFLOW\""), "{body}");
    let (_, all) = curl(&[
        &sync,
        "-d",
        "LANG=ADQL",
        "-d",
        "FORMAT=csv",
        "--data-urlencode",
        query,
    ]);
    let rows = csv_rows(&all);
    assert!(rows.len() > 2, "{all}");
    let (_, tsv) = curl(&[
        &sync,
        "-d",
        "LANG=ADQL",
        "-d",
        "FORMAT=tsv",
        "--data-urlencode",
        query,
    ]);
    assert_eq!(
        tsv.lines().nth(1).unwrap().replace('\t', ","),
        rows[0],
        "{tsv}"
    );
    let parquet = dir.path().join("r.parquet");
    let out = run(Command::new("curl").args(["-s", "-o"]).arg(&parquet).args([
        &sync,
        "-d",
        "LANG=ADQL",
        "-d",
        "FORMAT=parquet",
        "--data-urlencode",
        query,
    ]));
    assert!(out.status.success());
    assert!(std::fs::read(&parquet).unwrap().starts_with(b"PAR1"));
    let (_, binary2) = curl(&[&sync, "-d", "LANG=ADQL", "--data-urlencode", query]);
    assert!(
        binary2.contains("<BINARY2>") && binary2.contains("value=\"OK\""),
        "{binary2}"
    );
}

#[test]
fn tap_schema_lists_every_served_table_by_the_name_queries_use() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    let (status, body) = curl(&[
        &format!("{}/sync", server.url),
        "-d",
        "LANG=ADQL",
        "-d",
        "FORMAT=csv",
        "--data-urlencode",
        "QUERY=SELECT table_name FROM TAP_SCHEMA.tables ORDER BY table_name",
    ]);
    assert_eq!(status, 200, "{body}");
    for name in [
        "gaia.archive2.sources",
        "mast.archive1.obscore",
        "stars",
        "TAP_SCHEMA.columns",
    ] {
        assert!(body.lines().any(|l| l == name), "{name} not in {body}");
    }
    // A listed name works in a query as it is written.
    let (status, body) = curl(&[
        &format!("{}/sync", server.url),
        "-d",
        "LANG=ADQL",
        "-d",
        "FORMAT=csv",
        "--data-urlencode",
        "QUERY=SELECT COUNT(*) AS n FROM gaia.archive2.sources",
    ]);
    assert_eq!(status, 200, "{body}");
    let (_, tables) = curl(&[&format!("{}/tables", server.url)]);
    assert!(
        tables.contains("<name>gaia.archive2.sources</name>"),
        "{tables}"
    );
}

/// A VOTable of two targets, uploaded inline with curl's multipart form.
const TARGETS: &str = r#"<VOTABLE version="1.4"><RESOURCE><TABLE>
<FIELD name="name" datatype="char" arraysize="*"/><FIELD name="ra" datatype="double"/>
<FIELD name="dec" datatype="double"/>
<DATA><TABLEDATA><TR><TD>a</TD><TD>56.75</TD><TD>24.12</TD></TR><TR><TD>b</TD><TD>10</TD><TD>-5</TD></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"#;

#[test]
fn inline_uploads_join_remote_tables_and_bad_ones_are_refused() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &tap, &[]);
    let file = dir.path().join("targets.xml");
    std::fs::write(&file, TARGETS).unwrap();
    let sync = format!("{}/sync", server.url);
    let part = format!("t=@{}", file.display());
    let query = "QUERY=SELECT t.name, COUNT(*) AS n FROM TAP_UPLOAD.t AS t JOIN gaia.archive2.sources AS s \
                 ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.ra, t.dec, 5)) \
                 GROUP BY t.name ORDER BY t.name";
    let (status, body) = curl(&[
        &sync,
        "-F",
        "LANG=ADQL",
        "-F",
        "FORMAT=csv",
        "-F",
        "UPLOAD=t,param:t",
        "-F",
        &part,
        "-F",
        query,
    ]);
    assert_eq!(status, 200, "{body}");
    let expected_query = query
        .trim_start_matches("QUERY=")
        .replace("TAP_UPLOAD.t", "targets");
    let targets = dir.path().join("targets.vot");
    std::fs::write(&targets, TARGETS).unwrap();
    let out = run(Command::new(env!("CARGO_BIN_EXE_adql"))
        .args(["query", "--no-user-config", "--format", "csv"])
        .arg("--service")
        .arg(format!("gaia={tap}"))
        .arg("--table")
        .arg(format!("targets={}", targets.display()))
        .arg(&expected_query)
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join(".cache")));
    assert_eq!(
        csv_rows(&body),
        csv_rows(&text(&out.stdout)),
        "{}",
        text(&out.stderr)
    );
    // By URL: a VOTable the server fetches (here DaCHS's own answer to a query).
    let by_url = format!(
        "UPLOAD=u,{tap}/sync?LANG=ADQL&QUERY=SELECT%20TOP%203%20source_id%20FROM%20archive2.sources"
    );
    let (status, body) = curl(&[
        &sync,
        "-d",
        "LANG=ADQL",
        "-d",
        "FORMAT=csv",
        "--data-urlencode",
        &by_url,
        "--data-urlencode",
        "QUERY=SELECT COUNT(*) AS n FROM TAP_UPLOAD.u",
    ]);
    assert_eq!(
        (status, csv_rows(&body)),
        (200, vec!["3".to_owned()]),
        "{body}"
    );
    for (upload, message) in [
        ("UPLOAD=t,file:///etc/passwd", "only param:"),
        ("UPLOAD=t,param:missing", "no part named missing"),
    ] {
        let (status, body) = curl(&[
            &sync,
            "-F",
            "LANG=ADQL",
            "-F",
            upload,
            "-F",
            &part,
            "-F",
            query,
        ]);
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(message), "{body}");
    }
}

#[test]
fn only_loopback_is_served_without_a_token_and_a_token_is_checked() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut serve_command(dir.path(), &tap, "0.0.0.0:0", &[]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("without a token"),
        "{}",
        text(&out.stderr)
    );
    let server = start(dir.path(), &tap, &["--token", "s3cret"]);
    let (status, _) = curl(&[&format!("{}/availability", server.url)]);
    assert_eq!(status, 401);
    let (status, body) = curl(&[
        "-H",
        "Authorization: Bearer s3cret",
        &format!("{}/availability", server.url),
    ]);
    assert_eq!(status, 200, "{body}");
}

/// Creates an async job running `adql` (with `extra` parameters, e.g. `PHASE=RUN`) and returns its URL.
fn create_job(base: &str, extra: &[&str], adql: &str) -> String {
    let mut command = Command::new("curl");
    command
        .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}"])
        .arg(format!("{base}/async"))
        .args(["-d", "LANG=ADQL"]);
    for parameter in extra {
        command.args(["-d", parameter]);
    }
    let out = run(command.arg("--data-urlencode").arg(format!("QUERY={adql}")));
    let url = text(&out.stdout);
    assert!(url.contains("/async/"), "no job URL: {url}");
    url
}

/// Creates and runs an async job answering CSV.
fn submit(base: &str, adql: &str) -> String {
    create_job(base, &["FORMAT=csv", "PHASE=RUN"], adql)
}

fn phase_of(job: &str) -> String {
    curl(&[&format!("{job}/phase")]).1.trim().to_owned()
}

#[test]
fn jobs_survive_the_server_being_killed() {
    let Some(tap) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &tap, &["--max-running", "1"]);
    let jobs: Vec<String> = (0..6).map(|_| submit(&server.url, FEDERATED)).collect();
    let _ = server.child.kill();
    let _ = server.child.wait();
    // The same data directory; a new port: job URLs move with it.
    let old = server.url.clone();
    drop(server);
    let server = start(dir.path(), &tap, &[]);
    let expected = csv_rows(&adql_query_csv(dir.path(), &tap, FEDERATED));
    for job in &jobs {
        let job = job.replace(&old, &server.url);
        let deadline = Instant::now() + Duration::from_secs(120);
        while !matches!(phase_of(&job).as_str(), "COMPLETED" | "ERROR" | "ABORTED") {
            assert!(Instant::now() < deadline, "{job} still {}", phase_of(&job));
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(phase_of(&job), "COMPLETED", "{}", curl(&[&job]).1);
        let (_, rows) = curl(&[&format!("{job}/results/result")]);
        assert_eq!(csv_rows(&rows), expected);
    }
    // UWS: the job list, a blocking wait, abort and delete.
    let (_, list) = curl(&[&format!("{}/async?PHASE=COMPLETED", server.url)]);
    assert_eq!(list.matches("<uws:jobref").count(), jobs.len(), "{list}");
    let pending = create_job(&server.url, &[], "SELECT 1 AS one");
    assert_eq!(phase_of(&pending), "PENDING");
    let started = Instant::now();
    let (_, doc) = curl(&[&format!("{pending}?WAIT=1")]);
    assert!(doc.contains("<uws:phase>PENDING</uws:phase>"), "{doc}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    curl(&["-d", "PHASE=ABORT", &format!("{pending}/phase")]);
    assert_eq!(phase_of(&pending), "ABORTED");
    let (status, _) = curl(&["-X", "DELETE", &pending]);
    assert_eq!(status, 303);
    assert_eq!(curl(&[&pending]).0, 404);
    // A destruction time is kept: the job goes when it passes.
    let soon = create_job(&server.url, &[], "SELECT 1 AS one");
    let (_, at) = curl(&[&format!("{soon}/destruction")]);
    let past = "DESTRUCTION=1970-01-01T00:00:00Z";
    curl(&["-d", past, &format!("{soon}/destruction")]);
    assert_ne!(curl(&[&format!("{soon}/destruction")]).1, at);
    let deadline = Instant::now() + Duration::from_secs(20);
    while curl(&[&soon]).0 != 404 {
        assert!(
            Instant::now() < deadline,
            "{soon} outlived its destruction time"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
