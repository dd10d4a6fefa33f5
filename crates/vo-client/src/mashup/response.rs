//! Mashup JSON answers (`format=json`): status, paging, declared fields and rows, and their
//! conversion to Arrow with the declared types corrected where the data disagree.
//!
//! The declared `type` of a field is a hint: MAST declares `string` for numeric counts and
//! ids, so each column's Arrow type is decided from the values themselves (integers →
//! Int64, other numbers → Float64, booleans → Boolean, anything mixed → Utf8), and from the
//! declared type only when the column holds no value at all. The synthetic `_selected_`
//! column is dropped.
//!
//! An answer of several pages gets the type the values of *all* pages call for: each page is
//! converted with its own types, the value counts ([`ColumnStats`]) are added up, and every
//! batch is widened to the common type ([`widen_batch`]). A column that is all null on page 1
//! and holds floats on page 2 is therefore Float64, and one holding integers on page 1 and
//! `1.5` on page 2 is Float64 throughout.

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

/// What the values of one column look like: counts by JSON kind. Counts of several pages add
/// up ([`ColumnStats::merge`]), so the type decided from the merged counts is the one the whole
/// answer would have been given in a single page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnStats {
    ints: usize,
    floats: usize,
    bools: usize,
    strings: usize,
    numeric_strings: usize,
    integral_strings: usize,
    nested: usize,
}

impl ColumnStats {
    /// Counts one value.
    pub fn observe(&mut self, v: &Value) {
        match v {
            Value::Null => {}
            Value::Bool(_) => self.bools += 1,
            Value::Number(n) => {
                if n.is_i64() {
                    self.ints += 1;
                } else {
                    self.floats += 1;
                }
            }
            Value::String(s) => {
                self.strings += 1;
                let t = s.trim();
                if t.parse::<i64>().is_ok() {
                    self.integral_strings += 1;
                    self.numeric_strings += 1;
                } else if t.parse::<f64>().is_ok() {
                    self.numeric_strings += 1;
                }
            }
            Value::Array(_) | Value::Object(_) => self.nested += 1,
        }
    }

    /// Adds the counts of another page.
    pub fn merge(&mut self, other: &ColumnStats) {
        self.ints += other.ints;
        self.floats += other.floats;
        self.bools += other.bools;
        self.strings += other.strings;
        self.numeric_strings += other.numeric_strings;
        self.integral_strings += other.integral_strings;
        self.nested += other.nested;
    }

    /// The Arrow type of a column with these values and this declared type.
    ///
    /// The types form a chain of widenings: no value at all → the declared type; integers →
    /// Int64; integers and other numbers → Float64; booleans alone → Boolean; any other
    /// mixture (booleans with numbers, text that is not a number, nested values) → Utf8.
    /// Numbers in quotes count as numbers only when the service declares a numeric type.
    pub fn data_type(&self, declared: &str) -> DataType {
        let declared = declared_kind(declared);
        let numbers = self.ints + self.floats;
        let to_type = |k: Kind| match k {
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Str => DataType::Utf8,
        };
        if self.nested > 0 {
            return DataType::Utf8;
        }
        match (numbers > 0, self.bools > 0, self.strings > 0) {
            (false, false, false) => to_type(declared),
            (true, false, false) => {
                if self.floats > 0 || declared == Kind::Float {
                    DataType::Float64
                } else {
                    DataType::Int64
                }
            }
            (false, true, false) => DataType::Boolean,
            // Strings only: numbers in quotes become numbers only when the service says so.
            (false, false, true) => match declared {
                Kind::Int if self.integral_strings == self.strings => DataType::Int64,
                Kind::Int | Kind::Float if self.numeric_strings == self.strings => {
                    DataType::Float64
                }
                _ => DataType::Utf8,
            },
            // Numbers mixed with numeric strings stay numeric; any other mixture is text.
            (true, false, true)
                if self.numeric_strings == self.strings && declared != Kind::Str =>
            {
                if self.floats == 0
                    && self.integral_strings == self.strings
                    && declared == Kind::Int
                {
                    DataType::Int64
                } else {
                    DataType::Float64
                }
            }
            _ => DataType::Utf8,
        }
    }
}

/// The fields that become columns (`_selected_` dropped), in declared order.
fn columns(fields: &[MashupField]) -> impl Iterator<Item = &MashupField> {
    fields.iter().filter(|f| f.name != "_selected_")
}

/// The value counts of every column of `rows` (one entry per column of [`infer_schema`]).
pub fn column_stats(fields: &[MashupField], rows: &[Value]) -> Vec<ColumnStats> {
    columns(fields)
        .map(|f| {
            let mut stats = ColumnStats::default();
            for r in rows {
                stats.observe(r.get(&f.name).unwrap_or(&Value::Null));
            }
            stats
        })
        .collect()
}

/// The Arrow schema for `fields` whose values are described by `stats` (from
/// [`column_stats`], possibly merged over several pages).
pub fn schema_from_stats(fields: &[MashupField], stats: &[ColumnStats]) -> SchemaRef {
    let arrow_fields: Vec<Field> = columns(fields)
        .zip(
            stats
                .iter()
                .copied()
                .chain(std::iter::repeat(ColumnStats::default())),
        )
        .map(|(f, st)| {
            let meta = HashMap::from([(DECLARED_TYPE_KEY.to_owned(), f.declared_type.clone())]);
            Field::new(f.name.clone(), st.data_type(&f.declared_type), true).with_metadata(meta)
        })
        .collect();
    Arc::new(Schema::new(arrow_fields))
}

/// The Arrow schema of an answer: declared field order, `_selected_` dropped, types from the
/// data.
pub fn infer_schema(fields: &[MashupField], rows: &[Value]) -> SchemaRef {
    schema_from_stats(fields, &column_stats(fields, rows))
}

/// Casts a batch converted with one page's schema to the schema of the whole answer, whose
/// types are the same or wider (Int64 → Float64, anything → Utf8, a column without values →
/// anything). A cast that would lose a value is an error, never a null.
pub fn widen_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, String> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let options = arrow_cast::CastOptions {
        safe: false,
        ..arrow_cast::CastOptions::default()
    };
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            arrow_cast::cast_with_options(column, field.data_type(), &options).map_err(|e| {
                format!(
                    "column {}: cannot widen {} to {}: {e}",
                    field.name(),
                    column.data_type(),
                    field.data_type()
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
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

    /// Converts pages the way `MastClient::query` does: each with its own types, then widened
    /// to the types of all pages together.
    fn combine(fields: &[MashupField], pages: &[Vec<Value>]) -> (SchemaRef, Vec<RecordBatch>) {
        let mut total = vec![ColumnStats::default(); columns(fields).count()];
        let mut parts = Vec::new();
        for rows in pages {
            let stats = column_stats(fields, rows);
            for (t, s) in total.iter_mut().zip(&stats) {
                t.merge(s);
            }
            parts.push(to_batches(&schema_from_stats(fields, &stats), rows, 100).unwrap());
        }
        let schema = schema_from_stats(fields, &total);
        let batches = parts
            .iter()
            .flatten()
            .map(|b| widen_batch(b, &schema).unwrap())
            .collect();
        (schema, batches)
    }

    #[test]
    fn types_are_reconciled_across_pages() {
        let f = |n: &str, t: &str| MashupField {
            name: n.into(),
            declared_type: t.into(),
        };
        let fields = vec![
            f("late_float", "string"),
            f("int_then_float", "int"),
            f("bool_then_text", "boolean"),
            f("int_then_null", "string"),
            f("quoted_then_text", "int"),
        ];
        let page1 = vec![
            json!({"late_float": null, "int_then_float": 1, "bool_then_text": true, "int_then_null": 5, "quoted_then_text": "7"}),
            json!({"late_float": null, "int_then_float": 2, "bool_then_text": false, "int_then_null": 6, "quoted_then_text": "8"}),
        ];
        let page2 = vec![
            json!({"late_float": 2.5, "int_then_float": 1.5, "bool_then_text": "maybe", "int_then_null": null, "quoted_then_text": "n/a"}),
        ];
        let (schema, batches) = combine(&fields, &[page1.clone(), page2.clone()]);
        let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
        assert_eq!(
            types,
            [
                &DataType::Float64,
                &DataType::Float64,
                &DataType::Utf8,
                &DataType::Int64,
                &DataType::Utf8
            ]
        );
        // The same types as if the answer had come in one page.
        let single = infer_schema(&fields, &[page1, page2].concat());
        assert_eq!(schema.fields(), single.fields());
        assert_eq!(batches.len(), 2);
        let cell = |b: usize, c: &str, r: usize| crate::arrow_util::column_cell(&batches[b], c, r);
        assert_eq!(cell(0, "late_float", 0), None);
        assert_eq!(cell(1, "late_float", 0).as_deref(), Some("2.5"));
        assert_eq!(cell(0, "int_then_float", 1).as_deref(), Some("2"));
        assert_eq!(cell(1, "int_then_float", 0).as_deref(), Some("1.5"));
        assert_eq!(cell(0, "bool_then_text", 0).as_deref(), Some("true"));
        assert_eq!(cell(1, "bool_then_text", 0).as_deref(), Some("maybe"));
        assert_eq!(cell(0, "int_then_null", 1).as_deref(), Some("6"));
        assert_eq!(cell(1, "int_then_null", 0), None);
        assert_eq!(cell(0, "quoted_then_text", 0).as_deref(), Some("7"));
        assert_eq!(cell(1, "quoted_then_text", 0).as_deref(), Some("n/a"));
        // Declared types stay in the metadata.
        assert_eq!(
            schema
                .field(1)
                .metadata()
                .get(DECLARED_TYPE_KEY)
                .map(String::as_str),
            Some("int")
        );
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
