//! `LogicalPlan` → ADQL: the remote parts of a plan as `adql_syntax` trees.
//!
//! Like DataFusion's `unparser` (which builds sqlparser's own tree), the generator builds the syntax tree of
//! the language it targets, [`adql_syntax::ast::Query`], and leaves the text to that tree's printer. It does
//! not use DataFusion's unparser: it gets `LIMIT`/`OFFSET` under a `Sort` with a fetch wrong, prints
//! `- -x` as a comment and loses sorts. It supports exactly the node shapes that can be pushed to a TAP
//! service and answers [`NotPushable`] for anything else, so that part of the plan stays local.
//!
//! # How it works
//!
//! The plan is translated bottom-up into a `SELECT` under construction plus, for every output field of
//! the node, the ADQL expression that computes it in the scope of that `SELECT`. A node either merges into
//! the current `SELECT` or, when SQL clause order cannot express it (a filter above a `TOP`, an aggregate
//! above an aggregate, ...), the current `SELECT` becomes a derived table and the node starts a new one.
//!
//! | plan node | ADQL |
//! | --- | --- |
//! | `TableScan` (projection, filters, fetch) | `FROM schema.table AS alias`, `WHERE`, `TOP` |
//! | `Filter` | `WHERE`, or `HAVING` above an aggregate |
//! | `Projection` | the select list |
//! | `Aggregate` | `GROUP BY` and aggregates (`COUNT(*)`, `COUNT(DISTINCT x)`, `SUM`, ...) |
//! | `Sort` (+fetch) | `ORDER BY` (+`TOP`) |
//! | `Limit` skip m, fetch n | `TOP n ... OFFSET m` (ADQL applies OFFSET first, then TOP) |
//! | `Join` inner/left/right/full with `on` and `filter` | `JOIN ... ON` (inner joins of comma lists go to `WHERE`) |
//! | `Distinct` | `SELECT DISTINCT` |
//! | `SubqueryAlias` | nothing (columns are tracked by position; the alias names the table when it is a scan) |
//!
//! Every query that leaves for a service goes through [`checked_text`]: printed, parsed again under the
//! service's ADQL version, features and UDFs, and compared with the tree it was printed from.

mod check;
mod expr;
mod geometry;
mod not_pushable;
mod plan;

pub use check::{InvalidAdql, checked_text, plan_to_checked_adql};
pub(crate) use expr::{condition_to_adql, literal};
pub(crate) use geometry::point_in_circle;
pub use not_pushable::NotPushable;
pub use plan::{LocalTableNaming, RemoteTableName, TableNaming, plan_to_adql};
