//! Reader configuration: batch size, table selection and the limits that keep hostile
//! input from exhausting memory.

/// Which TABLE of the document [`crate::VOTableReader`] decodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TableSelector {
    /// The first TABLE that is not inside a `RESOURCE type="meta"` (a RESOURCE without
    /// `type` is a results resource, as the standard says). Tables of meta resources are
    /// skipped while streaming; when the document has no other table none is selected.
    #[default]
    FirstResult,
    /// The n-th TABLE of the document (zero-based, document order, any resource type).
    Index(usize),
    /// The first TABLE whose `name` or `ID` equals the string.
    Name(String),
}

/// Limits applied while reading. Every limit turns into [`crate::Error::LimitExceeded`]
/// (or a field error for array sizes) rather than unbounded allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum element nesting depth of the XML document.
    pub max_depth: usize,
    /// Maximum size in bytes of one XML event outside the table data (a start tag, a text
    /// node such as a DESCRIPTION or an INFO body).
    pub max_event_bytes: u64,
    /// Maximum number of FIELDs in one table.
    pub max_fields: usize,
    /// Maximum number of INFO, PARAM, COOSYS and TIMESYS elements kept for the document.
    pub max_metadata_items: usize,
    /// Maximum number of primitive elements in one array cell, whether declared by a
    /// fixed `arraysize` or announced by a BINARY length prefix.
    pub max_array_elements: usize,
    /// Maximum size in bytes of one table row in its serialised form (TABLEDATA text or
    /// decoded BINARY bytes).
    pub max_row_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_event_bytes: 64 << 20,
            max_fields: 65_536,
            max_metadata_items: 100_000,
            max_array_elements: 1 << 24,
            max_row_bytes: 256 << 20,
        }
    }
}

/// Options of [`crate::VOTableReader`] and [`crate::AsyncVOTableReader`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Maximum number of rows of one record batch (default 8192). Zero is treated as one.
    pub batch_size: usize,
    /// Which table to decode.
    pub table: TableSelector,
    /// When true (the default), a scalar `float`/`double` (and complex) cell holding NaN
    /// becomes an Arrow null: NaN is the null value of floating-point VOTable columns, and
    /// BINARY has no other way to say null. Elements inside arrays keep their NaN.
    /// Set to false to keep NaN as a value (then only empty TD, the BINARY2 null flag and
    /// `VALUES null` make nulls).
    pub nan_as_null: bool,
    /// Hostile-input limits.
    pub limits: Limits,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            batch_size: 8192,
            table: TableSelector::default(),
            nan_as_null: true,
            limits: Limits::default(),
        }
    }
}

impl ReaderOptions {
    /// Returns the options with another batch size.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Returns the options with another table selection.
    pub fn with_table(mut self, table: TableSelector) -> Self {
        self.table = table;
        self
    }
}
