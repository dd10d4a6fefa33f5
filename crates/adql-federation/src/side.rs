//! What one input of a join across services is made of: who answers it ([`InputSource`]: a service, or
//! the session's own tables), whether it is a row-wise local plan (projections, filters, aliases) over a
//! single remote query, so that a strategy may send a different query for it and apply the local part to
//! whatever comes back, and how a local input is read while planning.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema};
use datafusion::error::Result;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, LogicalPlan};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::datasource::source_as_provider;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use futures::StreamExt;

use crate::remote_query::RemoteQuery;
use crate::sources::LookupTable;

/// Who answers one input of a join across services.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputSource {
    /// One remote service, by its name in the catalogue.
    Service(String),
    /// The session itself: local tables (files, registered tables), or tables of services that are not
    /// TAP; its rows are known exactly once read.
    Local,
    /// A table its service answers only for given keys ([`LookupTable`]), by its name: it is read only for
    /// the other side's keys.
    Lookup(String),
}

impl InputSource {
    /// Whether the session answers it.
    pub fn is_local(&self) -> bool {
        matches!(self, InputSource::Local)
    }
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSource::Service(name) => f.write_str(name),
            InputSource::Local => f.write_str("local"),
            InputSource::Lookup(table) => write!(f, "lookup {table}"),
        }
    }
}

/// Who answers each input of a join, when they differ: two services, or a service and the session (the
/// joins the federation plans itself). One service's join is the pushdown rule's to send out whole, and
/// two local inputs leave nothing to choose.
pub(crate) fn sources_across(
    left: &LogicalPlan,
    right: &LogicalPlan,
) -> Option<(InputSource, InputSource)> {
    let (left, right) = (side_source(left)?, side_source(right)?);
    let across = match (&left, &right) {
        (InputSource::Service(a), InputSource::Service(b)) => a != b,
        (InputSource::Local, InputSource::Local) => false,
        (InputSource::Lookup(_), InputSource::Lookup(_)) => false,
        _ => true,
    };
    across.then_some((left, right))
}

/// Who answers `plan` as one input of a cross-service join: the service of every leaf when all its leaves
/// are remote queries of one service; the lookup table when its only leaf is one; the session itself when
/// no leaf is either (local tables, constant relations, other tables of services that are not TAP); `None`
/// for a mixture.
fn side_source(plan: &LogicalPlan) -> Option<InputSource> {
    let mut services = BTreeSet::new();
    let (mut local_leaves, mut lookups) = (0usize, Vec::new());
    // The closure never fails; apply's error type is DataFusion's.
    let walked = plan.apply(|node| {
        if node.inputs().is_empty() {
            match (remote_query(node), lookup_table(node)) {
                (Some(q), _) => {
                    services.insert(q.service.clone());
                }
                (None, Some(t)) => lookups.push(t.name().to_owned()),
                (None, None) => local_leaves += 1,
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    match (walked.is_ok(), local_leaves, lookups.len(), services.len()) {
        (true, 0, 0, 1) => services.into_iter().next().map(InputSource::Service),
        (true, 0, 1, 0) => lookups.pop().map(InputSource::Lookup),
        (true, _, 0, 0) => Some(InputSource::Local),
        _ => None,
    }
}

/// The [`LookupTable`] a table scan reads.
pub(crate) fn lookup_table(plan: &LogicalPlan) -> Option<LookupTable> {
    let LogicalPlan::TableScan(scan) = plan else {
        return None;
    };
    let provider = source_as_provider(&scan.source).ok()?;
    provider.downcast_ref::<LookupTable>().cloned()
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

/// What reading a local side while planning found.
#[derive(Debug)]
pub(crate) struct LocalRows {
    /// Rows read: all of them when `batches` is given, else at least this many (or unknown on failure).
    pub rows: Option<u64>,
    /// How the count was found, for EXPLAIN.
    pub source: String,
    /// The side's rows, when it was read whole.
    pub batches: Option<Vec<RecordBatch>>,
}

/// Reads a side the session answers (a local table) while planning, up to `cap` rows. Read whole, the
/// count is exact and the rows answer the side (it is not read again); beyond the cap it is known as "at
/// least" that many, and read again when the join runs. A failure to read is left for the join to report.
pub(crate) async fn read_local(
    plan: &Arc<dyn ExecutionPlan>,
    cap: u64,
    session: &dyn Session,
) -> LocalRows {
    let failed = |e: datafusion::error::DataFusionError| LocalRows {
        rows: None,
        source: format!("not read: {e}"),
        batches: None,
    };
    let mut stream = match execute_stream(Arc::clone(plan), session.task_ctx()) {
        Ok(stream) => stream,
        Err(e) => return failed(e),
    };
    let (mut batches, mut rows) = (Vec::new(), 0u64);
    while let Some(batch) = stream.next().await {
        match batch {
            Ok(batch) => {
                rows += batch.num_rows() as u64;
                batches.push(batch);
            }
            Err(e) => return failed(e),
        }
        if rows > cap {
            return LocalRows {
                rows: Some(rows),
                source: format!("read while planning, at least: reading stops past {cap}"),
                batches: None,
            };
        }
    }
    LocalRows {
        rows: Some(rows),
        source: "read while planning".into(),
        batches: Some(batches),
    }
}
