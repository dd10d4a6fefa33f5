//! Arrow → VOTable → Arrow is lossless for every supported type, in BINARY2 and
//! TABLEDATA (property tests), and the writer keeps the column metadata.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::*;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use proptest::prelude::*;
use votable_arrow::{
    QueryStatus, ReaderOptions, Serialization, VOTableReader, WriterOptions, write_votable,
};

/// A canonical rendering of one cell, NaN-safe.
fn canon(a: &dyn Array, i: usize) -> String {
    if a.is_null(i) {
        return "null".into();
    }
    match a.data_type() {
        DataType::Boolean => a.as_boolean().value(i).to_string(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i).to_string(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i).to_string(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::Float32 => format!("{:?}", a.as_primitive::<Float32Type>().value(i).to_bits()),
        DataType::Float64 => format!("{:?}", a.as_primitive::<Float64Type>().value(i).to_bits()),
        DataType::Utf8 => format!("{:?}", a.as_string::<i32>().value(i)),
        DataType::Timestamp(..) => a
            .as_primitive::<TimestampMicrosecondType>()
            .value(i)
            .to_string(),
        DataType::FixedSizeList(..) => {
            let v = a.as_fixed_size_list().value(i);
            format!(
                "[{}]",
                (0..v.len())
                    .map(|k| canon(&v, k))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        DataType::List(..) => {
            let v = a.as_list::<i32>().value(i);
            format!(
                "[{}]",
                (0..v.len())
                    .map(|k| canon(&v, k))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        other => panic!("{other}"),
    }
}

fn item(dt: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", dt, true))
}

#[derive(Debug, Clone)]
enum Col {
    Bool(Vec<Option<bool>>),
    U8(Vec<Option<u8>>),
    I16(Vec<Option<i16>>),
    I32(Vec<Option<i32>>),
    I64(Vec<Option<i64>>),
    F32(Vec<Option<f32>>),
    F64(Vec<Option<f64>>),
    Str(Vec<Option<String>>),
    Ts(Vec<Option<i64>>),
    FixedI32(Vec<Option<[i32; 3]>>),
    VarF64(Vec<Option<Vec<f64>>>),
    VarBool(Vec<Option<Vec<bool>>>),
    Complex(Vec<Option<(f64, f64)>>),
    Point(Vec<Option<(f64, f64)>>),
    Strings(Vec<Option<Vec<String>>>),
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => any::<f64>().prop_filter("finite", |f| f.is_finite()),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-0.0),
    ]
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => any::<f32>().prop_filter("finite", |f| f.is_finite()),
        1 => Just(f32::NAN),
        1 => Just(f32::NEG_INFINITY),
    ]
}

/// Text without NUL (string padding) and, for TABLEDATA, without the characters
/// XML 1.0 cannot carry.
fn text(xml_safe: bool) -> impl Strategy<Value = String> {
    let re = if xml_safe {
        "[a-zA-Zé Γ😀<>&\"'\t\n.-]{1,12}"
    } else {
        "[\\x01-\\x1fa-zé Γ😀<>&]{1,12}"
    };
    proptest::string::string_regex(re).unwrap()
}

/// Columns of `rows` values. For TABLEDATA (`xml_safe`), variable arrays are never
/// empty: an empty TD is null there, so an empty array cannot round-trip.
fn column(rows: usize, xml_safe: bool) -> impl Strategy<Value = Col> {
    let n = rows;
    let min = usize::from(xml_safe);
    prop_oneof![
        prop::collection::vec(prop::option::of(any::<bool>()), n).prop_map(Col::Bool),
        prop::collection::vec(prop::option::of(any::<u8>()), n).prop_map(Col::U8),
        prop::collection::vec(prop::option::of(any::<i16>()), n).prop_map(Col::I16),
        prop::collection::vec(prop::option::of(any::<i32>()), n).prop_map(Col::I32),
        prop::collection::vec(prop::option::of(any::<i64>()), n).prop_map(Col::I64),
        prop::collection::vec(prop::option::of(float32()), n).prop_map(Col::F32),
        prop::collection::vec(prop::option::of(float64()), n).prop_map(Col::F64),
        prop::collection::vec(prop::option::of(text(xml_safe)), n).prop_map(Col::Str),
        prop::collection::vec(
            prop::option::of(-62_135_596_800_000_000i64..253_402_300_799_999_999),
            n
        )
        .prop_map(Col::Ts),
        prop::collection::vec(prop::option::of(any::<[i32; 3]>()), n).prop_map(Col::FixedI32),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(float64(), min..5)),
            n
        )
        .prop_map(Col::VarF64),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(any::<bool>(), min..5)),
            n
        )
        .prop_map(Col::VarBool),
        prop::collection::vec(prop::option::of((float64(), float64())), n).prop_map(Col::Complex),
        prop::collection::vec(prop::option::of((0.0f64..360.0, -90.0f64..90.0)), n)
            .prop_map(Col::Point),
        prop::collection::vec(
            prop::option::of(prop::collection::vec("[a-zA-Z0-9.]{1,5}", 1..4)),
            n
        )
        .prop_map(Col::Strings),
    ]
}

fn md(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn build(col: &Col, name: &str) -> (Field, ArrayRef) {
    let f = |dt: DataType| {
        Field::new(name, dt, true).with_metadata(md(&[("unit", "deg"), ("ucd", "pos.eq.ra")]))
    };
    match col {
        Col::Bool(v) => (
            f(DataType::Boolean),
            Arc::new(arrow_array::BooleanArray::from(v.clone())),
        ),
        Col::U8(v) => (
            f(DataType::UInt8),
            Arc::new(arrow_array::UInt8Array::from(v.clone())),
        ),
        Col::I16(v) => (
            f(DataType::Int16),
            Arc::new(arrow_array::Int16Array::from(v.clone())),
        ),
        Col::I32(v) => (
            f(DataType::Int32),
            Arc::new(arrow_array::Int32Array::from(v.clone())),
        ),
        Col::I64(v) => (
            f(DataType::Int64),
            Arc::new(arrow_array::Int64Array::from(v.clone())),
        ),
        Col::F32(v) => (
            f(DataType::Float32),
            Arc::new(arrow_array::Float32Array::from(v.clone())),
        ),
        Col::F64(v) => (
            f(DataType::Float64),
            Arc::new(arrow_array::Float64Array::from(v.clone())),
        ),
        Col::Str(v) => (
            f(DataType::Utf8),
            Arc::new(arrow_array::StringArray::from(v.clone())),
        ),
        Col::Ts(v) => (
            f(DataType::Timestamp(TimeUnit::Microsecond, None)),
            Arc::new(arrow_array::TimestampMicrosecondArray::from(v.clone())),
        ),
        Col::FixedI32(v) => {
            let mut b =
                FixedSizeListBuilder::new(Int32Builder::new(), 3).with_field(item(DataType::Int32));
            for x in v {
                match x {
                    Some(a) => {
                        b.values().append_slice(a);
                        b.append(true);
                    }
                    None => {
                        b.values().append_slice(&[0, 0, 0]);
                        b.append(false);
                    }
                }
            }
            (
                f(DataType::FixedSizeList(item(DataType::Int32), 3)),
                Arc::new(b.finish()),
            )
        }
        Col::VarF64(v) => {
            let mut b = ListBuilder::new(Float64Builder::new()).with_field(item(DataType::Float64));
            for x in v {
                match x {
                    Some(a) => {
                        b.values().append_slice(a);
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            (
                f(DataType::List(item(DataType::Float64))),
                Arc::new(b.finish()),
            )
        }
        Col::VarBool(v) => {
            let mut b = ListBuilder::new(BooleanBuilder::new()).with_field(item(DataType::Boolean));
            for x in v {
                match x {
                    Some(a) => {
                        b.values().append_slice(a);
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            (
                f(DataType::List(item(DataType::Boolean))),
                Arc::new(b.finish()),
            )
        }
        Col::Complex(v) | Col::Point(v) => {
            let mut b = FixedSizeListBuilder::new(Float64Builder::new(), 2)
                .with_field(item(DataType::Float64));
            for x in v {
                let (re, im) = x.unwrap_or((0.0, 0.0));
                b.values().append_slice(&[re, im]);
                b.append(x.is_some());
            }
            let meta = if matches!(col, Col::Complex(_)) {
                md(&[("votable:datatype", "doubleComplex")])
            } else {
                md(&[("xtype", "point"), ("unit", "deg")])
            };
            (
                Field::new(
                    name,
                    DataType::FixedSizeList(item(DataType::Float64), 2),
                    true,
                )
                .with_metadata(meta),
                Arc::new(b.finish()),
            )
        }
        Col::Strings(v) => {
            let mut b = ListBuilder::new(StringBuilder::new()).with_field(item(DataType::Utf8));
            for x in v {
                match x {
                    Some(a) => {
                        for s in a {
                            b.values().append_value(s);
                        }
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            (
                Field::new(name, DataType::List(item(DataType::Utf8)), true)
                    .with_metadata(md(&[("votable:arraysize", "5x*")])),
                Arc::new(b.finish()),
            )
        }
    }
}

fn batch(cols: &[Col]) -> RecordBatch {
    let (fields, arrays): (Vec<_>, Vec<_>) = cols
        .iter()
        .enumerate()
        .map(|(i, c)| build(c, &format!("c{i}")))
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

fn round_trip(
    b: &RecordBatch,
    serialization: Serialization,
    split: usize,
) -> (SchemaRef, Vec<RecordBatch>) {
    let mut out = Vec::new();
    let opts = WriterOptions {
        serialization,
        query_status: QueryStatus::Overflow,
        ..Default::default()
    };
    // Write in two batches to exercise streaming.
    let split = split.min(b.num_rows());
    let (first, second) = (b.slice(0, split), b.slice(split, b.num_rows() - split));
    write_votable(&mut out, b.schema(), [&first, &second], opts).unwrap();
    let options = ReaderOptions {
        nan_as_null: false,
        batch_size: 1000,
        ..Default::default()
    };
    let mut reader = VOTableReader::new(&out[..], options).unwrap();
    let schema = reader.schema();
    let batches: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(reader.status(), &QueryStatus::Overflow);
    (schema, batches)
}

fn check(original: &RecordBatch, serialization: Serialization, split: usize) {
    let (schema, batches) = round_trip(original, serialization, split);
    let back = arrow_select_concat(&schema, &batches);
    assert_eq!(back.num_rows(), original.num_rows());
    for (c, f) in original.schema().fields().iter().enumerate() {
        let g = schema.field(c);
        assert_eq!(g.data_type(), f.data_type(), "{serialization:?} column {c}");
        for key in ["unit", "ucd", "xtype"] {
            let want = match (key, f.data_type()) {
                // The writer marks timestamps with their DALI xtype.
                ("xtype", DataType::Timestamp(..)) => Some("timestamp"),
                _ => f.metadata().get(key).map(String::as_str),
            };
            assert_eq!(g.metadata().get(key).map(String::as_str), want, "{key}");
        }
        for r in 0..original.num_rows() {
            let want = canon(original.column(c).as_ref(), r);
            let got = canon(back.column(c).as_ref(), r);
            // TABLEDATA cannot tell an empty string from null.
            assert_eq!(
                got,
                want,
                "{serialization:?} row {r} column {c} ({})",
                f.data_type()
            );
        }
    }
}

/// The rows as one batch (the reader is run with a batch size larger than any test).
fn arrow_select_concat(schema: &SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    assert!(batches.len() <= 1);
    batches
        .first()
        .cloned()
        .unwrap_or_else(|| RecordBatch::new_empty(Arc::clone(schema)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn binary2_round_trip(rows in 0usize..20, split in 0usize..20, seed_cols in prop::collection::vec(column(20, false), 1..6)) {
        let cols: Vec<Col> = seed_cols.into_iter().map(|c| truncate(c, rows)).collect();
        check(&batch(&cols), Serialization::Binary2, split);
    }

    #[test]
    fn tabledata_round_trip(rows in 0usize..20, split in 0usize..20, seed_cols in prop::collection::vec(column(20, true), 1..6)) {
        let cols: Vec<Col> = seed_cols.into_iter().map(|c| truncate(c, rows)).collect();
        check(&batch(&cols), Serialization::TableData, split);
    }
}

fn truncate(c: Col, n: usize) -> Col {
    macro_rules! t {
        ($v:expr, $k:path) => {{
            let mut v = $v;
            v.truncate(n);
            $k(v)
        }};
    }
    match c {
        Col::Bool(v) => t!(v, Col::Bool),
        Col::U8(v) => t!(v, Col::U8),
        Col::I16(v) => t!(v, Col::I16),
        Col::I32(v) => t!(v, Col::I32),
        Col::I64(v) => t!(v, Col::I64),
        Col::F32(v) => t!(v, Col::F32),
        Col::F64(v) => t!(v, Col::F64),
        Col::Str(v) => t!(v, Col::Str),
        Col::Ts(v) => t!(v, Col::Ts),
        Col::FixedI32(v) => t!(v, Col::FixedI32),
        Col::VarF64(v) => t!(v, Col::VarF64),
        Col::VarBool(v) => t!(v, Col::VarBool),
        Col::Complex(v) => t!(v, Col::Complex),
        Col::Point(v) => t!(v, Col::Point),
        Col::Strings(v) => t!(v, Col::Strings),
    }
}

#[test]
fn other_arrow_types_are_written_sensibly() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("u16", DataType::UInt16, true),
        Field::new("u32", DataType::UInt32, true),
        Field::new("i8", DataType::Int8, true),
        Field::new("big", DataType::LargeUtf8, true),
        Field::new("d", DataType::Date32, true),
        Field::new("dec", DataType::Decimal128(10, 2), true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(arrow_array::UInt16Array::from(vec![65535])),
            Arc::new(arrow_array::UInt32Array::from(vec![u32::MAX])),
            Arc::new(arrow_array::Int8Array::from(vec![-5])),
            Arc::new(arrow_array::LargeStringArray::from(vec!["x"])),
            Arc::new(arrow_array::Date32Array::from(vec![1])),
            Arc::new(
                arrow_array::Decimal128Array::from(vec![12345])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ],
    )
    .unwrap();
    for s in [Serialization::Binary2, Serialization::TableData] {
        let (schema, batches) = round_trip(&batch, s, 1);
        let b = &batches[0];
        let types: Vec<_> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(types[0], DataType::Int32);
        assert_eq!(types[1], DataType::Int64);
        assert_eq!(types[2], DataType::Int16);
        assert_eq!(types[3], DataType::Utf8);
        assert_eq!(types[4], DataType::Timestamp(TimeUnit::Microsecond, None));
        assert_eq!(types[5], DataType::Float64);
        assert_eq!(b.column(0).as_primitive::<Int32Type>().value(0), 65535);
        assert_eq!(
            b.column(1).as_primitive::<Int64Type>().value(0),
            i64::from(u32::MAX)
        );
        assert_eq!(
            b.column(4)
                .as_primitive::<TimestampMicrosecondType>()
                .value(0),
            86_400_000_000
        );
        assert_eq!(b.column(5).as_primitive::<Float64Type>().value(0), 123.45);
    }
}

#[test]
fn control_characters_give_valid_xml() {
    let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(arrow_array::StringArray::from(vec![
            "a\u{1}b\u{b}c\r\n",
        ]))],
    )
    .unwrap();
    let mut out = Vec::new();
    let opts = WriterOptions {
        serialization: Serialization::TableData,
        ..Default::default()
    };
    write_votable(&mut out, schema, [&batch], opts).unwrap();
    let mut reader = VOTableReader::new(&out[..], ReaderOptions::default()).unwrap();
    let b = reader.next().unwrap().unwrap();
    assert_eq!(
        b.column(0).as_string::<i32>().value(0),
        "a\u{FFFD}b\u{FFFD}c\r\n"
    );
}

#[test]
fn metadata_survives() {
    let field = Field::new("ra", DataType::Float64, true).with_metadata(md(&[
        ("unit", "deg"),
        ("ucd", "pos.eq.ra;meta.main"),
        ("utype", "stc:x"),
        ("description", "Right <ascension> & more"),
        ("votable:width", "10"),
        ("votable:precision", "6"),
        ("votable:coosys.system", "ICRS"),
        ("votable:coosys.epoch", "J2016.0"),
    ]));
    let schema = Arc::new(Schema::new(vec![field]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(arrow_array::Float64Array::from(vec![1.0]))],
    )
    .unwrap();
    let (back, _) = round_trip(&batch, Serialization::Binary2, 0);
    let m = back.field(0).metadata();
    for k in [
        "unit",
        "ucd",
        "utype",
        "description",
        "votable:width",
        "votable:precision",
        "votable:coosys.system",
        "votable:coosys.epoch",
    ] {
        assert_eq!(m.get(k), schema.field(0).metadata().get(k), "{k}");
    }
}

/// DALI's layout: `QUERY_STATUS=OK` first in the RESOURCE, and a second status after the table only when the
/// result was cut (OVERFLOW) or failed; readers take the last one.
#[test]
fn the_status_comes_first_and_an_overflow_after_the_table() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ra", DataType::Float64, true),
        Field::new("flag", DataType::Utf8, true).with_metadata(md(&[("votable:arraysize", "1")])),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(arrow_array::Float64Array::from(vec![1.0])),
            Arc::new(arrow_array::StringArray::from(vec!["a"])),
        ],
    )
    .unwrap();
    for (status, trailer) in [
        (QueryStatus::Ok, None),
        (QueryStatus::Overflow, Some("OVERFLOW")),
    ] {
        let mut out = Vec::new();
        let options = WriterOptions {
            query_status: status.clone(),
            ..WriterOptions::default()
        };
        write_votable(&mut out, Arc::clone(&schema), [&batch], options).unwrap();
        let xml = String::from_utf8(out).unwrap();
        let ok = xml
            .find("<INFO name=\"QUERY_STATUS\" value=\"OK\"/>")
            .unwrap();
        assert!(ok < xml.find("<TABLE").unwrap(), "{xml}");
        assert_eq!(
            xml.matches("QUERY_STATUS").count(),
            1 + usize::from(trailer.is_some())
        );
        if let Some(t) = trailer {
            assert!(xml.find(&format!("value=\"{t}\"")).unwrap() > xml.find("</TABLE>").unwrap());
        }
        // One character: no deprecated arraysize="1".
        assert!(
            xml.contains("<FIELD name=\"flag\" datatype=\"char\""),
            "{xml}"
        );
        assert!(!xml.contains("arraysize=\"1\""), "{xml}");
        let mut reader = VOTableReader::new(xml.as_bytes(), ReaderOptions::default()).unwrap();
        let back: Vec<RecordBatch> = reader.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(back[0].column(1).as_string::<i32>().value(0), "a");
        assert_eq!(reader.status(), &status);
    }
}

#[test]
fn an_error_document_carries_the_message_and_no_table() {
    let doc =
        votable_arrow::write_error_document(Vec::new(), "line 1, column 8: <oops> & more").unwrap();
    let xml = String::from_utf8(doc).unwrap();
    assert!(!xml.contains("<TABLE"));
    let err = VOTableReader::new(xml.as_bytes(), ReaderOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("line 1, column 8: <oops> & more"),
        "{err}"
    );
}
