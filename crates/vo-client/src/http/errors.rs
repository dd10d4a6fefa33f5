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
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest prints "error sending request for url (…)"; keep it but it never holds a token.
    Error::Transport {
        service: service.to_owned(),
        url: url.clone(),
        message,
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
