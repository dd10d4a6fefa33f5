//! [`Explanation`]: how a query runs — the remote parts, the lowered SQL and both plans.

use std::fmt;
use std::sync::Arc;

use adql_syntax::ast::Query;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::sql::sqlparser::ast::Statement;

use crate::remote_query::RemoteQuery;

/// One remote part of a plan: the query a service is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePart {
    /// Service name.
    pub service: String,
    /// Service URL.
    pub url: String,
    /// The generated query.
    pub query: Query,
}

impl RemotePart {
    /// The ADQL text sent.
    pub fn adql(&self) -> String {
        self.query.to_string()
    }
}

/// What [`Engine::explain`](crate::Engine::explain) returns: the remote parts and the plans, as objects
/// (`Display` prints them all).
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Every query sent to a service, in plan order.
    pub remote_parts: Vec<RemotePart>,
    /// The SQL statement the ADQL was lowered to.
    pub lowered: Statement,
    /// The optimized logical plan.
    pub logical_plan: LogicalPlan,
    /// The physical plan, with the strategy of every cross-service join.
    pub physical_plan: Arc<dyn ExecutionPlan>,
}

impl Explanation {
    /// The explanation of an optimized `logical_plan` lowered from `lowered` and planned as
    /// `physical_plan`.
    pub fn new(
        lowered: Statement,
        logical_plan: LogicalPlan,
        physical_plan: Arc<dyn ExecutionPlan>,
    ) -> Self {
        Self {
            remote_parts: remote_parts(&logical_plan),
            lowered,
            logical_plan,
            physical_plan,
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.remote_parts.is_empty() {
            writeln!(f, "Remote parts: none (the query runs locally)")?;
        } else {
            writeln!(f, "Remote parts:")?;
            for (i, part) in self.remote_parts.iter().enumerate() {
                writeln!(f, "  [{}] {} ({})", i + 1, part.service, part.url)?;
                writeln!(f, "      {}", part.query)?;
            }
        }
        writeln!(f, "\nLowered SQL:\n  {}", self.lowered)?;
        writeln!(
            f,
            "\nOptimized logical plan:\n{}",
            indent(&self.logical_plan.display_indent().to_string())
        )?;
        let physical = displayable(self.physical_plan.as_ref()).indent(false);
        write!(f, "\nPhysical plan:\n{}", indent(&physical.to_string()))
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The [`RemoteQuery`] leaves of a plan, in plan order.
pub fn remote_parts(plan: &LogicalPlan) -> Vec<RemotePart> {
    let mut parts = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Extension(extension) = node
            && let Some(remote) = extension.node.as_any().downcast_ref::<RemoteQuery>()
        {
            parts.push(RemotePart {
                service: remote.service.clone(),
                url: remote.url.clone(),
                query: remote.query.clone(),
            });
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    parts
}
