//! `/async`: UWS 1.1 jobs — create, list, show (with blocking `WAIT`), run, abort, delete, and the job's
//! resources (phase, execution duration, destruction, error, parameters, results).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::io::ReaderStream;

use crate::params::TapParams;
use crate::reply::{Failure, see_other, xml};
use crate::state::State;
use crate::upload::{self, UploadRef};
use crate::uws::document;
use crate::uws::job::{Job, Phase, Upload, UploadSource, is_job_id, new_job_id, parse_phase};
use crate::uws::runner;
use crate::uws::store::ListFilter;
use crate::xml::{duration_millis, iso8601, now_millis, parse_iso8601};

/// The longest a blocking `WAIT` holds a request.
const MAX_WAIT: Duration = Duration::from_secs(60);

type Answer = Result<Response, Failure>;

fn answer(result: Answer) -> Response {
    match result {
        Ok(r) => r,
        Err(f) => f.into_response(),
    }
}

fn base(state: &State, headers: &HeaderMap) -> String {
    format!("{}/async", state.base_url(headers))
}

fn store_failure(e: &crate::error::ServerError) -> Failure {
    tracing::error!("{e}");
    Failure::internal("the job store failed; see the server's log").in_text()
}

fn load(state: &State, id: &str) -> Result<Job, Failure> {
    if !is_job_id(id) {
        return Err(Failure::not_found(format!("no job {id}")).in_text());
    }
    state
        .store
        .get(id)
        .map_err(|e| store_failure(&e))?
        .ok_or_else(|| Failure::not_found(format!("no job {id}")).in_text())
}

fn text(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `POST /async`: a new job, PENDING (or QUEUED with `PHASE=RUN`).
pub(crate) async fn create(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    answer(create_job(&state, &headers, request).await)
}

async fn create_job(state: &Arc<State>, headers: &HeaderMap, request: Request) -> Answer {
    let params = TapParams::read(request).await?;
    let limits = &state.config.limits;
    let now = now_millis();
    let id = new_job_id();
    let mut job = Job {
        id: id.clone(),
        run_id: params.get("runid").map(str::to_owned),
        phase: Phase::Pending,
        params: Vec::new(),
        uploads: Vec::new(),
        creation: now,
        start: None,
        end: None,
        execution_duration: limits.execution_default.as_secs(),
        destruction: now.saturating_add(duration_millis(limits.retention_default)),
        error: None,
        result: None,
    };
    apply_parameters(state, &mut job, &params)?;
    state.store.insert(&job).map_err(|e| store_failure(&e))?;
    if params
        .get("phase")
        .is_some_and(|p| p.eq_ignore_ascii_case("RUN"))
    {
        run(state, &id)?;
    }
    Ok(see_other(&document::job_url(&base(state, headers), &id)))
}

/// Adds `params` to a PENDING `job`: the query parameters, `EXECUTIONDURATION`, `DESTRUCTION`, and the
/// uploads (inline parts stored in the job's directory now, URLs fetched when it runs).
fn apply_parameters(state: &State, job: &mut Job, params: &TapParams) -> Result<(), Failure> {
    let limits = &state.config.limits;
    for (name, value) in params.entries() {
        match name.as_str() {
            "phase" | "action" => {}
            "executionduration" => {
                job.execution_duration = parse_duration(value, limits.execution_hard)?;
            }
            "destruction" => {
                job.destruction = parse_destruction(value, job.creation, limits.retention_hard)?;
            }
            "runid" => job.run_id = Some(value.clone()),
            _ => {
                job.params.retain(|(n, _)| n != name || n == "upload");
                job.params.push((name.clone(), value.clone()));
            }
        }
    }
    let dir = state.store.job_dir(&job.id);
    for u in upload::upload_refs(params).map_err(|m| Failure::bad_request(m).in_text())? {
        let source = match &u {
            UploadRef::Part { part, .. } => {
                let content =
                    upload::part_content(params, u.table(), part, limits.max_upload_bytes)
                        .map_err(|m| Failure::bad_request(m).in_text())?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| Failure::internal(format!("cannot keep the upload: {e}")))?;
                let file = format!("upload-{}.vot", u.table().to_ascii_lowercase());
                std::fs::write(dir.join(&file), &content)
                    .map_err(|e| Failure::internal(format!("cannot keep the upload: {e}")))?;
                UploadSource::Stored(file)
            }
            UploadRef::Url { url, .. } => UploadSource::Url(url.to_string()),
        };
        job.uploads
            .retain(|x| !x.table.eq_ignore_ascii_case(u.table()));
        job.uploads.push(Upload {
            table: u.table().to_owned(),
            source,
        });
    }
    Ok(())
}

fn parse_duration(value: &str, hard: Duration) -> Result<u64, Failure> {
    let seconds: u64 = value.trim().parse().map_err(|_| {
        Failure::bad_request(format!("EXECUTIONDURATION {value}: expected seconds")).in_text()
    })?;
    // 0 means "no limit" in UWS; the server's hard limit is the most it grants.
    Ok(if seconds == 0 {
        hard.as_secs()
    } else {
        seconds.min(hard.as_secs())
    })
}

fn parse_destruction(value: &str, creation: i64, hard: Duration) -> Result<i64, Failure> {
    let at = parse_iso8601(value).ok_or_else(|| {
        Failure::bad_request(format!("DESTRUCTION {value}: expected an ISO 8601 time")).in_text()
    })?;
    Ok(at.min(creation.saturating_add(duration_millis(hard))))
}

/// Queues PENDING job `id` (a job in another phase is left as it is, as UWS asks).
fn run(state: &Arc<State>, id: &str) -> Result<(), Failure> {
    let place = state.enter_queue().map_err(|limit| {
        Failure::unavailable(format!(
            "the server is busy ({limit} queries waiting); try again later"
        ))
        .in_text()
    })?;
    let queued = state
        .store
        .modify(id, |job| {
            if job.phase != Phase::Pending {
                return false;
            }
            job.phase = Phase::Queued;
            true
        })
        .map_err(|e| store_failure(&e))?;
    match queued {
        None => Err(Failure::not_found(format!("no job {id}")).in_text()),
        Some((_, true)) => {
            runner::spawn(state, id.to_owned(), place);
            state.notify();
            Ok(())
        }
        Some((_, false)) => Ok(()),
    }
}

/// `GET /async`: the job list, filtered by `PHASE`, `AFTER` and `LAST`.
pub(crate) async fn list(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    answer(list_jobs(&state, &headers, request).await)
}

async fn list_jobs(state: &State, headers: &HeaderMap, request: Request) -> Answer {
    let params = TapParams::read(request).await?;
    let mut filter = ListFilter::default();
    for phase in params.all("phase") {
        filter
            .phases
            .push(parse_phase(phase).map_err(|e| Failure::bad_request(e).in_text())?);
    }
    if let Some(after) = params.get("after") {
        filter.after = Some(parse_iso8601(after).ok_or_else(|| {
            Failure::bad_request(format!("AFTER {after}: expected an ISO 8601 time")).in_text()
        })?);
    }
    if let Some(last) = params.get("last") {
        filter.last = Some(last.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            Failure::bad_request(format!("LAST {last}: expected a positive number")).in_text()
        })?);
    }
    let jobs = state.store.list(&filter).map_err(|e| store_failure(&e))?;
    Ok(xml(document::job_list(&jobs, &base(state, headers))))
}

/// `GET /async/{id}`: the job document; with `WAIT`, after its phase changes or the wait ends.
pub(crate) async fn show(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    answer(show_job(&state, &id, &headers, request).await)
}

async fn show_job(state: &State, id: &str, headers: &HeaderMap, request: Request) -> Answer {
    let params = TapParams::read(request).await?;
    let mut job = load(state, id)?;
    if let Some(wait) = params.get("wait") {
        let seconds: i64 = wait.trim().parse().map_err(|_| {
            Failure::bad_request(format!("WAIT {wait}: expected seconds")).in_text()
        })?;
        let limit = if seconds < 0 {
            MAX_WAIT
        } else {
            Duration::from_secs(seconds.unsigned_abs()).min(MAX_WAIT)
        };
        let given: Option<Phase> = match params.get("phase") {
            Some(p) => Some(parse_phase(p).map_err(|e| Failure::bad_request(e).in_text())?),
            None => None,
        };
        let waits = |job: &Job| {
            matches!(job.phase, Phase::Pending | Phase::Queued | Phase::Executing)
                && given.as_ref().is_none_or(|p| *p == job.phase)
        };
        let deadline = tokio::time::Instant::now() + limit;
        let mut changes = state.changes.subscribe();
        let first = job.phase.clone();
        while waits(&job) && job.phase == first {
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                break;
            }
            job = load(state, id)?;
        }
    }
    Ok(xml(document::job(&job, &base(state, headers))))
}

/// `POST /async/{id}`: `ACTION=DELETE` destroys the job.
pub(crate) async fn post_job(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    answer(post_to_job(&state, &id, &headers, request).await)
}

async fn post_to_job(
    state: &Arc<State>,
    id: &str,
    headers: &HeaderMap,
    request: Request,
) -> Answer {
    let params = TapParams::read(request).await?;
    match params.get("action") {
        Some(a) if a.eq_ignore_ascii_case("DELETE") => delete_job(state, id, headers),
        Some(a) => Err(Failure::bad_request(format!("ACTION {a}: expected DELETE")).in_text()),
        None => {
            let job = load(state, id)?;
            if params.get("phase").is_some() {
                set_phase_to(state, id, &params)?;
            }
            Ok(see_other(&document::job_url(
                &base(state, headers),
                &job.id,
            )))
        }
    }
}

/// `DELETE /async/{id}`.
pub(crate) async fn delete(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(delete_job(&state, &id, &headers))
}

fn delete_job(state: &State, id: &str, headers: &HeaderMap) -> Answer {
    if !is_job_id(id) || !runner::destroy(state, id).map_err(|e| store_failure(&e))? {
        return Err(Failure::not_found(format!("no job {id}")).in_text());
    }
    Ok(see_other(&base(state, headers)))
}

pub(crate) async fn phase(Shared(state): Shared<Arc<State>>, Path(id): Path<String>) -> Response {
    answer(load(&state, &id).map(|job| text(job.phase.to_string())))
}

/// A POST to a resource of job `id`: its parameters read, the job checked to exist, `change` applied, and
/// a 303 to the job.
async fn post_to(
    state: Arc<State>,
    id: String,
    headers: &HeaderMap,
    request: Request,
    change: impl FnOnce(&Arc<State>, &Job, &TapParams) -> Result<(), Failure>,
) -> Response {
    answer(
        async {
            let params = TapParams::read(request).await?;
            let job = load(&state, &id)?;
            change(&state, &job, &params)?;
            Ok(see_other(&document::job_url(&base(&state, headers), &id)))
        }
        .await,
    )
}

/// `POST /async/{id}/phase`: `PHASE=RUN` or `PHASE=ABORT`.
pub(crate) async fn set_phase(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    post_to(state, id, &headers, request, |state, job, params| {
        set_phase_to(state, &job.id, params)
    })
    .await
}

fn set_phase_to(state: &Arc<State>, id: &str, params: &TapParams) -> Result<(), Failure> {
    match params.get("phase").map(str::trim) {
        Some(p) if p.eq_ignore_ascii_case("RUN") => run(state, id),
        Some(p) if p.eq_ignore_ascii_case("ABORT") => runner::abort(state, id)
            .map(|_| ())
            .map_err(|e| store_failure(&e)),
        Some(p) => Err(Failure::bad_request(format!("PHASE {p}: expected RUN or ABORT")).in_text()),
        None => Err(Failure::bad_request("PHASE is missing").in_text()),
    }
}

pub(crate) async fn execution_duration(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    answer(load(&state, &id).map(|job| text(job.execution_duration.to_string())))
}

pub(crate) async fn set_execution_duration(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    post_to(state, id, &headers, request, |state, job, params| {
        let value = params
            .get("executionduration")
            .ok_or_else(|| Failure::bad_request("EXECUTIONDURATION is missing").in_text())?;
        let seconds = parse_duration(value, state.config.limits.execution_hard)?;
        pending_change(state, &job.id, |job| job.execution_duration = seconds)
    })
    .await
}

pub(crate) async fn destruction(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    answer(load(&state, &id).map(|job| text(iso8601(job.destruction))))
}

pub(crate) async fn set_destruction(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    post_to(state, id, &headers, request, |state, job, params| {
        let value = params
            .get("destruction")
            .ok_or_else(|| Failure::bad_request("DESTRUCTION is missing").in_text())?;
        let at = parse_destruction(value, job.creation, state.config.limits.retention_hard)?;
        state
            .store
            .modify(&job.id, |job| {
                job.destruction = at;
                true
            })
            .map_err(|e| store_failure(&e))?;
        Ok(())
    })
    .await
}

/// Changes a PENDING job; in another phase the change is refused.
fn pending_change(state: &State, id: &str, change: impl FnOnce(&mut Job)) -> Result<(), Failure> {
    let mut refused = None;
    let changed = state
        .store
        .modify(id, |job| {
            if job.phase != Phase::Pending {
                refused = Some(job.phase.clone());
                return false;
            }
            change(job);
            true
        })
        .map_err(|e| store_failure(&e))?;
    match (changed, refused) {
        (None, _) => Err(Failure::not_found(format!("no job {id}")).in_text()),
        (_, Some(phase)) => Err(Failure::conflict(format!(
            "job {id} is {phase}: only a PENDING job can be changed"
        ))
        .in_text()),
        _ => Ok(()),
    }
}

/// `GET /async/{id}/error`: the error document of a failed job.
pub(crate) async fn error(Shared(state): Shared<Arc<State>>, Path(id): Path<String>) -> Response {
    answer(
        load(&state, &id).and_then(|job| match (job.phase, job.error) {
            (Phase::Error | Phase::Aborted, Some(message)) => {
                let body = votable_arrow::write_error_document(Vec::new(), &message)
                    .map_err(|e| Failure::internal(e.to_string()))?;
                Ok((
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, crate::reply::VOTABLE_MIME)],
                    body,
                )
                    .into_response())
            }
            (phase, _) => {
                Err(Failure::not_found(format!("job {id} is {phase}: it has no error")).in_text())
            }
        }),
    )
}

pub(crate) async fn quote(Shared(state): Shared<Arc<State>>, Path(id): Path<String>) -> Response {
    // No estimate of the run time is made.
    answer(load(&state, &id).map(|_| text(String::new())))
}

pub(crate) async fn owner(Shared(state): Shared<Arc<State>>, Path(id): Path<String>) -> Response {
    // Jobs have no owner: whoever holds the token (or reaches a loopback server) sees every job.
    answer(load(&state, &id).map(|_| text(String::new())))
}

pub(crate) async fn parameters(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    answer(load(&state, &id).map(|job| xml(document::parameters(&job))))
}

/// `POST /async/{id}/parameters`: more parameters for a PENDING job.
pub(crate) async fn set_parameters(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    post_to(state, id, &headers, request, |state, job, params| {
        if job.phase != Phase::Pending {
            return Err(Failure::conflict(format!(
                "job {} is {}: only a PENDING job takes parameters",
                job.id, job.phase
            ))
            .in_text());
        }
        let mut changed = job.clone();
        apply_parameters(state, &mut changed, params)?;
        pending_change(state, &job.id, |stored| {
            stored.params = changed.params;
            stored.uploads = changed.uploads;
            stored.execution_duration = changed.execution_duration;
            stored.destruction = changed.destruction;
            stored.run_id = changed.run_id;
        })
    })
    .await
}

pub(crate) async fn results(
    Shared(state): Shared<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer(load(&state, &id).map(|job| xml(document::results(&job, &base(&state, &headers)))))
}

/// `GET /async/{id}/results/result`: the result file.
pub(crate) async fn result(Shared(state): Shared<Arc<State>>, Path(id): Path<String>) -> Response {
    answer(
        async {
            let job = load(&state, &id)?;
            let Some(result) = job.result.filter(|_| job.phase == Phase::Completed) else {
                return Err(Failure::not_found(format!(
                    "job {id} is {}: it has no result",
                    job.phase
                ))
                .in_text());
            };
            let path = state.store.job_dir(&id).join(&result.file);
            let file = tokio::fs::File::open(&path).await.map_err(|_| {
                Failure::not_found(format!("the result of job {id} is gone")).in_text()
            })?;
            let body = Body::from_stream(ReaderStream::with_capacity(file, 256 * 1024));
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, result.mime),
                    (header::CONTENT_LENGTH, result.bytes.to_string()),
                ],
                body,
            )
                .into_response())
        }
        .await,
    )
}
