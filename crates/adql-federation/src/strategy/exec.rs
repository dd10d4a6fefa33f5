//! [`CrossServiceJoinExec`]: runs the strategy the cost model chose.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use adql_engine::crossmatch::{CrossmatchExec, CrossmatchSpec, ExecRadius, Side};
use adql_syntax::ast::{Ident, Query};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, UInt32Array,
};
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch, take};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::JoinType;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning,
    PlanProperties, ReplaceChildrenOptions, collect, execute_stream,
};
use futures::{StreamExt, TryStreamExt};

use super::adql::{self, BigQuery, Circle, RadiusRef};
use super::cost::{Decision, Strategy};
use crate::error::FederationError;
use crate::executor::UploadTable;
use crate::options::{FederationOptions, OverflowPolicy};
use crate::service::RemoteService;

/// Radius added to every circle sent to a service, degrees: the service's own distance arithmetic
/// may differ from ours in the last bits, so it returns a few more candidates and the exact test is
/// made locally.
pub const CIRCLE_PAD_DEG: f64 = 1e-8;

/// How the big side of strategies (b), (c), (d) is queried and turned into the side's rows.
#[derive(Debug)]
pub struct BigSide {
    /// The service answering it.
    pub service: Arc<RemoteService>,
    /// Its remote query.
    pub query: Query,
    /// ADQL output names of the remote query's columns.
    pub names: Vec<Ident>,
    /// Arrow schema of the remote query.
    pub remote_schema: SchemaRef,
    /// ADQL names of the (lon, lat) columns in the remote query.
    pub position: (Ident, Ident),
    /// ADQL name of the radius column, when the radius is a column of this side.
    pub radius: Option<Ident>,
    /// The side's output columns over the remote query's columns.
    pub exprs: Vec<Arc<dyn PhysicalExpr>>,
    /// Rows the side's local part drops, over the remote query's columns.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
}

impl BigSide {
    /// The big side as the strategy queries build on it.
    pub fn as_query(&self) -> BigQuery<'_> {
        BigQuery {
            query: &self.query,
            names: &self.names,
            position: (&self.position.0, &self.position.1),
        }
    }
}

/// A strategy other than (a): the small side and how to query the big one.
#[derive(Debug)]
pub struct RemoteStrategy {
    /// The side that is fetched first (uploaded, or whose rows become cones).
    pub small: Side,
    /// The other side.
    pub big: BigSide,
    /// Rows per uploaded table.
    pub upload_block_rows: usize,
    /// Cone queries in flight at once.
    pub cone_concurrency: usize,
    /// Most circles of a region query.
    pub region_max_circles: usize,
}

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
            Strategy::UploadJoin => {
                adql::upload_join(big.as_query(), "xsj_1", &self.upload_radius(remote))
            }
            Strategy::BatchedCones => adql::cone_union(big.as_query(), &[placeholder]),
            Strategy::RegionPrefetch => adql::cone_union(big.as_query(), &[placeholder; 2]),
        };
        Some(adql::placeholder_text(&query.to_string()))
    }

    fn upload_radius(&self, remote: &RemoteStrategy) -> RadiusRef {
        match (&self.spec.radius, &remote.big.radius) {
            (ExecRadius::Constant(r), _) => RadiusRef::Constant(r + CIRCLE_PAD_DEG),
            (ExecRadius::Column(side, _), Some(name)) if *side != remote.small => {
                RadiusRef::BigColumn(name.clone(), CIRCLE_PAD_DEG)
            }
            _ => RadiusRef::Uploaded,
        }
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
        let remote = match (&self.remote, strategy) {
            (Some(r), s) if s != Strategy::LocalCrossmatch => Arc::clone(r),
            _ => {
                let local = CrossmatchExec::new(
                    Arc::clone(&self.left),
                    Arc::clone(&self.right),
                    (*self.spec).clone(),
                    Arc::clone(&self.schema),
                );
                return local.execute(0, context);
            }
        };
        let run = Run {
            spec: Arc::clone(&self.spec),
            remote,
            schema: Arc::clone(&self.schema),
            small_plan: match self.remote.as_ref().map(|r| r.small) {
                Some(Side::Right) => Arc::clone(&self.right),
                _ => Arc::clone(&self.left),
            },
            big_schema: match self.remote.as_ref().map(|r| r.small) {
                Some(Side::Right) => self.left.schema(),
                _ => self.right.schema(),
            },
            upload_radius: self
                .remote
                .as_ref()
                .map(|r| self.upload_radius(r))
                .unwrap_or(RadiusRef::Uploaded),
        };
        // Under the `split` overflow policy an overflowing strategy request falls back to (a), whose
        // remote parts split themselves under MAXREC; under `fail` the overflow is the answer.
        let defaults = FederationOptions::default();
        let config = context.session_config().clone();
        let options = config
            .options()
            .extensions
            .get::<FederationOptions>()
            .unwrap_or(&defaults);
        let policy = run.remote.big.service.overflow.unwrap_or(options.overflow);
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

/// Everything one execution needs, owned (it runs inside a stream).
struct Run {
    spec: Arc<CrossmatchSpec>,
    remote: Arc<RemoteStrategy>,
    schema: SchemaRef,
    small_plan: Arc<dyn ExecutionPlan>,
    big_schema: SchemaRef,
    upload_radius: RadiusRef,
}

/// The small side's rows with their positions and radii (NaN where NULL: such rows match nothing).
struct SmallRows {
    batch: RecordBatch,
    lon: Vec<f64>,
    lat: Vec<f64>,
    /// Per-row radius when the radius is constant or a column of the small side.
    radius: Option<Vec<f64>>,
}

impl SmallRows {
    fn usable(&self, i: usize) -> bool {
        let ok = |v: Option<&f64>| v.is_some_and(|x| x.is_finite());
        ok(self.lon.get(i))
            && ok(self.lat.get(i))
            && self
                .radius
                .as_ref()
                .is_none_or(|r| r.get(i).is_some_and(|x| x.is_finite() && *x >= 0.0))
    }

    fn circle(&self, i: usize) -> Option<Circle> {
        if !self.usable(i) {
            return None;
        }
        Some(Circle {
            lon: *self.lon.get(i)?,
            lat: *self.lat.get(i)?,
            radius: (*self.radius.as_ref()?.get(i)? + CIRCLE_PAD_DEG).min(180.0),
        })
    }
}

fn values(a: &ArrayRef) -> Result<Vec<f64>> {
    let a = cast(a, &DataType::Float64)?;
    Ok(a.as_primitive::<Float64Type>()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

fn eval(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<Vec<f64>> {
    values(&e.evaluate(batch)?.into_array(batch.num_rows())?)
}

fn mask_of(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<BooleanArray> {
    let mask = e.evaluate(batch)?.into_array(batch.num_rows())?;
    let mask = mask.as_boolean_opt().ok_or_else(|| {
        DataFusionError::Execution("cross-service join: a filter is not boolean".into())
    })?;
    // NULL counts as false.
    Ok(mask.iter().map(|v| Some(v == Some(true))).collect())
}

impl Run {
    fn positions(&self, side: Side) -> &(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>) {
        match side {
            Side::Left => &self.spec.left_position,
            Side::Right => &self.spec.right_position,
        }
    }

    async fn small_rows(&self, context: Arc<TaskContext>) -> Result<SmallRows> {
        let schema = self.small_plan.schema();
        let batches = collect(Arc::clone(&self.small_plan), context).await?;
        let batch = concat_batches(&schema, &batches)?;
        let small = self.remote.small;
        let (lon, lat) = self.positions(small);
        let radius = match &self.spec.radius {
            ExecRadius::Constant(r) => Some(vec![*r; batch.num_rows()]),
            ExecRadius::Column(side, e) if *side == small => Some(eval(e, &batch)?),
            ExecRadius::Column(..) => None,
        };
        Ok(SmallRows {
            lon: eval(lon, &batch)?,
            lat: eval(lat, &batch)?,
            radius,
            batch,
        })
    }

    async fn run(self, strategy: Strategy, context: Arc<TaskContext>) -> Result<Vec<RecordBatch>> {
        let small = self.small_rows(Arc::clone(&context)).await?;
        match strategy {
            Strategy::UploadJoin => self.upload(&small).await,
            Strategy::BatchedCones => self.cones(&small).await,
            _ => self.region(small, context).await,
        }
    }

    /// (b): the small side's positions uploaded in blocks, joined by the big side's service.
    async fn upload(&self, small: &SmallRows) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let usable: Vec<usize> = (0..small.batch.num_rows())
            .filter(|i| {
                small.usable(*i)
                    || (small.radius.is_none()
                        && small.lon.get(*i).is_some_and(|x| x.is_finite())
                        && small.lat.get(*i).is_some_and(|x| x.is_finite()))
            })
            .collect();
        let with_radius = matches!(self.upload_radius, RadiusRef::Uploaded);
        let mut fields = vec![
            Field::new("xsj_row", DataType::Int64, false),
            Field::new("xsj_lon", DataType::Float64, false),
            Field::new("xsj_lat", DataType::Float64, false),
        ];
        if with_radius {
            fields.push(Field::new("xsj_r", DataType::Float64, false));
        }
        let upload_schema = Arc::new(Schema::new(fields));
        let mut result_fields = vec![Field::new("xsj_row", DataType::Int64, true)];
        result_fields.extend(
            big.remote_schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone()),
        );
        let result_schema = Arc::new(Schema::new(result_fields));

        let mut small_idx: Vec<u32> = Vec::new();
        let mut remote_batches = Vec::new();
        for (block, rows) in usable
            .chunks(self.remote.upload_block_rows.max(1))
            .enumerate()
        {
            let name = format!("xsj_{}", block + 1);
            let get = |v: &Vec<f64>, i: &usize| v.get(*i).copied().unwrap_or(f64::NAN);
            let mut columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|i| *i as i64))),
                Arc::new(Float64Array::from_iter_values(
                    rows.iter().map(|i| get(&small.lon, i)),
                )),
                Arc::new(Float64Array::from_iter_values(
                    rows.iter().map(|i| get(&small.lat, i)),
                )),
            ];
            if with_radius {
                let radius = small.radius.as_ref().ok_or_else(|| {
                    DataFusionError::Internal("upload join without a radius".into())
                })?;
                columns.push(Arc::new(Float64Array::from_iter_values(
                    rows.iter()
                        .map(|i| (get(radius, i) + CIRCLE_PAD_DEG).min(180.0)),
                )));
            }
            let batch = RecordBatch::try_new(Arc::clone(&upload_schema), columns)?;
            let query = adql::upload_join(big.as_query(), &name, &self.upload_radius);
            let upload = UploadTable { name, batch };
            let batches = fetch(&big.service, &query, vec![upload], &result_schema).await?;
            for b in batches {
                let rows = b.column(0).as_primitive_opt::<Int64Type>().ok_or_else(|| {
                    DataFusionError::Internal("upload join: row numbers are not integers".into())
                })?;
                small_idx.extend(rows.iter().map(|r| r.unwrap_or(-1).max(-1) as u32));
                let rest: Vec<ArrayRef> = b.columns().iter().skip(1).cloned().collect();
                remote_batches.push(RecordBatch::try_new(Arc::clone(&big.remote_schema), rest)?);
            }
        }
        let remote = concat_batches(&big.remote_schema, &remote_batches)?;
        self.finish_pairs(small, small_idx, remote)
    }

    /// (c): one cone query per distinct small-row circle (observations of one target share it), a
    /// bounded number in flight; each cone's rows pair only with the rows of that circle.
    async fn cones(&self, small: &SmallRows) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let mut groups: BTreeMap<(u64, u64, u64), (Circle, Vec<usize>)> = BTreeMap::new();
        for i in 0..small.batch.num_rows() {
            if let Some(c) = small.circle(i) {
                groups
                    .entry((c.lon.to_bits(), c.lat.to_bits(), c.radius.to_bits()))
                    .or_insert_with(|| (c, Vec::new()))
                    .1
                    .push(i);
            }
        }
        let requests: Vec<(Vec<usize>, Query)> = groups
            .into_values()
            .map(|(circle, rows)| (rows, adql::cone_union(big.as_query(), &[circle])))
            .collect();
        let results: Vec<(Vec<usize>, Vec<RecordBatch>)> = futures::stream::iter(requests)
            .map(|(rows, query)| {
                let service = Arc::clone(&big.service);
                let schema = Arc::clone(&big.remote_schema);
                async move {
                    fetch(&service, &query, Vec::new(), &schema)
                        .await
                        .map(|batches| (rows, batches))
                }
            })
            .buffer_unordered(self.remote.cone_concurrency.max(1))
            .try_collect()
            .await?;
        let mut small_idx = Vec::new();
        let mut remote_batches = Vec::new();
        for (rows, batches) in results {
            for i in rows {
                for b in &batches {
                    small_idx.extend(std::iter::repeat_n(i as u32, b.num_rows()));
                    remote_batches.push(b.clone());
                }
            }
        }
        let remote = concat_batches(&big.remote_schema, &remote_batches)?;
        self.finish_pairs(small, small_idx, remote)
    }

    /// (d): one query for the union of the small side's cones, then the local crossmatch.
    async fn region(
        &self,
        small: SmallRows,
        context: Arc<TaskContext>,
    ) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let mut circles: Vec<Circle> = (0..small.batch.num_rows())
            .filter_map(|i| small.circle(i))
            .collect();
        // One circle per distinct cone.
        circles.sort_by(|a, b| {
            (a.lon.total_cmp(&b.lon))
                .then(a.lat.total_cmp(&b.lat))
                .then(a.radius.total_cmp(&b.radius))
        });
        circles.dedup();
        let candidates = if circles.is_empty() {
            RecordBatch::new_empty(Arc::clone(&self.big_schema))
        } else {
            let cover = adql::cover(&circles, self.remote.region_max_circles.max(1));
            let query = adql::cone_union(big.as_query(), &cover);
            let batches = fetch(&big.service, &query, Vec::new(), &big.remote_schema).await?;
            let remote = concat_batches(&big.remote_schema, &batches)?;
            self.big_rows(&remote)?
        };
        let small_exec = MemorySourceConfig::try_new_exec(
            &[vec![small.batch.clone()]],
            small.batch.schema(),
            None,
        )?;
        let big_exec = MemorySourceConfig::try_new_exec(
            &[vec![candidates]],
            Arc::clone(&self.big_schema),
            None,
        )?;
        let (left, right): (Arc<dyn ExecutionPlan>, Arc<dyn ExecutionPlan>) =
            match self.remote.small {
                Side::Left => (small_exec, big_exec),
                Side::Right => (big_exec, small_exec),
            };
        let exec = Arc::new(CrossmatchExec::new(
            left,
            right,
            (*self.spec).clone(),
            Arc::clone(&self.schema),
        ));
        collect(exec as Arc<dyn ExecutionPlan>, context).await
    }

    /// The big side's rows from rows of its remote query: its local filter and projection.
    fn big_rows(&self, remote: &RecordBatch) -> Result<RecordBatch> {
        let big = &self.remote.big;
        let remote = match &big.filter {
            Some(f) => filter_record_batch(remote, &mask_of(f, remote)?)?,
            None => remote.clone(),
        };
        self.project_big(&remote)
    }

    fn project_big(&self, remote: &RecordBatch) -> Result<RecordBatch> {
        let columns = self
            .remote
            .big
            .exprs
            .iter()
            .zip(self.big_schema.fields())
            .map(|(e, f)| {
                let c = e.evaluate(remote)?.into_array(remote.num_rows())?;
                Ok(if c.data_type() == f.data_type() {
                    c
                } else {
                    cast(&c, f.data_type())?
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let options = datafusion::arrow::record_batch::RecordBatchOptions::new()
            .with_row_count(Some(remote.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.big_schema),
            columns,
            &options,
        )?)
    }

    /// (b) and (c): candidate pairs (small row, big remote row) → the join's rows: the big side's
    /// local part, the exact distance test, best match, the remaining filter, outer padding.
    fn finish_pairs(
        &self,
        small: &SmallRows,
        small_idx: Vec<u32>,
        remote: RecordBatch,
    ) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let spec = &self.spec;
        let side = self.remote.small;
        // The big side's local filter, then its projection.
        let (small_idx, remote) = match &big.filter {
            Some(f) => {
                let mask = mask_of(f, &remote)?;
                let idx = UInt32Array::from(small_idx);
                let idx = datafusion::arrow::compute::filter(&idx, &mask)?;
                let idx: Vec<u32> = idx
                    .as_primitive::<datafusion::arrow::datatypes::UInt32Type>()
                    .values()
                    .to_vec();
                (idx, filter_record_batch(&remote, &mask)?)
            }
            None => (small_idx, remote),
        };
        let big_rows = self.project_big(&remote)?;
        // Exact distance test.
        let (blon, blat) = self.positions(side.other());
        let (blon, blat) = (eval(blon, &big_rows)?, eval(blat, &big_rows)?);
        let big_radius = match &spec.radius {
            ExecRadius::Column(s, e) if *s != side => Some(eval(e, &big_rows)?),
            _ => None,
        };
        let mut keep: Vec<(u32, u32, f64)> = Vec::new();
        for (k, s) in small_idx.iter().enumerate() {
            let si = *s as usize;
            let (Some(slon), Some(slat)) = (small.lon.get(si), small.lat.get(si)) else {
                continue;
            };
            let (Some(bl), Some(bb)) = (blon.get(k), blat.get(k)) else {
                continue;
            };
            let r = match (&small.radius, &big_radius) {
                (Some(r), _) => r.get(si).copied().unwrap_or(f64::NAN),
                (None, Some(r)) => r.get(k).copied().unwrap_or(f64::NAN),
                (None, None) => f64::NAN,
            };
            let d = adql_geom::distance(*slon, *slat, *bl, *bb);
            let inside = if spec.strict { d < r } else { d <= r };
            if inside {
                keep.push((*s, k as u32, d));
            }
        }
        if spec.best {
            // Nearest big row per small row (the planner allows best only when the small side probes).
            keep.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.total_cmp(&b.2)).then(a.1.cmp(&b.1)));
            keep.dedup_by_key(|p| p.0);
        } else {
            keep.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        let small_take = UInt32Array::from_iter_values(keep.iter().map(|p| p.0));
        let big_take = UInt32Array::from_iter_values(keep.iter().map(|p| p.1));
        let mut joined = self.assemble(&small.batch, &small_take, &big_rows, &big_take)?;
        let mut matched = small_take;
        if let Some(filter) = &spec.filter {
            let mask = mask_of(filter, &joined)?;
            joined = filter_record_batch(&joined, &mask)?;
            matched = datafusion::arrow::compute::filter(&matched, &mask)?
                .as_primitive()
                .clone();
        }
        let preserves_small = matches!(
            (spec.join_type, side),
            (JoinType::Left, Side::Left) | (JoinType::Right, Side::Right)
        );
        if !preserves_small {
            return Ok(vec![joined]);
        }
        let mut seen = vec![false; small.batch.num_rows()];
        for row in matched.values() {
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
            return Ok(vec![joined]);
        }
        let nulls = UInt32Array::new_null(unmatched.len());
        let padded = self.assemble(&small.batch, &unmatched, &big_rows, &nulls)?;
        Ok(vec![joined, padded])
    }

    /// Output rows: small rows `small_idx` beside big rows `big_idx`, left columns first.
    fn assemble(
        &self,
        small: &RecordBatch,
        small_idx: &UInt32Array,
        big: &RecordBatch,
        big_idx: &UInt32Array,
    ) -> Result<RecordBatch> {
        let take_all = |batch: &RecordBatch, idx: &UInt32Array| -> Result<Vec<ArrayRef>> {
            batch
                .columns()
                .iter()
                .map(|c| Ok(take(c.as_ref(), idx, None)?))
                .collect()
        };
        let (s, b) = (take_all(small, small_idx)?, take_all(big, big_idx)?);
        let columns: Vec<ArrayRef> = match self.remote.small {
            Side::Left => s.into_iter().chain(b).collect(),
            Side::Right => b.into_iter().chain(s).collect(),
        };
        let columns = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| {
                if c.data_type() == f.data_type() {
                    Ok(c)
                } else {
                    Ok(cast(&c, f.data_type())?)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let options = datafusion::arrow::record_batch::RecordBatchOptions::new()
            .with_row_count(Some(small_idx.len()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &options,
        )?)
    }
}

/// Runs `query` on `service` (with `uploads`) and returns every row, conformed to `schema`; an answer cut
/// short is [`FederationError::Overflow`].
pub(crate) async fn fetch(
    service: &Arc<RemoteService>,
    query: &Query,
    uploads: Vec<UploadTable>,
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>> {
    let answer = Box::pin(service.fetch(query, uploads, Some(Arc::clone(schema)))).await?;
    Ok(Box::pin(answer.collect_complete()).await?)
}
