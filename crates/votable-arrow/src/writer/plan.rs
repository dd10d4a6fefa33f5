//! How each Arrow field is written: VOTable datatype, arraysize, shape, FIELD attributes.
//!
//! Decided once from the schema, when the writer is made.

use std::collections::HashMap;

use arrow_schema::{DataType, Field, TimeUnit};

use crate::datatype::{ArraySize, Datatype, keys};
use crate::error::{Error, Result};

/// Shape of a written column.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Shape {
    /// One value.
    Scalar,
    /// One complex value (two components).
    Complex,
    /// Fixed array of n elements (complex elements count once).
    Fixed(usize),
    /// Variable array; the BINARY prefix counts `unit` elements per item.
    Var { unit: usize },
    /// A string; fixed length in characters or variable.
    Str { fixed: Option<usize> },
    /// Strings of `width` characters; `count` fixed or variable.
    StrArray { width: usize, count: Option<usize> },
}

/// How one column is written.
#[derive(Debug)]
pub(super) struct Plan {
    /// The FIELD `name`.
    pub(super) name: String,
    /// The FIELD `datatype`.
    pub(super) datatype: Datatype,
    /// The FIELD `arraysize`, if any.
    pub(super) arraysize: Option<String>,
    /// How the cells are laid out.
    pub(super) shape: Shape,
    /// The Arrow type the column is cast to before writing (leaf type for lists).
    pub(super) target: DataType,
    /// Dates and timestamps, written as ISO 8601 text.
    pub(super) timestamp: bool,
    /// The FIELD `xtype`, if any.
    pub(super) xtype: Option<String>,
    /// Further FIELD attributes (`unit`, `ucd`, `utype`, `width`, `precision`).
    pub(super) attrs: Vec<(&'static str, String)>,
    /// The FIELD `DESCRIPTION`.
    pub(super) description: Option<String>,
    /// The `VALUES null` of an integer scalar.
    pub(super) null: Option<String>,
    /// The coordinate system the FIELD refers to.
    pub(super) coosys: Option<CooSysKey>,
}

/// A coordinate system from field metadata: system, then equinox and epoch.
pub(super) type CooSysKey = (String, [Option<String>; 3]);

/// The VOTable datatype of a leaf Arrow type, the Arrow type its values are cast to, and
/// whether they are written as timestamps.
fn leaf_datatype(
    dt: &DataType,
    md: &HashMap<String, String>,
    column: &str,
) -> Result<(Datatype, DataType, bool)> {
    let declared = md.get(keys::DATATYPE).and_then(|d| Datatype::parse(d));
    let err = || Error::Write {
        column: column.to_owned(),
        message: format!("no VOTable type for Arrow type {dt}"),
    };
    Ok(match dt {
        DataType::Boolean => {
            if declared == Some(Datatype::Bit) {
                (Datatype::Bit, DataType::Boolean, false)
            } else {
                (Datatype::Boolean, DataType::Boolean, false)
            }
        }
        DataType::UInt8 => (Datatype::UnsignedByte, DataType::UInt8, false),
        DataType::Int8 | DataType::Int16 => (Datatype::Short, DataType::Int16, false),
        DataType::UInt16 | DataType::Int32 => (Datatype::Int, DataType::Int32, false),
        DataType::UInt32 | DataType::Int64 | DataType::UInt64 => {
            (Datatype::Long, DataType::Int64, false)
        }
        DataType::Float16 | DataType::Float32 => (Datatype::Float, DataType::Float32, false),
        DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => (Datatype::Double, DataType::Float64, false),
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => (
            Datatype::Char,
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            let d = if declared == Some(Datatype::UnicodeChar) {
                Datatype::UnicodeChar
            } else {
                Datatype::Char
            };
            (d, DataType::Utf8, false)
        }
        other if arrow_cast::can_cast_types(other, &DataType::Utf8) && !other.is_nested() => {
            (Datatype::Char, DataType::Utf8, false)
        }
        _ => return Err(err()),
    })
}

/// How `field` is written; an error names it when it has no VOTable form.
/// How a column is declared when written as VOTable: what VOSI `/tables` and `TAP_SCHEMA.columns` say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredType {
    /// The FIELD `datatype`.
    pub datatype: Datatype,
    /// The FIELD `arraysize`, if any.
    pub arraysize: Option<String>,
    /// The FIELD `xtype`, if any.
    pub xtype: Option<String>,
}

/// The VOTable declaration [`VOTableWriter`](super::VOTableWriter) writes for `field`.
///
/// # Errors
/// The field's Arrow type has no VOTable form.
pub fn declared_type(field: &Field) -> Result<DeclaredType> {
    let plan = plan_for(field)?;
    Ok(DeclaredType {
        datatype: plan.datatype,
        arraysize: plan.arraysize,
        xtype: plan.xtype,
    })
}

pub(super) fn plan_for(field: &Field) -> Result<Plan> {
    let md = field.metadata();
    let name = field.name().clone();
    let declared_size = md.get(keys::ARRAYSIZE).cloned();
    let declared_type = md.get(keys::DATATYPE).and_then(|d| Datatype::parse(d));
    let parsed = declared_size
        .as_deref()
        .and_then(|s| ArraySize::parse(s, usize::MAX).ok());
    let is_complex_decl = matches!(
        declared_type,
        Some(Datatype::FloatComplex | Datatype::DoubleComplex)
    );
    let mut xtype = md.get(keys::XTYPE).cloned();
    let (datatype, target, shape, timestamp, arraysize);
    let complex_of = |dt: &DataType| -> Option<Datatype> {
        match dt {
            DataType::FixedSizeList(item, 2) => match item.data_type() {
                DataType::Float32 => Some(Datatype::FloatComplex),
                DataType::Float64 => Some(Datatype::DoubleComplex),
                _ => None,
            },
            _ => None,
        }
    };
    match field.data_type() {
        dt @ DataType::FixedSizeList(item, n) => {
            let n = usize::try_from(*n).unwrap_or(0);
            if let (true, Some(c)) = (is_complex_decl, complex_of(dt)) {
                // A complex scalar.
                datatype = c;
                target = item.data_type().clone();
                shape = Shape::Complex;
                timestamp = false;
                arraysize = None;
            } else if let (true, Some(c)) = (is_complex_decl, complex_of(item.data_type())) {
                let DataType::FixedSizeList(inner, _) = item.data_type() else {
                    return Err(inconsistent(&name));
                };
                datatype = c;
                target = inner.data_type().clone();
                shape = Shape::Fixed(n);
                timestamp = false;
                arraysize = Some(fixed_size_attr(
                    parsed.as_ref(),
                    declared_size.as_deref(),
                    n,
                ));
            } else {
                let (d, t, ts) = leaf_datatype(item.data_type(), md, &name)?;
                if ts || matches!(d, Datatype::Char | Datatype::UnicodeChar) {
                    return Err(Error::Write {
                        column: name,
                        message: "fixed-size lists of strings or timestamps are not supported"
                            .into(),
                    });
                }
                datatype = d;
                target = t;
                shape = Shape::Fixed(n);
                timestamp = false;
                arraysize = Some(fixed_size_attr(
                    parsed.as_ref(),
                    declared_size.as_deref(),
                    n,
                ));
            }
        }
        DataType::List(item)
        | DataType::LargeList(item)
        | DataType::ListView(item)
        | DataType::LargeListView(item) => {
            let complex = if is_complex_decl {
                complex_of(item.data_type())
            } else {
                None
            };
            if let Some(c) = complex {
                let DataType::FixedSizeList(inner, _) = item.data_type() else {
                    return Err(inconsistent(&name));
                };
                datatype = c;
                target = inner.data_type().clone();
                timestamp = false;
                let unit = parsed
                    .as_ref()
                    .filter(|p| p.variable.is_some())
                    .map_or(1, ArraySize::fixed_product);
                shape = Shape::Var { unit: unit.max(1) };
                arraysize = Some(var_size_attr(parsed.as_ref(), declared_size.as_deref()));
            } else {
                let (d, t, ts) = leaf_datatype(item.data_type(), md, &name)?;
                if ts {
                    return Err(Error::Write {
                        column: name,
                        message: "lists of timestamps are not supported".into(),
                    });
                }
                if matches!(d, Datatype::Char | Datatype::UnicodeChar) {
                    let Some(p) = parsed.as_ref().filter(|p| {
                        !p.fixed.is_empty() && (p.fixed.len() > 1 || p.variable.is_some())
                    }) else {
                        return Err(Error::Write {
                            column: name,
                            message: "a list of strings needs a two-dimensional votable:arraysize (such as 14x*) in its metadata".into(),
                        });
                    };
                    let width = p.fixed.first().copied().unwrap_or(1).max(1);
                    let rest: usize = p.fixed.iter().skip(1).product();
                    let count = if p.variable.is_some() {
                        None
                    } else {
                        Some(rest)
                    };
                    datatype = d;
                    target = DataType::Utf8;
                    shape = Shape::StrArray { width, count };
                    timestamp = false;
                    arraysize = declared_size.clone();
                } else {
                    datatype = d;
                    target = t;
                    let unit = parsed
                        .as_ref()
                        .filter(|p| p.variable.is_some())
                        .map_or(1, ArraySize::fixed_product);
                    shape = Shape::Var { unit: unit.max(1) };
                    timestamp = false;
                    arraysize = Some(var_size_attr(parsed.as_ref(), declared_size.as_deref()));
                }
            }
        }
        other => {
            let (d, t, ts) = leaf_datatype(other, md, &name)?;
            datatype = d;
            target = t;
            timestamp = ts;
            if ts {
                xtype = Some("timestamp".into());
            }
            if matches!(d, Datatype::Char | Datatype::UnicodeChar) {
                let fixed = parsed
                    .as_ref()
                    .filter(|p| p.variable.is_none() && p.fixed.len() == 1)
                    .map(ArraySize::fixed_product);
                let fixed = if ts { None } else { fixed };
                shape = Shape::Str { fixed };
                // One character is written without arraysize: `arraysize="1"` is deprecated (VOTable 1.3
                // erratum 3).
                arraysize = match fixed {
                    Some(1) => None,
                    Some(n) => Some(n.to_string()),
                    None => Some("*".to_owned()),
                };
            } else {
                shape = Shape::Scalar;
                arraysize = None;
            }
        }
    }
    let mut attrs = Vec::new();
    for (attr, key) in [
        ("unit", keys::UNIT),
        ("ucd", keys::UCD),
        ("utype", keys::UTYPE),
        ("width", keys::WIDTH),
        ("precision", keys::PRECISION),
    ] {
        if let Some(v) = md.get(key) {
            attrs.push((attr, v.clone()));
        }
    }
    let coosys = md.get(keys::COOSYS_SYSTEM).map(|system| {
        (
            system.clone(),
            [
                md.get(keys::COOSYS_EQUINOX).cloned(),
                md.get(keys::COOSYS_EPOCH).cloned(),
                None,
            ],
        )
    });
    let null = md
        .get(keys::NULL)
        .filter(|_| {
            matches!(
                datatype,
                Datatype::UnsignedByte | Datatype::Short | Datatype::Int | Datatype::Long
            ) && shape == Shape::Scalar
        })
        .cloned();
    Ok(Plan {
        name,
        datatype,
        arraysize,
        shape,
        target,
        timestamp,
        xtype,
        attrs,
        description: md.get(keys::DESCRIPTION).cloned(),
        null,
        coosys,
    })
}

/// The error for a list type whose item type does not match its metadata.
pub(super) fn inconsistent(column: &str) -> Error {
    Error::Write {
        column: column.to_owned(),
        message: "inconsistent list type".into(),
    }
}

/// The `arraysize` of a fixed array of `n`: the declared one when it has `n` elements
/// (keeping its dimensions), else `n`.
fn fixed_size_attr(parsed: Option<&ArraySize>, declared: Option<&str>, n: usize) -> String {
    match (parsed, declared) {
        (Some(p), Some(d)) if p.variable.is_none() && p.fixed_product() == n => d.to_owned(),
        _ => n.to_string(),
    }
}

/// The `arraysize` of a variable array: the declared one when variable, else `*`.
fn var_size_attr(parsed: Option<&ArraySize>, declared: Option<&str>) -> String {
    match (parsed, declared) {
        (Some(p), Some(d)) if p.variable.is_some() => d.to_owned(),
        _ => "*".to_owned(),
    }
}
