//! The HTTP resources of the service and the checks every request goes through (the bearer token, the
//! body size limit).

mod jobs;
mod metadata;
mod sync;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State as Shared};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::State;

/// The service's resources.
pub(crate) fn router(state: Arc<State>) -> Router {
    // The body holds the uploads and a few parameters.
    let body_limit = state
        .config
        .limits
        .max_upload_bytes
        .saturating_add(1024 * 1024);
    let tap: Router<Arc<State>> = Router::new()
        .route("/", get(metadata::home))
        .route("/sync", get(sync::sync).post(sync::sync))
        .route("/async", get(jobs::list).post(jobs::create))
        .route(
            "/async/{id}",
            get(jobs::show).post(jobs::post_job).delete(jobs::delete),
        )
        .route("/async/{id}/phase", get(jobs::phase).post(jobs::set_phase))
        .route(
            "/async/{id}/executionduration",
            get(jobs::execution_duration).post(jobs::set_execution_duration),
        )
        .route(
            "/async/{id}/destruction",
            get(jobs::destruction).post(jobs::set_destruction),
        )
        .route("/async/{id}/error", get(jobs::error))
        .route("/async/{id}/quote", get(jobs::quote))
        .route("/async/{id}/owner", get(jobs::owner))
        .route(
            "/async/{id}/parameters",
            get(jobs::parameters).post(jobs::set_parameters),
        )
        .route("/async/{id}/results", get(jobs::results))
        .route("/async/{id}/results/result", get(jobs::result))
        .route("/capabilities", get(metadata::capabilities))
        .route("/availability", get(metadata::availability))
        .route("/tables", get(metadata::tables))
        .route("/tables/{name}", get(metadata::table))
        .route("/examples", get(metadata::examples));
    // The service answers at the root and under `/tap`, where clients that build URLs from a host name
    // (astroquery's TapPlus) look for it; the links it writes use the root.
    Router::new()
        .merge(tap.clone())
        .nest("/tap", tap)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            authorize,
        ))
        .with_state(state)
}

/// Lets a request through when the server has no token or the request carries it
/// (`Authorization: Bearer <token>`).
async fn authorize(Shared(state): Shared<Arc<State>>, request: Request, next: Next) -> Response {
    let Some(token) = &state.config.token else {
        return with_server_header(next.run(request).await);
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        with_server_header(next.run(request).await)
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "this service needs a bearer token (Authorization: Bearer …)\n",
        )
            .into_response()
    }
}

/// Names the server in every response (`Server: adql/VERSION`), as HTTP services are expected to.
fn with_server_header(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::SERVER,
        header::HeaderValue::from_static(concat!("adql/", env!("CARGO_PKG_VERSION"))),
    );
    response
}

/// Compares without stopping at the first difference, so that timing does not tell how much of a
/// guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secre"));
    }
}
