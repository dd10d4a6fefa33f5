//! `adql shell` (and `adql` alone on a terminal): queries typed one after another over one engine.
//!
//! Lines are read with rustyline — editing, history kept in the platform's data directory
//! (`~/.local/share/adql/history` on Linux), completion ([`completion`]) — until a statement ends with `;`
//! ([`adql_syntax::statement_end`]). A line starting with `\` is a shell command ([`command`]). Each query
//! runs like `adql query` through [`crate::interrupt::block_on`], so Ctrl-C stops it, deletes its remote
//! jobs and comes back to the prompt (Ctrl-C at the prompt clears the statement being typed; Ctrl-D
//! leaves).
//!
//! Read from a pipe or a file, the shell runs the statements in turn and stops at the first that fails,
//! with that failure's exit status, as a script would want.

mod command;
mod completion;
mod describe;

use std::cell::RefCell;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use adql_federation::{Engine, OverflowPolicy};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use crate::commands::Context;
use crate::commands::query::runtime;
use crate::input::Input;
use crate::output::OutputArgs;
use crate::session_args::SessionArgs;
use crate::{Error, Result};

use command::{Flow, ShellCommand};
use completion::Completion;

/// Arguments of `adql shell`: those of `adql query`, without the query.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
End each query with `;` (it may span lines). Shell commands start with a backslash: \\d lists the services \
and local tables, \\d NAME the columns of a table, \\timing, \\format, \\maxrows, \\explain QUERY, \\survey TARGET \
[RADIUS], \\? for help, \\q to leave. Tab completes keywords, functions, services, and the schemas, tables and columns of \
services described before (cached descriptions).")]
pub(crate) struct ShellArgs {
    /// The engine: syntax, services, local tables.
    #[command(flatten)]
    pub(crate) session: SessionArgs,
    /// How results are written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

impl ShellArgs {
    /// The arguments of `adql shell` with no flags.
    pub(crate) fn default_args() -> Result<Self> {
        #[derive(clap::Parser)]
        struct Harness {
            #[command(flatten)]
            args: ShellArgs,
        }
        <Harness as clap::Parser>::try_parse_from(["shell"])
            .map(|h| h.args)
            .map_err(|e| Error::Usage(e.to_string()))
    }
}

/// What a statement is called in diagnostics.
const ORIGIN: &str = "<shell>";

/// The prompt of a new statement, and of its continuation lines.
const PROMPT: &str = "adql> ";
const CONTINUATION: &str = "  ... ";

/// The file the history is kept in, if the platform has a data directory.
fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("adql").join("history"))
}

/// The state a session keeps between statements.
struct Shell {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    out: OutputArgs,
    hold: bool,
    timing: bool,
    /// The local tables, by name, for `\d`.
    local: Vec<(String, PathBuf)>,
}

/// Runs the shell.
pub(crate) fn exec(args: ShellArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let interactive = io::stdin().is_terminal();
    let runtime = runtime()?;
    let engine = args.session.engine(&runtime, ORIGIN)?;
    let mut shell = Shell {
        hold: args.session.federation.on_overflow == OverflowPolicy::Fail,
        local: args
            .session
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.path.clone()))
            .collect(),
        runtime,
        engine,
        out: args.out,
        timing: false,
    };
    let pending = Rc::new(RefCell::new(String::new()));
    let completion = Completion::new(&shell, Rc::clone(&pending));
    let mut editor = editor(completion)?;
    let history = history_path();
    if let Some(path) = &history {
        // A missing or unreadable history is not worth stopping for.
        let _ = editor.load_history(path);
    }
    if interactive {
        eprintln!(
            "adql {}: end queries with `;`, \\? for help, \\q to leave",
            env!("CARGO_PKG_VERSION")
        );
    }
    loop {
        let prompt = if pending.borrow().is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.borrow_mut().clear();
                continue;
            }
            Err(ReadlineError::Eof) => {
                // A script's last statement may lack its `;`.
                let rest = std::mem::take(&mut *pending.borrow_mut());
                if !interactive
                    && !rest.trim().is_empty()
                    && let Err(error) = shell.statement(rest.trim(), ctx)
                {
                    return Ok(crate::report::print_error(&error));
                }
                break;
            }
            Err(error) => {
                return Err(Error::Input {
                    origin: "the terminal".to_owned(),
                    source: io::Error::other(error),
                });
            }
        };
        if pending.borrow().trim().is_empty() && line.trim_start().starts_with('\\') {
            remember(&mut editor, line.trim(), history.as_ref());
            let flow =
                ShellCommand::parse(line.trim()).and_then(|command| shell.command(command, ctx));
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => break,
                Err(error) if interactive => {
                    eprint!("{}", crate::report::render(&error));
                }
                Err(error) => return Ok(crate::report::print_error(&error)),
            }
            continue;
        }
        let mut text = pending.borrow_mut();
        text.push_str(&line);
        text.push('\n');
        while let Some(end) = adql_syntax::statement_end(&text) {
            let statement = text.get(..end).unwrap_or_default().trim().to_owned();
            let rest = text
                .get(end + 1..)
                .unwrap_or_default()
                .trim_start()
                .to_owned();
            *text = rest;
            if statement.is_empty() {
                continue;
            }
            remember(&mut editor, &format!("{statement};"), history.as_ref());
            match shell.statement(&statement, ctx) {
                Ok(()) => {}
                Err(error) if interactive => eprint!("{}", crate::report::render(&error)),
                Err(error) => return Ok(crate::report::print_error(&error)),
            }
        }
        if text.trim().is_empty() {
            text.clear();
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A line editor with the shell's completion; the history is not added to automatically, since a
/// statement is remembered whole, not line by line.
fn editor(completion: Completion) -> Result<Editor<Completion, FileHistory>> {
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(10_000)
        .map_err(readline_error)?
        .build();
    let mut editor = Editor::with_config(config).map_err(readline_error)?;
    editor.set_helper(Some(completion));
    Ok(editor)
}

fn readline_error(error: ReadlineError) -> Error {
    Error::Input {
        origin: "the terminal".to_owned(),
        source: io::Error::other(error),
    }
}

/// Adds `entry` to the history and appends it to the history file at once, so that a killed shell
/// loses nothing.
fn remember(editor: &mut Editor<Completion, FileHistory>, entry: &str, path: Option<&PathBuf>) {
    if editor.add_history_entry(entry).unwrap_or(false)
        && let Some(path) = path
    {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        // The history is a convenience: a read-only home directory must not stop the session.
        let _ = editor.append_history(path);
    }
}

impl Shell {
    /// Runs one query and writes its result.
    fn statement(&mut self, text: &str, ctx: &mut Context<'_>) -> Result<()> {
        let input = Input {
            origin: ORIGIN.to_owned(),
            text: text.to_owned(),
        };
        let started = Instant::now();
        let mut statement_ctx = Context {
            verbose: ctx.verbose,
            out: &mut *ctx.out,
            terminal: ctx.terminal,
            started,
        };
        let result = crate::interrupt::block_on(
            &self.runtime,
            crate::commands::query::run(
                &self.engine,
                &input,
                &self.out,
                self.hold,
                &mut statement_ctx,
            ),
        );
        self.finish(started, ctx)?;
        result
    }

    /// Flushes the output before the next prompt and shows the time under `\timing`.
    fn finish(&self, started: Instant, ctx: &mut Context<'_>) -> Result<()> {
        ctx.out.flush().map_err(Error::Output)?;
        if self.timing {
            eprintln!("time: {:.3} s", started.elapsed().as_secs_f64());
        }
        Ok(())
    }
}
