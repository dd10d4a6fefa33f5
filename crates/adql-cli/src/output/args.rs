//! [`OutputArgs`]: the flags of every subcommand that writes rows.

use std::path::PathBuf;

use super::format::OutputFormat;
use super::table::TableOptions;
use crate::{Error, Result};

/// Rows a table shows on a terminal unless `--max-rows` says otherwise.
pub(crate) const TERMINAL_ROWS: usize = 40;

/// Where and how rows are written.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct OutputArgs {
    /// Output format [default: from the extension of -o, else table].
    #[arg(long, value_enum)]
    pub(crate) format: Option<OutputFormat>,
    /// Write the result to this file (it appears only once complete) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Rows the table shows; the others are counted, never cut silently (0: all) [default: 40 on a
    /// terminal, else all].
    #[arg(long = "max-rows", value_name = "N")]
    pub(crate) max_rows: Option<usize>,
    /// Significant digits of floating-point values in the table [default: 10, 7 for floats].
    #[arg(long, value_name = "DIGITS", value_parser = clap::value_parser!(u8).range(1..=17))]
    pub(crate) precision: Option<u8>,
}

impl OutputArgs {
    /// The format: `--format`, else the one the output file's extension names, else a table.
    ///
    /// # Errors
    /// `-o` names a file whose extension names no format and `--format` is not given.
    pub(crate) fn format(&self) -> Result<OutputFormat> {
        match (self.format, &self.output) {
            (Some(format), _) => Ok(format),
            (None, Some(path)) => OutputFormat::from_path(path).ok_or_else(|| {
                Error::Usage(format!(
                    "cannot tell the format of {} from its extension; give --format \
                     (table, csv, json, parquet or votable)",
                    path.display()
                ))
            }),
            (None, None) => Ok(OutputFormat::Table),
        }
    }

    /// What a table shows, on a terminal (`terminal`) or not.
    pub(crate) fn table_options(&self, terminal: bool) -> TableOptions {
        TableOptions {
            max_rows: match self.max_rows {
                Some(0) => None,
                Some(n) => Some(n),
                None if terminal && self.output.is_none() => Some(TERMINAL_ROWS),
                None => None,
            },
            precision: self.precision.map(usize::from),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn args(format: Option<OutputFormat>, output: Option<&str>) -> OutputArgs {
        OutputArgs {
            format,
            output: output.map(PathBuf::from),
            ..OutputArgs::default()
        }
    }

    #[test]
    fn the_format_comes_from_the_flag_then_the_extension() {
        assert_eq!(args(None, None).format().unwrap(), OutputFormat::Table);
        assert_eq!(
            args(None, Some("r.parquet")).format().unwrap(),
            OutputFormat::Parquet
        );
        assert_eq!(
            args(None, Some("r.vot")).format().unwrap(),
            OutputFormat::Votable
        );
        assert_eq!(
            args(Some(OutputFormat::Csv), Some("r.parquet"))
                .format()
                .unwrap(),
            OutputFormat::Csv
        );
        let err = args(None, Some("r.dat")).format().unwrap_err();
        assert!(err.to_string().contains("give --format"), "{err}");
    }

    #[test]
    fn a_terminal_table_is_capped_unless_asked() {
        assert_eq!(
            args(None, None).table_options(true).max_rows,
            Some(TERMINAL_ROWS)
        );
        assert_eq!(args(None, None).table_options(false).max_rows, None);
        let all = OutputArgs {
            max_rows: Some(0),
            ..OutputArgs::default()
        };
        assert_eq!(all.table_options(true).max_rows, None);
    }
}
