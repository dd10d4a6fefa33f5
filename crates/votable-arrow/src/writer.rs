//! Arrow record batches to VOTable 1.4, streamed batch by batch (BINARY2 by default,
//! TABLEDATA on request).
//!
//! | Arrow | VOTable |
//! | --- | --- |
//! | Boolean | `boolean` (`bit` when the field metadata says so) |
//! | UInt8 | `unsignedByte` |
//! | Int8, Int16 | `short` |
//! | UInt16, Int32 | `int` |
//! | UInt32, Int64, UInt64 | `long` (a UInt64 above `i64::MAX` is an error) |
//! | Float16, Float32 | `float` |
//! | Float64, Decimal | `double` |
//! | Utf8, LargeUtf8, Utf8View, Dictionary of strings | `char` (UTF-8 bytes) `arraysize="*"` (or the fixed `votable:arraysize` kept in metadata; `unicodeChar` when the metadata says so) |
//! | Date, Timestamp | `char` `xtype="timestamp"`, ISO 8601 UTC to the microsecond |
//! | FixedSizeList(2) of Float32/Float64 with `votable:datatype` complex | `floatComplex` / `doubleComplex` |
//! | FixedSizeList(n) of T | T with `arraysize="n"` (or the kept multi-dimensional arraysize) |
//! | List / LargeList of T | T with `arraysize="*"` |
//! | List of Utf8 with a `votable:arraysize` like `14x3` | 2-D `char` |
//!
//! Other types are cast to strings when Arrow can (times, intervals) and refused
//! otherwise ([`Error::Write`]). Characters that XML 1.0 cannot carry (most C0 control
//! characters) are replaced by U+FFFD in TABLEDATA and in attributes; BINARY2 keeps them.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, SchemaRef, TimeUnit};
use base64::Engine;

use crate::datatype::{ArraySize, Datatype, keys};
use crate::error::{Error, Result};
use crate::metadata::QueryStatus;
use crate::timestamp::format_timestamp;

/// Serialisation of the table data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Serialization {
    /// BINARY2 (base64, with null flags): compact and exact.
    #[default]
    Binary2,
    /// TABLEDATA (XML text).
    TableData,
}

/// Options of [`VOTableWriter`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterOptions {
    /// Data serialisation.
    pub serialization: Serialization,
    /// Status written as `INFO name="QUERY_STATUS"` after the table.
    pub query_status: QueryStatus,
    /// `name` of the TABLE.
    pub table_name: Option<String>,
    /// `name` of the RESOURCE.
    pub resource_name: Option<String>,
    /// DESCRIPTION of the TABLE.
    pub description: Option<String>,
    /// Further `(name, value)` INFOs written at the start of the RESOURCE.
    pub infos: Vec<(String, String)>,
}

/// Shape of a written column.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Scalar,
    Complex,
    /// Fixed array of n elements (complex elements count once).
    Fixed(usize),
    /// Variable array; the BINARY prefix counts `unit` elements per item.
    Var {
        unit: usize,
    },
    /// A string; fixed length in characters or variable.
    Str {
        fixed: Option<usize>,
    },
    /// Strings of `width` characters; `count` fixed or variable.
    StrArray {
        width: usize,
        count: Option<usize>,
    },
}

/// How one column is written.
#[derive(Debug)]
struct Plan {
    name: String,
    datatype: Datatype,
    arraysize: Option<String>,
    shape: Shape,
    /// The Arrow type the column is cast to before writing (leaf type for lists).
    target: DataType,
    timestamp: bool,
    xtype: Option<String>,
    attrs: Vec<(&'static str, String)>,
    description: Option<String>,
    null: Option<String>,
    coosys: Option<CooSysKey>,
}

/// A coordinate system from field metadata: system, then equinox and epoch.
type CooSysKey = (String, [Option<String>; 3]);

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

fn plan_for(field: &Field) -> Result<Plan> {
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
                arraysize = Some(fixed.map_or_else(|| "*".to_owned(), |n| n.to_string()));
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

fn inconsistent(column: &str) -> Error {
    Error::Write {
        column: column.to_owned(),
        message: "inconsistent list type".into(),
    }
}

fn fixed_size_attr(parsed: Option<&ArraySize>, declared: Option<&str>, n: usize) -> String {
    match (parsed, declared) {
        (Some(p), Some(d)) if p.variable.is_none() && p.fixed_product() == n => d.to_owned(),
        _ => n.to_string(),
    }
}

fn var_size_attr(parsed: Option<&ArraySize>, declared: Option<&str>) -> String {
    match (parsed, declared) {
        (Some(p), Some(d)) if p.variable.is_some() => d.to_owned(),
        _ => "*".to_owned(),
    }
}

/// Escapes text for XML 1.0 element content or attribute values. Characters XML 1.0
/// cannot represent at all become U+FFFD.
fn escape_into(out: &mut Vec<u8>, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let needs = bytes
        .iter()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\r') || *b < 0x20 || *b == 0xEF);
    if !needs {
        out.extend_from_slice(bytes);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '&' => out.extend_from_slice(b"&amp;"),
            '"' if attribute => out.extend_from_slice(b"&quot;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            '\n' if attribute => out.extend_from_slice(b"&#xA;"),
            '\t' if attribute => out.extend_from_slice(b"&#x9;"),
            '\t' | '\n' => out.push(c as u8),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.extend_from_slice("\u{FFFD}".as_bytes());
            }
            c => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

fn attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    escape_into(out, value, true);
    out.push(b'"');
}

/// Streaming VOTable writer. Write the header with [`VOTableWriter::new`], each batch
/// with [`VOTableWriter::write`], and close the document with [`VOTableWriter::finish`].
pub struct VOTableWriter<W: Write> {
    out: W,
    schema: SchemaRef,
    plans: Vec<Plan>,
    opts: WriterOptions,
    buf: Vec<u8>,
    /// BINARY2 bytes not yet base64-encoded (fewer than 3 between batches).
    raw: Vec<u8>,
    line: usize,
    rows: u64,
}

impl<W: Write> std::fmt::Debug for VOTableWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VOTableWriter")
            .field("schema", &self.schema)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

const B64_LINE: usize = 76;

impl<W: Write> VOTableWriter<W> {
    /// Writes the document header (up to the start of the data).
    pub fn new(out: W, schema: SchemaRef, options: WriterOptions) -> Result<Self> {
        let plans = schema
            .fields()
            .iter()
            .map(|f| plan_for(f))
            .collect::<Result<Vec<_>>>()?;
        let mut w = VOTableWriter {
            out,
            schema,
            plans,
            opts: options,
            buf: Vec::with_capacity(1 << 16),
            raw: Vec::new(),
            line: 0,
            rows: 0,
        };
        w.header();
        w.flush_buf()?;
        Ok(w)
    }

    fn header(&mut self) {
        let b = &mut self.buf;
        b.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd\">\n");
        // One COOSYS per distinct coordinate system found in the field metadata.
        let mut coosys_ids: Vec<(CooSysKey, String)> = Vec::new();
        for p in &self.plans {
            if let Some(c) = &p.coosys
                && !coosys_ids.iter().any(|(k, _)| k == c)
            {
                let id = format!("coosys{}", coosys_ids.len() + 1);
                b.extend_from_slice(b"<COOSYS");
                attr(b, "ID", &id);
                attr(b, "system", &c.0);
                if let Some(e) = &c.1[0] {
                    attr(b, "equinox", e);
                }
                if let Some(e) = &c.1[1] {
                    attr(b, "epoch", e);
                }
                b.extend_from_slice(b"/>\n");
                coosys_ids.push((c.clone(), id));
            }
        }
        b.extend_from_slice(b"<RESOURCE type=\"results\"");
        if let Some(n) = &self.opts.resource_name {
            attr(b, "name", n);
        }
        b.extend_from_slice(b">\n");
        for (name, value) in &self.opts.infos {
            b.extend_from_slice(b"<INFO");
            attr(b, "name", name);
            attr(b, "value", value);
            b.extend_from_slice(b"/>\n");
        }
        b.extend_from_slice(b"<TABLE");
        if let Some(n) = &self.opts.table_name {
            attr(b, "name", n);
        }
        b.extend_from_slice(b">\n");
        if let Some(d) = &self.opts.description {
            b.extend_from_slice(b"<DESCRIPTION>");
            escape_into(b, d, false);
            b.extend_from_slice(b"</DESCRIPTION>\n");
        }
        let mut ids = HashSet::new();
        for (p, f) in self.plans.iter().zip(self.schema.fields()) {
            b.extend_from_slice(b"<FIELD");
            attr(b, "name", &p.name);
            if let Some(id) = f.metadata().get(keys::ID)
                && is_xml_id(id)
                && ids.insert(id.clone())
            {
                attr(b, "ID", id);
            }
            attr(b, "datatype", p.datatype.as_str());
            if let Some(a) = &p.arraysize {
                attr(b, "arraysize", a);
            }
            for (k, v) in &p.attrs {
                attr(b, k, v);
            }
            if let Some(x) = &p.xtype {
                attr(b, "xtype", x);
            }
            if let Some(c) = &p.coosys
                && let Some((_, id)) = coosys_ids.iter().find(|(k, _)| k == c)
            {
                attr(b, "ref", id);
            }
            if p.description.is_none() && p.null.is_none() {
                b.extend_from_slice(b"/>\n");
                continue;
            }
            b.extend_from_slice(b">");
            if let Some(d) = &p.description {
                b.extend_from_slice(b"<DESCRIPTION>");
                escape_into(b, d, false);
                b.extend_from_slice(b"</DESCRIPTION>");
            }
            if let Some(n) = &p.null {
                b.extend_from_slice(b"<VALUES");
                attr(b, "null", n);
                b.extend_from_slice(b"/>");
            }
            b.extend_from_slice(b"</FIELD>\n");
        }
        match self.opts.serialization {
            Serialization::Binary2 => {
                b.extend_from_slice(b"<DATA><BINARY2><STREAM encoding=\"base64\">\n");
            }
            Serialization::TableData => b.extend_from_slice(b"<DATA><TABLEDATA>\n"),
        }
    }

    fn flush_buf(&mut self) -> Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes the rows of one batch. Its schema must have the writer's field types.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_columns() != self.plans.len() {
            return Err(Error::Write {
                column: String::new(),
                message: format!(
                    "batch has {} columns, the schema {}",
                    batch.num_columns(),
                    self.plans.len()
                ),
            });
        }
        let cols = batch
            .columns()
            .iter()
            .zip(&self.plans)
            .map(|(a, p)| Col::new(a, p))
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            match self.opts.serialization {
                Serialization::Binary2 => {
                    let flags_at = self.raw.len();
                    let nflags = self.plans.len().div_ceil(8);
                    self.raw.resize(flags_at + nflags, 0);
                    for (c, (col, plan)) in cols.iter().zip(&self.plans).enumerate() {
                        if col.array.is_null(row)
                            && let Some(f) = self.raw.get_mut(flags_at + (c >> 3))
                        {
                            *f |= 0x80 >> (c & 7);
                        }
                        col.write_binary(plan, row, &mut self.raw)
                            .map_err(|m| write_err(plan, self.rows, m))?;
                    }
                    if self.raw.len() >= 48 * 1024 {
                        self.encode_raw(false);
                    }
                }
                Serialization::TableData => {
                    self.buf.extend_from_slice(b"<TR>");
                    for (col, plan) in cols.iter().zip(&self.plans) {
                        if col.array.is_null(row) {
                            self.buf.extend_from_slice(b"<TD/>");
                        } else {
                            self.buf.extend_from_slice(b"<TD>");
                            col.write_text(plan, row, &mut self.buf)
                                .map_err(|m| write_err(plan, self.rows, m))?;
                            self.buf.extend_from_slice(b"</TD>");
                        }
                    }
                    self.buf.extend_from_slice(b"</TR>\n");
                }
            }
            self.rows += 1;
            if self.buf.len() >= 1 << 16 {
                self.flush_buf()?;
            }
        }
        self.flush_buf()
    }

    /// Base64-encodes the pending BINARY2 bytes (all of them when `all`, else a multiple
    /// of 3) into lines of 76 characters.
    fn encode_raw(&mut self, all: bool) {
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
            self.buf.extend_from_slice(head);
            self.line += take;
            if self.line == B64_LINE {
                self.buf.push(b'\n');
                self.line = 0;
            }
            rest = tail;
        }
    }

    /// Closes the document (data, QUERY_STATUS INFO) and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        match self.opts.serialization {
            Serialization::Binary2 => {
                self.encode_raw(true);
                if self.line > 0 {
                    self.buf.push(b'\n');
                }
                self.buf.extend_from_slice(b"</STREAM></BINARY2></DATA>\n");
            }
            Serialization::TableData => self.buf.extend_from_slice(b"</TABLEDATA></DATA>\n"),
        }
        self.buf.extend_from_slice(b"</TABLE>\n");
        let (value, content) = match &self.opts.query_status {
            QueryStatus::Ok => ("OK", None),
            QueryStatus::Overflow => ("OVERFLOW", None),
            QueryStatus::Error(m) => ("ERROR", Some(m.clone())),
        };
        self.buf.extend_from_slice(b"<INFO name=\"QUERY_STATUS\"");
        attr(&mut self.buf, "value", value);
        match content {
            Some(m) => {
                self.buf.push(b'>');
                escape_into(&mut self.buf, &m, false);
                self.buf.extend_from_slice(b"</INFO>\n");
            }
            None => self.buf.extend_from_slice(b"/>\n"),
        }
        self.buf.extend_from_slice(b"</RESOURCE>\n</VOTABLE>\n");
        self.flush_buf()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_err(plan: &Plan, row: u64, message: String) -> Error {
    Error::Write {
        column: plan.name.clone(),
        message: format!("row {row}: {message}"),
    }
}

fn is_xml_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Writes a whole table: header, batches, trailer.
pub fn write_votable<'a, W: Write>(
    out: W,
    schema: SchemaRef,
    batches: impl IntoIterator<Item = &'a RecordBatch>,
    options: WriterOptions,
) -> Result<()> {
    let mut w = VOTableWriter::new(out, schema, options)?;
    for b in batches {
        w.write(b)?;
    }
    w.finish()?;
    Ok(())
}

/// A column of a batch prepared for writing: the original array (for nulls) and its
/// values cast to the writing type.
struct Col {
    array: ArrayRef,
    /// Leaf values (the list child for arrays).
    values: ArrayRef,
    /// Element ranges of list cells.
    offsets: Option<Vec<usize>>,
}

fn cast_to(a: &dyn Array, to: &DataType) -> std::result::Result<ArrayRef, String> {
    if a.data_type() == to {
        return Ok(arrow_array::make_array(a.to_data()));
    }
    let opts = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow_cast::cast_with_options(a, to, &opts).map_err(|e| e.to_string())
}

impl Col {
    fn new(array: &ArrayRef, plan: &Plan) -> Result<Col> {
        let err = |m: String| Error::Write {
            column: plan.name.clone(),
            message: m,
        };
        let (values, offsets) = match (array.data_type(), &plan.shape) {
            (DataType::FixedSizeList(_, n), Shape::Fixed(_))
            | (DataType::FixedSizeList(_, n), Shape::Complex)
                if plan.shape != Shape::Complex || *n == 2 =>
            {
                let l = array.as_fixed_size_list();
                let n = usize::try_from(*n).unwrap_or(0);
                let mut child = l.values().clone();
                let mut scale = 1;
                if let DataType::FixedSizeList(..) = child.data_type() {
                    // Complex elements: flatten to their components.
                    child = child.as_fixed_size_list().values().clone();
                    scale = 2;
                }
                let per_row = if plan.shape == Shape::Complex {
                    2
                } else {
                    n * scale
                };
                let offsets = (0..=l.len()).map(|i| i * per_row).collect();
                (cast_to(&child, &plan.target).map_err(err)?, Some(offsets))
            }
            (DataType::List(_) | DataType::LargeList(_), _) => {
                let list = if let DataType::LargeList(f) = array.data_type() {
                    cast_to(array, &DataType::List(Arc::clone(f))).map_err(err)?
                } else {
                    Arc::clone(array)
                };
                let l = list.as_list::<i32>();
                let mut child = l.values().clone();
                let mut scale = 1;
                if let DataType::FixedSizeList(..) = child.data_type() {
                    child = child.as_fixed_size_list().values().clone();
                    scale = 2;
                }
                let offsets = l
                    .value_offsets()
                    .iter()
                    .map(|o| usize::try_from(*o).unwrap_or(0) * scale)
                    .collect();
                (cast_to(&child, &plan.target).map_err(err)?, Some(offsets))
            }
            (DataType::ListView(_) | DataType::LargeListView(_), _) => {
                let item = match array.data_type() {
                    DataType::ListView(f) | DataType::LargeListView(f) => Arc::clone(f),
                    _ => return Err(inconsistent(&plan.name)),
                };
                let list = cast_to(array, &DataType::List(item)).map_err(err)?;
                return Col::new(&list, plan).map(|mut c| {
                    c.array = Arc::clone(array);
                    c
                });
            }
            _ => (cast_to(array, &plan.target).map_err(err)?, None),
        };
        Ok(Col {
            array: Arc::clone(array),
            values,
            offsets,
        })
    }

    fn range(&self, row: usize) -> (usize, usize) {
        match &self.offsets {
            Some(o) => (
                o.get(row).copied().unwrap_or(0),
                o.get(row + 1).copied().unwrap_or(0),
            ),
            None => (row, row + 1),
        }
    }

    fn string(&self, i: usize) -> &str {
        let s = self.values.as_string::<i32>();
        if i < s.len() && s.is_valid(i) {
            s.value(i)
        } else {
            ""
        }
    }

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
