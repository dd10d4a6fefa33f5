//! [`BindJoinRule`]: marks equality joins across services as [`BindJoin`]s.

use std::sync::Arc;

use datafusion::common::NullEquality;
use datafusion::common::tree_node::Transformed;
use datafusion::error::Result;
use datafusion::logical_expr::{Extension, JoinType, LogicalPlan};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::node::BindJoin;
use crate::side::sources_across;

/// Replaces an equality join (inner, left, right, semi or anti: joins written with `ON a.k = b.k`,
/// `IN (subquery)` and `EXISTS`) whose inputs two different services answer, or one service and the
/// session's own tables, by a [`BindJoin`]. A full outer join keeps every row of both sides, so no side
/// can be reduced to the other's keys: it stays as it is.
///
/// A late rule (after the pushdown rule has cut the remote parts); it does no I/O.
#[derive(Debug, Default, Clone, Copy)]
pub struct BindJoinRule;

impl BindJoinRule {
    /// The rule.
    pub fn new() -> Self {
        Self
    }
}

impl OptimizerRule for BindJoinRule {
    fn name(&self) -> &str {
        "bind_join"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Join(join) = &plan else {
            return Ok(Transformed::no(plan));
        };
        let bindable = !join.on.is_empty()
            && join.null_equality == NullEquality::NullEqualsNothing
            && matches!(
                join.join_type,
                JoinType::Inner
                    | JoinType::Left
                    | JoinType::Right
                    | JoinType::LeftSemi
                    | JoinType::RightSemi
                    | JoinType::LeftAnti
                    | JoinType::RightAnti
            );
        if !bindable {
            return Ok(Transformed::no(plan));
        }
        let Some((left, right)) = sources_across(&join.left, &join.right) else {
            return Ok(Transformed::no(plan));
        };
        let node = BindJoin {
            join: join.clone(),
            left,
            right,
        };
        Ok(Transformed::yes(LogicalPlan::Extension(Extension {
            node: Arc::new(node),
        })))
    }
}
