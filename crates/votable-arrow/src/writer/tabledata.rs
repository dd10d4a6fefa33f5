//! TABLEDATA data: one `TR` per row, cells as XML text.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt8Type,
};

use super::column::{Col, write_err};
use super::plan::{Plan, Shape};
use super::xml::escape_into;
use crate::datatype::Datatype;
use crate::error::Result;
use crate::timestamp::format_timestamp;

/// Appends row `row` of `cols` as a `TR`; `row_number` (rows written before) names the row
/// in errors.
pub(super) fn write_row(
    cols: &[Col],
    plans: &[Plan],
    row: usize,
    row_number: u64,
    out: &mut Vec<u8>,
) -> Result<()> {
    out.extend_from_slice(b"<TR>");
    for (col, plan) in cols.iter().zip(plans) {
        if col.array.is_null(row) {
            out.extend_from_slice(b"<TD/>");
        } else {
            out.extend_from_slice(b"<TD>");
            col.write_text(plan, row, out)
                .map_err(|m| write_err(plan, row_number, m))?;
            out.extend_from_slice(b"</TD>");
        }
    }
    out.extend_from_slice(b"</TR>\n");
    Ok(())
}

impl Col {
    /// Appends the TABLEDATA text of one non-null cell.
    fn write_text(
        &self,
        plan: &Plan,
        row: usize,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        match &plan.shape {
            Shape::Scalar => self.text_elements(plan.datatype, row, row + 1, out),
            Shape::Complex | Shape::Fixed(_) | Shape::Var { .. } => {
                let (a, b) = self.range(row);
                if plan.datatype == Datatype::Bit {
                    let bools = self.values.as_boolean();
                    for i in a..b {
                        out.push(if bools.is_valid(i) && bools.value(i) {
                            b'1'
                        } else {
                            b'0'
                        });
                    }
                    return Ok(());
                }
                self.text_elements(plan.datatype, a, b, out)
            }
            Shape::Str { fixed } => {
                if plan.timestamp {
                    let ts = self.values.as_primitive::<TimestampMicrosecondType>();
                    out.extend_from_slice(format_timestamp(ts.value(row)).as_bytes());
                    return Ok(());
                }
                let s = self.string(row);
                if let Some(n) = fixed {
                    let len = if plan.datatype == Datatype::UnicodeChar {
                        s.encode_utf16().count()
                    } else {
                        s.len()
                    };
                    if len > *n {
                        return Err(format!("string longer than the declared {n} characters"));
                    }
                }
                escape_into(out, s, false);
                Ok(())
            }
            Shape::StrArray { width, count } => {
                let (a, b) = self.range(row);
                let k = b - a;
                if count.is_some_and(|c| k > c) {
                    return Err("too many strings for the declared arraysize".into());
                }
                for i in 0..k {
                    let s = self.string(a + i);
                    let len = if plan.datatype == Datatype::UnicodeChar {
                        s.encode_utf16().count()
                    } else {
                        s.len()
                    };
                    if len > *width {
                        return Err(format!("string longer than the declared width {width}"));
                    }
                    escape_into(out, s, false);
                    if i + 1 < k {
                        out.extend(std::iter::repeat_n(b' ', width - len));
                    }
                }
                Ok(())
            }
        }
    }

    /// Appends elements `a..b` of the leaf values as text separated by spaces.
    fn text_elements(
        &self,
        dt: Datatype,
        a: usize,
        b: usize,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        let v = &self.values;
        let mut tmp = [0u8; lexical_core::BUFFER_SIZE];
        macro_rules! ints {
            ($t:ty) => {{
                let arr = v.as_primitive::<$t>();
                for (k, i) in (a..b).enumerate() {
                    if k > 0 {
                        out.push(b' ');
                    }
                    let x = if i < arr.len() {
                        arr.value(i)
                    } else {
                        Default::default()
                    };
                    out.extend_from_slice(lexical_core::write(x, &mut tmp));
                }
            }};
        }
        macro_rules! floats {
            ($t:ty) => {{
                let arr = v.as_primitive::<$t>();
                for (k, i) in (a..b).enumerate() {
                    if k > 0 {
                        out.push(b' ');
                    }
                    let x = if i < arr.len() && arr.is_valid(i) {
                        arr.value(i)
                    } else {
                        <$t as arrow_array::ArrowPrimitiveType>::Native::NAN
                    };
                    if x.is_nan() {
                        out.extend_from_slice(b"NaN");
                    } else if x.is_infinite() {
                        out.extend_from_slice(if x > 0.0 { b"+Inf" } else { b"-Inf" });
                    } else {
                        out.extend_from_slice(lexical_core::write(x, &mut tmp));
                    }
                }
            }};
        }
        match dt {
            Datatype::Boolean => {
                let arr = v.as_boolean();
                for (k, i) in (a..b).enumerate() {
                    if k > 0 {
                        out.push(b' ');
                    }
                    out.push(if i >= arr.len() || arr.is_null(i) {
                        b'?'
                    } else if arr.value(i) {
                        b'T'
                    } else {
                        b'F'
                    });
                }
            }
            Datatype::Bit => {
                let arr = v.as_boolean();
                for i in a..b {
                    out.push(if arr.is_valid(i) && arr.value(i) {
                        b'1'
                    } else {
                        b'0'
                    });
                }
            }
            Datatype::UnsignedByte => ints!(UInt8Type),
            Datatype::Short => ints!(Int16Type),
            Datatype::Int => ints!(Int32Type),
            Datatype::Long => ints!(Int64Type),
            Datatype::Float | Datatype::FloatComplex => floats!(Float32Type),
            Datatype::Double | Datatype::DoubleComplex => floats!(Float64Type),
            Datatype::Char | Datatype::UnicodeChar => {
                return Err("internal: chars as elements".into());
            }
        }
        Ok(())
    }
}
