//! The interactive shell in a pseudo-terminal, driven the way a person types: multi-line statements,
//! completion, backslash commands, history kept across sessions, Ctrl-C at the prompt, and (against the
//! DaCHS server of `tests/dachs/setup.sh`) Ctrl-C during a query, which deletes the query's async job and
//! comes back to the prompt. Also the shell reading a script from a pipe.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use crate::support;

use std::path::Path;
use std::process::Command;

use rexpect::session::PtySession;
use support::cli::{adql, stars, stdout, with_input};
use support::dachs;

/// `adql ARGS` in a pseudo-terminal, with its data, cache and configuration directories in `home`.
fn spawn(home: &Path, args: &[&str]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adql"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("TERM", "xterm")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy");
    let options = rexpect::reader::Options::new()
        .timeout_ms(Some(30_000))
        .strip_ansi_escape_codes(true);
    rexpect::spawn_with_options(command, options).unwrap()
}

/// The one value of a one-row, one-column CSV result of `adql query`.
fn value(query: &str) -> String {
    let out = stdout(&adql(&["query", "-t", &stars(), "--format", "csv", query]));
    out.lines().nth(1).unwrap().to_owned()
}

#[test]
fn the_shell_runs_statements_completes_names_and_remembers_them() {
    let home = tempfile::tempdir().unwrap();
    let moving = value("SELECT COUNT(*) AS n FROM stars WHERE pmra > 0");
    let mut shell = spawn(home.path(), &["shell", "-t", &stars()]);
    shell.exp_string("adql> ").unwrap();

    // A local table's name completes too.
    shell
        .send("SELECT MAX(star_id) AS top_id FROM sta")
        .unwrap();
    shell.send("\t").unwrap();
    shell.flush().unwrap();
    shell.exp_string("FROM stars").unwrap();
    shell.send_line(";").unwrap();
    shell.exp_string("2000").unwrap();
    shell.exp_string("adql> ").unwrap();

    // Backslash commands.
    shell.send_line("\\d").unwrap();
    shell.exp_string("local table").unwrap();
    shell.exp_string("adql> ").unwrap();
    shell.send_line("\\d stars").unwrap();
    shell.exp_string("pos.parallax.trig").unwrap();
    shell.exp_string("mas/yr").unwrap();
    shell.send_line("\\format csv").unwrap();
    shell.exp_string("format is csv").unwrap();
    shell.send_line("\\timing on").unwrap();
    shell.exp_string("timing is on").unwrap();
    shell
        .send_line("SELECT star_id FROM stars WHERE star_id = 7;")
        .unwrap();
    shell.exp_string("star_id").unwrap();
    shell.exp_string("time: ").unwrap();
    shell.send_line("\\nonsense").unwrap();
    shell
        .exp_string("unknown shell command \\nonsense")
        .unwrap();

    // An error is shown and the session goes on.
    shell.send_line("SELECT nope FROM stars;").unwrap();
    shell.exp_string("column 'nope' not found").unwrap();

    // Ctrl-C at the prompt drops the statement being typed.
    shell.send_line("SELECT 1 AS forgotten").unwrap();
    shell.exp_string("  ... ").unwrap();
    shell.send_control('c').unwrap();
    shell.exp_string("adql> ").unwrap();

    // A statement over two lines; the second line's column is completed from the alias of the first.
    shell
        .send_line("SELECT COUNT(*) AS moving FROM stars AS s")
        .unwrap();
    shell.exp_string("  ... ").unwrap();
    shell.send("WHERE s.pmr").unwrap();
    shell.send("\t").unwrap();
    shell.flush().unwrap();
    shell.exp_string("s.pmra").unwrap();
    shell.send_line(" > 0;").unwrap();
    shell.exp_string(&moving).unwrap();
    shell.exp_string("adql> ").unwrap();

    shell.send_line("\\q").unwrap();
    shell.exp_eof().unwrap();

    // The statements were kept, whole, in the platform's data directory...
    let history = std::fs::read_to_string(home.path().join("data/adql/history")).unwrap();
    assert!(history.contains("WHERE s.pmra > 0;"), "{history}");
    assert!(!history.contains("forgotten"), "{history}");

    // ... and the next session recalls them: the second entry up is the two-line statement.
    let mut shell = spawn(home.path(), &["shell", "-t", &stars()]);
    shell.exp_string("adql> ").unwrap();
    shell.send("\x1b[A\x1b[A").unwrap();
    shell.flush().unwrap();
    shell.exp_string("WHERE s.pmra > 0;").unwrap();
    shell.send("\r").unwrap();
    shell.flush().unwrap();
    shell.exp_string(&moving).unwrap();
    shell.exp_string("adql> ").unwrap();
    shell.send_control('d').unwrap();
    shell.exp_eof().unwrap();
}

#[test]
fn adql_alone_on_a_terminal_starts_the_shell_and_in_a_pipe_asks_for_a_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let mut shell = spawn(home.path(), &[]);
    shell.exp_string("\\? for help").unwrap();
    shell.exp_string("adql> ").unwrap();
    shell.send_line("\\q").unwrap();
    shell.exp_eof().unwrap();

    let out = adql(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no subcommand given"));
}

#[test]
fn a_script_runs_statement_by_statement_and_stops_at_the_first_failure() {
    let run = |script: &str| {
        with_input(
            Command::new(env!("CARGO_BIN_EXE_adql"))
                .args(["shell", "-t", &stars(), "--format", "csv"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .env(
                    "XDG_DATA_HOME",
                    std::env::temp_dir().join("adql-shell-test-data"),
                ),
            script,
        )
    };
    let out = run(
        "SELECT COUNT(*) AS n\nFROM stars; SELECT 'a;b' AS s FROM stars WHERE star_id = 1;\n-- last one without ;\nSELECT 2 AS two FROM stars WHERE star_id = 1",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "n\n2000\ns\na;b\ntwo\n2\n"
    );

    let out = run(
        "SELECT 1 AS one FROM stars WHERE star_id = 1;\nSELECT nope FROM stars;\nSELECT 3 AS three FROM stars;\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "one\n1\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("column 'nope' not found"), "{stderr}");
    assert!(stderr.contains("--> <shell>:1:8"), "{stderr}");
}

/// A query DaCHS needs hours for: 20,000 × 20,000 × 1000 triples.
const SLOW: &str = "SELECT COUNT(*) AS n_shell FROM d.archive2.sources AS a, d.archive2.sources AS b, \
                    d.archive1.obscore AS c WHERE a.ra + b.ra + c.s_ra > 10000;";

#[test]
fn ctrl_c_stops_the_query_deletes_its_job_and_returns_to_the_prompt() {
    let Some(tap) = dachs::tap_url() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("services.toml");
    std::fs::write(
        &config,
        format!("[services.d]\nurl = \"{tap}\"\nmode = \"async\"\n"),
    )
    .unwrap();
    let config = config.display().to_string();
    let mut shell = spawn(
        home.path(),
        &["shell", "--no-user-config", "--config", &config],
    );
    shell.exp_string("adql> ").unwrap();
    let before = dachs::job_ids(&tap);
    shell.send_line(SLOW).unwrap();
    let ours = dachs::wait_for_new_executing_job(&tap, &before, "n_shell");
    shell.send_control('c').unwrap();
    shell.exp_string("adql: interrupted").unwrap();
    shell.exp_string("adql> ").unwrap();
    dachs::assert_job_stopped(&tap, &ours, "the shell");
    // The session goes on: the service is described (types, units, UCDs), and its tables complete.
    shell.send_line("\\d d.archive2.sources").unwrap();
    shell.exp_string("pos.eq.ra;meta.main").unwrap();
    shell.exp_string("adql> ").unwrap();
    shell
        .send("SELECT COUNT(*) AS obs FROM d.archive1.obsc")
        .unwrap();
    shell.send("\t").unwrap();
    shell.flush().unwrap();
    shell.exp_string("d.archive1.obscore").unwrap();
    shell.send_line(";").unwrap();
    shell.exp_string("1000").unwrap();
    shell.exp_string("adql> ").unwrap();
    shell.send_line("\\d").unwrap();
    shell.exp_string("http://").unwrap();
    shell.exp_string("adql> ").unwrap();
    shell.send_line("\\q").unwrap();
    shell.exp_eof().unwrap();
}
