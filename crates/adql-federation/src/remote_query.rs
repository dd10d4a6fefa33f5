//! The `RemoteQuery` logical node: a sub-plan that one service answers with one ADQL query.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use adql_syntax::ast::Query;
use datafusion::common::DFSchemaRef;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

/// A leaf of the logical plan computed by a remote service.
///
/// It replaces the sub-plan it was generated from and has that sub-plan's schema (qualifiers
/// included), so the nodes above it are unchanged. It carries the query as an ADQL syntax tree (what
/// strategies and the overflow splitter build on) and prints it in `EXPLAIN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteQuery {
    /// Service name in the catalogue.
    pub service: String,
    /// Service base URL.
    pub url: String,
    /// The generated query.
    pub query: Query,
    /// Output schema: the schema of the replaced sub-plan.
    pub schema: DFSchemaRef,
    /// At most this many rows, as the service's description of the one table it reads says (a part
    /// over one table has no more rows than the table).
    pub rows_at_most: Option<u64>,
    /// The rows of the part itself, as the service's description of its one table says, when the part
    /// is that table whole (no filter, limit, aggregate or join): an estimate that costs no request.
    pub rows_published: Option<u64>,
}

impl RemoteQuery {
    /// The ADQL text sent.
    pub fn adql(&self) -> String {
        self.query.to_string()
    }
}

impl Hash for RemoteQuery {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.service.hash(state);
        self.url.hash(state);
        self.query.hash(state);
    }
}

impl PartialOrd for RemoteQuery {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let key = |q: &Self| (q.service.clone(), q.url.clone(), q.adql());
        match key(self).cmp(&key(other)) {
            Ordering::Equal if self != other => None,
            ordering => Some(ordering),
        }
    }
}

impl UserDefinedLogicalNodeCore for RemoteQuery {
    fn name(&self) -> &str {
        "RemoteQuery"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "RemoteQuery: service={} url={} adql={}",
            self.service, self.url, self.query
        )
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, _inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(self.clone())
    }

    fn supports_limit_pushdown(&self) -> bool {
        false
    }
}
