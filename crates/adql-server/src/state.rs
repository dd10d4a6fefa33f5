//! [`State`]: what every request handler and job shares.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use adql_federation::Engine;
use axum::http::{HeaderMap, header};
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;
use vo_client::{ClientConfig, HttpClient};

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::served::Served;
use crate::uws::store::JobStore;

/// Shared by the handlers and the jobs.
pub(crate) struct State {
    pub(crate) engine: Arc<Engine>,
    pub(crate) config: ServerConfig,
    pub(crate) store: JobStore,
    served: RwLock<Arc<Served>>,
    /// One permit per query allowed to run at once.
    pub(crate) slots: Arc<Semaphore>,
    /// Async jobs waiting for a slot, and sync requests waiting likewise.
    pub(crate) waiting: AtomicUsize,
    /// How to stop each job that is queued or running.
    cancels: Mutex<HashMap<String, CancellationToken>>,
    /// Bumped at every phase change, for blocking `WAIT`s.
    pub(crate) changes: watch::Sender<u64>,
    /// The client that fetches `UPLOAD` URLs: none of the server's tokens.
    pub(crate) upload_http: HttpClient,
    /// When the server started (ms since the Unix epoch).
    pub(crate) started: i64,
}

impl State {
    /// The state of a server over `engine`.
    pub(crate) fn new(
        engine: Arc<Engine>,
        config: ServerConfig,
        store: JobStore,
        served: Served,
    ) -> Result<Self, ServerError> {
        let upload_http = HttpClient::new(ClientConfig::default()).map_err(|e| {
            ServerError::Io(std::io::Error::other(format!(
                "cannot set up the HTTP client for uploads: {e}"
            )))
        })?;
        Ok(Self {
            engine,
            slots: Arc::new(Semaphore::new(config.limits.max_running.max(1))),
            config,
            store,
            served: RwLock::new(Arc::new(served)),
            waiting: AtomicUsize::new(0),
            cancels: Mutex::new(HashMap::new()),
            changes: watch::channel(0).0,
            upload_http,
            started: crate::xml::now_millis(),
        })
    }

    /// What is listed now.
    pub(crate) fn served(&self) -> Arc<Served> {
        Arc::clone(&self.served.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Wakes every blocking `WAIT`.
    pub(crate) fn notify(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A new cancellation token for job `id`.
    pub(crate) fn track(&self, id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), token.clone());
        token
    }

    /// Forgets the token of job `id`.
    pub(crate) fn untrack(&self, id: &str) {
        self.cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// Stops job `id` if it is queued or running here.
    pub(crate) fn cancel(&self, id: &str) {
        if let Some(token) = self
            .cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            token.cancel();
        }
    }

    /// Counts one more request waiting for a slot, or refuses it when the queue is full.
    pub(crate) fn enter_queue(self: &Arc<Self>) -> Result<QueuePlace, usize> {
        let limit = self.config.limits.max_queued;
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        if before >= limit {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(limit);
        }
        Ok(QueuePlace {
            state: Arc::clone(self),
        })
    }

    /// The base URL clients reach the service at: the configured public URL, else `http://` and the
    /// request's `Host`.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            })
            .map_or_else(|| self.config.bind.to_string(), str::to_owned);
        format!("http://{host}")
    }
}

/// A place in the queue of requests waiting for a slot; leaving it (dropping) frees it.
pub(crate) struct QueuePlace {
    state: Arc<State>,
}

impl QueuePlace {
    /// The place of a request already counted in `waiting`.
    pub(crate) fn adopt(state: &Arc<State>) -> Self {
        Self {
            state: Arc::clone(state),
        }
    }
}

impl Drop for QueuePlace {
    fn drop(&mut self) {
        self.state.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}
