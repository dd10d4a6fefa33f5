//! [`CrossServiceJoin`]: a positional join whose inputs are answered by two different services.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use adql_engine::crossmatch::CrossmatchNode;

use crate::side::InputSource;
use datafusion::common::DFSchemaRef;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

/// A crossmatch (see [`CrossmatchNode`]) between the results of two services, or of a service and local
/// tables.
///
/// The node only marks the join: which strategy answers it (fetch both sides, upload, cones, region)
/// needs row estimates, and those need I/O, so the choice is made when the node is planned physically
/// by [`super::CrossServiceJoinPlanner`]. Its inputs and expressions are the crossmatch's, so the
/// optimizer sees through it like through the crossmatch itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossServiceJoin {
    /// The positional join, with its two inputs.
    pub xmatch: CrossmatchNode,
    /// Who answers the left input.
    pub left: InputSource,
    /// Who answers the right input.
    pub right: InputSource,
}

impl Hash for CrossServiceJoin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.xmatch.hash(state);
        self.left.hash(state);
        self.right.hash(state);
    }
}

impl PartialOrd for CrossServiceJoin {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.xmatch.partial_cmp(&other.xmatch) {
            Some(Ordering::Equal) => {
                (&self.left, &self.right).partial_cmp(&(&other.left, &other.right))
            }
            other => other,
        }
    }
}

impl UserDefinedLogicalNodeCore for CrossServiceJoin {
    fn name(&self) -> &str {
        "CrossServiceJoin"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.xmatch.left, &self.xmatch.right]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.xmatch.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        UserDefinedLogicalNodeCore::expressions(&self.xmatch)
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "CrossServiceJoin: left={} right={} (strategy chosen at physical planning from row estimates), ",
            self.left, self.right
        )?;
        UserDefinedLogicalNodeCore::fmt_for_explain(&self.xmatch, f)
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(Self {
            xmatch: self.xmatch.with_exprs_and_inputs(exprs, inputs)?,
            left: self.left.clone(),
            right: self.right.clone(),
        })
    }

    fn supports_limit_pushdown(&self) -> bool {
        false
    }
}
