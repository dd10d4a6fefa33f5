//! What both kinds of bind join share: which side of a join may be reduced to the other side's keys, those
//! keys, and a plan whose remote query is answered by rows the planner has already read.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::concat;
use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;

use crate::remote_query_exec::RemoteQueryExec;
use crate::side::RowWise;

/// Which sides may be restricted to the other side's keys without changing the answer: `(left, right)`.
pub(super) fn reducible(join_type: JoinType) -> (bool, bool) {
    match join_type {
        JoinType::Inner | JoinType::LeftSemi | JoinType::RightSemi => (true, true),
        JoinType::Left | JoinType::LeftAnti => (false, true),
        JoinType::Right | JoinType::RightAnti => (true, false),
        _ => (false, false),
    }
}

/// `plan` with the remote query `query` answered by `rows`.
pub(super) fn answered(
    plan: Arc<dyn ExecutionPlan>,
    rw: &RowWise,
    rows: Vec<RecordBatch>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let mut rows = Some(rows);
    plan.transform_up(|p| {
        let replaced = p
            .downcast_ref::<RemoteQueryExec>()
            .filter(|r| *r.query() == rw.query.query)
            .and_then(|r| rows.take().map(|b| r.with_prefetched(b)));
        Ok(match replaced {
            Some(r) => Transformed::yes(Arc::new(r) as Arc<dyn ExecutionPlan>),
            None => Transformed::no(p),
        })
    })
    .map(|t| t.data)
}

/// The distinct, non-NULL values of `key` (over the small side's schema) in `batches`, in first-seen
/// order.
pub(super) fn distinct_keys(
    key: &Expr,
    logical: &LogicalPlan,
    batches: &[RecordBatch],
    session: &dyn Session,
) -> Result<ArrayRef> {
    let physical = session.create_physical_expr(key.clone(), logical.schema())?;
    let arrays = batches
        .iter()
        .map(|b| physical.evaluate(b)?.into_array(b.num_rows()))
        .collect::<Result<Vec<_>>>()?;
    let parts: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    let all = if parts.is_empty() {
        datafusion::arrow::array::new_empty_array(&physical.data_type(logical.schema().as_arrow())?)
    } else {
        concat(&parts)?
    };
    let mut seen = HashSet::new();
    let mut keep = Vec::new();
    for i in 0..all.len() {
        if all.is_null(i) {
            continue;
        }
        if seen.insert(ScalarValue::try_from_array(&all, i)?) {
            keep.push(i as u32);
        }
    }
    let indices = datafusion::arrow::array::UInt32Array::from(keep);
    Ok(datafusion::arrow::compute::take(&all, &indices, None)?)
}

/// Whether values of `t` are text.
pub(super) fn is_text(t: &datafusion::arrow::datatypes::DataType) -> bool {
    use datafusion::arrow::datatypes::DataType;
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_is_reduced_only_when_its_unmatched_rows_never_show() {
        assert_eq!(reducible(JoinType::Inner), (true, true));
        assert_eq!(reducible(JoinType::Left), (false, true));
        assert_eq!(reducible(JoinType::Right), (true, false));
        assert_eq!(reducible(JoinType::LeftSemi), (true, true));
        assert_eq!(reducible(JoinType::LeftAnti), (false, true));
        assert_eq!(reducible(JoinType::RightAnti), (true, false));
        assert_eq!(reducible(JoinType::Full), (false, false));
    }
}
