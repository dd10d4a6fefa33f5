//! BINARY and BINARY2: streaming base64 decoding and the decoding of big-endian rows.
//!
//! Every length taken from the input (variable-array prefixes) is checked against
//! [`Limits`] before it is used, and a row is decoded only once all its bytes are present,
//! so a hostile prefix can neither allocate nor read past the data.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use memchr::{memchr, memchr3};

use crate::builder::Leaf;
use crate::column::{Column, trim_padding};
use crate::datatype::{Elem, Kind, Len};
use crate::error::{Error, Result};
use crate::options::Limits;
use crate::timestamp::parse_timestamp;

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decoded bytes of a STREAM and the base64 characters not yet decoded.
#[derive(Debug, Default)]
pub(crate) struct Base64Stream {
    /// Base64 characters without whitespace, fewer than 4 between calls.
    clean: Vec<u8>,
    /// Decoded bytes; `pos` is the first byte not yet consumed.
    pub bin: Vec<u8>,
    pub pos: usize,
}

impl Base64Stream {
    /// Appends base64 text (with any whitespace) and decodes all complete quanta.
    pub(crate) fn push_text(&mut self, text: &[u8]) -> Result<(), String> {
        strip_whitespace(text, &mut self.clean);
        let whole = self.clean.len() / 4 * 4;
        if whole == 0 {
            return Ok(());
        }
        self.compact();
        ENGINE
            .decode_vec(self.clean.get(..whole).unwrap_or_default(), &mut self.bin)
            .map_err(|e| format!("invalid base64 in STREAM: {e}"))?;
        self.clean.drain(..whole);
        Ok(())
    }

    /// Decodes what remains at the end of the STREAM text.
    pub(crate) fn finish_text(&mut self) -> Result<(), String> {
        match self.clean.len() {
            0 => Ok(()),
            1 => Err("truncated base64 STREAM".into()),
            _ => {
                let rest = std::mem::take(&mut self.clean);
                ENGINE
                    .decode_vec(&rest, &mut self.bin)
                    .map(|_| ())
                    .map_err(|e| format!("invalid base64 in STREAM: {e}"))
            }
        }
    }

    /// The decoded bytes not yet consumed.
    #[inline]
    pub(crate) fn available(&self) -> &[u8] {
        self.bin.get(self.pos..).unwrap_or_default()
    }

    /// Drops consumed bytes so the buffer does not grow with the stream.
    fn compact(&mut self) {
        if self.pos > 0 {
            self.bin.drain(..self.pos);
            self.pos = 0;
        }
    }
}

/// Copies `text` without ASCII whitespace. Runs between whitespace are copied whole, which
/// keeps single-line streams (astropy writes no newlines) at memcpy speed.
fn strip_whitespace(text: &[u8], out: &mut Vec<u8>) {
    out.reserve(text.len());
    if memchr(b'\t', text).is_some() || memchr(b'\x0c', text).is_some() {
        out.extend(text.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        return;
    }
    let mut i = 0;
    while i < text.len() {
        let rest = text.get(i..).unwrap_or_default();
        match memchr3(b'\n', b'\r', b' ', rest) {
            Some(k) => {
                out.extend_from_slice(rest.get(..k).unwrap_or_default());
                i += k + 1;
            }
            None => {
                out.extend_from_slice(rest);
                break;
            }
        }
    }
}

/// Row layout of BINARY or BINARY2.
#[derive(Debug)]
pub(crate) struct RowLayout {
    pub binary2: bool,
    /// Null-flag bytes at the start of a BINARY2 row.
    pub flag_bytes: usize,
    /// Row size when no column has a variable length.
    pub fixed_size: Option<usize>,
    max_elements: usize,
    max_row_bytes: usize,
}

fn char_size(unicode: bool) -> usize {
    if unicode { 2 } else { 1 }
}

/// Serialised size of a cell whose length does not depend on the data.
fn fixed_cell_size(kind: &Kind) -> Option<usize> {
    Some(match kind {
        Kind::Scalar(e) => e.byte_size(),
        Kind::FixedArray { elem: Elem::Bit, n } => n.div_ceil(8),
        Kind::FixedArray { elem, n } => n.checked_mul(elem.byte_size())?,
        Kind::Str {
            unicode,
            len: Len::Fixed(n),
        }
        | Kind::Timestamp {
            unicode,
            len: Len::Fixed(n),
        } => n.checked_mul(char_size(*unicode))?,
        Kind::StrArray {
            unicode,
            width,
            count: Len::Fixed(k),
        } => width.checked_mul(*k)?.checked_mul(char_size(*unicode))?,
        _ => return None,
    })
}

#[inline]
fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

impl RowLayout {
    pub(crate) fn new(columns: &[Column], binary2: bool, limits: &Limits) -> RowLayout {
        let flag_bytes = if binary2 {
            columns.len().div_ceil(8)
        } else {
            0
        };
        let fixed_size = columns.iter().try_fold(flag_bytes, |acc, c| {
            acc.checked_add(fixed_cell_size(&c.kind)?)
        });
        RowLayout {
            binary2,
            flag_bytes,
            fixed_size,
            max_elements: limits.max_array_elements,
            max_row_bytes: limits.max_row_bytes,
        }
    }

    /// Size of the row at the start of `data`, or `None` when more bytes are needed.
    #[inline]
    pub(crate) fn row_len(
        &self,
        columns: &[Column],
        data: &[u8],
        row: u64,
    ) -> Result<Option<usize>> {
        if let Some(n) = self.fixed_size {
            return Ok((data.len() >= n).then_some(n));
        }
        let mut off = self.flag_bytes;
        for col in columns {
            let size = match fixed_cell_size(&col.kind) {
                Some(s) => s,
                None => {
                    let Some(count) = be_u32(data, off) else {
                        return Ok(None);
                    };
                    4 + self.var_bytes(col, count as usize, row)?
                }
            };
            off = off
                .checked_add(size)
                .filter(|o| *o <= self.max_row_bytes)
                .ok_or_else(|| {
                    Error::LimitExceeded(format!(
                        "row {row} is larger than {} bytes",
                        self.max_row_bytes
                    ))
                })?;
            if off > data.len() {
                return Ok(None);
            }
        }
        Ok(Some(off))
    }

    /// Bytes after the length prefix of a variable cell announcing `count` items.
    fn var_bytes(&self, col: &Column, count: usize, row: u64) -> Result<usize> {
        let too_big = || {
            Error::field(
                row,
                &col.name,
                format!(
                    "array length {count} exceeds the limit of {} elements",
                    self.max_elements
                ),
            )
        };
        let (elements, unit_bytes, bits) = match &col.kind {
            Kind::VarArray { elem, unit } => (
                count.checked_mul(*unit).ok_or_else(too_big)?,
                elem.byte_size(),
                *elem == Elem::Bit,
            ),
            Kind::Str { unicode, .. } | Kind::Timestamp { unicode, .. } => {
                (count, char_size(*unicode), false)
            }
            Kind::StrArray {
                unicode,
                width,
                count: Len::Var { unit },
            } => (
                count
                    .checked_mul(*unit)
                    .and_then(|c| c.checked_mul(*width))
                    .ok_or_else(too_big)?,
                char_size(*unicode),
                false,
            ),
            _ => (0, 0, false),
        };
        if elements > self.max_elements {
            return Err(too_big());
        }
        if bits {
            Ok(elements.div_ceil(8))
        } else {
            elements.checked_mul(unit_bytes).ok_or_else(too_big)
        }
    }

    /// Decodes one complete row (`data` holds at least [`RowLayout::row_len`] bytes).
    pub(crate) fn decode_row(&self, columns: &mut [Column], data: &[u8], row: u64) -> Result<()> {
        let flags = data.get(..self.flag_bytes).unwrap_or_default();
        let mut off = self.flag_bytes;
        for (c, col) in columns.iter_mut().enumerate() {
            let null = self.binary2
                && flags
                    .get(c >> 3)
                    .is_some_and(|f| f & (0x80u8 >> (c & 7)) != 0);
            let cell = data.get(off..).unwrap_or_default();
            off += decode_cell(col, cell, null, self.binary2, row)?;
        }
        Ok(())
    }
}

fn short(row: u64, col: &Column) -> Error {
    Error::field(row, &col.name, "cell extends past the end of the row")
}

/// Decodes one cell at the start of `data`; returns its size in bytes.
#[inline]
fn decode_cell(
    col: &mut Column,
    data: &[u8],
    null: bool,
    binary2: bool,
    row: u64,
) -> Result<usize> {
    let kind = &col.kind;
    match kind {
        Kind::Scalar(elem) => {
            let size = elem.byte_size();
            let bytes = data.get(..size).ok_or_else(|| short(row, col))?;
            if null {
                col.builder.push_null()?;
            } else {
                let (ni, nf, nan) = (col.null_int, col.null_float, col.nan_as_null);
                push_be(col.builder.leaf(), *elem, bytes, ni, nf, nan)
                    .map_err(|m| Error::field(row, &col.name, m))?;
            }
            Ok(size)
        }
        Kind::FixedArray { elem, n } => {
            let (elem, n) = (*elem, *n);
            let size = fixed_cell_size(kind).unwrap_or(0);
            let bytes = data.get(..size).ok_or_else(|| short(row, col))?;
            if null {
                col.builder.push_null()?;
            } else {
                push_elements(col, elem, n, bytes, row)?;
                col.builder.close_list()?;
            }
            Ok(size)
        }
        Kind::VarArray { elem, unit } => {
            let (elem, unit) = (*elem, *unit);
            let count = be_u32(data, 0).ok_or_else(|| short(row, col))? as usize;
            let n = count.saturating_mul(unit);
            let size = if elem == Elem::Bit {
                n.div_ceil(8)
            } else {
                n.saturating_mul(elem.byte_size())
            };
            let bytes = data
                .get(4..4usize.saturating_add(size))
                .ok_or_else(|| short(row, col))?;
            if null {
                col.builder.push_null()?;
            } else {
                push_elements(col, elem, n, bytes, row)?;
                col.builder.close_list()?;
            }
            Ok(4usize.saturating_add(size))
        }
        Kind::Str { unicode, len } | Kind::Timestamp { unicode, len } => {
            let unicode = *unicode;
            let is_ts = matches!(kind, Kind::Timestamp { .. });
            let cs = char_size(unicode);
            let (head, chars): (usize, usize) = match len {
                Len::Fixed(n) => (0, *n),
                Len::Var { .. } => (4, be_u32(data, 0).ok_or_else(|| short(row, col))? as usize),
            };
            let size = chars.saturating_mul(cs);
            let bytes = data
                .get(head..head.saturating_add(size))
                .ok_or_else(|| short(row, col))?;
            if null {
                col.builder.push_null()?;
            } else if is_ts {
                push_timestamp(col, bytes, unicode, row)?;
            } else {
                push_string(col, bytes, unicode, binary2)?;
            }
            Ok(head.saturating_add(size))
        }
        Kind::StrArray {
            unicode,
            width,
            count,
        } => {
            let (unicode, width) = (*unicode, *width);
            let cs = char_size(unicode);
            let (head, strings): (usize, usize) = match count {
                Len::Fixed(k) => (0, *k),
                Len::Var { unit } => (
                    4,
                    (be_u32(data, 0).ok_or_else(|| short(row, col))? as usize)
                        .saturating_mul(*unit),
                ),
            };
            let size = strings.saturating_mul(width).saturating_mul(cs);
            let bytes = data
                .get(head..head.saturating_add(size))
                .ok_or_else(|| short(row, col))?;
            if null {
                col.builder.push_null()?;
            } else {
                let step = (width * cs).max(1);
                for chunk in bytes.chunks(step) {
                    push_text_bytes(col.builder.leaf(), chunk, unicode, true)?;
                }
                col.builder.close_list()?;
            }
            Ok(head.saturating_add(size))
        }
    }
}

/// Pushes one big-endian scalar, applying the null conventions.
#[inline]
fn push_be(
    leaf: &mut Leaf,
    elem: Elem,
    b: &[u8],
    null_int: Option<i64>,
    null_float: Option<f64>,
    nan_as_null: bool,
) -> Result<(), String> {
    macro_rules! int {
        ($t:ty) => {{
            let v = <$t>::from_be_bytes(b.try_into().map_err(|_| "short value")?) as i64;
            if Some(v) == null_int {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_i64(v);
            }
        }};
    }
    match elem {
        Elem::Bool => match crate::tabledata::parse_bool(b) {
            Some(Some(v)) => leaf.push_bool(v),
            Some(None) => leaf.push_null().map_err(|e| e.to_string())?,
            None => {
                return Err(format!(
                    "invalid boolean byte {:#04x}",
                    b.first().copied().unwrap_or(0)
                ));
            }
        },
        Elem::Bit => leaf.push_bool(b.first().is_some_and(|v| v & 0x80 != 0)),
        Elem::U8 => int!(u8),
        Elem::I16 => int!(i16),
        Elem::I32 => int!(i32),
        Elem::I64 => int!(i64),
        Elem::F32 => {
            let v = f32::from_be_bytes(b.try_into().map_err(|_| "short value")?);
            if (nan_as_null && v.is_nan()) || null_float == Some(f64::from(v)) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_f32(v);
            }
        }
        Elem::F64 => {
            let v = f64::from_be_bytes(b.try_into().map_err(|_| "short value")?);
            if (nan_as_null && v.is_nan()) || null_float == Some(v) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_f64(v);
            }
        }
        Elem::C32 => {
            let re = f32::from_be_bytes(
                b.get(..4)
                    .and_then(|s| s.try_into().ok())
                    .ok_or("short value")?,
            );
            let im = f32::from_be_bytes(
                b.get(4..8)
                    .and_then(|s| s.try_into().ok())
                    .ok_or("short value")?,
            );
            if nan_as_null && (re.is_nan() || im.is_nan()) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_complex(f64::from(re), f64::from(im));
            }
        }
        Elem::C64 => {
            let re = f64::from_be_bytes(
                b.get(..8)
                    .and_then(|s| s.try_into().ok())
                    .ok_or("short value")?,
            );
            let im = f64::from_be_bytes(
                b.get(8..16)
                    .and_then(|s| s.try_into().ok())
                    .ok_or("short value")?,
            );
            if nan_as_null && (re.is_nan() || im.is_nan()) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_complex(re, im);
            }
        }
    }
    Ok(())
}

/// Pushes the `n` elements of an array cell. Elements keep NaN; integer elements equal to
/// `VALUES null` and `?` booleans are null elements.
fn push_elements(col: &mut Column, elem: Elem, n: usize, bytes: &[u8], row: u64) -> Result<()> {
    let null_int = col.null_int;
    let leaf = col.builder.leaf();
    if elem == Elem::Bit {
        for i in 0..n {
            let byte = bytes.get(i >> 3).copied().unwrap_or(0);
            leaf.push_bool(byte & (0x80 >> (i & 7)) != 0);
        }
        return Ok(());
    }
    let size = elem.byte_size();
    for chunk in bytes.chunks_exact(size).take(n) {
        push_be(leaf, elem, chunk, null_int, None, false)
            .map_err(|m| Error::field(row, &col.name, m))?;
    }
    Ok(())
}

/// Appends text from `char` (UTF-8, falling back to Latin-1) or `unicodeChar`
/// (UTF-16BE) bytes, trimming padding; returns the number of bytes appended.
fn append_text(data: &mut Vec<u8>, bytes: &[u8], unicode: bool, trim_spaces: bool) -> usize {
    let start = data.len();
    if unicode {
        let is_ascii = bytes
            .chunks_exact(2)
            .all(|p| p.first() == Some(&0) && p.get(1).is_some_and(|c| *c < 0x80));
        if is_ascii {
            data.extend(bytes.chunks_exact(2).filter_map(|p| p.get(1).copied()));
        } else {
            let units = bytes.chunks_exact(2).map(|p| {
                u16::from_be_bytes([
                    p.first().copied().unwrap_or(0),
                    p.get(1).copied().unwrap_or(0),
                ])
            });
            let mut tmp = [0u8; 4];
            for c in char::decode_utf16(units) {
                let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                data.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => data.extend_from_slice(s.as_bytes()),
            Err(_) => {
                // Not UTF-8: the bytes are taken as Latin-1, as most VOTable writers mean.
                let mut tmp = [0u8; 4];
                for &b in bytes {
                    data.extend_from_slice(char::from(b).encode_utf8(&mut tmp).as_bytes());
                }
            }
        }
    }
    // Padding: everything from the first NUL, then trailing spaces of fixed strings.
    let appended = data.get(start..).unwrap_or_default();
    let mut keep = memchr(0, appended).unwrap_or(appended.len());
    if trim_spaces {
        while keep > 0 && appended.get(keep - 1) == Some(&b' ') {
            keep -= 1;
        }
    }
    data.truncate(start + keep);
    keep
}

fn push_text_bytes(leaf: &mut Leaf, bytes: &[u8], unicode: bool, trim_spaces: bool) -> Result<()> {
    if let Some(data) = leaf.str_data() {
        append_text(data, bytes, unicode, trim_spaces);
    }
    leaf.commit_str()
}

/// A string cell. In BINARY an empty string is null (it has no other null); in BINARY2
/// only the null flag is.
#[inline]
fn push_string(col: &mut Column, bytes: &[u8], unicode: bool, binary2: bool) -> Result<()> {
    let trim = col.trim_spaces;
    let leaf = col.builder.leaf();
    let Some(data) = leaf.str_data() else {
        return Ok(());
    };
    let n = append_text(data, bytes, unicode, trim);
    if n == 0 && !binary2 {
        leaf.push_null()
    } else {
        leaf.commit_str()
    }
}

fn push_timestamp(col: &mut Column, bytes: &[u8], unicode: bool, row: u64) -> Result<()> {
    let mut text = Vec::with_capacity(bytes.len());
    append_text(&mut text, bytes, unicode, true);
    let s = String::from_utf8_lossy(&text);
    let s = trim_padding(s.trim(), true);
    if s.is_empty() {
        return col.builder.push_null();
    }
    let v = parse_timestamp(s)
        .ok_or_else(|| Error::field(row, &col.name, format!("invalid timestamp {s:?}")))?;
    col.builder.leaf().push_i64(v);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base64_in_pieces_with_whitespace() {
        let encoded = ENGINE.encode(b"hello binary world!");
        let mut s = Base64Stream::default();
        for piece in encoded.as_bytes().chunks(3) {
            let mut p = piece.to_vec();
            p.push(b'\n');
            s.push_text(&p).unwrap();
        }
        s.finish_text().unwrap();
        assert_eq!(s.available(), b"hello binary world!");
    }

    #[test]
    fn truncated_base64_is_an_error() {
        let mut s = Base64Stream::default();
        s.push_text(b"aGVsbG8gd").unwrap();
        assert!(s.finish_text().is_err());
    }

    #[test]
    fn utf16_text() {
        let mut out = Vec::new();
        let bytes: Vec<u8> = "Γα\0\0".encode_utf16().flat_map(u16::to_be_bytes).collect();
        append_text(&mut out, &bytes, true, true);
        assert_eq!(String::from_utf8(out).unwrap(), "Γα");
    }
}
