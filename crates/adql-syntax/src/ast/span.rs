//! Byte spans into the parsed text.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::ops::Range;

/// A half-open range of byte offsets `start..end` into the text a node was parsed from.
///
/// Trees built by hand carry [`Span::EMPTY`]. Like sqlparser's `AttachedToken`, a span never takes part in
/// equality, ordering or hashing: two trees that differ only in where they came from compare equal, which is
/// what round-trip tests and the planner's structural comparisons need. Compare [`Span::range`] to compare
/// positions.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span of a node that was not parsed from text.
    pub const EMPTY: Span = Span { start: 0, end: 0 };

    /// A span from `start` to `end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Whether this is the empty span of a built node.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The byte range, for slicing the source text.
    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The smallest span covering both; an empty span is ignored.
    pub fn union(self, other: Span) -> Span {
        if self.is_empty() {
            other
        } else if other.is_empty() {
            self
        } else {
            Span::new(self.start.min(other.start), self.end.max(other.end))
        }
    }
}

impl PartialEq for Span {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for Span {}

impl PartialOrd for Span {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Span {
    fn cmp(&self, _other: &Self) -> Ordering {
        Ordering::Equal
    }
}

impl Hash for Span {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

/// A syntax-tree node that knows where it came from.
pub trait Spanned {
    /// The node's span ([`Span::EMPTY`] for a built node).
    fn span(&self) -> Span;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn spans_never_affect_equality() {
        assert_eq!(Span::new(1, 4), Span::new(7, 9));
        assert_eq!(Span::new(1, 4).range(), 1..4);
        assert_eq!(Span::new(1, 4).union(Span::new(6, 9)).range(), 1..9);
        assert_eq!(Span::EMPTY.union(Span::new(6, 9)).range(), 6..9);
    }
}
