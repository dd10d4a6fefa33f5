//! [`CrossmatchExec`]: the physical crossmatch join on [`adql_geom::crossmatch`].

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use adql_geom::crossmatch::{CrossmatchIndex, MatchMode, Matches, Radius};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch, take};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, exec_datafusion_err, internal_err};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::JoinType;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties, SendableRecordBatchStream, collect, execute_stream,
};
use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, TryStreamExt};

use super::node::Side;

/// The radius of a [`CrossmatchExec`], degrees.
#[derive(Debug, Clone)]
pub enum ExecRadius {
    /// One radius for all pairs.
    Constant(f64),
    /// An expression evaluated per row of one input.
    Column(Side, Arc<dyn PhysicalExpr>),
}

/// What a [`CrossmatchExec`] computes; see [`super::CrossmatchNode`] for the meaning of the fields.
#[derive(Debug, Clone)]
pub struct CrossmatchSpec {
    /// (lon, lat) over the left input.
    pub left_position: (Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>),
    /// (lon, lat) over the right input.
    pub right_position: (Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>),
    /// Radius.
    pub radius: ExecRadius,
    /// `distance < r` rather than `<=`.
    pub strict: bool,
    /// Nearest match only.
    pub best: bool,
    /// The streamed input.
    pub probe: Side,
    /// Inner, left or right.
    pub join_type: JoinType,
    /// Remaining join condition over the output schema.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
}

/// Positional join: collects and indexes the build input (the one that is not [`CrossmatchSpec::probe`]),
/// streams the probe input through the index on all configured threads, applies the exact distance
/// predicate to every candidate pair, then the remaining join condition.
///
/// There is one output partition per partition of the probe input, so that the operators above the join
/// (projections, filters, partial aggregates) run on every core too: the build side is collected and
/// indexed once, by whichever partition asks first, and shared by all. A radius given per probe row sizes
/// the index by the largest radius, which needs the whole probe input first: that case keeps one output
/// partition. Rows come out in no particular order (as from any join); `ORDER BY` fixes it.
#[derive(Debug)]
pub struct CrossmatchExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    spec: Arc<CrossmatchSpec>,
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
        let build_plan = match self.spec.probe {
            Side::Right => Arc::clone(&self.left),
            Side::Left => Arc::clone(&self.right),
        };
        let spec = Arc::clone(&self.spec);
        let context = Arc::clone(context);
        let future: BoxFuture<'static, _> = Box::pin(async move {
            let batches = collect(Arc::clone(&build_plan), context)
                .await
                .map_err(Arc::new)?;
            let build = concat_batches(&build_plan.schema(), &batches)
                .map_err(|e| Arc::new(DataFusionError::from(e)))?;
            drop(batches);
            Matcher::new(spec, build, None)
                .map(Arc::new)
                .map_err(Arc::new)
        });
        let shared = future.shared();
        *slot = Some(shared.clone());
        shared
    }

    /// What this operator computes.
    pub fn spec(&self) -> &CrossmatchSpec {
        &self.spec
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
        // The new children may be partitioned differently (the optimizer adds repartitions).
        let properties = Self::compute_properties(&left, &right, &self.spec, &self.schema);
        Ok(Arc::new(Self {
            left,
            right,
            spec: Arc::clone(&self.spec),
            schema: Arc::clone(&self.schema),
            properties,
            build: SharedBuild::default(),
        }))
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
        let threads = NonZeroUsize::new(context.session_config().target_partitions())
            .unwrap_or(NonZeroUsize::MIN);
        if !self.spec.probe_radius_per_row() {
            let probe_plan = match self.spec.probe {
                Side::Right => Arc::clone(&self.right),
                Side::Left => Arc::clone(&self.left),
            };
            // Partitions run side by side, so each probes its batches on a share of the threads.
            let threads =
                NonZeroUsize::new(threads.get() / partitions).unwrap_or(NonZeroUsize::MIN);
            let build = self.shared_build(&context);
            let probe_stream = probe_plan.execute(partition, context)?;
            let schema = Arc::clone(&self.schema);
            let output_schema = Arc::clone(&schema);
            let stream = futures::stream::once(async move {
                let matcher = build.await.map_err(DataFusionError::Shared)?;
                Ok::<_, DataFusionError>(probe_stream.and_then(move |batch| {
                    futures::future::ready(matcher.probe(&batch, &output_schema, threads))
                }))
            })
            .try_flatten();
            return Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)));
        }
        let (build_plan, probe_plan) = match self.spec.probe {
            Side::Right => (Arc::clone(&self.left), Arc::clone(&self.right)),
            Side::Left => (Arc::clone(&self.right), Arc::clone(&self.left)),
        };
        let spec = Arc::clone(&self.spec);
        let schema = Arc::clone(&self.schema);
        let probe_radius_per_row = spec.probe_radius_per_row();
        let probe_schema = probe_plan.schema();
        let setup = {
            let context = Arc::clone(&context);
            let spec = Arc::clone(&spec);
            async move {
                let build_batches = collect(build_plan.clone(), Arc::clone(&context)).await?;
                let build = concat_batches(&build_plan.schema(), &build_batches)?;
                drop(build_batches);
                // A per-row radius on the probe side sizes the index by its maximum: read the probe side first.
                let (probe_stream, buffered) = if probe_radius_per_row {
                    let batches = collect(probe_plan, context).await?;
                    (None, Some(batches))
                } else {
                    (Some(execute_stream(probe_plan, context)?), None)
                };
                let matcher = Matcher::new(spec, build, buffered.as_deref())?;
                Ok::<_, DataFusionError>((matcher, probe_stream, buffered))
            }
        };
        let output_schema = Arc::clone(&schema);
        let stream = futures::stream::once(setup)
            .map_ok(move |(matcher, probe_stream, buffered)| {
                let matcher = Arc::new(matcher);
                let input: SendableRecordBatchStream = match (probe_stream, buffered) {
                    (Some(s), _) => s,
                    (None, batches) => Box::pin(RecordBatchStreamAdapter::new(
                        Arc::clone(&probe_schema),
                        futures::stream::iter(batches.unwrap_or_default().into_iter().map(Ok)),
                    )),
                };
                let schema = Arc::clone(&output_schema);
                input.and_then(move |batch| {
                    let result = matcher.probe(&batch, &schema, threads);
                    futures::future::ready(result)
                })
            })
            .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

impl CrossmatchSpec {
    /// Whether the radius is given per row of the probe input.
    pub(crate) fn probe_radius_per_row(&self) -> bool {
        matches!(self.radius, ExecRadius::Column(side, _) if side == self.probe)
    }
}

/// The build side, indexed, and what is needed to probe it.
struct Matcher {
    spec: Arc<CrossmatchSpec>,
    build: RecordBatch,
    index: CrossmatchIndex,
}

/// `a` as f64 values, NULL as NaN (which never matches).
fn values(a: &ArrayRef) -> Result<Vec<f64>> {
    let a = cast(a, &DataType::Float64)?;
    let a = a.as_primitive::<Float64Type>();
    Ok(if a.null_count() == 0 {
        a.values().to_vec()
    } else {
        a.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
    })
}

fn eval(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<Vec<f64>> {
    values(&e.evaluate(batch)?.into_array(batch.num_rows())?)
}

impl Matcher {
    fn new(
        spec: Arc<CrossmatchSpec>,
        build: RecordBatch,
        probe_batches: Option<&[RecordBatch]>,
    ) -> Result<Self> {
        let build_side = spec.probe.other();
        let (lon, lat) = match build_side {
            Side::Left => &spec.left_position,
            Side::Right => &spec.right_position,
        };
        let (ra, dec) = (eval(lon, &build)?, eval(lat, &build)?);
        let index = match &spec.radius {
            ExecRadius::Constant(r) => CrossmatchIndex::build(&ra, &dec, Radius::Constant(*r), 0.0),
            ExecRadius::Column(side, e) if *side == build_side => {
                CrossmatchIndex::build(&ra, &dec, Radius::PerBuildRow(&eval(e, &build)?), 0.0)
            }
            ExecRadius::Column(_, e) => {
                let mut max = 0.0f64;
                for batch in probe_batches.unwrap_or_default() {
                    max = eval(e, batch)?
                        .into_iter()
                        .filter(|r| r.is_finite())
                        .fold(max, f64::max);
                }
                CrossmatchIndex::build(&ra, &dec, Radius::PerProbeRow(&[]), max)
            }
        }
        .map_err(|e| exec_datafusion_err!("crossmatch: {e}"))?;
        Ok(Self { spec, build, index })
    }

    /// Matches one probe batch and builds the joined rows.
    fn probe(
        &self,
        batch: &RecordBatch,
        schema: &SchemaRef,
        threads: NonZeroUsize,
    ) -> Result<RecordBatch> {
        let spec = &self.spec;
        let (lon, lat) = match spec.probe {
            Side::Left => &spec.left_position,
            Side::Right => &spec.right_position,
        };
        let (ra, dec) = (eval(lon, batch)?, eval(lat, batch)?);
        let probe_radius = match &spec.radius {
            ExecRadius::Column(side, e) if *side == spec.probe => Some(eval(e, batch)?),
            _ => None,
        };
        let mode = if spec.best {
            MatchMode::Best
        } else {
            MatchMode::All
        };
        let mut matches = self
            .index
            .probe_parallel(&ra, &dec, probe_radius.as_deref(), mode, threads)
            .map_err(|e| exec_datafusion_err!("crossmatch: {e}"))?;
        if spec.strict {
            self.drop_boundary_pairs(&mut matches, probe_radius.as_deref())?;
        }
        let build_idx = UInt32Array::from(std::mem::take(&mut matches.build));
        let probe_idx = UInt32Array::from(std::mem::take(&mut matches.probe));
        let mut joined = self.assemble(batch, &build_idx, &probe_idx, schema)?;
        let mut matched_probe = probe_idx;
        if let Some(filter) = &spec.filter {
            let mask = filter.evaluate(&joined)?.into_array(joined.num_rows())?;
            let mask = mask
                .as_boolean_opt()
                .ok_or_else(|| exec_datafusion_err!("crossmatch: the join filter is not boolean"))?
                .clone();
            // NULL counts as false.
            let mask = BooleanArray::from(
                mask.iter()
                    .map(|v| Some(v == Some(true)))
                    .collect::<Vec<_>>(),
            );
            joined = filter_record_batch(&joined, &mask)?;
            matched_probe = datafusion::arrow::compute::filter(&matched_probe, &mask)?
                .as_primitive()
                .clone();
        }
        let preserves_probe = matches!(
            (spec.join_type, spec.probe),
            (JoinType::Left, Side::Left) | (JoinType::Right, Side::Right)
        );
        if !preserves_probe {
            return Ok(joined);
        }
        let mut seen = vec![false; batch.num_rows()];
        for row in matched_probe.values() {
            if let Some(s) = seen.get_mut(*row as usize) {
                *s = true;
            }
        }
        let unmatched: UInt32Array = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| i as u32)
            .collect();
        if unmatched.is_empty() {
            return Ok(joined);
        }
        let nulls = UInt32Array::new_null(unmatched.len());
        let padded = self.assemble(batch, &nulls, &unmatched, schema)?;
        Ok(concat_batches(schema, [&joined, &padded])?)
    }

    /// Removes pairs exactly at the radius (for `distance < r`).
    fn drop_boundary_pairs(&self, m: &mut Matches, probe_radius: Option<&[f64]>) -> Result<()> {
        let build_radius = match &self.spec.radius {
            ExecRadius::Column(side, e) if *side != self.spec.probe => Some(eval(e, &self.build)?),
            _ => None,
        };
        let keep: Vec<bool> = (0..m.len())
            .map(|k| {
                let r = match (&self.spec.radius, &build_radius, probe_radius) {
                    (ExecRadius::Constant(r), _, _) => *r,
                    (_, Some(b), _) => m
                        .build
                        .get(k)
                        .and_then(|i| b.get(*i as usize))
                        .copied()
                        .unwrap_or(f64::NAN),
                    (_, None, Some(p)) => m
                        .probe
                        .get(k)
                        .and_then(|i| p.get(*i as usize))
                        .copied()
                        .unwrap_or(f64::NAN),
                    _ => f64::NAN,
                };
                m.distance.get(k).is_some_and(|d| *d < r)
            })
            .collect();
        let mut k = 0;
        m.build
            .retain(|_| (keep.get(k).copied().unwrap_or(false), k += 1).0);
        k = 0;
        m.probe
            .retain(|_| (keep.get(k).copied().unwrap_or(false), k += 1).0);
        k = 0;
        m.distance
            .retain(|_| (keep.get(k).copied().unwrap_or(false), k += 1).0);
        Ok(())
    }

    /// Output rows: build rows `build_idx` beside probe rows `probe_idx`, left columns first.
    fn assemble(
        &self,
        probe: &RecordBatch,
        build_idx: &UInt32Array,
        probe_idx: &UInt32Array,
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let take_all = |batch: &RecordBatch, idx: &UInt32Array| -> Result<Vec<ArrayRef>> {
            batch
                .columns()
                .iter()
                .map(|c| Ok(take(c.as_ref(), idx, None)?))
                .collect()
        };
        let build_cols = take_all(&self.build, build_idx)?;
        let probe_cols = take_all(probe, probe_idx)?;
        let columns: Vec<ArrayRef> = match self.spec.probe {
            Side::Right => build_cols.into_iter().chain(probe_cols).collect(),
            Side::Left => probe_cols.into_iter().chain(build_cols).collect(),
        };
        // Outer joins make the other side's columns nullable: cast to the output types where they differ.
        let columns = columns
            .into_iter()
            .zip(schema.fields())
            .map(|(c, f)| {
                if c.data_type() == f.data_type() {
                    Ok(c)
                } else {
                    Ok(cast(&c, f.data_type())?)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
    }
}
