//! The loopback server the Mashup tests replay recorded answers from: vo-client's scripted test server
//! (shared with its own tests), with a handler that answers each request with a status, a content type
//! and a body.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../vo-client/tests/common/mod.rs"]
mod http;

pub use http::{Action, Recorded, TestServer as ReplayServer, fixtures_dir, response, votable};

/// A server answering every request with what `handler` returns for it.
pub async fn replay(
    handler: impl Fn(&Recorded) -> (u16, &'static str, Vec<u8>) + Send + Sync + 'static,
) -> ReplayServer {
    ReplayServer::start(move |request, _| {
        let (status, content_type, body) = handler(request);
        http::Action::Send(http::response(status, content_type, &body))
    })
    .await
}
