//! TABLEDATA: a row tokenizer over a byte buffer (memchr-driven, no XML events per cell)
//! and the decoding of cell text into the column builders.
//!
//! The tokenizer only reports a row once its `</TR>` is in the buffer, so a row cut by
//! a buffer boundary is re-scanned from its start after the next read and the builders
//! never see half a row.

use memchr::{memchr, memmem};

use crate::builder::Leaf;
use crate::column::{Column, trim_padding};
use crate::datatype::{Elem, Kind, Len};
use crate::error::{Error, Result};
use crate::timestamp::parse_timestamp;

/// How a cell's text must be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CellKind {
    /// `<TD/>`.
    Empty,
    /// Raw text, no markup, no reference.
    Plain,
    /// Text with `&…;` references.
    Escaped,
    /// Text mixed with CDATA sections or comments.
    Complex,
}

/// A cell located in the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub start: usize,
    pub end: usize,
    pub kind: CellKind,
}

/// Outcome of scanning for one row.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A complete row; its cells are in the tokenizer; the next row starts at `next`.
    Row { next: usize },
    /// The buffer ends inside a row (or between rows); read more.
    NeedMore,
    /// `</TABLEDATA>` starts at `at`.
    End { at: usize },
}

/// Finds rows and cells in TABLEDATA text.
#[derive(Debug, Default)]
pub(crate) struct Tokenizer {
    pub cells: Vec<Cell>,
}

#[inline]
fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while let Some(b) = buf.get(i) {
        if !b.is_ascii_whitespace() {
            break;
        }
        i += 1;
    }
    i
}

/// Local name of the tag starting at `buf[i]` (just after `<` or `</`), and the index
/// after the name; `None` when the buffer ends first.
#[inline]
fn tag_name(buf: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let mut j = i;
    loop {
        let b = *buf.get(j)?;
        if b.is_ascii_whitespace() || b == b'>' || b == b'/' {
            break;
        }
        j += 1;
    }
    let name = buf.get(i..j)?;
    let local = match memchr::memrchr(b':', name) {
        Some(k) => name.get(k + 1..).unwrap_or(name),
        None => name,
    };
    Some((local, j))
}

/// End of a start tag beginning its attributes at `i`: returns (index after `>`,
/// self-closing), honouring quoted attribute values.
#[inline]
fn tag_end(buf: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut quote = 0u8;
    loop {
        let b = *buf.get(i)?;
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'"' || b == b'\'' {
            quote = b;
        } else if b == b'>' {
            let closed = i > 0 && buf.get(i - 1) == Some(&b'/');
            return Some((i + 1, closed));
        }
        i += 1;
    }
}

enum Markup {
    /// A comment or processing instruction ending before the index.
    Skip(usize),
    NeedMore,
    Other,
}

#[inline]
fn skip_misc(buf: &[u8], i: usize) -> Markup {
    let rest = buf.get(i..).unwrap_or_default();
    if rest.starts_with(b"<!--") {
        return match memmem::find(rest.get(4..).unwrap_or_default(), b"-->") {
            Some(k) => Markup::Skip(i + 4 + k + 3),
            None => Markup::NeedMore,
        };
    }
    if rest.starts_with(b"<?") {
        return match memmem::find(rest, b"?>") {
            Some(k) => Markup::Skip(i + k + 2),
            None => Markup::NeedMore,
        };
    }
    if rest.len() < 4 && (b"<!--".starts_with(rest) || rest == b"<") {
        return Markup::NeedMore;
    }
    Markup::Other
}

impl Tokenizer {
    /// Scans the next row from `pos`. `max_cells` bounds the cells of one row.
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        pos: usize,
        max_cells: usize,
    ) -> Result<Scan, String> {
        let mut i = pos;
        // Between rows: whitespace, comments, the next <TR> or </TABLEDATA>.
        loop {
            i = skip_ws(buf, i);
            match buf.get(i) {
                None => return Ok(Scan::NeedMore),
                Some(b'<') => {}
                Some(_) => return Err("unexpected text between TABLEDATA rows".into()),
            }
            match skip_misc(buf, i) {
                Markup::Skip(j) => {
                    i = j;
                    continue;
                }
                Markup::NeedMore => return Ok(Scan::NeedMore),
                Markup::Other => {}
            }
            if buf.get(i + 1) == Some(&b'/') {
                let Some((name, _)) = tag_name(buf, i + 2) else {
                    return Ok(Scan::NeedMore);
                };
                if name == b"TABLEDATA" {
                    return Ok(Scan::End { at: i });
                }
                return Err(format!(
                    "unexpected end tag </{}> in TABLEDATA",
                    String::from_utf8_lossy(name)
                ));
            }
            let Some((name, j)) = tag_name(buf, i + 1) else {
                return Ok(Scan::NeedMore);
            };
            if name != b"TR" {
                return Err(format!(
                    "unexpected element <{}> in TABLEDATA",
                    String::from_utf8_lossy(name)
                ));
            }
            let Some((after, closed)) = tag_end(buf, j) else {
                return Ok(Scan::NeedMore);
            };
            i = after;
            self.cells.clear();
            if closed {
                return Ok(Scan::Row { next: i });
            }
            break;
        }
        // Inside the row.
        loop {
            i = skip_ws(buf, i);
            match buf.get(i) {
                None => return Ok(Scan::NeedMore),
                Some(b'<') => {}
                Some(_) => return Err("unexpected text inside TR".into()),
            }
            match skip_misc(buf, i) {
                Markup::Skip(j) => {
                    i = j;
                    continue;
                }
                Markup::NeedMore => return Ok(Scan::NeedMore),
                Markup::Other => {}
            }
            if buf.get(i + 1) == Some(&b'/') {
                let Some((name, j)) = tag_name(buf, i + 2) else {
                    return Ok(Scan::NeedMore);
                };
                if name != b"TR" {
                    return Err(format!(
                        "unexpected end tag </{}> inside TR",
                        String::from_utf8_lossy(name)
                    ));
                }
                let Some(k) = memchr(b'>', buf.get(j..).unwrap_or_default()) else {
                    return Ok(Scan::NeedMore);
                };
                return Ok(Scan::Row { next: j + k + 1 });
            }
            // <TD>: fast path for the plain spelling.
            let start;
            if buf.get(i..i + 4) == Some(b"<TD>") {
                start = i + 4;
            } else {
                let Some((name, j)) = tag_name(buf, i + 1) else {
                    return Ok(Scan::NeedMore);
                };
                if name != b"TD" {
                    return Err(format!(
                        "unexpected element <{}> inside TR",
                        String::from_utf8_lossy(name)
                    ));
                }
                let Some((after, closed)) = tag_end(buf, j) else {
                    return Ok(Scan::NeedMore);
                };
                if closed {
                    if self.cells.len() >= max_cells {
                        return Err(format!("more than {max_cells} TD in a row"));
                    }
                    self.cells.push(Cell {
                        start: after,
                        end: after,
                        kind: CellKind::Empty,
                    });
                    i = after;
                    continue;
                }
                start = after;
            }
            let Some(k) = memchr(b'<', buf.get(start..).unwrap_or_default()) else {
                return Ok(Scan::NeedMore);
            };
            let mut lt = start + k;
            let mut kind = if memchr(b'&', buf.get(start..lt).unwrap_or_default()).is_some() {
                CellKind::Escaped
            } else {
                CellKind::Plain
            };
            // Anything but `</` inside a TD: CDATA sections and comments are allowed.
            while buf.get(lt + 1) != Some(&b'/') {
                let rest = buf.get(lt..).unwrap_or_default();
                let skip = if rest.starts_with(b"<![CDATA[") {
                    memmem::find(rest, b"]]>").map(|e| e + 3)
                } else if rest.starts_with(b"<!--") {
                    memmem::find(rest.get(4..).unwrap_or_default(), b"-->").map(|e| e + 7)
                } else if rest.len() < 9 {
                    return Ok(Scan::NeedMore);
                } else {
                    return Err("element inside TD".into());
                };
                let Some(skip) = skip else {
                    return Ok(Scan::NeedMore);
                };
                kind = CellKind::Complex;
                let Some(k) = memchr(b'<', buf.get(lt + skip..).unwrap_or_default()) else {
                    return Ok(Scan::NeedMore);
                };
                lt += skip + k;
            }
            let Some((name, j)) = tag_name(buf, lt + 2) else {
                return Ok(Scan::NeedMore);
            };
            if name != b"TD" {
                return Err(format!(
                    "unexpected end tag </{}> inside TD",
                    String::from_utf8_lossy(name)
                ));
            }
            let Some(k) = memchr(b'>', buf.get(j..).unwrap_or_default()) else {
                return Ok(Scan::NeedMore);
            };
            if self.cells.len() >= max_cells {
                return Err(format!("more than {max_cells} TD in a row"));
            }
            self.cells.push(Cell {
                start,
                end: lt,
                kind,
            });
            i = j + k + 1;
        }
    }
}

/// Replaces the predefined entities and character references of XML text. Unknown
/// entities are an error: custom DTD entities are never expanded.
pub(crate) fn unescape_into(raw: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut i = 0;
    while let Some(k) = memchr(b'&', raw.get(i..).unwrap_or_default()) {
        out.extend_from_slice(raw.get(i..i + k).unwrap_or_default());
        let from = i + k + 1;
        let Some(len) = memchr(b';', raw.get(from..).unwrap_or_default()) else {
            return Err("unterminated entity reference".into());
        };
        let name = raw.get(from..from + len).unwrap_or_default();
        match name {
            b"lt" => out.push(b'<'),
            b"gt" => out.push(b'>'),
            b"amp" => out.push(b'&'),
            b"quot" => out.push(b'"'),
            b"apos" => out.push(b'\''),
            _ => {
                let c = char_ref(name).ok_or_else(|| {
                    format!("undefined entity &{};", String::from_utf8_lossy(name))
                })?;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
        i = from + len + 1;
    }
    out.extend_from_slice(raw.get(i..).unwrap_or_default());
    Ok(())
}

fn char_ref(name: &[u8]) -> Option<char> {
    let digits = name.strip_prefix(b"#")?;
    let s = std::str::from_utf8(digits).ok()?;
    let code = if let Some(hex) = s.strip_prefix('x').or_else(|| s.strip_prefix('X')) {
        u32::from_str_radix(hex, 16).ok()?
    } else {
        s.parse().ok()?
    };
    char::from_u32(code)
}

/// Text of a cell mixing CDATA sections, comments and escaped text.
fn complex_text(raw: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut i = 0;
    while i < raw.len() {
        let rest = raw.get(i..).unwrap_or_default();
        if rest.starts_with(b"<![CDATA[") {
            let end = memmem::find(rest, b"]]>").ok_or("unterminated CDATA")?;
            out.extend_from_slice(rest.get(9..end).unwrap_or_default());
            i += end + 3;
        } else if rest.starts_with(b"<!--") {
            // Same boundaries as the tokenizer: the comment body starts after `<!--`.
            let end = memmem::find(rest.get(4..).unwrap_or_default(), b"-->")
                .ok_or("unterminated comment")?;
            i += end + 7;
        } else if rest.starts_with(b"<") {
            return Err("markup inside TD".into());
        } else {
            let end = memchr(b'<', rest).unwrap_or(rest.len());
            unescape_into(rest.get(..end).unwrap_or_default(), out)?;
            i += end;
        }
    }
    Ok(())
}

/// Decodes the cells of one row into the columns.
pub(crate) fn decode_row(
    columns: &mut [Column],
    cells: &[Cell],
    buf: &[u8],
    row: u64,
    scratch: &mut Vec<u8>,
) -> Result<()> {
    for (c, col) in columns.iter_mut().enumerate() {
        let Some(cell) = cells.get(c) else {
            // Missing trailing TDs: the row is short; the missing cells are null.
            col.builder.push_null()?;
            continue;
        };
        let raw = buf.get(cell.start..cell.end).unwrap_or_default();
        let text: &[u8] = match cell.kind {
            CellKind::Empty => &[],
            CellKind::Plain => raw,
            CellKind::Escaped => {
                scratch.clear();
                unescape_into(raw, scratch).map_err(|m| Error::field(row, &col.name, m))?;
                scratch
            }
            CellKind::Complex => {
                scratch.clear();
                complex_text(raw, scratch).map_err(|m| Error::field(row, &col.name, m))?;
                scratch
            }
        };
        decode_text(col, text, row)?;
    }
    Ok(())
}

#[inline]
fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Decodes one TABLEDATA cell. Empty text is null for every type (VOTable ≥ 1.3).
pub(crate) fn decode_text(col: &mut Column, text: &[u8], row: u64) -> Result<()> {
    let Column {
        name,
        kind,
        null_int,
        null_float,
        nan_as_null,
        trim_spaces,
        builder,
        ..
    } = col;
    let err = |m: String| Error::field(row, name, m);
    match kind {
        Kind::Scalar(elem) => {
            let t = trim_ascii(text);
            if t.is_empty() {
                return builder.push_null();
            }
            let leaf = builder.leaf();
            push_token(leaf, *elem, t, *null_int, *null_float, *nan_as_null).map_err(err)
        }
        Kind::FixedArray { elem, n } => {
            let t = trim_ascii(text);
            if t.is_empty() {
                return builder.push_null();
            }
            let count =
                push_array(builder.leaf(), *elem, t, *null_int, *null_float).map_err(err)?;
            if count != *n {
                return Err(err(format!("expected {n} array elements, found {count}")));
            }
            builder.close_list()
        }
        Kind::VarArray { elem, .. } => {
            let t = trim_ascii(text);
            if t.is_empty() {
                return builder.push_null();
            }
            push_array(builder.leaf(), *elem, t, *null_int, *null_float).map_err(err)?;
            builder.close_list()
        }
        Kind::Str { .. } => {
            if text.is_empty() {
                return builder.push_null();
            }
            let s = std::str::from_utf8(text).map_err(|e| err(e.to_string()))?;
            builder.leaf().push_str(trim_padding(s, *trim_spaces))
        }
        Kind::Timestamp { .. } => {
            let t = trim_ascii(text);
            if t.is_empty() {
                return builder.push_null();
            }
            let s = std::str::from_utf8(t).map_err(|e| err(e.to_string()))?;
            let s = trim_padding(s, true);
            if s.is_empty() {
                return builder.push_null();
            }
            let v = parse_timestamp(s).ok_or_else(|| err(format!("invalid timestamp {s:?}")))?;
            builder.leaf().push_i64(v);
            Ok(())
        }
        Kind::StrArray {
            width,
            count,
            unicode,
        } => {
            if text.is_empty() {
                return builder.push_null();
            }
            let s = std::str::from_utf8(text).map_err(|e| err(e.to_string()))?;
            let width = (*width).max(1);
            let expected = match count {
                Len::Fixed(k) => Some(*k),
                Len::Var { .. } => None,
            };
            let leaf = builder.leaf();
            let mut rest = s;
            let mut pushed = 0usize;
            while !rest.is_empty() {
                let cut = split_point(rest, width, *unicode);
                let (chunk, tail) = rest.split_at(cut);
                leaf.push_str(trim_padding(chunk, true))?;
                pushed += 1;
                rest = tail;
                if expected.is_some_and(|k| pushed >= k) {
                    break;
                }
            }
            builder.close_list()
        }
    }
}

/// Where the first `width`-unit string of a 2-D character cell ends: `char` widths
/// count bytes (UTF-8, as VOTable 1.6 proposes; a cut inside a character moves to its
/// end), `unicodeChar` widths count UTF-16 units.
fn split_point(s: &str, width: usize, unicode: bool) -> usize {
    if unicode {
        let mut units = 0;
        for (i, c) in s.char_indices() {
            if units >= width {
                return i;
            }
            units += c.len_utf16();
        }
        return s.len();
    }
    let mut cut = width.min(s.len());
    while !s.is_char_boundary(cut) {
        cut += 1;
    }
    cut
}

/// Pushes the whitespace-separated elements of an array cell; returns their number.
fn push_array(
    leaf: &mut Leaf,
    elem: Elem,
    t: &[u8],
    null_int: Option<i64>,
    null_float: Option<f64>,
) -> Result<usize, String> {
    let mut count = 0usize;
    match elem {
        Elem::Bit => {
            for &b in t {
                match b {
                    b'0' => leaf.push_bool(false),
                    b'1' => leaf.push_bool(true),
                    _ if b.is_ascii_whitespace() => continue,
                    _ => return Err(format!("invalid bit {:?}", b as char)),
                }
                count += 1;
            }
        }
        Elem::C32 | Elem::C64 => {
            let mut toks = t.split(u8::is_ascii_whitespace).filter(|s| !s.is_empty());
            while let Some(re) = toks.next() {
                let im = toks.next().ok_or("complex value without imaginary part")?;
                let re = parse_f64(re)?;
                let im = parse_f64(im)?;
                leaf.push_complex(re, im);
                count += 1;
            }
        }
        _ => {
            for tok in t.split(u8::is_ascii_whitespace).filter(|s| !s.is_empty()) {
                push_token(leaf, elem, tok, null_int, null_float, false)?;
                count += 1;
            }
        }
    }
    Ok(count)
}

/// Pushes one scalar token (already trimmed, non-empty).
#[inline]
fn push_token(
    leaf: &mut Leaf,
    elem: Elem,
    t: &[u8],
    null_int: Option<i64>,
    null_float: Option<f64>,
    nan_as_null: bool,
) -> Result<(), String> {
    match elem {
        Elem::Bool => match parse_bool(t) {
            Some(Some(b)) => leaf.push_bool(b),
            Some(None) => leaf.push_null().map_err(|e| e.to_string())?,
            None => return Err(format!("invalid boolean {:?}", String::from_utf8_lossy(t))),
        },
        Elem::Bit => match t {
            b"0" => leaf.push_bool(false),
            b"1" => leaf.push_bool(true),
            _ => return Err(format!("invalid bit {:?}", String::from_utf8_lossy(t))),
        },
        Elem::U8 | Elem::I16 | Elem::I32 | Elem::I64 => {
            let v = parse_int(t)?;
            let (lo, hi) = match elem {
                Elem::U8 => (0, 255),
                Elem::I16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
                Elem::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                _ => (i64::MIN, i64::MAX),
            };
            if Some(v) == null_int {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else if v < lo || v > hi {
                return Err(format!("value {v} out of range"));
            } else {
                leaf.push_i64(v);
            }
        }
        Elem::F32 => {
            let v = parse_f32(t)?;
            if (nan_as_null && v.is_nan()) || null_float == Some(f64::from(v)) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_f32(v);
            }
        }
        Elem::F64 => {
            let v = parse_f64(t)?;
            if (nan_as_null && v.is_nan()) || null_float == Some(v) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_f64(v);
            }
        }
        Elem::C32 | Elem::C64 => {
            let mut toks = t.split(u8::is_ascii_whitespace).filter(|s| !s.is_empty());
            let (Some(re), Some(im), None) = (toks.next(), toks.next(), toks.next()) else {
                return Err(format!(
                    "invalid complex value {:?}",
                    String::from_utf8_lossy(t)
                ));
            };
            let (re, im) = (parse_f64(re)?, parse_f64(im)?);
            if nan_as_null && (re.is_nan() || im.is_nan()) {
                leaf.push_null().map_err(|e| e.to_string())?;
            } else {
                leaf.push_complex(re, im);
            }
        }
    }
    Ok(())
}

/// `Some(None)` is an explicit null (`?`).
#[inline]
pub(crate) fn parse_bool(t: &[u8]) -> Option<Option<bool>> {
    match t {
        b"T" | b"t" | b"1" => Some(Some(true)),
        b"F" | b"f" | b"0" => Some(Some(false)),
        b"?" | b" " | b"\0" => Some(None),
        _ if t.eq_ignore_ascii_case(b"true") => Some(Some(true)),
        _ if t.eq_ignore_ascii_case(b"false") => Some(Some(false)),
        _ => None,
    }
}

#[inline]
pub(crate) fn parse_int(t: &[u8]) -> Result<i64, String> {
    if let Ok(v) = lexical_core::parse::<i64>(t) {
        return Ok(v);
    }
    let bad = || format!("invalid integer {:?}", String::from_utf8_lossy(t));
    let (neg, body) = match t.strip_prefix(b"-") {
        Some(b) => (true, b),
        None => (false, t.strip_prefix(b"+").unwrap_or(t)),
    };
    if let Some(hex) = body
        .strip_prefix(b"0x")
        .or_else(|| body.strip_prefix(b"0X"))
    {
        let s = std::str::from_utf8(hex).map_err(|_| bad())?;
        // Hexadecimal is a bit pattern (0xFFFF is -1 in a short); keep it as unsigned.
        let v = u64::from_str_radix(s, 16).map_err(|_| bad())? as i64;
        return Ok(if neg { v.wrapping_neg() } else { v });
    }
    // Some services write integral values with a decimal point ("3.0").
    let f = parse_f64(t).map_err(|_| bad())?;
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        return Ok(f as i64);
    }
    Err(bad())
}

#[inline]
pub(crate) fn parse_f64(t: &[u8]) -> Result<f64, String> {
    match lexical_core::parse::<f64>(t) {
        Ok(v) => Ok(v),
        Err(_) => special_float(t)
            .ok_or_else(|| format!("invalid number {:?}", String::from_utf8_lossy(t))),
    }
}

#[inline]
fn parse_f32(t: &[u8]) -> Result<f32, String> {
    match lexical_core::parse::<f32>(t) {
        Ok(v) => Ok(v),
        Err(_) => special_float(t)
            .map(|v| v as f32)
            .ok_or_else(|| format!("invalid number {:?}", String::from_utf8_lossy(t))),
    }
}

fn special_float(t: &[u8]) -> Option<f64> {
    let (neg, body) = match t.first() {
        Some(b'-') => (true, t.get(1..)?),
        Some(b'+') => (false, t.get(1..)?),
        _ => (false, t),
    };
    let v = if body.eq_ignore_ascii_case(b"nan") {
        f64::NAN
    } else if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        f64::INFINITY
    } else {
        // Fortran-style exponents ("1.5D3") appear in old archives.
        let s = std::str::from_utf8(body).ok()?.replace(['D', 'd'], "E");
        s.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scans_rows_across_boundaries() {
        let doc = b"<TR><TD>1</TD><TD/><TD>a&amp;b</TD></TR>\n<vot:TR><vot:TD><![CDATA[x<y]]></vot:TD></vot:TR></TABLEDATA>";
        let mut t = Tokenizer::default();
        // Every prefix cut before the end of the first row asks for more.
        for cut in 0..40 {
            assert_eq!(
                t.scan(&doc[..cut], 0, 10).unwrap(),
                Scan::NeedMore,
                "cut {cut}"
            );
        }
        let Scan::Row { next } = t.scan(doc, 0, 10).unwrap() else {
            panic!()
        };
        assert_eq!(t.cells.len(), 3);
        assert_eq!(t.cells[1].kind, CellKind::Empty);
        assert_eq!(t.cells[2].kind, CellKind::Escaped);
        let Scan::Row { next } = t.scan(doc, next, 10).unwrap() else {
            panic!()
        };
        assert_eq!(t.cells[0].kind, CellKind::Complex);
        let mut out = Vec::new();
        complex_text(&doc[t.cells[0].start..t.cells[0].end], &mut out).unwrap();
        assert_eq!(out, b"x<y");
        assert_eq!(t.scan(doc, next, 10).unwrap(), Scan::End { at: next });
    }

    #[test]
    fn odd_comments_in_cells_terminate() {
        let mut out = Vec::new();
        assert!(complex_text(b"<!-->x<y", &mut out).is_err());
        out.clear();
        complex_text(b"a<!-- c -->b<![CDATA[<]]>", &mut out).unwrap();
        assert_eq!(out, b"ab<");
    }

    #[test]
    fn refuses_unknown_entities() {
        let mut out = Vec::new();
        assert!(unescape_into(b"&lol9;", &mut out).is_err());
        out.clear();
        unescape_into(b"&#x393;&#65;&lt;", &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "ΓA<");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int(b"0x10").unwrap(), 16);
        assert_eq!(parse_int(b"3.0").unwrap(), 3);
        assert!(parse_int(b"3.5").is_err());
        assert!(parse_f64(b"NaN").unwrap().is_nan());
        assert_eq!(parse_f64(b"+Inf").unwrap(), f64::INFINITY);
        assert_eq!(parse_f64(b"-Infinity").unwrap(), f64::NEG_INFINITY);
        assert_eq!(parse_f64(b"1.5D3").unwrap(), 1500.0);
    }
}
