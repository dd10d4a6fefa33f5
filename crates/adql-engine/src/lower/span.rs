//! Conversions between ADQL byte spans and sqlparser line/column spans.
//!
//! The lowering stamps every sqlparser node it builds with the line and column of the ADQL text it came from,
//! so DataFusion's diagnostics point into the ADQL query; [`SpanMap::to_bytes`] turns them back into byte
//! ranges. Columns count characters, as sqlparser's tokenizer does.

use std::ops::Range;

use adql_syntax::ast;
use datafusion::sql::sqlparser::tokenizer::{Location, Span};

/// Line starts of one ADQL text.
#[derive(Debug, Clone)]
pub(crate) struct SpanMap<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SpanMap<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect::<Vec<_>>();
        Self {
            source,
            line_starts,
        }
    }

    /// The sqlparser location of byte `offset`.
    fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.source.len());
        let line_index = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self
            .line_starts
            .get(line_index)
            .copied()
            .unwrap_or_default();
        let column = self
            .source
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count());
        Location {
            line: line_index as u64 + 1,
            column: column as u64 + 1,
        }
    }

    /// The sqlparser span of an ADQL span (empty for an empty span of a built node).
    pub(crate) fn span(&self, span: ast::Span) -> Span {
        if span.is_empty() && span.start == 0 {
            return Span::empty();
        }
        Span::new(self.location(span.start), self.location(span.end))
    }

    /// The byte range of a sqlparser span, `None` for an empty one.
    #[cfg(test)]
    pub(crate) fn to_bytes(&self, span: Span) -> Option<Range<usize>> {
        self.lines_to_bytes(
            (span.start.line, span.start.column),
            (span.end.line, span.end.column),
        )
    }

    /// The byte range of a DataFusion diagnostic span, `None` for an empty one.
    pub(crate) fn diagnostic_to_bytes(
        &self,
        span: datafusion::common::Span,
    ) -> Option<Range<usize>> {
        self.lines_to_bytes(
            (span.start.line, span.start.column),
            (span.end.line, span.end.column),
        )
    }

    fn lines_to_bytes(&self, start: (u64, u64), end: (u64, u64)) -> Option<Range<usize>> {
        if start.0 == 0 {
            return None;
        }
        let offset = |(line, column): (u64, u64)| {
            crate::error::byte_offset(
                self.source,
                usize::try_from(line).unwrap_or(usize::MAX),
                usize::try_from(column).unwrap_or(usize::MAX),
            )
        };
        let start = offset(start);
        let end = if end.0 == 0 {
            start
        } else {
            offset(end).max(start)
        };
        Some(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_trip_through_line_and_column() {
        let text = "SELECT a,\n  b FROM t";
        let map = SpanMap::new(text);
        let b = text.find('b').unwrap_or_default();
        let span = map.span(ast::Span::new(b, b + 1));
        assert_eq!((span.start.line, span.start.column), (2, 3));
        assert_eq!((span.end.line, span.end.column), (2, 4));
        assert_eq!(map.to_bytes(span), Some(b..b + 1));
        assert_eq!(map.to_bytes(Span::empty()), None);
    }
}
