//! One file: skip it when it is there, else fetch it to `NAME.part` (resuming what a cut left), verify it,
//! and give it its name.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;

use super::{DownloadOptions, DownloadProgress, FileRequest, Status};
use crate::error::{Error, Result};
use crate::http::{HttpClient, Request, check_status, io_error};

/// Bytes gathered before a write to the file.
const WRITE_BUFFER: usize = 1 << 20;

/// A partial file being written. The body's chunks are kept as they come (no copy) until a megabyte is
/// there, then written in one go: a write per chunk through a tokio file would be a hop to the blocking
/// pool and a copy each.
struct PartFile {
    path: PathBuf,
    file: Option<std::fs::File>,
    pending: Vec<Bytes>,
    pending_len: usize,
}

impl PartFile {
    async fn open(path: &Path, append: bool) -> Result<Self> {
        let file = if append {
            tokio::fs::OpenOptions::new().append(true).open(path).await
        } else {
            tokio::fs::File::create(path).await
        }
        .map_err(|e| file_error(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file.into_std().await),
            pending: Vec::new(),
            pending_len: 0,
        })
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= WRITE_BUFFER {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        use std::io::Write;
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        // A megabyte into the page cache takes a fraction of a millisecond: written here, as curl writes
        // in its event loop, rather than handed to another thread.
        let written = self
            .pending
            .iter()
            .try_for_each(|chunk| file.write_all(chunk));
        self.pending.clear();
        self.pending_len = 0;
        written.map_err(|e| file_error(&self.path, e))
    }
}

/// The partial file of `path`: `NAME.part` beside it.
pub(crate) fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

fn file_error(path: &Path, source: std::io::Error) -> Error {
    Error::File {
        path: path.to_path_buf(),
        source,
    }
}

/// Fetches `request` to `path`; returns what happened and the file's size.
pub(crate) async fn transfer(
    http: &HttpClient,
    request: &FileRequest,
    path: &Path,
    options: &DownloadOptions,
    progress: Option<&dyn DownloadProgress>,
) -> Result<(Status, u64)> {
    // Only a complete file ever has its final name; one of the announced size is not fetched again.
    if let Ok(meta) = tokio::fs::metadata(path).await
        && meta.is_file()
        && request.size.is_none_or(|size| size == meta.len())
    {
        return Ok((Status::Present, meta.len()));
    }
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| file_error(dir, e))?;
    }
    let part = part_path(path);
    let resumed_at_start = tokio::fs::metadata(&part).await.is_ok_and(|m| m.len() > 0);
    let mut attempt = 1;
    loop {
        match fetch_into(http, request, &part, options, progress).await {
            Ok(()) => break,
            Err(error) if error.is_transient() && attempt < options.attempts.max(1) => {
                tracing::info!(
                    "{}: {} stopped ({error}); resuming (attempt {} of {})",
                    options.service,
                    request.url,
                    attempt + 1,
                    options.attempts
                );
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
    let bytes = verify(request, &part, options).await?;
    tokio::fs::rename(&part, path)
        .await
        .map_err(|e| file_error(path, e))?;
    let status = if resumed_at_start || attempt > 1 {
        Status::Resumed
    } else {
        Status::Downloaded
    };
    Ok((status, bytes))
}

/// One request for the rest of the file: appends to `part` what the server sends from its current length
/// (or rewrites it when the server ignores the range).
async fn fetch_into(
    http: &HttpClient,
    request: &FileRequest,
    part: &Path,
    options: &DownloadOptions,
    progress: Option<&dyn DownloadProgress>,
) -> Result<()> {
    let offset = tokio::fs::metadata(part).await.map_or(0, |m| m.len());
    if offset > 0 && request.size.is_some_and(|size| offset >= size) {
        // Nothing left to ask for: the verification decides.
        return Ok(());
    }
    let mut req = Request::get(&options.service, request.url.clone());
    if offset > 0 {
        req.range_from = Some(offset);
    }
    let resp = http.send(&req).await?;
    let status = resp.status();
    let append = match status {
        StatusCode::PARTIAL_CONTENT if offset > 0 => true,
        // The whole part is there already (the server says the range starts past the end).
        StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => return Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Err(Error::AccessDenied {
                service: options.service.clone(),
                url: request.url.clone(),
                status: status.as_u16(),
            });
        }
        _ => false,
    };
    let resp = check_status(&options.service, resp).await?;
    let expected = resp.content_length();
    let mut file = PartFile::open(part, append).await?;
    let mut body = resp.bytes_stream();
    let mut received = 0u64;
    loop {
        let next = tokio::time::timeout(options.stall_timeout, body.next()).await;
        let chunk = match next {
            Err(_) => {
                // Keep what came: the next attempt resumes from it.
                file.flush().await?;
                return Err(Error::Timeout {
                    service: options.service.clone(),
                    url: request.url.clone(),
                    what: format!("no data for {:?}", options.stall_timeout),
                });
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                file.flush().await?;
                return Err(io_error(
                    &options.service,
                    &request.url,
                    &std::io::Error::other(e),
                ));
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        received += chunk.len() as u64;
        if let Some(progress) = progress {
            progress.advanced(chunk.len() as u64);
        }
        file.write(chunk).await?;
    }
    file.flush().await?;
    if let Some(expected) = expected
        && received < expected
    {
        return Err(Error::Transport {
            service: options.service.clone(),
            url: request.url.clone(),
            message: format!("the connection closed after {received} of {expected} bytes"),
        });
    }
    Ok(())
}

/// Checks the size and checksum of a finished part; a part that fails is removed.
async fn verify(request: &FileRequest, part: &Path, options: &DownloadOptions) -> Result<u64> {
    let bytes = tokio::fs::metadata(part)
        .await
        .map_err(|e| file_error(part, e))?
        .len();
    let discard = |message: String| async move {
        let _ = tokio::fs::remove_file(part).await;
        Err(Error::Verification {
            service: options.service.clone(),
            url: request.url.clone(),
            message,
        })
    };
    if let Some(size) = request.size
        && size != bytes
    {
        return discard(format!("{size} bytes were announced, {bytes} arrived")).await;
    }
    if let Some(checksum) = &request.checksum {
        let (checksum, path) = (checksum.clone(), part.to_path_buf());
        let checked = tokio::task::spawn_blocking(move || checksum.check(&path))
            .await
            .map_err(|e| file_error(part, std::io::Error::other(e)))?
            .map_err(|e| file_error(part, e))?;
        if let (got, false) = checked {
            return discard(format!("the checksum is {got}, not the announced one")).await;
        }
    }
    Ok(bytes)
}
