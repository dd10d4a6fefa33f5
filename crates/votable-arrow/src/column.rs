//! A column being decoded: its layout, its null conventions and its builder.

use arrow_schema::FieldRef;

use crate::builder::ColumnBuilder;
use crate::datatype::{Kind, Len};
use crate::metadata::FieldInfo;

/// Decoding rules of one FIELD.
#[derive(Debug)]
pub(crate) struct Column {
    /// The VOTable name, for error messages.
    pub name: String,
    pub kind: Kind,
    /// `VALUES null` of an integer column.
    pub null_int: Option<i64>,
    /// `VALUES null` of a floating-point column.
    pub null_float: Option<f64>,
    /// Scalar NaN becomes null.
    pub nan_as_null: bool,
    /// Trailing spaces are padding (fixed-length strings).
    pub trim_spaces: bool,
    pub field: FieldRef,
    pub builder: ColumnBuilder,
}

impl Column {
    pub(crate) fn new(
        info: &FieldInfo,
        kind: Kind,
        field: FieldRef,
        nan_as_null: bool,
        capacity: usize,
    ) -> Column {
        let null = info
            .null
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let null_int = null.and_then(parse_null_int);
        let null_float = null.and_then(|s| s.parse::<f64>().ok());
        let trim_spaces = matches!(
            kind,
            Kind::Str {
                len: Len::Fixed(_),
                ..
            } | Kind::StrArray { .. }
        );
        let builder = ColumnBuilder::new(&kind, capacity);
        Column {
            name: info.name.clone(),
            kind,
            null_int,
            null_float,
            nan_as_null,
            trim_spaces,
            field,
            builder,
        }
    }
}

fn parse_null_int(s: &str) -> Option<i64> {
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u64::from_str_radix(hex, 16).ok().map(|v| v as i64)
}

/// Removes the padding of a decoded string: trailing NULs always, trailing spaces for
/// fixed-length strings. A NUL inside ends a C-style string, so everything from the
/// first NUL is padding too.
#[inline]
pub(crate) fn trim_padding(s: &str, spaces: bool) -> &str {
    let s = match memchr::memchr(0, s.as_bytes()) {
        Some(i) => s.get(..i).unwrap_or(s),
        None => s,
    };
    if spaces { s.trim_end_matches(' ') } else { s }
}
