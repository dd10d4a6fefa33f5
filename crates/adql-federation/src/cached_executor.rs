//! [`CachedExecutor`]: a [`TapExecutor`] that answers from the [`ResultCache`] when it can and stores the
//! complete answers of the requests it passes on.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;

use crate::error::{FederationError, Result};
use crate::executor::{RemoteEvent, RemoteRequest, RemoteStream, TapExecutor, UploadTable};
use crate::result_cache::{PendingResult, ResultCache};
use std::sync::Arc;

/// Wraps a service's executor with the result cache.
pub struct CachedExecutor {
    inner: Arc<dyn TapExecutor>,
    cache: ResultCache,
    ttl: Duration,
}

impl fmt::Debug for CachedExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedExecutor")
            .field("inner", &self.inner)
            .field("dir", &self.cache.dir())
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl CachedExecutor {
    /// `inner`'s answers, kept in `cache` for `ttl`.
    pub fn new(inner: Arc<dyn TapExecutor>, cache: ResultCache, ttl: Duration) -> Self {
        Self { inner, cache, ttl }
    }

    async fn run(&self, request: RemoteRequest, uploads: Vec<UploadTable>) -> Result<RemoteStream> {
        let entry = ResultCache::entry(
            &request.service,
            &request.url,
            &request.adql,
            request.maxrec,
            &uploads,
        )?;
        if let Some(reader) = self.cache.get(&entry.key, self.ttl) {
            let path = self.cache.rows_path(&entry.key);
            let batches = reader.map(move |batch| {
                batch
                    .map(RemoteEvent::Batch)
                    .map_err(|e| FederationError::Cache {
                        path: path.clone(),
                        message: e.to_string(),
                    })
            });
            return Ok(futures::stream::iter(batches).boxed());
        }
        let stream = if uploads.is_empty() {
            self.inner.execute(request).await?
        } else {
            self.inner.execute_with_uploads(request, uploads).await?
        };
        Ok(store(stream, self.cache.start(entry)))
    }
}

/// Passes `stream` on, writing its batches to `pending`, which is committed only when the stream ends
/// without an error or an overflow.
fn store(stream: RemoteStream, pending: PendingResult) -> RemoteStream {
    futures::stream::unfold(Some((stream, Some(pending))), |state| async move {
        let (mut stream, mut pending) = state?;
        match stream.next().await {
            Some(Ok(RemoteEvent::Batch(batch))) => {
                if let Some(pending) = &mut pending {
                    pending.write(&batch);
                }
                Some((Ok(RemoteEvent::Batch(batch)), Some((stream, pending))))
            }
            // A cut answer is never stored.
            Some(Ok(RemoteEvent::Overflow)) => {
                Some((Ok(RemoteEvent::Overflow), Some((stream, None))))
            }
            Some(Err(error)) => Some((Err(error), None)),
            None => {
                if let Some(pending) = pending {
                    // A cache that cannot be written costs a later run the request, not this one its rows.
                    let _ = pending.commit();
                }
                None
            }
        }
    })
    .boxed()
}

#[async_trait]
impl TapExecutor for CachedExecutor {
    async fn execute(&self, request: RemoteRequest) -> Result<RemoteStream> {
        self.run(request, Vec::new()).await
    }

    async fn execute_with_uploads(
        &self,
        request: RemoteRequest,
        uploads: Vec<UploadTable>,
    ) -> Result<RemoteStream> {
        self.run(request, uploads).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;

    use super::*;

    /// Answers every request with two batches, then what `end` says; counts the requests.
    #[derive(Debug)]
    struct Scripted {
        end: Mutex<Option<RemoteEvent>>,
        fail: bool,
        requests: Mutex<usize>,
    }

    fn batch(n: i64) -> RecordBatch {
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)])),
            vec![Arc::new(Int64Array::from(vec![n]))],
        )
        .unwrap()
    }

    #[async_trait]
    impl TapExecutor for Scripted {
        async fn execute(&self, request: RemoteRequest) -> Result<RemoteStream> {
            *self.requests.lock().unwrap() += 1;
            let mut events = vec![
                Ok(RemoteEvent::Batch(batch(1))),
                Ok(RemoteEvent::Batch(batch(2))),
            ];
            if let Some(end) = self.end.lock().unwrap().clone() {
                events.push(Ok(end));
            }
            if self.fail {
                events.push(Err(FederationError::Remote {
                    service: request.service,
                    url: request.url,
                    message: "connection reset".to_owned(),
                }));
            }
            Ok(futures::stream::iter(events).boxed())
        }
    }

    fn request() -> RemoteRequest {
        RemoteRequest {
            service: "s".to_owned(),
            url: "http://a/tap".to_owned(),
            adql: "SELECT n FROM t".to_owned(),
            maxrec: Some(10),
        }
    }

    async fn run(executor: &CachedExecutor) -> (usize, bool) {
        let events: Vec<_> = executor.execute(request()).await.unwrap().collect().await;
        let rows = events
            .iter()
            .filter_map(|e| match e {
                Ok(RemoteEvent::Batch(b)) => Some(b.num_rows()),
                _ => None,
            })
            .sum();
        (rows, events.iter().any(Result::is_err))
    }

    fn executor(
        dir: &std::path::Path,
        end: Option<RemoteEvent>,
        fail: bool,
    ) -> (CachedExecutor, Arc<Scripted>) {
        let inner = Arc::new(Scripted {
            end: Mutex::new(end),
            fail,
            requests: Mutex::new(0),
        });
        let cached = CachedExecutor::new(
            Arc::clone(&inner) as Arc<dyn TapExecutor>,
            ResultCache::new(dir),
            Duration::from_secs(3600),
        );
        (cached, inner)
    }

    #[tokio::test]
    async fn a_complete_answer_is_served_again_without_a_request() {
        let dir = tempfile::tempdir().unwrap();
        let (cached, inner) = executor(dir.path(), None, false);
        assert_eq!(run(&cached).await, (2, false));
        assert_eq!(run(&cached).await, (2, false));
        assert_eq!(*inner.requests.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn overflowed_and_failed_answers_are_not_stored() {
        for (end, fail) in [(Some(RemoteEvent::Overflow), false), (None, true)] {
            let dir = tempfile::tempdir().unwrap();
            let (cached, inner) = executor(dir.path(), end, fail);
            run(&cached).await;
            run(&cached).await;
            assert_eq!(*inner.requests.lock().unwrap(), 2);
            assert!(ResultCache::new(dir.path()).list().unwrap().is_empty());
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }
}
