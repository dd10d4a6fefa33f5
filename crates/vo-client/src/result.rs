//! Tabular results of every service: a stream of Arrow record batches that knows, once it
//! has ended, whether the service delivered everything or stopped at a row limit.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, Stream, StreamExt};

use crate::error::Result;

/// Whether a result holds every row the query selects.
#[must_use = "a truncated result must be reported or handled, never taken as the full answer"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// The service delivered every row.
    Complete,
    /// The service stopped at a row limit (`QUERY_STATUS=OVERFLOW`): the rows are a prefix of
    /// the answer.
    Truncated {
        /// The `MAXREC` we asked for, if any (otherwise the service's own default limit
        /// applied).
        maxrec: Option<u64>,
    },
}

impl Completeness {
    /// True for [`Completeness::Truncated`].
    pub fn is_truncated(self) -> bool {
        matches!(self, Completeness::Truncated { .. })
    }
}

/// One item of the inner stream: a batch, or the end with the document's verdict.
pub(crate) enum Chunk {
    Batch(RecordBatch),
    End(Completeness),
}

/// Work to finish once the stream has ended (deleting a UWS job).
pub(crate) type Cleanup = BoxFuture<'static, ()>;

/// A streaming tabular result.
///
/// Read it as a [`Stream`] of record batches; once the stream has returned `None`,
/// [`QueryResult::completeness`] tells whether the rows are complete. [`QueryResult::collect`]
/// does both. A service error reported inside the document (after some rows) arrives as an
/// `Err` item; a body cut short is an error, never a shorter table.
#[must_use = "a query result does nothing unless read, and may be truncated"]
pub struct QueryResult {
    schema: SchemaRef,
    inner: BoxStream<'static, Result<Chunk>>,
    completeness: Option<Completeness>,
    rows: u64,
    cleanup: Option<Cleanup>,
    /// Runs when the result is dropped before its end (e.g. deletes the job in the background).
    on_drop: Option<Box<dyn FnOnce() + Send>>,
    finished: bool,
}

impl fmt::Debug for QueryResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryResult")
            .field("schema", &self.schema)
            .field("rows", &self.rows)
            .field("completeness", &self.completeness)
            .finish_non_exhaustive()
    }
}

impl QueryResult {
    pub(crate) fn new(schema: SchemaRef, inner: BoxStream<'static, Result<Chunk>>) -> Self {
        QueryResult {
            schema,
            inner,
            completeness: None,
            rows: 0,
            cleanup: None,
            on_drop: None,
            finished: false,
        }
    }

    /// A result whose batches are already in memory.
    pub fn from_batches(
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        completeness: Completeness,
    ) -> Self {
        let items = batches
            .into_iter()
            .map(|b| Ok(Chunk::Batch(b)))
            .chain(std::iter::once(Ok(Chunk::End(completeness))));
        Self::new(schema, futures::stream::iter(items).boxed())
    }

    /// Sets the work run at the end of the stream (awaited before the stream reports its
    /// end) and the action run if the result is dropped before that.
    pub(crate) fn with_cleanup(
        mut self,
        cleanup: Cleanup,
        on_drop: Box<dyn FnOnce() + Send>,
    ) -> Self {
        self.cleanup = Some(cleanup);
        self.on_drop = Some(on_drop);
        self
    }

    /// The Arrow schema of the batches (column metadata as in `docs/architecture.md`).
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Rows received so far.
    pub fn rows_received(&self) -> u64 {
        self.rows
    }

    /// `Some` once the stream has ended without error.
    pub fn completeness(&self) -> Option<Completeness> {
        self.completeness
    }

    /// Reads every batch into memory.
    pub async fn collect(mut self) -> Result<Table> {
        let mut batches = Vec::new();
        while let Some(batch) = self.next().await {
            batches.push(batch?);
        }
        // The stream only ends cleanly after its End chunk, which sets completeness.
        let completeness = self.completeness.unwrap_or(Completeness::Complete);
        Ok(Table {
            schema: self.schema.clone(),
            batches,
            completeness,
        })
    }
}

impl Stream for QueryResult {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.finished {
                if let Some(cleanup) = this.cleanup.as_mut() {
                    match cleanup.poll_unpin(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => this.cleanup = None,
                    }
                }
                return Poll::Ready(None);
            }
            match this.inner.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(Chunk::Batch(batch)))) => {
                    this.rows += batch.num_rows() as u64;
                    return Poll::Ready(Some(Ok(batch)));
                }
                Poll::Ready(Some(Ok(Chunk::End(c)))) => {
                    this.completeness = Some(c);
                    this.finished = true;
                    this.on_drop = None;
                }
                Poll::Ready(Some(Err(err))) => {
                    // An error ends the stream; the cleanup (job deletion) still runs.
                    this.finished = true;
                    this.on_drop = None;
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(None) => {
                    this.finished = true;
                    this.on_drop = None;
                }
            }
        }
    }
}

impl Drop for QueryResult {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.take() {
            f();
        } else if self.finished && self.cleanup.is_some() {
            // Ended but the caller stopped polling before the cleanup finished: finish it in
            // the background when a runtime is available.
            if let Some(cleanup) = self.cleanup.take() {
                crate::cleanup::spawn(cleanup);
            }
        }
    }
}

/// A result read completely into memory.
#[must_use = "check `completeness`: the table may be truncated"]
#[derive(Debug, Clone)]
pub struct Table {
    /// The schema.
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// Whether the rows are all of the answer.
    pub completeness: Completeness,
}

impl Table {
    /// Total number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use arrow_array::Int32Array;
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    fn batch() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, false)]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int32Array::from(vec![1, 2, 3]))],
        )
        .unwrap();
        (schema, b)
    }

    #[tokio::test]
    async fn collect_reports_truncation() {
        let (schema, b) = batch();
        let r = QueryResult::from_batches(
            schema,
            vec![b.clone(), b],
            Completeness::Truncated { maxrec: Some(6) },
        );
        let t = r.collect().await.unwrap();
        assert_eq!(t.num_rows(), 6);
        assert_eq!(t.completeness, Completeness::Truncated { maxrec: Some(6) });
    }

    #[tokio::test]
    async fn cleanup_runs_at_end_and_drop_hook_only_when_abandoned() {
        let (schema, b) = batch();
        let cleaned = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicBool::new(false));
        let (c, d) = (cleaned.clone(), dropped.clone());
        let r = QueryResult::from_batches(schema.clone(), vec![b.clone()], Completeness::Complete)
            .with_cleanup(
                async move { c.store(true, Ordering::SeqCst) }.boxed(),
                Box::new(move || d.store(true, Ordering::SeqCst)),
            );
        let t = r.collect().await.unwrap();
        assert_eq!(t.completeness, Completeness::Complete);
        assert!(cleaned.load(Ordering::SeqCst));
        assert!(!dropped.load(Ordering::SeqCst));

        let dropped = Arc::new(AtomicBool::new(false));
        let d = dropped.clone();
        let r = QueryResult::from_batches(schema, vec![b], Completeness::Complete).with_cleanup(
            async {}.boxed(),
            Box::new(move || d.store(true, Ordering::SeqCst)),
        );
        drop(r);
        assert!(dropped.load(Ordering::SeqCst));
    }
}
