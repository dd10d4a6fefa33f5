//! Bind joins: an equality join across services (or between a service and local tables) answered by
//! sending the smaller side's keys to the bigger side's service, never the whole bigger side.
//!
//! ```text
//! Join(a.k = b.k, local or service A, service B) ──BindJoinRule──▶ BindJoin
//!     ──BindJoinPlanner (sides read or counted, CostModel)──▶ HashJoinExec(small, BoundScanExec(big))
//! ```
//!
//! The join stays DataFusion's: a hash join over the small side and the big side's rows *for the small
//! side's keys* (a superset of those that join), so duplicates, NULL keys, outer rows, semi and anti joins
//! keep their meaning. `IN (subquery)` and `EXISTS` arrive as semi and anti joins; for `NOT IN`, whose
//! answer depends on whether the big side has a NULL key or any row at all, those rows are fetched too.
//!
//! A side that is a lookup table (DataLink links, MAST product lists: answered only for given keys) is
//! always bound: the other side is read whole and its keys are looked up ([`lookup`]).

mod exec;
mod lookup;
mod node;
mod planner;
mod query;
mod reduce;
mod rule;

pub use exec::{Binding, BoundScanExec, KeyTransport};
pub use node::BindJoin;
pub use planner::BindJoinPlanner;
pub use rule::BindJoinRule;
