//! [`CrossmatchExec`]: the physical crossmatch join on [`adql_geom::crossmatch`].

use std::fmt;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, exec_datafusion_err, internal_err};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::projection::{
    EmbeddedProjection, ProjectionExec, try_embed_projection,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties, SendableRecordBatchStream, collect,
};
use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, TryStreamExt};

use super::matcher::{Matcher, SideRows};
use super::node::Side;
use super::pairs::PairStep;
use super::spec::{CrossmatchSpec, ExecRadius};
use super::stream::{ProbeOptions, probe_stream};

/// Positional join: collects and indexes the build input (the one that is not [`CrossmatchSpec::probe`]),
/// streams the probe input through the index in chunks (larger against larger indexes), each matched on
/// all configured threads by the [`adql_geom::crossmatch`] kernel (the exact distance predicate on every
/// candidate pair), and turns the pairs into rows with a [`PairStep`] (strict radius, the remaining join
/// condition, outer-join padding, the embedded projection).
///
/// There is one output partition per partition of the probe input, so that the operators above the join
/// (projections, filters, partial aggregates) run on every core too: the build side is collected and
/// indexed once, by whichever partition asks first, and shared by all. A radius given per probe row sizes
/// the index by the largest radius, which needs the whole probe input first: that case keeps one output
/// partition. Rows come out in no particular order (as from any join); `ORDER BY` fixes it.
///
/// A projection can be embedded (as in DataFusion's hash join): only the projected columns are gathered
/// for the matched pairs, none at all under `COUNT(*)`.
#[derive(Debug)]
pub struct CrossmatchExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    spec: Arc<CrossmatchSpec>,
    /// Left columns, then right columns.
    join_schema: SchemaRef,
    /// Output columns, as indices into `join_schema`; `None` for all of them.
    projection: Option<Arc<[usize]>>,
    /// `join_schema` projected.
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    build: SharedBuild,
}

/// The result of collecting and indexing the build side, shared by the output partitions.
type BuildFuture =
    Shared<BoxFuture<'static, std::result::Result<Arc<Matcher>, Arc<DataFusionError>>>>;

/// The build side of one [`CrossmatchExec`], started by the first partition executed.
#[derive(Default)]
struct SharedBuild(Mutex<Option<BuildFuture>>);

impl fmt::Debug for SharedBuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedBuild")
    }
}

impl CrossmatchExec {
    /// A crossmatch of `left` and `right` producing `schema` (left columns, then right columns).
    pub fn new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        spec: CrossmatchSpec,
        schema: SchemaRef,
    ) -> Self {
        let spec = Arc::new(spec);
        let properties = Self::compute_properties(&left, &right, &spec, &schema);
        Self {
            left,
            right,
            spec,
            join_schema: Arc::clone(&schema),
            projection: None,
            schema,
            properties,
            build: SharedBuild::default(),
        }
    }

    /// One output partition per probe partition, except with a per-probe-row radius (see the type).
    fn compute_properties(
        left: &Arc<dyn ExecutionPlan>,
        right: &Arc<dyn ExecutionPlan>,
        spec: &CrossmatchSpec,
        schema: &SchemaRef,
    ) -> Arc<PlanProperties> {
        let probe = match spec.probe {
            Side::Left => left,
            Side::Right => right,
        };
        let partitions = if spec.probe_radius_per_row() {
            1
        } else {
            probe.output_partitioning().partition_count().max(1)
        };
        Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(schema)),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ))
    }

    /// The same join over new inputs (the optimizer may repartition them); the build is not shared with
    /// `self`.
    fn rebuilt(&self, left: Arc<dyn ExecutionPlan>, right: Arc<dyn ExecutionPlan>) -> Self {
        let properties = Self::compute_properties(&left, &right, &self.spec, &self.schema);
        Self {
            left,
            right,
            spec: Arc::clone(&self.spec),
            join_schema: Arc::clone(&self.join_schema),
            projection: self.projection.clone(),
            schema: Arc::clone(&self.schema),
            properties,
            build: SharedBuild::default(),
        }
    }

    /// The build side, collected and indexed once for all partitions.
    fn shared_build(&self, context: &Arc<TaskContext>) -> BuildFuture {
        let mut slot = self
            .build
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(build) = slot.as_ref() {
            return build.clone();
        }
        let build_plan = self.build_plan();
        let step = self.pair_step();
        let context = Arc::clone(context);
        let future: BoxFuture<'static, _> = Box::pin(async move {
            let step = step.map_err(Arc::new)?;
            let build = collect_build(build_plan, context, &step)
                .await
                .map_err(Arc::new)?;
            Matcher::new(step, build, None)
                .map(Arc::new)
                .map_err(Arc::new)
        });
        let shared = future.shared();
        *slot = Some(shared.clone());
        shared
    }

    fn build_plan(&self) -> Arc<dyn ExecutionPlan> {
        match self.spec.probe {
            Side::Right => Arc::clone(&self.left),
            Side::Left => Arc::clone(&self.right),
        }
    }

    fn probe_plan(&self) -> Arc<dyn ExecutionPlan> {
        match self.spec.probe {
            Side::Right => Arc::clone(&self.right),
            Side::Left => Arc::clone(&self.left),
        }
    }

    /// The step that turns this join's matched pairs into its output rows.
    fn pair_step(&self) -> Result<PairStep> {
        PairStep::new(
            Arc::clone(&self.spec),
            Arc::clone(&self.join_schema),
            self.left.schema().fields().len(),
            self.projection.clone(),
        )
    }

    /// What this operator computes.
    pub fn spec(&self) -> &CrossmatchSpec {
        &self.spec
    }

    /// The embedded projection (indices into left columns followed by right columns), if any.
    pub fn projection(&self) -> Option<&[usize]> {
        self.projection.as_deref()
    }
}

/// Runs the build input to completion and keeps what the join needs of it (see [`SideRows`]).
async fn collect_build(
    plan: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    step: &PairStep,
) -> Result<SideRows> {
    let batches = collect(plan, context).await?;
    SideRows::new(step, step.spec().probe.other(), &batches)
}

impl EmbeddedProjection for CrossmatchExec {
    fn with_projection(&self, projection: Option<Vec<usize>>) -> Result<Self> {
        // Compose with a projection already embedded.
        let projection = match (projection, &self.projection) {
            (Some(p), Some(inner)) => Some(
                p.iter()
                    .map(|&i| {
                        inner.get(i).copied().ok_or_else(|| {
                            exec_datafusion_err!("crossmatch: projection index {i} out of range")
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            (p, inner) => p.or_else(|| inner.as_deref().map(<[usize]>::to_vec)),
        };
        let schema = match &projection {
            Some(p) => Arc::new(self.join_schema.project(p)?),
            None => Arc::clone(&self.join_schema),
        };
        let properties = Self::compute_properties(&self.left, &self.right, &self.spec, &schema);
        Ok(Self {
            left: Arc::clone(&self.left),
            right: Arc::clone(&self.right),
            spec: Arc::clone(&self.spec),
            join_schema: Arc::clone(&self.join_schema),
            projection: projection.map(Into::into),
            schema,
            properties,
            build: SharedBuild::default(),
        })
    }
}

impl DisplayAs for CrossmatchExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let s = &self.spec;
        let radius = match &s.radius {
            ExecRadius::Constant(r) => format!("{r}"),
            ExecRadius::Column(side, e) => format!(
                "{e} ({})",
                if *side == Side::Left { "left" } else { "right" }
            ),
        };
        write!(
            f,
            "CrossmatchExec: radius={radius}, mode={}, join_type={}, probe={}, on=(({}, {}), ({}, {})){}",
            if s.best { "best" } else { "all" },
            s.join_type,
            if s.probe == Side::Left {
                "left"
            } else {
                "right"
            },
            s.left_position.0,
            s.left_position.1,
            s.right_position.0,
            s.right_position.1,
            if s.strict { ", strict" } else { "" }
        )?;
        if let Some(filter) = &s.filter {
            write!(f, ", filter={filter}")?;
        }
        if let Some(p) = &self.projection {
            let names: Vec<String> = p
                .iter()
                .filter_map(|&i| self.join_schema.fields().get(i))
                .map(|f| f.name().clone())
                .collect();
            write!(f, ", projection=[{}]", names.join(", "))?;
        }
        Ok(())
    }
}

impl ExecutionPlan for CrossmatchExec {
    fn name(&self) -> &str {
        "CrossmatchExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let s = &self.spec;
        let mut exprs = vec![
            &s.left_position.0,
            &s.left_position.1,
            &s.right_position.0,
            &s.right_position.1,
        ];
        if let ExecRadius::Column(_, e) = &s.radius {
            exprs.push(e);
        }
        exprs.extend(s.filter.as_ref());
        for e in exprs {
            if f(e)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [left, right]: [Arc<dyn ExecutionPlan>; 2] = match children.try_into() {
            Ok(c) => c,
            Err(_) => return internal_err!("CrossmatchExec takes two children"),
        };
        Ok(Arc::new(self.rebuilt(left, right)))
    }

    fn try_swapping_with_projection(
        &self,
        projection: &ProjectionExec,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if self.projection.is_some() {
            return Ok(None);
        }
        try_embed_projection(projection, self)
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let partitions = self.properties.output_partitioning().partition_count();
        if partition >= partitions {
            return internal_err!(
                "CrossmatchExec has {partitions} partitions, asked for partition {partition}"
            );
        }
        let options = ProbeOptions::of(&context);
        let schema = Arc::clone(&self.schema);
        if !self.spec.probe_radius_per_row() {
            let build = self.shared_build(&context);
            let probe = self.probe_plan().execute(partition, context)?;
            let stream = futures::stream::once(async move {
                let matcher = build.await.map_err(DataFusionError::Shared)?;
                Ok::<_, DataFusionError>(probe_stream(probe, matcher, options))
            })
            .try_flatten();
            return Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)));
        }
        // A per-row radius on the probe side sizes the index by its maximum: read the probe side first.
        let (build_plan, probe_plan) = (self.build_plan(), self.probe_plan());
        let step = self.pair_step()?;
        let probe_schema = probe_plan.schema();
        let stream = futures::stream::once(async move {
            let build = collect_build(build_plan, Arc::clone(&context), &step).await?;
            let probe = collect(probe_plan, context).await?;
            let matcher = Arc::new(Matcher::new(step, build, Some(&probe))?);
            let input: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(
                probe_schema,
                futures::stream::iter(probe.into_iter().map(Ok)),
            ));
            Ok::<_, DataFusionError>(probe_stream(input, matcher, options))
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}
