//! [`Engine`]: one ADQL query over local tables and the tables of remote archives, for a Rust program
//! to embed (the `adql query` and `adql explain` commands are thin layers over it).
//!
//! Services are described lazily: a query that names `gaia.gaiadr3.gaia_source` makes the engine describe
//! the `gaia` service (from the on-disk cache when fresh, over VOSI otherwise) before planning; services the
//! query does not name cost nothing. Every query is planned in a fresh [`AdqlSession`] holding the local
//! tables and the services described so far.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use adql_engine::{AdqlSession, EngineError};
use adql_syntax::ParseOptions;
use adql_syntax::ast::{self, Visitor};
use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::displayable;
use datafusion::prelude::SessionConfig;
use vo_client::HttpClient;

use crate::catalogue::{Catalogue, ServiceConfig, ServiceKind};
use crate::error::{FederationError, Result};
use crate::executor::{RemoteService, TapExecutor};
use crate::overflow::{FederationOptions, OverflowPolicy};
use crate::progress::{InstrumentedExecutor, ProgressSink};
use crate::remote_query::RemoteQuery;
use crate::session::{Discovery, Federation};
use crate::tap::{VoTapExecutor, VosiDiscovery};

/// How the engine reaches services: describing them and running their queries. The production
/// implementation is [`VoServiceIo`]; tests plug in services that answer from local tables.
#[async_trait]
pub trait ServiceIo: Discovery {
    /// The executor of `service`'s queries.
    fn executor(&self, service: &ServiceConfig) -> Result<Arc<dyn TapExecutor>>;

    /// Adds the table of a service that is not TAP (Mashup, cone search) to `federation`. The default
    /// knows none: such a service is an error naming it.
    async fn add_source_service(
        &self,
        federation: &mut Federation,
        service: &ServiceConfig,
    ) -> Result<()> {
        let _ = federation;
        Err(FederationError::Remote {
            service: service.name.clone(),
            url: service.url.clone(),
            message: format!("{:?} services are not available here", service.kind),
        })
    }
}

/// Services reached over HTTP with vo-client: VOSI for descriptions, TAP for queries.
#[derive(Debug, Clone)]
pub struct VoServiceIo {
    http: HttpClient,
    discovery: VosiDiscovery,
}

impl VoServiceIo {
    /// I/O sharing `http` (its proxies, retries and MAST token).
    pub fn new(http: HttpClient) -> Self {
        Self {
            discovery: VosiDiscovery::new(http.clone()),
            http,
        }
    }
}

#[async_trait]
impl Discovery for VoServiceIo {
    async fn describe(
        &self,
        service: &ServiceConfig,
    ) -> Result<crate::metadata::ServiceDescription> {
        self.discovery.describe(service).await
    }
}

#[async_trait]
impl ServiceIo for VoServiceIo {
    fn executor(&self, service: &ServiceConfig) -> Result<Arc<dyn TapExecutor>> {
        Ok(Arc::new(VoTapExecutor::connect(
            self.http.clone(),
            &service.name,
            &service.url,
        )?))
    }

    async fn add_source_service(
        &self,
        federation: &mut Federation,
        service: &ServiceConfig,
    ) -> Result<()> {
        crate::sources::add_source_service(federation, service, &self.http).await
    }
}

/// Settings of an [`Engine`].
#[derive(Clone, Default)]
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
}

impl fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineOptions")
            .field("parse", &self.parse)
            .field("maxrec", &self.maxrec)
            .field("timeout", &self.timeout)
            .field("overflow", &self.overflow)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

/// A failure of [`Engine`]: the query's own (syntax and planning errors, positioned in its text), or a
/// service's (it could not be described).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query is invalid or could not be planned or run.
    #[error(transparent)]
    Query(#[from] EngineError),
    /// A service the query names could not be described, or the catalogue is wrong.
    #[error(transparent)]
    Federation(#[from] FederationError),
}

/// One remote part of a plan: the ADQL a service is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePart {
    /// Service name.
    pub service: String,
    /// Service URL.
    pub url: String,
    /// The generated ADQL.
    pub adql: String,
}

/// What [`Engine::explain`] returns: the remote parts and the plans. `Display` prints them all.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Every query sent to a service, in plan order.
    pub remote_parts: Vec<RemotePart>,
    /// The SQL the ADQL was lowered to.
    pub lowered_sql: String,
    /// The optimized logical plan.
    pub logical_plan: String,
    /// The physical plan, with the strategy of every cross-service join.
    pub physical_plan: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.remote_parts.is_empty() {
            writeln!(f, "Remote parts: none (the query runs locally)")?;
        } else {
            writeln!(f, "Remote parts:")?;
            for (i, part) in self.remote_parts.iter().enumerate() {
                writeln!(f, "  [{}] {} ({})", i + 1, part.service, part.url)?;
                writeln!(f, "      {}", part.adql)?;
            }
        }
        writeln!(f, "\nLowered SQL:\n  {}", self.lowered_sql)?;
        writeln!(
            f,
            "\nOptimized logical plan:\n{}",
            indent(&self.logical_plan)
        )?;
        write!(f, "\nPhysical plan:\n{}", indent(&self.physical_plan))
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The federated ADQL engine.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::sync::Arc;
/// use adql_federation::catalogue::Catalogue;
/// use adql_federation::engine::{Engine, EngineOptions};
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
    local: Mutex<Vec<(String, Arc<dyn TableProvider>)>>,
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
    /// An engine over `catalogue`, reaching services over HTTP (proxies and MAST token from the
    /// environment, see [`vo_client::ClientConfig::from_env`]).
    ///
    /// # Errors
    /// The HTTP client cannot be set up (a bad proxy or token configuration).
    pub fn new(catalogue: Catalogue, options: EngineOptions) -> Result<Self> {
        let http = HttpClient::from_env().map_err(|e| FederationError::Remote {
            service: "(http client)".into(),
            url: String::new(),
            message: e.to_string(),
        })?;
        Ok(Self::with_io(
            catalogue,
            Arc::new(VoServiceIo::new(http)),
            options,
        ))
    }

    /// An engine whose services are reached through `io`.
    pub fn with_io(catalogue: Catalogue, io: Arc<dyn ServiceIo>, options: EngineOptions) -> Self {
        Self {
            catalogue,
            io,
            options,
            federation: tokio::sync::Mutex::new(Federation::new()),
            local: Mutex::new(Vec::new()),
        }
    }

    /// The services the engine knows.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Registers a local table under `name` (any provider: files, memory, Parquet...).
    ///
    /// # Errors
    /// The name is empty or taken.
    pub fn register_table(
        &self,
        name: &str,
        table: Arc<dyn TableProvider>,
    ) -> std::result::Result<(), EngineError> {
        let mut local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        if name.is_empty() {
            return Err(EngineError::Name("a table name cannot be empty".to_owned()));
        }
        if local.iter().any(|(n, _)| n == name) {
            return Err(EngineError::Name(format!(
                "a table named '{name}' is already registered"
            )));
        }
        local.push((name.to_owned(), table));
        Ok(())
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
    ) -> std::result::Result<(), EngineError> {
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
    pub async fn session_for(&self, adql: &str) -> std::result::Result<AdqlSession, QueryError> {
        let query = adql_syntax::parse_with(adql, &self.options.parse)
            .map_err(|e| QueryError::Query(EngineError::Syntax(Box::new(e))))?;
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
        let local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, table) in local.iter() {
            session.register_table(name, Arc::clone(table))?;
        }
        Ok(session)
    }

    /// Plans `adql`; the [`DataFrame`] runs it when collected or streamed.
    ///
    /// # Errors
    /// As [`session_for`](Self::session_for), and planning errors positioned in `adql`.
    pub async fn query(&self, adql: &str) -> std::result::Result<DataFrame, QueryError> {
        let session = self.session_for(adql).await?;
        Ok(session.query(adql).await?)
    }

    /// How `adql` would run: the ADQL each service is sent, and the plans.
    ///
    /// # Errors
    /// As [`query`](Self::query).
    pub async fn explain(&self, adql: &str) -> std::result::Result<Explanation, QueryError> {
        let session = self.session_for(adql).await?;
        let lowered = session.lower(adql).await?;
        let plan = session.logical_plan(adql).await?;
        let state = session.context().state();
        let optimized = state.optimize(&plan).map_err(EngineError::from)?;
        let physical = state
            .create_physical_plan(&optimized)
            .await
            .map_err(EngineError::from)?;
        Ok(Explanation {
            remote_parts: remote_parts(&optimized),
            lowered_sql: lowered.statement.to_string(),
            logical_plan: optimized.display_indent().to_string(),
            physical_plan: displayable(physical.as_ref()).indent(false).to_string(),
        })
    }

    /// Describes `config` (from the cache first when `use_cache`) and adds it to `federation`, replacing an
    /// earlier description; says whether the description came from the cache.
    async fn add_service(
        &self,
        federation: &mut Federation,
        config: &ServiceConfig,
        use_cache: bool,
    ) -> Result<bool> {
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
        let executor: Arc<dyn TapExecutor> =
            if self.options.progress.is_some() || self.options.timeout.is_some() {
                Arc::new(InstrumentedExecutor::new(
                    self.io.executor(config)?,
                    self.options.progress.clone(),
                    self.options.timeout,
                ))
            } else {
                self.io.executor(config)?
            };
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
        federation.add_service(service, config.filter_tables(description.tables));
        Ok(from_cache)
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

/// Collects every table name of a query.
#[derive(Default)]
struct TableNames(Vec<ast::TableName>);

impl Visitor for TableNames {
    fn visit_table_name(&mut self, name: &ast::TableName) {
        self.0.push(name.clone());
    }
}

/// The [`RemoteQuery`] leaves of a plan, in plan order.
pub fn remote_parts(plan: &LogicalPlan) -> Vec<RemotePart> {
    let mut parts = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Extension(extension) = node
            && let Some(remote) = extension.node.as_any().downcast_ref::<RemoteQuery>()
        {
            parts.push(RemotePart {
                service: remote.service.clone(),
                url: remote.url.clone(),
                adql: remote.adql.clone(),
            });
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    parts
}
