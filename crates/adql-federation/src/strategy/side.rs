//! What one input of a cross-service join is made of: the service answering it, and whether it is a
//! row-wise local plan (projections, filters, aliases) over a single remote query, so that a strategy
//! may send a different query for it and apply the local part to whatever comes back.

use std::collections::BTreeSet;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema};
use datafusion::error::Result;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, LogicalPlan};

use crate::remote_query::RemoteQuery;

/// The service answering every remote leaf of `plan`, when there is exactly one and every leaf is
/// remote (a local table or constant relation makes the side not a remote side).
pub(crate) fn side_service(plan: &LogicalPlan) -> Option<String> {
    let mut services = BTreeSet::new();
    let mut local_leaf = false;
    // The closure never fails; apply's error type is DataFusion's.
    let walked = plan.apply(|node| {
        if node.inputs().is_empty() {
            match remote_query(node) {
                Some(q) => {
                    services.insert(q.service.clone());
                }
                None => local_leaf = true,
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    if walked.is_err() || local_leaf || services.len() != 1 {
        return None;
    }
    services.into_iter().next()
}

/// The [`RemoteQuery`] of an extension leaf.
pub(crate) fn remote_query(plan: &LogicalPlan) -> Option<&RemoteQuery> {
    match plan {
        LogicalPlan::Extension(e) => e.node.as_any().downcast_ref::<RemoteQuery>(),
        _ => None,
    }
}

/// A side that is a row-wise local plan over one remote query.
#[derive(Debug, Clone)]
pub(crate) struct RowWise {
    /// The remote query.
    pub query: RemoteQuery,
    /// One expression per output field of the side, over the remote query's schema.
    pub exprs: Vec<Expr>,
    /// Rows of the remote query the local part drops, over the remote query's schema.
    pub filter: Option<Expr>,
}

/// `plan` as a [`RowWise`] side: only projections, filters and aliases above one remote query, so that
/// every output row comes from exactly one remote row, computed by [`RowWise::exprs`].
pub(crate) fn row_wise(plan: &LogicalPlan) -> Option<RowWise> {
    match plan {
        LogicalPlan::Extension(_) => {
            let query = remote_query(plan)?.clone();
            let exprs = query
                .schema
                .iter()
                .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
                .collect();
            Some(RowWise {
                query,
                exprs,
                filter: None,
            })
        }
        LogicalPlan::SubqueryAlias(a) => row_wise(&a.input),
        LogicalPlan::Projection(p) => {
            let inner = row_wise(&p.input)?;
            let exprs = p
                .expr
                .iter()
                .map(|e| substitute(e.clone().unalias(), p.input.schema(), &inner.exprs))
                .collect::<Option<Vec<_>>>()?;
            Some(RowWise { exprs, ..inner })
        }
        LogicalPlan::Filter(f) => {
            let inner = row_wise(&f.input)?;
            let predicate = substitute(f.predicate.clone(), f.input.schema(), &inner.exprs)?;
            Some(RowWise {
                filter: conjunction(inner.filter.into_iter().chain([predicate])),
                ..inner
            })
        }
        _ => None,
    }
}

/// `e` (over `schema`) with every column replaced by the expression of that field in `exprs`.
pub(crate) fn substitute(e: Expr, schema: &DFSchema, exprs: &[Expr]) -> Option<Expr> {
    let result: Result<Transformed<Expr>> = e.transform(|e| match &e {
        Expr::Column(c) => {
            let replaced = schema
                .index_of_column(c)
                .ok()
                .and_then(|i| exprs.get(i))
                .cloned();
            match replaced {
                Some(r) => Ok(Transformed::yes(r)),
                None => datafusion::common::plan_err!("column {c} not in the side's schema"),
            }
        }
        _ => Ok(Transformed::no(e)),
    });
    result.ok().map(|t| t.data)
}
