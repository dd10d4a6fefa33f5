//! The UWS 1.1 XML documents: a job, the job list, a job's results and parameters.

use std::fmt::Write as _;

use crate::uws::job::Job;
use crate::xml::{escape, iso8601};

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NAMESPACES: &str = "xmlns:uws=\"http://www.ivoa.net/xml/UWS/v1.0\" \
                          xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
                          xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

/// The URL of job `id` under the async endpoint `base` (`…/async`).
pub(crate) fn job_url(base: &str, id: &str) -> String {
    format!("{base}/{id}")
}

/// The job document (`GET /async/{id}`).
pub(crate) fn job(job: &Job, base: &str) -> String {
    let mut out = String::from(HEADER);
    let _ = writeln!(out, "<uws:job {NAMESPACES} version=\"1.1\">");
    let _ = writeln!(out, "  <uws:jobId>{}</uws:jobId>", escape(&job.id));
    if let Some(run_id) = &job.run_id {
        let _ = writeln!(out, "  <uws:runId>{}</uws:runId>", escape(run_id));
    }
    out.push_str("  <uws:ownerId xsi:nil=\"true\"/>\n");
    let _ = writeln!(out, "  <uws:phase>{}</uws:phase>", job.phase);
    let _ = writeln!(
        out,
        "  <uws:creationTime>{}</uws:creationTime>",
        iso8601(job.creation)
    );
    time_element(&mut out, "startTime", job.start);
    time_element(&mut out, "endTime", job.end);
    let _ = writeln!(
        out,
        "  <uws:executionDuration>{}</uws:executionDuration>",
        job.execution_duration
    );
    let _ = writeln!(
        out,
        "  <uws:destruction>{}</uws:destruction>",
        iso8601(job.destruction)
    );
    parameters_into(&mut out, job);
    results_into(&mut out, job, base);
    if let Some(error) = &job.error {
        let _ = writeln!(
            out,
            "  <uws:errorSummary type=\"fatal\" hasDetail=\"true\">\n    <uws:message>{}</uws:message>\n  \
             </uws:errorSummary>",
            escape(error)
        );
    }
    out.push_str("</uws:job>\n");
    out
}

fn time_element(out: &mut String, name: &str, time: Option<i64>) {
    match time {
        Some(ms) => {
            let _ = writeln!(out, "  <uws:{name}>{}</uws:{name}>", iso8601(ms));
        }
        None => {
            let _ = writeln!(out, "  <uws:{name} xsi:nil=\"true\"/>");
        }
    }
}

fn parameters_into(out: &mut String, job: &Job) {
    out.push_str("  <uws:parameters>\n");
    for (name, value) in &job.params {
        let _ = writeln!(
            out,
            "    <uws:parameter id=\"{}\">{}</uws:parameter>",
            escape(name),
            escape(value)
        );
    }
    out.push_str("  </uws:parameters>\n");
}

fn results_into(out: &mut String, job: &Job, base: &str) {
    out.push_str("  <uws:results>\n");
    if let Some(result) = &job.result {
        let _ = writeln!(
            out,
            "    <uws:result id=\"result\" xlink:type=\"simple\" xlink:href=\"{}/results/result\" \
             mime-type=\"{}\" size=\"{}\"/>",
            escape(&job_url(base, &job.id)),
            escape(&result.mime),
            result.bytes
        );
    }
    out.push_str("  </uws:results>\n");
}

/// The results document (`GET /async/{id}/results`).
pub(crate) fn results(job: &Job, base: &str) -> String {
    let mut body = String::new();
    results_into(&mut body, job, base);
    let body = body.replacen("<uws:results>", &format!("<uws:results {NAMESPACES}>"), 1);
    format!("{HEADER}{}", body.trim_start())
}

/// The parameters document (`GET /async/{id}/parameters`).
pub(crate) fn parameters(job: &Job) -> String {
    let mut body = String::new();
    parameters_into(&mut body, job);
    let body = body.replacen(
        "<uws:parameters>",
        &format!("<uws:parameters {NAMESPACES}>"),
        1,
    );
    format!("{HEADER}{}", body.trim_start())
}

/// The job list (`GET /async`).
pub(crate) fn job_list(jobs: &[Job], base: &str) -> String {
    let mut out = String::from(HEADER);
    let _ = writeln!(out, "<uws:jobs {NAMESPACES} version=\"1.1\">");
    for job in jobs {
        let _ = writeln!(
            out,
            "  <uws:jobref id=\"{}\" xlink:type=\"simple\" xlink:href=\"{}\">",
            escape(&job.id),
            escape(&job_url(base, &job.id))
        );
        let _ = writeln!(out, "    <uws:phase>{}</uws:phase>", job.phase);
        if let Some(run_id) = &job.run_id {
            let _ = writeln!(out, "    <uws:runId>{}</uws:runId>", escape(run_id));
        }
        out.push_str("    <uws:ownerId xsi:nil=\"true\"/>\n");
        let _ = writeln!(
            out,
            "    <uws:creationTime>{}</uws:creationTime>",
            iso8601(job.creation)
        );
        out.push_str("  </uws:jobref>\n");
    }
    out.push_str("</uws:jobs>\n");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::uws::job::{JobResult, Phase};

    fn completed() -> Job {
        Job {
            id: "abc".into(),
            run_id: Some("mine & yours".into()),
            phase: Phase::Completed,
            params: vec![("query".into(), "SELECT a < b".into())],
            uploads: Vec::new(),
            creation: 0,
            start: Some(1000),
            end: None,
            execution_duration: 60,
            destruction: 86_400_000,
            error: None,
            result: Some(JobResult {
                file: "result.vot".into(),
                mime: "application/x-votable+xml".into(),
                rows: 2,
                bytes: 10,
                overflow: false,
            }),
        }
    }

    #[test]
    fn the_job_document_has_the_uws_elements_in_schema_order() {
        let doc = job(&completed(), "http://h/async");
        let order = [
            "<uws:jobId>abc",
            "<uws:runId>mine &amp; yours",
            "<uws:ownerId xsi:nil",
            "<uws:phase>COMPLETED",
            "<uws:creationTime>1970-01-01T00:00:00.000Z",
            "<uws:startTime>1970-01-01T00:00:01.000Z",
            "<uws:endTime xsi:nil",
            "<uws:executionDuration>60",
            "<uws:destruction>1970-01-02T00:00:00.000Z",
            "<uws:parameter id=\"query\">SELECT a &lt; b",
            "xlink:href=\"http://h/async/abc/results/result\"",
        ];
        let mut at = 0;
        for part in order {
            let found = doc[at..]
                .find(part)
                .unwrap_or_else(|| panic!("{part} after {at} in {doc}"));
            at += found;
        }
    }

    #[test]
    fn lists_results_and_parameters_are_documents_of_their_own() {
        let j = completed();
        let list = job_list(std::slice::from_ref(&j), "http://h/async");
        assert!(list.contains("<uws:jobref id=\"abc\""), "{list}");
        assert!(results(&j, "b").starts_with("<?xml"));
        assert!(results(&j, "b").contains("<uws:results xmlns:uws="));
        assert!(parameters(&j).contains("<uws:parameters xmlns:uws="));
    }
}
