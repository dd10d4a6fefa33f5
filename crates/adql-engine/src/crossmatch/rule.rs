//! [`CrossmatchRule`] replaces positional joins by [`CrossmatchNode`]s, and turns the integer form of
//! simplified geometry predicates back into plain predicates.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, Result, plan_err};
use datafusion::logical_expr::utils::{conjunction, split_conjunction_owned};
use datafusion::logical_expr::{Expr, Extension, Filter, Join, JoinType, LogicalPlan};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::node::{CrossmatchNode, RadiusSource, Side};
use crate::positional::{Positional, positional, unwrap_int_predicate};

/// Recognises positional joins (see [`crate::positional`]) in join conditions — a join filter, or a filter
/// over a cross join — of inner, left and right joins without equality keys, and plans them as a
/// [`CrossmatchNode`]. Runs bottom-up after DataFusion's rules, so filters have been pushed into joins.
#[derive(Debug, Default)]
pub struct CrossmatchRule;

impl CrossmatchRule {
    /// The rule.
    pub fn new() -> Self {
        Self
    }
}

impl OptimizerRule for CrossmatchRule {
    fn name(&self) -> &str {
        "crossmatch"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        match plan {
            LogicalPlan::Join(join) if join.on.is_empty() && join.filter.is_some() => {
                let Some(filter) = join.filter.clone() else {
                    return Ok(Transformed::no(LogicalPlan::Join(join)));
                };
                let filter = normalize(filter)?;
                match crossmatch(&join, filter.data.clone())? {
                    Some(node) => Ok(Transformed::yes(node)),
                    None if filter.transformed => Ok(Transformed::yes(LogicalPlan::Join(Join {
                        filter: Some(filter.data),
                        ..join
                    }))),
                    None => Ok(Transformed::no(LogicalPlan::Join(join))),
                }
            }
            LogicalPlan::Filter(filter) => {
                let predicate = normalize(filter.predicate.clone())?;
                if let LogicalPlan::Join(join) = filter.input.as_ref()
                    && join.on.is_empty()
                    && join.filter.is_none()
                    && join.join_type == JoinType::Inner
                    && let Some(node) = crossmatch(join, predicate.data.clone())?
                {
                    return Ok(Transformed::yes(node));
                }
                if predicate.transformed {
                    Ok(Transformed::yes(LogicalPlan::Filter(Filter::try_new(
                        predicate.data,
                        filter.input,
                    )?)))
                } else {
                    Ok(Transformed::no(LogicalPlan::Filter(filter)))
                }
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

/// Rewrites `1 = CAST(pred AS INT)` into `pred` throughout `e`.
fn normalize(e: Expr) -> Result<Transformed<Expr>> {
    e.transform_up(|e| {
        Ok(unwrap_int_predicate(&e).map_or_else(|| Transformed::no(e), Transformed::yes))
    })
}

/// Which inputs the columns of `e` come from: `Some(None)` for no column, `None` for both or neither.
fn side_of(e: &Expr, left: &DFSchema, right: &DFSchema) -> Option<Option<Side>> {
    let mut side = None;
    for column in e.column_refs() {
        let here = if has(left, column) {
            Side::Left
        } else if has(right, column) {
            Side::Right
        } else {
            return None;
        };
        match side {
            None => side = Some(here),
            Some(s) if s != here => return None,
            Some(_) => {}
        }
    }
    Some(side)
}

fn has(schema: &DFSchema, column: &Column) -> bool {
    schema.has_column(column)
}

/// A crossmatch node for `join` under `condition`, if one conjunct is a positional predicate between its
/// two inputs.
fn crossmatch(join: &Join, condition: Expr) -> Result<Option<LogicalPlan>> {
    if !matches!(
        join.join_type,
        JoinType::Inner | JoinType::Left | JoinType::Right
    ) || !join.on.is_empty()
    {
        return Ok(None);
    }
    let (left_schema, right_schema) = (join.left.schema(), join.right.schema());
    let mut conjuncts = split_conjunction_owned(condition);
    let found = conjuncts.iter().enumerate().find_map(|(i, c)| {
        let p = positional(c)?;
        let s1 = side_of(&p.p1.0, left_schema, right_schema)?.zip(side_of(
            &p.p1.1,
            left_schema,
            right_schema,
        )?);
        let s2 = side_of(&p.p2.0, left_schema, right_schema)?.zip(side_of(
            &p.p2.1,
            left_schema,
            right_schema,
        )?);
        match (s1, s2) {
            (Some((a, b)), Some((c, d))) if a == b && c == d && a != c => {
                let radius_side = side_of(&p.radius, left_schema, right_schema)?;
                Some((i, p, a, radius_side))
            }
            _ => None,
        }
    });
    let Some((index, p, p1_side, radius_side)) = found else {
        return Ok(None);
    };
    // The operator needs a radius in [0, 180] (larger ones are clamped). `distance <= NULL`, a negative, NaN
    // or infinite radius hold for no pair or for all (NaN sorts above every number, as in PostgreSQL):
    // leave those odd queries to the ordinary join.
    if matches!(p.radius, Expr::Literal(..))
        && !crate::functions::literal_f64(&p.radius).is_some_and(|r| r.is_finite() && r >= 0.0)
    {
        return Ok(None);
    }
    let Positional {
        p1,
        p2,
        radius,
        strict,
        best,
        // The engine has one sky: the coordinate systems written are not compared.
        frames: _,
    } = p;
    let probe = match (join.join_type, best) {
        (JoinType::Left, false) => Side::Left,
        (JoinType::Right, false) => Side::Right,
        // HashJoin's convention: the left input is collected, the right one streamed.
        (_, false) => Side::Right,
        (JoinType::Inner, true) => p1_side,
        (JoinType::Left, true) if p1_side == Side::Left => Side::Left,
        (JoinType::Right, true) if p1_side == Side::Right => Side::Right,
        (_, true) => {
            return plan_err!(
                "XMATCH_BEST in an outer join keeps one match per row of the preserved table: put that table's position first"
            );
        }
    };
    conjuncts.remove(index);
    let (left_position, right_position) = if p1_side == Side::Left {
        (p1, p2)
    } else {
        (p2, p1)
    };
    let radius_source = match radius_side {
        None if matches!(radius, Expr::Literal(..)) => RadiusSource::Constant,
        // A constant expression that was not folded is evaluated per row of the collected side.
        None => RadiusSource::Column(probe.other()),
        Some(side) => RadiusSource::Column(side),
    };
    let node = CrossmatchNode {
        left: join.left.as_ref().clone(),
        right: join.right.as_ref().clone(),
        left_position,
        right_position,
        radius,
        radius_source,
        strict,
        best,
        probe,
        join_type: join.join_type,
        filter: conjunction(conjuncts),
        schema: Arc::clone(&join.schema),
    };
    Ok(Some(LogicalPlan::Extension(Extension {
        node: Arc::new(node),
    })))
}
