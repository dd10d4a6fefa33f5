//! Transport failures (`reqwest` errors, I/O errors while streaming a body) as [`Error`]s.

use std::io;

use url::Url;

use crate::error::Error;

/// Maps a `reqwest` error to ours (the URL is given separately: reqwest's own message would
/// repeat it).
pub(crate) fn transport_error(service: &str, url: &Url, err: &reqwest::Error) -> Error {
    if err.is_timeout() {
        let what = if err.is_connect() {
            "connect timeout"
        } else {
            "read timeout"
        };
        return Error::Timeout {
            service: service.to_owned(),
            url: url.clone(),
            what: what.to_owned(),
        };
    }
    Error::Transport {
        service: service.to_owned(),
        url: url.clone(),
        message: transport_message(url, err),
    }
}

/// What failed, for people: a host that does not resolve or refuses the connection said so plainly;
/// otherwise the causes of the error, without reqwest's "error sending request for url (…)", which only
/// repeats the URL the caller already shows.
fn transport_message(url: &Url, err: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut refused = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(s) = source {
        if s.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::ConnectionRefused)
        {
            refused = true;
        }
        causes.push(s.to_string());
        source = s.source();
    }
    let host = url.host_str().unwrap_or_default();
    if err.is_connect() {
        if causes.iter().any(|c| c.contains("dns error")) {
            return format!("cannot resolve the host name {host}");
        }
        if refused {
            let port = url.port_or_known_default().unwrap_or_default();
            return format!("{host}:{port} refused the connection (is the service running?)");
        }
    }
    let kept: Vec<String> = causes
        .into_iter()
        .filter(|c| !c.starts_with("error sending request for url"))
        .collect();
    if kept.is_empty() {
        err.to_string()
    } else {
        kept.join(": ")
    }
}

/// Maps an I/O error raised while streaming a body (it may wrap a `reqwest` error).
pub(crate) fn io_error(service: &str, url: &Url, err: &io::Error) -> Error {
    if let Some(inner) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<reqwest::Error>())
    {
        return transport_error(service, url, inner);
    }
    if err.kind() == io::ErrorKind::TimedOut {
        return Error::Timeout {
            service: service.to_owned(),
            url: url.clone(),
            what: "read timeout".to_owned(),
        };
    }
    Error::Transport {
        service: service.to_owned(),
        url: url.clone(),
        message: err.to_string(),
    }
}
