//! [`Failure`]: a request that cannot be answered as asked, and how the client is told — a DALI error
//! document (VOTable with `QUERY_STATUS=ERROR`) for the TAP endpoints, plain text for UWS resources.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The MIME type of VOTable documents.
pub(crate) const VOTABLE_MIME: &str = "application/x-votable+xml";

/// How a failure is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    /// A VOTable error document (what TAP clients parse).
    VOTable,
    /// `text/plain` (UWS resources).
    Text,
}

/// A request that failed: the HTTP status, the message for the client, and the document it goes in.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) document: Document,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            document: Document::VOTable,
        }
    }

    /// A bad parameter or query (400).
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// No such job or resource (404).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// The server is at a limit it cannot wait out (503).
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The server failed (500); the message says what, never how to reach the server's own services.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// A request the job's phase does not allow (UWS answers these with 400 as well).
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::bad_request(message)
    }

    /// A multipart body that cannot be read: too large (413), or malformed (400).
    pub(crate) fn multipart(e: &axum::extract::multipart::MultipartError) -> Self {
        Self::new(e.status(), format!("multipart body: {}", e.body_text()))
    }

    /// The same failure written as plain text.
    pub(crate) fn in_text(mut self) -> Self {
        self.document = Document::Text;
        self
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self.document {
            Document::Text => (
                self.status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{}\n", self.message),
            )
                .into_response(),
            Document::VOTable => {
                let body = votable_arrow::write_error_document(Vec::new(), &self.message)
                    .unwrap_or_else(|_| self.message.clone().into_bytes());
                (self.status, [(header::CONTENT_TYPE, VOTABLE_MIME)], body).into_response()
            }
        }
    }
}

/// An XML document with status 200.
pub(crate) fn xml(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A `303 See Other` to `location` (what UWS answers to a POST that changes a job).
pub(crate) fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}
