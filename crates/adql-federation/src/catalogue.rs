//! The service catalogue: which archives a session can query, and how table names resolve.
//!
//! # Where services come from
//!
//! Later sources override earlier ones, entry by entry:
//!
//! 1. the built-in archives ([`builtin_services`]);
//! 2. the user's configuration file, `adql/config.toml` in the platform's configuration
//!    directory (`~/.config/adql/config.toml` on Linux), when it exists;
//! 3. files given with `--config FILE`, in order;
//! 4. `--service NAME=URL` arguments, in order.
//!
//! ```toml
//! [cache]
//! ttl_hours = 24            # how long discovered capabilities stay valid
//! dir = "/var/cache/adql"   # default: the platform's cache directory
//!
//! [services.archive1]
//! url = "http://localhost:8080/tap"
//! kind = "tap"              # "tap" (default), "mashup" or "scs" (Simple Cone Search)
//! description = "local DaCHS"
//! maxrec = 100000           # MAXREC to request (default: the service's hard limit)
//! schemas = ["archive1"]    # only these schemas' tables (default: every schema the service lists)
//! overflow = "split"        # a remote part over MAXREC: "split" it or "fail" (default: the session's)
//! max_remote_rows = 5000000 # refuse remote parts estimated larger (default: the session's, 10,000,000)
//! ```
//!
//! `schemas` lets one server act as several archives (tests register one DaCHS twice, each name
//! seeing one schema) and hides schemas nobody queries; names compare case-insensitively.
//!
//! Service names are ADQL regular identifiers and are folded to lower case.
//!
//! # Table names
//!
//! A table is `service.schema.table`, as ADQL's `catalog.schema.table`. Shorter forms resolve
//! when exactly one table matches ([`TableIndex::resolve`]):
//!
//! * `a.b` is either `service a, table b` (in any schema of service `a`) or `schema a, table b`
//!   (on any service);
//! * `b` is table `b` on any service, in any schema.
//!
//! Names compare case-insensitively unless written delimited (in double quotes), and among
//! several case-insensitive matches an exact-case one wins. No match is
//! [`FederationError::UnknownTable`]; several are [`FederationError::AmbiguousTable`], which
//! lists every candidate as `service.schema.table`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use adql_syntax::ast::is_regular_identifier;
use serde::{Deserialize, Serialize};

use crate::cache::{DEFAULT_TTL, DescriptionCache};
use crate::error::{FederationError, Result};
use crate::metadata::{TableMetadata, split_qualified};
use crate::options::OverflowPolicy;
use crate::result_cache::ResultCache;

/// The protocol a service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// IVOA Table Access Protocol with ADQL.
    #[default]
    Tap,
    /// The MAST Mashup API (`/api/v0/invoke`).
    Mashup,
    /// IVOA Simple Cone Search (`kind = "scs"`).
    #[serde(rename = "scs")]
    ConeSearch,
    /// A DataLink 1.1 `{links}` endpoint (`kind = "datalink"`): its links table, looked up by `ID`.
    #[serde(rename = "datalink")]
    DataLink,
    /// IVOA Simple Image Access 2.0 (`kind = "sia"`): asked by `adql survey`, no table in queries.
    Sia,
    /// IVOA Simple Spectral Access (`kind = "ssa"`): asked by `adql survey`, no table in queries.
    Ssa,
}

/// One configured service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceConfig {
    /// Name (lower-case identifier), the `catalog` part of `service.schema.table`.
    #[serde(skip)]
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Protocol.
    #[serde(default)]
    pub kind: ServiceKind,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// MAXREC to request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxrec: Option<u64>,
    /// Only the tables of these schemas (case-insensitive); empty means every schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// What to do when a remote part overflows MAXREC; `None` leaves it to the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<OverflowPolicy>,
    /// The most rows a remote part of this service may fetch when nothing bounds it; `None` leaves it to
    /// the session (`EngineOptions::max_remote_rows`, `--max-remote-rows`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_remote_rows: Option<u64>,
    /// How queries run: `auto` (sync, then async when no answer starts within a minute), `sync` or `async`.
    #[serde(default, skip_serializing_if = "QueryMode::is_auto")]
    pub mode: QueryMode,
    /// Keep this service's results in the result cache for this many hours (`0`: never); `None` leaves it to
    /// the session (`[cache] results_ttl_hours`, `--cache`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_ttl_hours: Option<f64>,
}

/// How a TAP service's queries run (TAP's `/sync` and `/async` endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryMode {
    /// Sync first; a query whose answer has not started within a minute runs again as an async job.
    #[default]
    Auto,
    /// Always `/sync`.
    Sync,
    /// Always an async (UWS) job, deleted when done or interrupted.
    Async,
}

impl QueryMode {
    fn is_auto(&self) -> bool {
        *self == Self::Auto
    }
}

impl ServiceConfig {
    /// A TAP service.
    pub fn tap(name: &str, url: &str, description: &str) -> Self {
        Self {
            name: name.to_string(),
            url: url.to_string(),
            kind: ServiceKind::Tap,
            description: Some(description.to_string()),
            maxrec: None,
            schemas: Vec::new(),
            overflow: None,
            max_remote_rows: None,
            mode: QueryMode::Auto,
            results_ttl_hours: None,
        }
    }

    /// Restricts the service to the tables of `schemas`.
    #[must_use]
    pub fn with_schemas<S: Into<String>>(mut self, schemas: impl IntoIterator<Item = S>) -> Self {
        self.schemas = schemas.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the service's tables in `schema` are visible (see [`ServiceConfig::schemas`]).
    pub fn includes_schema(&self, schema: &str) -> bool {
        self.schemas.is_empty() || self.schemas.iter().any(|s| s.eq_ignore_ascii_case(schema))
    }

    /// The tables of `tables` that this configuration keeps.
    pub fn filter_tables(&self, tables: Vec<TableMetadata>) -> Vec<TableMetadata> {
        tables
            .into_iter()
            .filter(|t| self.includes_schema(&t.schema_name()))
            .collect()
    }
}

/// The archives known without any configuration.
pub fn builtin_services() -> Vec<ServiceConfig> {
    let mut services = vec![
        ServiceConfig::tap(
            "mast",
            "https://mast.stsci.edu/vo-tap/api/v0.1/caom",
            "MAST CAOM observations (vo-tap)",
        ),
        ServiceConfig::tap(
            "mast_gaiadr3",
            "https://mast.stsci.edu/vo-tap/api/v0.1/gaiadr3",
            "Gaia DR3 at MAST (vo-tap)",
        ),
        ServiceConfig::tap(
            "gaia",
            "https://gea.esac.esa.int/tap-server/tap",
            "ESA Gaia archive",
        ),
        ServiceConfig::tap(
            "vizier",
            "http://tapvizier.cds.unistra.fr/TAPVizieR/tap",
            "CDS VizieR",
        ),
        ServiceConfig::tap(
            "simbad",
            "https://simbad.cds.unistra.fr/simbad/sim-tap",
            "CDS SIMBAD",
        ),
        ServiceConfig::tap(
            "irsa",
            "https://irsa.ipac.caltech.edu/TAP",
            "NASA/IPAC Infrared Science Archive",
        ),
        ServiceConfig::tap(
            "heasarc",
            "https://heasarc.gsfc.nasa.gov/xamin/vo/tap",
            "NASA HEASARC",
        ),
        ServiceConfig::tap(
            "ned",
            "https://ned.ipac.caltech.edu/tap",
            "NASA/IPAC Extragalactic Database",
        ),
        ServiceConfig::tap(
            "datalab",
            "https://datalab.noirlab.edu/tap",
            "NOIRLab Astro Data Lab",
        ),
    ];
    services.push(ServiceConfig {
        kind: ServiceKind::Mashup,
        ..ServiceConfig::tap(
            "mast_mashup",
            "https://mast.stsci.edu/api/v0/invoke",
            "MAST Mashup API",
        )
    });
    services
}

/// Validates and folds a service name.
pub fn service_name(name: &str) -> Result<String> {
    let name = name.trim();
    if !is_regular_identifier(name) {
        return Err(FederationError::InvalidService {
            spec: name.to_string(),
            message: "a service name is a letter followed by letters, digits and `_`".into(),
        });
    }
    Ok(name.to_ascii_lowercase())
}

fn check_url(spec: &str, url: &str) -> Result<()> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        Ok(u) => Err(FederationError::InvalidService {
            spec: spec.to_string(),
            message: format!("URL scheme `{}` is not http or https", u.scheme()),
        }),
        Err(e) => Err(FederationError::InvalidService {
            spec: spec.to_string(),
            message: format!("bad URL: {e}"),
        }),
    }
}

/// Parses a `--service NAME=URL` argument.
pub fn parse_service_spec(spec: &str) -> Result<ServiceConfig> {
    let Some((name, url)) = spec.split_once('=') else {
        return Err(FederationError::InvalidService {
            spec: spec.to_string(),
            message: "expected NAME=URL".into(),
        });
    };
    let url = url.trim();
    check_url(spec, url)?;
    Ok(ServiceConfig {
        description: None,
        ..ServiceConfig::tap(&service_name(name)?, url, "")
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheSection {
    ttl_hours: Option<f64>,
    dir: Option<PathBuf>,
    results_ttl_hours: Option<f64>,
}

/// `hours` as a duration, if it is a non-negative number.
fn hours(key: &str, hours: f64) -> std::result::Result<Duration, String> {
    if hours.is_finite() && hours >= 0.0 {
        Ok(Duration::from_secs_f64(hours * 3600.0))
    } else {
        Err(format!(
            "{key} must be a non-negative number of hours, not {hours}"
        ))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MastSection {
    #[allow(dead_code)]
    token: Option<String>,
    #[allow(dead_code)]
    token_hosts: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TokenEntry {
    hosts: Vec<String>,
    token: Option<String>,
    token_env: Option<String>,
    scheme: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    cache: CacheSection,
    /// The MAST token and the hosts it goes to, read by `vo_client::auth` from the same file; listed here so
    /// that the file stays one file (and a misspelt key in it is still an error).
    #[serde(default)]
    #[allow(dead_code)]
    mast: Option<MastSection>,
    /// Other services' tokens, read by `vo_client::auth` too.
    #[serde(default)]
    #[allow(dead_code)]
    tokens: Vec<TokenEntry>,
    #[serde(default)]
    services: BTreeMap<String, ServiceConfig>,
}

/// The services of a session and where their descriptions are cached.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    services: BTreeMap<String, ServiceConfig>,
    cache_dir: Option<PathBuf>,
    cache_ttl: Duration,
    /// How long answers are kept in the result cache, for services without their own setting; `None`: no
    /// result cache.
    results_ttl: Option<Duration>,
}

/// Where [`Catalogue::load`] looks.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Read the user's configuration file (`dirs::config_dir()/adql/config.toml`) if it exists.
    pub user_config: bool,
    /// `--config FILE` arguments.
    pub config_files: Vec<PathBuf>,
    /// `--service NAME=URL` arguments.
    pub services: Vec<String>,
}

impl Catalogue {
    /// Only the built-in services.
    pub fn builtin() -> Self {
        Self {
            services: builtin_services()
                .into_iter()
                .map(|s| (s.name.clone(), s))
                .collect(),
            cache_dir: None,
            cache_ttl: DEFAULT_TTL,
            results_ttl: None,
        }
    }

    /// No services at all.
    pub fn empty() -> Self {
        Self {
            services: BTreeMap::new(),
            cache_dir: None,
            cache_ttl: DEFAULT_TTL,
            results_ttl: None,
        }
    }

    /// The user's configuration file: `adql/config.toml` in the platform's configuration directory.
    pub fn user_config_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("adql").join("config.toml"))
    }

    /// Built-ins, then the configuration files and `--service` arguments of `options`.
    pub fn load(options: &LoadOptions) -> Result<Self> {
        let mut catalogue = Self::builtin();
        if options.user_config
            && let Some(path) = Self::user_config_path()
            && path.is_file()
        {
            catalogue.merge_file(&path)?;
        }
        for path in &options.config_files {
            catalogue.merge_file(path)?;
        }
        for spec in &options.services {
            catalogue.add(parse_service_spec(spec)?);
        }
        Ok(catalogue)
    }

    /// Merges a TOML configuration file.
    pub fn merge_file(&mut self, path: &Path) -> Result<()> {
        let text = fs::read_to_string(path).map_err(|e| FederationError::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        self.merge_toml(&text, path)
    }

    /// Merges configuration text (`path` names it in errors; relative cache directories are
    /// taken relative to the file's directory).
    pub fn merge_toml(&mut self, text: &str, path: &Path) -> Result<()> {
        let config_err = |message: String| FederationError::Config {
            path: path.to_path_buf(),
            message,
        };
        let file: ConfigFile = toml::from_str(text).map_err(|e| config_err(e.to_string()))?;
        if let Some(ttl) = file.cache.ttl_hours {
            self.cache_ttl = hours("cache.ttl_hours", ttl).map_err(config_err)?;
        }
        if let Some(ttl) = file.cache.results_ttl_hours {
            self.results_ttl = Some(hours("cache.results_ttl_hours", ttl).map_err(config_err)?);
        }
        if let Some(dir) = file.cache.dir {
            let base = path.parent().unwrap_or_else(|| Path::new(""));
            self.cache_dir = Some(if dir.is_relative() {
                base.join(dir)
            } else {
                dir
            });
        }
        for (name, mut service) in file.services {
            service.name = service_name(&name).map_err(|e| config_err(e.to_string()))?;
            check_url(&name, &service.url).map_err(|e| config_err(e.to_string()))?;
            if let Some(ttl) = service.results_ttl_hours {
                hours(&format!("services.{name}.results_ttl_hours"), ttl).map_err(config_err)?;
            }
            self.add(service);
        }
        Ok(())
    }

    /// Adds or replaces a service.
    pub fn add(&mut self, service: ServiceConfig) {
        self.services.insert(service.name.clone(), service);
    }

    /// The service called `name` (any case).
    pub fn get(&self, name: &str) -> Result<&ServiceConfig> {
        self.services
            .get(&name.to_ascii_lowercase())
            .ok_or_else(|| FederationError::UnknownService {
                name: name.to_string(),
                known: self.services.keys().cloned().collect(),
            })
    }

    /// All services, by name.
    pub fn services(&self) -> impl Iterator<Item = &ServiceConfig> {
        self.services.values()
    }

    /// The description cache: the configured directory, or the platform's cache directory.
    pub fn cache(&self) -> Option<DescriptionCache> {
        self.cache_dir
            .clone()
            .or_else(DescriptionCache::default_dir)
            .map(|dir| DescriptionCache::new(dir, self.cache_ttl))
    }

    /// How long a service description (and a row count learnt from the service) is trusted.
    pub fn cache_ttl(&self) -> Duration {
        self.cache_ttl
    }

    /// The result cache: `results` in the configured cache directory, or the platform's cache directory.
    pub fn result_cache(&self) -> Option<ResultCache> {
        self.cache_dir
            .as_ref()
            .map(|dir| dir.join("results"))
            .or_else(ResultCache::default_dir)
            .map(ResultCache::new)
    }

    /// How long `service`'s answers are kept in the result cache: its own `results_ttl_hours`, else the
    /// session's; `None` (or zero) when they are not cached.
    pub fn results_ttl(&self, service: &ServiceConfig) -> Option<Duration> {
        let own = service
            .results_ttl_hours
            .filter(|h| h.is_finite() && *h >= 0.0)
            .map(|h| Duration::from_secs_f64(h * 3600.0));
        own.or(self.results_ttl).filter(|ttl| !ttl.is_zero())
    }

    /// Keeps the answers of every service without its own setting in the result cache for `ttl` (`--cache`).
    #[must_use]
    pub fn with_results_ttl(mut self, ttl: Duration) -> Self {
        self.results_ttl = Some(ttl);
        self
    }

    /// Uses `dir` for the description cache (tests use a temporary directory).
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }
}

/// A table known to the session, fully qualified.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QualifiedTable {
    /// Service name.
    pub service: String,
    /// Schema name (as DataFusion sees it).
    pub schema: String,
    /// Table name (as DataFusion sees it).
    pub table: String,
}

impl std::fmt::Display for QualifiedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.service, self.schema, self.table)
    }
}

/// Every table of every service, for resolving short names.
#[derive(Debug, Clone, Default)]
pub struct TableIndex {
    tables: Vec<QualifiedTable>,
}

/// One part of a name: its text and whether it was delimited (then it compares exactly).
fn matches(part: &(String, bool), candidate: &str) -> bool {
    if part.1 {
        part.0 == candidate
    } else {
        part.0.eq_ignore_ascii_case(candidate)
    }
}

fn exact(part: &(String, bool), candidate: &str) -> bool {
    part.0 == candidate
}

impl TableIndex {
    /// An index of `tables`.
    pub fn new(tables: impl IntoIterator<Item = QualifiedTable>) -> Self {
        let mut tables: Vec<_> = tables.into_iter().collect();
        tables.sort();
        tables.dedup();
        Self { tables }
    }

    /// All tables.
    pub fn tables(&self) -> &[QualifiedTable] {
        &self.tables
    }

    /// Resolves `name` (`service.schema.table`, `service.table`, `schema.table` or `table`; parts
    /// may be delimited with double quotes) to exactly one table.
    pub fn resolve(&self, name: &str) -> Result<&QualifiedTable> {
        let parts = split_qualified(name);
        let candidates: Vec<(&QualifiedTable, bool)> = match parts.as_slice() {
            [service, schema, table] => self
                .tables
                .iter()
                .filter(|t| {
                    matches(service, &t.service)
                        && matches(schema, &t.schema)
                        && matches(table, &t.table)
                })
                .map(|t| {
                    (
                        t,
                        exact(service, &t.service)
                            && exact(schema, &t.schema)
                            && exact(table, &t.table),
                    )
                })
                .collect(),
            [first, table] => self
                .tables
                .iter()
                .filter(|t| {
                    matches(table, &t.table)
                        && (matches(first, &t.service) || matches(first, &t.schema))
                })
                .map(|t| {
                    (
                        t,
                        exact(table, &t.table)
                            && (exact(first, &t.service) || exact(first, &t.schema)),
                    )
                })
                .collect(),
            [table] => self
                .tables
                .iter()
                .filter(|t| matches(table, &t.table))
                .map(|t| (t, exact(table, &t.table)))
                .collect(),
            _ => Vec::new(),
        };
        fn pick<'a>(
            name: &str,
            c: &[(&'a QualifiedTable, bool)],
        ) -> Option<Result<&'a QualifiedTable>> {
            match c {
                [] => None,
                [(one, _)] => Some(Ok(*one)),
                many => {
                    let exact: Vec<_> = many.iter().filter(|(_, e)| *e).collect();
                    Some(match exact.as_slice() {
                        [(one, _)] => Ok(*one),
                        _ => Err(FederationError::AmbiguousTable {
                            name: name.to_string(),
                            candidates: many.iter().map(|(t, _)| t.to_string()).collect(),
                        }),
                    })
                }
            }
        }
        pick(name, &candidates).unwrap_or_else(|| {
            Err(FederationError::UnknownTable {
                name: name.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn t(service: &str, schema: &str, table: &str) -> QualifiedTable {
        QualifiedTable {
            service: service.into(),
            schema: schema.into(),
            table: table.into(),
        }
    }

    fn index() -> TableIndex {
        TableIndex::new([
            t("archive1", "archive1", "observations"),
            t("archive2", "archive2", "sources"),
            t("archive2", "tap_schema", "tables"),
            t("archive1", "tap_schema", "tables"),
            t("gaia", "gaiadr3", "gaia_source"),
            t("mast_gaiadr3", "dbo", "gaia_source"),
            t("vizier", "public", "Mixed"),
            t("vizier", "public", "mixed"),
        ])
    }

    #[test]
    fn full_names_resolve() {
        let i = index();
        assert_eq!(
            i.resolve("gaia.gaiadr3.gaia_source").unwrap(),
            &t("gaia", "gaiadr3", "gaia_source")
        );
        assert_eq!(
            i.resolve("GAIA.GaiaDR3.Gaia_Source").unwrap(),
            &t("gaia", "gaiadr3", "gaia_source")
        );
        assert!(matches!(
            i.resolve("gaia.dbo.gaia_source"),
            Err(FederationError::UnknownTable { .. })
        ));
    }

    #[test]
    fn two_part_names_are_service_or_schema() {
        let i = index();
        assert_eq!(
            i.resolve("mast_gaiadr3.gaia_source").unwrap(),
            &t("mast_gaiadr3", "dbo", "gaia_source")
        );
        assert_eq!(
            i.resolve("gaiadr3.gaia_source").unwrap(),
            &t("gaia", "gaiadr3", "gaia_source")
        );
        assert_eq!(
            i.resolve("archive1.tables").unwrap(),
            &t("archive1", "tap_schema", "tables")
        );
        let err = i.resolve("tap_schema.tables").unwrap_err();
        assert_eq!(
            err.to_string(),
            "table name `tap_schema.tables` is ambiguous: it could be \
             archive1.tap_schema.tables, archive2.tap_schema.tables"
        );
    }

    #[test]
    fn one_part_names_must_be_unique() {
        let i = index();
        assert_eq!(
            i.resolve("sources").unwrap(),
            &t("archive2", "archive2", "sources")
        );
        let err = i.resolve("gaia_source").unwrap_err();
        assert!(
            err.to_string()
                .contains("gaia.gaiadr3.gaia_source, mast_gaiadr3.dbo.gaia_source"),
            "{err}"
        );
        assert!(matches!(
            i.resolve("nothing"),
            Err(FederationError::UnknownTable { .. })
        ));
    }

    #[test]
    fn case_decides_only_between_case_variants() {
        let i = index();
        assert_eq!(
            i.resolve("\"Mixed\"").unwrap(),
            &t("vizier", "public", "Mixed")
        );
        assert_eq!(i.resolve("mixed").unwrap(), &t("vizier", "public", "mixed"));
        assert!(matches!(
            i.resolve("MIXED"),
            Err(FederationError::AmbiguousTable { .. })
        ));
    }

    #[test]
    fn builtins_are_valid() {
        let c = Catalogue::builtin();
        for s in c.services() {
            assert_eq!(service_name(&s.name).unwrap(), s.name);
            check_url(&s.name, &s.url).unwrap();
        }
        assert_eq!(
            c.get("Gaia").unwrap().url,
            "https://gea.esac.esa.int/tap-server/tap"
        );
        assert_eq!(c.get("mast_mashup").unwrap().kind, ServiceKind::Mashup);
        assert!(matches!(
            c.get("nope"),
            Err(FederationError::UnknownService { .. })
        ));
    }

    #[test]
    fn configuration_layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("adql.toml");
        fs::write(
            &file,
            r#"
[cache]
ttl_hours = 2
dir = "cache"

[services.Archive1]
url = "http://localhost:8080/tap"
description = "local DaCHS"
maxrec = 1000

[services.gaia]
url = "http://localhost:8080/tap"
"#,
        )
        .unwrap();
        let options = LoadOptions {
            user_config: false,
            config_files: vec![file.clone()],
            services: vec![
                "archive2=http://localhost:8080/tap".into(),
                "gaia=http://127.0.0.1:9/tap".into(),
            ],
        };
        let c = Catalogue::load(&options).unwrap();
        let a1 = c.get("archive1").unwrap();
        assert_eq!(
            (a1.url.as_str(), a1.maxrec),
            ("http://localhost:8080/tap", Some(1000))
        );
        assert_eq!(c.get("archive2").unwrap().url, "http://localhost:8080/tap");
        assert_eq!(
            c.get("gaia").unwrap().url,
            "http://127.0.0.1:9/tap",
            "--service wins over files"
        );
        assert_eq!(
            c.get("simbad").unwrap().url,
            "https://simbad.cds.unistra.fr/simbad/sim-tap"
        );
        let cache = c.cache().unwrap();
        assert_eq!(cache.dir(), dir.path().join("cache"));
        assert_eq!(cache.ttl(), Duration::from_secs(7200));
    }

    #[test]
    fn the_mast_token_section_of_the_same_file_is_accepted() {
        let mut c = Catalogue::empty();
        c.merge_toml(
            "[mast]\ntoken = \"...\"\ntoken_hosts = [\"*.stsci.edu\"]\n\n[[tokens]]\nhosts = [\"*.ipac.caltech.edu\"]\ntoken_env = \"IRSA_TOKEN\"\n\n[services.x]\nurl = \"http://a/tap\"\n",
            Path::new("config.toml"),
        )
        .unwrap();
        assert!(c.get("x").is_ok());
        let err = Catalogue::empty()
            .merge_toml("[mast]\ntokn = \"...\"\n", Path::new("config.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("tokn"), "{err}");
    }

    #[test]
    fn query_mode_and_result_cache_are_configured_globally_and_per_service() {
        let mut c = Catalogue::empty().with_cache_dir("/tmp/adql-cache");
        c.merge_toml(
            r#"
[cache]
results_ttl_hours = 2

[services.slow]
url = "http://localhost:8080/tap"
mode = "async"
results_ttl_hours = 0

[services.plain]
url = "http://localhost:8080/tap"
"#,
            Path::new("modes.toml"),
        )
        .unwrap();
        let slow = c.get("slow").unwrap();
        let plain = c.get("plain").unwrap();
        assert_eq!((slow.mode, plain.mode), (QueryMode::Async, QueryMode::Auto));
        assert_eq!(c.results_ttl(slow), None, "0 turns it off for one service");
        assert_eq!(c.results_ttl(plain), Some(Duration::from_secs(7200)));
        assert_eq!(
            c.result_cache().unwrap().dir(),
            Path::new("/tmp/adql-cache/results")
        );
        for bad in [
            "[cache]\nresults_ttl_hours = -1\n",
            "[services.x]\nurl = \"http://a\"\nresults_ttl_hours = -2\n",
            "[services.x]\nurl = \"http://a\"\nmode = \"sometimes\"\n",
        ] {
            let err = Catalogue::empty()
                .merge_toml(bad, Path::new("bad.toml"))
                .unwrap_err();
            assert!(err.to_string().contains("bad.toml"), "{err}");
        }
    }

    #[test]
    fn schemas_and_overflow_are_configured_per_service() {
        let mut c = Catalogue::empty();
        c.merge_toml(
            r#"
[services.mast]
url = "http://localhost:8080/tap"
schemas = ["Archive1"]
overflow = "fail"

[services.gaia]
url = "http://localhost:8080/tap"
schemas = ["archive2"]

[services.all]
url = "http://localhost:8080/tap"
"#,
            Path::new("two.toml"),
        )
        .unwrap();
        let table = |schema: &str| TableMetadata {
            schema: schema.into(),
            name: format!("{schema}.t"),
            description: None,
            columns: Vec::new(),
            rows: None,
        };
        let tables = || vec![table("archive1"), table("archive2"), table("tap_schema")];
        let names = |s: &ServiceConfig| -> Vec<String> {
            s.filter_tables(tables())
                .iter()
                .map(|t| t.schema_name())
                .collect()
        };
        let mast = c.get("mast").unwrap();
        assert_eq!(names(mast), ["archive1"], "case-insensitive");
        assert_eq!(mast.overflow, Some(OverflowPolicy::Fail));
        let gaia = c.get("gaia").unwrap();
        assert_eq!(names(gaia), ["archive2"]);
        assert_eq!(gaia.overflow, None, "left to the session");
        assert_eq!(
            names(c.get("all").unwrap()).len(),
            3,
            "no filter: every schema"
        );
        let built = ServiceConfig::tap("x", "http://a/tap", "x").with_schemas(["tap_schema"]);
        assert!(built.includes_schema("TAP_SCHEMA") && !built.includes_schema("archive1"));
        assert!(
            c.merge_toml(
                "[services.x]\nurl = \"http://a\"\noverflow = \"truncate\"\n",
                Path::new("bad.toml")
            )
            .is_err()
        );
    }

    #[test]
    fn bad_configuration_is_reported_with_its_file() {
        let mut c = Catalogue::empty();
        let err = c
            .merge_toml("[services.x]\nurl = \"ftp://a\"\n", Path::new("my.toml"))
            .unwrap_err();
        assert!(
            err.to_string().starts_with("configuration my.toml:"),
            "{err}"
        );
        assert!(
            c.merge_toml("[services.x]\nurl = 3\n", Path::new("my.toml"))
                .is_err()
        );
        assert!(
            c.merge_toml("[servics.x]\nurl = \"http://a\"\n", Path::new("my.toml"))
                .is_err()
        );
        assert!(parse_service_spec("noequals").is_err());
        assert!(parse_service_spec("2mass=http://a/tap").is_err());
        assert!(parse_service_spec("x=not a url").is_err());
        assert_eq!(parse_service_spec("X=http://a/tap").unwrap().name, "x");
    }
}
