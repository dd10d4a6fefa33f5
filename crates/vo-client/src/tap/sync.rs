//! Synchronous queries: `POST <base>/sync`, answer streamed as it arrives.

use std::time::Duration;

use reqwest::Method;

use super::{TapQuery, TapService};
use crate::error::Result;
use crate::http::{Request, check_status};
use crate::result::QueryResult;

pub(super) async fn run(
    tap: &TapService,
    query: &TapQuery,
    headers_timeout: Option<Duration>,
) -> Result<QueryResult> {
    let mut req = Request::new(tap.service(), Method::POST, tap.endpoint("sync"));
    req.body = tap.query_body(query);
    // A sync query has no side effects: repeating it after a 5xx is safe.
    req.headers_timeout = headers_timeout;
    let resp = check_status(tap.service(), tap.http().send(&req).await?).await?;
    crate::votable::stream_response(tap.service(), resp, tap.reader_options(), query.maxrec).await
}
