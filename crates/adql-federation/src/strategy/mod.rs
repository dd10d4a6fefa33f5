//! Cross-service joins: a crossmatch between the results of two services, answered by the strategy a
//! cost model chooses from row estimates and capabilities.
//!
//! ```text
//! CrossmatchNode(RemoteQuery a, RemoteQuery b) ──CrossServiceJoinRule──▶ CrossServiceJoin
//!     ──CrossServiceJoinPlanner (COUNT probes, CostModel)──▶ CrossServiceJoinExec(strategy)
//! ```
//!
//! | strategy | what is sent |
//! | --- | --- |
//! | (a) local crossmatch | each side's query; the engine's `CrossmatchExec` joins them |
//! | (b) upload join | the small side's query, then its positions as `TAP_UPLOAD.xsj_<k>` (blocks of rows) joined by the big side's service with `1 = CONTAINS(POINT(big), CIRCLE(upload, r))` |
//! | (c) batched cones | the small side's query, then one `1 = CONTAINS(...)` query on the big side per small row, a bounded number in flight |
//! | (d) region prefetch | the small side's query, then one query on the big side whose filter is the OR of the small side's cones (larger circles covering groups when there are many); the local crossmatch joins |
//!
//! Semantics are exact in every strategy: circles sent are padded by [`CIRCLE_PAD_DEG`] and the
//! distance test (`<=`, or `<` when strict, constant or per-row radius) is made locally; best match,
//! the preserved side of an outer join and the remaining join filter are applied locally as in the
//! engine's crossmatch. A strategy that cannot keep the meaning (an outer join preserving the big
//! side, a best match per big-side row, a radius per big-side row for cones) is not a candidate; (a)
//! always is. Every remote result is checked for completeness (overflow → error naming the service).

mod adql;
mod cost;
mod exec;
mod node;
mod planner;
mod rule;
mod run;

pub use cost::{Candidate, CostModel, Decision, SideEstimate, Strategy};
pub use exec::{CrossServiceJoinExec, decisions};
pub use node::CrossServiceJoin;
pub use planner::CrossServiceJoinPlanner;
pub use rule::CrossServiceJoinRule;
pub use run::CIRCLE_PAD_DEG;
