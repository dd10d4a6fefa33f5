//! The on-disk cache of service descriptions (capabilities and tables), one JSON file per service.
//!
//! Discovery over VOSI costs two HTTP round trips and, for big archives (VizieR: tens of
//! thousands of tables), megabytes of XML; the cache keeps the parsed [`ServiceDescription`] with
//! the time it was fetched and the URL it came from. An entry is used while it is younger than
//! the time-to-live and its URL equals the configured one.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{FederationError, Result};
use crate::metadata::ServiceDescription;

/// Writes `value` as JSON to `path` through a temporary file beside it and a rename, so that readers never
/// see half a file (the description cache and the result cache's sidecars).
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let err = |path: &Path, e: &dyn std::fmt::Display| FederationError::Cache {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let text = serde_json::to_string_pretty(value).map_err(|e| err(path, &e))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}", std::process::id()));
    fs::write(&tmp, text).map_err(|e| err(&tmp, &e))?;
    fs::rename(&tmp, path).map_err(|e| err(path, &e))
}

/// Default time-to-live of a cached description: one day.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    /// Service base URL the description came from.
    url: String,
    /// Seconds since the Unix epoch.
    fetched_at: u64,
    description: ServiceDescription,
}

/// A directory of cached service descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptionCache {
    dir: PathBuf,
    ttl: Duration,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl DescriptionCache {
    /// A cache in `dir` whose entries expire after `ttl`.
    pub fn new(dir: impl Into<PathBuf>, ttl: Duration) -> Self {
        Self {
            dir: dir.into(),
            ttl,
        }
    }

    /// The platform's cache directory for `adql` (e.g. `~/.cache/adql/services` on Linux).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("adql").join("services"))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The time-to-live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn path(&self, service: &str) -> PathBuf {
        // Service names are validated identifiers ([a-z][a-z0-9_]*), safe as file names.
        self.dir.join(format!("{service}.json"))
    }

    /// The cached description of `service` at `url`, if there is a fresh one. A missing,
    /// expired, unreadable or differently-addressed entry is a miss.
    pub fn get(&self, service: &str, url: &str) -> Option<ServiceDescription> {
        self.get_at(service, url, now())
    }

    fn get_at(&self, service: &str, url: &str, now: u64) -> Option<ServiceDescription> {
        let text = fs::read_to_string(self.path(service)).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        let fresh = now.saturating_sub(entry.fetched_at) < self.ttl.as_secs();
        (fresh && entry.url == url).then_some(entry.description)
    }

    /// Stores the description of `service` fetched from `url` now.
    pub fn put(&self, service: &str, url: &str, description: &ServiceDescription) -> Result<()> {
        self.put_at(service, url, description, now())
    }

    fn put_at(
        &self,
        service: &str,
        url: &str,
        description: &ServiceDescription,
        fetched_at: u64,
    ) -> Result<()> {
        let err = |path: &Path, e: &dyn std::fmt::Display| FederationError::Cache {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        fs::create_dir_all(&self.dir).map_err(|e| err(&self.dir, &e))?;
        let entry = Entry {
            url: url.to_string(),
            fetched_at,
            description: description.clone(),
        };
        write_json(&self.path(service), &entry)
    }

    /// Removes the entry of `service`, if any.
    pub fn invalidate(&self, service: &str) -> Result<()> {
        let path = self.path(service);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(FederationError::Cache {
                path,
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::capabilities::ServiceCapabilities;

    fn description() -> ServiceDescription {
        ServiceDescription {
            capabilities: ServiceCapabilities::adql_2_1_full(),
            tables: vec![],
        }
    }

    #[test]
    fn entries_expire_and_follow_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DescriptionCache::new(dir.path().join("services"), Duration::from_secs(100));
        assert_eq!(cache.get("gaia", "http://x/tap"), None);
        cache
            .put_at("gaia", "http://x/tap", &description(), 1_000)
            .unwrap();
        assert_eq!(
            cache.get_at("gaia", "http://x/tap", 1_050),
            Some(description())
        );
        assert_eq!(cache.get_at("gaia", "http://x/tap", 1_100), None, "expired");
        assert_eq!(
            cache.get_at("gaia", "http://y/tap", 1_050),
            None,
            "other URL"
        );
        cache.invalidate("gaia").unwrap();
        assert_eq!(cache.get_at("gaia", "http://x/tap", 1_050), None);
        cache.invalidate("gaia").unwrap();
    }

    #[test]
    fn corrupt_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DescriptionCache::new(dir.path(), DEFAULT_TTL);
        fs::write(dir.path().join("gaia.json"), "{not json").unwrap();
        assert_eq!(cache.get("gaia", "http://x/tap"), None);
        cache.put("gaia", "http://x/tap", &description()).unwrap();
        assert_eq!(cache.get("gaia", "http://x/tap"), Some(description()));
    }
}
