//! [`CrossmatchSpec`]: what a physical crossmatch computes, read by the operator and by the pair step.

use std::sync::Arc;

use datafusion::logical_expr::JoinType;
use datafusion::physical_expr::PhysicalExpr;

use super::node::Side;

/// The radius of a [`super::CrossmatchExec`], degrees.
#[derive(Debug, Clone)]
pub enum ExecRadius {
    /// One radius for all pairs.
    Constant(f64),
    /// An expression evaluated per row of one input.
    Column(Side, Arc<dyn PhysicalExpr>),
}

/// What a [`super::CrossmatchExec`] computes; see [`super::CrossmatchNode`] for the meaning of the fields.
#[derive(Debug, Clone)]
pub struct CrossmatchSpec {
    /// (lon, lat) over the left input.
    pub left_position: (Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>),
    /// (lon, lat) over the right input.
    pub right_position: (Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>),
    /// Radius.
    pub radius: ExecRadius,
    /// `distance < r` rather than `<=`.
    pub strict: bool,
    /// Nearest match only.
    pub best: bool,
    /// The streamed input.
    pub probe: Side,
    /// Inner, left or right.
    pub join_type: JoinType,
    /// Remaining join condition over the output schema.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
}

impl CrossmatchSpec {
    /// Whether the radius is given per row of the probe input.
    pub(crate) fn probe_radius_per_row(&self) -> bool {
        matches!(self.radius, ExecRadius::Column(side, _) if side == self.probe)
    }

    /// The (lon, lat) expressions over `side`.
    pub fn position(&self, side: Side) -> &(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>) {
        match side {
            Side::Left => &self.left_position,
            Side::Right => &self.right_position,
        }
    }
}
