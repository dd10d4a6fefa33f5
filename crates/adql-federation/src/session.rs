//! Putting it together: services with their tables, and a DataFusion session that plans over them.

use std::collections::BTreeMap;
use std::sync::Arc;

use adql_engine::{AdqlSession, SessionExtensions};
use async_trait::async_trait;
use datafusion::catalog::{
    CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider, TableProvider,
};
use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::bind::{BindJoinPlanner, BindJoinRule};
use crate::catalogue::{Catalogue, QualifiedTable, ServiceConfig, ServiceKind, TableIndex};
use crate::error::{FederationError, Result};
use crate::executor::TapExecutor;
use crate::metadata::{ServiceDescription, TableMetadata};
use crate::optimizer::PushDownRemoteQuery;
use crate::options::FederationOptions;
use crate::remote_query_planner::{FederatedQueryPlanner, RemoteQueryPlanner};
use crate::remote_table::{RemoteTable, ServiceCatalog};
use crate::service::{RemoteService, ServiceRegistry};
use crate::strategy::{CostModel, CrossServiceJoinPlanner, CrossServiceJoinRule};

/// Learns what a service offers (VOSI `/capabilities` and `/tables`).
#[async_trait]
pub trait Discovery: Send + Sync {
    /// Describes `service`.
    async fn describe(&self, service: &ServiceConfig) -> Result<ServiceDescription>;
}

/// Services, their tables, and the DataFusion wiring for them.
#[derive(Debug, Clone, Default)]
pub struct Federation {
    registry: ServiceRegistry,
    tables: BTreeMap<String, Vec<Arc<RemoteTable>>>,
    /// Tables of services that are not TAP (Mashup, cone search), by service.
    sources: BTreeMap<String, Vec<SourceTable>>,
}

/// A table of a service that is not TAP (see [`MashupTable`](crate::MashupTable), [`ConeSearchTable`](crate::ConeSearchTable)), registered as
/// `service.schema.table`.
#[derive(Debug, Clone)]
pub struct SourceTable {
    /// Schema name.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// The table.
    pub provider: Arc<dyn TableProvider>,
}

impl Federation {
    /// No services.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `service` with `tables`.
    pub fn add_service(
        &mut self,
        service: RemoteService,
        tables: Vec<TableMetadata>,
    ) -> Arc<RemoteService> {
        let service = self.registry.insert(service);
        let remote = tables
            .into_iter()
            .map(|t| Arc::new(RemoteTable::new(Arc::clone(&service), t)))
            .collect();
        self.tables.insert(service.name.clone(), remote);
        service
    }

    /// Every TAP service of `catalogue`, described from the cache when it has a fresh entry and
    /// through `discovery` otherwise (then cached). `executor` gives each service its executor.
    pub async fn from_catalogue(
        catalogue: &Catalogue,
        discovery: &dyn Discovery,
        executor: &dyn Fn(&ServiceConfig) -> Result<Arc<dyn TapExecutor>>,
    ) -> Result<Self> {
        let cache = catalogue.cache();
        let mut federation = Self::new();
        for config in catalogue.services().filter(|s| s.kind == ServiceKind::Tap) {
            let cached = cache
                .as_ref()
                .and_then(|c| c.get(&config.name, &config.url));
            let description = match cached {
                Some(d) => d,
                None => {
                    let d = discovery.describe(config).await?;
                    if let Some(cache) = &cache {
                        cache.put(&config.name, &config.url, &d)?;
                    }
                    d
                }
            };
            let mut service = RemoteService::new(
                config.name.clone(),
                config.url.clone(),
                description.capabilities,
                executor(config)?,
            );
            if config.maxrec.is_some() {
                service.maxrec = config.maxrec;
            }
            service.overflow = config.overflow;
            federation.add_service(service, config.filter_tables(description.tables));
        }
        Ok(federation)
    }

    /// The services.
    pub fn registry(&self) -> &ServiceRegistry {
        &self.registry
    }

    /// Every table, for name resolution.
    pub fn index(&self) -> TableIndex {
        TableIndex::new(
            self.tables
                .iter()
                .flat_map(|(service, tables)| {
                    tables.iter().map(move |t| QualifiedTable {
                        service: service.clone(),
                        schema: t.metadata().schema_name(),
                        table: t.metadata().table_name(),
                    })
                })
                .chain(self.source_index()),
        )
    }

    /// The tables of the TAP service `service` (none for a service not here).
    pub fn service_tables(&self, service: &str) -> Vec<TableMetadata> {
        self.tables
            .get(service)
            .map(|ts| ts.iter().map(|t| t.metadata().clone()).collect())
            .unwrap_or_default()
    }

    /// The remote table called `name` (resolved as [`TableIndex::resolve`] does).
    pub fn table(&self, name: &str) -> Result<Arc<RemoteTable>> {
        let index = self.index();
        let q = index.resolve(name)?;
        self.tables
            .get(&q.service)
            .and_then(|ts| {
                ts.iter().find(|t| {
                    t.metadata().schema_name() == q.schema && t.metadata().table_name() == q.table
                })
            })
            .cloned()
            .ok_or_else(|| FederationError::UnknownTable {
                name: name.to_string(),
            })
    }

    /// Adds `provider` as `service.schema.table`, a table of a service that is not TAP (a
    /// Mashup or cone-search table, see [`MashupTable`](crate::MashupTable), [`ConeSearchTable`](crate::ConeSearchTable)). The pushdown rule never owns its scans;
    /// the table answers what it can through filter pushdown.
    pub fn add_source_table(
        &mut self,
        service: &str,
        schema: &str,
        table: &str,
        provider: Arc<dyn TableProvider>,
    ) {
        let tables = self.sources.entry(service.to_string()).or_default();
        tables.retain(|t| !(t.schema == schema && t.table == table));
        tables.push(SourceTable {
            schema: schema.to_string(),
            table: table.to_string(),
            provider,
        });
    }

    /// Whether a service that is not TAP has its table here already.
    pub fn has_source_service(&self, service: &str) -> bool {
        self.sources.contains_key(service)
    }

    /// The non-TAP tables, qualified.
    fn source_index(&self) -> impl Iterator<Item = QualifiedTable> + '_ {
        self.sources.iter().flat_map(|(service, tables)| {
            tables.iter().map(move |t| QualifiedTable {
                service: service.clone(),
                schema: t.schema.clone(),
                table: t.table.clone(),
            })
        })
    }

    /// The table called `name`, remote TAP or not (resolved as [`TableIndex::resolve`] does).
    pub fn provider(&self, name: &str) -> Result<Arc<dyn TableProvider>> {
        let index = self.index();
        let q = index.resolve(name)?;
        let source = self.sources.get(&q.service).and_then(|ts| {
            ts.iter()
                .find(|t| t.schema == q.schema && t.table == q.table)
                .map(|t| Arc::clone(&t.provider))
        });
        match source {
            Some(p) => Ok(p),
            None => self.table(name).map(|t| t as Arc<dyn TableProvider>),
        }
    }

    /// Registers a catalog per non-TAP service in `ctx`.
    fn register_sources(&self, ctx: &SessionContext) -> Result<()> {
        for (service, tables) in &self.sources {
            let catalog = MemoryCatalogProvider::new();
            for t in tables {
                let schema = match catalog.schema(&t.schema) {
                    Some(s) => s,
                    None => {
                        let s: Arc<dyn SchemaProvider> = Arc::new(MemorySchemaProvider::new());
                        catalog.register_schema(&t.schema, Arc::clone(&s))?;
                        s
                    }
                };
                schema.register_table(t.table.clone(), Arc::clone(&t.provider))?;
            }
            ctx.register_catalog(service.as_str(), Arc::new(catalog));
        }
        Ok(())
    }

    /// A session state with DataFusion's defaults, the pushdown rule after DataFusion's own rules,
    /// and the planner for remote queries.
    pub fn session_state(&self) -> SessionState {
        self.configure(SessionStateBuilder::new().with_default_features())
            .build()
    }

    /// Adds the pushdown rule and the remote query planner to `builder` (which should already
    /// hold the default rules: the pushdown rule must run after them).
    pub fn configure(&self, builder: SessionStateBuilder) -> SessionStateBuilder {
        builder
            .with_optimizer_rule(Arc::new(PushDownRemoteQuery::new()))
            .with_query_planner(Arc::new(FederatedQueryPlanner::new(Arc::new(
                self.registry.clone(),
            ))))
    }

    /// What the federation adds to an [`AdqlSession`]: the pushdown rule (early, so that a same-service
    /// crossmatch goes out whole before the engine's crossmatch rule claims the join), the
    /// cross-service join rule (late: it works on the crossmatch nodes), and the planners of remote
    /// parts and cross-service joins, with the default [`CostModel`].
    pub fn extensions(&self) -> SessionExtensions {
        self.extensions_with_cost_model(CostModel::default())
    }

    /// [`Federation::extensions`] choosing cross-service join strategies with `model`.
    pub fn extensions_with_cost_model(&self, model: CostModel) -> SessionExtensions {
        let registry = Arc::new(self.registry.clone());
        SessionExtensions {
            early_rules: vec![Arc::new(PushDownRemoteQuery::new())],
            late_rules: vec![
                Arc::new(CrossServiceJoinRule::new()),
                Arc::new(BindJoinRule::new()),
            ],
            extension_planners: vec![
                Arc::new(RemoteQueryPlanner::new(Arc::clone(&registry))),
                Arc::new(CrossServiceJoinPlanner::new(
                    Arc::clone(&registry),
                    model.clone(),
                )),
                Arc::new(BindJoinPlanner::new(registry, model)),
            ],
        }
    }

    /// An ADQL session over these services (and whatever local tables are registered in it later).
    ///
    /// # Errors
    /// A short-name schema cannot be registered.
    pub fn adql_session(&self, config: SessionConfig) -> Result<AdqlSession> {
        // Registered, the federation's options can be changed with SET (`federation.overflow`).
        let config = if config
            .options()
            .extensions
            .get::<FederationOptions>()
            .is_none()
        {
            config.with_option_extension(FederationOptions::default())
        } else {
            config
        };
        let session = AdqlSession::with_extensions(config, self.extensions());
        self.register(session.context())?;
        Ok(session)
    }

    /// Registers a catalog per service (`service.schema.table`) in `ctx`, and a schema per
    /// unambiguous short prefix (`service.table`, `schema.table`) in its default catalog.
    ///
    /// A prefix equal to the default schema's name (`public`) is not registered, so that local
    /// tables stay reachable by their one-part names.
    pub fn register(&self, ctx: &SessionContext) -> Result<()> {
        for (service, tables) in &self.tables {
            ctx.register_catalog(
                service.as_str(),
                Arc::new(ServiceCatalog::new(tables.iter().cloned())),
            );
        }
        self.register_sources(ctx)?;
        let options = ctx.state().config_options().catalog.clone();
        let Some(default_catalog) = ctx.catalog(&options.default_catalog) else {
            return Ok(());
        };
        let index = Arc::new(self.index());
        let mut prefixes: Vec<String> = index
            .tables()
            .iter()
            .flat_map(|t| [t.service.clone(), t.schema.clone()])
            .collect();
        prefixes.sort();
        prefixes.dedup();
        for prefix in prefixes {
            if prefix == options.default_schema || default_catalog.schema(&prefix).is_some() {
                continue;
            }
            let schema = ShortNames {
                prefix: prefix.clone(),
                index: Arc::clone(&index),
                federation: self.clone(),
            };
            default_catalog.register_schema(&prefix, Arc::new(schema))?;
        }
        Ok(())
    }

    /// A session context over these services: [`Federation::session_state`] plus
    /// [`Federation::register`].
    pub fn context(&self) -> Result<SessionContext> {
        let ctx = SessionContext::new_with_state(self.session_state());
        self.register(&ctx)?;
        Ok(ctx)
    }
}

/// `prefix.table` names: a service or schema prefix resolved through the table index.
#[derive(Debug)]
struct ShortNames {
    prefix: String,
    index: Arc<TableIndex>,
    federation: Federation,
}

#[async_trait]
impl SchemaProvider for ShortNames {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .index
            .tables()
            .iter()
            .filter(|t| t.service == self.prefix || t.schema == self.prefix)
            .map(|t| t.table.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    async fn table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        // DataFusion hands over the parts already normalised; quote them so that they match exactly.
        let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        match self
            .federation
            .provider(&format!("{}.{}", quoted(&self.prefix), quoted(name)))
        {
            Ok(t) => Ok(Some(t)),
            Err(FederationError::UnknownTable { .. }) => Ok(None),
            Err(e) => Err(DataFusionError::from(e)),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.table_names().iter().any(|n| n == name)
    }
}
