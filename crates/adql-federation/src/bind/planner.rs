//! [`BindJoinPlanner`]: whether a bind join sends one side's keys to the other side's service, and how.

use std::sync::Arc;

use adql_syntax::ast::Ident;
use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::logical_plan::Join;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::physical_planner::{ExtensionPlanner, PhysicalPlanner};

use super::exec::{Binding, BoundScanExec, KeyTransport};
use super::lookup::{Inputs, LookupBinder};
use super::node::BindJoin;
use super::reduce::{answered, distinct_keys, is_text, reducible};
use crate::estimate::first_rows;
use crate::remote_query_exec::RemoteQueryExec;
use crate::service::{RemoteService, ServiceRegistry};
use crate::side::{InputSource, RowWise, read_local, row_wise, substitute};
use crate::strategy::CostModel;
use crate::unparser::literal;

/// Plans [`BindJoin`] nodes. The join itself is DataFusion's (a hash join, with every semantics of its
/// type: duplicates, NULL keys, outer rows, semi and anti joins, `NOT IN`); what this planner decides is
/// whether the bigger side is fetched whole or only for the smaller side's keys.
///
/// A side can be bound only when dropping its rows whose key matches nothing leaves the answer as it is
/// (not the preserved side of an outer join, not the side an anti join returns), and it is one remote
/// query under local projections and filters whose key is a column of that query. The smaller side must
/// be known: a local side read while planning, or a remote side that came back whole under
/// `TOP upload_block_rows + 1`. Then the cost model compares fetching the big side whole with sending
/// the distinct keys as `IN` lists (1000 a request) or as uploaded tables (when the service declares
/// `TAP_UPLOAD`); EXPLAIN shows the choice on the [`BoundScanExec`] line.
#[derive(Debug, Clone)]
pub struct BindJoinPlanner {
    services: Arc<ServiceRegistry>,
    model: CostModel,
}

impl BindJoinPlanner {
    /// A planner for the services of `services`, choosing with `model`.
    pub fn new(services: Arc<ServiceRegistry>, model: CostModel) -> Self {
        Self { services, model }
    }
}

/// One input as read while planning.
struct SideRows {
    /// Its output rows, when it was read whole.
    batches: Option<Vec<RecordBatch>>,
    /// Its rows (at least this many when `exact` is false), when known.
    rows: Option<u64>,
    exact: bool,
    /// The remote query under it, for a remote side that is one.
    rw: Option<RowWise>,
    /// The remote query's rows, when the planner fetched them whole.
    remote_rows: Option<Vec<RecordBatch>>,
}

impl BindJoinPlanner {
    /// Reads one input while planning: a local input whole (up to the model's local cap); a remote one
    /// counted (capped) and, concurrently, fetched under `TOP upload_block_rows + 1`, which answers it
    /// when it is small.
    async fn read_side(
        &self,
        input: &InputSource,
        logical: &LogicalPlan,
        physical: &Arc<dyn ExecutionPlan>,
        session: &dyn Session,
    ) -> SideRows {
        let unknown = |rw| SideRows {
            batches: None,
            rows: None,
            exact: false,
            rw,
            remote_rows: None,
        };
        if input.is_local() {
            let read = read_local(physical, self.model.local_rows_cap, session).await;
            return SideRows {
                exact: read.batches.is_some(),
                rows: read.rows,
                batches: read.batches,
                rw: None,
                remote_rows: None,
            };
        }
        let Some(rw) = row_wise(logical) else {
            return unknown(None);
        };
        let Ok(service) = self.services.get(&rw.query.service) else {
            return unknown(Some(rw));
        };
        let block = self.model.upload_block_rows as u64;
        let sample = first_rows(&rw.query.query, block.saturating_add(1));
        let (count, sampled) = futures::join!(
            service.row_count(&rw.query.query, self.model.count_cap),
            service.fetch_all(&sample, Vec::new(), Arc::clone(rw.query.schema.inner()))
        );
        let whole = sampled.ok().filter(|batches| {
            batches.iter().map(RecordBatch::num_rows).sum::<usize>() as u64 <= block
        });
        if let Some(rows) = whole {
            // The side's own rows: its local part over the remote rows, run here.
            let output = match answered(Arc::clone(physical), &rw, rows.clone()) {
                Ok(plan) => collect(plan, session.task_ctx()).await.ok(),
                Err(_) => None,
            };
            return SideRows {
                rows: output
                    .as_ref()
                    .map(|b| b.iter().map(RecordBatch::num_rows).sum::<usize>() as u64),
                exact: output.is_some(),
                batches: output,
                rw: Some(rw),
                remote_rows: Some(rows),
            };
        }
        match count {
            Ok(count) => SideRows {
                rows: Some(count.rows),
                exact: count.exact,
                ..unknown(Some(rw))
            },
            Err(_) => unknown(Some(rw)),
        }
    }
}

/// The big side's key as the output name of a column of its remote query: `key` (over the big side's
/// schema) must be such a column, under casts that keep equality (numbers to numbers, text to text).
fn remote_key(key: &Expr, logical: &LogicalPlan, rw: &RowWise, names: &[Ident]) -> Option<Ident> {
    let mut e = substitute(key.clone(), logical.schema(), &rw.exprs)?;
    let column_type = |e: &Expr| {
        let Expr::Column(c) = e else { return None };
        let i = rw.query.schema.index_of_column(c).ok()?;
        Some((i, rw.query.schema.field(i).data_type().clone()))
    };
    while let Expr::Cast(cast) = e {
        let target = cast.field.data_type().clone();
        let inner = *cast.expr;
        let source = match column_type(&inner) {
            Some((_, t)) => t,
            None => match &inner {
                Expr::Cast(c) => c.field.data_type().clone(),
                _ => return None,
            },
        };
        let keeps_equality =
            (source.is_numeric() && target.is_numeric()) || (is_text(&source) && is_text(&target));
        if !keeps_equality {
            return None;
        }
        e = inner;
    }
    let (i, _) = column_type(&e)?;
    names.get(i).cloned()
}

/// How keys of this type may travel: as ADQL literals (`IN`), and as an uploaded VOTable column.
fn transports(keys: &ArrayRef, service: &RemoteService) -> (bool, bool) {
    let t = keys.data_type();
    let simple = t.is_integer() || t.is_floating() || is_text(t);
    let in_list = simple
        && (0..keys.len().min(1)).all(|i| {
            ScalarValue::try_from_array(keys, i)
                .ok()
                .is_some_and(|v| literal(&v).is_ok())
        });
    let upload = simple && service.capabilities.upload;
    (in_list, upload)
}

/// Keys per `IN` list: long enough to save requests, short enough for any service's parser.
const IN_LIST_KEYS: usize = 1000;

#[async_trait]
impl ExtensionPlanner for BindJoinPlanner {
    async fn plan_extension(
        &self,
        planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<BindJoin>() else {
            return Ok(None);
        };
        let ([left_l, right_l], [left_p, right_p]) = (logical_inputs, physical_inputs) else {
            return Err(DataFusionError::Internal(
                "BindJoin takes two inputs".into(),
            ));
        };
        let join = &node.join;
        // DataFusion's own join over the two inputs; only its big side may change below.
        let plain = planner
            .create_physical_plan(&LogicalPlan::Join(join.clone()), session)
            .await?;
        let inputs = Inputs {
            logical: [*left_l, *right_l],
            physical: [left_p, right_p],
        };
        let sources = [&node.left, &node.right];
        let lookups = LookupBinder {
            services: &self.services,
            local_rows_cap: self.model.local_rows_cap,
        };
        if let Some(plan) =
            Box::pin(lookups.plan(join, sources, inputs, Arc::clone(&plain), session)).await?
        {
            return Ok(Some(plan));
        }
        // Boxed: DataFusion's physical planner recurses deeply, and these futures are large.
        let (left, right) = futures::join!(
            Box::pin(self.read_side(&node.left, left_l, left_p, session)),
            Box::pin(self.read_side(&node.right, right_l, right_p, session)),
        );
        let (reduce_left, reduce_right) = reducible(join.join_type);
        // The bound side: reducible, one remote query, not known whole; the other side known whole.
        let choice = if reduce_right && right.batches.is_none() && left.batches.is_some() {
            Some((false, &left, &right, *left_l, *right_l))
        } else if reduce_left && left.batches.is_none() && right.batches.is_some() {
            Some((true, &right, &left, *right_l, *left_l))
        } else {
            None
        };
        // A small remote side is answered by the rows the planner already has.
        let mut plan = plain;
        for side in [&left, &right] {
            if let (Some(rw), Some(rows)) = (&side.rw, &side.remote_rows) {
                plan = answered(plan, rw, rows.clone())?;
            }
        }
        let Some((big_is_left, small, big, small_l, big_l)) = choice else {
            return Ok(Some(plan));
        };
        let Some(binding) = self.binding(join, big_is_left, small, big, small_l, big_l, session)?
        else {
            return Ok(Some(plan));
        };
        let Some(rw) = &big.rw else {
            return Ok(Some(plan));
        };
        let schema = Arc::clone(rw.query.schema.inner());
        let mut bound = Some(BoundScanExec::new(binding, schema));
        let plan = plan
            .transform_up(|p| {
                let replace = p
                    .downcast_ref::<RemoteQueryExec>()
                    .is_some_and(|r| *r.query() == rw.query.query);
                Ok(match (replace, bound.take()) {
                    (true, Some(b)) => Transformed::yes(Arc::new(b) as Arc<dyn ExecutionPlan>),
                    (_, b) => {
                        bound = b;
                        Transformed::no(p)
                    }
                })
            })?
            .data;
        Ok(Some(plan))
    }
}

impl BindJoinPlanner {
    /// The binding of the big side to the small side's keys, when the cost model prefers it to fetching
    /// the big side whole; `None` otherwise (or when no key pair can be bound).
    #[allow(clippy::too_many_arguments)]
    fn binding(
        &self,
        join: &Join,
        big_is_left: bool,
        small: &SideRows,
        big: &SideRows,
        small_l: &LogicalPlan,
        big_l: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Option<Binding>> {
        let (Some(rw), Some(batches)) = (&big.rw, &small.batches) else {
            return Ok(None);
        };
        let Ok(service) = self.services.get(&rw.query.service) else {
            return Ok(None);
        };
        let Some(names) = rw.query.query.output_names() else {
            return Ok(None);
        };
        let names: Vec<Ident> = names.into_iter().cloned().collect();
        // The first key pair whose big key is a column of the remote query and whose small keys travel.
        for (l, r) in &join.on {
            let (small_key, big_key) = if big_is_left { (r, l) } else { (l, r) };
            let Some(key) = remote_key(big_key, big_l, rw, &names) else {
                continue;
            };
            let keys = distinct_keys(small_key, small_l, batches, session)?;
            let (in_list, upload) = transports(&keys, &service);
            if !in_list && !upload {
                continue;
            }
            let Some(transport) = self.cheapest(&keys, big, in_list, upload, &service, rw) else {
                return Ok(None);
            };
            let null_aware = join.null_aware && !big_is_left;
            return Ok(Some(Binding {
                service: Arc::clone(&service),
                query: rw.query.query.clone(),
                names: names.clone(),
                key,
                keys,
                transport: transport.0,
                concurrency: self.model.upload_concurrency.max(1),
                null_aware,
                decision: transport.1,
            }));
        }
        Ok(None)
    }

    /// The cheapest way to get the big side's rows for `keys`: `None` when fetching it whole is cheapest.
    fn cheapest(
        &self,
        keys: &ArrayRef,
        big: &SideRows,
        in_list: bool,
        upload: bool,
        service: &RemoteService,
        rw: &RowWise,
    ) -> Option<(KeyTransport, String)> {
        let m = &self.model;
        let (l, d) = (m.request_latency_s, m.download_per_cell_s);
        let nk = keys.len() as f64;
        let nb = big.rows.unwrap_or(m.unknown_rows) as f64;
        let cb = rw.query.schema.fields().len() as f64;
        let matches = (nk * m.min_matches_per_row).min(nb);
        let rounds = |requests: f64| (requests / m.upload_concurrency.max(1) as f64).ceil();
        let whole = l + d * nb * cb;
        let block = m
            .upload_block_rows
            .min(
                service
                    .capabilities
                    .upload_limit_rows
                    .map_or(usize::MAX, |r| usize::try_from(r).unwrap_or(usize::MAX)),
            )
            .max(1);
        let by_in = in_list.then(|| {
            let requests = (nk / IN_LIST_KEYS as f64).ceil().max(1.0);
            rounds(requests) * l + d * matches * cb
        });
        let by_upload = upload.then(|| {
            let requests = (nk / block as f64).ceil().max(1.0);
            rounds(requests) * (l + m.upload_overhead_s)
                + m.upload_per_cell_s * nk
                + d * matches * cb
        });
        let rows = match (big.rows, big.exact) {
            (Some(n), true) => format!("{n} rows"),
            (Some(n), false) => format!("at least {n} rows"),
            (None, _) => "rows unknown".into(),
        };
        let costs = format!(
            "costs: fetching it whole ({rows}) {whole:.3}s, IN lists {}, TAP_UPLOAD {}",
            by_in.map_or("not possible".into(), |c| format!("{c:.3}s")),
            by_upload.map_or("not possible".into(), |c| format!("{c:.3}s")),
        );
        let best = [
            by_in.map(|c| (c, KeyTransport::InList(IN_LIST_KEYS))),
            by_upload.map(|c| (c, KeyTransport::Upload(block))),
        ]
        .into_iter()
        .flatten()
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
        (best.0 < whole).then(|| {
            (
                best.1,
                format!("the keys are sent because it is cheapest; {costs}"),
            )
        })
    }
}
