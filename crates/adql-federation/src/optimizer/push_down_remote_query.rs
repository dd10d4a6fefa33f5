//! [`PushDownRemoteQuery`]: replaces the largest single-service sub-plans by [`RemoteQuery`] nodes.

use std::sync::Arc;

use adql_syntax::ast::Query;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::logical_expr::{Extension, LogicalPlan};
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use crate::remote_query::RemoteQuery;
use crate::remote_table::{RemoteTable, ServiceNaming};
use crate::service::RemoteService;
use crate::unparser::plan_to_checked_adql;

/// Cuts a plan into remote parts and a local rest.
///
/// Walking bottom-up, every node gets an owner: the service all of its tables live on, if the
/// node and everything below it can be written as one ADQL query that the service can evaluate
/// (its capabilities decide: geometry functions, declared UDFs, OFFSET, ILIKE, CAST, ...), or
/// "local" otherwise. A `TableScan` of a [`RemoteTable`] is owned by the table's service; a node
/// whose inputs all have the same service owner is owned by it too when the generator accepts it.
/// Where ownership stops, each maximal owned sub-plan is replaced by a [`RemoteQuery`] leaf
/// carrying the generated ADQL and the sub-plan's schema.
///
/// Register it after DataFusion's own rules (`SessionStateBuilder::with_optimizer_rule`), so that
/// projections and filters have been pushed down and remote parts fetch only what is needed.
#[derive(Debug, Default, Clone, Copy)]
pub struct PushDownRemoteQuery;

impl PushDownRemoteQuery {
    /// The rule.
    pub fn new() -> Self {
        Self
    }
}

/// A sub-plan that one service can answer, with its generated query.
struct Owned {
    service: Arc<RemoteService>,
    query: Query,
}

fn remote_query(plan: &LogicalPlan, owned: Owned) -> LogicalPlan {
    let Owned { service, query } = owned;
    LogicalPlan::Extension(Extension {
        node: Arc::new(RemoteQuery {
            service: service.name.clone(),
            url: service.url.clone(),
            query,
            schema: Arc::clone(plan.schema()),
            rows_at_most: rows_at_most(plan),
            rows_published: rows_of_whole_table(plan),
        }),
    })
}

/// The rows the service says the one table `plan` reads has, when it reads one table (without a join
/// or a set operation, nothing in a plan adds rows to its table's).
fn rows_at_most(plan: &LogicalPlan) -> Option<u64> {
    let mut tables = Vec::new();
    let mut multiplies = false;
    plan.apply(|node| {
        match node {
            LogicalPlan::TableScan(scan) => tables.push(RemoteTable::of_scan(scan).and_then(|p| {
                p.as_ref()
                    .downcast_ref::<RemoteTable>()
                    .map(|t| t.metadata().rows)
            })),
            LogicalPlan::Join(_) | LogicalPlan::Union(_) => multiplies = true,
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .ok()?;
    match tables.as_slice() {
        [Some(rows)] if !multiplies => *rows,
        _ => None,
    }
}

/// The rows the service says the one table `plan` reads has, when `plan` is that table whole: only
/// projections and aliases over a scan without filters or a limit.
fn rows_of_whole_table(plan: &LogicalPlan) -> Option<u64> {
    match plan {
        LogicalPlan::Projection(p) => rows_of_whole_table(&p.input),
        LogicalPlan::SubqueryAlias(a) => rows_of_whole_table(&a.input),
        LogicalPlan::TableScan(scan) if scan.filters.is_empty() && scan.fetch.is_none() => {
            RemoteTable::of_scan(scan)?
                .as_ref()
                .downcast_ref::<RemoteTable>()?
                .metadata()
                .rows
        }
        _ => None,
    }
}

fn try_own(plan: &LogicalPlan, service: &Arc<RemoteService>) -> Option<Owned> {
    let naming = ServiceNaming::new(service.name.clone());
    plan_to_checked_adql(plan, &service.capabilities, &naming)
        .ok()
        .map(|query| Owned {
            service: Arc::clone(service),
            query,
        })
}

/// Returns the (possibly rewritten) plan, whether it changed, and its owner.
fn cut(plan: LogicalPlan) -> Result<(LogicalPlan, bool, Option<Owned>)> {
    if let LogicalPlan::TableScan(scan) = &plan {
        let owner = RemoteTable::of_scan(scan)
            .and_then(|p| {
                p.as_ref()
                    .downcast_ref::<RemoteTable>()
                    .map(|t| Arc::clone(t.service()))
            })
            .and_then(|service| try_own(&plan, &service));
        return Ok((plan, false, owner));
    }
    let inputs: Vec<LogicalPlan> = plan.inputs().into_iter().cloned().collect();
    if inputs.is_empty() {
        return Ok((plan, false, None));
    }
    let mut children = Vec::with_capacity(inputs.len());
    let mut changed = false;
    for input in inputs {
        let (child, child_changed, owner) = cut(input)?;
        changed |= child_changed;
        children.push((child, owner));
    }
    // One service owns every input: try to own this node as well.
    let common = children
        .iter()
        .try_fold(None::<&Arc<RemoteService>>, |acc, (_, owner)| {
            let service = &owner.as_ref()?.service;
            match acc {
                Some(s) if s.name != service.name => None,
                _ => Some(Some(service)),
            }
        });
    if let Some(Some(service)) = common
        && let Some(owned) = try_own(&plan, service)
    {
        return Ok((plan, changed, Some(owned)));
    }
    // This node stays local: each owned input becomes a remote query.
    let mut new_inputs = Vec::with_capacity(children.len());
    for (child, owner) in children {
        match owner {
            Some(owned) => {
                new_inputs.push(remote_query(&child, owned));
                changed = true;
            }
            None => new_inputs.push(child),
        }
    }
    if !changed {
        return Ok((plan, false, None));
    }
    let plan = plan.with_new_exprs(plan.expressions(), new_inputs)?;
    Ok((plan, true, None))
}

impl OptimizerRule for PushDownRemoteQuery {
    fn name(&self) -> &str {
        "push_down_remote_query"
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        // Statements that wrap a query (EXPLAIN, ANALYZE, DML) are cut below their own node.
        let (plan, changed, owner) = cut(plan)?;
        Ok(match owner {
            Some(owned) => Transformed::yes(remote_query(&plan, owned)),
            None if changed => Transformed::yes(plan),
            None => Transformed::no(plan),
        })
    }
}
