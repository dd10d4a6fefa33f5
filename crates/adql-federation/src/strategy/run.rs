//! Running strategies (b), (c) and (d): the small side's rows, the queries built from them for the big
//! side's service, and the candidate pairs that come back turned into the join's rows by the engine's
//! [`PairStep`].

use std::collections::BTreeMap;
use std::sync::Arc;

use adql_engine::crossmatch::{
    CrossmatchExec, CrossmatchSpec, ExecRadius, PairStep, Pairs, Side, SideColumns, evaluate_f64,
};
use adql_syntax::ast::{Ident, Query};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch,
    RecordBatchOptions, UInt32Array,
};
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef, UInt32Type};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{ExecutionPlan, collect};
use futures::{StreamExt, TryStreamExt};

use super::adql::{self, BigQuery, Circle, RadiusRef};
use super::cost::Strategy;
use crate::executor::{PlannedRequest, RequestKind, UploadTable};
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
    /// Rows per uploaded table (within the big side's service's upload limit).
    pub upload_block_rows: usize,
    /// Upload joins in flight at once.
    pub upload_concurrency: usize,
    /// Cone queries in flight at once.
    pub cone_concurrency: usize,
    /// Most circles of a region query.
    pub region_max_circles: usize,
}

impl RemoteStrategy {
    /// The radius an upload join writes: the constant (padded), a column of the big side (plus the
    /// pad), or the uploaded per-row column.
    pub fn upload_radius(&self, radius: &ExecRadius) -> RadiusRef {
        match (radius, &self.big.radius) {
            (ExecRadius::Constant(r), _) => RadiusRef::Constant(r + CIRCLE_PAD_DEG),
            (ExecRadius::Column(side, _), Some(name)) if *side != self.small => {
                RadiusRef::BigColumn(name.clone(), CIRCLE_PAD_DEG)
            }
            _ => RadiusRef::Uploaded,
        }
    }
}

/// Everything one execution of a strategy needs, owned (it runs inside a stream).
pub(super) struct Run {
    pub(super) spec: Arc<CrossmatchSpec>,
    pub(super) remote: Arc<RemoteStrategy>,
    /// The join's output schema: left columns, then right columns.
    pub(super) schema: SchemaRef,
    pub(super) small_plan: Arc<dyn ExecutionPlan>,
    pub(super) big_schema: SchemaRef,
}

/// The small side's rows with their positions and radii (NaN where NULL: such rows match nothing).
struct SmallRows {
    batch: RecordBatch,
    lon: Float64Array,
    lat: Float64Array,
    /// The radius per row, when it is a column of the small side.
    radius: Option<Float64Array>,
    /// The radius, when it is constant.
    constant: Option<f64>,
}

impl SmallRows {
    /// The radius of row `i`, when it does not depend on the big side.
    fn radius(&self, i: usize) -> Option<f64> {
        match (&self.radius, self.constant) {
            (Some(r), _) => (i < r.len()).then(|| r.value(i)),
            (None, c) => c,
        }
    }

    fn has_position(&self, i: usize) -> bool {
        i < self.lon.len()
            && i < self.lat.len()
            && self.lon.value(i).is_finite()
            && self.lat.value(i).is_finite()
    }

    /// Whether row `i` can match anything: a position, and a usable radius where the small side gives it.
    fn usable(&self, i: usize) -> bool {
        self.has_position(i)
            && (self.radius.is_none() && self.constant.is_none()
                || self.radius(i).is_some_and(|r| r.is_finite() && r >= 0.0))
    }

    /// The cone of row `i`, padded (see [`CIRCLE_PAD_DEG`]).
    fn circle(&self, i: usize) -> Option<Circle> {
        if !self.usable(i) {
            return None;
        }
        Some(Circle {
            lon: self.lon.value(i),
            lat: self.lat.value(i),
            radius: (self.radius(i)? + CIRCLE_PAD_DEG).min(180.0),
        })
    }
}

/// `e` over `batch` as a mask, NULL as false.
fn mask_of(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<BooleanArray> {
    let mask = e.evaluate(batch)?.into_array(batch.num_rows())?;
    let mask = mask.as_boolean_opt().ok_or_else(|| {
        DataFusionError::Execution("cross-service join: a filter is not boolean".into())
    })?;
    Ok(mask.iter().map(|v| Some(v == Some(true))).collect())
}

impl Run {
    async fn small_rows(&self, context: Arc<TaskContext>) -> Result<SmallRows> {
        let schema = self.small_plan.schema();
        let batches = collect(Arc::clone(&self.small_plan), context).await?;
        let batch = concat_batches(&schema, &batches)?;
        let small = self.remote.small;
        let (lon, lat) = self.spec.position(small);
        let (radius, constant) = match &self.spec.radius {
            ExecRadius::Constant(r) => (None, Some(*r)),
            ExecRadius::Column(side, e) if *side == small => (Some(evaluate_f64(e, &batch)?), None),
            ExecRadius::Column(..) => (None, None),
        };
        Ok(SmallRows {
            lon: evaluate_f64(lon, &batch)?,
            lat: evaluate_f64(lat, &batch)?,
            radius,
            constant,
            batch,
        })
    }

    /// The join's rows by `strategy`.
    pub(super) async fn run(
        self,
        strategy: Strategy,
        context: Arc<TaskContext>,
    ) -> Result<Vec<RecordBatch>> {
        let small = self.small_rows(Arc::clone(&context)).await?;
        match strategy {
            Strategy::UploadJoin => {
                let policy = self
                    .remote
                    .big
                    .service
                    .overflow_policy(FederationOptions::of(&context).overflow);
                self.upload(&small, policy == OverflowPolicy::Split).await
            }
            Strategy::BatchedCones => self.cones(&small).await,
            _ => self.region(small, context).await,
        }
    }

    /// (b)'s requests: the small side's positions in blocks (with the radius when it is per row of the
    /// small side), each joined by the big side's service.
    fn upload_blocks(&self, small: &SmallRows) -> Result<Vec<(Query, UploadTable)>> {
        self.uploaded_rows(small)
            .chunks(self.remote.upload_block_rows.max(1))
            .enumerate()
            .map(|(block, rows)| self.upload_block(small, rows, block + 1))
            .collect()
    }

    /// The small side's rows that are uploaded: those with a position (and a radius, when it is
    /// uploaded; a row whose radius comes from the big side is uploaded with its position alone).
    fn uploaded_rows(&self, small: &SmallRows) -> Vec<usize> {
        let with_radius = matches!(
            self.remote.upload_radius(&self.spec.radius),
            RadiusRef::Uploaded
        );
        (0..small.batch.num_rows())
            .filter(|&i| small.usable(i) || (!with_radius && small.has_position(i)))
            .collect()
    }

    /// The upload join of the small side's `rows` as table `xsj_<n>`.
    fn upload_block(
        &self,
        small: &SmallRows,
        rows: &[usize],
        n: usize,
    ) -> Result<(Query, UploadTable)> {
        let upload_radius = self.remote.upload_radius(&self.spec.radius);
        let with_radius = matches!(upload_radius, RadiusRef::Uploaded);
        let mut fields = vec![
            Field::new("xsj_row", DataType::Int64, false),
            Field::new("xsj_lon", DataType::Float64, false),
            Field::new("xsj_lat", DataType::Float64, false),
        ];
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|&i| i as i64))),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|&i| small.lon.value(i)),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|&i| small.lat.value(i)),
            )),
        ];
        if with_radius {
            fields.push(Field::new("xsj_r", DataType::Float64, false));
            columns.push(Arc::new(Float64Array::from_iter_values(rows.iter().map(
                |&i| (small.radius(i).unwrap_or(f64::NAN) + CIRCLE_PAD_DEG).min(180.0),
            ))));
        }
        let name = format!("xsj_{n}");
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        let query = adql::upload_join(self.remote.big.as_query(), &name, &upload_radius);
        Ok((query, UploadTable { name, batch }))
    }

    /// (b): the small side's positions uploaded in blocks, joined by the big side's service; `split`
    /// halves a block whose answer overflows.
    async fn upload(&self, small: &SmallRows, split: bool) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let mut result_fields = vec![Field::new("xsj_row", DataType::Int64, true)];
        result_fields.extend(
            big.remote_schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone()),
        );
        let result_schema = Arc::new(Schema::new(result_fields));
        // The blocks, each a table of its own, a bounded number in flight; a block whose answer is cut
        // at MAXREC is sent again in halves.
        let uploaded = self.uploaded_rows(small);
        let answers: Vec<Vec<RecordBatch>> = futures::stream::iter(
            uploaded
                .chunks(self.remote.upload_block_rows.max(1))
                .map(<[usize]>::to_vec)
                .enumerate(),
        )
        .map(|(block, rows)| {
            let schema = Arc::clone(&result_schema);
            async move {
                big.service
                    .fetch_halving(0..rows.len(), &schema, split, |range| {
                        let (query, upload) = self.upload_block(small, &rows[range], block + 1)?;
                        Ok((query, vec![upload]))
                    })
                    .await
            }
        })
        .buffer_unordered(self.remote.upload_concurrency.max(1))
        .try_collect()
        .await?;
        let mut small_idx: Vec<u32> = Vec::new();
        let mut remote_batches = Vec::new();
        for b in answers.into_iter().flatten() {
            let rows = b.column(0).as_primitive_opt::<Int64Type>().ok_or_else(|| {
                DataFusionError::Internal("upload join: row numbers are not integers".into())
            })?;
            for row in rows.iter() {
                // Only rows that were uploaded can come back.
                let row = row
                    .and_then(|r| u32::try_from(r).ok())
                    .filter(|r| (*r as usize) < small.batch.num_rows())
                    .ok_or_else(|| {
                        DataFusionError::Execution(format!(
                            "service {} ({}) answered the upload join with a row number that was \
                             not uploaded",
                            big.service.name, big.service.url
                        ))
                    })?;
                small_idx.push(row);
            }
            let rest: Vec<ArrayRef> = b.columns().iter().skip(1).cloned().collect();
            remote_batches.push(RecordBatch::try_new(Arc::clone(&big.remote_schema), rest)?);
        }
        let remote = concat_batches(&big.remote_schema, &remote_batches)?;
        self.join_candidates(small, small_idx, remote)
    }

    /// (c): one cone query per distinct small-row circle (observations of one target share it), a
    /// bounded number in flight; each cone's rows pair only with the rows of that circle.
    async fn cones(&self, small: &SmallRows) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let requests = self.cone_requests(small);
        let results: Vec<(Vec<usize>, Vec<RecordBatch>)> = futures::stream::iter(requests)
            .map(|(rows, query)| {
                let service = Arc::clone(&big.service);
                let schema = Arc::clone(&big.remote_schema);
                async move {
                    service
                        .fetch_all(&query, Vec::new(), schema)
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
        self.join_candidates(small, small_idx, remote)
    }

    /// (c)'s requests: one per distinct small-row circle, with the small rows it answers.
    fn cone_requests(&self, small: &SmallRows) -> Vec<(Vec<usize>, Query)> {
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
        groups
            .into_values()
            .map(|(circle, rows)| {
                (
                    rows,
                    adql::cone_union(self.remote.big.as_query(), &[circle]),
                )
            })
            .collect()
    }

    /// (d)'s request: the union of the small side's distinct cones (covered by larger circles beyond
    /// the model's most); `None` when no small row has a cone.
    fn region_request(&self, small: &SmallRows) -> Option<Query> {
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
        if circles.is_empty() {
            return None;
        }
        let cover = adql::cover(&circles, self.remote.region_max_circles.max(1));
        Some(adql::cone_union(self.remote.big.as_query(), &cover))
    }

    /// Every request `strategy` sends for the small side's rows, in order, with the rows of the tables
    /// it uploads (what EXPLAIN lists).
    pub(super) async fn requests(
        &self,
        strategy: Strategy,
        context: Arc<TaskContext>,
    ) -> Result<Vec<PlannedRequest>> {
        let small = self.small_rows(context).await?;
        Ok(match strategy {
            Strategy::UploadJoin => self
                .upload_blocks(&small)?
                .into_iter()
                .map(|(query, upload)| {
                    let rows = upload.batch.num_rows();
                    PlannedRequest {
                        kind: RequestKind::UploadJoin,
                        query,
                        uploads: vec![(upload.name, rows)],
                    }
                })
                .collect(),
            Strategy::BatchedCones => self
                .cone_requests(&small)
                .into_iter()
                .map(|(_, query)| PlannedRequest::plain(RequestKind::Cone, query))
                .collect(),
            Strategy::RegionPrefetch => self
                .region_request(&small)
                .into_iter()
                .map(|query| PlannedRequest::plain(RequestKind::Region, query))
                .collect(),
            Strategy::LocalCrossmatch => Vec::new(),
        })
    }

    /// (d): one query for the union of the small side's cones, then the local crossmatch.
    async fn region(
        &self,
        small: SmallRows,
        context: Arc<TaskContext>,
    ) -> Result<Vec<RecordBatch>> {
        let big = &self.remote.big;
        let candidates = if let Some(query) = self.region_request(&small) {
            let batches = big
                .service
                .fetch_all(&query, Vec::new(), Arc::clone(&big.remote_schema))
                .await?;
            let remote = concat_batches(&big.remote_schema, &batches)?;
            self.big_rows(&remote)?
        } else {
            RecordBatch::new_empty(Arc::clone(&self.big_schema))
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

    /// The big side's rows from rows of its remote query: its local filter, then its projection.
    fn big_rows(&self, remote: &RecordBatch) -> Result<RecordBatch> {
        let remote = match &self.remote.big.filter {
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
        let options = RecordBatchOptions::new().with_row_count(Some(remote.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.big_schema),
            columns,
            &options,
        )?)
    }

    /// (b) and (c): candidate pairs (small row `small_idx[k]`, row `k` of the big side's `remote`
    /// answer) → the join's rows: the big side's local part, then the engine's [`PairStep`] (the exact
    /// distance test, best match, the remaining filter, outer padding of the small side).
    fn join_candidates(
        &self,
        small: &SmallRows,
        small_idx: Vec<u32>,
        remote: RecordBatch,
    ) -> Result<Vec<RecordBatch>> {
        // The big side's local filter keeps some candidates, then its projection makes its rows.
        let (small_idx, remote) = match &self.remote.big.filter {
            Some(f) => {
                let mask = mask_of(f, &remote)?;
                let idx = datafusion::arrow::compute::filter(&UInt32Array::from(small_idx), &mask)?;
                let idx = idx.as_primitive::<UInt32Type>().values().to_vec();
                (idx, filter_record_batch(&remote, &mask)?)
            }
            None => (small_idx, remote),
        };
        let big_rows = self.project_big(&remote)?;
        let big_idx: Vec<u32> = (0..big_rows.num_rows() as u32).collect();

        let small_side = self.remote.small;
        let big_side = small_side.other();
        let left_columns = match small_side {
            Side::Left => small.batch.num_columns(),
            Side::Right => big_rows.num_columns(),
        };
        let step = PairStep::new(
            Arc::clone(&self.spec),
            Arc::clone(&self.schema),
            left_columns,
            None,
        )?;
        let (lon, lat) = self.spec.position(big_side);
        let (big_lon, big_lat) = (evaluate_f64(lon, &big_rows)?, evaluate_f64(lat, &big_rows)?);
        let big_radius = match &self.spec.radius {
            ExecRadius::Column(side, e) if *side == big_side => Some(evaluate_f64(e, &big_rows)?),
            _ => None,
        };
        let small_columns = step.columns(small_side, std::slice::from_ref(&small.batch))?;
        let big_columns = step.columns(big_side, std::slice::from_ref(&big_rows))?;
        let small_rows = SideColumns {
            rows: small.batch.num_rows(),
            columns: &small_columns,
            radius: small.radius.as_ref(),
        };
        let big = SideColumns {
            rows: big_rows.num_rows(),
            columns: &big_columns,
            radius: big_radius.as_ref(),
        };
        let small_position = (small.lon.values().as_ref(), small.lat.values().as_ref());
        let big_position = (big_lon.values().as_ref(), big_lat.values().as_ref());
        let rows = match small_side {
            Side::Left => step.rows(
                &small_rows,
                &big,
                Pairs::measured(small_idx, big_idx, small_position, big_position),
            )?,
            Side::Right => step.rows(
                &big,
                &small_rows,
                Pairs::measured(big_idx, small_idx, big_position, small_position),
            )?,
        };
        Ok(vec![rows])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_rows_with_a_position_and_a_radius_make_circles() {
        let rows = |radius: Option<Vec<f64>>, constant: Option<f64>| SmallRows {
            batch: RecordBatch::new_empty(Arc::new(Schema::empty())),
            lon: Float64Array::from(vec![10.0, f64::NAN, 10.0]),
            lat: Float64Array::from(vec![5.0, 5.0, 5.0]),
            radius: radius.map(Float64Array::from),
            constant,
        };
        let constant = rows(None, Some(0.5));
        assert_eq!(constant.circle(0).unwrap().radius, 0.5 + CIRCLE_PAD_DEG);
        assert!(constant.circle(1).is_none(), "no position");
        let per_row = rows(Some(vec![0.1, 0.1, -1.0]), None);
        assert!(per_row.circle(0).is_some());
        assert!(per_row.circle(2).is_none(), "negative radius");
        // A radius of the big side: every row with a position can match, none makes a circle.
        let big = rows(None, None);
        assert!(big.usable(0) && !big.usable(1));
        assert!(big.circle(0).is_none());
    }
}
