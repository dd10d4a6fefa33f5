//! [`CrossServiceJoinExec`]: runs the strategy the cost model chose.

use std::fmt;
use std::sync::Arc;

use adql_engine::crossmatch::{CrossmatchExec, CrossmatchSpec, Side};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions, execute_stream,
};
use futures::{StreamExt, TryStreamExt};

use super::adql::{self, Circle};
use super::cost::{Decision, Strategy};
use super::run::{RemoteStrategy, Run};

use crate::error::FederationError;
use crate::executor::PlannedRequest;
use crate::options::{FederationOptions, OverflowPolicy};

/// Answers a [`super::CrossServiceJoin`] with the strategy of its [`Decision`].
///
/// Its children are the two sides as planned (remote queries, perhaps under local projections).
/// (a) crossmatches them locally. (b), (c), (d) run the small side's child, then send queries built
/// from its rows to the big side's service, and apply the big side's local part to what comes back.
/// Every remote result is checked for completeness: a service-reported overflow, or exactly MAXREC
/// rows, is [`FederationError::Overflow`] naming the service and the query. Under the `fail`
/// overflow policy that is the query's error; under `split` the join falls back to (a), whose remote
/// parts are fetched in pieces under MAXREC. Never a silent subset.
#[derive(Debug)]
pub struct CrossServiceJoinExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    spec: Arc<CrossmatchSpec>,
    decision: Arc<Decision>,
    remote: Option<Arc<RemoteStrategy>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl CrossServiceJoinExec {
    /// The join of `left` and `right` computing `spec`, by the strategy of `decision` (`remote`
    /// must be given for every strategy but (a)).
    pub fn new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        spec: CrossmatchSpec,
        decision: Decision,
        remote: Option<RemoteStrategy>,
        schema: SchemaRef,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self {
            left,
            right,
            spec: Arc::new(spec),
            decision: Arc::new(decision),
            remote: remote.map(Arc::new),
            schema,
            properties,
        }
    }

    /// The cost model's decision.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// Every request the chosen strategy sends to the big side's service, when the small side is known
    /// without asking any service (read or fetched while planning): `None` for (a), or when it is not
    /// (then [`Self::big_side_adql`] shows the query with placeholders).
    pub async fn requests(&self, context: Arc<TaskContext>) -> Result<Option<StrategyRequests>> {
        let (Some(run), strategy) = (self.run(), self.decision.chosen.strategy) else {
            return Ok(None);
        };
        let small = match run.remote.small {
            Side::Left => &self.decision.left,
            Side::Right => &self.decision.right,
        };
        if !small.source.contains("while planning") {
            return Ok(None);
        }
        let service = Arc::clone(&run.remote.big.service);
        let requests = run.requests(strategy, context).await?;
        Ok(Some(StrategyRequests {
            small: run.remote.small,
            service: service.name.clone(),
            url: service.url.clone(),
            requests,
        }))
    }

    /// What running a strategy other than (a) needs.
    fn run(&self) -> Option<Run> {
        let remote = self.remote.as_ref()?;
        if self.decision.chosen.strategy == Strategy::LocalCrossmatch {
            return None;
        }
        let (small_plan, big_schema) = match remote.small {
            Side::Right => (Arc::clone(&self.right), self.left.schema()),
            Side::Left => (Arc::clone(&self.left), self.right.schema()),
        };
        Some(Run {
            spec: Arc::clone(&self.spec),
            remote: Arc::clone(remote),
            schema: Arc::clone(&self.schema),
            small_plan,
            big_schema,
        })
    }

    /// The ADQL sent to the big side's service, with placeholders for what depends on the small
    /// side's rows; `None` for (a), whose queries are the children's.
    pub fn big_side_adql(&self) -> Option<String> {
        let remote = self.remote.as_ref()?;
        let big = &remote.big;
        let placeholder = Circle {
            lon: f64::NAN,
            lat: f64::NAN,
            radius: f64::NAN,
        };
        let query = match self.decision.chosen.strategy {
            Strategy::LocalCrossmatch => return None,
            Strategy::UploadJoin => adql::upload_join(
                big.as_query(),
                "xsj_1",
                &remote.upload_radius(&self.spec.radius),
            ),
            Strategy::BatchedCones => adql::cone_union(big.as_query(), &[placeholder]),
            Strategy::RegionPrefetch => adql::cone_union(big.as_query(), &[placeholder; 2]),
        };
        Some(adql::placeholder_text(&query.to_string()))
    }
}

impl DisplayAs for CrossServiceJoinExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CrossServiceJoinExec: {}", self.decision)?;
        if let (Some(adql), Some(remote)) = (self.big_side_adql(), &self.remote) {
            let what = match self.decision.chosen.strategy {
                Strategy::UploadJoin => format!(
                    "the small side's positions uploaded as TAP_UPLOAD.xsj_<block> in blocks of {} rows, then",
                    remote.upload_block_rows
                ),
                Strategy::BatchedCones => format!(
                    "one query per small-side row, {} at a time:",
                    remote.cone_concurrency
                ),
                _ => format!(
                    "one query, the small side's cones (at most {} circles, larger circles covering groups beyond):",
                    remote.region_max_circles
                ),
            };
            write!(
                f,
                "; sends to {} ({}) {what} {adql}",
                remote.big.service.name, remote.big.service.url
            )?;
        }
        Ok(())
    }
}

impl ExecutionPlan for CrossServiceJoinExec {
    fn name(&self) -> &str {
        "CrossServiceJoinExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        // The children are remote queries: repartitioning them only adds work.
        vec![false, false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [left, right]: [Arc<dyn ExecutionPlan>; 2] = children.try_into().map_err(|_| {
            DataFusionError::Internal("CrossServiceJoinExec takes two children".into())
        })?;
        Ok(Arc::new(Self {
            left,
            right,
            spec: Arc::clone(&self.spec),
            decision: Arc::clone(&self.decision),
            remote: self.remote.clone(),
            schema: Arc::clone(&self.schema),
            properties: Arc::clone(&self.properties),
        }))
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
                "CrossServiceJoinExec has one partition, not {partition}"
            )));
        }
        let strategy = self.decision.chosen.strategy;
        let Some(run) = self.run() else {
            let local = CrossmatchExec::new(
                Arc::clone(&self.left),
                Arc::clone(&self.right),
                (*self.spec).clone(),
                Arc::clone(&self.schema),
            );
            return local.execute(0, context);
        };
        // Under the `split` overflow policy an overflowing strategy request falls back to (a), whose
        // remote parts split themselves under MAXREC; under `fail` the overflow is the answer.
        let policy = run
            .remote
            .big
            .service
            .overflow_policy(FederationOptions::of(&context).overflow);
        let local: Arc<dyn ExecutionPlan> = Arc::new(CrossmatchExec::new(
            Arc::clone(&self.left),
            Arc::clone(&self.right),
            (*self.spec).clone(),
            Arc::clone(&self.schema),
        ));
        let schema = Arc::clone(&self.schema);
        let stream = futures::stream::once(async move {
            match run.run(strategy, Arc::clone(&context)).await {
                Ok(batches) => Ok(futures::stream::iter(batches.into_iter().map(Ok)).boxed()),
                Err(e) if policy == OverflowPolicy::Split && is_overflow(&e) => {
                    Ok(execute_stream(local, context)?.boxed())
                }
                Err(e) => Err(e),
            }
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// The requests a cross-service strategy sends (see [`CrossServiceJoinExec::requests`]).
#[derive(Debug, Clone)]
pub struct StrategyRequests {
    /// The small side, whose input is still a child of the join (the big side's is not run).
    pub small: Side,
    /// The big side's service.
    pub service: String,
    /// Its URL.
    pub url: String,
    /// Each request: its role, its query, and the rows of the tables it uploads.
    pub requests: Vec<PlannedRequest>,
}

/// Every cross-service join decision in a physical plan, in plan order (what `adql explain` prints
/// besides the plan).
pub fn decisions(plan: &Arc<dyn ExecutionPlan>) -> Vec<Decision> {
    fn walk(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<Decision>) {
        if let Some(join) = plan.downcast_ref::<CrossServiceJoinExec>() {
            out.push(join.decision().clone());
        }
        for child in plan.children() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    walk(plan, &mut out);
    out
}

/// Whether `e` is a remote part's overflow.
fn is_overflow(e: &DataFusionError) -> bool {
    match e {
        DataFusionError::External(inner) => matches!(
            inner.downcast_ref::<FederationError>(),
            Some(FederationError::Overflow { .. })
        ),
        DataFusionError::Context(_, inner) => is_overflow(inner),
        DataFusionError::Shared(inner) => is_overflow(inner),
        _ => false,
    }
}
