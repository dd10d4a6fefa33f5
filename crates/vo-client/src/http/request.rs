//! A request as data (method, URL, body, retry and redirect settings), rebuilt per attempt.

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use url::Url;

use super::retry::Idempotency;

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        file_name: String,
        mime: &'static str,
        bytes: Bytes,
    },
}

/// A request body that can be rebuilt for every attempt.
#[derive(Debug, Clone, Default)]
pub(crate) enum Body {
    #[default]
    Empty,
    Form(Vec<(String, String)>),
    Multipart(Vec<Part>),
}

/// Everything needed to (re)send a request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) service: String,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Body,
    pub(crate) accept: Option<&'static str>,
    pub(crate) idempotency: Idempotency,
    pub(crate) follow_redirects: bool,
    /// Upper bound for the arrival of the response headers (per attempt).
    pub(crate) headers_timeout: Option<Duration>,
    /// Ask for the bytes from this offset on (`Range: bytes=N-`), to resume a download.
    pub(crate) range_from: Option<u64>,
}

impl Request {
    pub(crate) fn new(service: &str, method: Method, url: Url) -> Self {
        Request {
            service: service.to_owned(),
            method,
            url,
            body: Body::Empty,
            accept: None,
            idempotency: Idempotency::Idempotent,
            follow_redirects: true,
            headers_timeout: None,
            range_from: None,
        }
    }

    pub(crate) fn get(service: &str, url: Url) -> Self {
        Self::new(service, Method::GET, url)
    }

    pub(crate) fn post_form(service: &str, url: Url, form: Vec<(String, String)>) -> Self {
        let mut r = Self::new(service, Method::POST, url);
        r.body = Body::Form(form);
        r
    }

    pub(crate) fn accept(mut self, accept: &'static str) -> Self {
        self.accept = Some(accept);
        self
    }
}
