//! Array-valued columns as text, for the formats whose Arrow writers cannot write lists (CSV, the table).
//!
//! The geometry types POINT, CIRCLE and POLYGON, and any VOTable array, are written the DALI way: their
//! elements separated by single spaces (`"10.5 -3.25"` for a point).

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::error::{OutputError, arrow_err};

/// The schema [`text_compatible`] produces for `schema`.
pub(crate) fn text_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if is_array_type(f.data_type()) {
                Field::new(f.name(), DataType::Utf8, true).with_metadata(f.metadata().clone())
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn is_array_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

/// Turns array-valued columns into DALI text (elements separated by spaces), leaving other columns
/// untouched, for the formats whose Arrow writers cannot write lists.
pub fn text_compatible(batch: &RecordBatch) -> Result<RecordBatch, OutputError> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| is_array_type(f.data_type()))
    {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(|column| match column.data_type() {
            DataType::List(_) => dali_text(column.as_list::<i32>()),
            DataType::LargeList(_) => dali_text(column.as_list::<i64>()),
            DataType::FixedSizeList(_, _) => {
                let list = column.as_fixed_size_list();
                let formatter = element_formatter(list.values().as_ref())?;
                let mut builder = StringBuilder::with_capacity(list.len(), list.len() * 16);
                let size = usize::try_from(list.value_length()).unwrap_or(0);
                for row in 0..list.len() {
                    if list.is_null(row) {
                        builder.append_null();
                    } else {
                        builder.append_value(join_elements(&formatter, row * size, size));
                    }
                }
                Ok(Arc::new(builder.finish()) as ArrayRef)
            }
            _ => Ok(Arc::clone(column)),
        })
        .collect::<Result<Vec<_>, OutputError>>()?;
    RecordBatch::try_new(text_schema(&batch.schema()), columns).map_err(arrow_err("text"))
}

fn element_formatter(values: &dyn Array) -> Result<ArrayFormatter<'_>, OutputError> {
    ArrayFormatter::try_new(values, &FormatOptions::default().with_null("NaN"))
        .map_err(arrow_err("text"))
}

fn join_elements(formatter: &ArrayFormatter<'_>, start: usize, len: usize) -> String {
    let mut text = String::new();
    for i in start..start + len {
        if i > start {
            text.push(' ');
        }
        // Writing into a String cannot fail.
        let _ = write!(text, "{}", formatter.value(i));
    }
    text
}

fn dali_text<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> Result<ArrayRef, OutputError> {
    let formatter = element_formatter(list.values().as_ref())?;
    let offsets = list.value_offsets();
    let mut builder = StringBuilder::with_capacity(list.len(), list.len() * 16);
    for row in 0..list.len() {
        if list.is_null(row) {
            builder.append_null();
            continue;
        }
        let start = offsets[row].as_usize();
        let end = offsets[row + 1].as_usize();
        builder.append_value(join_elements(&formatter, start, end - start));
    }
    Ok(Arc::new(builder.finish()))
}
