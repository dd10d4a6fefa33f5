//! A hard bound on the connections one [`HttpClient`](super::HttpClient) holds open, enforced
//! where connections are made (a `reqwest` connector layer).
//!
//! Why at the connector: a limit on requests alone lets the pool dial one connection too many.
//! When a request ends, its connection goes back to the pool a moment later (on another task);
//! a request started in that moment finds no idle connection and dials a new one. Here, a
//! request that would need connection number `limit + 1` waits instead, and the pool hands it
//! the returning connection.
//!
//! `reqwest` does not say when a connection closes, so the count is kept from what can be
//! seen: it grows when a connection is dialled, and shrinks when a dial fails, when a request
//! fails on its connection (hyper closes it), and when a request finds the bound reached and
//! no connection comes back from the pool within [`GRACE`]: with at most `limit` requests in
//! flight (the caller's duty, see [`super::HttpClient::with_connection_cap`]), one of the
//! counted connections is then not busy and not idle, hence closed by the server. The request
//! is then sent again at once. So the count never blocks progress, and it is exact unless
//! returning a connection to the pool takes longer than [`GRACE`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a request waits for the pool to hand back a connection before the bound is taken
/// to count a connection the server has closed.
pub(crate) const GRACE: Duration = Duration::from_millis(100);

/// The boxed error type of `reqwest`'s connector services.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The connector found `limit` connections open and none came back in time.
#[derive(Debug, thiserror::Error)]
#[error("all {limit} connections allowed are in use")]
pub(crate) struct CapReached {
    limit: usize,
}

/// The shared count of open connections.
#[derive(Debug)]
pub(crate) struct ConnectionCap {
    limit: usize,
    open: Mutex<usize>,
    released: Notify,
}

impl ConnectionCap {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(ConnectionCap {
            limit: limit.max(1),
            open: Mutex::new(0),
            released: Notify::new(),
        })
    }

    /// The bound.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        // The count stays meaningful even if a holder panicked: it is a plain integer.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot for a new connection, waiting up to [`GRACE`] for one to be released.
    async fn acquire(&self) -> Result<(), CapReached> {
        let deadline = tokio::time::Instant::now() + GRACE;
        loop {
            let released = self.released.notified();
            {
                let mut open = self.lock();
                if *open < self.limit {
                    *open += 1;
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return Err(CapReached { limit: self.limit });
            }
        }
    }

    /// Counts one connection as closed.
    pub(crate) fn release_one(&self) {
        {
            let mut open = self.lock();
            *open = open.saturating_sub(1);
        }
        self.released.notify_one();
    }

    /// The connections counted as open.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        *self.lock()
    }
}

/// Whether `err` (a `reqwest` error) comes from the bound.
pub(crate) fn is_cap_reached(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<CapReached>().is_some() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The connector layer.
#[derive(Debug, Clone)]
pub(crate) struct CapLayer(pub(crate) Arc<ConnectionCap>);

impl<S> tower_layer::Layer<S> for CapLayer {
    type Service = CapService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CapService {
            inner,
            cap: self.0.clone(),
        }
    }
}

/// The connector service: takes a slot, then dials with the inner connector.
#[derive(Debug, Clone)]
pub(crate) struct CapService<S> {
    inner: S,
    cap: Arc<ConnectionCap>,
}

impl<S, R> tower_service::Service<R> for CapService<S>
where
    S: tower_service::Service<R, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // The service that was polled ready makes the call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let cap = self.cap.clone();
        Box::pin(async move {
            cap.acquire().await?;
            match inner.call(request).await {
                Ok(conn) => Ok(conn),
                Err(err) => {
                    cap.release_one();
                    Err(err)
                }
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_bounded_and_released() {
        let cap = ConnectionCap::new(2);
        cap.acquire().await.unwrap();
        cap.acquire().await.unwrap();
        assert_eq!(cap.open(), 2);
        // Full: a release within the grace period lets the next one in.
        let waiter = {
            let cap = cap.clone();
            tokio::spawn(async move { cap.acquire().await })
        };
        tokio::time::sleep(GRACE / 2).await;
        cap.release_one();
        waiter.await.unwrap().unwrap();
        assert_eq!(cap.open(), 2);
        // Full and nothing released: CapReached after the grace period, recognised in a chain.
        let err = cap.acquire().await.unwrap_err();
        let boxed: BoxError = Box::new(err);
        assert!(is_cap_reached(boxed.as_ref()));
        assert!(!is_cap_reached(&std::io::Error::other("x")));
        assert_eq!(cap.open(), 2);
    }
}
