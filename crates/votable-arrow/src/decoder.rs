//! The data part of one table (TABLEDATA, or the STREAM of BINARY/BINARY2): bytes in,
//! record batches out. Tables that are not selected go through the same scanner without
//! decoding, so skipping them is streaming too.

use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::SchemaRef;
use memchr::memchr;

use crate::binary::{Base64Stream, RowLayout};
use crate::column::Column;
use crate::error::{Error, Result};
use crate::options::Limits;
use crate::tabledata::{Scan, Tokenizer, decode_row};

/// Serialisation of a table's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataMode {
    TableData,
    Binary {
        binary2: bool,
    },
    /// No rows (`<TABLEDATA/>`, an empty STREAM, or a TABLE without DATA).
    Empty,
}

/// What [`TableDecoder::process`] achieved.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// More input is needed.
    NeedInput,
    /// A batch is full; take it with [`TableDecoder::take_batch`].
    BatchFull,
    /// The data ended; bytes from `rest_from` on belong to the XML that follows.
    Ended { rest_from: usize },
}

enum Mode {
    TableData {
        tokenizer: Tokenizer,
        scratch: Vec<u8>,
    },
    Binary {
        layout: RowLayout,
        stream: Base64Stream,
        text_done: bool,
    },
    Empty,
}

/// Decoder of one table's data.
pub(crate) struct TableDecoder {
    mode: Mode,
    /// `None` when the table is only being skipped.
    columns: Option<Vec<Column>>,
    schema: SchemaRef,
    /// Raw input not yet processed starts at `pos`.
    pub buf: Vec<u8>,
    pos: usize,
    rows_in_batch: usize,
    /// Rows decoded so far in this table.
    pub row: u64,
    batch_size: usize,
    max_cells: usize,
    max_row_bytes: usize,
}

/// How much raw input to gather before processing: large enough to amortise the
/// per-call work, small enough to stay in cache.
pub(crate) const CHUNK: usize = 256 * 1024;

impl TableDecoder {
    pub(crate) fn new(
        mode: DataMode,
        columns: Option<Vec<Column>>,
        schema: SchemaRef,
        batch_size: usize,
        limits: &Limits,
    ) -> TableDecoder {
        let ncols = columns.as_ref().map_or(limits.max_fields, Vec::len);
        let mode = match mode {
            DataMode::TableData => Mode::TableData {
                tokenizer: Tokenizer::default(),
                scratch: Vec::new(),
            },
            DataMode::Binary { binary2 } => Mode::Binary {
                layout: RowLayout::new(columns.as_deref().unwrap_or_default(), binary2, limits),
                stream: Base64Stream::default(),
                text_done: false,
            },
            DataMode::Empty => Mode::Empty,
        };
        TableDecoder {
            mode,
            columns,
            schema,
            buf: Vec::with_capacity(CHUNK + 1024),
            pos: 0,
            rows_in_batch: 0,
            row: 0,
            batch_size: batch_size.max(1),
            max_cells: ncols,
            max_row_bytes: limits.max_row_bytes,
        }
    }

    /// True when the unprocessed input is below the processing threshold.
    pub(crate) fn wants_input(&self) -> bool {
        !matches!(self.mode, Mode::Empty) && self.buf.len() - self.pos < CHUNK
    }

    /// Rows waiting in the current batch.
    pub(crate) fn pending_rows(&self) -> usize {
        self.rows_in_batch
    }

    /// Drops processed input so the buffer only holds the unprocessed tail.
    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Decodes as many rows as the buffered input allows. `eof` says the input has ended.
    pub(crate) fn process(&mut self, eof: bool) -> Result<Progress> {
        if self.rows_in_batch >= self.batch_size {
            return Ok(Progress::BatchFull);
        }
        match &mut self.mode {
            Mode::Empty => Ok(Progress::Ended {
                rest_from: self.pos,
            }),
            Mode::TableData { tokenizer, scratch } => loop {
                let scan = tokenizer
                    .scan(&self.buf, self.pos, self.max_cells)
                    .map_err(|m| Error::field(self.row, "", m))?;
                match scan {
                    Scan::Row { next } => {
                        if let Some(columns) = self.columns.as_mut() {
                            if tokenizer.cells.len() > columns.len() {
                                return Err(Error::field(
                                    self.row,
                                    "",
                                    format!(
                                        "{} TD for {} FIELDs",
                                        tokenizer.cells.len(),
                                        columns.len()
                                    ),
                                ));
                            }
                            decode_row(columns, &tokenizer.cells, &self.buf, self.row, scratch)?;
                            self.rows_in_batch += 1;
                        }
                        self.row += 1;
                        self.pos = next;
                        if self.rows_in_batch >= self.batch_size {
                            return Ok(Progress::BatchFull);
                        }
                    }
                    Scan::End { at } => {
                        self.pos = at;
                        return Ok(Progress::Ended { rest_from: at });
                    }
                    Scan::NeedMore => {
                        if eof {
                            return Err(Error::Truncated(format!(
                                "the document ends inside TABLEDATA (after {} rows)",
                                self.row
                            )));
                        }
                        self.compact();
                        if self.buf.len() > self.max_row_bytes {
                            return Err(Error::LimitExceeded(format!(
                                "TABLEDATA row {} is larger than {} bytes",
                                self.row, self.max_row_bytes
                            )));
                        }
                        return Ok(Progress::NeedInput);
                    }
                }
            },
            Mode::Binary {
                layout,
                stream,
                text_done,
            } => loop {
                // Decode the complete rows already decoded from base64.
                if let Some(columns) = self.columns.as_mut() {
                    while let Some(n) = layout.row_len(columns, stream.available(), self.row)? {
                        if n == 0 {
                            // A row of no bytes (a table without FIELDs): its rows cannot be told
                            // apart, so bytes in its stream are an error, not endless empty rows.
                            if stream.available().is_empty() {
                                break;
                            }
                            return Err(Error::field(
                                self.row,
                                "",
                                "the BINARY stream holds data, but the TABLE has no FIELD",
                            ));
                        }
                        layout.decode_row(columns, stream.available(), self.row)?;
                        stream.pos += n;
                        self.row += 1;
                        self.rows_in_batch += 1;
                        if self.rows_in_batch >= self.batch_size {
                            return Ok(Progress::BatchFull);
                        }
                    }
                }
                if *text_done {
                    if !stream.available().is_empty() {
                        return Err(Error::Truncated(format!(
                            "the BINARY stream ends inside row {} ({} bytes left over)",
                            self.row,
                            stream.available().len()
                        )));
                    }
                    return Ok(Progress::Ended {
                        rest_from: self.pos,
                    });
                }
                let text = self.buf.get(self.pos..).unwrap_or_default();
                let end = memchr(b'<', text);
                let upto = end.unwrap_or(text.len());
                if self.columns.is_some() {
                    stream
                        .push_text(text.get(..upto).unwrap_or_default())
                        .map_err(|m| Error::field(self.row, "", m))?;
                }
                self.pos += upto;
                if end.is_some() {
                    if self.columns.is_some() {
                        stream.finish_text().map_err(Error::Truncated)?;
                    }
                    *text_done = true;
                    continue;
                }
                if eof {
                    return Err(Error::Truncated(format!(
                        "the document ends inside a BINARY stream (after {} rows)",
                        self.row
                    )));
                }
                if stream.available().len() > self.max_row_bytes {
                    return Err(Error::LimitExceeded(format!(
                        "BINARY row {} is larger than {} bytes",
                        self.row, self.max_row_bytes
                    )));
                }
                self.compact();
                return Ok(Progress::NeedInput);
            },
        }
    }

    /// Builds the batch of the rows decoded since the last call.
    pub(crate) fn take_batch(&mut self) -> Result<RecordBatch> {
        let rows = self.rows_in_batch;
        self.rows_in_batch = 0;
        let Some(columns) = self.columns.as_mut() else {
            return Ok(RecordBatch::new_empty(Arc::clone(&self.schema)));
        };
        let arrays = columns
            .iter_mut()
            .map(|c| c.builder.finish(&c.field))
            .collect::<Result<Vec<_>>>()?;
        let opts = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            arrays,
            &opts,
        )?)
    }
}
