//! [`RemoteQueryExec`]: runs one remote part and streams its rows.

use std::fmt;
use std::sync::Arc;

use adql_syntax::ast::Query;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::{StreamExt, TryStreamExt, stream};

use crate::error::FederationError;
use crate::fetch::row_bound;
use crate::leaf_exec::leaf_exec_methods;
use crate::options::{FederationOptions, OverflowPolicy};
use crate::service::RemoteService;
use crate::split::{self, SplitLimits};

/// Runs one ADQL query on one service and streams the result, conformed to the planned schema.
///
/// Before its rows move, a part that nothing bounds is sized ([`RemoteService::check_size`]) and refused
/// when it is larger than the service's limit.
///
/// The result is checked for completeness ([`RemoteService::fetch`]): a remote part is never silently
/// short. What an overflow does is the [`OverflowPolicy`] of the service, else of the session
/// ([`FederationOptions`]), else `Split`: with `Fail` the query fails with
/// [`FederationError::Overflow`] naming the service and URL; with `Split` the part is fetched again in
/// pieces under MAXREC. Under `Split` an answer that could overflow is read completely before its first
/// row is passed on (at most MAXREC rows are held), because a truncated answer must be discarded, not
/// streamed.
#[derive(Debug)]
pub struct RemoteQueryExec {
    service: Arc<RemoteService>,
    query: Query,
    /// At most this many rows, as the service's description says (see [`RemoteQuery::rows_at_most`]).
    rows_at_most: Option<u64>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    /// The complete answer, when the planner already fetched it (a small side of a cross-service join,
    /// fetched as its own size probe); executing then sends nothing.
    prefetched: Option<Arc<Vec<RecordBatch>>>,
}

impl RemoteQueryExec {
    /// Runs `query` on `service`, producing `schema`.
    pub fn new(service: Arc<RemoteService>, query: Query, schema: SchemaRef) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            service,
            query,
            rows_at_most: None,
            schema,
            properties,
            prefetched: None,
        }
    }

    /// The same query, known to have at most `rows` rows (the service's count of its one table).
    #[must_use]
    pub fn with_rows_at_most(mut self, rows: Option<u64>) -> Self {
        self.rows_at_most = rows;
        self
    }

    /// The same query, answered by `batches` (its complete result, already conformed to the schema).
    #[must_use]
    pub fn with_prefetched(&self, batches: Vec<RecordBatch>) -> Self {
        Self {
            service: Arc::clone(&self.service),
            query: self.query.clone(),
            rows_at_most: self.rows_at_most,
            schema: Arc::clone(&self.schema),
            properties: Arc::clone(&self.properties),
            prefetched: Some(Arc::new(batches)),
        }
    }

    /// The service the query runs on.
    pub fn service(&self) -> &Arc<RemoteService> {
        &self.service
    }

    /// The query sent.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The rows of its answer when the planner already fetched it (nothing is sent when it runs).
    pub fn prefetched_rows(&self) -> Option<usize> {
        self.prefetched
            .as_ref()
            .map(|b| b.iter().map(RecordBatch::num_rows).sum())
    }
}

impl DisplayAs for RemoteQueryExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "RemoteQueryExec: service={} url={} adql={}",
            self.service.name, self.service.url, self.query
        )?;
        if let Some(batches) = &self.prefetched {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            write!(f, " (answered while planning: {rows} rows)")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for RemoteQueryExec {
    fn name(&self) -> &str {
        "RemoteQueryExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    leaf_exec_methods!();

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
        let schema = Arc::clone(&self.schema);
        if let Some(batches) = &self.prefetched {
            let batches: Vec<Result<RecordBatch>> = batches.iter().cloned().map(Ok).collect();
            return Ok(Box::pin(RecordBatchStreamAdapter::new(
                schema,
                stream::iter(batches),
            )));
        }
        let options = FederationOptions::of(&context);
        let policy = self.service.overflow_policy(options.overflow);
        // A query bounded within MAXREC cannot overflow by row count: stream as the rows arrive.
        let bounded = matches!(
            (self.service.maxrec, row_bound(&self.query)),
            (Some(m), Some(b)) if b <= m
        );
        let (service, query, at_most) = (
            Arc::clone(&self.service),
            self.query.clone(),
            self.rows_at_most,
        );
        let rows = if policy == OverflowPolicy::Split && !bounded {
            split_if_truncated(
                service,
                query,
                at_most,
                Arc::clone(&schema),
                SplitLimits::from(&options),
            )
        } else {
            let conformed = Arc::clone(&schema);
            stream::once(async move {
                Box::pin(service.check_size(&query, at_most)).await?;
                let answer = Box::pin(service.fetch(&query, Vec::new(), Some(conformed))).await?;
                Ok::<_, FederationError>(answer.into_stream())
            })
            .try_flatten()
            .boxed()
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            rows.map_err(DataFusionError::from),
        )))
    }
}

/// Reads the whole answer of `query`; when it was cut short, fetches the part again in pieces.
fn split_if_truncated(
    service: Arc<RemoteService>,
    query: Query,
    at_most: Option<u64>,
    schema: SchemaRef,
    limits: SplitLimits,
) -> futures::stream::BoxStream<'static, crate::Result<RecordBatch>> {
    stream::once(async move {
        Box::pin(service.check_size(&query, at_most)).await?;
        let answer = service
            .fetch(&query, Vec::new(), Some(Arc::clone(&schema)))
            .await?;
        let collected = answer.collect().await?;
        if !collected.truncated {
            return Ok::<_, FederationError>(
                stream::iter(collected.batches.into_iter().map(Ok)).boxed(),
            );
        }
        let seen = collected.batches.iter().map(|b| b.num_rows() as u64).sum();
        Ok(split::split(service, query, schema, seen, limits))
    })
    .try_flatten()
    .boxed()
}
