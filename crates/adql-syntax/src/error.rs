//! Parse errors with spans, labels, expectations and hints (drawn for people by the command line).

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

    /// What the position says when it is shown (`expected an expression`), possibly empty.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A suggestion for fixing the query, when the mistake is a common one.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The 1-based line and column (in characters) of the start of the span within `source`.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        line_column(source, self.span.start)
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `source` (an offset past the end, or
/// inside a character, counts as the last boundary before it).
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
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
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 9), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(line_column(src, x), (3, 11));
        assert_eq!(line_column(src, 1000), (3, 12));
        let e = src.find('é').unwrap();
        assert_eq!(line_column(src, e + 1), line_column(src, e));
    }
}
