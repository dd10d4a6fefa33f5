//! Executing remote parts: [`RemoteQueryExec`] and the planners that create it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use futures::{StreamExt, TryStreamExt, stream};

use crate::error::FederationError;
use crate::executor::{RemoteEvent, RemoteService, ServiceRegistry};
use crate::overflow::{self, FederationOptions, OverflowPolicy, SplitLimits};
use crate::remote_query::RemoteQuery;

/// Runs one ADQL query on one service and streams the result, conformed to the planned schema.
///
/// The result is checked for completeness: a service-reported overflow, or exactly MAXREC rows
/// from a query whose own `TOP` does not explain them, is an overflow; a remote part is never
/// silently short. What an overflow does is the [`OverflowPolicy`] of the service, else of the
/// session ([`FederationOptions`]), else `Split`: with `Fail` the query fails with
/// [`FederationError::Overflow`] naming the service and URL; with `Split` the part is fetched
/// again in pieces under MAXREC ([`crate::overflow`]). Under `Split` an answer that could overflow
/// is read completely before its first row is passed on (at most MAXREC rows are held), because a
/// truncated answer must be discarded, not streamed.
#[derive(Debug)]
pub struct RemoteQueryExec {
    service: Arc<RemoteService>,
    adql: String,
    top: Option<u64>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    /// The complete answer, when the planner already fetched it (a small side of a cross-service join,
    /// fetched as its own size probe); executing then sends nothing.
    prefetched: Option<Arc<Vec<RecordBatch>>>,
}

impl RemoteQueryExec {
    /// Runs `adql` (whose `TOP`, if any, is `top`) on `service`, producing `schema`.
    pub fn new(
        service: Arc<RemoteService>,
        adql: String,
        top: Option<u64>,
        schema: SchemaRef,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            service,
            adql,
            top,
            schema,
            properties,
            prefetched: None,
        }
    }

    /// The same query, answered by `batches` (its complete result, already conformed to the schema).
    #[must_use]
    pub fn with_prefetched(&self, batches: Vec<RecordBatch>) -> Self {
        Self {
            service: Arc::clone(&self.service),
            adql: self.adql.clone(),
            top: self.top,
            schema: Arc::clone(&self.schema),
            properties: Arc::clone(&self.properties),
            prefetched: Some(Arc::new(batches)),
        }
    }

    /// The service the query runs on.
    pub fn service(&self) -> &Arc<RemoteService> {
        &self.service
    }

    /// The ADQL text sent.
    pub fn adql(&self) -> &str {
        &self.adql
    }
}

impl DisplayAs for RemoteQueryExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "RemoteQueryExec: service={} url={} adql={}",
            self.service.name, self.service.url, self.adql
        )?;
        if let Some(batches) = &self.prefetched {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            write!(f, " (answered while planning: {rows} rows)")?;
        }
        Ok(())
    }
}

/// Makes `batch` a batch of `schema`: columns by position, cast where the service's types differ.
pub(crate) fn conform(
    batch: RecordBatch,
    schema: &SchemaRef,
    service: &RemoteService,
) -> Result<RecordBatch> {
    if schema.fields().is_empty() {
        // The query selected a constant only to count rows.
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        return Ok(RecordBatch::try_new_with_options(
            Arc::clone(schema),
            vec![],
            &options,
        )?);
    }
    if batch.num_columns() != schema.fields().len() {
        return Err(FederationError::SchemaMismatch {
            service: service.name.clone(),
            url: service.url.clone(),
            expected: schema.fields().len(),
            found: batch.num_columns(),
        }
        .into());
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                cast(column, field.data_type()).map_err(DataFusionError::from)
            }
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

impl ExecutionPlan for RemoteQueryExec {
    fn name(&self) -> &str {
        "RemoteQueryExec"
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
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "RemoteQueryExec has one partition, not {partition}"
            )));
        }
        if let Some(batches) = &self.prefetched {
            let batches: Vec<Result<RecordBatch>> = batches.iter().cloned().map(Ok).collect();
            return Ok(Box::pin(RecordBatchStreamAdapter::new(
                Arc::clone(&self.schema),
                stream::iter(batches),
            )));
        }
        let defaults = FederationOptions::default();
        let config = context.session_config().clone();
        let options = config
            .options()
            .extensions
            .get::<FederationOptions>()
            .unwrap_or(&defaults);
        let policy = self.service.overflow.unwrap_or(options.overflow);
        // A TOP within MAXREC cannot overflow by row count: stream as the rows arrive.
        let bounded = matches!((self.service.maxrec, self.top), (Some(m), Some(t)) if t <= m);
        if policy == OverflowPolicy::Split && !bounded {
            return Ok(self.execute_split(SplitLimits::from(options)));
        }
        let service = Arc::clone(&self.service);
        let request = service.request(self.adql.clone());
        let schema = Arc::clone(&self.schema);
        let rows = Arc::new(AtomicU64::new(0));
        let overflow = {
            let (service, adql) = (Arc::clone(&service), self.adql.clone());
            move || -> DataFusionError {
                FederationError::Overflow {
                    service: service.name.clone(),
                    url: service.url.clone(),
                    maxrec: service.maxrec,
                    adql: adql.clone(),
                }
                .into()
            }
        };

        let executor = Arc::clone(&service.executor);
        let events = stream::once(async move { executor.execute(request).await }).try_flatten();
        let body = {
            let (schema, rows, service, overflow) = (
                Arc::clone(&schema),
                Arc::clone(&rows),
                Arc::clone(&service),
                overflow.clone(),
            );
            events
                .map_err(DataFusionError::from)
                .and_then(move |event| {
                    let result = match event {
                        RemoteEvent::Batch(batch) => conform(batch, &schema, &service).map(|b| {
                            rows.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
                            Some(b)
                        }),
                        RemoteEvent::Overflow => Err(overflow()),
                    };
                    futures::future::ready(result)
                })
        };
        // At the end: exactly MAXREC rows is an overflow unless the query's own TOP explains it.
        let (maxrec, top) = (service.maxrec, self.top);
        let tail = stream::once(async move {
            let n = rows.load(Ordering::Relaxed);
            match maxrec {
                Some(m) if n >= m && top.is_none_or(|t| t > m) => Err(overflow()),
                _ => Ok(None),
            }
        });
        let batches = body
            .chain(tail)
            .try_filter_map(|b| futures::future::ready(Ok(b)));
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
    }
}

impl RemoteQueryExec {
    /// Reads the whole answer; when it overflowed, fetches the part again in pieces.
    fn execute_split(&self, limits: SplitLimits) -> SendableRecordBatchStream {
        let (service, adql, schema, top) = (
            Arc::clone(&self.service),
            self.adql.clone(),
            Arc::clone(&self.schema),
            self.top,
        );
        // Exactly MAXREC rows is an overflow unless the query's own TOP explains it.
        let limit = service.maxrec.filter(|m| top.is_none_or(|t| t > *m));
        let first = async move {
            let fetched = overflow::fetch(&service, adql.clone(), Some(&schema), limit).await?;
            if !fetched.overflow {
                return Ok(stream::iter(fetched.batches.into_iter().map(Ok)).boxed());
            }
            let seen = fetched.batches.iter().map(|b| b.num_rows() as u64).sum();
            Ok::<_, DataFusionError>(overflow::split(service, adql, schema, seen, limits))
        };
        Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream::once(first).try_flatten(),
        ))
    }
}

/// Plans [`RemoteQuery`] nodes into [`RemoteQueryExec`]s, looking services up in a registry.
#[derive(Debug, Clone)]
pub struct RemoteQueryPlanner {
    services: Arc<ServiceRegistry>,
}

impl RemoteQueryPlanner {
    /// A planner for the services of `services`.
    pub fn new(services: Arc<ServiceRegistry>) -> Self {
        Self { services }
    }
}

#[async_trait]
impl ExtensionPlanner for RemoteQueryPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        _physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(query) = node.as_any().downcast_ref::<RemoteQuery>() else {
            return Ok(None);
        };
        let service = self.services.get(&query.service)?;
        Ok(Some(Arc::new(RemoteQueryExec::new(
            service,
            query.adql.clone(),
            query.top,
            Arc::clone(query.schema.inner()),
        ))))
    }
}

/// DataFusion's physical planner extended with [`RemoteQueryPlanner`].
#[derive(Debug, Clone)]
pub struct FederatedQueryPlanner {
    remote: RemoteQueryPlanner,
}

impl FederatedQueryPlanner {
    /// A query planner for the services of `services`.
    pub fn new(services: Arc<ServiceRegistry>) -> Self {
        Self {
            remote: RemoteQueryPlanner::new(services),
        }
    }
}

#[async_trait]
impl QueryPlanner for FederatedQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(self.remote.clone())])
            .create_physical_plan(logical_plan, session)
            .await
    }
}
