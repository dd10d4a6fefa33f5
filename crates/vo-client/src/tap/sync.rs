//! Synchronous queries: `POST <base>/sync`, answer streamed as it arrives.

use std::time::Duration;

use reqwest::Method;
use url::Url;
use votable_arrow::ReaderOptions;

use crate::error::Result;
use crate::http::{Body, HttpClient, Request, check_status};
use crate::result::QueryResult;

/// Posts the query `body` of `service` to its `/sync` endpoint `url` and streams the answer.
/// It takes parts rather than a `TapService`: `tap/mod.rs` uses this file, not the reverse.
pub(super) async fn run(
    http: &HttpClient,
    service: &str,
    url: Url,
    body: Body,
    headers_timeout: Option<Duration>,
    reader_options: ReaderOptions,
    maxrec: Option<u64>,
) -> Result<QueryResult> {
    let mut req = Request::new(service, Method::POST, url);
    req.body = body;
    // A sync query has no side effects: repeating it after a 5xx is safe.
    req.headers_timeout = headers_timeout;
    let resp = check_status(service, http.send(&req).await?).await?;
    crate::votable::stream_response(service, resp, reader_options, maxrec).await
}
