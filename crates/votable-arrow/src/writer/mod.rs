//! Arrow record batches to VOTable 1.4, streamed batch by batch by [`VOTableWriter`].
//!
//! BINARY2 by default, TABLEDATA on request. This file holds the options and the document
//! around the data; `plan` decides how each field is written, `column` prepares a batch's
//! columns, `tabledata` and `binary2` write the rows, `xml` escapes text.
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

mod binary2;
mod column;
mod plan;
mod tabledata;
mod xml;

use std::collections::HashSet;
use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use self::binary2::Binary2Stream;
use self::column::Col;
use self::plan::{CooSysKey, Plan, plan_for};
pub use self::plan::{DeclaredType, declared_type};
use self::xml::{attr, escape_into, is_xml_id};
use crate::datatype::keys;
use crate::error::{Error, Result};
use crate::metadata::QueryStatus;

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

/// Streaming VOTable writer. Write the header with [`VOTableWriter::new`], each batch
/// with [`VOTableWriter::write`], and close the document with [`VOTableWriter::finish`].
pub struct VOTableWriter<W: Write> {
    out: W,
    schema: SchemaRef,
    plans: Vec<Plan>,
    opts: WriterOptions,
    buf: Vec<u8>,
    /// The BINARY2 stream (unused for TABLEDATA).
    binary2: Binary2Stream,
    rows: u64,
    /// Where this table is in a document of several ([`write_votable_tables`]); `None` for a document of
    /// its own.
    part: Option<Part>,
}

/// One table of a document of several: its index, and whether it is the last.
#[derive(Debug, Clone, Copy)]
struct Part {
    index: usize,
    last: bool,
}

impl<W: Write> std::fmt::Debug for VOTableWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VOTableWriter")
            .field("schema", &self.schema)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write> VOTableWriter<W> {
    /// Sets the status written after the table (e.g. `OVERFLOW` once a row limit was reached).
    pub fn set_query_status(&mut self, status: QueryStatus) {
        self.opts.query_status = status;
    }

    /// Writes the document header (up to the start of the data).
    pub fn new(out: W, schema: SchemaRef, options: WriterOptions) -> Result<Self> {
        Self::new_part(out, schema, options, None)
    }

    /// Writes the header of a table, as a whole document or as `part` of one.
    fn new_part(
        out: W,
        schema: SchemaRef,
        options: WriterOptions,
        part: Option<Part>,
    ) -> Result<Self> {
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
            binary2: Binary2Stream::default(),
            rows: 0,
            part,
        };
        w.header();
        w.flush_buf()?;
        Ok(w)
    }

    /// Appends everything before the first row: COOSYS, RESOURCE, INFOs, TABLE, FIELDs and
    /// the start of the data.
    fn header(&mut self) {
        let b = &mut self.buf;
        if self.part.is_none_or(|p| p.index == 0) {
            b.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd\">\n");
        }
        // In a document of several tables the RESOURCE opens first and holds its COOSYS (VOTABLE's own
        // come before any RESOURCE), with IDs unique in the document.
        let id_prefix = match self.part {
            Some(p) => {
                b.extend_from_slice(b"<RESOURCE type=\"results\"");
                if let Some(n) = &self.opts.resource_name {
                    attr(b, "name", n);
                }
                b.extend_from_slice(b">\n");
                format!("t{}_", p.index + 1)
            }
            None => String::new(),
        };
        // One COOSYS per distinct coordinate system found in the field metadata.
        let mut coosys_ids: Vec<(CooSysKey, String)> = Vec::new();
        for p in &self.plans {
            if let Some(c) = &p.coosys
                && !coosys_ids.iter().any(|(k, _)| k == c)
            {
                let id = format!("{id_prefix}coosys{}", coosys_ids.len() + 1);
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
        if self.part.is_none() {
            b.extend_from_slice(b"<RESOURCE type=\"results\"");
            if let Some(n) = &self.opts.resource_name {
                attr(b, "name", n);
            }
            b.extend_from_slice(b">\n");
        }
        // DALI: the status comes first in the RESOURCE; a result found cut or failed says so again after
        // the table (see `finish`), which readers take as the final word.
        b.extend_from_slice(b"<INFO name=\"QUERY_STATUS\" value=\"OK\"/>\n");
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

    /// Hands the buffered text to the output.
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
                    self.binary2
                        .write_row(&cols, &self.plans, row, self.rows, &mut self.buf)?;
                }
                Serialization::TableData => {
                    tabledata::write_row(&cols, &self.plans, row, self.rows, &mut self.buf)?;
                }
            }
            self.rows += 1;
            if self.buf.len() >= 1 << 16 {
                self.flush_buf()?;
            }
        }
        self.flush_buf()
    }

    /// Closes the document (data, QUERY_STATUS INFO) and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        match self.opts.serialization {
            Serialization::Binary2 => {
                self.binary2.finish(&mut self.buf);
                self.buf.extend_from_slice(b"</STREAM></BINARY2></DATA>\n");
            }
            Serialization::TableData => self.buf.extend_from_slice(b"</TABLEDATA></DATA>\n"),
        }
        self.buf.extend_from_slice(b"</TABLE>\n");
        let trailer = match &self.opts.query_status {
            QueryStatus::Ok => None,
            QueryStatus::Overflow => Some(("OVERFLOW", None)),
            QueryStatus::Error(m) => Some(("ERROR", Some(m.clone()))),
        };
        if let Some((value, content)) = trailer {
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
        }
        self.buf.extend_from_slice(b"</RESOURCE>\n");
        if self.part.is_none_or(|p| p.last) {
            self.buf.extend_from_slice(b"</VOTABLE>\n");
        }
        self.flush_buf()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes one document of several tables, each in a RESOURCE of its own (with its `resource_name`,
/// `table_name`, INFOs and QUERY_STATUS), and returns the inner writer. No table at all is a document
/// with one empty RESOURCE, as VOTable requires one.
pub fn write_votable_tables<'a, W: Write>(
    out: W,
    tables: impl IntoIterator<Item = (SchemaRef, &'a [RecordBatch], WriterOptions)>,
) -> Result<W> {
    let tables: Vec<_> = tables.into_iter().collect();
    if tables.is_empty() {
        let empty = std::sync::Arc::new(arrow_schema::Schema::empty());
        return VOTableWriter::new(out, empty, WriterOptions::default())?.finish();
    }
    let count = tables.len();
    let mut out = out;
    for (index, (schema, batches, options)) in tables.into_iter().enumerate() {
        let part = Part {
            index,
            last: index + 1 == count,
        };
        let mut w = VOTableWriter::new_part(out, schema, options, Some(part))?;
        for b in batches {
            w.write(b)?;
        }
        out = w.finish()?;
    }
    Ok(out)
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

/// Writes a DALI error document: a `results` RESOURCE with `INFO name="QUERY_STATUS" value="ERROR"` whose
/// text is `message`, and no table (what a TAP service answers for a query that failed).
pub fn write_error_document<W: Write>(mut out: W, message: &str) -> Result<W> {
    let mut buf = Vec::with_capacity(message.len() + 256);
    buf.extend_from_slice(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
          <VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n\
          <RESOURCE type=\"results\">\n<INFO name=\"QUERY_STATUS\" value=\"ERROR\">",
    );
    escape_into(&mut buf, message, false);
    buf.extend_from_slice(b"</INFO>\n</RESOURCE>\n</VOTABLE>\n");
    out.write_all(&buf)?;
    out.flush()?;
    Ok(out)
}
