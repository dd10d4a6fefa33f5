//! The async reader, over any [`tokio::io::AsyncBufRead`] (an HTTP body, a file).

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures::Stream;
use quick_xml::Reader;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::core::{Core, Goal, Need};
use crate::error::{Error, Result};
use crate::metadata::{DocumentInfo, QueryStatus, TableInfo};
use crate::options::ReaderOptions;
use crate::reader::configure;
use crate::source::Source;

/// The async counterpart of [`crate::VOTableReader`]: same decoding, same limits, same
/// trailer semantics; batches come from [`AsyncVOTableReader::next_batch`] or the
/// [`Stream`] of [`AsyncVOTableReader::into_stream`].
pub struct AsyncVOTableReader<R: AsyncBufRead + Unpin> {
    xml: Reader<Source<R>>,
    buf: Vec<u8>,
    core: Core,
    failed: bool,
}

impl<R: AsyncBufRead + Unpin> std::fmt::Debug for AsyncVOTableReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncVOTableReader")
            .field("schema", &self.core.schema)
            .finish_non_exhaustive()
    }
}

impl<R: AsyncBufRead + Unpin> AsyncVOTableReader<R> {
    /// Reads the document up to the data of the selected table (see
    /// [`crate::VOTableReader::new`] for the errors).
    pub async fn new(reader: R, options: ReaderOptions) -> Result<Self> {
        let mut xml = Reader::from_reader(Source::new(reader, options.limits.max_event_bytes));
        configure(xml.config_mut());
        let mut this = AsyncVOTableReader {
            xml,
            buf: Vec::new(),
            core: Core::new(options),
            failed: false,
        };
        this.drive().await?;
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

    /// Metadata of the current table.
    pub fn table_info(&self) -> Option<&TableInfo> {
        self.core.table.as_ref()
    }

    /// Document metadata read so far (complete for the table once exhausted).
    pub fn trailer(&self) -> &DocumentInfo {
        &self.core.parser.doc
    }

    /// The query status read so far.
    pub fn status(&self) -> &QueryStatus {
        &self.core.parser.doc.query_status
    }

    /// The next batch of the current table, `Ok(None)` once it is exhausted.
    pub async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.failed {
            return Ok(None);
        }
        self.core.goal = Goal::Rows;
        match self.drive().await {
            Ok(b) => Ok(b),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Moves to the next TABLE of the document; `Ok(false)` at the end.
    pub async fn next_table(&mut self) -> Result<bool> {
        while self.next_batch().await?.is_some() {}
        if !self.core.select_next_table() {
            return Ok(false);
        }
        self.drive().await?;
        Ok(self.core.schema.is_some())
    }

    /// Reads to the end of the document and returns its complete metadata.
    pub async fn finish(mut self) -> Result<DocumentInfo> {
        self.core.goal = Goal::End;
        self.drive().await?;
        Ok(self.core.parser.doc)
    }

    /// The batches of the current table as a [`Stream`]. It consumes the reader, so a
    /// consumer that needs the trailer (the final query status) after the rows should
    /// loop on [`AsyncVOTableReader::next_batch`] instead.
    pub fn into_stream(self) -> impl Stream<Item = Result<RecordBatch>> + Unpin {
        Box::pin(futures::stream::unfold(Some(self), |state| async move {
            let mut reader = state?;
            match reader.next_batch().await {
                Ok(Some(batch)) => Some((Ok(batch), Some(reader))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        }))
    }

    async fn drive(&mut self) -> Result<Option<RecordBatch>> {
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
                        .read_event_into_async(&mut self.buf)
                        .await
                        .map_err(|e| Error::from_quick_xml(e, position))?;
                    self.core.feed_event(event, position)?;
                }
                Need::Bytes => {
                    let src = self.xml.get_mut();
                    src.reset_budget();
                    let chunk = src.fill_buf().await.map_err(Error::from_io)?;
                    if chunk.is_empty() {
                        self.core.feed_eof();
                    } else {
                        let n = chunk.len();
                        self.core.feed_bytes(chunk);
                        std::pin::Pin::new(&mut *src).consume(n);
                    }
                }
            }
        }
    }
}
