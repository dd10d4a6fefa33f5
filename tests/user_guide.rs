//! Every example of `docs/user-guide.md` is run, so that the guide cannot drift from the program.
//!
//! Each fenced block is run according to its language, in a scratch directory that has the bundled `data/`
//! and `examples/`, a few small input files the examples name (`query.adql`, `targets.vot`, `more.csv`,
//! `a.csv`, `b.csv`) and the built `adql` first on `PATH`:
//!
//! - `console`: each `$ command` runs in one bash session (so `echo $?` sees the command before it), and
//!   what it prints (stdout and stderr) must be the lines that follow it;
//! - `sh`: each command must succeed; `URL` stands for the test TAP service and `JOB` for a job of it;
//! - `sql`: each query must pass `adql check`;
//! - `toml`: a configuration file, which `adql explain --config FILE` must accept;
//! - `json`: a schema sidecar, which must register a CSV file with those columns.
//!
//! A comment line before a block changes that: `<!-- guide-test: output of: COMMAND -->` runs COMMAND and
//! requires the block in its output; `<!-- guide-test: shell -->` feeds a shell transcript's input lines to
//! the `$ adql shell` command it starts with; `<!-- guide-test: file: NAME -->` before a `toml` block also
//! writes it to NAME for the examples after it; `<!-- guide-test: skip: REASON -->` leaves a block out, and
//! says why. Any other block is an error, so a new example is run or explicitly excused.
//!
//! Blocks that name the DaCHS test server (`localhost:8080`, or `URL`) need it (skipped with a message when
//! it is not running, a failure under `CI`).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::cli::with_input;
use support::dachs;

/// One fenced block of the guide.
#[derive(Debug)]
struct Block {
    /// Line of the opening fence (1-based).
    line: usize,
    language: String,
    /// The text, its indentation removed.
    text: String,
    /// What the `guide-test` comment before it says, if there is one.
    directive: Option<String>,
}

fn blocks(guide: &str) -> Vec<Block> {
    let lines: Vec<&str> = guide.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(language) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let directive = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().strip_prefix("<!-- guide-test:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(|d| d.trim().to_owned());
        let start = i;
        let mut text = String::new();
        i += 1;
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            text.push_str(lines[i].get(indent..).unwrap_or(lines[i].trim_start()));
            text.push('\n');
            i += 1;
        }
        out.push(Block {
            line: start + 1,
            language: language.trim().to_owned(),
            text,
            directive,
        });
        i += 1;
    }
    out
}

/// The scratch directory of the examples.
struct Scratch {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in ["data", "examples"] {
            std::os::unix::fs::symlink(repo.join(name), dir.path().join(name)).unwrap();
        }
        let bin = dir.path().join(".bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_adql"), bin.join("adql")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "query.adql",
            "SELECT TOP 5 source_id, ra, dec FROM archive2.sources\n",
        );
        write("more.csv", "id,ra,dec\n1,56.75,24.12\n");
        write("a.csv", "id,ra,dec\n1,10.0,20.0\n2,30.0,-5.0\n");
        write("b.csv", "id,ra,dec\n7,10.0001,20.0\n8,31.0,-5.0\n");
        let scratch = Self { dir, bin };
        let made = scratch.bash(
            "adql query --table stars=data/stars.csv \"SELECT TOP 3 name, ra, dec FROM stars\" -o targets.vot",
        );
        assert!(made.status.success(), "{}", text(&made.stderr));
        scratch
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `script` in bash, in the scratch directory, with `adql` on the path and the user's configuration and
    /// caches out of the way.
    fn bash(&self, script: &str) -> Output {
        self.bash_with_input(script, "")
    }

    fn bash_with_input(&self, script: &str, input: &str) -> Output {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        with_input(
            Command::new("bash")
                .args(["-c", script])
                .current_dir(self.path())
                .env("PATH", path)
                .env("XDG_CONFIG_HOME", self.path().join(".config"))
                .env("XDG_CACHE_HOME", self.path().join(".cache"))
                .env("XDG_DATA_HOME", self.path().join(".data"))
                .env_remove("HTTP_PROXY")
                .env_remove("http_proxy")
                .env_remove("MAST_API_TOKEN"),
            input,
        )
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Lines without trailing blanks, and no trailing empty lines.
fn normalise(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_owned()
}

/// The commands of a `sh` block: continuation lines joined, comment-only lines left out.
fn commands(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        if current.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// Replaces the whole word `word` in `text`.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let (head, tail) = rest.split_at(at);
        let before = head.chars().last();
        let after = tail[word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '_');
        out.push_str(head);
        out.push_str(if boundary(before) && boundary(after) {
            by
        } else {
            word
        });
        rest = &tail[word.len()..];
    }
    out.push_str(rest);
    out
}

/// Runs a `console` block: the commands in one bash session, each one's output compared.
fn console(scratch: &Scratch, block: &Block) {
    let mut script = String::new();
    let mut expected: Vec<(String, String)> = Vec::new();
    for line in block.text.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            expected.push((command.to_owned(), String::new()));
        } else if let Some((_, output)) = expected.last_mut() {
            output.push_str(line);
            output.push('\n');
        }
    }
    for (command, _) in &expected {
        // The command's status survives the separator, for a following `echo $?`.
        script.push_str(&format!(
            "{{ {command}\n}} 2>&1; __status=$?; echo '@@guide-test@@'; (exit $__status)\n"
        ));
    }
    let out = scratch.bash(&script);
    let printed = text(&out.stdout);
    let chunks: Vec<&str> = printed.split("@@guide-test@@\n").collect();
    for (i, (command, output)) in expected.iter().enumerate() {
        let got = chunks.get(i).copied().unwrap_or_default();
        assert_eq!(
            normalise(got),
            normalise(output),
            "docs/user-guide.md:{}: `{command}` printed something else",
            block.line
        );
    }
}

/// Runs an `sh` block: every command must succeed.
fn sh(scratch: &Scratch, block: &Block, tap: Option<&str>) {
    let mut job = None;
    for command in commands(&block.text) {
        let mut command = command;
        if let Some(tap) = tap {
            if replace_word(&command, "JOB", "") != command && job.is_none() {
                job = Some(keep_a_job(scratch, tap));
            }
            command = replace_word(&command, "URL", tap);
            if let Some(job) = &job {
                command = replace_word(&command, "JOB", job);
            }
        }
        let out = scratch.bash(&command);
        assert!(
            out.status.success(),
            "docs/user-guide.md:{}: `{command}` failed:\n{}{}",
            block.line,
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// The id of a finished async job kept on the test service.
fn keep_a_job(scratch: &Scratch, tap: &str) -> String {
    let out = scratch.bash(&format!(
        "adql tap --async --keep {tap} \"SELECT TOP 2 source_id FROM archive2.sources\" --format csv"
    ));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let url = stderr
        .split_whitespace()
        .find(|w| w.contains("/async/"))
        .unwrap_or_else(|| panic!("no job URL in {stderr}"));
    url.rsplit('/').next().unwrap().to_owned()
}

/// Checks each query of an `sql` block: statements start with `SELECT` at the start of a line.
fn sql(scratch: &Scratch, block: &Block) {
    let mut queries: Vec<String> = Vec::new();
    for line in block.text.lines() {
        if line.starts_with("SELECT") || queries.is_empty() {
            queries.push(String::new());
        }
        if let Some(query) = queries.last_mut() {
            query.push_str(line);
            query.push('\n');
        }
    }
    for query in queries.iter().filter(|q| !q.trim().is_empty()) {
        let out = scratch.bash_with_input("adql check -", query);
        assert!(
            out.status.success(),
            "docs/user-guide.md:{}: not valid ADQL:\n{query}{}",
            block.line,
            text(&out.stderr)
        );
    }
}

/// A configuration block must be accepted by `--config`.
fn toml(scratch: &Scratch, block: &Block) {
    let file = scratch.path().join(format!("guide-{}.toml", block.line));
    std::fs::write(&file, &block.text).unwrap();
    let out = scratch.bash(&format!(
        "adql explain --no-user-config --config {} --table stars=data/stars.csv \"SELECT TOP 1 star_id FROM stars\"",
        file.display()
    ));
    assert!(
        out.status.success(),
        "docs/user-guide.md:{}: the configuration is refused:\n{}",
        block.line,
        text(&out.stderr)
    );
}

/// A schema sidecar must register a CSV file with its columns (one row of a value of each type).
fn json(scratch: &Scratch, block: &Block) {
    let sidecar: serde_json::Value = serde_json::from_str(&block.text).unwrap();
    let columns = sidecar["columns"].as_array().unwrap();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let values: Vec<String> = columns
        .iter()
        .map(|c| {
            let kind = c["type"].as_str().unwrap_or("VARCHAR").to_ascii_uppercase();
            let value = match kind.split('(').next().unwrap_or_default() {
                "SMALLINT" | "INTEGER" | "BIGINT" => "7",
                "REAL" | "DOUBLE" | "DOUBLE PRECISION" => "1.5",
                "BOOLEAN" => "true",
                "TIMESTAMP" => "2024-01-02T03:04:05",
                "POINT" => "10 20",
                "CIRCLE" => "10 20 1",
                "POLYGON" => "10 20 11 20 11 21",
                _ => "text",
            };
            value.to_owned()
        })
        .collect();
    let dir = scratch.path();
    std::fs::write(
        dir.join("sidecar.csv"),
        format!("{}\n{}\n", names.join(","), values.join(",")),
    )
    .unwrap();
    std::fs::write(dir.join("sidecar.schema.json"), &block.text).unwrap();
    let out = scratch
        .bash("adql query --table t=sidecar.csv --format csv \"SELECT COUNT(*) AS n FROM t\"");
    assert!(
        out.status.success(),
        "docs/user-guide.md:{}: the sidecar is refused:\n{}",
        block.line,
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "n\n1\n");
}

/// A shell transcript: the `$ adql shell` command, fed the lines typed after the prompts.
fn shell_transcript(scratch: &Scratch, block: &Block) {
    let mut lines = block.text.lines();
    let command = lines
        .next()
        .and_then(|l| l.strip_prefix("$ "))
        .unwrap_or_else(|| panic!("docs/user-guide.md:{}: no `$ adql shell`", block.line));
    let input: String = lines
        .filter_map(|l| {
            l.strip_prefix("adql> ")
                .or_else(|| l.strip_prefix("  ... "))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!input.is_empty(), "docs/user-guide.md:{}", block.line);
    let out = scratch.bash_with_input(command, &input);
    assert!(
        out.status.success(),
        "docs/user-guide.md:{}: {}",
        block.line,
        text(&out.stderr)
    );
    assert!(!out.stdout.is_empty(), "docs/user-guide.md:{}", block.line);
}

#[test]
fn every_example_of_the_user_guide_runs() {
    let guide_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/user-guide.md");
    let guide = std::fs::read_to_string(&guide_path).unwrap();
    let blocks = blocks(&guide);
    assert!(blocks.len() > 20, "the guide lost its examples?");
    let scratch = Scratch::new();
    let mut tap: Option<Option<String>> = None;
    let mut dachs_tap = || tap.get_or_insert_with(dachs::tap_url).clone();
    let mut ran = 0;
    let mut skipped_without_server = Vec::new();
    for block in &blocks {
        let needs_server = block.text.contains("localhost:8080")
            || replace_word(&block.text, "URL", "") != block.text;
        let server = if needs_server {
            match dachs_tap() {
                Some(tap) => Some(tap),
                None => {
                    skipped_without_server.push(block.line);
                    continue;
                }
            }
        } else {
            None
        };
        match (block.directive.as_deref(), block.language.as_str()) {
            (Some(directive), _) if directive.starts_with("skip:") => {
                let reason = directive.trim_start_matches("skip:").trim();
                assert!(
                    !reason.is_empty(),
                    "docs/user-guide.md:{}: skip needs a reason",
                    block.line
                );
                continue;
            }
            (Some(directive), _) if directive.starts_with("output of:") => {
                let command = directive.trim_start_matches("output of:").trim();
                let out = scratch.bash(&format!("{command} 2>&1"));
                let printed = normalise(&text(&out.stdout));
                assert!(
                    printed.contains(&normalise(&block.text)),
                    "docs/user-guide.md:{}: `{command}` printed\n{printed}\ninstead of\n{}",
                    block.line,
                    block.text
                );
            }
            (Some("shell"), _) => shell_transcript(&scratch, block),
            (Some(directive), "toml") if directive.starts_with("file:") => {
                toml(&scratch, block);
                let name = directive.trim_start_matches("file:").trim();
                std::fs::write(scratch.path().join(name), &block.text).unwrap();
            }
            (Some(other), _) => panic!(
                "docs/user-guide.md:{}: unknown directive {other}",
                block.line
            ),
            (None, "console") => console(&scratch, block),
            (None, "sh") => sh(&scratch, block, server.as_deref()),
            (None, "sql") => sql(&scratch, block),
            (None, "toml") => toml(&scratch, block),
            (None, "json") => json(&scratch, block),
            (None, language) => panic!(
                "docs/user-guide.md:{}: a `{language}` block that is neither run nor excused \
                 (add <!-- guide-test: output of: COMMAND --> or <!-- guide-test: skip: REASON -->)",
                block.line
            ),
        }
        ran += 1;
    }
    if !skipped_without_server.is_empty() {
        eprintln!(
            "user_guide: the examples at lines {skipped_without_server:?} need the DaCHS test server, which is not running"
        );
    }
    assert!(ran >= 15, "only {ran} examples ran");
}

#[test]
fn blocks_are_found_with_their_directives() {
    let guide = "text\n<!-- guide-test: skip: why -->\n```sh\nadql a \\\n  b\n# note\nadql c\n```\n\n  ```json\n  {}\n  ```\n";
    let found = blocks(guide);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].directive.as_deref(), Some("skip: why"));
    assert_eq!(commands(&found[0].text), ["adql a    b", "adql c"]);
    assert_eq!(
        (
            found[1].language.as_str(),
            found[1].text.as_str(),
            found[1].line
        ),
        ("json", "{}\n", 10)
    );
    assert_eq!(
        replace_word("adql tables URL --url URLS", "URL", "u"),
        "adql tables u --url URLS"
    );
}
