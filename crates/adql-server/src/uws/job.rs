//! [`Job`]: one asynchronous query and its UWS state.

use serde_json::{Value, json};
/// The UWS phase, as the TAP client of `vo-client` knows it (the server uses the six phases of a job's life:
/// PENDING, QUEUED, EXECUTING, COMPLETED, ERROR, ABORTED).
pub(crate) use vo_client::tap::Phase;

/// A phase a client names (`PHASE=` of the job list or of `WAIT`): one of the six this server uses.
pub(crate) fn parse_phase(text: &str) -> Result<Phase, String> {
    let phase: Phase = text.parse().unwrap_or(Phase::Unknown);
    match phase {
        Phase::Pending
        | Phase::Queued
        | Phase::Executing
        | Phase::Completed
        | Phase::Error
        | Phase::Aborted => Ok(phase),
        _ => Err(format!("PHASE {text}: not a phase of this service's jobs")),
    }
}

/// A new job id: 128 random bits as 32 lowercase hexadecimal digits.
pub(crate) fn new_job_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether `id` has the form of a job id. Anything else is no job, checked before an id reaches the store
/// or names a directory (an id is never a path).
pub(crate) fn is_job_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Where an uploaded table comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UploadSource {
    /// Sent inline, kept in the job's directory under this file name.
    Stored(String),
    /// Fetched from this URL when the job runs.
    Url(String),
}

/// One table of `UPLOAD`: `TAP_UPLOAD.<table>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upload {
    pub(crate) table: String,
    pub(crate) source: UploadSource,
}

/// The result of a finished job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobResult {
    /// The file in the job's directory.
    pub(crate) file: String,
    /// Its MIME type.
    pub(crate) mime: String,
    /// Rows written.
    pub(crate) rows: u64,
    /// Bytes of the file.
    pub(crate) bytes: u64,
    /// Whether the rows were cut at MAXREC.
    pub(crate) overflow: bool,
}

/// One asynchronous job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    /// Unguessable identifier (128 random bits, hex).
    pub(crate) id: String,
    /// The client's own label (`RUNID`).
    pub(crate) run_id: Option<String>,
    pub(crate) phase: Phase,
    /// The request's parameters, names lowercased, multipart files left out.
    pub(crate) params: Vec<(String, String)>,
    pub(crate) uploads: Vec<Upload>,
    /// Times in milliseconds since the Unix epoch.
    pub(crate) creation: i64,
    pub(crate) start: Option<i64>,
    pub(crate) end: Option<i64>,
    /// Seconds the job may run (0: no limit is not offered; the server's hard limit applies).
    pub(crate) execution_duration: u64,
    /// When the job and its result are deleted.
    pub(crate) destruction: i64,
    /// Why the job failed (phase ERROR) or stopped (ABORTED by its time limit).
    pub(crate) error: Option<String>,
    pub(crate) result: Option<JobResult>,
}

impl Job {
    /// The parameters as stored: a JSON array of `[name, value]`.
    pub(crate) fn params_json(&self) -> String {
        Value::from(
            self.params
                .iter()
                .map(|(n, v)| json!([n, v]))
                .collect::<Vec<_>>(),
        )
        .to_string()
    }

    /// Parameters from [`params_json`](Self::params_json).
    pub(crate) fn params_from_json(text: &str) -> Vec<(String, String)> {
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let pair = item.as_array()?;
                Some((
                    pair.first()?.as_str()?.to_owned(),
                    pair.get(1)?.as_str()?.to_owned(),
                ))
            })
            .collect()
    }

    /// The uploads as stored: a JSON array of `{table, file}` or `{table, url}`.
    pub(crate) fn uploads_json(&self) -> String {
        Value::from(
            self.uploads
                .iter()
                .map(|u| match &u.source {
                    UploadSource::Stored(file) => json!({"table": u.table, "file": file}),
                    UploadSource::Url(url) => json!({"table": u.table, "url": url}),
                })
                .collect::<Vec<_>>(),
        )
        .to_string()
    }

    /// Uploads from [`uploads_json`](Self::uploads_json).
    pub(crate) fn uploads_from_json(text: &str) -> Vec<Upload> {
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let table = item.get("table")?.as_str()?.to_owned();
                let source = match (item.get("file"), item.get("url")) {
                    (Some(f), _) => UploadSource::Stored(f.as_str()?.to_owned()),
                    (None, Some(u)) => UploadSource::Url(u.as_str()?.to_owned()),
                    (None, None) => return None,
                };
                Some(Upload { table, source })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ids_are_random_hex_and_nothing_else_is_an_id() {
        let (a, b) = (new_job_id(), new_job_id());
        assert!(is_job_id(&a) && is_job_id(&b) && a != b);
        for bad in [
            "",
            "../../etc",
            "0123",
            &a.to_ascii_uppercase(),
            &format!("{}/x", &a[..30]),
        ] {
            assert!(!is_job_id(bad), "{bad}");
        }
    }

    #[test]
    fn phases_round_trip() {
        for phase in [
            Phase::Pending,
            Phase::Queued,
            Phase::Executing,
            Phase::Completed,
            Phase::Error,
            Phase::Aborted,
        ] {
            assert_eq!(parse_phase(&phase.to_string()).unwrap(), phase);
        }
        assert!(parse_phase("RUN").is_err());
        assert!(
            parse_phase("HELD").is_err(),
            "a phase this server never uses"
        );
    }

    #[test]
    fn parameters_and_uploads_round_trip_through_json() {
        let job = Job {
            id: "x".into(),
            run_id: None,
            phase: Phase::Pending,
            params: vec![
                ("query".into(), "SELECT \"a\"".into()),
                ("lang".into(), "ADQL".into()),
            ],
            uploads: vec![
                Upload {
                    table: "t".into(),
                    source: UploadSource::Stored("upload-0.vot".into()),
                },
                Upload {
                    table: "u".into(),
                    source: UploadSource::Url("http://example.org/u.xml".into()),
                },
            ],
            creation: 0,
            start: None,
            end: None,
            execution_duration: 60,
            destruction: 0,
            error: None,
            result: None,
        };
        assert_eq!(Job::params_from_json(&job.params_json()), job.params);
        assert_eq!(Job::uploads_from_json(&job.uploads_json()), job.uploads);
    }
}
