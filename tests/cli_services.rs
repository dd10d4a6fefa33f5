//! End-to-end tests of the service subcommands (`adql tap`, `tables`, `capabilities`, `cone`,
//! `sia`, `ssa`, `mashup`, `resolve`): the built binary is run and its stdout, stderr and exit
//! code are checked.
//!
//! TAP, VOSI and cone search run against the DaCHS server of `tests/dachs/setup.sh` (skipped with
//! a message when it is not running, a failure under `CI`). Mashup, the name resolver, SIA and
//! SSA run against a loopback server of this file that replays the recorded answers in
//! `../shared/fixtures` (skipped with a message when that folder is absent) and records what
//! the binary asked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::dachs;

/// What a run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    #[track_caller]
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs `adql ARGS` with no standard input and piped stdout/stderr (so never a terminal).
/// Proxy variables are cleared: every server here is on loopback.
fn adql(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_adql"))
        .args(args)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("MAST_API_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    Run::from_output(output)
}

/// `../shared/fixtures/<sub>/<name>`, found by walking up from this package; `None` (after
/// saying why the test skips) when there is no `shared/fixtures` above the checkout.
fn fixture(sub: &str, name: &str) -> Option<Vec<u8>> {
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = start
        .ancestors()
        .map(|dir| dir.join("shared").join("fixtures"))
        .find(|dir| dir.is_dir());
    match found {
        Some(dir) => Some(std::fs::read(dir.join(sub).join(name)).unwrap()),
        None => {
            eprintln!(
                "SKIP: no shared/fixtures above {} (the recorded service answers are not here)",
                start.display()
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A loopback HTTP server that answers from a closure and records every request.

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    /// Path and query string.
    target: String,
    body: Vec<u8>,
}

impl Request {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The decoded query-string parameters, in order.
    fn query(&self) -> Vec<(String, String)> {
        let q = self.target.split_once('?').map_or("", |(_, q)| q);
        form_decode(q.as_bytes())
    }

    /// The decoded `application/x-www-form-urlencoded` body.
    fn form(&self) -> Vec<(String, String)> {
        form_decode(&self.body)
    }
}

fn form_decode(bytes: &[u8]) -> Vec<(String, String)> {
    fn unescape(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(bytes)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

/// A response: status, extra headers, body.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn ok(content_type: &str, body: Vec<u8>) -> Self {
        Answer {
            status: 200,
            headers: vec![("Content-Type", content_type.to_owned())],
            body,
        }
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

struct Server {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// Starts the server on an ephemeral loopback port; it lives until the test process ends.
    fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = requests.clone();
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else { return };
                let (seen, handler) = (seen.clone(), handler.clone());
                std::thread::spawn(move || serve(sock, &seen, &*handler));
            }
        });
        Server { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(sock: TcpStream, seen: &Mutex<Vec<Request>>, handler: &Handler) {
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = Request {
        method,
        target,
        body,
    };
    seen.lock().unwrap().push(request.clone());
    let answer = handler(&request);
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut sock = sock;
    let _ = sock.write_all(head.as_bytes());
    let _ = sock.write_all(&answer.body);
}

/// The value of the first parameter `key`.
fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// TAP against DaCHS.

const TOP3: &str = "SELECT TOP 3 source_id, ra, dec FROM archive2.sources ORDER BY source_id";

/// The first three sources of `archive2.sources` by `source_id` (tests/data, generated).
const TOP3_CSV: &str = "source_id,ra,dec\n\
173997715098460,55.69745482,-89.91363505\n\
262783279047819,84.0401424,-89.92196296\n\
544258255764684,174.05237415,-89.92104366\n";

#[test]
fn tap_sync_csv() {
    let Some(url) = dachs::tap_url() else { return };
    let run = adql(&["tap", &url, TOP3, "--sync", "--format", "csv"]);
    run.assert_code(0);
    assert_eq!(run.stdout, TOP3_CSV);
    assert_eq!(run.stderr, "");
}

#[test]
fn tap_async_json_and_query_from_file() {
    let Some(url) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("q.adql");
    std::fs::write(
        &query,
        "SELECT TOP 2 source_id, ra\nFROM archive2.sources\nORDER BY source_id\n",
    )
    .unwrap();
    let run = adql(&[
        "tap",
        &url,
        "-f",
        query.to_str().unwrap(),
        "--async",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(
        run.stdout.trim_end(),
        r#"[{"source_id":173997715098460,"ra":55.69745482},{"source_id":262783279047819,"ra":84.0401424}]"#
    );
    // Piped stderr: no spinner, no escape codes, no carriage returns.
    assert_eq!(run.stderr, "", "stderr must stay empty when piped");
}

#[test]
fn tap_async_progress_never_reaches_piped_stderr() {
    let Some(url) = dachs::tap_url() else { return };
    // A job that runs for a moment, so that the spinner would have ticked several times.
    let run = adql(&[
        "tap",
        &url,
        "SELECT COUNT(*) AS n FROM archive2.sources AS a JOIN archive2.sources AS b ON a.source_id = b.source_id",
        "--async",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    assert_eq!(run.stdout, "n\n20000\n");
    assert!(
        !run.stderr.contains('\x1b') && !run.stderr.contains('\r'),
        "progress escape codes in piped stderr: {:?}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
}

/// On a terminal (a pseudo-terminal made by util-linux `script`) the spinner shows the job's
/// phases and is cleared before the command ends; the rows (here in a file) never carry it.
#[test]
fn tap_async_progress_on_a_terminal_is_cleared_and_stays_out_of_the_rows() {
    let Some(url) = dachs::tap_url() else { return };
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIP: `script` (util-linux) is not installed; no pseudo-terminal to test with");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.csv");
    let command = format!(
        "{} tap {url} --async 'SELECT TOP 2 source_id FROM archive2.sources ORDER BY source_id' --format csv -o {}",
        env!("CARGO_BIN_EXE_adql"),
        out.display()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains("job "),
        "no spinner on the terminal: {terminal:?}"
    );
    // The last thing drawn clears the line.
    assert!(
        terminal
            .trim_end_matches([' ', '\r', '\n'])
            .ends_with("\x1b[2K"),
        "{terminal:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "source_id\n173997715098460\n262783279047819\n"
    );
}

#[test]
fn tap_maxrec_overflow_exits_3_with_the_rows_and_a_message() {
    let Some(url) = dachs::tap_url() else { return };
    let q = "SELECT source_id FROM archive2.sources ORDER BY source_id";
    let run = adql(&["tap", &url, q, "--maxrec", "4", "--format", "csv"]);
    run.assert_code(3);
    assert_eq!(
        run.lines(),
        [
            "source_id",
            "173997715098460",
            "262783279047819",
            "544258255764684",
            "1183074511490876"
        ]
    );
    assert_eq!(
        run.stderr.trim_end(),
        "adql: warning: the service truncated the result at MAXREC=4; 4 rows were written"
    );
    // The same through an async job.
    let run = adql(&[
        "tap", &url, q, "--maxrec", "4", "--async", "--format", "csv",
    ]);
    run.assert_code(3);
    assert_eq!(run.lines().len(), 5);
    assert!(run.stderr.contains("MAXREC=4"), "{}", run.stderr);
}

#[test]
fn tap_votable_output_carries_overflow() {
    let Some(url) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.vot");
    let run = adql(&[
        "tap",
        &url,
        "SELECT source_id, ra FROM archive2.sources ORDER BY source_id",
        "--maxrec",
        "3",
        "--format",
        "votable",
        "-o",
        out.to_str().unwrap(),
    ]);
    run.assert_code(3);
    assert_eq!(run.stdout, "", "-o: nothing on stdout");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(r#"name="QUERY_STATUS" value="OVERFLOW""#),
        "{text}"
    );
    let doc = votable_arrow::read_votable(
        std::io::Cursor::new(text.as_bytes()),
        votable_arrow::ReaderOptions::default(),
    )
    .unwrap();
    assert_eq!(doc.tables.len(), 1);
    let t = &doc.tables[0];
    assert_eq!(t.num_rows(), 3);
    let names: Vec<&str> = t
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["source_id", "ra"]);
    let ra = t.schema.field_with_name("ra").unwrap();
    assert_eq!(ra.metadata().get("unit").map(String::as_str), Some("deg"));
}

/// The upload of tests/dachs/README.md: three positions. The expected counts (97, 30, 13) are
/// those of the same CONTAINS/CIRCLE query on each position alone, without an upload.
const UPLOAD_VOT: &str = r#"<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE>
<FIELD name="id" datatype="int"/><FIELD name="ra" datatype="double" unit="deg"/><FIELD name="dec" datatype="double" unit="deg"/>
<DATA><TABLEDATA>
<TR><TD>1</TD><TD>56.75</TD><TD>24.12</TD></TR>
<TR><TD>2</TD><TD>0.2</TD><TD>-30.0</TD></TR>
<TR><TD>3</TD><TD>10.0</TD><TD>89.5</TD></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>
"#;

const UPLOAD_QUERY: &str = "SELECT u.id, COUNT(*) AS n FROM TAP_UPLOAD.t1 AS u \
JOIN archive2.sources AS s ON 1=CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', u.ra, u.dec, 0.1)) \
GROUP BY u.id ORDER BY u.id";

#[test]
fn tap_upload_votable_and_csv() {
    let Some(url) = dachs::tap_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let vot = dir.path().join("targets.vot");
    std::fs::write(&vot, UPLOAD_VOT).unwrap();
    let csv = dir.path().join("targets.csv");
    std::fs::write(&csv, "id,ra,dec\n1,56.75,24.12\n2,0.2,-30.0\n3,10.0,89.5\n").unwrap();
    for (file, mode) in [(&vot, "--sync"), (&csv, "--sync"), (&vot, "--async")] {
        let spec = format!("t1={}", file.display());
        let run = adql(&[
            "tap",
            &url,
            UPLOAD_QUERY,
            mode,
            "--upload",
            &spec,
            "--format",
            "csv",
        ]);
        run.assert_code(0);
        assert_eq!(run.stdout, "id,n\n1,97\n2,30\n3,13\n", "{spec} {mode}");
    }
    // A missing upload file is a usage error naming the file; nothing is sent.
    let run = adql(&[
        "tap",
        &url,
        UPLOAD_QUERY,
        "--upload",
        "t1=/nonexistent/t.vot",
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("/nonexistent/t.vot"), "{}", run.stderr);
}

#[test]
fn tap_adql_error_is_the_services_message() {
    let Some(url) = dachs::tap_url() else { return };
    let run = adql(&[
        "tap",
        &url,
        "SELECT nosuchcol FROM archive2.sources",
        "--sync",
    ]);
    // The service refused the query: the query is wrong (1), not the network (4).
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("nosuchcol"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&url),
        "the URL is named: {}",
        run.stderr
    );
    // The same error from an async job (phase ERROR).
    let run = adql(&[
        "tap",
        &url,
        "SELECT nosuchcol FROM archive2.sources",
        "--async",
    ]);
    run.assert_code(1);
    assert!(run.stderr.contains("nosuchcol"), "{}", run.stderr);
}

#[test]
fn tables_lists_tables_and_columns() {
    let Some(url) = dachs::tap_url() else { return };
    let run = adql(&["tables", &url, "--format", "csv"]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines[0], "table,rows,description");
    let names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    for t in [
        "archive1.obscore",
        "archive2.sources",
        "adqltest.nums",
        "adqltest.stars",
    ] {
        assert!(names.contains(&t), "{t} missing from {names:?}");
    }
    assert!(
        run.stdout.contains(
            "adqltest.nums,,\"Numbers for arithmetic, MOD, ROUND, TRUNCATE, math functions.\"\n"
        ),
        "{}",
        run.stdout
    );
    // For people: an aligned table, an unknown row count shown as NULL (it was an empty column).
    let run = adql(&["tables", &url]);
    run.assert_code(0);
    assert!(run.stdout.starts_with("+-"), "{}", run.stdout);
    let nums = run
        .lines()
        .into_iter()
        .find(|l| l.starts_with("| adqltest.nums "))
        .unwrap()
        .to_owned();
    assert!(nums.contains(" NULL | Numbers for arithmetic"), "{nums}");

    let run = adql(&[
        "tables",
        &url,
        "--table",
        "adqltest.nums",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(
        lines[0],
        "column,datatype,arraysize,xtype,unit,ucd,description"
    );
    assert_eq!(lines[1], "id,int,,,,meta.id;meta.main,Row id");
    assert_eq!(
        lines[4],
        "x,double,,,,,\"doubles of both signs, in [-10, 123.456]\""
    );

    let run = adql(&[
        "tables",
        &url,
        "--table",
        "archive2.sources",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let ra = run
        .lines()
        .into_iter()
        .find(|l| l.starts_with("ra,"))
        .unwrap()
        .to_owned();
    let cells: Vec<&str> = ra.split(',').collect();
    assert_eq!(cells[1], "double");
    assert_eq!(cells[4], "deg");
    assert!(cells[5].starts_with("pos.eq.ra"), "{ra}");

    let run = adql(&["tables", &url, "--table", "nosuch.table"]);
    run.assert_code(2);
    assert!(run.stderr.contains("nosuch.table"), "{}", run.stderr);
}

#[test]
fn capabilities_summarises_taprexext() {
    let Some(url) = dachs::tap_url() else { return };
    let run = adql(&["capabilities", &url]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines[0], "language: ADQL 2.0, 2.1");
    for expected in [
        "  features-adql-sets: UNION EXCEPT INTERSECT",
        "  features-adql-offset: OFFSET",
        "    ivo_healpix_index(order INTEGER, ra DOUBLE PRECISION, dec DOUBLE PRECISION) -> BIGINT",
        "upload methods: upload-inline, upload-http, upload-https, upload-ftp",
        "output limit: default 100000 rows, hard 5000000 rows",
        "upload limit: default -, hard 100000000 bytes",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} missing:\n{}",
            run.stdout
        );
    }
}

#[test]
fn cone_search_against_dachs() {
    let Some(scs) = dachs::scs_url() else { return };
    let run = adql(&[
        "cone", &scs, "56.75", "24.12", "0.05", "--verb", "1", "--format", "csv",
    ]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines[0], "_r,source_id,ra,dec");
    // 45 sources, as the equivalent ADQL CONTAINS/CIRCLE query finds (tests/dachs/README.md).
    assert_eq!(lines.len(), 1 + 45);
    for l in &lines[1..] {
        let r: f64 = l.split(',').next().unwrap().parse().unwrap();
        assert!((0.0..=0.05).contains(&r), "{l}");
    }
    // VERB=3 gives every column.
    let run = adql(&[
        "cone", &scs, "56.75", "24.12", "0.01", "--verb", "3", "--format", "csv",
    ]);
    run.assert_code(0);
    let header = run.lines()[0].to_owned();
    for c in ["source_id", "phot_g_mean_mag", "ref_epoch", "obs_time"] {
        assert!(header.split(',').any(|h| h == c), "{c} not in {header}");
    }
    // Bad input never reaches the service.
    let run = adql(&["cone", &scs, "400", "0", "0.1"]);
    run.assert_code(2);
    assert!(run.stderr.contains("RA 400"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Remote failures.

#[test]
fn unreachable_service_exits_4_naming_the_url() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/tap");
    let run = adql(&["tap", &url, "SELECT 1", "--sync"]);
    run.assert_code(4);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("adql: "), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{url}/sync")),
        "{}",
        run.stderr
    );
    let run = adql(&[
        "cone",
        &format!("http://127.0.0.1:{port}/scs"),
        "1",
        "2",
        "0.1",
    ]);
    run.assert_code(4);
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}/scs")),
        "{}",
        run.stderr
    );
}

#[test]
fn http_500_exits_4_after_retries_naming_the_service_and_url() {
    let server = Server::start(|_| Answer {
        status: 500,
        // Retry at once: the retries are counted, not waited for.
        headers: vec![
            ("Content-Type", "text/plain".to_owned()),
            ("Retry-After", "0".to_owned()),
        ],
        body: b"database on fire".to_vec(),
    });
    let url = server.url("/tap");
    let run = adql(&["tap", &url, "SELECT 1", "--sync"]);
    run.assert_code(4);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("TAP"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{url}/sync")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("500"), "{}", run.stderr);
    assert!(run.stderr.contains("database on fire"), "{}", run.stderr);
    // The first attempt and four retries.
    assert_eq!(server.requests().len(), 5);

    let sia = server.url("/sia2/query");
    let run = adql(&["sia", &sia, "--circle", "1,2,0.1"]);
    run.assert_code(4);
    assert!(run.stderr.contains("SIA"), "{}", run.stderr);
    assert!(run.stderr.contains(&sia), "{}", run.stderr);
}

#[test]
fn truncated_votable_is_an_error_not_a_short_table() {
    let Some(body) = fixture("pyvo", "dal_ssa_result.xml") else {
        return;
    };
    let cut = body[..body.len() * 2 / 3].to_vec();
    let server = Server::start(move |_| Answer::ok("application/x-votable+xml", cut.clone()));
    let url = server.url("/ssa");
    let run = adql(&["ssa", &url, "--pos", "180,1", "--format", "csv"]);
    run.assert_code(4);
    assert!(run.stderr.contains("SSA"), "{}", run.stderr);
    assert!(run.stderr.contains(&url), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// SIA and SSA against recorded answers.

#[test]
fn sia_sends_the_parameters_and_reads_the_answer() {
    let Some(body) = fixture("pyvo", "dal_sia2_dataset.xml") else {
        return;
    };
    let server = Server::start(move |_| Answer::ok("application/x-votable+xml", body.clone()));
    let url = server.url("/sia2/query");
    let run = adql(&[
        "sia",
        &url,
        "--circle",
        "10.68,41.27,0.1",
        "--circle",
        "-0.5,-2,1",
        "--band",
        "4e-7..7e-7",
        "--time",
        "55000..",
        "--dptype",
        "image",
        "--collection",
        "HST",
        "--maxrec",
        "10",
        "--param",
        "CALIB=3",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path(), "/sia2/query");
    assert_eq!(
        reqs[0].query(),
        [
            ("POS", "CIRCLE 10.68 41.27 0.1"),
            ("POS", "CIRCLE -0.5 -2 1"),
            ("BAND", "0.0000004 0.0000007"),
            ("TIME", "55000 +Inf"),
            ("COLLECTION", "HST"),
            ("DPTYPE", "image"),
            ("MAXREC", "10"),
            ("CALIB", "3"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let lines = run.lines();
    assert_eq!(lines.len(), 2, "one row:\n{}", run.stdout);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(
        header[..3],
        ["calib_level", "obs_publisher_did", "obs_collection"]
    );
    let row: Vec<&str> = lines[1].split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    let expected = fixture_cell(
        &String::from_utf8(fixture("pyvo", "dal_sia2_dataset.xml").unwrap()).unwrap(),
        &header,
        "calib_level",
    );
    assert_eq!(col("calib_level"), expected);

    // A bad interval is a usage error, and nothing is sent.
    let run = adql(&["sia", &url, "--band", "7..4"]);
    run.assert_code(2);
    assert_eq!(server.requests().len(), 1);
}

/// The TD of column `name` in the first TR of a TABLEDATA document whose FIELDs are `header`.
fn fixture_cell(doc: &str, header: &[&str], name: &str) -> String {
    let i = header.iter().position(|h| *h == name).unwrap();
    let tr = &doc[doc.find("<TR>").unwrap()..];
    let tds: Vec<&str> = tr
        .split("<TD")
        .skip(1)
        .map(|td| {
            let td = &td[td.find('>').unwrap() + 1..];
            &td[..td.find("</TD>").unwrap_or(0)]
        })
        .collect();
    tds[i].trim().to_owned()
}

#[test]
fn ssa_sends_the_parameters_and_reads_the_answer() {
    let Some(body) = fixture("pyvo", "dal_ssa_result.xml") else {
        return;
    };
    let text = String::from_utf8(body.clone()).unwrap();
    let rows = text.matches("<TR>").count();
    let server = Server::start(move |_| Answer::ok("text/xml", body.clone()));
    let url = server.url("/ssap?collection=sdss&");
    let run = adql(&[
        "ssa",
        &url,
        "--pos",
        "180.0,1.0",
        "--size",
        "0.2",
        "--band",
        "1e-7/1e-6",
        "--time",
        "2000-01-01/",
        "--ssa-format",
        "votable",
        "--maxrec",
        "100",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].query(),
        [
            ("collection", "sdss"),
            ("REQUEST", "queryData"),
            ("POS", "180,1"),
            ("SIZE", "0.2"),
            ("BAND", "0.0000001/0.000001"),
            ("TIME", "2000-01-01/"),
            ("FORMAT", "votable"),
            ("MAXREC", "100"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    let lines = run.lines();
    assert_eq!(lines.len(), 1 + rows, "{}", run.stdout);
    assert!(
        lines[0].starts_with("Score,AcRef,Format,DataModel"),
        "{}",
        lines[0]
    );
    // Every row's access reference is the fixture's, in order.
    let acrefs: Vec<&str> = text
        .split("<TR>")
        .skip(1)
        .map(|tr| {
            let td = tr.split("<TD>").nth(2).unwrap();
            &td[..td.find("</TD>").unwrap()]
        })
        .collect();
    assert_eq!(acrefs.len(), rows);
    for (line, acref) in lines[1..].iter().zip(&acrefs) {
        let unescaped = acref.replace("&amp;", "&");
        assert!(line.contains(&unescaped), "{line} lacks {unescaped}");
    }
}

// ---------------------------------------------------------------------------------------------
// MAST Mashup and the name resolver against recorded answers.

fn mashup_request(r: &Request) -> String {
    param(&r.form(), "request").unwrap().to_owned()
}

#[test]
fn mashup_cone_replays_caom() {
    let Some(body) = fixture("astroquery_mast", "caom.json") else {
        return;
    };
    let server = Server::start(move |_| Answer::ok("application/json", body.clone()));
    let url = server.url("/api/v0/invoke");
    let run = adql(&[
        "mashup",
        "Mast.Caom.Cone",
        "--position",
        "254.28746,-4.09933,0.2",
        "--url",
        &url,
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), 1 + 19, "{}", run.stdout);
    assert!(
        lines[0].starts_with("dataproduct_type,obs_collection,instrument_name,"),
        "{}",
        lines[0]
    );
    assert!(!lines[0].contains("_selected_"));
    assert!(
        lines[1].starts_with("image,HST,WFPC2/WFC,HST,F814W,OPTICAL,LO-LAT,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with(",2003585980,2012765872,293.0973439304444"),
        "{}",
        lines[1]
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    let req = mashup_request(&reqs[0]);
    assert!(req.contains(r#""service":"Mast.Caom.Cone""#), "{req}");
    assert!(
        req.contains(r#""params":{"dec":-4.09933,"ra":254.28746,"radius":0.2}"#),
        "{req}"
    );
}

#[test]
fn mashup_filtered_position_pages_and_params() {
    let Some(body) = fixture("astroquery_mast", "advSearchPos.json") else {
        return;
    };
    // Serve the 12 recorded rows as three pages of at most 5.
    let text = String::from_utf8(body).unwrap();
    let server = Server::start(move |r| {
        let req = mashup_request(r);
        let page: usize = req
            .split(r#""page":"#)
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        Answer::ok("application/json", page_of(&text, page, 5).into_bytes())
    });
    let url = server.url("/api/v0/invoke");
    let run = adql(&[
        "mashup",
        "Mast.Caom.Filtered.Position",
        "--filter",
        "filters=NUV,FUV",
        "--filter",
        "t_max=52264.4586..54452.8914",
        "--filter",
        "obsid=%200%",
        "--position",
        "210.8023,54.349,0.24",
        "--param",
        "columns=obsid,filters",
        "--pagesize",
        "5",
        "--url",
        &url,
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    assert_eq!(run.lines().len(), 1 + 12, "{}", run.stdout);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "three pages");
    let first = mashup_request(&reqs[0]);
    for part in [
        r#""service":"Mast.Caom.Filtered.Position""#,
        r#""pagesize":5"#,
        r#""page":1"#,
        r#""columns":"obsid,filters""#,
        r#"{"paramName":"filters","values":["NUV","FUV"]}"#,
        r#"{"paramName":"t_max","values":[{"max":54452.8914,"min":52264.4586}]}"#,
        r#"{"freeText":"%200%","paramName":"obsid","values":[]}"#,
        r#""position":"210.8023, 54.349, 0.24""#,
    ] {
        assert!(first.contains(part), "{part} not in {first}");
    }
    assert!(mashup_request(&reqs[2]).contains(r#""page":3"#));
}

/// The recorded answer `doc` cut to page `page` of `size` rows, with matching `paging`.
/// Written by hand so that this test needs no JSON crate: the `data` array is split at its
/// row objects' top-level braces.
fn page_of(doc: &str, page: usize, size: usize) -> String {
    let start = doc.find(r#""data""#).unwrap();
    let open = start + doc[start..].find('[').unwrap();
    // Find the matching `]` and the row objects in between.
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    let mut rows = Vec::new();
    let mut row_start = 0;
    let mut close = 0;
    for (i, c) in doc[open..].char_indices() {
        let i = open + i;
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' => {
                depth += 1;
                if depth == 2 && c == '{' {
                    row_start = i;
                }
            }
            ']' | '}' => {
                depth -= 1;
                if depth == 1 && c == '}' {
                    rows.push(&doc[row_start..=i]);
                }
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let total = rows.len();
    let pages = total.div_ceil(size);
    let chunk: Vec<&str> = rows
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .copied()
        .collect();
    let paging = format!(
        r#""paging": {{"page": {page}, "pageSize": {size}, "pagesFiltered": {pages}, "rows": {}, "rowsFiltered": {total}, "rowsTotal": {total}}}"#,
        chunk.len()
    );
    // Drop any recorded `paging` object, then add ours.
    let mut out = format!("{}[{}]{}", &doc[..open], chunk.join(","), &doc[close + 1..]);
    if let Some(p) = out.find(r#""paging""#) {
        let end = p + out[p..].find('}').unwrap() + 1;
        out.replace_range(p..end, &paging);
    } else {
        let brace = out.rfind('}').unwrap();
        out.insert_str(brace, &format!(", {paging}"));
    }
    out
}

#[test]
fn mashup_error_status_exits_4_with_the_message() {
    let server = Server::start(|_| {
        Answer::ok(
            "application/json",
            br#"{"status": "ERROR", "msg": "Must be logged in as an authorized user to access this service."}"#.to_vec(),
        )
    });
    let url = server.url("/api/v0/invoke");
    let run = adql(&["mashup", "Mast.Jwst.Filtered.Nirspec", "--url", &url]);
    run.assert_code(4);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("Must be logged in as an authorized user to access this service."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Mast.Jwst.Filtered.Nirspec"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&url), "{}", run.stderr);
    // Bad filters and positions are usage errors.
    let run = adql(&[
        "mashup",
        "Mast.Caom.Cone",
        "--position",
        "1,2",
        "--url",
        &url,
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("RA,DEC,R"), "{}", run.stderr);
}

#[test]
fn resolve_replays_the_resolver() {
    let Some(body) = fixture("astroquery_mast", "resolver.json") else {
        return;
    };
    let server = Server::start(move |_| Answer::ok("application/json", body.clone()));
    let url = server.url("/api/v0/invoke");
    let run = adql(&["resolve", "TIC 307210830", "--url", &url]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(
        lines[0],
        "TIC\tTIC 307210830\t124.531756290083\t-68.3129998725044\t"
    );
    assert_eq!(
        lines[1],
        "SIMBAD\tL   98-59\t124.5317560026638\t-68.3130014904408\tHighPM*"
    );
    let req = mashup_request(&server.requests()[0]);
    assert!(req.contains(r#""service":"Mast.Name.Lookup""#), "{req}");
    assert!(
        req.contains(r#""params":{"format":"json","input":"TIC 307210830"}"#),
        "{req}"
    );

    // Nobody knows the name: exit 1, a message, nothing on stdout.
    let server = Server::start(|_| {
        Answer::ok(
            "application/json",
            br#"{"status": "", "resolvedCoordinate": []}"#.to_vec(),
        )
    });
    let run = adql(&[
        "resolve",
        "no such thing",
        "--url",
        &server.url("/api/v0/invoke"),
    ]);
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no such thing"), "{}", run.stderr);
}

#[test]
fn verbose_shows_each_request_and_the_adql_sent() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let query = "SELECT TOP 2 source_id FROM archive2.sources ORDER BY source_id";
    let quiet = adql(&["tap", &tap, query, "--format", "csv"]);
    quiet.assert_code(0);
    assert_eq!(quiet.stderr, "", "nothing on stderr without -v");
    let run = adql(&["-v", "tap", &tap, query, "--format", "csv"]);
    run.assert_code(0);
    assert_eq!(run.stdout, quiet.stdout);
    assert!(
        run.stderr
            .contains(&format!("TAP: sync query to {tap}: {query}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("TAP: POST {tap}/sync -> HTTP 200 (")),
        "{}",
        run.stderr
    );
    let run = adql(&["-v", "tap", "--async", &tap, query, "--format", "csv"]);
    run.assert_code(0);
    for said in ["created", " COMPLETED", "DELETE "] {
        assert!(run.stderr.contains(said), "{said}: {}", run.stderr);
    }
}

#[test]
fn tap_checks_the_query_first_and_sends_it_unless_strict() {
    // --strict stops before any request: the URL is unreachable, yet the exit status is 1, not 4.
    let run = adql(&[
        "tap",
        "--strict",
        "http://127.0.0.1:1/tap",
        "SELECT TOP 1 *, ra FROM t",
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.starts_with("adql: error: expected `FROM`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(" --> <query>:1:15"), "{}", run.stderr);
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    // Without it the diagnostic is a warning and the query goes out; DaCHS refuses it too, and a
    // service's refusal is exit status 1.
    let run = adql(&["tap", &tap, "SELECT TOP 1 *, ra FROM archive2.sources"]);
    run.assert_code(1);
    assert!(
        run.stderr.starts_with("adql: warning: expected `FROM`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("sent as written"), "{}", run.stderr);
    assert!(run.stderr.contains("adql: error: TAP: "), "{}", run.stderr);
    let run = adql(&["tap", &tap, "SELECT nope FROM archive2.sources"]);
    run.assert_code(1);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
}

#[test]
fn positions_are_checked_first_and_names_resolved() {
    // Out of range: refused before anything is sent (the URLs are unreachable: exit 2, not 4).
    for args in [
        &["cone", "http://127.0.0.1:1/scs", "10", "95", "1"][..],
        &["cone", "http://127.0.0.1:1/scs", "10", "20", "0"][..],
        &["sia", "http://127.0.0.1:1/sia", "--circle", "10,95,1"][..],
        &[
            "sia",
            "http://127.0.0.1:1/sia",
            "--circle",
            "25:00:00,+10:00:00,1",
        ][..],
    ] {
        let run = adql(args);
        run.assert_code(2);
        assert!(run.stderr.starts_with("adql: error: "), "{}", run.stderr);
    }
    // A name goes to the resolver, then the cone is searched at its position.
    let Some(body) = fixture("astroquery_mast", "resolver.json") else {
        return;
    };
    let resolver = Server::start(move |_| Answer::ok("application/json", body.clone()));
    let cone = Server::start(|_| Answer::ok("text/xml", EMPTY_VOTABLE.to_vec()));
    let run = adql(&[
        "cone",
        &cone.url("/scs"),
        "TIC 307210830",
        "0.01",
        "--resolver",
        &resolver.url("/api/v0/invoke"),
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let asked = &cone.requests()[0];
    let params = asked.query();
    let value = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        value("RA").as_deref(),
        Some("124.531756290083"),
        "{params:?}"
    );
    assert_eq!(
        value("DEC").as_deref(),
        Some("-68.3129998725044"),
        "{params:?}"
    );
    // Sexagesimal, with a negative declination that is not a flag.
    let cone = Server::start(|_| Answer::ok("text/xml", EMPTY_VOTABLE.to_vec()));
    let run = adql(&[
        "cone",
        &cone.url("/scs"),
        "08:18:07.62",
        "-68:18:46.8",
        "0.01",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let params = cone.requests()[0].query();
    let value = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let ra: f64 = value("RA").unwrap().parse().unwrap();
    let dec: f64 = value("DEC").unwrap().parse().unwrap();
    assert!(
        (ra - 124.53175).abs() < 1e-6 && (dec + 68.313).abs() < 1e-6,
        "{ra} {dec}"
    );
}

/// A cone search answer with no rows.
const EMPTY_VOTABLE: &[u8] = br#"<?xml version="1.0"?>
<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE type="results"><TABLE>
<FIELD name="id" datatype="long" ucd="ID_MAIN"/><FIELD name="ra" datatype="double" ucd="POS_EQ_RA_MAIN"/>
<FIELD name="dec" datatype="double" ucd="POS_EQ_DEC_MAIN"/><DATA><TABLEDATA></TABLEDATA></DATA></TABLE>
</RESOURCE></VOTABLE>"#;

#[test]
fn a_kept_job_is_listed_read_again_and_deleted() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let query = "SELECT TOP 2 source_id FROM archive2.sources ORDER BY source_id";
    let run = adql(&["tap", "--async", "--keep", &tap, query, "--format", "csv"]);
    run.assert_code(0);
    // The job's URL is said (always with --keep, on a terminal otherwise).
    let url = run
        .stderr
        .strip_prefix("adql: job ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job URL in {}", run.stderr))
        .to_owned();
    let id = url.rsplit('/').next().unwrap().to_owned();
    let list = adql(&["jobs", "list", &tap, "--format", "csv"]);
    list.assert_code(0);
    assert!(
        list.stdout.contains(&format!("{id},COMPLETED,")),
        "{}",
        list.stdout
    );
    let show = adql(&["jobs", "show", &tap, &url, "--format", "csv"]);
    show.assert_code(0);
    assert!(show.stdout.contains("phase,COMPLETED\n"), "{}", show.stdout);
    // Read again, by id: the same rows.
    let again = adql(&["jobs", "results", &tap, &id, "--format", "csv"]);
    again.assert_code(0);
    assert_eq!(again.stdout, run.stdout);
    let delete = adql(&["jobs", "delete", &tap, &id]);
    delete.assert_code(0);
    let list = adql(&["jobs", "list", &tap, "--format", "csv"]);
    assert!(!list.stdout.contains(&format!("{id},")), "{}", list.stdout);
    // Without --keep the job is deleted after its result was read.
    let run = adql(&["tap", "--async", &tap, query, "--format", "csv"]);
    run.assert_code(0);
    assert_eq!(run.stderr, "", "nothing said when stderr is not a terminal");
}

#[test]
fn mast_rows_list_their_products_through_the_mashup_api() {
    let Some(body) = fixture("astroquery_mast", "products.json") else {
        return;
    };
    let server = Server::start(move |_| Answer::ok("application/json", body.clone()));
    let url = server.url("/api/v0/invoke");
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("obs.csv");
    std::fs::write(&rows, "obsid,obs_collection\n2003738726,HST\n").unwrap();
    let rows = rows.display().to_string();
    let run = adql(&[
        "products",
        "--from",
        &rows,
        "--mast-url",
        &url,
        "--product-type",
        "SCIENCE",
        "--format",
        "csv",
    ]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), 1 + 7, "{}", run.stdout);
    assert!(
        lines[1].starts_with("HST,U9O40504M,#this,http://127.0.0.1:"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("/api/v0.1/Download/file?uri=mast%3AHST%2Fproduct%2F"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "one batch of observations");
    let req = mashup_request(&reqs[0]);
    assert!(req.contains(r#""service":"Mast.Caom.Products""#), "{req}");
    assert!(req.contains(r#""obsid":"2003738726""#), "{req}");

    // The dry run lays the files out by collection and observation.
    let run = adql(&[
        "download",
        "--from",
        &rows,
        "--mast-url",
        &url,
        "--dry-run",
        "-o",
        "d",
    ]);
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines.len(), 22, "{}", run.stdout);
    assert!(
        lines[0].ends_with("\td/HST/U9O40504M/u9o40504m_c3m.fits"),
        "{}",
        lines[0]
    );
}

#[test]
fn survey_resolves_a_name_and_counts_mast_observations() {
    let (Some(resolver), Some(observations)) = (
        fixture("astroquery_mast", "resolver.json"),
        fixture("astroquery_mast", "advSearchPos.json"),
    ) else {
        return;
    };
    // One replayed MAST: the name resolver and the CAOM cone, told apart by the Mashup service asked.
    let server = Server::start(move |r| {
        if mashup_request(r).contains(r#""service":"Mast.Name.Lookup""#) {
            Answer::ok("application/json", resolver.clone())
        } else {
            Answer::ok("application/json", observations.clone())
        }
    });
    let url = server.url("/api/v0/invoke");
    let config = std::env::temp_dir().join(format!("adql-survey-{}.toml", std::process::id()));
    std::fs::write(
        &config,
        format!("[services.mast_replay]\nurl = \"{url}\"\nkind = \"mashup\"\n"),
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let run = adql(&[
        "survey",
        "--no-user-config",
        "--config",
        &config_arg,
        "--only",
        "mast_replay",
        "--resolver",
        &url,
        "--format",
        "csv",
        "TIC 307210830",
        "0.05",
    ]);
    std::fs::remove_file(&config).ok();
    run.assert_code(0);
    let lines = run.lines();
    assert_eq!(lines[0], "service,kind,resource,rows,exact,access,error");
    assert!(
        lines[1].starts_with("mast_replay,mashup,caom.observations,12,true,"),
        "{}",
        run.stdout
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "the resolver, then one page of one row");
    let cone = mashup_request(&reqs[1]);
    assert!(
        cone.contains(r#""position":"124.531756290083, -68.3129998725044, 0.05""#),
        "{cone}"
    );
    assert!(cone.contains(r#""pagesize":1"#), "{cone}");
}
