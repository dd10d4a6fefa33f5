//! How jobs run: a job asked to run waits for a slot (bounded by `max_running`), then runs its query with
//! its time limit, and ends COMPLETED, ERROR or ABORTED; every phase change is stored before it is seen.
//! Expired jobs are destroyed by a sweeper; jobs that were queued or running when the server stopped run
//! again when it starts.

use std::sync::Arc;
use std::time::Duration;

use datafusion::datasource::MemTable;

use crate::params::TapParams;
use crate::query::{QuerySpec, query_spec, run_to_file};
use crate::state::{QueuePlace, State};
use crate::upload;
use crate::uws::job::{Job, JobResult, Phase, UploadSource};
use crate::xml::now_millis;

/// How often expired jobs are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Runs job `id` (already stored as QUEUED) once a slot is free; `place` is its place in the queue.
pub(crate) fn spawn(state: &Arc<State>, id: String, place: QueuePlace) {
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let cancel = state.track(&id);
        let permit = tokio::select! {
            permit = Arc::clone(&state.slots).acquire_owned() => permit.ok(),
            () = cancel.cancelled() => None,
        };
        drop(place);
        let Some(_permit) = permit else {
            state.untrack(&id);
            return;
        };
        let started = state.store.modify(&id, |job| {
            if job.phase != Phase::Queued {
                return false;
            }
            job.phase = Phase::Executing;
            job.start = Some(now_millis());
            true
        });
        let job = match started {
            Ok(Some((job, true))) => job,
            Ok(_) => {
                state.untrack(&id);
                return;
            }
            Err(e) => {
                tracing::error!("job {id}: {e}");
                state.untrack(&id);
                return;
            }
        };
        state.notify();
        let limit = Duration::from_secs(job.execution_duration.max(1));
        let outcome = tokio::select! {
            r = tokio::time::timeout(limit, execute(&state, &job)) => match r {
                Ok(Ok(result)) => Ended::Completed(result),
                Ok(Err(message)) => Ended::Failed(message),
                Err(_) => Ended::TimedOut(limit),
            },
            () = cancel.cancelled() => Ended::Cancelled,
        };
        state.untrack(&id);
        finish(&state, &id, outcome);
        make_room(&state);
        state.notify();
    });
}

/// How a run ended.
enum Ended {
    Completed(JobResult),
    Failed(String),
    TimedOut(Duration),
    /// Aborted or destroyed: the phase was set by whoever stopped it.
    Cancelled,
}

/// Stores the end of a run, unless the job was stopped meanwhile (then its result file goes).
fn finish(state: &State, id: &str, outcome: Ended) {
    let end = now_millis();
    let stored = state.store.modify(id, |job| {
        if job.phase != Phase::Executing {
            return false;
        }
        job.end = Some(end);
        match &outcome {
            Ended::Completed(result) => {
                job.phase = Phase::Completed;
                job.result = Some(result.clone());
            }
            Ended::Failed(message) => {
                job.phase = Phase::Error;
                job.error = Some(message.clone());
            }
            Ended::TimedOut(limit) => {
                job.phase = Phase::Aborted;
                job.error = Some(format!(
                    "the job reached its execution time limit of {} s and was stopped",
                    limit.as_secs()
                ));
            }
            Ended::Cancelled => return false,
        }
        true
    });
    match stored {
        Ok(Some((_, true))) => {}
        Ok(_) => {
            if let Ended::Completed(result) = outcome {
                let _ = std::fs::remove_file(state.store.job_dir(id).join(result.file));
            }
        }
        Err(e) => tracing::error!("job {id}: {e}"),
    }
}

/// Runs the query of `job` into its directory.
async fn execute(state: &State, job: &Job) -> Result<JobResult, String> {
    let params = TapParams::from_pairs(job.params.iter().map(|(n, v)| (n, v.clone())));
    let dir = state.store.job_dir(&job.id);
    let mut uploads: Vec<(String, Arc<MemTable>)> = Vec::new();
    for u in &job.uploads {
        let content = match &u.source {
            UploadSource::Stored(file) => {
                bytes::Bytes::from(std::fs::read(dir.join(file)).map_err(|e| {
                    format!("UPLOAD {}: the stored table cannot be read: {e}", u.table)
                })?)
            }
            UploadSource::Url(url) => {
                let url = url::Url::parse(url).map_err(|e| format!("UPLOAD {}: {e}", u.table))?;
                upload::fetch(
                    &state.upload_http,
                    &url,
                    state.config.limits.max_upload_bytes,
                )
                .await?
            }
        };
        uploads.push((
            u.table.clone(),
            upload::table_from_votable(&u.table, &content)?,
        ));
    }
    let spec: QuerySpec = query_spec(&params, &state.config.limits, uploads)?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot write the result: {e}"))?;
    let file = format!("result.{}", spec.format.extension());
    let served = state.served();
    let outcome = run_to_file(&state.engine, &served, &spec, &dir.join(&file)).await?;
    Ok(JobResult {
        file,
        mime: spec.format.mime().to_owned(),
        rows: outcome.rows,
        bytes: outcome.bytes,
        overflow: outcome.overflow,
    })
}

/// Stops job `id`: ABORTED if it had not finished. Returns false when there is no such job.
pub(crate) fn abort(state: &State, id: &str) -> Result<bool, crate::error::ServerError> {
    let changed = state.store.modify(id, |job| {
        if job.phase.is_terminal() {
            return false;
        }
        job.phase = Phase::Aborted;
        job.end = Some(now_millis());
        true
    })?;
    state.cancel(id);
    state.notify();
    Ok(changed.is_some())
}

/// Destroys job `id`: stopped, removed from the store, its directory deleted.
pub(crate) fn destroy(state: &State, id: &str) -> Result<bool, crate::error::ServerError> {
    state.cancel(id);
    let existed = state.store.delete(id)?;
    if existed {
        let _ = std::fs::remove_dir_all(state.store.job_dir(id));
    }
    state.notify();
    Ok(existed)
}

/// Destroys the oldest finished jobs while all results together are over the limit.
fn make_room(state: &State) {
    let Ok(results) = state.store.results_by_age() else {
        return;
    };
    let mut total: u64 = results.iter().map(|(_, b)| b).sum();
    for (id, bytes) in results {
        if total <= state.config.limits.max_results_total {
            break;
        }
        tracing::info!("job {id} destroyed early: results over the disk budget");
        if destroy(state, &id).is_ok() {
            total = total.saturating_sub(bytes);
        }
    }
}

/// Runs again the jobs that were queued or running when the server stopped, and destroys expired jobs
/// from now on.
pub(crate) fn start(state: &Arc<State>) -> Result<(), crate::error::ServerError> {
    for id in state.store.unfinished()? {
        state.store.modify(&id, |job| {
            job.phase = Phase::Queued;
            job.start = None;
            true
        })?;
        // Recovered jobs are not refused for a full queue: they were accepted before.
        state
            .waiting
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        spawn(state, id, QueuePlace::adopt(state));
    }
    let state = Arc::clone(state);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(SWEEP_EVERY).await;
            match state.store.expired(now_millis()) {
                Ok(ids) => {
                    for id in ids {
                        let _ = destroy(&state, &id);
                    }
                }
                Err(e) => tracing::error!("{e}"),
            }
        }
    });
    Ok(())
}
