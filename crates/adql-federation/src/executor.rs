//! How remote ADQL is run: the [`TapExecutor`] trait and the services the planner knows.
//!
//! The planner itself does no I/O. A [`RemoteService`] pairs a service's identity and
//! capabilities with an executor; the production executor is the vo-client TAP client, tests
//! plug in executors that answer from local tables.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;

use crate::capabilities::ServiceCapabilities;
use crate::error::{FederationError, Result};

/// One ADQL query to run on one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRequest {
    /// Service name (for messages).
    pub service: String,
    /// Service base URL (`.../tap`).
    pub url: String,
    /// The ADQL text.
    pub adql: String,
    /// `MAXREC` to send, if any.
    pub maxrec: Option<u64>,
}

/// What a remote result stream yields.
#[derive(Debug, Clone)]
pub enum RemoteEvent {
    /// A batch of rows.
    Batch(RecordBatch),
    /// The service stopped at its row limit (`QUERY_STATUS=OVERFLOW`): rows are missing.
    Overflow,
}

/// A stream of remote results.
pub type RemoteStream = BoxStream<'static, Result<RemoteEvent>>;

/// A table sent with a query (`TAP_UPLOAD`); the query names it `TAP_UPLOAD.<name>`.
#[derive(Debug, Clone)]
pub struct UploadTable {
    /// Name after `TAP_UPLOAD.`: an ADQL regular identifier.
    pub name: String,
    /// The rows.
    pub batch: RecordBatch,
}

/// Runs ADQL on a TAP service and streams the result as Arrow batches.
#[async_trait]
pub trait TapExecutor: Debug + Send + Sync {
    /// Starts `request`; the stream ends after the last batch (and an [`RemoteEvent::Overflow`]
    /// if the service truncated the result).
    async fn execute(&self, request: RemoteRequest) -> Result<RemoteStream>;

    /// Starts `request` with `uploads` attached (TAP_UPLOAD, a multipart POST). Executors that
    /// cannot upload keep the default, which fails naming the service.
    async fn execute_with_uploads(
        &self,
        request: RemoteRequest,
        uploads: Vec<UploadTable>,
    ) -> Result<RemoteStream> {
        let _ = uploads;
        Err(FederationError::Remote {
            service: request.service,
            url: request.url,
            message: "this executor cannot upload tables (TAP_UPLOAD)".to_string(),
        })
    }
}

/// A service the planner may send queries to.
#[derive(Debug, Clone)]
pub struct RemoteService {
    /// Name in the catalogue (lower case), e.g. `gaia`.
    pub name: String,
    /// Base URL, e.g. `https://gea.esac.esa.int/tap-server/tap`.
    pub url: String,
    /// What it can evaluate.
    pub capabilities: ServiceCapabilities,
    /// `MAXREC` to request; defaults to the service's hard limit.
    pub maxrec: Option<u64>,
    /// What to do when a remote part overflows MAXREC; `None` follows the session
    /// ([`FederationOptions`](crate::overflow::FederationOptions)).
    pub overflow: Option<crate::overflow::OverflowPolicy>,
    /// How queries reach it.
    pub executor: Arc<dyn TapExecutor>,
}

impl RemoteService {
    /// A service with the given identity, capabilities and executor.
    pub fn new(
        name: impl Into<String>,
        url: impl Into<String>,
        capabilities: ServiceCapabilities,
        executor: Arc<dyn TapExecutor>,
    ) -> Self {
        let maxrec = capabilities.hard_maxrec;
        Self {
            name: name.into(),
            url: url.into(),
            capabilities,
            maxrec,
            overflow: None,
            executor,
        }
    }

    /// A request for `adql` on this service.
    pub fn request(&self, adql: impl Into<String>) -> RemoteRequest {
        RemoteRequest {
            service: self.name.clone(),
            url: self.url.clone(),
            adql: adql.into(),
            maxrec: self.maxrec,
        }
    }
}

/// The services of a session, by name.
#[derive(Debug, Clone, Default)]
pub struct ServiceRegistry {
    services: BTreeMap<String, Arc<RemoteService>>,
}

impl ServiceRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a service.
    pub fn insert(&mut self, service: RemoteService) -> Arc<RemoteService> {
        let service = Arc::new(service);
        self.services
            .insert(service.name.clone(), Arc::clone(&service));
        service
    }

    /// The service called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<RemoteService>> {
        self.services
            .get(name)
            .cloned()
            .ok_or_else(|| FederationError::UnknownService {
                name: name.to_string(),
                known: self.services.keys().cloned().collect(),
            })
    }

    /// All services, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RemoteService>> {
        self.services.values()
    }
}
