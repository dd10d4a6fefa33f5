//! The positional crossmatch join: a logical rule, a logical node, its planner and the execution plan.
//!
//! ```text
//! Join / Filter(CrossJoin)  ──CrossmatchRule──▶  CrossmatchNode  ──CrossmatchPlanner──▶  CrossmatchExec
//! ```
//!
//! [`CrossmatchRule`] recognises, with [`crate::positional`], in the condition of an inner, left or right
//! join without equality keys (an `ON` clause, or a `WHERE` clause that DataFusion pushed into the join),
//!
//! - `DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) < r` or `<= r`, and `DISTANCE(a.ra, a.dec, b.ra, b.dec)`;
//! - `1 = CONTAINS(POINT(b.ra, b.dec), CIRCLE(a.ra, a.dec, r))` (and `CONTAINS(...) = 1`, and INTERSECTS
//!   between a point and a circle);
//! - `1 = XMATCH_BEST(a.ra, a.dec, b.ra, b.dec, r)`: only the nearest `b` within `r` for each row of `a`;
//!
//! with `r` a constant or an expression over one of the two tables. Other conjuncts of the condition are
//! applied after the match. [`CrossmatchExec`] collects and indexes one side with the
//! [`adql_geom::crossmatch`] kernel, streams the other through it over all configured threads, and applies
//! the exact distance predicate to every candidate pair, so the result equals the nested-loop join's.
//! A LEFT (RIGHT) join streams its left (right) side and pads unmatched rows with NULLs.
//!
//! The rule also rewrites `1 = CAST(pred AS INT)` (what `contains(point, circle)` simplifies to) into
//! `pred` everywhere, so cone filters on one table become plain `distance(...) <= r` predicates.
//!
//! The operator is cut as DataFusion cuts its joins:
//!
//! - `exec.rs`: [`CrossmatchExec`], the `ExecutionPlan` (partitioning, display, embedded projection) and
//!   the build side, collected and indexed once for all partitions;
//! - `stream.rs`: the probe stream, the probe input read in chunks, each matched on all threads;
//! - `matcher.rs`: the build side indexed with the kernel, and the probing of one chunk;
//! - `pairs.rs`: [`PairStep`], matched pairs → the join's rows (strict radius, best match, the remaining
//!   condition, outer-join padding, projection);
//! - `spec.rs`: [`CrossmatchSpec`], what the operator and the pair step compute.
//!
//! [`PairStep`] is public so that joins whose candidate pairs come from elsewhere (the federation's
//! cross-service strategies get them from a remote service) turn them into rows exactly as the operator
//! does.

mod exec;
mod matcher;
mod node;
mod pairs;
mod planner;
mod rule;
mod spec;
mod stream;

use std::sync::Arc;

use datafusion::optimizer::OptimizerRule;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_planner::ExtensionPlanner;

pub use exec::CrossmatchExec;
pub use node::{CrossmatchNode, RadiusSource, Side};
pub use pairs::{PairStep, Pairs, SideColumns, evaluate_f64};
pub use planner::CrossmatchPlanner;
pub use rule::CrossmatchRule;
pub use spec::{CrossmatchSpec, ExecRadius};

/// Logical optimizer rules appended after DataFusion's defaults.
pub fn optimizer_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    vec![Arc::new(CrossmatchRule::new())]
}

/// Extension planners turning the crossmatch logical nodes into execution plans.
pub fn extension_planners() -> Vec<Arc<dyn ExtensionPlanner + Send + Sync>> {
    vec![Arc::new(CrossmatchPlanner)]
}

/// Physical optimizer rules appended after DataFusion's defaults (none: the rewrite is logical).
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    Vec::new()
}

#[cfg(test)]
mod tests;
