//! Bind joins with a [`LookupTable`] side (DataLink links, MAST product lists): the other side is read
//! first and its distinct keys are what the lookup asks its service for.
//!
//! ```text
//! BindJoin(obs.obs_publisher_did = links.ID, service or local, lookup)
//!     ──▶ HashJoinExec(obs rows, LookupExec(ID IN (the distinct obs_publisher_did)))
//! ```
//!
//! The join stays DataFusion's, so its semantics are kept; the lookup side must be one whose rows without
//! a match never show (not the preserved side of an outer join, not the side an anti join returns), and
//! its join key must be the lookup's key column under aliases, projections and filters. The other side is
//! read whole: a local side up to the cost model's local cap, a remote side with every row (an answer cut
//! at MAXREC is an error, as everywhere).

use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::logical_plan::Join;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan};
use datafusion::physical_plan::{ExecutionPlan, collect};

use super::reduce::{answered, distinct_keys, is_text, reducible};
use crate::service::ServiceRegistry;
use crate::side::{InputSource, lookup_table, read_local, row_wise};
use crate::sources::{LookupScanExec, LookupTable, key_texts};

/// The two inputs of a join: logical and physical.
pub(super) struct Inputs<'a> {
    pub logical: [&'a LogicalPlan; 2],
    pub physical: [&'a Arc<dyn ExecutionPlan>; 2],
}

/// Binds lookup sides: the services that answer the other side, and how many local rows may be read while
/// planning.
pub(super) struct LookupBinder<'a> {
    pub services: &'a ServiceRegistry,
    pub local_rows_cap: u64,
}

impl LookupBinder<'_> {
    /// `plain` (DataFusion's plan of `join`) with the lookup scan of a [`InputSource::Lookup`] side bound to
    /// the other side's keys; `None` when neither side is a lookup. The plan is returned unbound when the
    /// lookup's keys came from its filters, or when it cannot be bound (it then fails as it runs, with
    /// [`FederationError::KeyRequired`](crate::FederationError::KeyRequired)).
    ///
    /// # Errors
    /// The other side could not be read whole.
    pub(super) async fn plan(
        &self,
        join: &Join,
        sources: [&InputSource; 2],
        inputs: Inputs<'_>,
        plain: Arc<dyn ExecutionPlan>,
        session: &dyn Session,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(at) = sources
            .iter()
            .position(|s| matches!(s, InputSource::Lookup(_)))
        else {
            return Ok(None);
        };
        let other = 1 - at;
        let Some(table) = lookup_under(inputs.logical[at]) else {
            return Ok(Some(plain));
        };
        if !has_pending(&plain, &table)? || !reducible_side(join, at) {
            return Ok(Some(plain));
        }
        let Some(other_key) = join.on.iter().find_map(|(l, r)| {
            let (lookup_key, other_key) = if at == 0 { (l, r) } else { (r, l) };
            reads_key(lookup_key, inputs.logical[at], &table).then_some(other_key)
        }) else {
            return Ok(Some(plain));
        };
        let (batches, plain) = self
            .read_whole(
                &sources[other].clone(),
                inputs.logical[other],
                inputs.physical[other],
                plain,
                &table,
                session,
            )
            .await?;
        let keys = distinct_keys(other_key, inputs.logical[other], &batches, session)?;
        let keys = key_texts(
            (0..keys.len())
                .map(|i| ScalarValue::try_from_array(&keys, i))
                .collect::<Result<Vec<_>>>()?,
        );
        let mut keys = Some(keys);
        let bound = plain.transform_up(|p| {
            let replaced = p
                .downcast_ref::<LookupScanExec>()
                .filter(|s| s.table_name() == table.name())
                .and_then(|s| keys.take().map(|k| s.bind(k)));
            Ok(match replaced {
                Some(b) => Transformed::yes(b),
                None => Transformed::no(p),
            })
        })?;
        Ok(Some(bound.data))
    }

    /// Every row of the side `logical`/`physical` answered by `source`, read while planning, and `plain`
    /// with a remote side's query answered by the rows read.
    async fn read_whole(
        &self,
        source: &InputSource,
        logical: &LogicalPlan,
        physical: &Arc<dyn ExecutionPlan>,
        plain: Arc<dyn ExecutionPlan>,
        table: &LookupTable,
        session: &dyn Session,
    ) -> Result<(
        Vec<datafusion::arrow::record_batch::RecordBatch>,
        Arc<dyn ExecutionPlan>,
    )> {
        if source.is_local() {
            let cap = self.local_rows_cap;
            let read = read_local(physical, cap, session).await;
            return match read.batches {
                Some(batches) => Ok((batches, plain)),
                None => Err(DataFusionError::Plan(format!(
                    "the rows whose {} values {} looks up could not be read whole ({}): \
                     at most {cap} rows are read while planning",
                    table.key(),
                    table.name(),
                    read.source
                ))),
            };
        }
        let Some(rw) = row_wise(logical) else {
            // Not one remote query: run the side as it is (the join runs it again).
            return Ok((
                collect(Arc::clone(physical), session.task_ctx()).await?,
                plain,
            ));
        };
        let service = self
            .services
            .get(&rw.query.service)
            .map_err(DataFusionError::from)?;
        let rows = service
            .fetch_all(
                &rw.query.query,
                Vec::new(),
                Arc::clone(rw.query.schema.inner()),
            )
            .await
            .map_err(DataFusionError::from)?;
        let side = answered(Arc::clone(physical), &rw, rows.clone())?;
        let batches = collect(side, session.task_ctx()).await?;
        Ok((batches, answered(plain, &rw, rows)?))
    }
}

/// Whether the side `at` (0 left, 1 right) of `join` may be restricted to the other side's keys.
fn reducible_side(join: &Join, at: usize) -> bool {
    let (left, right) = reducible(join.join_type);
    if at == 0 { left } else { right }
}

/// The lookup table read by the single leaf of `plan`.
fn lookup_under(plan: &LogicalPlan) -> Option<LookupTable> {
    let mut found = None;
    // The closure never fails.
    let _ = plan.apply(|node| {
        if let Some(t) = lookup_table(node) {
            found = Some(t);
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// Whether `plan` still holds an unbound scan of `table`.
fn has_pending(plan: &Arc<dyn ExecutionPlan>, table: &LookupTable) -> Result<bool> {
    let mut pending = false;
    plan.apply(|p| {
        if p.downcast_ref::<LookupScanExec>()
            .is_some_and(|s| s.table_name() == table.name())
        {
            pending = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(pending)
}

/// Whether `e` (over `plan`'s output) is the key column of `table`'s scan under `plan`, through aliases,
/// projections and filters, and casts that keep equality (text to text, integer to integer).
fn reads_key(e: &Expr, plan: &LogicalPlan, table: &LookupTable) -> bool {
    let mut e = e.clone();
    while let Expr::Cast(cast) = &e {
        let Ok(source) = cast.expr.get_type(plan.schema()) else {
            return false;
        };
        let target = cast.field.data_type();
        if !((source.is_integer() && target.is_integer()) || (is_text(&source) && is_text(target)))
        {
            return false;
        }
        e = (*cast.expr).clone();
    }
    let Expr::Column(column) = &e else {
        return false;
    };
    let Ok(i) = plan.schema().index_of_column(column) else {
        return false;
    };
    match plan {
        LogicalPlan::TableScan(_) => {
            lookup_table(plan).is_some_and(|t| t.name() == table.name())
                && plan.schema().field(i).name() == table.key()
        }
        LogicalPlan::SubqueryAlias(a) => {
            let (q, f) = a.input.schema().qualified_field(i);
            reads_key(
                &Expr::Column(datafusion::common::Column::new(q.cloned(), f.name())),
                &a.input,
                table,
            )
        }
        LogicalPlan::Projection(p) => p
            .expr
            .get(i)
            .is_some_and(|x| reads_key(&x.clone().unalias(), &p.input, table)),
        LogicalPlan::Filter(f) => reads_key(&e, &f.input, table),
        _ => false,
    }
}
