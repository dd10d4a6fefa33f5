//! The project's own `LogicalPlan` → ADQL generator.
//!
//! DataFusion's whole-plan unparser is not used: it gets `LIMIT`/`OFFSET` under a `Sort` with a
//! fetch wrong, prints `- -x` as a comment and loses sorts (see `docs/architecture.md`). This
//! generator supports exactly the node shapes that can be pushed to a TAP service and answers
//! [`NotPushable`] for anything else, so that part of the plan stays local.
//!
//! # How it works
//!
//! The plan is translated bottom-up into a [`Rel`]: an ADQL `SELECT` under construction plus, for
//! every output field of the node, the ADQL expression that computes it in the scope of that
//! `SELECT` (`cols`). A node either merges into the current `SELECT` or, when SQL clause order
//! cannot express it (a filter above a `TOP`, an aggregate above an aggregate, ...), the current
//! `SELECT` becomes a derived table and the node starts a new one.
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

pub mod ast;
pub(crate) mod expr;
mod plan;

pub use plan::{LocalTableNaming, RemoteTableName, TableNaming, generate};

use datafusion::logical_expr::LogicalPlan;

use crate::capabilities::ServiceCapabilities;

/// [`generate`], then a check that the text re-parses with `adql_syntax::parse_with` under the
/// service's version, features and UDFs: what is sent is valid ADQL for that service.
pub fn generate_checked(
    plan: &LogicalPlan,
    caps: &ServiceCapabilities,
    naming: &dyn TableNaming,
) -> Result<ast::Select, NotPushable> {
    let select = generate(plan, caps, naming)?;
    let text = select.to_string();
    match adql_syntax::parse_with(&text, &caps.parse_options()) {
        Ok(_) => Ok(select),
        Err(e) => Err(NotPushable::new(format!(
            "generated ADQL is not accepted by the service ({e}): {text}"
        ))),
    }
}

use std::fmt;

/// Why a plan or expression cannot be sent to a service; that part stays local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPushable {
    /// Human-readable reason, e.g. `function random is neither ADQL nor declared by the service`.
    pub reason: String,
}

impl NotPushable {
    /// A result with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for NotPushable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not pushable: {}", self.reason)
    }
}

impl std::error::Error for NotPushable {}
