//! BINARY2 rows: null flags and big-endian cells, base64-encoded as the rows arrive.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt8Type,
};
use base64::Engine;

use super::column::{Col, write_err};
use super::plan::{Plan, Shape};
use crate::datatype::Datatype;
use crate::error::Result;
use crate::timestamp::format_timestamp;

/// Characters per line of the base64 stream.
const B64_LINE: usize = 76;

/// Pending row bytes are base64-encoded once this many have gathered, so that the text is
/// made in large pieces rather than row by row.
const ENCODE_AT: usize = 48 * 1024;

/// The BINARY2 `STREAM` being written.
#[derive(Debug, Default)]
pub(super) struct Binary2Stream {
    /// Row bytes not yet base64-encoded: encoded by multiples of 3 (so that no padding falls
    /// inside the stream) once [`ENCODE_AT`] bytes have gathered, the rest by
    /// [`Binary2Stream::finish`].
    raw: Vec<u8>,
    /// Characters already on the current base64 line.
    line: usize,
}

impl Binary2Stream {
    /// Appends row `row` of `cols` (null flags, then the cells) and, once enough bytes have
    /// gathered, their base64 text to `out`; `row_number` (rows written before) names the
    /// row in errors.
    pub(super) fn write_row(
        &mut self,
        cols: &[Col],
        plans: &[Plan],
        row: usize,
        row_number: u64,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let flags_at = self.raw.len();
        let nflags = plans.len().div_ceil(8);
        self.raw.resize(flags_at + nflags, 0);
        for (c, (col, plan)) in cols.iter().zip(plans).enumerate() {
            if col.array.is_null(row)
                && let Some(f) = self.raw.get_mut(flags_at + (c >> 3))
            {
                *f |= 0x80 >> (c & 7);
            }
            col.write_binary(plan, row, &mut self.raw)
                .map_err(|m| write_err(plan, row_number, m))?;
        }
        if self.raw.len() >= ENCODE_AT {
            self.encode(false, out);
        }
        Ok(())
    }

    /// Base64-encodes the pending bytes (all of them when `all`, else a multiple of 3) into
    /// lines of 76 characters appended to `out`.
    fn encode(&mut self, all: bool, out: &mut Vec<u8>) {
        let n = if all {
            self.raw.len()
        } else {
            self.raw.len() / 3 * 3
        };
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(self.raw.get(..n).unwrap_or_default());
        self.raw.drain(..n);
        let mut rest = encoded.as_bytes();
        while !rest.is_empty() {
            let take = (B64_LINE - self.line).min(rest.len());
            let (head, tail) = rest.split_at(take);
            out.extend_from_slice(head);
            self.line += take;
            if self.line == B64_LINE {
                out.push(b'\n');
                self.line = 0;
            }
            rest = tail;
        }
    }

    /// Encodes what is left and ends the last line.
    pub(super) fn finish(&mut self, out: &mut Vec<u8>) {
        self.encode(true, out);
        if self.line > 0 {
            out.push(b'\n');
        }
    }
}

impl Col {
    /// Appends the BINARY2 encoding of one cell (a placeholder when null).
    fn write_binary(
        &self,
        plan: &Plan,
        row: usize,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        let null = self.array.is_null(row);
        let cs = if plan.datatype == Datatype::UnicodeChar {
            2
        } else {
            1
        };
        match &plan.shape {
            Shape::Scalar => {
                if plan.timestamp {
                    return Err("internal: timestamp as scalar".into());
                }
                self.write_elements(plan.datatype, row, row + 1, null, out)
            }
            Shape::Complex => {
                let (a, b) = self.range(row);
                self.write_elements(plan.datatype, a, b, null, out)
            }
            Shape::Fixed(n) => {
                let (a, b) = self.range(row);
                if plan.datatype == Datatype::Bit {
                    return self.write_bits(a, b, *n, null, out);
                }
                self.write_elements(plan.datatype, a, b, null, out)
            }
            Shape::Var { unit } => {
                let (a, b) = if null { (0, 0) } else { self.range(row) };
                let per = if matches!(
                    plan.datatype,
                    Datatype::FloatComplex | Datatype::DoubleComplex
                ) {
                    2
                } else {
                    1
                };
                let elements = (b - a) / per;
                if elements % unit != 0 {
                    return Err(format!(
                        "{elements} elements do not fill whole items of {unit}"
                    ));
                }
                let count = u32::try_from(elements / unit).map_err(|_| "array too long")?;
                out.extend_from_slice(&count.to_be_bytes());
                if plan.datatype == Datatype::Bit {
                    return self.write_bits(a, b, b - a, false, out);
                }
                self.write_elements(plan.datatype, a, b, false, out)
            }
            Shape::Str { fixed } => {
                let text = if null {
                    String::new()
                } else if plan.timestamp {
                    let ts = self.values.as_primitive::<TimestampMicrosecondType>();
                    if ts.is_null(row) {
                        String::new()
                    } else {
                        format_timestamp(ts.value(row))
                    }
                } else {
                    self.string(row).to_owned()
                };
                write_chars(&text, *fixed, cs, out)
            }
            Shape::StrArray { width, count } => {
                let (a, b) = if null { (0, 0) } else { self.range(row) };
                let k = b - a;
                match count {
                    Some(c) => {
                        if k > *c {
                            return Err(format!("{k} strings for a fixed count of {c}"));
                        }
                    }
                    None => {
                        let n = u32::try_from(k).map_err(|_| "array too long")?;
                        out.extend_from_slice(&n.to_be_bytes());
                    }
                }
                let total = count.unwrap_or(k);
                for i in 0..total {
                    let s = if i < k { self.string(a + i) } else { "" };
                    write_chars(s, Some(*width), cs, out)?;
                }
                Ok(())
            }
        }
    }

    /// Appends `n` bits packed from boolean elements `a..b`, most significant first (all
    /// zero when the cell is null).
    fn write_bits(
        &self,
        a: usize,
        b: usize,
        n: usize,
        null: bool,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        let bools = self.values.as_boolean();
        let start = out.len();
        out.resize(start + n.div_ceil(8), 0);
        if null {
            return Ok(());
        }
        for (k, i) in (a..b).enumerate().take(n) {
            if bools.is_valid(i)
                && bools.value(i)
                && let Some(byte) = out.get_mut(start + (k >> 3))
            {
                *byte |= 0x80 >> (k & 7);
            }
        }
        Ok(())
    }

    /// Writes elements `a..b` of the leaf values big-endian (zeros / NaN placeholders
    /// when the cell is null, nulls inside arrays as NaN or zero).
    fn write_elements(
        &self,
        dt: Datatype,
        a: usize,
        b: usize,
        null: bool,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        let v = &self.values;
        macro_rules! prim {
            ($t:ty, $zero:expr) => {{
                let arr = v.as_primitive::<$t>();
                for i in a..b {
                    let x = if null || i >= arr.len() || arr.is_null(i) {
                        $zero
                    } else {
                        arr.value(i)
                    };
                    out.extend_from_slice(&x.to_be_bytes());
                }
            }};
        }
        match dt {
            Datatype::Boolean => {
                let arr = v.as_boolean();
                for i in a..b {
                    out.push(if null || i >= arr.len() || arr.is_null(i) {
                        b'?'
                    } else if arr.value(i) {
                        b'T'
                    } else {
                        b'F'
                    });
                }
            }
            Datatype::Bit => return self.write_bits(a, b, b - a, null, out),
            Datatype::UnsignedByte => prim!(UInt8Type, 0u8),
            Datatype::Short => prim!(Int16Type, 0i16),
            Datatype::Int => prim!(Int32Type, 0i32),
            Datatype::Long => prim!(Int64Type, 0i64),
            Datatype::Float | Datatype::FloatComplex => prim!(Float32Type, f32::NAN),
            Datatype::Double | Datatype::DoubleComplex => prim!(Float64Type, f64::NAN),
            Datatype::Char | Datatype::UnicodeChar => {
                return Err("internal: chars as elements".into());
            }
        }
        Ok(())
    }
}

/// Appends a string as `char` (UTF-8 bytes) or `unicodeChar` (UTF-16BE), with a length
/// prefix when variable, NUL-padded when fixed.
fn write_chars(
    s: &str,
    fixed: Option<usize>,
    cs: usize,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let start = out.len();
    let units = if cs == 2 {
        if fixed.is_none() {
            out.extend_from_slice(&[0; 4]);
        }
        let body = out.len();
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_be_bytes());
        }
        (out.len() - body) / 2
    } else {
        if fixed.is_none() {
            out.extend_from_slice(&[0; 4]);
        }
        out.extend_from_slice(s.as_bytes());
        s.len()
    };
    match fixed {
        Some(n) => {
            if units > n {
                return Err(format!("string longer than the declared {n} characters"));
            }
            out.resize(out.len() + (n - units) * cs, 0);
        }
        None => {
            let n = u32::try_from(units).map_err(|_| "string too long")?;
            if let Some(prefix) = out.get_mut(start..start + 4) {
                prefix.copy_from_slice(&n.to_be_bytes());
            }
        }
    }
    Ok(())
}
