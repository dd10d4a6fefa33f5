//! The crate's error type.
//!
//! Every remote failure names the service and the URL it concerns. URLs never carry the
//! MAST token (it only travels in a header), and no variant stores a header, so an error can
//! be printed or logged without leaking credentials.

use std::time::Duration;

use url::Url;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while talking to a VO service or MAST.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection could not be made, or broke while the request or the answer was in
    /// flight (after the retries allowed for the request were spent).
    #[error("{service}: request to {url} failed: {message}")]
    Transport {
        /// Which service (e.g. `TAP`, `MAST Mashup`).
        service: String,
        /// The URL of the failed request.
        url: Url,
        /// What the HTTP layer reported.
        message: String,
    },
    /// A connect or read timeout fired.
    #[error("{service}: {url} timed out ({what})")]
    Timeout {
        /// Which service.
        service: String,
        /// The URL of the request that timed out.
        url: Url,
        /// Which timeout fired (connect, read, response headers, …).
        what: String,
    },
    /// The service answered with an HTTP error status and no error document we understood.
    #[error("{service}: {url} answered HTTP {status}{}", excerpt_suffix(.excerpt))]
    Status {
        /// Which service.
        service: String,
        /// The URL that answered.
        url: Url,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body (whitespace collapsed), possibly empty.
        excerpt: String,
    },
    /// The service answered with an error message of its own: a TAP/DALI error document
    /// (`QUERY_STATUS=ERROR`), a cone search `Error` INFO/PARAM, or a Mashup `msg`.
    #[error("{service}: {url}: {message}")]
    Service {
        /// Which service.
        service: String,
        /// The URL that answered.
        url: Url,
        /// The service's own message, verbatim.
        message: String,
    },
    /// A UWS job ended in phase ERROR; the message is the job's `errorSummary` (or the body
    /// of its `/error` resource).
    #[error("{service}: job {url} failed: {message}")]
    JobFailed {
        /// Which service.
        service: String,
        /// The job URL.
        url: Url,
        /// The server's error summary.
        message: String,
    },
    /// A UWS job was aborted (by us or by the operators), or ended in a phase that yields no
    /// results (HELD, SUSPENDED, ARCHIVED, UNKNOWN).
    #[error("{service}: job {url} ended in phase {phase} without results")]
    JobNotCompleted {
        /// Which service.
        service: String,
        /// The job URL.
        url: Url,
        /// The final phase as the server spelled it.
        phase: String,
    },
    /// The answer is not what the protocol says it must be (malformed XML or JSON, a job
    /// without a result, a redirect without a `Location`, …).
    #[error("{service}: unexpected answer from {url}: {message}")]
    Protocol {
        /// Which service.
        service: String,
        /// The URL that answered.
        url: Url,
        /// What is wrong.
        message: String,
    },
    /// The VOTable of an answer cannot be decoded (malformed, or cut off before its end).
    #[error("{service}: cannot decode the VOTable from {url}: {source}")]
    VOTable {
        /// Which service.
        service: String,
        /// The URL that answered.
        url: Url,
        /// The decoder's error (row and field when it concerns a cell).
        #[source]
        source: votable_arrow::Error,
    },
    /// A wall-clock limit of ours expired (a job or a Mashup request still executing).
    #[error("{service}: {url} still not done after {waited:?}")]
    Deadline {
        /// Which service.
        service: String,
        /// The URL being waited for.
        url: Url,
        /// How long we waited.
        waited: Duration,
    },
    /// The server refused a file (HTTP 401 or 403): it is not public, or the token does not open it.
    #[error(
        "{service}: {url} answered HTTP {status}: access denied; the product may be under exclusive access \
         (give a MAST token with MAST_API_TOKEN or `token` under [mast] in ~/.config/adql/config.toml; it is sent \
         to MAST's hosts only)"
    )]
    AccessDenied {
        /// Which service.
        service: String,
        /// The URL that answered.
        url: Url,
        /// 401 or 403.
        status: u16,
    },
    /// A downloaded file is not what was announced (its size or checksum differs); it was discarded.
    #[error("{service}: {url}: {message}; the file was discarded")]
    Verification {
        /// Which service.
        service: String,
        /// The URL of the file.
        url: Url,
        /// What differs.
        message: String,
    },
    /// A local file could not be written, read or renamed.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The caller's input cannot form a valid request (a malformed URL or parameter, an
    /// upload that cannot be encoded).
    #[error("invalid request: {0}")]
    InvalidInput(String),
    /// The configuration (file or environment) is unusable.
    #[error("configuration: {0}")]
    Config(String),
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

impl Error {
    /// True when retrying the same request later might succeed (timeouts, broken
    /// connections, 5xx and 429 answers). The client already retried these as far as its
    /// policy allows; callers use this to decide e.g. on a sync→async fallback.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// True for a timeout (connect, read, or waiting for response headers).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The HTTP status of an [`Error::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Collapses whitespace and cuts a response body to a short, printable excerpt.
pub(crate) fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut chars = 0usize;
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if chars >= max_chars {
                out.push('…');
                return out;
            }
            out.push(if c.is_control() { '?' } else { c });
            chars += 1;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_collapses_and_cuts() {
        assert_eq!(excerpt(b"  a\n\n b\tc ", 100), "a b c");
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(b"", 3), "");
    }

    #[test]
    fn status_display_names_service_and_url() {
        let err = Error::Status {
            service: "TAP".into(),
            url: Url::parse("http://h/tap/sync").unwrap(),
            status: 502,
            excerpt: "Bad gateway".into(),
        };
        assert_eq!(
            err.to_string(),
            "TAP: http://h/tap/sync answered HTTP 502: Bad gateway"
        );
        assert!(err.is_transient());
    }
}
