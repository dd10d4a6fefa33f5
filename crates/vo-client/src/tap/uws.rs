//! UWS 1.1 asynchronous jobs: creation, phase changes, polling with the `WAIT` long-poll,
//! results, error documents and deletion.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use url::Url;

use crate::error::{Error, Result, excerpt};
use crate::http::{Body, HttpClient, Idempotency, Request, check_status, read_body, read_prefix};
use crate::xml;

/// Largest job document accepted.
const JOB_DOC_LIMIT: usize = 4 << 20;

/// The execution phase of a UWS job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Created, not yet asked to run.
    Pending,
    /// Waiting for resources.
    Queued,
    /// Running.
    Executing,
    /// Finished; results available.
    Completed,
    /// Failed; see the error summary.
    Error,
    /// Aborted by the client or the operators.
    Aborted,
    /// The service does not know.
    Unknown,
    /// Held by the service.
    Held,
    /// Suspended by the service.
    Suspended,
    /// Results deleted, job kept for the record.
    Archived,
    /// A phase outside UWS 1.1.
    Other(String),
}

impl Phase {
    /// True for phases after which the job changes no more by itself.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Phase::Pending | Phase::Queued | Phase::Executing)
    }
}

impl FromStr for Phase {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "PENDING" => Phase::Pending,
            "QUEUED" => Phase::Queued,
            "EXECUTING" => Phase::Executing,
            "COMPLETED" => Phase::Completed,
            "ERROR" => Phase::Error,
            "ABORTED" => Phase::Aborted,
            "UNKNOWN" => Phase::Unknown,
            "HELD" => Phase::Held,
            "SUSPENDED" => Phase::Suspended,
            "ARCHIVED" => Phase::Archived,
            other => Phase::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Phase::Pending => "PENDING",
            Phase::Queued => "QUEUED",
            Phase::Executing => "EXECUTING",
            Phase::Completed => "COMPLETED",
            Phase::Error => "ERROR",
            Phase::Aborted => "ABORTED",
            Phase::Unknown => "UNKNOWN",
            Phase::Held => "HELD",
            Phase::Suspended => "SUSPENDED",
            Phase::Archived => "ARCHIVED",
            Phase::Other(s) => s,
        };
        f.write_str(s)
    }
}

/// One entry of a job's result list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    /// The result's id (`result` for TAP; some services use `main`).
    pub id: String,
    /// Its URL as given (may be relative to the job).
    pub href: Option<String>,
}

/// What a job document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// `jobId`.
    pub job_id: String,
    /// `runId`, if set.
    pub run_id: Option<String>,
    /// `phase`.
    pub phase: Phase,
    /// `creationTime`, `startTime`, `endTime`, `destruction` (ISO 8601, verbatim).
    pub creation_time: Option<String>,
    /// When the job started.
    pub start_time: Option<String>,
    /// When the job ended.
    pub end_time: Option<String>,
    /// When the service will destroy the job.
    pub destruction: Option<String>,
    /// `executionDuration` in seconds (0 = unlimited).
    pub execution_duration: Option<u64>,
    /// The job parameters (`id`, value).
    pub parameters: Vec<(String, String)>,
    /// The results.
    pub results: Vec<JobResult>,
    /// `errorSummary/message`.
    pub error_message: Option<String>,
    /// `errorSummary/@hasDetail`: a longer document at `<job>/error`.
    pub error_has_detail: bool,
}

/// Parses a UWS job document.
pub fn parse_job(doc: &[u8]) -> std::result::Result<JobInfo, String> {
    let root = xml::parse(doc)?;
    if root.name != "job" {
        return Err(format!(
            "expected a UWS job document, found <{}>",
            root.name
        ));
    }
    let phase = root
        .child_text("phase")
        .ok_or("job document without a phase")?;
    let parameters = root
        .child("parameters")
        .map(|ps| {
            ps.children_named("parameter")
                .filter_map(|p| Some((p.attr("id")?.to_owned(), p.text.trim().to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let results = root
        .child("results")
        .map(|rs| {
            rs.children_named("result")
                .filter_map(|r| {
                    Some(JobResult {
                        id: r.attr("id")?.to_owned(),
                        href: r.attr("href").map(str::to_owned),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let summary = root.child("errorSummary");
    Ok(JobInfo {
        job_id: root.child_text("jobId").unwrap_or_default(),
        run_id: root.child_text("runId"),
        phase: phase.parse().unwrap_or(Phase::Unknown),
        creation_time: root.child_text("creationTime"),
        start_time: root.child_text("startTime"),
        end_time: root.child_text("endTime"),
        destruction: root.child_text("destruction"),
        execution_duration: root
            .child_text("executionDuration")
            .and_then(|s| s.parse().ok()),
        parameters,
        results,
        error_message: summary.and_then(|s| s.child_text("message")),
        error_has_detail: summary
            .and_then(|s| s.attr("hasDetail"))
            .is_some_and(|v| v.trim() == "true"),
    })
}

/// One entry of a UWS job list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    /// The job id.
    pub id: String,
    /// Its URL, if given.
    pub href: Option<String>,
    /// Its phase, if given.
    pub phase: Option<Phase>,
}

/// Parses a UWS job list (`GET <service>/async`).
pub fn parse_job_list(doc: &[u8]) -> std::result::Result<Vec<JobRef>, String> {
    let root = xml::parse(doc)?;
    if root.name != "jobs" {
        return Err(format!("expected a UWS job list, found <{}>", root.name));
    }
    Ok(root
        .children_named("jobref")
        .filter_map(|j| {
            Some(JobRef {
                id: j.attr("id")?.to_owned(),
                href: j.attr("href").map(str::to_owned),
                phase: j.child_text("phase").and_then(|p| p.parse().ok()),
            })
        })
        .collect())
}

/// How a job is waited for.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOptions {
    /// The first `WAIT` (and sleep, for services that ignore `WAIT`).
    pub initial: Duration,
    /// The longest `WAIT`; later polls double up to this. Keep it below the client's read
    /// timeout.
    pub max_wait: Duration,
    /// Give up (and delete the job) after this long; `None` waits for ever.
    pub deadline: Option<Duration>,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            initial: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
            deadline: None,
        }
    }
}

/// A UWS job on a service.
#[derive(Debug, Clone)]
pub struct AsyncJob {
    http: HttpClient,
    service: String,
    url: Url,
}

impl AsyncJob {
    /// Attaches to an existing job URL.
    pub fn attach(http: HttpClient, service: &str, url: Url) -> Self {
        AsyncJob {
            http,
            service: service.to_owned(),
            url,
        }
    }

    /// Creates a job by POSTing its parameters to the job list. The request is not
    /// repeated unless the connection could not be made (it would create a second job).
    pub(crate) async fn create(
        http: &HttpClient,
        service: &str,
        jobs_url: Url,
        body: Body,
    ) -> Result<Self> {
        let mut jobs_url = jobs_url;
        let mut hops = 0usize;
        let resp = loop {
            let mut req = Request::new(service, Method::POST, jobs_url.clone());
            req.body = body.clone();
            req.idempotency = Idempotency::NotIdempotent;
            req.follow_redirects = false;
            let resp = http.send(&req).await?;
            let status = resp.status();
            if !status.is_redirection() {
                break resp;
            }
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let url = location
                .and_then(|l| jobs_url.join(l.trim()).ok())
                .ok_or_else(|| Error::Protocol {
                    service: service.to_owned(),
                    url: jobs_url.clone(),
                    message: format!(
                        "job creation answered HTTP {} without a Location",
                        status.as_u16()
                    ),
                })?;
            // 307/308 move the job list itself (the POST is repeated there: it was not
            // processed); any other redirect points at the new job.
            if status == StatusCode::TEMPORARY_REDIRECT || status == StatusCode::PERMANENT_REDIRECT
            {
                hops += 1;
                if hops > http.config().max_redirects {
                    return Err(Error::Protocol {
                        service: service.to_owned(),
                        url,
                        message: "too many redirects".to_owned(),
                    });
                }
                jobs_url = url;
                continue;
            }
            tracing::info!("{service}: job {url} created");
            return Ok(AsyncJob {
                http: http.clone(),
                service: service.to_owned(),
                url,
            });
        };
        let resp = check_status(service, resp).await?;
        // Some services answer 200/201 with the job document instead of a redirect.
        let doc = read_body(service, &jobs_url, resp, JOB_DOC_LIMIT).await?;
        let info = parse_job(&doc).map_err(|message| Error::Protocol {
            service: service.to_owned(),
            url: jobs_url.clone(),
            message,
        })?;
        if info.job_id.is_empty() {
            return Err(Error::Protocol {
                service: service.to_owned(),
                url: jobs_url,
                message: "job document without a jobId".to_owned(),
            });
        }
        let url = crate::url_child(&jobs_url, &info.job_id);
        tracing::info!("{service}: job {url} created");
        Ok(AsyncJob {
            http: http.clone(),
            service: service.to_owned(),
            url,
        })
    }

    /// The job URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Fetches the job document.
    pub async fn info(&self) -> Result<JobInfo> {
        self.fetch_info(None).await
    }

    async fn fetch_info(&self, wait: Option<(Duration, &Phase)>) -> Result<JobInfo> {
        let mut url = self.url.clone();
        let mut req_timeout = None;
        if let Some((wait, phase)) = wait {
            url.query_pairs_mut()
                .append_pair("WAIT", &wait.as_secs().max(1).to_string())
                .append_pair("PHASE", &phase.to_string());
            // A WAIT longer than the read timeout would look like a stalled socket.
            req_timeout = Some(wait + self.http.config().read_timeout);
        }
        let mut req = Request::get(&self.service, url.clone()).accept("text/xml, application/xml");
        req.headers_timeout = req_timeout;
        let resp = check_status(&self.service, self.http.send(&req).await?).await?;
        let doc = read_body(&self.service, &url, resp, JOB_DOC_LIMIT).await?;
        parse_job(&doc).map_err(|message| Error::Protocol {
            service: self.service.clone(),
            url: self.url.clone(),
            message,
        })
    }

    async fn set_phase(&self, phase: &str) -> Result<()> {
        let mut req = Request::post_form(
            &self.service,
            crate::url_child(&self.url, "phase"),
            vec![("PHASE".to_owned(), phase.to_owned())],
        );
        // The answer is a redirect to the job; no need to fetch it.
        req.follow_redirects = false;
        let resp = self.http.send(&req).await?;
        if resp.status().is_redirection() {
            return Ok(());
        }
        check_status(&self.service, resp).await.map(drop)
    }

    /// Asks the service to run the job (`PHASE=RUN`).
    pub async fn run(&self) -> Result<()> {
        self.set_phase("RUN").await
    }

    /// Asks the service to abort the job (`PHASE=ABORT`).
    pub async fn abort(&self) -> Result<()> {
        self.set_phase("ABORT").await
    }

    /// Deletes the job. The redirect that follows (to the job list) is not followed: the job
    /// list can be large.
    pub async fn delete(&self) -> Result<()> {
        let mut req = Request::new(&self.service, Method::DELETE, self.url.clone());
        req.follow_redirects = false;
        let resp = self.http.send(&req).await?;
        let status = resp.status();
        if status.is_redirection() || status == StatusCode::NOT_FOUND || status == StatusCode::GONE
        {
            return Ok(());
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            // UWS also allows POST ACTION=DELETE, for clients that cannot send DELETE.
            let mut req = Request::post_form(
                &self.service,
                self.url.clone(),
                vec![("ACTION".to_owned(), "DELETE".to_owned())],
            );
            req.follow_redirects = false;
            let resp = self.http.send(&req).await?;
            if resp.status().is_redirection() {
                return Ok(());
            }
            return check_status(&self.service, resp).await.map(drop);
        }
        check_status(&self.service, resp).await.map(drop)
    }

    /// Polls until the job reaches a terminal phase, using the UWS 1.1 `WAIT` long-poll
    /// with a doubling wait, and sleeping instead when the service answers at once.
    pub async fn wait(
        &self,
        options: &PollOptions,
        mut on_phase: impl FnMut(&Phase),
    ) -> Result<JobInfo> {
        let start = Instant::now();
        let mut wait = options.initial.max(Duration::from_millis(10));
        let mut info = self.fetch_info(None).await?;
        tracing::info!("{}: job {} {}", self.service, self.url, info.phase);
        on_phase(&info.phase);
        while !info.phase.is_terminal() {
            if let Some(deadline) = options.deadline
                && start.elapsed() >= deadline
            {
                return Err(Error::Deadline {
                    service: self.service.clone(),
                    url: self.url.clone(),
                    waited: start.elapsed(),
                });
            }
            let asked = Instant::now();
            let next = self.fetch_info(Some((wait, &info.phase))).await?;
            let took = asked.elapsed();
            if next.phase == info.phase && took < wait / 2 {
                // The service ignored WAIT: back off by sleeping.
                tokio::time::sleep(wait.saturating_sub(took)).await;
            }
            if next.phase != info.phase {
                tracing::info!("{}: job {} {}", self.service, self.url, next.phase);
                on_phase(&next.phase);
            }
            info = next;
            wait = (wait * 2).min(options.max_wait.max(options.initial));
        }
        Ok(info)
    }

    /// The URL of the job's main result: the one with id `result`, else the first listed,
    /// else `<job>/results/result`.
    pub fn result_url(&self, info: &JobInfo) -> Url {
        let chosen = info
            .results
            .iter()
            .find(|r| r.id == "result")
            .or_else(|| info.results.first());
        chosen
            .and_then(|r| r.href.as_deref())
            .and_then(|href| self.url.join(href.trim()).ok())
            .unwrap_or_else(|| crate::url_child(&crate::url_child(&self.url, "results"), "result"))
    }

    /// The error message of a job in phase ERROR: the error summary, or the `/error`
    /// document (a VOTable error document or text).
    pub async fn error_message(&self, info: &JobInfo) -> String {
        if let Some(m) = info.error_message.as_deref()
            && !info.error_has_detail
        {
            return m.to_owned();
        }
        let detail = async {
            let req = Request::get(&self.service, crate::url_child(&self.url, "error"));
            let resp = self.http.send(&req).await.ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let body = read_prefix(resp, 64 * 1024).await.ok()?;
            xml::error_document_message(&body)
                .or_else(|| Some(excerpt(&body, 2000)).filter(|s| !s.is_empty()))
        }
        .await;
        detail
            .or_else(|| info.error_message.clone())
            .unwrap_or_else(|| "the service gave no error message".to_owned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testing::fixture;

    #[test]
    fn parses_job_documents() {
        let doc = br#"<uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink">
          <uws:jobId>abc</uws:jobId><uws:phase>COMPLETED</uws:phase>
          <uws:results><uws:result id="diag" xlink:href="diag.txt"/><uws:result id="result" xlink:href="http://h/tap/async/abc/results/result"/></uws:results>
        </uws:job>"#;
        let info = parse_job(doc).unwrap();
        assert_eq!(info.job_id, "abc");
        assert_eq!(info.phase, Phase::Completed);
        assert_eq!(info.results.len(), 2);
        let http = HttpClient::new(Default::default()).unwrap();
        let job = AsyncJob::attach(http, "TAP", Url::parse("http://h/tap/async/abc").unwrap());
        assert_eq!(
            job.result_url(&info).as_str(),
            "http://h/tap/async/abc/results/result"
        );
        let mut only_main = info.clone();
        only_main.results = vec![JobResult {
            id: "main".into(),
            href: Some("results/main".into()),
        }];
        assert_eq!(
            job.result_url(&only_main).as_str(),
            "http://h/tap/async/results/main"
        );
        only_main.results.clear();
        assert_eq!(
            job.result_url(&only_main).as_str(),
            "http://h/tap/async/abc/results/result"
        );
    }

    #[test]
    fn phases() {
        assert_eq!("executing".parse::<Phase>().unwrap(), Phase::Executing);
        assert!(!Phase::Queued.is_terminal());
        assert!(Phase::Held.is_terminal());
        assert_eq!(Phase::Other("X".into()).to_string(), "X");
    }

    #[test]
    fn recorded_job_documents() {
        if let Some(doc) = fixture("pyvo/io_uws_job-error.xml") {
            let info = parse_job(&doc).unwrap();
            assert_eq!(info.phase, Phase::Error);
            assert_eq!(info.error_message.as_deref(), Some("We have problem"));
            assert_eq!(info.execution_duration, Some(7200));
            assert!(
                info.parameters
                    .contains(&("query".to_owned(), "SELECT 'test'".to_owned()))
            );
        }
        if let Some(doc) = fixture("pyvo/io_uws_job.xml") {
            let info = parse_job(&doc).unwrap();
            assert!(!info.job_id.is_empty());
        }
        if let Some(doc) = fixture("astroquery_utils_tap/jobs_list.xml") {
            let jobs = parse_job_list(&doc).unwrap();
            assert!(!jobs.is_empty());
            assert!(jobs.iter().all(|j| !j.id.is_empty()));
        }
    }
}
