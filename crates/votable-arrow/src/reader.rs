//! The blocking reader.

use std::io::BufRead;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use quick_xml::Reader;

use crate::core::{Core, Goal, Need};
use crate::error::{Error, Result};
use crate::metadata::{DocumentInfo, QueryStatus, TableInfo};
use crate::options::{ReaderOptions, TableSelector};
use crate::source::Source;

/// Streaming VOTable reader over any [`BufRead`], yielding Arrow record batches of at
/// most [`ReaderOptions::batch_size`] rows.
///
/// [`VOTableReader::new`] reads the document up to the start of the selected table's
/// data; the iterator then decodes rows batch by batch. Once it returns `None`,
/// [`VOTableReader::trailer`] includes the INFOs after the table (a late
/// `QUERY_STATUS=OVERFLOW`, say), up to the next TABLE or the end of the document;
/// [`VOTableReader::finish`] reads to the very end. [`VOTableReader::next_table`] moves
/// on to the following TABLE.
///
/// Memory stays bounded by the batch size and [`crate::Limits`], whatever the size of
/// the document.
pub struct VOTableReader<R: BufRead> {
    xml: Reader<Source<R>>,
    buf: Vec<u8>,
    core: Core,
    failed: bool,
}

impl<R: BufRead> std::fmt::Debug for VOTableReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VOTableReader")
            .field("schema", &self.core.schema)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> VOTableReader<R> {
    /// Reads the document up to the data of the selected table.
    ///
    /// Fails with [`Error::ServiceError`] for an error document without table (DALI
    /// `QUERY_STATUS=ERROR`, Simple Cone Search `INFO`/`PARAM name="Error"`), and with
    /// [`Error::NoTable`] when no table matches [`ReaderOptions::table`].
    pub fn new(reader: R, options: ReaderOptions) -> Result<Self> {
        let mut xml = Reader::from_reader(Source::new(reader, options.limits.max_event_bytes));
        configure(xml.config_mut());
        let mut this = VOTableReader {
            xml,
            buf: Vec::new(),
            core: Core::new(options),
            failed: false,
        };
        this.drive()?;
        if this.core.schema.is_none() {
            return Err(this.core.no_table_error());
        }
        Ok(this)
    }

    /// Schema of the current table.
    pub fn schema(&self) -> SchemaRef {
        self.core
            .schema
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(arrow_schema::Schema::empty()))
    }

    /// Metadata of the current table (FIELDs, PARAMs, INFOs read so far).
    pub fn table_info(&self) -> Option<&TableInfo> {
        self.core.table.as_ref()
    }

    /// Document metadata read so far; complete for the current table once the iterator
    /// is exhausted.
    pub fn trailer(&self) -> &DocumentInfo {
        &self.core.parser.doc
    }

    /// The query status read so far (the last one wins).
    pub fn status(&self) -> &QueryStatus {
        &self.core.parser.doc.query_status
    }

    /// Skips what is left of the current table and moves to the next TABLE of the
    /// document, whatever its resource. Returns `Ok(false)` at the end of the document.
    pub fn next_table(&mut self) -> Result<bool> {
        for batch in self.by_ref() {
            batch?;
        }
        if !self.core.select_next_table() {
            return Ok(false);
        }
        self.drive()?;
        Ok(self.core.schema.is_some())
    }

    /// Reads to the end of the document, skipping remaining rows and tables, and returns
    /// the complete document metadata.
    pub fn finish(mut self) -> Result<DocumentInfo> {
        self.core.goal = Goal::End;
        self.drive()?;
        Ok(self.core.parser.doc)
    }

    /// Runs the state machine until it reaches its goal or yields a batch.
    fn drive(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let need = self.core.poll()?;
            if let Some(rest) = self.core.take_pushback() {
                self.xml.get_mut().push_back(&rest);
            }
            match need {
                Need::Done => return Ok(None),
                Need::Batch(b) => return Ok(Some(b)),
                Need::Event => {
                    self.buf.clear();
                    self.xml.get_mut().reset_budget();
                    let position = self.xml.buffer_position();
                    let event = self
                        .xml
                        .read_event_into(&mut self.buf)
                        .map_err(|e| Error::from_quick_xml(e, position))?;
                    self.core.feed_event(event, position)?;
                }
                Need::Bytes => {
                    let src = self.xml.get_mut();
                    src.reset_budget();
                    let chunk = src.fill_buf().map_err(Error::from_io)?;
                    if chunk.is_empty() {
                        self.core.feed_eof();
                    } else {
                        let n = chunk.len();
                        self.core.feed_bytes(chunk);
                        src.consume(n);
                    }
                }
            }
        }
    }
}

/// quick-xml settings shared by both readers: the parser checks nesting itself, and
/// text is kept verbatim.
pub(crate) fn configure(config: &mut quick_xml::reader::Config) {
    config.check_end_names = false;
    config.expand_empty_elements = false;
    config.trim_text(false);
}

impl<R: BufRead> Iterator for VOTableReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        self.core.goal = Goal::Rows;
        match self.drive() {
            Ok(b) => b.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// One table of a [`VOTableDocument`].
#[derive(Debug, Clone)]
pub struct Table {
    /// TABLE metadata.
    pub info: TableInfo,
    /// Arrow schema.
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
}

impl Table {
    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// A whole document in memory, from [`read_votable`].
#[derive(Debug, Clone)]
pub struct VOTableDocument {
    /// Every TABLE, in document order (tables of `meta` resources included).
    pub tables: Vec<Table>,
    /// Document metadata, including the final query status.
    pub info: DocumentInfo,
}

/// Reads every table of a document into memory (a convenience over [`VOTableReader`]).
///
/// A document without any table is returned with no tables, unless it is an error
/// document, which gives [`Error::ServiceError`].
pub fn read_votable<R: BufRead>(reader: R, options: ReaderOptions) -> Result<VOTableDocument> {
    let options = options.with_table(TableSelector::Index(0));
    let mut r = match VOTableReader::new(reader, options) {
        Ok(r) => r,
        Err(Error::NoTable) => {
            return Ok(VOTableDocument {
                tables: Vec::new(),
                info: DocumentInfo::default(),
            });
        }
        Err(e) => return Err(e),
    };
    let mut tables = Vec::new();
    loop {
        let schema = r.schema();
        let batches = r.by_ref().collect::<Result<Vec<_>>>()?;
        tables.push(Table {
            info: r.table_info().cloned().unwrap_or_default(),
            schema,
            batches,
        });
        if !r.next_table()? {
            break;
        }
    }
    let info = r.finish()?;
    Ok(VOTableDocument { tables, info })
}
