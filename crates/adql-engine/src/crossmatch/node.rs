//! [`CrossmatchNode`]: the logical crossmatch join.

use std::cmp::Ordering;
use std::fmt;

use datafusion::common::{DFSchemaRef, Result, internal_err};
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, UserDefinedLogicalNodeCore};

/// Which input a part of the crossmatch belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum Side {
    /// The left input.
    Left,
    /// The right input.
    Right,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Self {
        match self {
            Self::Left => Self::Right,
            Self::Right => Self::Left,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
        }
    }
}

/// Where the radius comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum RadiusSource {
    /// A constant expression.
    Constant,
    /// A per-row expression over one input.
    Column(Side),
}

/// A positional join: every pair (left row, right row) whose positions are within `radius` degrees
/// (`distance <= radius`, or `<` when `strict`), optionally only the nearest one per probe row, then the
/// remaining `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CrossmatchNode {
    /// Left input.
    pub left: LogicalPlan,
    /// Right input.
    pub right: LogicalPlan,
    /// (lon, lat) over the left input, degrees.
    pub left_position: (Expr, Expr),
    /// (lon, lat) over the right input, degrees.
    pub right_position: (Expr, Expr),
    /// Radius in degrees.
    pub radius: Expr,
    /// Where `radius` is evaluated.
    pub radius_source: RadiusSource,
    /// `distance < radius`.
    pub strict: bool,
    /// Keep only the nearest match of each probe row.
    pub best: bool,
    /// The side streamed through the index of the other; its rows are the ones an outer join preserves and
    /// a best match reduces to one.
    pub probe: Side,
    /// Inner, left or right.
    pub join_type: JoinType,
    /// Further join conditions, over the output schema.
    pub filter: Option<Expr>,
    /// Output schema: the join's.
    pub schema: DFSchemaRef,
}

impl PartialOrd for CrossmatchNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (
            &self.left,
            &self.right,
            &self.left_position,
            &self.right_position,
            &self.radius,
            &self.filter,
        )
            .partial_cmp(&(
                &other.left,
                &other.right,
                &other.left_position,
                &other.right_position,
                &other.radius,
                &other.filter,
            ))
    }
}

impl CrossmatchNode {
    /// `"all"` or `"best"`.
    pub fn mode(&self) -> &'static str {
        if self.best { "best" } else { "all" }
    }
}

impl UserDefinedLogicalNodeCore for CrossmatchNode {
    fn name(&self) -> &str {
        "Crossmatch"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.left, &self.right]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        let mut exprs = vec![
            self.left_position.0.clone(),
            self.left_position.1.clone(),
            self.right_position.0.clone(),
            self.right_position.1.clone(),
            self.radius.clone(),
        ];
        exprs.extend(self.filter.clone());
        exprs
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "Crossmatch: join_type={}, mode={}, probe={}, distance(({}, {}), ({}, {})) {} {}",
            self.join_type,
            self.mode(),
            self.probe.as_str(),
            self.left_position.0,
            self.left_position.1,
            self.right_position.0,
            self.right_position.1,
            if self.strict { "<" } else { "<=" },
            self.radius
        )?;
        if let Some(filter) = &self.filter {
            write!(f, ", filter={filter}")?;
        }
        Ok(())
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let mut exprs = exprs.into_iter();
        let mut inputs = inputs.into_iter();
        let (Some(llon), Some(llat), Some(rlon), Some(rlat), Some(radius), Some(left), Some(right)) = (
            exprs.next(),
            exprs.next(),
            exprs.next(),
            exprs.next(),
            exprs.next(),
            inputs.next(),
            inputs.next(),
        ) else {
            return internal_err!("Crossmatch takes two inputs and at least five expressions");
        };
        Ok(Self {
            left,
            right,
            left_position: (llon, llat),
            right_position: (rlon, rlat),
            radius,
            filter: exprs.next(),
            ..self.clone()
        })
    }
}
