//! Remote TAP tables as DataFusion tables, and a catalog per service.
//!
//! A [`RemoteTable`] has the Arrow schema built from VOSI `/tables` metadata. Scanning it on its
//! own (without the pushdown rule) sends `SELECT <projection> FROM <table> WHERE <filters>` with
//! `TOP <limit>`; with the rule installed, whole sub-plans over its service's tables go out as one
//! query instead. Filters are reported [`Exact`](TableProviderFilterPushDown::Exact) when the
//! service can evaluate them, so DataFusion can also push limits into the scan.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProvider, SchemaProvider, Session, TableProvider};
use datafusion::common::{DFSchema, DataFusionError, TableReference};
use datafusion::datasource::{TableType, provider_as_source, source_as_provider};
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::logical_plan::{TableScan, TableScanBuilder};
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::metadata::TableMetadata;
use crate::remote_query_exec::RemoteQueryExec;
use crate::service::RemoteService;
use crate::unparser::{RemoteTableName, TableNaming, condition_to_adql, plan_to_checked_adql};

/// A table of a remote TAP service.
#[derive(Debug, Clone)]
pub struct RemoteTable {
    service: Arc<RemoteService>,
    metadata: Arc<TableMetadata>,
    schema: SchemaRef,
    naming: RemoteTableName,
}

impl RemoteTable {
    /// The table described by `metadata` on `service`.
    pub fn new(service: Arc<RemoteService>, metadata: TableMetadata) -> Self {
        let schema = metadata.arrow_schema();
        let naming = RemoteTableName {
            name: metadata.adql_name(),
            columns: metadata.columns.iter().map(|c| c.adql_ident()).collect(),
        };
        Self {
            service,
            metadata: Arc::new(metadata),
            schema,
            naming,
        }
    }

    /// The service the table lives on.
    pub fn service(&self) -> &Arc<RemoteService> {
        &self.service
    }

    /// What VOSI said about the table.
    pub fn metadata(&self) -> &TableMetadata {
        &self.metadata
    }

    /// How the table and its columns are written in ADQL sent to the service.
    pub fn naming(&self) -> &RemoteTableName {
        &self.naming
    }

    /// The remote table behind `scan`, if it is one.
    pub fn of_scan(scan: &TableScan) -> Option<Arc<dyn TableProvider>> {
        let provider = source_as_provider(&scan.source).ok()?;
        provider.as_ref().is::<RemoteTable>().then_some(provider)
    }

    fn can_evaluate(&self, filter: &Expr) -> bool {
        let unqualified = unnormalize_col(filter.clone());
        let Ok(schema) = DFSchema::try_from(self.schema.as_ref().clone()) else {
            return false;
        };
        let cols: Vec<adql_syntax::ast::Expr> = self
            .naming
            .columns
            .iter()
            .map(|c| adql_syntax::ast::Expr::column([c.clone()]))
            .collect();
        condition_to_adql(&unqualified, &schema, &cols, &self.service.capabilities).is_ok()
    }
}

/// [`TableNaming`] for the remote tables of one service: tables of other services (and local
/// tables) are not on it.
#[derive(Debug, Clone)]
pub struct ServiceNaming {
    service: String,
}

impl ServiceNaming {
    /// Naming for the service called `service`.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }
}

impl TableNaming for ServiceNaming {
    fn remote_table(&self, scan: &TableScan) -> Option<RemoteTableName> {
        let provider = RemoteTable::of_scan(scan)?;
        let table = provider.as_ref().downcast_ref::<RemoteTable>()?;
        (table.service.name == self.service).then(|| table.naming.clone())
    }
}

#[async_trait]
impl TableProvider for RemoteTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if self.can_evaluate(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let table_ref = TableReference::bare(self.metadata.table_name());
        let source = provider_as_source(Arc::new(self.clone()));
        // Filters arrive qualified with the name the query used; the scan below is unqualified.
        let filters = filters.iter().map(|f| unnormalize_col(f.clone())).collect();
        let scan = TableScanBuilder::new(table_ref, source)
            .with_projection(projection.cloned())
            .with_filters(filters)
            .with_fetch(limit)
            .build()?;
        let plan = LogicalPlan::TableScan(scan);
        let naming = ServiceNaming::new(self.service.name.clone());
        let query =
            plan_to_checked_adql(&plan, &self.service.capabilities, &naming).map_err(|e| {
                DataFusionError::Plan(format!(
                    "cannot scan {} on service {}: {e}",
                    self.metadata.name, self.service.name
                ))
            })?;
        let schema = Arc::clone(plan.schema().inner());
        Ok(Arc::new(
            RemoteQueryExec::new(Arc::clone(&self.service), query, schema)
                .with_rows_at_most(self.metadata.rows),
        ))
    }
}

/// The tables of one schema of a service.
#[derive(Debug, Default)]
pub struct ServiceSchema {
    tables: BTreeMap<String, Arc<RemoteTable>>,
}

impl ServiceSchema {
    /// A schema holding `tables` (by their DataFusion names).
    pub fn new(tables: impl IntoIterator<Item = Arc<RemoteTable>>) -> Self {
        Self {
            tables: tables
                .into_iter()
                .map(|t| (t.metadata.table_name(), t))
                .collect(),
        }
    }
}

#[async_trait]
impl SchemaProvider for ServiceSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .tables
            .get(name)
            .map(|t| Arc::clone(t) as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}

/// A service as a DataFusion catalog: `service.schema.table`.
#[derive(Debug, Default)]
pub struct ServiceCatalog {
    schemas: BTreeMap<String, Arc<ServiceSchema>>,
}

impl ServiceCatalog {
    /// The catalog of `tables` (all of one service), grouped by schema.
    pub fn new(tables: impl IntoIterator<Item = Arc<RemoteTable>>) -> Self {
        let mut by_schema: BTreeMap<String, Vec<Arc<RemoteTable>>> = BTreeMap::new();
        for table in tables {
            by_schema
                .entry(table.metadata.schema_name())
                .or_default()
                .push(table);
        }
        Self {
            schemas: by_schema
                .into_iter()
                .map(|(name, tables)| (name, Arc::new(ServiceSchema::new(tables))))
                .collect(),
        }
    }
}

impl CatalogProvider for ServiceCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.schemas.keys().cloned().collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        self.schemas
            .get(name)
            .map(|s| Arc::clone(s) as Arc<dyn SchemaProvider>)
    }
}
