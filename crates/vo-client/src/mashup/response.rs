//! Mashup JSON answers (`format=json`): status, paging, declared fields and rows, and their
//! conversion to Arrow with the declared types corrected where the data disagree.
//!
//! The declared `type` of a field is a hint: MAST declares `string` for numeric counts and
//! ids, so each column's Arrow type is decided from the values themselves (integers →
//! Int64, other numbers → Float64, booleans → Boolean, anything mixed → Utf8), and from the
//! declared type only when the column holds no value at all. The synthetic `_selected_`
//! column is dropped.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde_json::Value;

/// Field metadata key holding the type MAST declared.
pub const DECLARED_TYPE_KEY: &str = "mashup:type";

/// The job status of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Still running: ask again with the identical request.
    Executing,
    /// Done.
    Complete,
    /// Failed; see the message.
    Error,
    /// Something else (the resolver answers with an empty status).
    Other(String),
}

/// `paging`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paging {
    /// This page (1-based).
    pub page: u64,
    /// Rows per page.
    pub page_size: u64,
    /// Pages in the filtered answer.
    pub pages_filtered: u64,
    /// Rows in this page.
    pub rows: u64,
    /// Rows in the filtered answer.
    pub rows_filtered: u64,
    /// Rows before filtering.
    pub rows_total: u64,
}

/// One declared field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MashupField {
    /// Column name.
    pub name: String,
    /// Declared type (`string`, `int`, `float`, `boolean`, …).
    pub declared_type: String,
}

/// One answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Status.
    pub status: Status,
    /// `msg`.
    pub msg: Option<String>,
    /// `paging`, when present.
    pub paging: Option<Paging>,
    /// `fields`.
    pub fields: Vec<MashupField>,
    /// `data`: one JSON object per row.
    pub data: Vec<Value>,
}

/// The status of a raw answer object.
pub fn status_of(doc: &Value) -> Status {
    match doc.get("status").and_then(Value::as_str).map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("EXECUTING") => Status::Executing,
        Some(s) if s.eq_ignore_ascii_case("COMPLETE") || s.eq_ignore_ascii_case("COMPLETED") => {
            Status::Complete
        }
        Some(s) if s.eq_ignore_ascii_case("ERROR") => Status::Error,
        Some(s) => Status::Other(s.to_owned()),
        None => Status::Other(String::new()),
    }
}

/// Interprets an answer object of the fields/data shape.
pub fn parse_page(doc: Value) -> Result<Page, String> {
    let status = status_of(&doc);
    let Value::Object(mut obj) = doc else {
        return Err("the answer is not a JSON object".to_owned());
    };
    let msg = obj
        .get("msg")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|m| !m.is_empty());
    let paging = obj.get("paging").and_then(Value::as_object).map(|p| {
        let n = |k: &str| p.get(k).and_then(Value::as_u64).unwrap_or(0);
        Paging {
            page: n("page"),
            page_size: n("pageSize"),
            pages_filtered: n("pagesFiltered"),
            rows: n("rows"),
            rows_filtered: n("rowsFiltered"),
            rows_total: n("rowsTotal"),
        }
    });
    let fields = match obj.get("fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|f| {
                let name = f
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or("a field without a name")?;
                Ok(MashupField {
                    name: name.to_owned(),
                    declared_type: f
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("string")
                        .to_owned(),
                })
            })
            .collect::<Result<Vec<_>, &str>>()?,
        Some(_) => return Err("`fields` is not a list".to_owned()),
    };
    let data = match obj.remove("data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(rows)) => rows,
        Some(_) => return Err("`data` is not a list of rows".to_owned()),
    };
    if data.iter().any(|r| !r.is_object()) {
        return Err("a row of `data` is not an object".to_owned());
    }
    Ok(Page {
        status,
        msg,
        paging,
        fields,
        data,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Str,
}

fn declared_kind(declared: &str) -> Kind {
    match declared.trim().to_ascii_lowercase().as_str() {
        "int" | "integer" | "long" | "short" | "unsignedbyte" | "byte" => Kind::Int,
        "float" | "double" | "decimal" | "number" | "real" | "numeric" => Kind::Float,
        "boolean" | "bool" => Kind::Bool,
        _ => Kind::Str,
    }
}

/// Decides a column's Arrow type from its declared type and its values.
fn infer_type<'a>(declared: &str, values: impl Iterator<Item = &'a Value>) -> DataType {
    let (mut ints, mut floats, mut bools, mut strings, mut numeric_strings, mut other) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let mut integral_strings = 0usize;
    for v in values {
        match v {
            Value::Null => {}
            Value::Bool(_) => bools += 1,
            Value::Number(n) => {
                if n.is_i64() {
                    ints += 1;
                } else {
                    floats += 1;
                }
            }
            Value::String(s) => {
                strings += 1;
                let t = s.trim();
                if t.parse::<i64>().is_ok() {
                    integral_strings += 1;
                    numeric_strings += 1;
                } else if t.parse::<f64>().is_ok() {
                    numeric_strings += 1;
                }
            }
            Value::Array(_) | Value::Object(_) => other += 1,
        }
    }
    let declared = declared_kind(declared);
    let numbers = ints + floats;
    let to_type = |k: Kind| match k {
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Str => DataType::Utf8,
    };
    if other > 0 {
        return DataType::Utf8;
    }
    match (numbers > 0, bools > 0, strings > 0) {
        (false, false, false) => to_type(declared),
        (true, false, false) => {
            if floats > 0 || declared == Kind::Float {
                DataType::Float64
            } else {
                DataType::Int64
            }
        }
        (false, true, false) => DataType::Boolean,
        // Strings only: numbers in quotes become numbers only when the service says so.
        (false, false, true) => match declared {
            Kind::Int if integral_strings == strings => DataType::Int64,
            Kind::Int | Kind::Float if numeric_strings == strings => DataType::Float64,
            _ => DataType::Utf8,
        },
        // Numbers mixed with numeric strings stay numeric; any other mixture is text.
        (true, false, true) if numeric_strings == strings && declared != Kind::Str => {
            if floats == 0 && integral_strings == strings && declared == Kind::Int {
                DataType::Int64
            } else {
                DataType::Float64
            }
        }
        _ => DataType::Utf8,
    }
}

/// The Arrow schema of an answer: declared field order, `_selected_` dropped, types from the
/// data.
pub fn infer_schema(fields: &[MashupField], rows: &[Value]) -> SchemaRef {
    let arrow_fields: Vec<Field> = fields
        .iter()
        .filter(|f| f.name != "_selected_")
        .map(|f| {
            let dt = infer_type(
                &f.declared_type,
                rows.iter().map(|r| r.get(&f.name).unwrap_or(&Value::Null)),
            );
            let meta = HashMap::from([(DECLARED_TYPE_KEY.to_owned(), f.declared_type.clone())]);
            Field::new(f.name.clone(), dt, true).with_metadata(meta)
        })
        .collect();
    Arc::new(Schema::new(arrow_fields))
}

/// Converts rows to record batches of at most `batch_size` rows, with `schema`.
pub fn to_batches(
    schema: &SchemaRef,
    rows: &[Value],
    batch_size: usize,
) -> Result<Vec<RecordBatch>, String> {
    let batch_size = batch_size.max(1);
    let utf8_cols: Vec<&str> = schema
        .fields()
        .iter()
        .filter(|f| f.data_type() == &DataType::Utf8)
        .map(|f| f.name().as_str())
        .collect();
    let mut out = Vec::new();
    for chunk in rows.chunks(batch_size) {
        // Nested values in text columns travel as their JSON text.
        let prepared: Vec<Value> = chunk
            .iter()
            .map(|row| {
                let mut row = row.clone();
                if let Value::Object(obj) = &mut row {
                    for name in &utf8_cols {
                        if let Some(v) = obj.get_mut(*name)
                            && (v.is_array() || v.is_object())
                        {
                            *v = Value::String(v.to_string());
                        }
                    }
                }
                row
            })
            .collect();
        let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
            .with_batch_size(chunk.len().max(1))
            .with_coerce_primitive(true)
            .build_decoder()
            .map_err(|e| e.to_string())?;
        decoder.serialize(&prepared).map_err(|e| e.to_string())?;
        if let Some(batch) = decoder.flush().map_err(|e| e.to_string())? {
            out.push(batch);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_follow_the_data() {
        let f = |n: &str, t: &str| MashupField {
            name: n.into(),
            declared_type: t.into(),
        };
        let fields = vec![
            f("count", "string"),
            f("id", "string"),
            f("x", "float"),
            f("name", "string"),
            f("flag", "boolean"),
            f("mixed", "string"),
            f("empty", "int"),
            f("_selected_", "boolean"),
            f("qint", "int"),
        ];
        let rows = vec![
            json!({"count": 599, "id": "a", "x": 1, "name": "n", "flag": true, "mixed": 1, "empty": null, "_selected_": null, "qint": "7"}),
            json!({"count": null, "id": "b", "x": 2.5, "name": null, "flag": null, "mixed": "z", "qint": "8"}),
        ];
        let schema = infer_schema(&fields, &rows);
        let types: Vec<(&str, &DataType)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().as_str(), f.data_type()))
            .collect();
        assert_eq!(
            types,
            vec![
                ("count", &DataType::Int64),
                ("id", &DataType::Utf8),
                ("x", &DataType::Float64),
                ("name", &DataType::Utf8),
                ("flag", &DataType::Boolean),
                ("mixed", &DataType::Utf8),
                ("empty", &DataType::Int64),
                ("qint", &DataType::Int64),
            ]
        );
        let batches = to_batches(&schema, &rows, 1).unwrap();
        assert_eq!(batches.len(), 2);
        let b = &batches[0];
        assert_eq!(
            crate::arrow_util::column_cell(b, "mixed", 0).as_deref(),
            Some("1")
        );
        assert_eq!(
            crate::arrow_util::column_cell(b, "qint", 0).as_deref(),
            Some("7")
        );
        assert_eq!(
            schema
                .field(0)
                .metadata()
                .get(DECLARED_TYPE_KEY)
                .map(String::as_str),
            Some("string")
        );
    }

    #[test]
    fn statuses_and_errors() {
        assert_eq!(
            status_of(&json!({"status": "EXECUTING"})),
            Status::Executing
        );
        let p = parse_page(json!({"status": "ERROR", "msg": "Must be logged in"})).unwrap();
        assert_eq!(p.status, Status::Error);
        assert_eq!(p.msg.as_deref(), Some("Must be logged in"));
        assert!(parse_page(json!({"status": "COMPLETE", "data": [1, 2]})).is_err());
        assert!(parse_page(json!([1])).is_err());
    }

    #[test]
    fn a_later_page_that_does_not_fit_is_an_error() {
        let fields = vec![MashupField {
            name: "n".into(),
            declared_type: "int".into(),
        }];
        let schema = infer_schema(&fields, &[json!({"n": 1})]);
        assert!(to_batches(&schema, &[json!({"n": "not a number"})], 10).is_err());
    }
}
