//! `/sync`: a query answered in the response. The result is written to a file first (so that a failure
//! midway is an error document, not a cut table), then streamed and deleted.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use datafusion::datasource::MemTable;
use tokio_util::io::ReaderStream;

use crate::params::TapParams;
use crate::query::{query_spec, run_to_file};
use crate::reply::Failure;
use crate::state::State;
use crate::upload::{self, UploadRef};

pub(crate) async fn sync(Shared(state): Shared<Arc<State>>, request: Request) -> Response {
    match run(&state, request).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

/// The uploads of a request as tables: its multipart parts, and URLs fetched.
pub(crate) async fn upload_tables(
    state: &State,
    params: &TapParams,
) -> Result<Vec<(String, Arc<MemTable>)>, Failure> {
    let mut tables = Vec::new();
    for u in upload::upload_refs(params).map_err(Failure::bad_request)? {
        let limit = state.config.limits.max_upload_bytes;
        let content = match &u {
            UploadRef::Part { table, part } => upload::part_content(params, table, part, limit),
            UploadRef::Url { url, .. } => upload::fetch(&state.upload_http, url, limit).await,
        }
        .map_err(Failure::bad_request)?;
        let table =
            upload::table_from_votable(u.table(), &content).map_err(Failure::bad_request)?;
        tables.push((u.table().to_owned(), table));
    }
    Ok(tables)
}

async fn run(state: &Arc<State>, request: Request) -> Result<Response, Failure> {
    let params = TapParams::read(request).await?;
    let uploads = upload_tables(state, &params).await?;
    let spec = query_spec(&params, &state.config.limits, uploads).map_err(Failure::bad_request)?;
    let place = state.enter_queue().map_err(|limit| {
        Failure::unavailable(format!(
            "the server is busy ({limit} queries waiting); try again later"
        ))
    })?;
    let _permit = Arc::clone(&state.slots)
        .acquire_owned()
        .await
        .map_err(|_| Failure::unavailable("the server is shutting down"))?;
    drop(place);
    let dir = state.config.data_dir.join("sync");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::internal(format!("cannot write the result: {e}")))?;
    let path = dir.join(format!(
        "{:032x}.{}",
        rand::random::<u128>(),
        spec.format.extension()
    ));
    let limit = state.config.limits.execution_hard;
    let served = state.served();
    let outcome = tokio::time::timeout(limit, run_to_file(&state.engine, &served, &spec, &path))
        .await
        .map_err(|_| {
            let _ = std::fs::remove_file(crate::query::partial_path(&path));
            Failure::bad_request(format!(
                "the query reached this service's execution time limit of {} s; run it as an async job",
                limit.as_secs()
            ))
        })?
        .map_err(Failure::bad_request)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| Failure::internal(format!("cannot read the result: {e}")))?;
    // The open file stays readable once its name is gone: nothing is left behind however the
    // response ends.
    let _ = std::fs::remove_file(&path);
    let body = Body::from_stream(ReaderStream::with_capacity(file, 256 * 1024));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, spec.format.mime().to_owned()),
            (header::CONTENT_LENGTH, outcome.bytes.to_string()),
        ],
        body,
    )
        .into_response())
}
