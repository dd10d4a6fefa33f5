//! The shell's backslash commands: `\d`, `\d NAME`, `\timing`, `\format`, `\maxrows`, `\explain`, `\survey`,
//! `\?`, `\q`.

use clap::ValueEnum;

use super::Shell;
use crate::commands::Context;
use crate::error::query_error;
use crate::output::{OutputArgs, OutputFormat};
use crate::{Error, Result};

/// What `\?` prints.
const HELP: &str = "\
Queries end with `;` and may span lines. Shell commands:
  \\d               the services and the local tables
  \\d NAME          the columns of a table (local, or service.schema.table): types, units, UCDs
  \\timing [on|off] show how long each query took
  \\format [NAME]   the output format: table, csv, json or votable
  \\maxrows [N]     the most rows a table shows (0: all)
  \\explain QUERY   how a query would run: the ADQL sent to each service and the plans
  \\survey TARGET [RADIUS]  what every service holds around a position or a name (radius 0.1 deg)
  \\?               this help
  \\q               leave (or Ctrl-D)
Ctrl-C stops the running query (its remote jobs are deleted) or clears the statement being typed.
";

/// One backslash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ShellCommand {
    /// `\d` (`None`) or `\d NAME`.
    Describe(Option<String>),
    /// `\timing`, `\timing on`, `\timing off` (`None` toggles).
    Timing(Option<bool>),
    /// `\format` (`None` shows the current one) or `\format NAME`.
    Format(Option<OutputFormat>),
    /// `\maxrows` (`None` shows the current limit) or `\maxrows N`.
    MaxRows(Option<usize>),
    /// `\explain QUERY`.
    Explain(String),
    /// `\survey TARGET [RADIUS]`.
    Survey(String),
    /// `\?`.
    Help,
    /// `\q`.
    Quit,
}

/// Whether the shell goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Quit,
}

fn usage(message: String) -> Error {
    Error::Usage(message)
}

impl ShellCommand {
    /// Parses a line starting with `\` (a trailing `;` is allowed, as people type it out of habit).
    pub(super) fn parse(line: &str) -> Result<Self> {
        let body = line
            .trim()
            .trim_start_matches('\\')
            .trim_end_matches(';')
            .trim();
        let (name, argument) = body
            .split_once(char::is_whitespace)
            .map_or((body, ""), |(name, rest)| (name, rest.trim()));
        let argument = (!argument.is_empty()).then(|| argument.to_owned());
        Ok(match name {
            "d" => Self::Describe(argument),
            "timing" => Self::Timing(match argument.as_deref() {
                None => None,
                Some("on") => Some(true),
                Some("off") => Some(false),
                Some(other) => {
                    return Err(usage(format!("\\timing takes on or off, not '{other}'")));
                }
            }),
            "format" => Self::Format(match argument.as_deref() {
                None => None,
                Some(name) => match OutputFormat::from_str(name, true) {
                    Ok(OutputFormat::Parquet) => {
                        return Err(usage(
                            "\\format parquet: Parquet is written to files (start the shell with -o FILE)"
                                .to_owned(),
                        ));
                    }
                    Ok(format) => Some(format),
                    Err(_) => {
                        return Err(usage(format!(
                            "\\format takes table, csv, json or votable, not '{name}'"
                        )));
                    }
                },
            }),
            "maxrows" => Self::MaxRows(match argument.as_deref() {
                None => None,
                Some("all") => Some(0),
                Some(n) => Some(n.parse().map_err(|_| {
                    usage(format!(
                        "\\maxrows takes a number of rows (0: all), not '{n}'"
                    ))
                })?),
            }),
            "explain" => Self::Explain(argument.ok_or_else(|| {
                usage("\\explain needs a query: \\explain SELECT ...".to_owned())
            })?),
            "survey" => Self::Survey(argument.ok_or_else(|| {
                usage("\\survey needs a position or a name: \\survey M31 0.2".to_owned())
            })?),
            "?" | "h" | "help" => Self::Help,
            "q" | "quit" => Self::Quit,
            other => {
                return Err(usage(format!(
                    "unknown shell command \\{other} (\\? lists them)"
                )));
            }
        })
    }
}

impl Shell {
    /// Runs a backslash command.
    pub(super) fn command(&mut self, command: ShellCommand, ctx: &mut Context<'_>) -> Result<Flow> {
        let say = |ctx: &mut Context<'_>, text: &str| -> Result<()> {
            ctx.out.write_all(text.as_bytes()).map_err(Error::Output)?;
            ctx.out.flush().map_err(Error::Output)
        };
        match command {
            ShellCommand::Quit => return Ok(Flow::Quit),
            ShellCommand::Help => say(ctx, HELP)?,
            ShellCommand::Timing(on) => {
                self.timing = on.unwrap_or(!self.timing);
                let state = if self.timing { "on" } else { "off" };
                say(ctx, &format!("timing is {state}\n"))?;
            }
            ShellCommand::Format(format) => {
                if format.is_some() {
                    self.out.format = format;
                }
                let name = self
                    .out
                    .format()?
                    .to_possible_value()
                    .map(|v| v.get_name().to_owned());
                say(ctx, &format!("format is {}\n", name.unwrap_or_default()))?;
            }
            ShellCommand::MaxRows(rows) => {
                if rows.is_some() {
                    self.out.max_rows = rows;
                }
                let shown = match self.out.table_options(ctx.terminal).max_rows {
                    Some(n) => format!("tables show at most {n} rows\n"),
                    None => "tables show every row\n".to_owned(),
                };
                say(ctx, &shown)?;
            }
            ShellCommand::Explain(query) => {
                let explanation = crate::interrupt::block_on(&self.runtime, async {
                    self.engine
                        .explain(&query)
                        .await
                        .map_err(|e| query_error(e, super::ORIGIN, &query))
                })?;
                say(ctx, &format!("{}\n", explanation.to_string().trim_end()))?;
            }
            ShellCommand::Survey(line) => {
                let (target, radius) = crate::commands::survey::target_of_line(&line)?;
                let findings = crate::interrupt::block_on(
                    &self.runtime,
                    crate::commands::survey::survey_at(
                        &self.engine,
                        &target,
                        adql_federation::Survey::new(0.0, 0.0, radius),
                        vo_client::mashup::DEFAULT_MASHUP_URL,
                    ),
                )?;
                let batch = adql_federation::findings_batch(&findings)
                    .map_err(|e| Error::Federation(Box::new(e)))?;
                crate::output::ResultSink::write_whole(&self.listing(), &batch, ctx)?;
                crate::commands::survey::report_failures(&findings);
            }
            ShellCommand::Describe(None) => {
                let batch = self.services_and_tables();
                crate::output::ResultSink::write_whole(&self.listing(), &batch?, ctx)?;
            }
            ShellCommand::Describe(Some(name)) => {
                let batch = crate::interrupt::block_on(&self.runtime, self.columns(&name))?;
                crate::output::ResultSink::write_whole(&self.listing(), &batch, ctx)?;
            }
        }
        Ok(Flow::Continue)
    }

    /// How listings (`\d`) are written: as a table unless a text format was chosen, always to the
    /// terminal and in full.
    fn listing(&self) -> OutputArgs {
        let format = match self.out.format() {
            Ok(format @ (OutputFormat::Csv | OutputFormat::Json)) => format,
            _ => OutputFormat::Table,
        };
        OutputArgs {
            format: Some(format),
            output: None,
            max_rows: Some(0),
            precision: self.out.precision,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(
            ShellCommand::parse("\\d").unwrap(),
            ShellCommand::Describe(None)
        );
        assert_eq!(
            ShellCommand::parse("\\d  gaia.gaiadr3.gaia_source ;").unwrap(),
            ShellCommand::Describe(Some("gaia.gaiadr3.gaia_source".to_owned()))
        );
        assert_eq!(
            ShellCommand::parse("\\timing").unwrap(),
            ShellCommand::Timing(None)
        );
        assert_eq!(
            ShellCommand::parse("\\timing off").unwrap(),
            ShellCommand::Timing(Some(false))
        );
        assert_eq!(
            ShellCommand::parse("\\format CSV").unwrap(),
            ShellCommand::Format(Some(OutputFormat::Csv))
        );
        assert_eq!(
            ShellCommand::parse("\\maxrows all").unwrap(),
            ShellCommand::MaxRows(Some(0))
        );
        assert_eq!(ShellCommand::parse("\\q").unwrap(), ShellCommand::Quit);
        assert_eq!(
            ShellCommand::parse("\\explain SELECT 1;").unwrap(),
            ShellCommand::Explain("SELECT 1".to_owned())
        );
        for bad in [
            "\\timing maybe",
            "\\format parquet",
            "\\format xls",
            "\\maxrows many",
            "\\explain",
            "\\x",
        ] {
            let error = ShellCommand::parse(bad).unwrap_err();
            assert!(matches!(error, Error::Usage(_)), "{bad}: {error}");
        }
    }
}
