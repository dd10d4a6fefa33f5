//! [`CrossmatchPlanner`]: [`CrossmatchNode`] → [`CrossmatchExec`].

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{ExtensionPlanner, PhysicalPlanner};

use super::exec::CrossmatchExec;
use super::node::{CrossmatchNode, RadiusSource, Side};
use super::spec::{CrossmatchSpec, ExecRadius};

/// Plans [`CrossmatchNode`]s.
#[derive(Debug, Default)]
pub struct CrossmatchPlanner;

#[async_trait]
impl ExtensionPlanner for CrossmatchPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<CrossmatchNode>() else {
            return Ok(None);
        };
        let ([left_logical, right_logical], [left, right]) = (logical_inputs, physical_inputs)
        else {
            return internal_err!("Crossmatch takes two inputs");
        };
        let (left_schema, right_schema) = (left_logical.schema(), right_logical.schema());
        let physical = |e: &Expr, side: Side| {
            session.create_physical_expr(
                e.clone(),
                if side == Side::Left {
                    left_schema
                } else {
                    right_schema
                },
            )
        };
        let radius = match node.radius_source {
            RadiusSource::Constant => match &node.radius {
                Expr::Literal(v, _) => {
                    match v.cast_to(&datafusion::arrow::datatypes::DataType::Float64)? {
                        ScalarValue::Float64(Some(r)) if r.is_finite() && r >= 0.0 => {
                            ExecRadius::Constant(r.min(180.0))
                        }
                        ScalarValue::Float64(Some(r)) => {
                            return plan_err!("crossmatch radius {r} is not in [0, 180] degrees");
                        }
                        other => {
                            return internal_err!(
                                "constant crossmatch radius is not a number: {other}"
                            );
                        }
                    }
                }
                other => {
                    return internal_err!("constant crossmatch radius is not a literal: {other}");
                }
            },
            RadiusSource::Column(side) => ExecRadius::Column(side, physical(&node.radius, side)?),
        };
        let spec = CrossmatchSpec {
            left_position: (
                physical(&node.left_position.0, Side::Left)?,
                physical(&node.left_position.1, Side::Left)?,
            ),
            right_position: (
                physical(&node.right_position.0, Side::Right)?,
                physical(&node.right_position.1, Side::Right)?,
            ),
            radius,
            strict: node.strict,
            best: node.best,
            probe: node.probe,
            join_type: node.join_type,
            filter: node
                .filter
                .as_ref()
                .map(|f| session.create_physical_expr(f.clone(), &node.schema))
                .transpose()?,
        };
        let schema = Arc::new(node.schema.as_arrow().clone());
        Ok(Some(Arc::new(CrossmatchExec::new(
            Arc::clone(left),
            Arc::clone(right),
            spec,
            schema,
        ))))
    }
}
