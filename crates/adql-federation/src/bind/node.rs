//! [`BindJoin`]: an equality join whose inputs a service and another service (or the session) answer.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use datafusion::common::DFSchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::logical_plan::Join;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use crate::side::InputSource;

/// An equality join — written as `JOIN ... ON a.k = b.k`, or as `IN (subquery)` / `EXISTS` (which
/// DataFusion plans as semi and anti joins) — between the results of two services, or of a service and
/// the session's own tables.
///
/// The node marks the join: whether one side's keys are sent to the other side's service (as `IN` lists
/// or an uploaded table) needs row estimates, so the choice is made when the node is planned physically
/// by [`super::BindJoinPlanner`]. Its inputs and expressions are the join's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindJoin {
    /// The join, with its two inputs.
    pub join: Join,
    /// Who answers the left input.
    pub left: InputSource,
    /// Who answers the right input.
    pub right: InputSource,
}

impl PartialOrd for BindJoin {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.join.partial_cmp(&other.join) {
            Some(Ordering::Equal) => {
                (&self.left, &self.right).partial_cmp(&(&other.left, &other.right))
            }
            other => other,
        }
    }
}

impl UserDefinedLogicalNodeCore for BindJoin {
    fn name(&self) -> &str {
        "BindJoin"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.join.left, &self.join.right]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.join.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.join
            .on
            .iter()
            .flat_map(|(l, r)| [l.clone(), r.clone()])
            .chain(self.join.filter.clone())
            .collect()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "BindJoin: left={} right={} (whether one side's keys go to the other side's service is \
             chosen at physical planning), {} join on ",
            self.left, self.right, self.join.join_type
        )?;
        for (i, (l, r)) in self.join.on.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{l} = {r}")?;
        }
        if let Some(filter) = &self.join.filter {
            write!(f, " filter={filter}")?;
        }
        Ok(())
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let [left, right]: [LogicalPlan; 2] = inputs
            .try_into()
            .map_err(|_| DataFusionError::Internal("BindJoin takes two inputs".into()))?;
        let keys = self.join.on.len();
        if exprs.len() != 2 * keys + usize::from(self.join.filter.is_some()) {
            return Err(DataFusionError::Internal(
                "BindJoin: unexpected number of expressions".into(),
            ));
        }
        let mut exprs = exprs.into_iter();
        let mut on = Vec::with_capacity(keys);
        for _ in 0..keys {
            if let (Some(l), Some(r)) = (exprs.next(), exprs.next()) {
                on.push((l, r));
            }
        }
        let filter = exprs.next();
        let join = Join::try_new(
            Arc::new(left),
            Arc::new(right),
            on,
            filter,
            self.join.join_type,
            self.join.join_constraint,
            self.join.null_equality,
            self.join.null_aware,
        )?;
        Ok(Self {
            join,
            left: self.left.clone(),
            right: self.right.clone(),
        })
    }

    fn supports_limit_pushdown(&self) -> bool {
        false
    }
}
