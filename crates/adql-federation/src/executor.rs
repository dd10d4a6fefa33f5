//! The I/O boundary of the planner: the [`TapExecutor`] trait, which runs one ADQL text on one TAP
//! service, and what goes through it.
//!
//! The planner itself does no I/O. The production executor is the vo-client TAP client
//! ([`VoTapExecutor`](crate::VoTapExecutor)); tests plug in executors that answer from local tables.

use std::fmt::Debug;

use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;

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

/// The role of one request a plan sends (what EXPLAIN lists beside its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// A remote part of the plan, sent as it is.
    Part,
    /// A crossmatch's upload join: a block of the small side's positions joined by the service.
    UploadJoin,
    /// A crossmatch's cone: the big side around one small-side position.
    Cone,
    /// A crossmatch's region: the big side within the small side's cones.
    Region,
    /// A bind join: the big side for a list of the small side's keys.
    KeyList,
    /// A bind join: the big side joined with an uploaded table of the small side's keys.
    KeyUpload,
    /// A bind join's probe for `NOT IN`: the big side's NULL key, or any row of it.
    NullProbe,
    /// A request to a service that is not TAP (MAST Mashup, Simple Cone Search).
    Source,
}

/// One request a plan will send, known while planning (what EXPLAIN lists).
#[derive(Debug, Clone)]
pub struct PlannedRequest {
    /// Its role.
    pub kind: RequestKind,
    /// The ADQL sent.
    pub query: adql_syntax::ast::Query,
    /// The tables it uploads: `TAP_UPLOAD` name and rows.
    pub uploads: Vec<(String, usize)>,
}

impl PlannedRequest {
    /// A request that uploads nothing.
    pub fn plain(kind: RequestKind, query: adql_syntax::ast::Query) -> Self {
        Self {
            kind,
            query,
            uploads: Vec::new(),
        }
    }
}

impl std::fmt::Display for RequestKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RequestKind::Part => "remote part",
            RequestKind::UploadJoin => "upload join block",
            RequestKind::Cone => "cone",
            RequestKind::Region => "region",
            RequestKind::KeyList => "keys as an IN list",
            RequestKind::KeyUpload => "keys uploaded",
            RequestKind::NullProbe => "NOT IN probe",
            RequestKind::Source => "request",
        })
    }
}
