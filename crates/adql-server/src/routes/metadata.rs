//! `/capabilities`, `/availability`, `/tables`, `/examples`, and the home page.

use std::sync::Arc;

use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::reply::{Failure, xml};
use crate::state::State;
use crate::vosi::{self, Detail};

/// `GET /`: where the service's resources are.
pub(crate) async fn home(Shared(state): Shared<Arc<State>>, headers: HeaderMap) -> Response {
    let base = state.base_url(&headers);
    let body = format!(
        "adql serve: a TAP 1.1 service over the adql federation.\n\n\
         TAP base URL: {base}\n  {base}/sync\n  {base}/async\n  {base}/capabilities\n  {base}/tables\n  \
         {base}/availability\n  {base}/examples\n"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) async fn capabilities(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
) -> Response {
    let parse = state.engine.parse_options().clone();
    xml(vosi::capabilities(
        &state.base_url(&headers),
        &parse,
        &state.config.limits,
    ))
}

pub(crate) async fn availability(Shared(state): Shared<Arc<State>>) -> Response {
    xml(vosi::availability(state.started, &state.served()))
}

pub(crate) async fn tables(
    Shared(state): Shared<Arc<State>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let detail = query
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("detail"))
        .map(|(_, v)| v.as_str());
    let detail = if detail.is_some_and(|d| d.eq_ignore_ascii_case("min")) {
        Detail::Min
    } else {
        Detail::Max
    };
    xml(vosi::tableset(&state.served(), detail))
}

pub(crate) async fn table(Shared(state): Shared<Arc<State>>, Path(name): Path<String>) -> Response {
    match vosi::table(&state.served(), &name) {
        Some(doc) => xml(doc),
        None => Failure::not_found(format!("no table {name} is listed here"))
            .in_text()
            .into_response(),
    }
}

pub(crate) async fn examples(Shared(state): Shared<Arc<State>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xhtml+xml; charset=utf-8")],
        vosi::examples(&state.served()),
    )
        .into_response()
}
