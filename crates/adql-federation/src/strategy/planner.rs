//! [`CrossServiceJoinPlanner`]: estimates, the cost model's decision, and the execution plan.

use std::sync::Arc;

use adql_engine::crossmatch::{CrossmatchExec, CrossmatchPlanner, ExecRadius, RadiusSource, Side};
use adql_syntax::ast::Ident;
use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{ExtensionPlanner, PhysicalPlanner};

use super::adql::{self, Circle, RadiusRef};
use super::cost::{CostModel, Decision, Feasibility, SideEstimate, Strategy};
use super::exec::CrossServiceJoinExec;
use super::node::CrossServiceJoin;
use super::run::{BigSide, RemoteStrategy};
use crate::estimate::first_rows;
use crate::remote_query_exec::RemoteQueryExec;
use crate::service::ServiceRegistry;
use crate::side::{InputSource, RowWise, read_local, row_wise, substitute};
use crate::unparser::checked_text;

/// Plans [`CrossServiceJoin`] nodes: sends a `COUNT(*)` probe for each side to its service, asks the
/// [`CostModel`] for the cheapest strategy that keeps the query's meaning, and returns a
/// [`CrossServiceJoinExec`] that prints the decision in `EXPLAIN`.
#[derive(Debug, Clone)]
pub struct CrossServiceJoinPlanner {
    services: Arc<ServiceRegistry>,
    model: CostModel,
}

impl CrossServiceJoinPlanner {
    /// A planner for the services of `services`, choosing with `model`.
    pub fn new(services: Arc<ServiceRegistry>, model: CostModel) -> Self {
        Self { services, model }
    }

    /// Rows of one side: the query itself under `TOP upload_block_rows + 1`: when that returns every row
    /// (the side is small), the count is exact and the rows are the side's answer, so the join does not
    /// ask for them again; otherwise a capped COUNT of its remote query (an upper bound when a local
    /// filter follows). A side that is a table its service says is large is estimated by that size
    /// alone, with no request.
    async fn estimate(
        &self,
        input: &InputSource,
        side: Option<&RowWise>,
        plan: &LogicalPlan,
        physical: &Arc<dyn ExecutionPlan>,
        session: &dyn Session,
    ) -> (SideEstimate, Option<Vec<RecordBatch>>) {
        let columns = plan.schema().fields().len();
        if input.is_local() {
            let read = read_local(physical, self.model.local_rows_cap, session).await;
            let estimate = SideEstimate {
                input: InputSource::Local,
                rows: read.rows,
                columns,
                source: read.source,
            };
            return (estimate, read.batches);
        }
        let unknown = |source: String| SideEstimate {
            input: input.clone(),
            rows: None,
            columns,
            source,
        };
        let Some(side) = side else {
            return (unknown("no COUNT: not one remote query".into()), None);
        };
        let Ok(remote) = self.services.get(&side.query.service) else {
            return (unknown("no COUNT: unknown service".into()), None);
        };
        let cap = self.model.count_cap;
        let block = self.model.upload_block_rows as u64;
        // The side is its table whole and the service says the table is large: that is the estimate,
        // and neither probe is sent.
        if let Some(rows) = side.query.rows_published.filter(|&n| n > block) {
            let estimate = SideEstimate {
                input: input.clone(),
                rows: Some(rows),
                columns,
                source: "the service's published row count".into(),
            };
            return (estimate, None);
        }
        // The sample first: a small side is then known, and answered, by one request. Only a side it
        // does not read whole is counted (a COUNT sent at the same time competes with the sample on
        // the server and is wasted on the small sides that usually come here).
        let sample = first_rows(&side.query.query, block.saturating_add(1));
        let side_schema = Arc::clone(side.query.schema.inner());
        if let Ok(batches) = remote.fetch_all(&sample, Vec::new(), side_schema).await {
            let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
            if n as u64 <= block {
                let estimate = SideEstimate {
                    input: input.clone(),
                    rows: Some(n as u64),
                    columns,
                    source: "fetched while planning".into(),
                };
                return (estimate, Some(batches));
            }
        }
        let estimate = match remote.row_count(&side.query.query, cap).await {
            Ok(count) => SideEstimate {
                input: input.clone(),
                rows: Some(count.rows),
                columns,
                source: if count.exact {
                    "COUNT(*)".into()
                } else {
                    format!("COUNT(*), at least: counting stops past {cap}")
                },
            },
            Err(e) => unknown(format!("COUNT failed: {e}")),
        };
        (estimate, None)
    }

    /// Rows per uploaded table for an upload join whose big side is `big`: the model's block, within the
    /// upload limit the service declares (rows, or bytes at a generous 32 bytes per uploaded value).
    fn upload_block_rows(
        &self,
        big: &std::result::Result<BigSide, String>,
        columns: usize,
    ) -> usize {
        let model = self.model.upload_block_rows.max(1);
        let Ok(big) = big else {
            return model;
        };
        let caps = &big.service.capabilities;
        let by_rows = caps
            .upload_limit_rows
            .map(|r| usize::try_from(r).unwrap_or(usize::MAX));
        let by_bytes = caps
            .upload_limit_bytes
            .map(|b| usize::try_from(b / (32 * columns.max(1) as u64)).unwrap_or(usize::MAX));
        [Some(model), by_rows, by_bytes]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(model)
            .max(1)
    }

    /// How strategies (b)–(d) query `big` (the side `big_side` of `node`), or why they cannot.
    fn big_side(
        &self,
        node: &CrossServiceJoin,
        big_side: Side,
        plan: &LogicalPlan,
        session: &dyn Session,
    ) -> std::result::Result<BigSide, String> {
        let rw = row_wise(plan).ok_or_else(|| {
            "the big side is not one remote query under local projections and filters".to_string()
        })?;
        let service = self
            .services
            .get(&rw.query.service)
            .map_err(|e| e.to_string())?;
        let caps = &service.capabilities;
        if !["POINT", "CIRCLE", "CONTAINS"]
            .iter()
            .all(|g| caps.supports_geometry(g))
        {
            return Err(format!(
                "service {} does not declare POINT, CIRCLE and CONTAINS",
                service.name
            ));
        }
        let names: Vec<Ident> = rw
            .query
            .query
            .output_names()
            .filter(|n| n.len() == rw.query.schema.fields().len())
            .ok_or_else(|| "the big side's remote columns have no ADQL names".to_string())?
            .into_iter()
            .cloned()
            .collect();
        let remote_column = |e: &Expr| -> Option<Ident> {
            let e = substitute(e.clone(), plan.schema(), &rw.exprs)?;
            let mut e = &e;
            while let Expr::Cast(c) = e {
                e = &c.expr;
            }
            let Expr::Column(c) = e else { return None };
            let i = rw.query.schema.index_of_column(c).ok()?;
            names.get(i).cloned()
        };
        let x = &node.xmatch;
        let (lon, lat) = match big_side {
            Side::Left => &x.left_position,
            Side::Right => &x.right_position,
        };
        let position = remote_column(lon).zip(remote_column(lat)).ok_or_else(|| {
            "the big side's position is not a column of its remote query".to_string()
        })?;
        let radius = match x.radius_source {
            RadiusSource::Column(s) if s == big_side => remote_column(&x.radius),
            _ => None,
        };
        let physical = |e: &Expr| {
            session
                .create_physical_expr(e.clone(), &rw.query.schema)
                .map_err(|e| e.to_string())
        };
        let exprs = rw
            .exprs
            .iter()
            .map(physical)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let filter = rw.filter.as_ref().map(physical).transpose()?;
        Ok(BigSide {
            service,
            query: rw.query.query.clone(),
            names,
            remote_schema: Arc::clone(rw.query.schema.inner()),
            position,
            radius,
            exprs,
            filter,
        })
    }

    /// Why (b), (c), (d) with `small` as the small side would change the result or cannot run; `None`
    /// where possible.
    fn feasibility(
        &self,
        node: &CrossServiceJoin,
        small: Side,
        big: &std::result::Result<BigSide, String>,
    ) -> [Option<String>; 3] {
        let x = &node.xmatch;
        let big_side = small.other();
        let common = match big {
            Err(why) => Some(why.clone()),
            Ok(_)
                if matches!(
                    (x.join_type, big_side),
                    (JoinType::Left, Side::Left) | (JoinType::Right, Side::Right)
                ) =>
            {
                Some("the outer join keeps the big side's unmatched rows".into())
            }
            Ok(_) if x.best && x.probe == big_side => {
                Some("the best match is per row of the big side".into())
            }
            Ok(_) => None,
        };
        let Ok(big) = big else {
            return [common.clone(), common.clone(), common];
        };
        if common.is_some() {
            return [common.clone(), common.clone(), common];
        }
        let radius_on_big = x.radius_source == RadiusSource::Column(big_side);
        let sample = Circle {
            lon: 1.0,
            lat: 1.0,
            radius: 1.0,
        };
        let upload = if !big.service.capabilities.upload {
            Some(format!(
                "service {} does not declare TAP_UPLOAD",
                big.service.name
            ))
        } else if radius_on_big && big.radius.is_none() {
            Some("the radius is not a column of the big side's remote query".into())
        } else {
            let radius = match &big.radius {
                Some(r) if radius_on_big => RadiusRef::BigColumn(r.clone(), 0.0),
                _ => RadiusRef::Uploaded,
            };
            let query = adql::upload_join(big.as_query(), "xsj_1", &radius);
            checked_text(&query, &big.service.capabilities)
                .err()
                .map(|e| e.to_string())
        };
        let cones = if radius_on_big {
            Some("the radius varies per row of the big side: cones cannot be bounded".into())
        } else {
            let query = adql::cone_union(big.as_query(), &[sample, sample]);
            checked_text(&query, &big.service.capabilities)
                .err()
                .map(|e| e.to_string())
        };
        [upload, cones.clone(), cones]
    }
}

#[async_trait]
impl ExtensionPlanner for CrossServiceJoinPlanner {
    async fn plan_extension(
        &self,
        planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        session: &dyn Session,
        planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<CrossServiceJoin>() else {
            return Ok(None);
        };
        let ([left_logical, right_logical], [left, right]) = (logical_inputs, physical_inputs)
        else {
            return Err(DataFusionError::Internal(
                "CrossServiceJoin takes two inputs".into(),
            ));
        };
        // The crossmatch's own planner turns its expressions into the physical spec.
        let local = CrossmatchPlanner
            .plan_extension(
                planner,
                &node.xmatch,
                logical_inputs,
                physical_inputs,
                session,
                planning_ctx,
            )
            .await?;
        let spec = local
            .as_ref()
            .and_then(|p| p.downcast_ref::<CrossmatchExec>())
            .map(|x| x.spec().clone())
            .ok_or_else(|| {
                DataFusionError::Internal("the crossmatch planner did not plan the join".into())
            })?;
        let schema = Arc::new(node.xmatch.schema.as_arrow().clone());

        let (rw_left, rw_right) = (row_wise(left_logical), row_wise(right_logical));
        // Boxed: DataFusion's physical planner recurses deeply, and these futures are large.
        let ((est_left, rows_left), (est_right, rows_right)) = futures::join!(
            Box::pin(self.estimate(&node.left, rw_left.as_ref(), left_logical, left, session)),
            Box::pin(self.estimate(
                &node.right,
                rw_right.as_ref(),
                right_logical,
                right,
                session
            )),
        );
        let left = answered(left, rw_left.as_ref(), rows_left)?;
        let right = answered(right, rw_right.as_ref(), rows_right)?;
        let big_right = self.big_side(node, Side::Right, right_logical, session);
        let big_left = self.big_side(node, Side::Left, left_logical, session);
        let radius = match spec.radius {
            ExecRadius::Constant(r) => Some(r),
            ExecRadius::Column(..) => None,
        };
        let uploaded_columns = if radius.is_some() { 3 } else { 4 };
        let feasibility = Feasibility {
            small_left: self.feasibility(node, Side::Left, &big_right),
            small_right: self.feasibility(node, Side::Right, &big_left),
            block_rows_small_left: self.upload_block_rows(&big_right, uploaded_columns),
            block_rows_small_right: self.upload_block_rows(&big_left, uploaded_columns),
        };
        let decision: Decision =
            self.model
                .decide(est_left, est_right, radius, &feasibility, uploaded_columns);
        let remote = match (decision.chosen.strategy, decision.chosen.small) {
            (Strategy::LocalCrossmatch, _) | (_, None) => None,
            (_, Some(small)) => {
                let big = match small {
                    Side::Left => big_right,
                    Side::Right => big_left,
                }
                .map_err(DataFusionError::Plan)?;
                Some(RemoteStrategy {
                    small,
                    big,
                    upload_block_rows: feasibility.block_rows(small),
                    upload_concurrency: self.model.upload_concurrency,
                    cone_concurrency: self.model.cone_concurrency,
                    region_max_circles: self.model.region_max_circles,
                })
            }
        };
        Ok(Some(Arc::new(CrossServiceJoinExec::new(
            left, right, spec, decision, remote, schema,
        ))))
    }
}

/// `side` with its rows when the planner read them: the remote query of `rw` answered by them, or, for a
/// local side, the side itself as those rows in memory.
fn answered(
    side: &Arc<dyn ExecutionPlan>,
    rw: Option<&RowWise>,
    rows: Option<Vec<RecordBatch>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(rows) = rows else {
        return Ok(Arc::clone(side));
    };
    let Some(rw) = rw else {
        let exec: Arc<dyn ExecutionPlan> =
            MemorySourceConfig::try_new_exec(&[rows], side.schema(), None)?;
        return Ok(exec);
    };
    let mut rows = Some(rows);
    Arc::clone(side)
        .transform_up(|plan| {
            let replaced = plan
                .downcast_ref::<RemoteQueryExec>()
                .filter(|r| *r.query() == rw.query.query)
                .and_then(|r| rows.take().map(|b| r.with_prefetched(b)));
            Ok(match replaced {
                Some(r) => Transformed::yes(Arc::new(r) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(plan),
            })
        })
        .map(|t| t.data)
}
