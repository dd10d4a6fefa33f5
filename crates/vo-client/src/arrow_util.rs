//! Reading Arrow cells as text, for metadata tables (TAP_SCHEMA) and tests.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

/// The cell at `row` of `array` as text; `None` for null or for a type without a plain
/// text form (lists, structs, …).
pub fn cell_string(array: &dyn Array, row: usize) -> Option<String> {
    if row >= array.len() || array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_owned(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_owned(),
        DataType::Utf8View => array.as_string_view().value(row).to_owned(),
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).to_string(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::Float32 => array.as_primitive::<Float32Type>().value(row).to_string(),
        DataType::Float64 => array.as_primitive::<Float64Type>().value(row).to_string(),
        _ => return None,
    })
}

/// The cell of the column named `column` (case-insensitive) as text.
pub fn column_cell(batch: &RecordBatch, column: &str, row: usize) -> Option<String> {
    let idx = batch
        .schema()
        .fields()
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case(column))?;
    cell_string(batch.column(idx).as_ref(), row)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, StringArray};
    use arrow_schema::{Field, Schema};

    use super::*;

    #[test]
    fn cells() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("A", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        let b = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some("x"), None])),
                Arc::new(Int64Array::from(vec![Some(5), Some(-1)])),
            ],
        )
        .unwrap();
        assert_eq!(column_cell(&b, "a", 0).as_deref(), Some("x"));
        assert_eq!(column_cell(&b, "a", 1), None);
        assert_eq!(column_cell(&b, "N", 1).as_deref(), Some("-1"));
        assert_eq!(column_cell(&b, "n", 7), None);
        assert_eq!(column_cell(&b, "zz", 0), None);
    }
}
