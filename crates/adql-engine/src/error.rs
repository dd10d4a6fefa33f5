//! [`EngineError`]: everything that can stop a query, with the ADQL position when one is known.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;

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

    /// Renders the error for people: `origin:line:column: error: message`, the source line, a caret line
    /// under the offending text, and the notes. Syntax errors use the parser's own rendering.
    pub fn render(&self, source: &str, origin: &str) -> String {
        match self {
            Self::Syntax(err) => err.render(source, origin),
            Self::Plan {
                message,
                span,
                notes,
            } => {
                let mut out = String::new();
                match span {
                    Some(span) => {
                        let (line, column) = line_column(source, span.start);
                        let _ = writeln!(out, "{origin}:{line}:{column}: error: {message}");
                        excerpt(&mut out, source, span.clone());
                    }
                    None => {
                        let _ = writeln!(out, "{origin}: error: {message}");
                    }
                }
                for note in notes {
                    match &note.span {
                        Some(span) => {
                            let (line, column) = line_column(source, span.start);
                            let _ = writeln!(out, "  = note ({line}:{column}): {}", note.message);
                        }
                        None => {
                            let _ = writeln!(out, "  = note: {}", note.message);
                        }
                    }
                }
                out
            }
            other => format!("{origin}: error: {other}\n"),
        }
    }
}

impl From<DataFusionError> for EngineError {
    fn from(err: DataFusionError) -> Self {
        Self::Execution(Box::new(err))
    }
}

/// The 1-based line and character column of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset);
    let before = source.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
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

fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Writes the source line holding `span.start` and a caret line under the span (clipped to that line).
fn excerpt(out: &mut String, source: &str, span: Range<usize>) {
    let start = floor_char_boundary(source, span.start);
    let line_start = source
        .get(..start)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = source
        .get(line_start..)
        .and_then(|s| s.find('\n'))
        .map_or(source.len(), |i| line_start + i);
    let line_text = source
        .get(line_start..line_end)
        .unwrap_or_default()
        .trim_end_matches('\r');
    let (line_number, _) = line_column(source, start);
    let gutter = line_number.to_string().len();
    let pad = source
        .get(line_start..start)
        .unwrap_or_default()
        .chars()
        .count();
    let end = floor_char_boundary(source, span.end.clamp(start, line_end.max(start)));
    let width = source
        .get(start..end)
        .unwrap_or_default()
        .chars()
        .count()
        .max(1);
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line_number} | {line_text}");
    let _ = writeln!(
        out,
        "{:gutter$} | {}{}",
        "",
        " ".repeat(pad),
        "^".repeat(width)
    );
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
    fn plan_errors_render_with_a_caret() {
        let text = "SELECT nope\nFROM t";
        let err = EngineError::plan("column 'nope' not found", Some(7..11))
            .with_note("t has: a, b", None);
        assert_eq!(err.line_column(text), Some((1, 8)));
        assert_eq!(
            err.render(text, "q.adql"),
            "q.adql:1:8: error: column 'nope' not found\n  |\n1 | SELECT nope\n  |        ^^^^\n  = note: t has: a, b\n"
        );
    }
}
