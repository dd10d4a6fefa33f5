//! Parse errors with spans, expectations, hints and a rustc-style rendering.

use std::fmt::Write as _;

use crate::ast::Span;

/// Why a query could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    message: String,
    label: String,
    span: Span,
    expected: Vec<String>,
    hint: Option<String>,
}

impl ParseError {
    /// A new error at `span`; the label is what the caret line says.
    pub(crate) fn new(message: impl Into<String>, span: Span) -> ParseError {
        let message = message.into();
        ParseError {
            label: String::new(),
            message,
            span,
            expected: Vec::new(),
            hint: None,
        }
    }

    pub(crate) fn with_label(mut self, label: impl Into<String>) -> ParseError {
        self.label = label.into();
        self
    }

    pub(crate) fn with_expected(mut self, expected: Vec<String>) -> ParseError {
        self.expected = expected;
        self
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> ParseError {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn set_hint_if_none(&mut self, hint: Option<String>) {
        if self.hint.is_none() {
            self.hint = hint;
        }
    }

    /// The one-line description, e.g. ``expected an expression, found `FROM` ``.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The bytes of the query the error points at (empty at the end of the input).
    pub fn span(&self) -> Span {
        self.span
    }

    /// What would have been accepted at that point (`FROM`, `an expression`, ...), when known.
    pub fn expected(&self) -> &[String] {
        &self.expected
    }

    /// A suggestion for fixing the query, when the mistake is a common one.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The 1-based line and column (in characters) of the start of the span within `source`.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        line_col(source, self.span.start)
    }

    /// A report in the style of rustc:
    ///
    /// ```text
    /// error: expected an expression, found `FROM`
    ///  --> query.adql:1:8
    ///   |
    /// 1 | SELECT FROM t
    ///   |        ^^^^ expected an expression
    ///   = help: ...
    /// ```
    pub fn render(&self, source: &str, origin: &str) -> String {
        let (line, col) = self.line_col(source);
        let line_text = source.lines().nth(line - 1).unwrap_or_default();
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", self.message);
        let _ = writeln!(out, "{pad}--> {origin}:{line}:{col}");
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line} | {}", line_text.replace('\t', " "));
        // The caret runs under the span, clipped to its first line and at least one character wide.
        let line_start = source
            .get(..self.span.start)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |p| p + 1);
        let line_end = line_start + line_text.len();
        let end = self.span.end.min(line_end).max(self.span.start);
        let width = source
            .get(self.span.start..end)
            .map_or(0, |s| s.chars().count())
            .max(1);
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!(" {}", self.label)
        };
        let _ = writeln!(
            out,
            "{pad} | {}{}{label}",
            " ".repeat(col - 1),
            "^".repeat(width)
        );
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "{pad} = help: {hint}");
        }
        out
    }
}

/// The 1-based line and character column of byte `offset` in `source`.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = source.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "SELECT a\nFROM t\n  WHERE é x";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 9), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(line_col(src, x), (3, 11));
        assert_eq!(line_col(src, 1000), (3, 12));
    }

    #[test]
    fn render_points_a_caret_at_the_span() {
        let e = ParseError::new("expected an expression, found `FROM`", Span::new(7, 11))
            .with_label("expected an expression")
            .with_hint("write a column name");
        let text = e.render("SELECT FROM t", "query.adql");
        assert_eq!(
            text,
            "error: expected an expression, found `FROM`\n --> query.adql:1:8\n  |\n1 | SELECT FROM t\n  |        ^^^^ \
             expected an expression\n  = help: write a column name\n"
        );
    }

    #[test]
    fn render_at_end_of_input_and_on_later_lines() {
        let src = "SELECT a\nFROM";
        let e = ParseError::new(
            "expected a table name, found end of input",
            Span::new(13, 13),
        );
        let text = e.render(src, "q");
        assert!(text.contains(" --> q:2:5\n"), "{text}");
        assert!(text.contains("2 | FROM\n  |     ^\n"), "{text}");
    }
}
