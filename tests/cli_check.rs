//! End-to-end tests of `adql check` and `adql fmt`: exit codes, diagnostics, service profiles, formatting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
}

fn adql() -> Command {
    Command::new(env!("CARGO_BIN_EXE_adql"))
}

/// Runs `adql ARGS` with `stdin` as standard input.
fn run_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = adql()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error ends the child before it reads its input; a broken pipe here is then expected.
    if let Err(err) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
    }
    Run::from_output(child.wait_with_output().unwrap())
}

/// Runs `adql ARGS` on a file holding `query`, named `name`.
fn run_file(args: &[&str], name: &str, query: &str) -> (Run, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, query).unwrap();
    let output = adql()
        .args(args)
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (Run::from_output(output), path)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn check(args: &[&str], query: &str) -> Run {
    run_stdin(&[&["check"], args].concat(), query)
}

fn fmt(args: &[&str], query: &str) -> Run {
    run_stdin(&[&["fmt"], args].concat(), query)
}

// ---- check: exit codes and output --------------------------------------------------------------------------

#[test]
fn a_valid_query_exits_0_silently() {
    let run = check(
        &[],
        "SELECT TOP 10 ra, dec FROM gaia.source WHERE phot_g_mean_mag < 12",
    );
    run.assert_code(0);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
}

#[test]
fn verbose_check_prints_ok() {
    let run = check(&["-v"], "SELECT a FROM t");
    run.assert_code(0);
    assert_eq!(run.stdout, "ok\n");
    // The global flag is accepted before the subcommand as well.
    let run = run_stdin(&["-v", "check"], "SELECT a FROM t");
    run.assert_code(0);
    assert_eq!(run.stdout, "ok\n");
}

#[test]
fn an_invalid_query_exits_1_with_a_located_diagnostic() {
    let (run, path) = run_file(
        &["check"],
        "bad.adql",
        "SELECT ra, dec\nFROM gaia.source\nWHERE ra >< 3\n",
    );
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("adql: error: "), "{}", run.stderr);
    // File name, line 3 and the column of the bad token, the source line and a caret under it.
    assert!(
        run.stderr.contains(&format!("{}:3:", path.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("WHERE ra >< 3"), "{}", run.stderr);
    assert!(run.stderr.contains('^'), "{}", run.stderr);
}

#[test]
fn a_diagnostic_on_stdin_names_stdin_and_the_column() {
    let run = check(&[], "SELECT a FORM t");
    run.assert_code(1);
    assert!(run.stderr.contains("<stdin>:1:"), "{}", run.stderr);
    assert!(run.stderr.contains("SELECT a FORM t"), "{}", run.stderr);
    let caret_line = run
        .stderr
        .lines()
        .find(|l| l.trim_end().ends_with('^') || l.contains('^'))
        .unwrap();
    assert!(caret_line.contains('^'), "{}", run.stderr);
}

#[test]
fn a_reserved_word_gets_a_hint() {
    let run = check(&[], "SELECT size FROM t");
    run.assert_code(1);
    assert!(run.stderr.contains("help: "), "{}", run.stderr);
    assert!(run.stderr.contains("\"size\""), "{}", run.stderr);
}

#[test]
fn limit_is_rejected_with_a_hint_towards_top() {
    for query in [
        "SELECT a FROM t WHERE a > 0 LIMIT 10",
        "SELECT a FROM t LIMIT 10",
    ] {
        let run = check(&[], query);
        run.assert_code(1);
        assert!(run.stderr.contains("TOP"), "{query}: {}", run.stderr);
    }
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let run = Run::from_output(
        adql()
            .args(["check", "/nonexistent/q.adql"])
            .output()
            .unwrap(),
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with("adql: error: cannot read /nonexistent/q.adql: "),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    check(&["--frobnicate"], "SELECT a FROM t").assert_code(2);
    check(&["--adql-version", "3.0"], "SELECT a FROM t").assert_code(2);
    check(&["--extensions", "octal"], "SELECT a FROM t").assert_code(2);
    check(&["--no-feature", "TELEPORT"], "SELECT a FROM t").assert_code(2);
    Run::from_output(adql().output().unwrap()).assert_code(2);
}

#[test]
fn help_exits_0() {
    let run = Run::from_output(adql().args(["check", "--help"]).output().unwrap());
    run.assert_code(0);
    assert!(run.stdout.contains("--udf"), "{}", run.stdout);
}

#[test]
fn dash_and_no_file_read_stdin() {
    check(&["-"], "SELECT a FROM t").assert_code(0);
    check(&[], "SELECT a FROM t").assert_code(0);
    check(&["-"], "SELECT FROM t").assert_code(1);
}

// ---- check: service profiles --------------------------------------------------------------------------------

#[test]
fn any_function_is_accepted_without_udf_declarations() {
    check(&[], "SELECT ivo_healpix_index(10, ra, dec) FROM t").assert_code(0);
}

#[test]
fn with_declarations_only_declared_functions_are_accepted() {
    let udf = [
        "--udf",
        "ivo_healpix_index(hpxOrder INTEGER, ra DOUBLE PRECISION, dec DOUBLE PRECISION) -> BIGINT",
    ];
    check(&udf, "SELECT ivo_healpix_index(10, ra, dec) FROM t").assert_code(0);
    let run = check(&udf, "SELECT ivo_hasword(a, 'x') FROM t");
    run.assert_code(1);
    assert!(run.stderr.contains("ivo_hasword"), "{}", run.stderr);
}

#[test]
fn a_malformed_udf_declaration_is_a_usage_error() {
    let run = check(&["--udf", "not a signature"], "SELECT a FROM t");
    run.assert_code(2);
    assert!(run.stderr.contains("--udf"), "{}", run.stderr);
}

#[test]
fn offset_is_adql_2_1_only() {
    let query = "SELECT a FROM t ORDER BY a OFFSET 10";
    check(&["--adql-version", "2.1"], query).assert_code(0);
    let run = check(&["--adql-version", "2.0"], query);
    run.assert_code(1);
    assert!(
        run.stderr.contains("OFFSET") && run.stderr.contains("2.1"),
        "{}",
        run.stderr
    );
}

#[test]
fn disabling_a_feature_rejects_its_use() {
    let query = "SELECT a FROM t UNION SELECT b FROM u";
    check(&[], query).assert_code(0);
    let run = check(&["--no-feature", "UNION"], query);
    run.assert_code(1);
    assert!(run.stderr.contains("UNION"), "{}", run.stderr);
    // The other set operators stay available.
    check(
        &["--no-feature", "UNION"],
        "SELECT a FROM t EXCEPT SELECT b FROM u",
    )
    .assert_code(0);
}

#[test]
fn extensions_are_off_unless_asked_for() {
    let query = "SELECT a FROM t WHERE flags & 0x10 = 0x10";
    check(&[], query).assert_code(1);
    check(&["--extensions", "hex"], query).assert_code(1);
    check(&["--extensions", "hex,bitwise"], query).assert_code(0);
    check(&["--extensions", "bitwise", "--extensions", "hex"], query).assert_code(0);
    // Without the extension, `0x10` reads as the number 0 followed by the name `x10`.
    check(&[], "SELECT a FROM t WHERE flags = 0x10").assert_code(1);
    check(
        &["--extensions", "hex"],
        "SELECT a FROM t WHERE flags = 0x10",
    )
    .assert_code(0);
}

// ---- fmt ----------------------------------------------------------------------------------------------------

#[test]
fn fmt_prints_a_query_that_reparses_and_is_a_fixed_point() {
    let messy = "select   top 5 a as x ,\n  b -- a comment\nfrom   t join u using (id) where a between 1 and 2 order by x desc";
    let first = fmt(&[], messy);
    first.assert_code(0);
    assert!(first.stdout.ends_with('\n'));
    assert!(!first.stdout.contains("comment"), "{}", first.stdout);
    check(&[], &first.stdout).assert_code(0);
    let second = fmt(&[], &first.stdout);
    second.assert_code(0);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn fmt_of_an_invalid_query_exits_1_with_the_diagnostic() {
    let run = fmt(&[], "SELECT a FROM");
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("<stdin>:1:"), "{}", run.stderr);
}

#[test]
fn fmt_honours_the_version() {
    fmt(&["--adql-version", "2.0"], "SELECT a FROM t OFFSET 3").assert_code(1);
    fmt(&["--adql-version", "2.1"], "SELECT a FROM t OFFSET 3").assert_code(0);
}

#[test]
fn fmt_into_a_closed_pipe_is_not_an_error() {
    // Many queries into a reader that stops at once: the write fails with a broken pipe, which counts as success.
    let long = format!(
        "SELECT {} FROM t",
        (0..20_000)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.adql");
    std::fs::write(&path, long).unwrap();
    let mut child = adql()
        .arg("fmt")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---- examples ------------------------------------------------------------------------------------------------

#[test]
fn the_examples_are_valid_and_format_to_fixed_points() {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".adql"))
            .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in &names {
        let path = example(name);
        let run = Run::from_output(adql().arg("check").arg(&path).output().unwrap());
        run.assert_code(0);
        let first = Run::from_output(adql().arg("fmt").arg(&path).output().unwrap());
        first.assert_code(0);
        let second = fmt(&[], &first.stdout);
        second.assert_code(0);
        assert_eq!(first.stdout, second.stdout, "{name}");
    }
}
