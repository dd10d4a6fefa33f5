//! Watching remote parts: a [`ProgressSink`] hears of every remote request, its rows and its end, and
//! [`InstrumentedExecutor`] wraps a service's executor to report to it and to enforce a time limit.
//!
//! The command line draws progress bars from these events; an embedding program can log them or count
//! requests (the benchmarks report the number of remote requests this way).

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;

use crate::error::{FederationError, Result};
use crate::executor::{RemoteEvent, RemoteRequest, RemoteStream, TapExecutor};

/// Receives the events of remote requests. Implementations must be cheap: `rows` is called per batch.
pub trait ProgressSink: Debug + Send + Sync {
    /// A request was sent; the returned id names it in the other calls.
    fn started(&self, request: &RemoteRequest) -> u64;
    /// `rows` more rows arrived for request `id`.
    fn rows(&self, id: u64, rows: u64);
    /// Request `id` ended; `error` says why when it failed.
    fn finished(&self, id: u64, error: Option<&FederationError>);
}

/// Counts requests and rows; useful in tests and benchmarks.
#[derive(Debug, Default)]
pub struct RequestCounter {
    requests: AtomicU64,
    rows: AtomicU64,
    failures: AtomicU64,
}

impl RequestCounter {
    /// Requests started so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Rows received so far.
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// Requests that failed.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

impl ProgressSink for RequestCounter {
    fn started(&self, _request: &RemoteRequest) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed)
    }

    fn rows(&self, _id: u64, rows: u64) {
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }

    fn finished(&self, _id: u64, error: Option<&FederationError>) {
        if error.is_some() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A [`TapExecutor`] that reports to a [`ProgressSink`] and fails a request that takes longer than a
/// time limit (from sending it to its last row) with an error naming the service and URL.
#[derive(Debug)]
pub struct InstrumentedExecutor {
    inner: Arc<dyn TapExecutor>,
    sink: Option<Arc<dyn ProgressSink>>,
    timeout: Option<Duration>,
}

impl InstrumentedExecutor {
    /// Wraps `inner`.
    pub fn new(
        inner: Arc<dyn TapExecutor>,
        sink: Option<Arc<dyn ProgressSink>>,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            inner,
            sink,
            timeout,
        }
    }
}

fn timed_out(request: &RemoteRequest, limit: Duration) -> FederationError {
    FederationError::Remote {
        service: request.service.clone(),
        url: request.url.clone(),
        message: format!(
            "no complete answer within the time limit of {} s",
            limit.as_secs_f64()
        ),
    }
}

#[async_trait]
impl TapExecutor for InstrumentedExecutor {
    async fn execute(&self, request: RemoteRequest) -> Result<RemoteStream> {
        let id = self.sink.as_ref().map(|s| s.started(&request));
        let deadline = self.timeout.map(|t| (tokio::time::Instant::now() + t, t));
        let start = self.inner.execute(request.clone());
        let started = match deadline {
            Some((at, limit)) => match tokio::time::timeout_at(at, start).await {
                Ok(result) => result,
                Err(_) => Err(timed_out(&request, limit)),
            },
            None => start.await,
        };
        let report = |error: Option<&FederationError>| {
            if let (Some(sink), Some(id)) = (&self.sink, id) {
                sink.finished(id, error);
            }
        };
        let inner = match started {
            Ok(stream) => stream,
            Err(e) => {
                report(Some(&e));
                return Err(e);
            }
        };
        let sink = self.sink.clone();
        // Each step waits for the next event until the deadline; the end (or the first error) is reported
        // once, and nothing follows an error.
        let state = (inner, false);
        let stream = futures::stream::unfold(state, move |(mut inner, done)| {
            let sink = sink.clone();
            let request = request.clone();
            async move {
                if done {
                    return None;
                }
                let next = match deadline {
                    Some((at, limit)) => match tokio::time::timeout_at(at, inner.next()).await {
                        Ok(next) => next,
                        Err(_) => Some(Err(timed_out(&request, limit))),
                    },
                    None => inner.next().await,
                };
                let finish = |error: Option<&FederationError>| {
                    if let (Some(sink), Some(id)) = (&sink, id) {
                        sink.finished(id, error);
                    }
                };
                match next {
                    Some(Ok(event)) => {
                        if let (Some(sink), Some(id), RemoteEvent::Batch(batch)) =
                            (&sink, id, &event)
                        {
                            sink.rows(id, batch.num_rows() as u64);
                        }
                        Some((Ok(event), (inner, false)))
                    }
                    Some(Err(e)) => {
                        finish(Some(&e));
                        Some((Err(e), (inner, true)))
                    }
                    None => {
                        finish(None);
                        None
                    }
                }
            }
        });
        Ok(Box::pin(stream))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use futures::TryStreamExt;

    use super::*;

    /// Answers every request with `batches` batches of 2 rows, waiting `pause` before each.
    #[derive(Debug)]
    struct Slow {
        batches: usize,
        pause: Duration,
    }

    #[async_trait]
    impl TapExecutor for Slow {
        async fn execute(&self, _request: RemoteRequest) -> Result<RemoteStream> {
            let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
            let batch =
                RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2]))]).unwrap();
            let pause = self.pause;
            let events = futures::stream::iter(0..self.batches).then(move |_| {
                let batch = batch.clone();
                async move {
                    tokio::time::sleep(pause).await;
                    Ok(RemoteEvent::Batch(batch))
                }
            });
            Ok(Box::pin(events))
        }
    }

    fn request() -> RemoteRequest {
        RemoteRequest {
            service: "svc".into(),
            url: "http://example.org/tap".into(),
            adql: "SELECT x FROM t".into(),
            maxrec: None,
        }
    }

    #[tokio::test]
    async fn counts_requests_and_rows() {
        let counter = Arc::new(RequestCounter::default());
        let executor = InstrumentedExecutor::new(
            Arc::new(Slow {
                batches: 3,
                pause: Duration::ZERO,
            }),
            Some(counter.clone()),
            None,
        );
        for _ in 0..2 {
            let events: Vec<_> = executor
                .execute(request())
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            assert_eq!(events.len(), 3);
        }
        assert_eq!(
            (counter.requests(), counter.rows(), counter.failures()),
            (2, 12, 0)
        );
    }

    #[tokio::test]
    async fn a_slow_answer_fails_with_the_service_and_url() {
        let counter = Arc::new(RequestCounter::default());
        let executor = InstrumentedExecutor::new(
            Arc::new(Slow {
                batches: 5,
                pause: Duration::from_millis(40),
            }),
            Some(counter.clone()),
            Some(Duration::from_millis(100)),
        );
        let result: Result<Vec<_>> = executor
            .execute(request())
            .await
            .unwrap()
            .try_collect()
            .await;
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("svc (http://example.org/tap)"),
            "{message}"
        );
        assert!(message.contains("time limit of 0.1 s"), "{message}");
        assert_eq!(counter.failures(), 1);
    }
}
