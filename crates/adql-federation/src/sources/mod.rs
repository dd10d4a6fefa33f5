//! Tables behind services that are not TAP: the MAST Mashup API ([`mashup_table::MashupTable`]) and
//! Simple Cone Search ([`cone_table::ConeSearchTable`]).
//!
//! Neither service speaks ADQL, so the pushdown rule never owns their scans: each table answers what
//! its service can evaluate through `supports_filters_pushdown` and `scan` (a cone, and for the
//! Mashup some column filters), and DataFusion evaluates the rest of the query locally. Both need a
//! position: a scan without a cone is [`FederationError::PositionRequired`].
//!
//! The cone is pushed as `Inexact`: the filter stays in the plan and DataFusion re-checks every row
//! the service returns with the engine's own `distance`, so boundary differences between the service
//! and ADQL's `CONTAINS` cannot add rows.

pub mod cone;
pub mod cone_table;
pub mod mashup_table;

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, new_null_array};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::util::display::FormatOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions,
};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use crate::catalogue::{Catalogue, ServiceConfig, ServiceKind};
use crate::error::FederationError;
use crate::session::{Federation, SourceTable};

/// Opens the stream of one request (called once per execution).
pub type OpenStream = Arc<dyn Fn() -> BoxStream<'static, Result<RecordBatch>> + Send + Sync>;

/// Runs one request to a non-TAP service and streams its rows, conformed to the planned schema and
/// cut at the scan's limit. EXPLAIN prints the request.
pub struct SourceScanExec {
    name: &'static str,
    request: String,
    schema: SchemaRef,
    fetch: Option<usize>,
    open: OpenStream,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for SourceScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("request", &self.request)
            .field("fetch", &self.fetch)
            .finish_non_exhaustive()
    }
}

impl SourceScanExec {
    /// An operator called `name` (in EXPLAIN) that sends `request` (its printed form) through
    /// `open`, producing batches of `schema`, at most `fetch` rows.
    pub fn new(
        name: &'static str,
        request: String,
        schema: SchemaRef,
        fetch: Option<usize>,
        open: OpenStream,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            name,
            request,
            schema,
            fetch,
            open,
            properties,
        }
    }

    /// The request as printed by EXPLAIN.
    pub fn request(&self) -> &str {
        &self.request
    }
}

impl DisplayAs for SourceScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.request)?;
        if let Some(n) = self.fetch {
            write!(f, ", fetch={n}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for SourceScanExec {
    fn name(&self) -> &str {
        self.name
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "{} has one partition, not {partition}",
                self.name
            )));
        }
        let schema = Arc::clone(&self.schema);
        let batches = (self.open)();
        let stream = match self.fetch {
            None => batches,
            // Stop reading (and paging) once the limit is reached.
            Some(limit) => batches
                .scan(0usize, move |seen, batch| {
                    let out = match batch {
                        Ok(_) if *seen >= limit => None,
                        Ok(b) => {
                            let keep = (limit - *seen).min(b.num_rows());
                            *seen += keep;
                            Some(Ok(b.slice(0, keep)))
                        }
                        Err(e) => Some(Err(e)),
                    };
                    futures::future::ready(out)
                })
                .boxed(),
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            stream.try_filter(|b| futures::future::ready(b.num_rows() > 0)),
        )))
    }
}

/// Makes `batch` a batch of `target`: columns by name, cast where the service's types differ (a
/// value that does not convert is an error, never a silent NULL), absent columns NULL.
pub fn conform_by_name(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch, String> {
    let options = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    let columns = target
        .fields()
        .iter()
        .map(|field| match batch.schema().index_of(field.name()) {
            Ok(i) => {
                let column = batch.column(i);
                if column.data_type() == field.data_type() {
                    Ok(Arc::clone(column))
                } else {
                    cast_with_options(column, field.data_type(), &options).map_err(|e| {
                        format!(
                            "column {} ({} as sent) does not convert to {}: {e}",
                            field.name(),
                            column.data_type(),
                            field.data_type()
                        )
                    })
                }
            }
            Err(_) => Ok(new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<ArrayRef>, String>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::clone(target), columns, &options)
        .map_err(|e| e.to_string())
}

/// Registers the tables of every Mashup and cone-search service of `catalogue` in `federation`
/// (TAP services come from [`Federation::from_catalogue`]); see [`source_table`].
///
/// # Errors
/// A service URL is invalid, or a cone-search probe fails.
pub async fn add_catalogue_sources(
    federation: &mut Federation,
    catalogue: &Catalogue,
    http: &vo_client::HttpClient,
) -> crate::Result<()> {
    for config in catalogue.services() {
        add_source_service(federation, config, http).await?;
    }
    Ok(())
}

/// Registers the table of `config` in `federation` if it is a Mashup or cone-search service not yet
/// there; does nothing for a TAP service.
///
/// # Errors
/// As [`source_table`].
pub async fn add_source_service(
    federation: &mut Federation,
    config: &ServiceConfig,
    http: &vo_client::HttpClient,
) -> crate::Result<()> {
    if federation.has_source_service(&config.name) {
        return Ok(());
    }
    if let Some(t) = source_table(config, http).await? {
        federation.add_source_table(&config.name, &t.schema, &t.table, t.provider);
    }
    Ok(())
}

/// The table of a service that is not TAP: `SERVICE.caom.observations` for a Mashup service,
/// `SERVICE.scs.cone` for a cone search (its columns learnt by a probe, a cone of radius 0); `None`
/// for a TAP service. `http` carries the MAST token, sent to the hosts its token policy lists.
///
/// # Errors
/// The service URL is invalid, or the cone-search probe fails.
pub async fn source_table(
    config: &ServiceConfig,
    http: &vo_client::HttpClient,
) -> crate::Result<Option<SourceTable>> {
    Ok(match config.kind {
        ServiceKind::Tap => None,
        ServiceKind::Mashup => Some(SourceTable {
            schema: mashup_table::CAOM_SCHEMA.to_string(),
            table: mashup_table::CAOM_TABLE.to_string(),
            provider: Arc::new(mashup_table::MashupTable::caom_observations(
                &config.name,
                &config.url,
                http.clone(),
            )?),
        }),
        ServiceKind::ConeSearch => Some(SourceTable {
            schema: cone_table::SCS_SCHEMA.to_string(),
            table: cone_table::SCS_TABLE.to_string(),
            provider: Arc::new(
                cone_table::ConeSearchTable::probe(&config.name, &config.url, http.clone()).await?,
            ),
        }),
    })
}

/// A remote failure of `service` at `url`.
pub(crate) fn remote(service: &str, url: &str, e: impl fmt::Display) -> FederationError {
    FederationError::Remote {
        service: service.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::Path;

    use vo_client::{ClientConfig, HttpClient};

    use super::*;

    #[test]
    fn toml_kinds_mashup_and_scs() {
        let mut c = Catalogue::empty();
        c.merge_toml(
            "[services.cone1]\nurl = \"http://localhost:8080/archive2/q/cone/scs.xml\"\nkind = \"scs\"\n\
             [services.mirror]\nurl = \"https://mast.example.org/api/v0/invoke\"\nkind = \"mashup\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.get("cone1").unwrap().kind, ServiceKind::ConeSearch);
        assert_eq!(c.get("mirror").unwrap().kind, ServiceKind::Mashup);
        assert!(
            c.merge_toml(
                "[services.x]\nurl = \"http://a\"\nkind = \"conesearch\"\n",
                Path::new("t.toml")
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn the_builtin_mashup_service_is_a_table_without_any_request() {
        let mut federation = Federation::new();
        let http = HttpClient::new(ClientConfig::default()).unwrap();
        add_catalogue_sources(&mut federation, &Catalogue::builtin(), &http)
            .await
            .unwrap();
        assert!(federation.has_source_service("mast_mashup"));
        for name in [
            "mast_mashup.caom.observations",
            "mast_mashup.observations",
            "caom.observations",
            "observations",
        ] {
            let provider = federation.provider(name).unwrap();
            assert!(
                provider.as_ref().is::<mashup_table::MashupTable>(),
                "{name}"
            );
        }
        let ctx = federation.context().unwrap();
        assert!(
            ctx.catalog("mast_mashup")
                .and_then(|c| c.schema("caom"))
                .is_some_and(|s| s.table_exist("observations"))
        );
    }
}
