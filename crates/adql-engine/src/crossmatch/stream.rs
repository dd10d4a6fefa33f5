//! The probe stream of [`super::CrossmatchExec`]: the probe input read in chunks, each matched on all threads.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;

use super::matcher::{Matcher, SideRows};

/// Probe rows matched together, at least: the kernel sorts them by cell, and a chunk that is denser in the
/// index reads it more sequentially (a chunk of 8192 rows costs about three times as much per row as one of
/// 2^17 against a million sources). Chunks grow with the index (see [`chunk_rows`]) so that they stay as
/// dense; their working memory is about 60 bytes per row, against the index's 20 per build source.
pub(super) const PROBE_CHUNK_ROWS: usize = 1 << 17;

/// Rows per probe chunk against an index of `build_rows` sources: one eighth of them, at least
/// [`PROBE_CHUNK_ROWS`].
fn chunk_rows(build_rows: usize) -> usize {
    (build_rows / 8).max(PROBE_CHUNK_ROWS)
}

/// How the probe input is matched.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProbeOptions {
    /// Threads matching each chunk.
    pub(super) threads: NonZeroUsize,
    /// Rows per output batch, at most.
    pub(super) batch_size: usize,
}

impl ProbeOptions {
    /// The options of a task: every configured thread, the session's batch size.
    pub(super) fn of(context: &TaskContext) -> Self {
        let config = context.session_config();
        Self {
            // Each chunk is matched on every thread: partitions rarely hold equal shares of the rows (a
            // Parquet file with one row group is read by one partition).
            threads: NonZeroUsize::new(config.target_partitions()).unwrap_or(NonZeroUsize::MIN),
            batch_size: config.batch_size().max(1),
        }
    }
}

/// The joined rows of `input`: read in chunks of [`chunk_rows`] rows, each matched at once and its result
/// handed on in batches of at most `batch_size` rows.
pub(super) fn probe_stream(
    input: SendableRecordBatchStream,
    matcher: Arc<Matcher>,
    options: ProbeOptions,
) -> impl futures::Stream<Item = Result<RecordBatch>> + Send {
    struct State {
        input: SendableRecordBatchStream,
        matcher: Arc<Matcher>,
        pending: VecDeque<RecordBatch>,
        done: bool,
    }
    let state = State {
        input,
        matcher,
        pending: VecDeque::new(),
        done: false,
    };
    futures::stream::try_unfold(state, move |mut st| async move {
        loop {
            if let Some(batch) = st.pending.pop_front() {
                return Ok(Some((batch, st)));
            }
            if st.done {
                return Ok(None);
            }
            let mut chunk = Vec::new();
            let mut rows = 0;
            let chunk_rows = chunk_rows(st.matcher.indexed());
            while rows < chunk_rows {
                match st.input.next().await {
                    Some(batch) => {
                        let batch = batch?;
                        rows += batch.num_rows();
                        if batch.num_rows() > 0 {
                            chunk.push(batch);
                        }
                    }
                    None => {
                        st.done = true;
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                continue;
            }
            let step = st.matcher.step();
            let probe = SideRows::new(step, step.spec().probe, &chunk)?;
            drop(chunk);
            let joined = st.matcher.probe(&probe, options.threads)?;
            let n = joined.num_rows();
            let mut offset = 0;
            while offset < n {
                let len = options.batch_size.min(n - offset);
                st.pending.push_back(joined.slice(offset, len));
                offset += len;
            }
        }
    })
}
