//! [`Engine`]: one ADQL query over local tables and the tables of remote archives, for a Rust program
//! to embed (the `adql query` and `adql explain` commands are thin layers over it).
//!
//! Shaped like DataFusion's `SessionContext`: a front door that holds the registered tables and
//! functions, plans queries into `DataFrame`s and explains them, with one error type for every method
//! ([`FederationError`]). Services are described lazily: a query that names `gaia.gaiadr3.gaia_source`
//! makes the engine describe the `gaia` service (from the on-disk cache when fresh, over VOSI otherwise)
//! before planning; services the query does not name cost nothing. Every query is planned in a fresh
//! [`AdqlSession`] holding the local tables and functions and the services described so far.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use adql_engine::{AdqlSession, EngineError};
use adql_syntax::ParseOptions;
use adql_syntax::ast::{self, Visitor};
use datafusion::catalog::TableProvider;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionConfig;
use vo_client::{ClientConfig, HttpClient};

use crate::cached_executor::CachedExecutor;
use crate::catalogue::{Catalogue, ServiceConfig, ServiceKind};
use crate::error::{FederationError, Result};
use crate::executor::TapExecutor;
use crate::explain::Explanation;
use crate::metadata::TableMetadata;
use crate::options::{FederationOptions, OverflowPolicy};
use crate::progress::{InstrumentedExecutor, ProgressSink};
use crate::service::RemoteService;
use crate::service_io::{ServiceIo, VoServiceIo};
use crate::session::Federation;

/// Settings of an [`Engine`].
#[derive(Clone)]
pub struct EngineOptions {
    /// DataFusion's configuration (the ADQL settings are forced on top, see [`AdqlSession::with_config`]).
    pub session: SessionConfig,
    /// How queries are parsed (ADQL version, optional features, declared UDFs).
    pub parse: ParseOptions,
    /// `MAXREC` sent with every remote query, replacing each service's default.
    pub maxrec: Option<u64>,
    /// Longest time one remote request may take, from sending it to its last row.
    pub timeout: Option<Duration>,
    /// What a remote part over MAXREC does (default: split it and fetch the pieces); a service's own
    /// setting wins.
    pub overflow: OverflowPolicy,
    /// Hears of every remote request (progress bars, request counts).
    pub progress: Option<Arc<dyn ProgressSink>>,
    /// The most rows a remote part may fetch when nothing in the query bounds it (default
    /// [`DEFAULT_MAX_REMOTE_ROWS`]); a larger part is refused before its rows move. A service's own
    /// `max_remote_rows` wins. `None`: no limit.
    pub max_remote_rows: Option<u64>,
}

/// The default of [`EngineOptions::max_remote_rows`]: ten million rows, a few gigabytes of a wide table,
/// and a hundredth of the largest archive catalogues.
pub const DEFAULT_MAX_REMOTE_ROWS: u64 = 10_000_000;

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            session: SessionConfig::default(),
            parse: ParseOptions::default(),
            maxrec: None,
            timeout: None,
            overflow: OverflowPolicy::default(),
            progress: None,
            max_remote_rows: Some(DEFAULT_MAX_REMOTE_ROWS),
        }
    }
}

impl fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineOptions")
            .field("parse", &self.parse)
            .field("maxrec", &self.maxrec)
            .field("timeout", &self.timeout)
            .field("overflow", &self.overflow)
            .field("max_remote_rows", &self.max_remote_rows)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

/// The federated ADQL engine.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::sync::Arc;
/// use adql_federation::{Catalogue, Engine, EngineOptions};
/// use datafusion::arrow::array::{Float64Array, RecordBatch};
/// use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// use datafusion::datasource::MemTable;
///
/// // No services (so no network): local tables only.
/// let engine = Engine::new(Catalogue::empty(), EngineOptions::default())?;
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("ra", DataType::Float64, false),
///     Field::new("dec", DataType::Float64, false),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Float64Array::from(vec![56.75, 10.0])),
///     Arc::new(Float64Array::from(vec![24.12, -5.0])),
/// ])?;
/// engine.register_table("stars", Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
/// let adql = "SELECT COUNT(*) AS n FROM stars \
///             WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 56.75, 24.12, 1))";
/// let rows = engine.query(adql).await?.collect().await?;
/// assert_eq!(rows[0].num_rows(), 1);
/// assert!(engine.explain(adql).await?.remote_parts.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Engine {
    catalogue: Catalogue,
    io: Arc<dyn ServiceIo>,
    options: EngineOptions,
    /// The services described so far (a query's session is built from a copy).
    federation: tokio::sync::Mutex<Federation>,
    local: Mutex<Registered>,
    /// The HTTP client of an engine built over HTTP, for the requests that are not queries (products).
    http: Option<HttpClient>,
}

/// What the user registered: local tables and functions, added to every query's session.
#[derive(Default)]
struct Registered {
    tables: Vec<(String, Arc<dyn TableProvider>)>,
    udfs: Vec<ScalarUDF>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("catalogue", &self.catalogue)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over `catalogue`, reaching services over HTTP with the default client settings: no
    /// proxy and no token. Nothing is read from the environment; see [`Engine::from_env`].
    ///
    /// # Errors
    /// The HTTP client cannot be set up.
    pub fn new(catalogue: Catalogue, options: EngineOptions) -> Result<Self> {
        Self::with_client(catalogue, options, ClientConfig::default())
    }

    /// An engine over `catalogue` whose HTTP client takes proxies and the MAST token from the
    /// environment (see [`vo_client::ClientConfig::from_env`]), as the command line does.
    ///
    /// # Errors
    /// A proxy or token setting of the environment is invalid.
    pub fn from_env(catalogue: Catalogue, options: EngineOptions) -> Result<Self> {
        let config = ClientConfig::from_env().map_err(http_setup)?;
        Self::with_client(catalogue, options, config)
    }

    fn with_client(
        catalogue: Catalogue,
        options: EngineOptions,
        config: ClientConfig,
    ) -> Result<Self> {
        let http = HttpClient::new(config).map_err(http_setup)?;
        Ok(Self {
            http: Some(http.clone()),
            ..Self::with_io(catalogue, Arc::new(VoServiceIo::new(http)), options)
        })
    }

    /// An engine whose services are reached through `io`.
    pub fn with_io(catalogue: Catalogue, io: Arc<dyn ServiceIo>, options: EngineOptions) -> Self {
        Self {
            catalogue,
            io,
            options,
            federation: tokio::sync::Mutex::new(Federation::new()),
            local: Mutex::new(Registered::default()),
            http: None,
        }
    }

    /// Uses `http` for the requests that are not queries (data products), as [`Engine::new`] and
    /// [`Engine::from_env`] do with their own client.
    #[must_use]
    pub fn with_http(mut self, http: HttpClient) -> Self {
        self.http = Some(http);
        self
    }

    /// The HTTP client for requests that are not queries, if the engine has one.
    pub fn http(&self) -> Option<&HttpClient> {
        self.http.as_ref()
    }

    /// How queries are parsed (ADQL version, optional features, declared UDFs).
    pub fn parse_options(&self) -> &ParseOptions {
        &self.options.parse
    }

    /// The services the engine knows.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    fn registered(&self) -> std::sync::MutexGuard<'_, Registered> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a local table under `name` (any provider: files, memory, Parquet...).
    ///
    /// # Errors
    /// The name is empty or taken.
    pub fn register_table(&self, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
        let mut local = self.registered();
        if name.is_empty() {
            return Err(EngineError::Name("a table name cannot be empty".to_owned()).into());
        }
        if local.tables.iter().any(|(n, _)| n == name) {
            return Err(
                EngineError::Name(format!("a table named '{name}' is already registered")).into(),
            );
        }
        local.tables.push((name.to_owned(), table));
        Ok(())
    }

    /// Removes the local table `name`, returning it (`None` when there is none by that name).
    pub fn deregister_table(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        let mut local = self.registered();
        let i = local.tables.iter().position(|(n, _)| n == name)?;
        Some(local.tables.remove(i).1)
    }

    /// The local tables registered so far, with their schemas, in registration order.
    pub fn local_tables(&self) -> Vec<(String, datafusion::arrow::datatypes::SchemaRef)> {
        self.registered()
            .tables
            .iter()
            .map(|(name, table)| (name.clone(), table.schema()))
            .collect()
    }

    /// Registers a scalar function, callable by its name in every later query (ADQL calls it as a
    /// user-defined function). A function of the same name is replaced.
    pub fn register_udf(&self, udf: ScalarUDF) {
        let mut local = self.registered();
        local.udfs.retain(|u| u.name() != udf.name());
        local.udfs.push(udf);
    }

    /// Registers a file (CSV, TSV, Parquet or VOTable, by extension) as local table `name`, with units for
    /// some of its columns (column → VOUnit).
    ///
    /// # Errors
    /// The file cannot be read, or the name is taken.
    pub async fn register_file(
        &self,
        name: &str,
        path: &std::path::Path,
        units: &[(String, String)],
    ) -> Result<()> {
        let scratch = AdqlSession::new();
        scratch.register_file_with_units(name, path, units).await?;
        let provider = scratch
            .context()
            .table_provider(name)
            .await
            .map_err(EngineError::from)?;
        self.register_table(name, provider)
    }

    /// A session for `adql`: the services it names are described first.
    ///
    /// # Errors
    /// Syntax errors; a named service that cannot be described.
    pub async fn session_for(&self, adql: &str) -> Result<AdqlSession> {
        let query = adql_syntax::parse_with(adql, &self.options.parse)
            .map_err(|e| EngineError::Syntax(Box::new(e)))?;
        let federation = {
            let mut federation = self.federation.lock().await;
            let mut from_cache = BTreeSet::new();
            for name in self.services_named(&query) {
                if federation.registry().get(&name).is_ok() {
                    continue;
                }
                let config = self.catalogue.get(&name)?;
                if config.kind == ServiceKind::Tap {
                    if self.add_service(&mut federation, config, true).await? {
                        from_cache.insert(name);
                    }
                } else if !federation.has_source_service(&config.name) {
                    self.io.add_source_service(&mut federation, config).await?;
                }
            }
            // A table missing from a cached description may be newer than the cache: describe that
            // service again (once) before the planner reports the table unknown.
            let mut names = TableNames::default();
            names.visit_query(&query);
            for name in names.0 {
                let Some(catalog) = &name.catalog else {
                    continue;
                };
                let service = catalog.value.to_ascii_lowercase();
                if from_cache.contains(&service)
                    && matches!(
                        federation.provider(&name.to_string()),
                        Err(FederationError::UnknownTable { .. })
                    )
                {
                    let config = self.catalogue.get(&service)?;
                    self.add_service(&mut federation, config, false).await?;
                    from_cache.remove(&service);
                }
            }
            federation.clone()
        };
        let config = self
            .options
            .session
            .clone()
            .with_option_extension(FederationOptions {
                overflow: self.options.overflow,
                ..FederationOptions::default()
            });
        let session = federation
            .adql_session(config)?
            .with_parse_options(self.options.parse.clone());
        let local = self.registered();
        for udf in &local.udfs {
            session.context().register_udf(udf.clone());
        }
        for (name, table) in &local.tables {
            session.register_table(name, Arc::clone(table))?;
        }
        Ok(session)
    }

    /// Plans `adql`; the [`DataFrame`] runs it when collected or streamed.
    ///
    /// # Errors
    /// As [`session_for`](Self::session_for), and planning errors positioned in `adql`.
    pub async fn query(&self, adql: &str) -> Result<DataFrame> {
        let session = self.session_for(adql).await?;
        Ok(session.query(adql).await?)
    }

    /// How `adql` would run: the ADQL each service is sent, and the plans.
    ///
    /// # Errors
    /// As [`query`](Self::query).
    pub async fn explain(&self, adql: &str) -> Result<Explanation> {
        let session = self.session_for(adql).await?;
        let lowered = session.lower(adql).await?;
        let plan = session.logical_plan(adql).await?;
        let state = session.context().state();
        let optimized = state.optimize(&plan).map_err(EngineError::from)?;
        let physical = state
            .create_physical_plan(&optimized)
            .await
            .map_err(EngineError::from)?;
        let context = session.context().task_ctx();
        Ok(
            Explanation::new(lowered.statement, optimized, physical, context)
                .await
                .map_err(EngineError::from)?,
        )
    }

    /// Describes `config` (from the cache first when `use_cache`) and adds it to `federation`, replacing an
    /// earlier description; says whether the description came from the cache.
    async fn add_service(
        &self,
        federation: &mut Federation,
        config: &ServiceConfig,
        use_cache: bool,
    ) -> Result<bool> {
        let (service, tables, from_cache) = self.describe_service(config, use_cache).await?;
        federation.add_service(service, config.filter_tables(tables));
        Ok(from_cache)
    }

    /// The tables of the TAP service `name`, as described (from the cache when fresh, else through VOSI).
    ///
    /// # Errors
    /// The catalogue has no such service, or it cannot be described.
    pub async fn service_tables(&self, name: &str) -> Result<Vec<TableMetadata>> {
        let config = self.catalogue.get(name)?.clone();
        Ok(self.described(&config).await?.1)
    }

    /// The TAP service `config` as described (from the cache when fresh, else through VOSI) and its tables,
    /// kept for the engine's later queries. The description is made without holding the engine's lock, so
    /// that several services are described at once.
    ///
    /// # Errors
    /// The service cannot be described.
    pub(crate) async fn described(
        &self,
        config: &ServiceConfig,
    ) -> Result<(Arc<RemoteService>, Vec<TableMetadata>)> {
        {
            let federation = self.federation.lock().await;
            if let Ok(service) = federation.registry().get(&config.name) {
                return Ok((service, federation.service_tables(&config.name)));
            }
        }
        let (service, tables, _) = self.describe_service(config, true).await?;
        let tables = config.filter_tables(tables);
        let mut federation = self.federation.lock().await;
        let service = federation.add_service(service, tables.clone());
        Ok((service, tables))
    }

    /// `config` described (from the cache first when `use_cache`), as a service with its executor, its
    /// tables, and whether the description came from the cache.
    async fn describe_service(
        &self,
        config: &ServiceConfig,
        use_cache: bool,
    ) -> Result<(RemoteService, Vec<TableMetadata>, bool)> {
        let cache = self.catalogue.cache();
        let cached = cache
            .as_ref()
            .filter(|_| use_cache)
            .and_then(|c| c.get(&config.name, &config.url));
        let from_cache = cached.is_some();
        let description = match cached {
            Some(d) => d,
            None => {
                let d = self.io.describe(config).await?;
                if let Some(cache) = &cache {
                    // A cache that cannot be written only costs a later query another VOSI request.
                    let _ = cache.put(&config.name, &config.url, &d);
                }
                d
            }
        };
        let mut executor: Arc<dyn TapExecutor> =
            if self.options.progress.is_some() || self.options.timeout.is_some() {
                Arc::new(InstrumentedExecutor::new(
                    self.io.executor(config)?,
                    self.options.progress.clone(),
                    self.options.timeout,
                ))
            } else {
                self.io.executor(config)?
            };
        // Outside the instrumentation: an answer from the cache is no request (no spinner, not counted).
        if let (Some(ttl), Some(results)) = (
            self.catalogue.results_ttl(config),
            self.catalogue.result_cache(),
        ) {
            executor = Arc::new(CachedExecutor::new(executor, results, ttl));
        }
        let mut service = RemoteService::new(
            config.name.clone(),
            config.url.clone(),
            description.capabilities,
            executor,
        );
        if let Some(maxrec) = self.options.maxrec.or(config.maxrec) {
            service.maxrec = Some(maxrec);
        }
        service.overflow = config.overflow;
        service.max_rows = config.max_remote_rows.or(self.options.max_remote_rows);
        service.count_ttl = self.catalogue.cache_ttl();
        Ok((service, description.tables, from_cache))
    }

    /// The catalogue's services that `query` names: the first part of a three-part name, or of a
    /// two-part name when it is a service's name (otherwise it is a schema, looked up among the services
    /// whose description is cached).
    fn services_named(&self, query: &ast::Query) -> BTreeSet<String> {
        let mut names = TableNames::default();
        names.visit_query(query);
        let known: BTreeSet<String> = self.catalogue.services().map(|s| s.name.clone()).collect();
        let cache = self.catalogue.cache();
        let mut out = BTreeSet::new();
        for name in names.0 {
            let first = match (&name.catalog, &name.schema) {
                (Some(catalog), _) => catalog,
                (None, Some(schema)) => schema,
                (None, None) => continue,
            };
            let folded = first.value.to_ascii_lowercase();
            if known.contains(&folded) {
                out.insert(folded);
            } else if let (None, Some(schema), Some(cache)) = (&name.catalog, &name.schema, &cache)
            {
                // `schema.table`: any service whose cached description has that schema.
                for service in self.catalogue.services() {
                    let has_schema = cache.get(&service.name, &service.url).is_some_and(|d| {
                        d.tables
                            .iter()
                            .any(|t| t.schema_name().eq_ignore_ascii_case(&schema.value))
                    });
                    if has_schema {
                        out.insert(service.name.clone());
                    }
                }
            }
        }
        out
    }
}

/// The error of an HTTP client that cannot be set up.
fn http_setup(e: vo_client::Error) -> FederationError {
    FederationError::Remote {
        service: "(http client)".into(),
        url: String::new(),
        message: e.to_string(),
    }
}

/// Collects every table name of a query.
#[derive(Default)]
struct TableNames(Vec<ast::TableName>);

impl Visitor for TableNames {
    fn visit_table_name(&mut self, name: &ast::TableName) {
        self.0.push(name.clone());
    }
}
