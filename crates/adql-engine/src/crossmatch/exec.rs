//! [`CrossmatchExec`]: the physical crossmatch join on [`adql_geom::crossmatch`].

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use adql_geom::crossmatch::{CrossmatchIndex, MatchMode, Matches, ProbeBuffers, Radius};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, RecordBatch, RecordBatchOptions,
    UInt32Array,
};
use datafusion::arrow::compute::{cast, concat, concat_batches, filter_record_batch, take};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef, UInt32Type};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, exec_datafusion_err, internal_err};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::JoinType;
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
use futures::{FutureExt, StreamExt, TryStreamExt};

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

/// Probe rows matched together, at least: the kernel sorts them by cell, and a chunk that is denser in the
/// index reads it more sequentially (a chunk of 8192 rows costs about three times as much per row as one of
/// 2^17 against a million sources). Chunks grow with the index (see [`chunk_rows`]) so that they stay as
/// dense; their working memory is about 60 bytes per row, against the index's 20 per build source.
pub(super) const PROBE_CHUNK_ROWS: usize = 1 << 17;

/// Rows per probe chunk against an index of `build_rows` sources: one eighth of them, at least
/// [`PROBE_CHUNK_ROWS`].
fn chunk_rows(build_rows: usize) -> usize {
    (build_rows / 8).max(PROBE_CHUNK_ROWS)
}

/// Positional join: collects and indexes the build input (the one that is not [`CrossmatchSpec::probe`]),
/// streams the probe input through the index in chunks of [`chunk_rows`] rows, each matched on all
/// configured threads, applies the exact distance predicate to every candidate pair, then the remaining
/// join condition.
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
        let layout = self.layout();
        let context = Arc::clone(context);
        let future: BoxFuture<'static, _> = Box::pin(async move {
            let build = collect_build(build_plan, context, &layout)
                .await
                .map_err(Arc::new)?;
            Matcher::new(layout, build, None)
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

    fn layout(&self) -> Layout {
        Layout {
            spec: Arc::clone(&self.spec),
            join_schema: Arc::clone(&self.join_schema),
            projection: self.projection.clone(),
            schema: Arc::clone(&self.schema),
            left_columns: self.left.schema().fields().len(),
        }
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
    layout: &Layout,
) -> Result<SideRows> {
    let batches = collect(plan, context).await?;
    SideRows::new(layout, layout.spec.probe.other(), &batches)
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
        let config = context.session_config();
        let options = ProbeOptions {
            // Each chunk is matched on every thread: partitions rarely hold equal shares of the rows (a
            // Parquet file with one row group is read by one partition).
            threads: NonZeroUsize::new(config.target_partitions()).unwrap_or(NonZeroUsize::MIN),
            batch_size: config.batch_size().max(1),
        };
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
        let layout = self.layout();
        let probe_schema = probe_plan.schema();
        let stream = futures::stream::once(async move {
            let build = collect_build(build_plan, Arc::clone(&context), &layout).await?;
            let probe = collect(probe_plan, context).await?;
            let matcher = Arc::new(Matcher::new(layout, build, Some(&probe))?);
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

impl CrossmatchSpec {
    /// Whether the radius is given per row of the probe input.
    pub(crate) fn probe_radius_per_row(&self) -> bool {
        matches!(self.radius, ExecRadius::Column(side, _) if side == self.probe)
    }
}

/// How the probe input is matched.
#[derive(Debug, Clone, Copy)]
struct ProbeOptions {
    threads: NonZeroUsize,
    batch_size: usize,
}

/// The joined rows of `input`: read in chunks of [`chunk_rows`] rows, each matched at once and its result
/// handed on in batches of at most `batch_size` rows.
fn probe_stream(
    input: SendableRecordBatchStream,
    matcher: Arc<Matcher>,
    options: ProbeOptions,
) -> impl futures::Stream<Item = Result<RecordBatch>> + Send {
    struct State {
        input: SendableRecordBatchStream,
        matcher: Arc<Matcher>,
        pending: VecDeque<RecordBatch>,
        done: bool,
    }
    let state = State {
        input,
        matcher,
        pending: VecDeque::new(),
        done: false,
    };
    futures::stream::try_unfold(state, move |mut st| async move {
        loop {
            if let Some(batch) = st.pending.pop_front() {
                return Ok(Some((batch, st)));
            }
            if st.done {
                return Ok(None);
            }
            let mut chunk = Vec::new();
            let mut rows = 0;
            let chunk_rows = chunk_rows(st.matcher.index.len());
            while rows < chunk_rows {
                match st.input.next().await {
                    Some(batch) => {
                        let batch = batch?;
                        rows += batch.num_rows();
                        if batch.num_rows() > 0 {
                            chunk.push(batch);
                        }
                    }
                    None => {
                        st.done = true;
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                continue;
            }
            let probe = SideRows::new(&st.matcher.layout, st.matcher.layout.spec.probe, &chunk)?;
            drop(chunk);
            let joined = st.matcher.probe(&probe, options.threads)?;
            let n = joined.num_rows();
            let mut offset = 0;
            while offset < n {
                let len = options.batch_size.min(n - offset);
                st.pending.push_back(joined.slice(offset, len));
                offset += len;
            }
        }
    })
}

/// Where output columns come from.
#[derive(Debug, Clone)]
struct Layout {
    spec: Arc<CrossmatchSpec>,
    join_schema: SchemaRef,
    projection: Option<Arc<[usize]>>,
    schema: SchemaRef,
    /// Number of left columns (the first ones of `join_schema`).
    left_columns: usize,
}

impl Layout {
    /// The side and column of column `i` of the join schema.
    fn source(&self, i: usize) -> (Side, usize) {
        if i < self.left_columns {
            (Side::Left, i)
        } else {
            (Side::Right, i - self.left_columns)
        }
    }

    /// Field `c` of `side`.
    fn side_field(&self, side: Side, c: usize) -> Result<&datafusion::arrow::datatypes::Field> {
        let i = match side {
            Side::Left => c,
            Side::Right => self.left_columns + c,
        };
        self.join_schema
            .fields()
            .get(i)
            .map(|f| f.as_ref())
            .ok_or_else(|| exec_datafusion_err!("crossmatch: column {i} out of range"))
    }

    /// Columns of `side` that the output (or the join filter) reads.
    fn needed(&self, side: Side) -> Vec<bool> {
        let total = self.join_schema.fields().len();
        let width = match side {
            Side::Left => self.left_columns,
            Side::Right => total - self.left_columns,
        };
        let mut needed = vec![false; width];
        let all: Vec<usize> = (0..total).collect();
        let used = match (&self.spec.filter, &self.projection) {
            (None, Some(p)) => p.as_ref(),
            _ => all.as_slice(),
        };
        for &i in used {
            if let (s, c) = self.source(i)
                && s == side
                && let Some(n) = needed.get_mut(c)
            {
                *n = true;
            }
        }
        needed
    }
}

/// The build side, indexed, and what is needed to probe it.
struct Matcher {
    layout: Layout,
    /// Build columns the output reads (`None`: not read, dropped once indexed).
    build: Vec<Option<ArrayRef>>,
    /// Per-row radius of the build side, for `distance < r`.
    build_radius: Option<Float64Array>,
    index: CrossmatchIndex,
    /// Working memory of the probe threads, one set per partition probing at the same time, reused
    /// from chunk to chunk (fresh buffers for every chunk would churn the allocator).
    buffers: Mutex<Vec<Vec<ProbeBuffers>>>,
}

/// The values of `e` over `batch` as f64, NULL as NaN (which never matches); no copy for a column that is
/// already a non-null f64.
fn eval(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<Float64Array> {
    let a = e.evaluate(batch)?.into_array(batch.num_rows())?;
    let a = cast(&a, &DataType::Float64)?;
    let a = a.as_primitive::<Float64Type>();
    Ok(if a.null_count() == 0 {
        a.clone()
    } else {
        a.iter().map(|v| Some(v.unwrap_or(f64::NAN))).collect()
    })
}

/// The values of `e` over `batches`, one after the other (see [`eval`]).
fn eval_all(e: &Arc<dyn PhysicalExpr>, batches: &[RecordBatch]) -> Result<Float64Array> {
    let parts = batches
        .iter()
        .map(|b| eval(e, b))
        .collect::<Result<Vec<_>>>()?;
    match parts.as_slice() {
        [] => Ok(Float64Array::from(Vec::<f64>::new())),
        [one] => Ok(one.clone()),
        _ => {
            let refs: Vec<&dyn Array> = parts.iter().map(|p| p as &dyn Array).collect();
            Ok(concat(&refs)?.as_primitive::<Float64Type>().clone())
        }
    }
}

/// Rows of one side: their coordinates (and radius, when it is taken from this side), and the columns the
/// output reads (only those: under `COUNT(*)` none).
struct SideRows {
    rows: usize,
    ra: Float64Array,
    dec: Float64Array,
    radius: Option<Float64Array>,
    /// The side's columns, `None` where the output does not read them.
    columns: Vec<Option<ArrayRef>>,
}

impl SideRows {
    fn new(layout: &Layout, side: Side, batches: &[RecordBatch]) -> Result<Self> {
        let spec = &layout.spec;
        let (lon, lat) = match side {
            Side::Left => &spec.left_position,
            Side::Right => &spec.right_position,
        };
        let radius = match &spec.radius {
            ExecRadius::Column(s, e) if *s == side => Some(eval_all(e, batches)?),
            _ => None,
        };
        let columns = layout
            .needed(side)
            .iter()
            .enumerate()
            .map(|(c, &needed)| {
                if !needed {
                    return Ok(None);
                }
                let parts: Vec<&dyn Array> = batches
                    .iter()
                    .filter_map(|b| b.columns().get(c).map(|a| a.as_ref()))
                    .collect();
                if parts.is_empty() {
                    // No batch at all: an empty column of the side's type.
                    let field = layout.side_field(side, c)?;
                    return Ok(Some(datafusion::arrow::array::new_empty_array(
                        field.data_type(),
                    )));
                }
                Ok(Some(concat(&parts)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            rows: batches.iter().map(RecordBatch::num_rows).sum(),
            ra: eval_all(lon, batches)?,
            dec: eval_all(lat, batches)?,
            radius,
            columns,
        })
    }
}

impl Matcher {
    fn new(layout: Layout, build: SideRows, probe_batches: Option<&[RecordBatch]>) -> Result<Self> {
        let spec = Arc::clone(&layout.spec);
        let (ra, dec) = (build.ra.values(), build.dec.values());
        let index = match (&spec.radius, &build.radius) {
            (ExecRadius::Constant(r), _) => {
                CrossmatchIndex::build(ra, dec, Radius::Constant(*r), 0.0)
            }
            (ExecRadius::Column(..), Some(radius)) => {
                CrossmatchIndex::build(ra, dec, Radius::PerBuildRow(radius.values()), 0.0)
            }
            (ExecRadius::Column(_, e), None) => {
                let mut max = 0.0f64;
                for batch in probe_batches.unwrap_or_default() {
                    max = eval(e, batch)?
                        .values()
                        .iter()
                        .copied()
                        .filter(|r| r.is_finite())
                        .fold(max, f64::max);
                }
                CrossmatchIndex::build(ra, dec, Radius::PerProbeRow(&[]), max)
            }
        }
        .map_err(|e| exec_datafusion_err!("crossmatch: {e}"))?;
        // The index holds its own copy of the coordinates; the build's are dropped here.
        Ok(Self {
            layout,
            build: build.columns,
            build_radius: build.radius,
            index,
            buffers: Mutex::default(),
        })
    }

    /// Matches one chunk of probe rows and builds the joined rows.
    fn probe(&self, chunk: &SideRows, threads: NonZeroUsize) -> Result<RecordBatch> {
        let spec = &self.layout.spec;
        let (ra, dec) = (&chunk.ra, &chunk.dec);
        let probe_radius = chunk.radius.as_ref().map(|r| r.values().as_ref());
        let mode = if spec.best {
            MatchMode::Best
        } else {
            MatchMode::All
        };
        let mut buffers = self
            .buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        buffers.resize_with(threads.get(), ProbeBuffers::default);
        let mut matches = Matches::default();
        let result = self.index.probe_parallel_with(
            ra.values(),
            dec.values(),
            probe_radius,
            mode,
            &mut buffers,
            &mut matches,
        );
        self.buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(buffers);
        result.map_err(|e| exec_datafusion_err!("crossmatch: {e}"))?;
        if spec.strict {
            self.drop_boundary_pairs(&mut matches, probe_radius);
        }
        let build_idx = UInt32Array::from(std::mem::take(&mut matches.build));
        let probe_idx = UInt32Array::from(std::mem::take(&mut matches.probe));
        drop(matches);
        let preserves_probe = matches!(
            (spec.join_type, spec.probe),
            (JoinType::Left, Side::Left) | (JoinType::Right, Side::Right)
        );
        let Some(filter) = &spec.filter else {
            let joined = self.assemble(chunk, &build_idx, &probe_idx, true)?;
            if !preserves_probe {
                return Ok(joined);
            }
            return self.pad_unmatched(chunk, joined, probe_idx.values(), true);
        };
        // The filter reads the whole joined row; the projection comes after it.
        let joined = self.assemble(chunk, &build_idx, &probe_idx, false)?;
        let mask = filter.evaluate(&joined)?.into_array(joined.num_rows())?;
        let mask = mask
            .as_boolean_opt()
            .ok_or_else(|| exec_datafusion_err!("crossmatch: the join filter is not boolean"))?;
        // NULL counts as false.
        let mask = BooleanArray::from(
            mask.iter()
                .map(|v| Some(v == Some(true)))
                .collect::<Vec<_>>(),
        );
        let joined = filter_record_batch(&joined, &mask)?;
        let matched_probe = datafusion::arrow::compute::filter(&probe_idx, &mask)?;
        let matched_probe = matched_probe.as_primitive::<UInt32Type>();
        let joined = if preserves_probe {
            self.pad_unmatched(chunk, joined, matched_probe.values(), false)?
        } else {
            joined
        };
        self.project(joined)
    }

    /// `joined` followed by the probe rows of `chunk` not in `matched`, with NULL build columns.
    fn pad_unmatched(
        &self,
        chunk: &SideRows,
        joined: RecordBatch,
        matched: &[u32],
        projected: bool,
    ) -> Result<RecordBatch> {
        let mut seen = vec![false; chunk.rows];
        for row in matched {
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
        let padded = self.assemble(chunk, &nulls, &unmatched, projected)?;
        Ok(concat_batches(&joined.schema(), [&joined, &padded])?)
    }

    /// Removes pairs exactly at the radius (for `distance < r`).
    fn drop_boundary_pairs(&self, m: &mut Matches, probe_radius: Option<&[f64]>) {
        let radius = |k: usize| match (&self.layout.spec.radius, &self.build_radius, probe_radius) {
            (ExecRadius::Constant(r), _, _) => *r,
            (_, Some(b), _) => m
                .build
                .get(k)
                .and_then(|i| b.values().get(*i as usize))
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
        let keep: Vec<bool> = (0..m.len())
            .map(|k| m.distance.get(k).is_some_and(|d| *d < radius(k)))
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
    }

    /// Joined rows: build rows `build_idx` beside probe rows `probe_idx`, in the output columns when
    /// `projected`, else in all columns of the join schema.
    fn assemble(
        &self,
        probe: &SideRows,
        build_idx: &UInt32Array,
        probe_idx: &UInt32Array,
        projected: bool,
    ) -> Result<RecordBatch> {
        let layout = &self.layout;
        let all: Vec<usize>;
        let (columns, schema) = match (&layout.projection, projected) {
            (Some(p), true) => (p.as_ref(), Arc::clone(&layout.schema)),
            _ => {
                all = (0..layout.join_schema.fields().len()).collect();
                (all.as_slice(), Arc::clone(&layout.join_schema))
            }
        };
        let build_side = layout.spec.probe.other();
        let arrays = columns
            .iter()
            .zip(schema.fields())
            .map(|(&i, field)| {
                let (side, c) = layout.source(i);
                let (source, idx) = if side == build_side {
                    let column = self.build.get(c).and_then(Option::as_ref).ok_or_else(|| {
                        exec_datafusion_err!("crossmatch: build column {c} was not kept")
                    })?;
                    (column, build_idx)
                } else {
                    let column =
                        probe
                            .columns
                            .get(c)
                            .and_then(Option::as_ref)
                            .ok_or_else(|| {
                                exec_datafusion_err!("crossmatch: probe column {c} was not kept")
                            })?;
                    (column, probe_idx)
                };
                let array = take(source.as_ref(), idx, None)?;
                // Outer joins make the other side's columns nullable: cast where the types differ.
                if field.data_type() == array.data_type() {
                    Ok(array)
                } else {
                    Ok(cast(&array, field.data_type())?)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(probe_idx.len()));
        Ok(RecordBatch::try_new_with_options(schema, arrays, &options)?)
    }

    /// `joined` (all columns of the join schema) in the output columns.
    fn project(&self, joined: RecordBatch) -> Result<RecordBatch> {
        match &self.layout.projection {
            None => Ok(joined),
            Some(p) => {
                let options = RecordBatchOptions::new().with_row_count(Some(joined.num_rows()));
                let columns = p
                    .iter()
                    .map(|&i| {
                        joined.columns().get(i).cloned().ok_or_else(|| {
                            exec_datafusion_err!("crossmatch: column {i} out of range")
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(RecordBatch::try_new_with_options(
                    Arc::clone(&self.layout.schema),
                    columns,
                    &options,
                )?)
            }
        }
    }
}
