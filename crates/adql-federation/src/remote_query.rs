//! The `RemoteQuery` logical node: a sub-plan that one service answers with one ADQL query.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use datafusion::common::DFSchemaRef;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

/// A leaf of the logical plan computed by a remote service.
///
/// It replaces the sub-plan it was generated from and has that sub-plan's schema (qualifiers
/// included), so the nodes above it are unchanged. It is plain data (service name, URL, ADQL
/// text, schema), so it prints in `EXPLAIN` and can be serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteQuery {
    /// Service name in the catalogue.
    pub service: String,
    /// Service base URL.
    pub url: String,
    /// The generated ADQL.
    pub adql: String,
    /// The query's own `TOP`, if any (a result of exactly MAXREC rows is complete when TOP ≤ MAXREC).
    pub top: Option<u64>,
    /// Output schema: the schema of the replaced sub-plan.
    pub schema: DFSchemaRef,
}

impl Hash for RemoteQuery {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.service.hash(state);
        self.url.hash(state);
        self.adql.hash(state);
        self.top.hash(state);
    }
}

impl PartialOrd for RemoteQuery {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let key = |q: &Self| (q.service.clone(), q.url.clone(), q.adql.clone(), q.top);
        match key(self).cmp(&key(other)) {
            Ordering::Equal if self.schema != other.schema => None,
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
            self.service, self.url, self.adql
        )
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, _inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(self.clone())
    }

    fn supports_limit_pushdown(&self) -> bool {
        false
    }
}
