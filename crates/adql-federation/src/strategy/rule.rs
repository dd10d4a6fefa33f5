//! [`CrossServiceJoinRule`]: marks crossmatches between two services as [`CrossServiceJoin`]s.

use std::sync::Arc;

use adql_engine::crossmatch::CrossmatchNode;
use datafusion::common::tree_node::Transformed;
use datafusion::error::Result;
use datafusion::logical_expr::{Extension, LogicalPlan};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::node::CrossServiceJoin;
use crate::side::sources_across;

/// Replaces a [`CrossmatchNode`] whose inputs are answered by two different services (each input's
/// remote leaves all belong to one service), or by one service and the session's own tables, by a
/// [`CrossServiceJoin`].
///
/// It runs after the engine's crossmatch rule (a late rule of `adql_engine::SessionExtensions`), and
/// does no I/O: the strategy is chosen when the node is planned.
#[derive(Debug, Default, Clone, Copy)]
pub struct CrossServiceJoinRule;

impl CrossServiceJoinRule {
    /// The rule.
    pub fn new() -> Self {
        Self
    }
}

impl OptimizerRule for CrossServiceJoinRule {
    fn name(&self) -> &str {
        "cross_service_join"
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
        let LogicalPlan::Extension(ext) = &plan else {
            return Ok(Transformed::no(plan));
        };
        let Some(xmatch) = ext.node.as_any().downcast_ref::<CrossmatchNode>() else {
            return Ok(Transformed::no(plan));
        };
        // A local side and a remote side too: the local side may be uploaded or make the cones.
        let Some((left, right)) = sources_across(&xmatch.left, &xmatch.right) else {
            return Ok(Transformed::no(plan));
        };
        let node = CrossServiceJoin {
            xmatch: xmatch.clone(),
            left,
            right,
        };
        Ok(Transformed::yes(LogicalPlan::Extension(Extension {
            node: Arc::new(node),
        })))
    }
}
