//! A positioned diagnostic drawn as text: the message, where it points, the source line with a caret
//! under the culprit, then notes and help. Every error with a position in the query — syntax errors and
//! the engine's planning errors alike — is drawn by [`Diagnostic::render`], in one style:
//!
//! ```text
//! adql: error: column 'nope' not found
//!  --> <query>:1:14
//!   |
//! 1 | SELECT name, nope FROM stars
//!   |              ^^^^
//!   = note (1:24): a table of the query: stars
//! ```

use std::fmt::Write as _;
use std::ops::Range;

/// What is wrong, where, and what may help.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    /// The one-line description.
    pub message: String,
    /// Byte range of the culprit in the source, if known.
    pub span: Option<Range<usize>>,
    /// What the caret line says beside the carets.
    pub label: String,
    /// Remarks, each with what it points at.
    pub notes: Vec<(String, Option<Range<usize>>)>,
    /// A suggestion.
    pub help: Option<String>,
}

impl Diagnostic {
    /// The diagnostic of a query that does not parse.
    pub(crate) fn from_parse(error: &adql_syntax::ParseError) -> Diagnostic {
        Diagnostic {
            message: error.message().to_owned(),
            span: Some(error.span().range()),
            label: error.label().to_owned(),
            notes: Vec::new(),
            help: error.hint().map(str::to_owned),
        }
    }

    /// The diagnostic of an engine error (a syntax error, or a planning error with its notes).
    pub(crate) fn from_engine(error: &adql_engine::EngineError) -> Diagnostic {
        match error {
            adql_engine::EngineError::Syntax(e) => Diagnostic::from_parse(e),
            adql_engine::EngineError::Plan {
                message,
                span,
                notes,
            } => Diagnostic {
                message: message.clone(),
                span: span.clone(),
                notes: notes
                    .iter()
                    .map(|n| (n.message.clone(), n.span.clone()))
                    .collect(),
                ..Diagnostic::default()
            },
            adql_engine::EngineError::Execution(error) => Diagnostic {
                message: execution_message(error),
                ..Diagnostic::default()
            },
            other => Diagnostic {
                message: other.to_string(),
                ..Diagnostic::default()
            },
        }
    }

    /// The diagnostic drawn against `source`, which came from `origin` (a file name, `<query>` or
    /// `<stdin>`); it ends with a newline.
    pub(crate) fn render(&self, source: &str, origin: &str) -> String {
        let mut out = format!("adql: error: {}\n", self.message);
        if let Some(span) = &self.span {
            let (line, column) = adql_engine::error::line_column(source, span.start);
            let gutter = " ".repeat(line.to_string().len());
            let _ = writeln!(out, "{gutter}--> {origin}:{line}:{column}");
            excerpt(&mut out, source, span.clone(), &self.label);
        }
        for (note, span) in &self.notes {
            match span {
                Some(span) => {
                    let (line, column) = adql_engine::error::line_column(source, span.start);
                    let _ = writeln!(out, "  = note ({line}:{column}): {note}");
                }
                None => {
                    let _ = writeln!(out, "  = note: {note}");
                }
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// What went wrong while the query ran, for people: the root cause's own message, without the layers'
/// prefixes (`Arrow error: Compute error: Execution error: ...`).
fn execution_message(error: &datafusion::error::DataFusionError) -> String {
    use arrow::error::ArrowError;
    use datafusion::error::DataFusionError as D;
    let mut message = match error.find_root() {
        D::ArrowError(error, _) => match error.as_ref() {
            ArrowError::DivideByZero => "division by zero".to_owned(),
            ArrowError::CastError(m)
            | ArrowError::ComputeError(m)
            | ArrowError::ParseError(m)
            | ArrowError::InvalidArgumentError(m)
            | ArrowError::CsvError(m)
            | ArrowError::JsonError(m) => m.clone(),
            ArrowError::ArithmeticOverflow(m) => format!("arithmetic overflow: {m}"),
            other => other.to_string(),
        },
        other => other.message().into_owned(),
    };
    // Messages that crossed a layer boundary as text keep the inner layer's prefix.
    for prefix in ["Execution error: ", "External error: ", "Arrow error: "] {
        while let Some(rest) = message.strip_prefix(prefix) {
            message = rest.to_owned();
        }
    }
    message
}

/// The largest char boundary at or before `offset` (clamped to the text).
fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Writes the source line holding `span.start` and a caret line under the span (clipped to that line,
/// at least one character wide), with `label` beside the carets.
fn excerpt(out: &mut String, source: &str, span: Range<usize>, label: &str) {
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
        .trim_end_matches('\r')
        .replace('\t', " ");
    let (line_number, _) = adql_engine::error::line_column(source, start);
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
    let label = if label.is_empty() {
        String::new()
    } else {
        format!(" {label}")
    };
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line_number} | {line_text}");
    let _ = writeln!(
        out,
        "{:gutter$} | {}{}{label}",
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
    fn a_syntax_error_points_a_caret_at_its_span() {
        let text = "SELECT FROM t";
        let error = adql_syntax::parse(text).unwrap_err();
        let rendered = Diagnostic::from_parse(&error).render(text, "query.adql");
        assert!(rendered.starts_with("adql: error: expected"), "{rendered}");
        assert!(rendered.contains(" --> query.adql:1:8\n"), "{rendered}");
        assert!(
            rendered.contains("1 | SELECT FROM t\n  |        ^^^^"),
            "{rendered}"
        );
    }

    #[test]
    fn the_caret_is_clipped_to_its_line_and_at_least_one_wide() {
        let diagnostic = Diagnostic {
            message: "expected a table name, found end of input".into(),
            span: Some(13..13),
            label: "here".into(),
            help: Some("name a table".into()),
            ..Diagnostic::default()
        };
        let rendered = diagnostic.render("SELECT a\nFROM", "q");
        assert_eq!(
            rendered,
            "adql: error: expected a table name, found end of input\n --> q:2:5\n  |\n2 | FROM\n  |     ^ here\n  \
             = help: name a table\n"
        );
        let multi = Diagnostic {
            message: "m".into(),
            span: Some(7..20),
            notes: vec![("a note".into(), Some(0..1)), ("another".into(), None)],
            ..Diagnostic::default()
        };
        let rendered = multi.render("SELECT é_a,\n  b FROM t", "q");
        assert!(
            rendered.contains("1 | SELECT é_a,\n  |        ^^^^\n"),
            "{rendered}"
        );
        assert!(
            rendered.contains("  = note (1:1): a note\n  = note: another\n"),
            "{rendered}"
        );
    }

    #[test]
    fn without_a_position_only_the_message() {
        let rendered = Diagnostic {
            message: "division by zero".into(),
            ..Diagnostic::default()
        }
        .render("SELECT 1/0", "<query>");
        assert_eq!(rendered, "adql: error: division by zero\n");
    }
}
