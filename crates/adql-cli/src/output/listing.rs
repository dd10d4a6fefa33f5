//! Listings that are not query results (`adql jobs`, `adql tables`, the shell's `\d`) as record batches, so
//! that they are written like any result.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::{Error, Result};

/// A text on one line: runs of white space (line breaks included) become one space; an empty text is `None`.
pub(crate) fn one_line(text: Option<&str>) -> Option<String> {
    let text = text?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// A batch of text columns called `names`, one vector of values per column; an absent value is NULL (shown
/// as such), not an empty string.
pub(crate) fn text_batch(names: &[&str], columns: Vec<Vec<Option<String>>>) -> Result<RecordBatch> {
    let schema = Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let arrays = columns
        .into_iter()
        .map(|c| Arc::new(StringArray::from(c)) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(schema), arrays)
        .map_err(|e| Error::Output(std::io::Error::other(e)))
}
