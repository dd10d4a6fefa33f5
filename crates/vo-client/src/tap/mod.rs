//! TAP 1.1 client: synchronous and asynchronous (UWS) queries, uploads, MAXREC and
//! overflow, VOSI metadata.
//!
//! ```no_run
//! # async fn demo() -> vo_client::Result<()> {
//! use futures::StreamExt;
//! use vo_client::{HttpClient, tap::{TapQuery, TapService}};
//!
//! let tap = TapService::new(HttpClient::from_env()?, "http://localhost:8080/tap")?;
//! let mut result = tap.query(&TapQuery::new("SELECT TOP 10 * FROM tap_schema.tables").maxrec(10)).await?;
//! while let Some(batch) = result.next().await {
//!     println!("{} rows", batch?.num_rows());
//! }
//! if let Some(c) = result.completeness() && c.is_truncated() {
//!     eprintln!("truncated by the service");
//! }
//! # Ok(()) }
//! ```

mod metadata;
mod sync;
pub mod upload;
pub mod uws;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use url::Url;
use votable_arrow::ReaderOptions;

use crate::error::{Error, Result};
use crate::http::{Body, HttpClient, Part};
use crate::result::QueryResult;
pub use upload::Upload;
pub use uws::{AsyncJob, JobInfo, Phase, PollOptions};

/// How a query is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST <base>/sync`.
    Sync,
    /// A UWS job at `<base>/async`.
    Async,
    /// Sync first; when no answer has started within `sync_timeout` (or the service answers
    /// 408 or 504), the same query runs as an async job.
    Auto {
        /// How long the sync attempt may take to produce response headers.
        sync_timeout: Duration,
    },
}

/// Which parameter names the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatParam {
    /// `RESPONSEFORMAT` (TAP 1.1, DALI).
    ResponseFormat,
    /// `FORMAT` (TAP 1.0).
    Format,
}

/// Called with every phase a job passes through (for progress display).
pub type PhaseObserver = Arc<dyn Fn(&Phase) + Send + Sync>;

/// A callback told the URL of each async job as it is created.
pub type JobObserver = Arc<dyn Fn(&Url) + Send + Sync>;

/// What should happen to an async job once we are done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePolicy {
    /// Delete after the results were read, after a failure, and on cancellation.
    Always,
    /// Keep the job (the service destroys it after its retention period).
    Never,
}

/// Settings of a [`TapService`].
#[derive(Clone)]
pub struct TapOptions {
    /// Sync, async or automatic.
    pub mode: Mode,
    /// The output format asked for (must be a VOTable serialisation).
    pub response_format: String,
    /// Which parameter carries it.
    pub format_param: FormatParam,
    /// How async jobs are polled.
    pub poll: PollOptions,
    /// Job deletion.
    pub delete: DeletePolicy,
    /// Rows per record batch.
    pub batch_size: usize,
    /// Progress callback for async jobs.
    pub on_phase: Option<PhaseObserver>,
    /// Called with the URL of each async job once it is created (so that a person can find it again).
    pub on_job: Option<JobObserver>,
}

impl fmt::Debug for TapOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TapOptions")
            .field("mode", &self.mode)
            .field("response_format", &self.response_format)
            .field("format_param", &self.format_param)
            .field("poll", &self.poll)
            .field("delete", &self.delete)
            .field("batch_size", &self.batch_size)
            .field("on_phase", &self.on_phase.as_ref().map(|_| "<callback>"))
            .field("on_job", &self.on_job.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl Default for TapOptions {
    fn default() -> Self {
        TapOptions {
            mode: Mode::Auto {
                sync_timeout: Duration::from_secs(60),
            },
            response_format: "votable".to_owned(),
            format_param: FormatParam::ResponseFormat,
            poll: PollOptions::default(),
            delete: DeletePolicy::Always,
            batch_size: 8192,
            on_phase: None,
            on_job: None,
        }
    }
}

/// One ADQL query with its parameters.
#[derive(Debug, Clone)]
pub struct TapQuery {
    /// The query text.
    pub adql: String,
    /// `LANG` (default `ADQL`).
    pub lang: String,
    /// `MAXREC`, if any.
    pub maxrec: Option<u64>,
    /// Tables for `TAP_UPLOAD`.
    pub uploads: Vec<Upload>,
    /// `RUNID`, if any.
    pub run_id: Option<String>,
}

impl TapQuery {
    /// An ADQL query.
    pub fn new(adql: impl Into<String>) -> Self {
        TapQuery {
            adql: adql.into(),
            lang: "ADQL".to_owned(),
            maxrec: None,
            uploads: Vec::new(),
            run_id: None,
        }
    }

    /// Sets `MAXREC`.
    pub fn maxrec(mut self, maxrec: u64) -> Self {
        self.maxrec = Some(maxrec);
        self
    }

    /// Adds an upload.
    pub fn upload(mut self, upload: Upload) -> Self {
        self.uploads.push(upload);
        self
    }
}

/// A TAP service.
#[derive(Debug, Clone)]
pub struct TapService {
    http: HttpClient,
    base: Url,
    service: String,
    options: TapOptions,
}

impl TapService {
    /// A service at `base_url` (the URL that `/sync`, `/async`, `/tables` … hang off).
    pub fn new(http: HttpClient, base_url: &str) -> Result<Self> {
        let base = Url::parse(base_url.trim())
            .map_err(|e| Error::InvalidInput(format!("TAP URL {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::InvalidInput(format!(
                "TAP URL {base_url:?}: only http and https are supported"
            )));
        }
        Ok(TapService {
            http,
            base,
            service: "TAP".to_owned(),
            options: TapOptions::default(),
        })
    }

    /// Names the service in errors (e.g. `TAP gaia`).
    pub fn with_name(mut self, name: &str) -> Self {
        self.service = format!("TAP {name}");
        self
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: TapOptions) -> Self {
        self.options = options;
        self
    }

    /// The options.
    pub fn options(&self) -> &TapOptions {
        &self.options
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn endpoint(&self, name: &str) -> Url {
        crate::url_child(&self.base, name)
    }

    pub(crate) fn reader_options(&self) -> ReaderOptions {
        ReaderOptions::default().with_batch_size(self.options.batch_size)
    }

    /// The request body of a query: a form, or a multipart body when tables are uploaded.
    /// Says (at `info`, what `adql -v` shows) which query goes out, how, and with what.
    fn log_query(&self, mode: &str, query: &TapQuery) {
        let maxrec = query
            .maxrec
            .map(|m| format!(", MAXREC={m}"))
            .unwrap_or_default();
        let uploads: Vec<&str> = query.uploads.iter().map(Upload::name).collect();
        let uploads = if uploads.is_empty() {
            String::new()
        } else {
            format!(", uploads {}", uploads.join(", "))
        };
        tracing::info!(
            "{}: {mode} query to {}{maxrec}{uploads}: {}",
            self.service,
            self.base,
            query.adql
        );
    }

    pub(crate) fn query_body(&self, query: &TapQuery) -> Body {
        let mut params: Vec<(String, String)> = vec![
            ("REQUEST".to_owned(), "doQuery".to_owned()),
            ("LANG".to_owned(), query.lang.clone()),
            ("QUERY".to_owned(), query.adql.clone()),
        ];
        let format_name = match self.options.format_param {
            FormatParam::ResponseFormat => "RESPONSEFORMAT",
            FormatParam::Format => "FORMAT",
        };
        params.push((format_name.to_owned(), self.options.response_format.clone()));
        if let Some(maxrec) = query.maxrec {
            params.push(("MAXREC".to_owned(), maxrec.to_string()));
        }
        if let Some(run_id) = &query.run_id {
            params.push(("RUNID".to_owned(), run_id.clone()));
        }
        if query.uploads.is_empty() {
            return Body::Form(params);
        }
        params.push(("UPLOAD".to_owned(), upload::upload_param(&query.uploads)));
        let mut parts: Vec<Part> = params
            .into_iter()
            .map(|(name, value)| Part::Text { name, value })
            .collect();
        parts.extend(upload::upload_parts(&query.uploads));
        Body::Multipart(parts)
    }

    /// Runs a query in the configured [`Mode`].
    pub async fn query(&self, query: &TapQuery) -> Result<QueryResult> {
        match self.options.mode {
            Mode::Sync => self.query_sync(query, None).await,
            Mode::Async => self.query_async(query).await,
            Mode::Auto { sync_timeout } => match self.query_sync(query, Some(sync_timeout)).await {
                Err(err) if err.is_timeout() || matches!(err.status(), Some(408 | 504)) => {
                    self.query_async(query).await
                }
                other => other,
            },
        }
    }

    /// Runs a query synchronously; `headers_timeout` bounds the wait for the answer to start.
    pub async fn query_sync(
        &self,
        query: &TapQuery,
        headers_timeout: Option<Duration>,
    ) -> Result<QueryResult> {
        self.log_query("sync", query);
        sync::run(
            &self.http,
            &self.service,
            self.endpoint("sync"),
            self.query_body(query),
            headers_timeout,
            self.reader_options(),
            query.maxrec,
        )
        .await
    }

    /// Creates an async job for the query without running it.
    pub async fn submit(&self, query: &TapQuery) -> Result<AsyncJob> {
        self.log_query("async", query);
        AsyncJob::create(
            &self.http,
            &self.service,
            self.endpoint("async"),
            self.query_body(query),
        )
        .await
    }

    /// Runs a query as an async job: create, run, wait, stream the result, delete (per
    /// [`DeletePolicy`]). Dropping the returned future while the job runs deletes the job;
    /// dropping the result before its end deletes it too.
    pub async fn query_async(&self, query: &TapQuery) -> Result<QueryResult> {
        let job = self.submit(query).await?;
        let guard = JobGuard::new(job.clone(), self.options.delete);
        if let Some(on_job) = &self.options.on_job {
            on_job(job.url());
        }
        job.run().await?;
        let observer = self.options.on_phase.clone();
        let info = job
            .wait(&self.options.poll, |p| {
                if let Some(o) = &observer {
                    o(p);
                }
            })
            .await?;
        let result = self.completed_result(&job, &info, query.maxrec).await?;
        Ok(guard.attach(result))
    }

    /// The job `job` of this service: a job id (under `<base>/async`) or a job URL.
    ///
    /// # Errors
    /// A URL that does not parse.
    pub fn job(&self, job: &str) -> Result<AsyncJob> {
        let url = if job.contains("://") {
            Url::parse(job.trim())
                .map_err(|e| Error::InvalidInput(format!("job URL {job:?}: {e}")))?
        } else {
            crate::url_child(&self.endpoint("async"), job.trim())
        };
        Ok(AsyncJob::attach(self.http.clone(), &self.service, url))
    }

    /// The result of a job that already ran (resuming after a disconnect): its rows when it is
    /// COMPLETED, its error when it failed; the job is not deleted.
    ///
    /// # Errors
    /// The job is not complete ([`Error::JobNotCompleted`]), failed ([`Error::JobFailed`]), or the
    /// service failed.
    pub async fn job_result(&self, job: &AsyncJob) -> Result<QueryResult> {
        let info = job.info().await?;
        self.completed_result(job, &info, None).await
    }

    /// The rows of a job whose document is `info`, or why there are none.
    async fn completed_result(
        &self,
        job: &AsyncJob,
        info: &uws::JobInfo,
        maxrec: Option<u64>,
    ) -> Result<QueryResult> {
        match info.phase {
            Phase::Completed => {}
            Phase::Error => {
                let message = job.error_message(info).await;
                return Err(Error::JobFailed {
                    service: self.service.clone(),
                    url: job.url().clone(),
                    message,
                });
            }
            ref other => {
                return Err(Error::JobNotCompleted {
                    service: self.service.clone(),
                    url: job.url().clone(),
                    phase: other.to_string(),
                });
            }
        }
        let result_url = job.result_url(info);
        let req = crate::http::Request::get(&self.service, result_url);
        let resp = crate::http::check_status(&self.service, self.http.send(&req).await?).await?;
        crate::votable::stream_response(&self.service, resp, self.reader_options(), maxrec).await
    }

    /// Lists the jobs of the service (`GET <base>/async`).
    pub async fn jobs(&self) -> Result<Vec<uws::JobRef>> {
        let url = self.endpoint("async");
        let req = crate::http::Request::get(&self.service, url.clone());
        let resp = crate::http::check_status(&self.service, self.http.send(&req).await?).await?;
        let body = crate::http::read_body(&self.service, &url, resp, 64 << 20).await?;
        uws::parse_job_list(&body).map_err(|message| Error::Protocol {
            service: self.service.clone(),
            url,
            message,
        })
    }
}

/// Deletes a job when dropped, unless disarmed (moved into a result's cleanup).
struct JobGuard {
    job: Option<AsyncJob>,
}

impl JobGuard {
    fn new(job: AsyncJob, policy: DeletePolicy) -> Self {
        JobGuard {
            job: (policy == DeletePolicy::Always).then_some(job),
        }
    }

    /// Moves the deletion to the end of the result stream (or its drop).
    fn attach(mut self, result: QueryResult) -> QueryResult {
        let Some(job) = self.job.take() else {
            return result;
        };
        let at_end = job.clone();
        result.with_cleanup(
            async move {
                // A failed deletion is not the caller's problem: the service destroys the
                // job after its retention period anyway.
                let _ = at_end.delete().await;
            }
            .boxed(),
            Box::new(move || spawn_delete(job)),
        )
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            spawn_delete(job);
        }
    }
}

fn spawn_delete(job: AsyncJob) {
    crate::cleanup::spawn(async move {
        let _ = job.delete().await;
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn query_body_form_and_multipart() {
        let tap =
            TapService::new(HttpClient::new(Default::default()).unwrap(), "http://h/tap").unwrap();
        assert_eq!(tap.endpoint("sync").as_str(), "http://h/tap/sync");
        let Body::Form(form) = tap.query_body(&TapQuery::new("SELECT 1").maxrec(5)) else {
            panic!("form expected")
        };
        assert!(form.contains(&("LANG".into(), "ADQL".into())));
        assert!(form.contains(&("MAXREC".into(), "5".into())));
        assert!(form.contains(&("RESPONSEFORMAT".into(), "votable".into())));
        let q = TapQuery::new("SELECT * FROM TAP_UPLOAD.t")
            .upload(Upload::from_votable("t", "<VOTABLE/>").unwrap());
        let Body::Multipart(parts) = tap.query_body(&q) else {
            panic!("multipart expected")
        };
        assert!(parts.iter().any(
            |p| matches!(p, Part::Text { name, value } if name == "UPLOAD" && value == "t,param:t")
        ));
        assert!(
            parts
                .iter()
                .any(|p| matches!(p, Part::File { name, .. } if name == "t"))
        );
    }

    #[test]
    fn rejects_bad_urls() {
        let http = HttpClient::new(Default::default()).unwrap();
        assert!(TapService::new(http.clone(), "not a url").is_err());
        assert!(TapService::new(http, "ftp://h/tap").is_err());
    }
}
