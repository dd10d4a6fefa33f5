//! Clients for IVOA services and the MAST Mashup API, for the `adql` planner and command line.
//!
//! - [`tap`]: TAP 1.1 — sync and async (UWS) queries, `TAP_UPLOAD`, MAXREC and overflow;
//! - [`vosi`]: capabilities (TAPRegExt), table metadata (with a `TAP_SCHEMA` fallback),
//!   availability;
//! - [`scs`], [`sia`], [`ssa`]: Simple Cone Search, SIA 2.0, SSA;
//! - [`mashup`]: the MAST Mashup API (long polling, paging, filters, name resolution);
//! - [`datalink`], [`products`], [`download`]: from rows to data products (DataLink links in ID batches) and
//!   to files (parallel, resumed, verified);
//! - [`auth`]: MAST tokens, sent to MAST hosts only and never printed;
//! - [`http`]: the shared HTTP client (timeouts, retries with jittered backoff and
//!   `Retry-After`, redirects, proxies, gzip, `User-Agent`).
//!
//! Every tabular answer is a [`QueryResult`]: an async stream of Arrow record batches that
//! reports, once read to its end, whether the service truncated it ([`Completeness`]).
//! A body cut short is an error, never a shorter table.

// Errors carry the URL and service of the failure by value so callers can match on them;
// they occur once per failed request, where the size of a `Result` costs nothing measurable.
#![allow(clippy::result_large_err)]

pub mod arrow_util;
pub mod auth;
pub mod cleanup;
pub mod dal;
pub mod datalink;
pub mod download;
pub mod error;
pub mod http;
pub mod mashup;
pub mod products;
pub mod result;
pub mod scs;
pub mod sia;
pub mod ssa;
pub mod tap;
pub mod vosi;
mod votable;
mod xml;

pub use auth::{HostToken, Secret, TokenPolicy};
pub use error::{Error, Result};
pub use http::{ClientConfig, HttpClient, ProxyConfig, RetryPolicy};
pub use result::{Completeness, QueryResult, Table};

use url::Url;

/// Reading the recorded answers of `../shared/fixtures` in unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;

    /// The bytes of `shared/fixtures/<path>`, the `shared` folder being found by walking up
    /// from this crate; `None`, after saying why the test skips, when there is none.
    pub(crate) fn fixture(path: &str) -> Option<Vec<u8>> {
        let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let Some(dir) = start
            .ancestors()
            .map(|d| d.join("shared").join("fixtures"))
            .find(|d| d.is_dir())
        else {
            eprintln!(
                "SKIP: no shared/fixtures above {} (the recorded answers are not here)",
                start.display()
            );
            return None;
        };
        match std::fs::read(dir.join(path)) {
            Ok(bytes) => Some(bytes),
            Err(e) => panic!("fixture {path} in {}: {e}", dir.display()),
        }
    }
}

/// `base` with one more path segment (`http://h/tap` + `sync` → `http://h/tap/sync`), whether
/// or not `base` ends with a slash; the query string is dropped.
pub(crate) fn url_child(base: &Url, segment: &str) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(segment);
    }
    url
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn child_urls() {
        let u = Url::parse("http://h/tap").unwrap();
        assert_eq!(url_child(&u, "sync").as_str(), "http://h/tap/sync");
        let u = Url::parse("http://h/tap/?x=1").unwrap();
        assert_eq!(url_child(&u, "async").as_str(), "http://h/tap/async");
        let u = Url::parse("http://h/tap/async/j1").unwrap();
        assert_eq!(
            url_child(&u, "phase").as_str(),
            "http://h/tap/async/j1/phase"
        );
    }
}
