//! Compares our reading of every VOTable fixture with astropy's (tests/astropy_dump.py).
//!
//! Conventions reconciled explicitly:
//! * a null of ours equals astropy's NaN (we turn scalar NaN into null), an empty
//!   or blank string (TABLEDATA/BINARY have no other string null) or an empty array (an empty TD of
//!   an array column is null for us, an empty array for astropy);
//! * inside arrays a null element of ours equals astropy's NaN or masked element;
//! * floats compare with a relative tolerance of 1e-9 (both sides hold the same binary
//!   value, the tolerance only absorbs JSON printing);
//! * trailing spaces of fixed-length strings are padding for us, kept by astropy;
//! * timestamps (`xtype="timestamp"`) compare after parsing astropy's string;
//! * files astropy refuses (2-D `char` arrays such as `14x3`) are only checked on our
//!   side, with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use serde_json::{Value, json};
use votable_arrow::timestamp::{format_timestamp, parse_timestamp};
use votable_arrow::{ReaderOptions, TableSelector, VOTableReader};

fn float(v: f64) -> Value {
    if v.is_nan() {
        json!("NaN")
    } else if v.is_infinite() {
        json!(if v > 0.0 { "Inf" } else { "-Inf" })
    } else {
        json!(v)
    }
}

/// Our cell as JSON, in the form of astropy_dump.py.
fn cell(a: &ArrayRef, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Boolean => json!(a.as_boolean().value(i)),
        DataType::UInt8 => json!(a.as_primitive::<UInt8Type>().value(i)),
        DataType::Int16 => json!(a.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => json!(a.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => json!(a.as_primitive::<Int64Type>().value(i)),
        DataType::Float32 => float(f64::from(a.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 => json!(a.as_string::<i32>().value(i)),
        DataType::Timestamp(..) => {
            json!(format_timestamp(
                a.as_primitive::<TimestampMicrosecondType>().value(i)
            ))
        }
        DataType::FixedSizeList(..) => {
            let v = a.as_fixed_size_list().value(i);
            Value::Array((0..v.len()).map(|k| cell(&v, k)).collect())
        }
        DataType::List(..) => {
            let v = a.as_list::<i32>().value(i);
            Value::Array((0..v.len()).map(|k| cell(&v, k)).collect())
        }
        other => panic!("unexpected type {other}"),
    }
}

fn is_nullish(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim_end_matches(' ').is_empty() || s == "NaN",
        Value::Array(a) => a.iter().all(is_nullish),
        _ => false,
    }
}

fn same(ours: &Value, theirs: &Value, timestamp: bool) -> bool {
    if ours == theirs {
        return true;
    }
    match (ours, theirs) {
        (Value::Null, t) => is_nullish(t),
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
        }
        (Value::String(a), Value::String(b)) if timestamp => {
            parse_timestamp(a).is_some() && parse_timestamp(a) == parse_timestamp(b)
        }
        // We trim the space padding of fixed-length strings; astropy keeps it.
        (Value::String(a), Value::String(b)) => a == b.trim_end_matches(' '),
        // A complex scalar: astropy gives [re, im] too.
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y, timestamp))
        }
        _ => false,
    }
}

fn astropy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import astropy.io.votable"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn compare(path: &Path, theirs: &Value) -> Result<usize, String> {
    let name = path.display();
    let reader = VOTableReader::new(
        BufReader::new(File::open(path).unwrap()),
        ReaderOptions::default().with_table(TableSelector::Index(0)),
    );
    if theirs.get("no_table").is_some() {
        assert!(reader.is_err(), "{name}: astropy finds no table, we do");
        return Ok(0);
    }
    let reader = reader.map_err(|e| format!("{name}: {e}"))?;
    let schema = reader.schema();
    let batches: Vec<_> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{name}: {e}"))?;
    if let Some(msg) = theirs.get("unreadable") {
        eprintln!("{name}: astropy cannot read it ({msg}); checked on our side only");
        return Ok(0);
    }
    let nrows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(
        nrows as u64,
        theirs["nrows"].as_u64().unwrap(),
        "{name}: rows"
    );
    let cols = theirs["columns"].as_array().unwrap();
    assert_eq!(cols.len(), schema.fields().len(), "{name}: columns");
    let mut cells = 0;
    for (c, field) in schema.fields().iter().enumerate() {
        let timestamp = matches!(field.data_type(), DataType::Timestamp(..));
        let mut row = 0;
        for b in &batches {
            let a = b.column(c);
            for i in 0..b.num_rows() {
                let ours = cell(a, i);
                let t = &cols[c][row];
                if !same(&ours, t, timestamp) {
                    return Err(format!(
                        "{name}: row {row} column {:?}: ours {ours} astropy {t}",
                        field.name()
                    ));
                }
                row += 1;
                cells += 1;
            }
        }
    }
    Ok(cells)
}

#[test]
fn agrees_with_astropy() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    if !astropy_available() {
        eprintln!("skipping: astropy is not importable by python3");
        return;
    }
    let script = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/astropy_dump.py"
    ));
    let files = common::votable_fixtures(&dir);
    let out = Command::new("python3")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    let dumps: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "astropy dump: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut failures = Vec::new();
    let mut cells = 0;
    for path in files {
        let theirs = &dumps[path.to_str().unwrap()];
        match compare(&path, theirs) {
            Ok(n) => cells += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cells > 20_000, "compared only {cells} cells");
}
