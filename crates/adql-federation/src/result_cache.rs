//! The result cache: remote answers kept on disk, opt-in (`--cache`, `[cache] results_ttl_hours`, or a
//! service's own `results_ttl_hours`), so that running a notebook cell or a script again does not ask an
//! archive the same question twice.
//!
//! An entry is keyed on what makes an answer: the service URL, the ADQL text, MAXREC and the content of every
//! uploaded table (a SHA-256 of each table's Arrow IPC bytes). It holds the rows as an Arrow IPC file (field
//! metadata — units, UCDs — included) beside a JSON sidecar saying what it is. Only complete answers are
//! stored: a request that fails, or whose answer the service cut at MAXREC, leaves nothing. Both files are
//! written under temporary names and renamed, the sidecar last, so a reader never sees half an entry.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::ipc::writer::{FileWriter, StreamWriter};
use datafusion::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{FederationError, Result};
use crate::executor::UploadTable;

/// What a cached answer is: the request it answers, when, and how big it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedResult {
    /// The key: SHA-256 (hex) of the URL, ADQL, MAXREC and upload digests.
    pub key: String,
    /// The service's name when it was stored.
    pub service: String,
    /// The service's base URL.
    pub url: String,
    /// The ADQL sent.
    pub adql: String,
    /// MAXREC sent, if any.
    pub maxrec: Option<u64>,
    /// The uploaded tables, as `name:sha256`.
    pub uploads: Vec<String>,
    /// When the answer came, in seconds since the Unix epoch.
    pub fetched_at: u64,
    /// Rows stored.
    pub rows: u64,
    /// Size of the rows file, in bytes.
    pub bytes: u64,
}

/// A directory of cached answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultCache {
    dir: PathBuf,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cache_error(path: &Path, message: impl ToString) -> FederationError {
    FederationError::Cache {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The SHA-256 of a table's Arrow IPC stream.
fn table_digest(batch: &RecordBatch) -> Result<String> {
    let mut bytes = Vec::new();
    let to_error = |e: datafusion::arrow::error::ArrowError| FederationError::Cache {
        path: PathBuf::from("<upload>"),
        message: e.to_string(),
    };
    let mut writer = StreamWriter::try_new(&mut bytes, &batch.schema()).map_err(to_error)?;
    writer.write(batch).map_err(to_error)?;
    writer.finish().map_err(to_error)?;
    drop(writer);
    Ok(hex(&Sha256::digest(&bytes)))
}

impl ResultCache {
    /// A cache in `dir` (created when the first answer is stored).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The platform's cache directory for results (e.g. `~/.cache/adql/results` on Linux).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("adql").join("results"))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The rows file of `key`.
    pub(crate) fn rows_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.arrow"))
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The entry a request would have (its key and upload digests; no rows yet).
    ///
    /// # Errors
    /// An upload that cannot be serialised to be hashed.
    pub fn entry(
        service: &str,
        url: &str,
        adql: &str,
        maxrec: Option<u64>,
        uploads: &[UploadTable],
    ) -> Result<CachedResult> {
        let uploads = uploads
            .iter()
            .map(|u| Ok(format!("{}:{}", u.name, table_digest(&u.batch)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut hash = Sha256::new();
        // NUL separates the parts: none of them can contain one that would shift the boundaries.
        for part in [url, adql, &maxrec.map_or("-".to_owned(), |m| m.to_string())] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        for upload in &uploads {
            hash.update(upload.as_bytes());
            hash.update([0]);
        }
        Ok(CachedResult {
            key: hex(&hash.finalize()),
            service: service.to_owned(),
            url: url.to_owned(),
            adql: adql.to_owned(),
            maxrec,
            uploads,
            fetched_at: 0,
            rows: 0,
            bytes: 0,
        })
    }

    /// The rows stored under `key` if they are younger than `ttl`; a missing, expired or unreadable entry
    /// is a miss.
    pub fn get(&self, key: &str, ttl: Duration) -> Option<FileReader<BufReader<File>>> {
        let text = fs::read_to_string(self.entry_path(key)).ok()?;
        let entry: CachedResult = serde_json::from_str(&text).ok()?;
        if now().saturating_sub(entry.fetched_at) >= ttl.as_secs() {
            return None;
        }
        let file = File::open(self.rows_path(key)).ok()?;
        FileReader::try_new(BufReader::new(file), None).ok()
    }

    /// Starts storing the answer to the request `entry` describes; nothing is stored unless
    /// [`PendingResult::commit`] is called.
    pub fn start(&self, entry: CachedResult) -> PendingResult {
        let tmp = self
            .dir
            .join(format!(".{}.arrow.{}", entry.key, std::process::id()));
        PendingResult {
            cache: self.clone(),
            entry,
            tmp,
            writer: None,
            failed: false,
        }
    }

    /// Every entry, newest first (unreadable sidecars are skipped).
    ///
    /// # Errors
    /// The directory exists but cannot be read.
    pub fn list(&self) -> Result<Vec<CachedResult>> {
        let dir = match fs::read_dir(&self.dir) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(cache_error(&self.dir, e)),
        };
        let mut entries: Vec<CachedResult> = dir
            .filter_map(|item| {
                let path = item.ok()?.path();
                if path.extension()? != "json" {
                    return None;
                }
                serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
            })
            .collect();
        entries.sort_by(|a, b| b.fetched_at.cmp(&a.fetched_at).then(a.key.cmp(&b.key)));
        Ok(entries)
    }

    /// Removes every entry (and any file left by an interrupted write); returns how many entries there were.
    ///
    /// # Errors
    /// A file that cannot be removed.
    pub fn clear(&self) -> Result<usize> {
        let count = self.list()?.len();
        let dir = match fs::read_dir(&self.dir) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(cache_error(&self.dir, e)),
        };
        for item in dir {
            let path = item.map_err(|e| cache_error(&self.dir, e))?.path();
            let ours = path
                .extension()
                .is_some_and(|e| e == "json" || e == "arrow")
                || path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.') && n.contains(".arrow."));
            if ours {
                fs::remove_file(&path).map_err(|e| cache_error(&path, e))?;
            }
        }
        Ok(count)
    }
}

/// An answer being stored: rows go to a temporary file as they arrive; dropped without
/// [`commit`](Self::commit), it leaves nothing.
pub struct PendingResult {
    cache: ResultCache,
    entry: CachedResult,
    tmp: PathBuf,
    writer: Option<FileWriter<BufWriter<File>>>,
    failed: bool,
}

impl std::fmt::Debug for PendingResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingResult")
            .field("entry", &self.entry)
            .field("tmp", &self.tmp)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl PendingResult {
    /// Adds a batch. A cache that cannot be written is given up silently: it costs a later run the request,
    /// never this query its rows.
    pub fn write(&mut self, batch: &RecordBatch) {
        if self.failed {
            return;
        }
        if self.try_write(batch).is_err() {
            self.failed = true;
            self.writer = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }

    fn try_write(&mut self, batch: &RecordBatch) -> Result<()> {
        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => {
                fs::create_dir_all(&self.cache.dir).map_err(|e| cache_error(&self.cache.dir, e))?;
                let file = File::create(&self.tmp).map_err(|e| cache_error(&self.tmp, e))?;
                let writer = FileWriter::try_new(BufWriter::new(file), &batch.schema())
                    .map_err(|e| cache_error(&self.tmp, e))?;
                self.writer.insert(writer)
            }
        };
        writer.write(batch).map_err(|e| cache_error(&self.tmp, e))?;
        self.entry.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Stores the answer: the rows file, then the sidecar that makes the entry visible. An answer without
    /// any batch (so without a schema) is not stored.
    ///
    /// # Errors
    /// The files cannot be written or renamed.
    pub fn commit(mut self) -> Result<()> {
        let Some(mut writer) = self.writer.take() else {
            return Ok(());
        };
        if self.failed {
            return Ok(());
        }
        writer.finish().map_err(|e| cache_error(&self.tmp, e))?;
        drop(writer);
        let key = self.entry.key.clone();
        let rows = self.cache.rows_path(&key);
        self.entry.bytes = fs::metadata(&self.tmp).map_or(0, |m| m.len());
        self.entry.fetched_at = now();
        fs::rename(&self.tmp, &rows).map_err(|e| cache_error(&rows, e))?;
        crate::cache::write_json(&self.cache.entry_path(&key), &self.entry)
    }
}

impl Drop for PendingResult {
    fn drop(&mut self) {
        // Not committed (or the rename failed): no trace is left.
        if self.tmp.exists() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(values: &[i64]) -> RecordBatch {
        let field = Field::new("n", DataType::Int64, true).with_metadata(
            [("unit".to_owned(), "deg".to_owned())]
                .into_iter()
                .collect(),
        );
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![field])),
            vec![Arc::new(Int64Array::from(values.to_vec()))],
        )
        .unwrap()
    }

    fn upload(values: &[i64]) -> UploadTable {
        UploadTable {
            name: "t".to_owned(),
            batch: batch(values),
        }
    }

    #[test]
    fn keys_follow_url_adql_maxrec_and_upload_content() {
        let key = |url, adql, maxrec, uploads: &[UploadTable]| {
            ResultCache::entry("s", url, adql, maxrec, uploads)
                .unwrap()
                .key
        };
        let base = key("http://a/tap", "SELECT 1", Some(10), &[upload(&[1, 2])]);
        assert_eq!(
            base,
            key("http://a/tap", "SELECT 1", Some(10), &[upload(&[1, 2])])
        );
        assert_ne!(
            base,
            key("http://b/tap", "SELECT 1", Some(10), &[upload(&[1, 2])])
        );
        assert_ne!(
            base,
            key("http://a/tap", "SELECT 2", Some(10), &[upload(&[1, 2])])
        );
        assert_ne!(
            base,
            key("http://a/tap", "SELECT 1", None, &[upload(&[1, 2])])
        );
        assert_ne!(
            base,
            key("http://a/tap", "SELECT 1", Some(10), &[upload(&[1, 3])])
        );
        assert_ne!(base, key("http://a/tap", "SELECT 1", Some(10), &[]));
    }

    #[test]
    fn committed_answers_are_read_back_with_their_metadata_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ResultCache::new(dir.path().join("results"));
        let entry = ResultCache::entry("s", "http://a/tap", "SELECT n FROM t", None, &[]).unwrap();
        let key = entry.key.clone();
        let mut pending = cache.start(entry);
        pending.write(&batch(&[1, 2]));
        pending.write(&batch(&[3]));
        // Nothing is visible before the commit.
        assert!(cache.get(&key, Duration::from_secs(60)).is_none());
        pending.commit().unwrap();
        let batches: Vec<RecordBatch> = cache
            .get(&key, Duration::from_secs(60))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
        assert_eq!(
            batches[0]
                .schema()
                .field(0)
                .metadata()
                .get("unit")
                .map(String::as_str),
            Some("deg")
        );
        assert!(cache.get(&key, Duration::ZERO).is_none());
        let listed = cache.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].rows, listed[0].adql.as_str()),
            (3, "SELECT n FROM t")
        );
        assert_eq!(cache.clear().unwrap(), 1);
        assert!(cache.list().unwrap().is_empty());
        assert_eq!(fs::read_dir(cache.dir()).unwrap().count(), 0);
    }

    #[test]
    fn an_answer_dropped_before_its_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ResultCache::new(dir.path());
        let entry = ResultCache::entry("s", "http://a/tap", "SELECT 1", None, &[]).unwrap();
        let mut pending = cache.start(entry);
        pending.write(&batch(&[1]));
        drop(pending);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
