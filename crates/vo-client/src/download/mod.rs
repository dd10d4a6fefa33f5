//! Downloading data products: many files, a bounded number at a time, each resumed after a cut and verified
//! before it gets its name.
//!
//! A file is written to `NAME.part` beside its final path and renamed only once complete and verified (its
//! announced size, and checksum when one is given): a file under its final name is always whole, so a later
//! run skips it, and a `.part` file is resumed with an HTTP `Range` request. A broken connection or a stall
//! (no byte for [`DownloadOptions::stall_timeout`]) is retried from where the file stopped; a file of the
//! wrong size or checksum is discarded and reported. Requests go through [`HttpClient`], so a MAST token
//! reaches MAST's hosts only, and a 401 or 403 says that the product may be under exclusive access.
//!
//! Memory stays flat in the file size: bodies are streamed to disk chunk by chunk.

mod checksum;
mod transfer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use url::Url;

pub use checksum::Checksum;

use crate::error::Error;
use crate::http::HttpClient;

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// Where it is.
    pub url: Url,
    /// Where it goes, relative to the download directory (no `..`, no absolute path).
    pub path: PathBuf,
    /// Its size in bytes, when the product list says.
    pub size: Option<u64>,
    /// Its checksum, when the product list gives one.
    pub checksum: Option<Checksum>,
}

/// How files are fetched.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// The directory files are written under.
    pub dir: PathBuf,
    /// At most this many transfers at once (at least 1).
    pub parallel: usize,
    /// A transfer that receives nothing for this long is cut and resumed.
    pub stall_timeout: Duration,
    /// Attempts per file (resumptions after a cut or a stall included).
    pub attempts: u32,
    /// The name of the service in messages.
    pub service: String,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("."),
            parallel: 8,
            stall_timeout: Duration::from_secs(60),
            attempts: 5,
            service: "download".to_owned(),
        }
    }
}

/// What became of one file.
#[derive(Debug)]
pub enum Status {
    /// Fetched whole in this run.
    Downloaded,
    /// Finished from a partial file left by an earlier attempt or run.
    Resumed,
    /// Already there, complete: not fetched again.
    Present,
    /// Not fetched: the error says why (a `.part` file may remain, to be resumed by a later run).
    Failed(Error),
}

/// The outcome of one [`FileRequest`].
#[derive(Debug)]
pub struct Outcome {
    /// The request.
    pub request: FileRequest,
    /// The file's final path (under [`DownloadOptions::dir`]).
    pub path: PathBuf,
    /// Its size on disk when it arrived (or was there).
    pub bytes: u64,
    /// What happened.
    pub status: Status,
}

impl Outcome {
    /// Whether the file is there, complete.
    pub fn is_ok(&self) -> bool {
        !matches!(self.status, Status::Failed(_))
    }
}

/// Told of the bytes as they arrive (for a progress bar).
pub trait DownloadProgress: Send + Sync {
    /// `bytes` more arrived.
    fn advanced(&self, bytes: u64);
    /// A file is done (whatever its status).
    fn finished(&self, outcome: &Outcome) {
        let _ = outcome;
    }
}

/// Fetches files with an [`HttpClient`].
#[derive(Debug, Clone)]
pub struct Downloader {
    http: HttpClient,
    options: DownloadOptions,
}

impl Downloader {
    /// A downloader sharing `http` (its proxies, retries and tokens).
    pub fn new(http: HttpClient, options: DownloadOptions) -> Self {
        Self { http, options }
    }

    /// The options.
    pub fn options(&self) -> &DownloadOptions {
        &self.options
    }

    /// Fetches every file, at most [`DownloadOptions::parallel`] at a time, and returns the outcomes in the
    /// order of `files`. One failed file does not stop the others.
    pub async fn run(
        &self,
        files: Vec<FileRequest>,
        progress: Option<Arc<dyn DownloadProgress>>,
    ) -> Vec<Outcome> {
        let parallel = self.options.parallel.max(1);
        let mut outcomes: Vec<(usize, Outcome)> =
            futures::stream::iter(files.into_iter().enumerate())
                .map(|(i, request)| {
                    let progress = progress.clone();
                    async move {
                        let outcome = self.fetch(request, progress.as_deref()).await;
                        if let Some(progress) = &progress {
                            progress.finished(&outcome);
                        }
                        (i, outcome)
                    }
                })
                .buffer_unordered(parallel)
                .collect()
                .await;
        outcomes.sort_by_key(|(i, _)| *i);
        outcomes.into_iter().map(|(_, outcome)| outcome).collect()
    }

    async fn fetch(
        &self,
        request: FileRequest,
        progress: Option<&dyn DownloadProgress>,
    ) -> Outcome {
        let path = self.options.dir.join(&request.path);
        let result = if is_relative_and_inside(&request.path) {
            transfer::transfer(&self.http, &request, &path, &self.options, progress).await
        } else {
            Err(Error::InvalidInput(format!(
                "{}: a download path must be relative and stay inside the directory",
                request.path.display()
            )))
        };
        match result {
            Ok((status, bytes)) => Outcome {
                request,
                path,
                bytes,
                status,
            },
            Err(error) => Outcome {
                request,
                path,
                bytes: 0,
                status: Status::Failed(error),
            },
        }
    }
}

/// Whether `path` is relative and has no `..` (so that a product list cannot write outside the directory).
fn is_relative_and_inside(path: &Path) -> bool {
    use std::path::Component;
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// A file name that is safe on every platform, from a product's name or URL: path separators, control
/// characters and the characters Windows refuses become `_`; an empty or dot-only name becomes `file`.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    if trimmed.is_empty() {
        "file".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The name a URL's file would have: its last path segment, percent-decoded (`None` when it has none).
pub fn file_name_from_url(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let decoded = url::form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    Some(safe_file_name(&decoded))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn paths_stay_inside_the_directory() {
        assert!(is_relative_and_inside(Path::new("HST/u9o4/a.fits")));
        assert!(!is_relative_and_inside(Path::new("../a.fits")));
        assert!(!is_relative_and_inside(Path::new("/etc/passwd")));
        assert!(!is_relative_and_inside(Path::new("")));
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(safe_file_name("a/b:c?.fits"), "a_b_c_.fits");
        assert_eq!(safe_file_name(".."), "file");
        let url = Url::parse("http://h/getproduct/archive1/data/obs%201.fits?x=1").unwrap();
        assert_eq!(file_name_from_url(&url).unwrap(), "obs 1.fits");
        assert_eq!(file_name_from_url(&Url::parse("http://h/").unwrap()), None);
    }
}
