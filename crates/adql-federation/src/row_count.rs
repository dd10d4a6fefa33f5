//! [`RowCount`]: how many rows a remote part has, as far as a probe counted.

/// A number of rows: exact, or a lower bound when counting stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCount {
    /// The rows counted.
    pub rows: u64,
    /// Counting went to the end: `rows` is the number of rows, not a lower bound.
    pub exact: bool,
}

impl RowCount {
    /// Whether the part certainly has more than `limit` rows.
    pub fn exceeds(&self, limit: u64) -> bool {
        self.rows > limit
    }

    /// Whether this count answers "more than `limit`?": an exact count always does, a lower bound only
    /// when it is past the limit.
    pub(crate) fn decides(&self, limit: u64) -> bool {
        self.exact || self.rows > limit
    }
}

impl std::fmt::Display for RowCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.exact {
            write!(f, "{}", self.rows)
        } else {
            write!(f, "at least {}", self.rows)
        }
    }
}
