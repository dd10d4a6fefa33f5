//! [`EngineError`]: everything that can stop a query, with the ADQL position when one is known.

use std::ops::Range;
use std::path::PathBuf;

pub use adql_syntax::line_column;
use datafusion::error::DataFusionError;

/// Alias for results of this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Why a query could not be planned or run, or a table could not be registered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The query does not parse.
    #[error("{0}")]
    Syntax(#[source] Box<adql_syntax::ParseError>),
    /// The query parses but cannot be planned: unknown table or column, type error, unsupported function,
    /// bad unit… `span` is the byte range in the ADQL text the problem is about.
    #[error("{message}")]
    Plan {
        /// What is wrong, in one sentence.
        message: String,
        /// Byte range of the offending construct in the ADQL text.
        span: Option<Range<usize>>,
        /// Further remarks (candidates, hints), each possibly with its own span.
        notes: Vec<Note>,
    },
    /// Running the query failed (division by zero, a narrowing CAST that overflows, an unreadable file…).
    #[error("{0}")]
    Execution(#[source] Box<DataFusionError>),
    /// A file could not be registered as a table.
    #[error("cannot register {}: {message}", path.display())]
    Table {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A table name is not usable (empty, already taken, …).
    #[error("{0}")]
    Name(String),
}

/// A remark attached to a [`EngineError::Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The remark.
    pub message: String,
    /// What it points at, if anything.
    pub span: Option<Range<usize>>,
}

impl EngineError {
    /// A planning error at `span`.
    pub fn plan(message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        Self::Plan {
            message: message.into(),
            span,
            notes: Vec::new(),
        }
    }

    /// Adds a note to a planning error (other kinds are returned unchanged).
    #[must_use]
    pub fn with_note(mut self, message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        if let Self::Plan { notes, .. } = &mut self {
            notes.push(Note {
                message: message.into(),
                span,
            });
        }
        self
    }

    /// The byte range in the ADQL text this error is about, if any.
    pub fn span(&self) -> Option<Range<usize>> {
        match self {
            Self::Syntax(err) => Some(err.span().range()),
            Self::Plan { span, .. } => span.clone(),
            _ => None,
        }
    }

    /// The 1-based line and column (in characters) where the error starts in `source`.
    pub fn line_column(&self, source: &str) -> Option<(usize, usize)> {
        self.span().map(|span| line_column(source, span.start))
    }
}

impl From<DataFusionError> for EngineError {
    fn from(err: DataFusionError) -> Self {
        Self::Execution(Box::new(err))
    }
}

/// The byte offset of the 1-based `line` and character `column` in `source` (clamped to the text).
pub fn byte_offset(source: &str, line: usize, column: usize) -> usize {
    let mut line_start = 0;
    for _ in 1..line.max(1) {
        match source.get(line_start..).and_then(|rest| rest.find('\n')) {
            Some(i) => line_start += i + 1,
            None => return source.len(),
        }
    }
    let line_text = source.get(line_start..).unwrap_or_default();
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let within = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_end, |(i, _)| i.min(line_end));
    line_start + within
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn positions_round_trip() {
        let text = "SELECT a\nFROM të\nWHERE x";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 9), (2, 1));
        let x = text.find('x').unwrap();
        assert_eq!(line_column(text, x), (3, 7));
        assert_eq!(byte_offset(text, 3, 7), x);
        assert_eq!(byte_offset(text, 2, 7), text.find('ë').unwrap());
        assert_eq!(byte_offset(text, 9, 1), text.len());
    }

    #[test]
    fn plan_errors_have_a_position_and_notes() {
        let text = "SELECT nope\nFROM t";
        let err = EngineError::plan("column 'nope' not found", Some(7..11))
            .with_note("t has: a, b", None);
        assert_eq!(err.line_column(text), Some((1, 8)));
        assert_eq!(err.span(), Some(7..11));
        let EngineError::Plan { notes, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(notes[0].message, "t has: a, b");
    }
}
