//! The reading state machine shared by the blocking and the async reader. It does no
//! I/O: it says what it needs next ([`Need`]) and is fed XML events and raw bytes.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use quick_xml::events::Event;

use crate::column::Column;
use crate::datatype::{build_schema, kind_of};
use crate::decoder::{Progress, TableDecoder};
use crate::error::{Error, Result};
use crate::header::{Parser, Step, Want};
use crate::metadata::TableInfo;
use crate::options::ReaderOptions;

/// What the driver must do next.
#[derive(Debug)]
pub(crate) enum Need {
    /// Read one XML event and pass it to [`Core::feed_event`].
    Event,
    /// Read raw bytes and pass them to [`Core::feed_bytes`] (or [`Core::feed_eof`]).
    Bytes,
    /// A batch of the selected table.
    Batch(RecordBatch),
    /// The goal of the current mode is reached.
    Done,
}

/// What the reader is working towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Goal {
    /// The schema of the selected table.
    Schema,
    /// The batches of the selected table, then its trailer up to the next TABLE or the
    /// end of the document.
    Rows,
    /// The end of the document, skipping everything.
    End,
}

/// See the module documentation.
pub(crate) struct Core {
    pub parser: Parser,
    opts: ReaderOptions,
    pub goal: Goal,
    decoder: Option<TableDecoder>,
    decoder_selected: bool,
    pub schema: Option<SchemaRef>,
    pub table: Option<TableInfo>,
    table_done: bool,
    at_table_start: bool,
    pub doc_ended: bool,
    input_eof: bool,
    pushback: Option<Vec<u8>>,
    data_bytes: u64,
}

impl Core {
    pub(crate) fn new(opts: ReaderOptions) -> Core {
        Core {
            parser: Parser::new(opts.limits.clone(), opts.table.clone()),
            opts,
            goal: Goal::Schema,
            decoder: None,
            decoder_selected: false,
            schema: None,
            table: None,
            table_done: false,
            at_table_start: false,
            doc_ended: false,
            input_eof: false,
            pushback: None,
            data_bytes: 0,
        }
    }

    /// Bytes the driver must push back into its source before reading on.
    pub(crate) fn take_pushback(&mut self) -> Option<Vec<u8>> {
        self.pushback.take()
    }

    pub(crate) fn poll(&mut self) -> Result<Need> {
        loop {
            if self.goal == Goal::Schema && self.schema.is_some() {
                return Ok(Need::Done);
            }
            if let Some(dec) = self.decoder.as_mut() {
                if dec.wants_input() && !self.input_eof {
                    return Ok(Need::Bytes);
                }
                match dec.process(self.input_eof)? {
                    Progress::NeedInput => return Ok(Need::Bytes),
                    Progress::BatchFull => {
                        let batch = dec.take_batch()?;
                        if self.decoder_selected && self.goal == Goal::Rows {
                            return Ok(Need::Batch(batch));
                        }
                    }
                    Progress::Ended { rest_from } => {
                        let rest = dec.buf.get(rest_from..).unwrap_or_default().to_vec();
                        self.data_bytes = self.data_bytes.saturating_sub(rest.len() as u64);
                        let last = if self.decoder_selected && dec.pending_rows() > 0 {
                            Some(dec.take_batch()?)
                        } else {
                            None
                        };
                        self.pushback = Some(rest);
                        self.input_eof = false;
                        self.decoder = None;
                        if self.decoder_selected {
                            self.table_done = true;
                        }
                        if let Some(batch) = last.filter(|_| self.goal == Goal::Rows) {
                            return Ok(Need::Batch(batch));
                        }
                    }
                }
                continue;
            }
            if self.doc_ended {
                return Ok(Need::Done);
            }
            match self.goal {
                Goal::Schema if self.schema.is_some() => return Ok(Need::Done),
                Goal::Rows if self.table_done && self.at_table_start => return Ok(Need::Done),
                _ => return Ok(Need::Event),
            }
        }
    }

    pub(crate) fn feed_event(&mut self, event: Event<'_>, position: u64) -> Result<()> {
        match self.parser.on_event(event, position + self.data_bytes)? {
            Step::Continue => {}
            Step::TableStart => {
                if self.table_done || self.schema.is_none() {
                    self.at_table_start = true;
                }
            }
            Step::Data { selected, mode } => {
                if selected {
                    let (columns, schema) = self.start_table()?;
                    let limits = &self.opts.limits;
                    self.decoder = Some(TableDecoder::new(
                        mode,
                        Some(columns),
                        schema,
                        self.opts.batch_size,
                        limits,
                    ));
                } else {
                    let limits = &self.opts.limits;
                    self.decoder = Some(TableDecoder::new(
                        mode,
                        None,
                        Arc::new(Schema::empty()),
                        self.opts.batch_size,
                        limits,
                    ));
                }
                self.decoder_selected = selected;
            }
            Step::EmptyTable => {
                self.start_table()?;
                self.table_done = true;
                self.parser.end_table_if_closed();
            }
            Step::Eof => self.doc_ended = true,
        }
        Ok(())
    }

    pub(crate) fn feed_bytes(&mut self, chunk: &[u8]) {
        if let Some(dec) = self.decoder.as_mut() {
            dec.buf.extend_from_slice(chunk);
            self.data_bytes += chunk.len() as u64;
        }
    }

    pub(crate) fn feed_eof(&mut self) {
        self.input_eof = true;
    }

    fn start_table(&mut self) -> Result<(Vec<Column>, SchemaRef)> {
        let info = self.parser.table.clone().unwrap_or_default();
        let kinds = info
            .fields
            .iter()
            .map(|f| kind_of(f, &self.opts.limits))
            .collect::<Result<Vec<_>>>()?;
        let schema = Arc::new(build_schema(&info.fields, &kinds, &self.parser.doc));
        let capacity = self
            .opts
            .batch_size
            .max(1)
            .min(info.nrows.map_or(usize::MAX, |n| (n as usize).max(1)));
        let columns = info
            .fields
            .iter()
            .zip(kinds)
            .zip(schema.fields())
            .map(|((f, k), field)| {
                Column::new(f, k, Arc::clone(field), self.opts.nan_as_null, capacity)
            })
            .collect();
        self.schema = Some(Arc::clone(&schema));
        self.table = Some(info);
        self.table_done = false;
        self.at_table_start = false;
        Ok((columns, schema))
    }

    /// After the current table is exhausted: selects the TABLE that stopped the trailer.
    /// Returns false at the end of the document.
    pub(crate) fn select_next_table(&mut self) -> bool {
        if self.doc_ended || !self.at_table_start {
            return false;
        }
        self.parser.set_want(Want::Nothing);
        self.parser.select_current_table();
        self.at_table_start = false;
        self.table_done = false;
        self.schema = None;
        self.table = None;
        self.goal = Goal::Schema;
        true
    }

    /// The error for a document that has no selectable table.
    pub(crate) fn no_table_error(&self) -> Error {
        match &self.parser.doc.query_status {
            crate::metadata::QueryStatus::Error(msg) => Error::ServiceError(msg.clone()),
            _ => Error::NoTable,
        }
    }
}
