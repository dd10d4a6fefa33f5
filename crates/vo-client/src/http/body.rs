//! Response bodies: status checks, bounded reads, streaming that frees the connection.
//!
//! A failed status becomes an error with the service's own message when the body has one;
//! a streamed body hands its unread end back so the connection can return to the pool.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncBufRead;
use url::Url;

use super::errors::transport_error;
use crate::error::{Error, Result, excerpt};

/// How many bytes of an error body are read to find a message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Reads at most `limit` bytes of a body (the rest is dropped with the connection).
pub(crate) async fn read_prefix(
    resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Reads a whole (small, bounded) body, e.g. a UWS job document or a VOSI document.
pub(crate) async fn read_body(
    service: &str,
    url: &Url,
    resp: reqwest::Response,
    limit: usize,
) -> Result<Bytes> {
    if let Some(len) = resp.content_length()
        && len > limit as u64
    {
        return Err(Error::Protocol {
            service: service.to_owned(),
            url: url.clone(),
            message: format!("answer of {len} bytes exceeds the limit of {limit} bytes"),
        });
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(service, url, &e))?;
        if out.len() + chunk.len() > limit {
            return Err(Error::Protocol {
                service: service.to_owned(),
                url: url.clone(),
                message: format!("answer exceeds the limit of {limit} bytes"),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// Turns a non-success response into an error carrying the service's own message when the
/// body is an error document we understand (DALI/TAP VOTable, SCS `Error`, plain text).
pub(crate) async fn check_status(
    service: &str,
    resp: reqwest::Response,
) -> Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let url = resp.url().clone();
    let body = read_prefix(resp, ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    if let Some(message) = crate::xml::error_document_message(&body) {
        return Err(Error::Service {
            service: service.to_owned(),
            url,
            message: format!("HTTP {}: {message}", status.as_u16()),
        });
    }
    Err(Error::Status {
        service: service.to_owned(),
        url,
        status: status.as_u16(),
        excerpt: excerpt(&body, 300),
    })
}

/// The body as a stream of bytes whose errors are `io::Error`s wrapping `reqwest::Error`s.
pub(crate) fn byte_stream(
    resp: reqwest::Response,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static {
    resp.bytes_stream().map_err(io::Error::other)
}

type BodyStream = std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A body stream that, when dropped, hands what is left of the body to its [`BodyRest`]:
/// a decoder stops at the end of its document, and the bytes after it (a final newline)
/// must still be read for the connection to go back to the pool.
struct Tracked {
    inner: Option<BodyStream>,
    rest: Arc<std::sync::Mutex<Option<BodyStream>>>,
}

impl Stream for Tracked {
    type Item = io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        match self.inner.as_mut() {
            Some(s) => s.as_mut().poll_next(cx),
            None => std::task::Poll::Ready(None),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let (Some(inner), Ok(mut slot)) = (self.inner.take(), self.rest.lock()) {
            *slot = Some(inner);
        }
    }
}

/// The unread end of a body (see [`body_reader`]).
pub(crate) struct BodyRest(Arc<std::sync::Mutex<Option<BodyStream>>>);

impl BodyRest {
    /// Reads and discards at most `limit` remaining bytes, so that the connection can be
    /// reused; a longer or failing tail just closes the connection.
    pub(crate) async fn drain(self, limit: usize) {
        let stream = self.0.lock().ok().and_then(|mut s| s.take());
        let Some(mut stream) = stream else { return };
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > limit {
                return;
            }
        }
    }
}

/// The body as an `AsyncBufRead` (for the streaming VOTable reader), and the handle that
/// drains what the reader leaves unread once it is dropped.
pub(crate) fn body_reader(
    resp: reqwest::Response,
) -> (impl AsyncBufRead + Send + Unpin + 'static, BodyRest) {
    let rest = Arc::new(std::sync::Mutex::new(None));
    let tracked = Tracked {
        inner: Some(Box::pin(byte_stream(resp))),
        rest: rest.clone(),
    };
    (tokio_util::io::StreamReader::new(tracked), BodyRest(rest))
}
