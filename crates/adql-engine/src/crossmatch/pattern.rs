//! Recognising positional predicates in expressions.
//!
//! Shapes recognised (after removing casts and aliases, which type coercion adds around `1 = ...`):
//!
//! - `distance(point(a..), point(b..)) < r` or `<= r` (either operand order: `r > distance(...)`), and the
//!   four-number form `distance(a_lon, a_lat, b_lon, b_lat)`;
//! - `1 = contains(point(b..), circle(a.., r))` (the `= 1` on either side), and `intersects` with a point
//!   and a circle in either order; after `contains`'s own simplification this arrives as
//!   `1 = CAST(distance(...) <= r AS INT)`, which is recognised too;
//! - `1 = xmatch_best(a_lon, a_lat, b_lon, b_lat, r)`: the best-match form.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use crate::functions::geometry::{circle_call_args, point_call_args};

/// A positional predicate: `distance(p1, p2) <= radius` (or `<` when `strict`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Positional {
    /// First position (lon, lat); for the best-match form, the position whose rows each keep one match.
    pub p1: (Expr, Expr),
    /// Second position.
    pub p2: (Expr, Expr),
    /// Radius in degrees.
    pub radius: Expr,
    /// `distance < r` rather than `<=`.
    pub strict: bool,
    /// The best-match form.
    pub best: bool,
}

/// `e` without casts and aliases.
pub(crate) fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Cast(c) => strip(&c.expr),
        Expr::TryCast(c) => strip(&c.expr),
        Expr::Alias(a) => strip(&a.expr),
        other => other,
    }
}

/// Whether `e` is the literal number `value` (any numeric type).
pub(crate) fn is_number_literal(e: &Expr, value: f64) -> bool {
    match strip(e) {
        Expr::Literal(v, _) if !v.is_null() => {
            match v.cast_to(&datafusion::arrow::datatypes::DataType::Float64) {
                Ok(ScalarValue::Float64(Some(x))) => x == value,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether `e` (already stripped) is a boolean-valued comparison or connective.
pub(crate) fn is_predicate(e: &Expr) -> bool {
    match e {
        Expr::BinaryExpr(b) => matches!(
            b.op,
            Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq
                | Operator::Eq
                | Operator::NotEq
                | Operator::And
                | Operator::Or
        ),
        Expr::Not(_) | Expr::IsNull(_) | Expr::IsNotNull(_) | Expr::Between(_) => true,
        _ => false,
    }
}

fn call<'a>(e: &'a Expr, name: &str) -> Option<&'a [Expr]> {
    match e {
        Expr::ScalarFunction(f) if f.name() == name => Some(&f.args),
        _ => None,
    }
}

/// The two positions of a `distance(...)` call.
fn distance_args(e: &Expr) -> Option<((Expr, Expr), (Expr, Expr))> {
    match call(strip(e), "distance")? {
        [a, b, c, d] => Some(((a.clone(), b.clone()), (c.clone(), d.clone()))),
        [p1, p2] => Some((point_call_args(p1)?, point_call_args(p2)?)),
        _ => None,
    }
}

/// The positional predicate `e` expresses, if any.
pub(crate) fn positional(e: &Expr) -> Option<Positional> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = strip(e) else {
        return None;
    };
    match op {
        Operator::Lt | Operator::LtEq => distance_args(left).map(|(p1, p2)| Positional {
            p1,
            p2,
            radius: strip(right).clone(),
            strict: *op == Operator::Lt,
            best: false,
        }),
        Operator::Gt | Operator::GtEq => distance_args(right).map(|(p1, p2)| Positional {
            p1,
            p2,
            radius: strip(left).clone(),
            strict: *op == Operator::Gt,
            best: false,
        }),
        Operator::Eq => {
            let other = if is_number_literal(left, 1.0) {
                strip(right)
            } else if is_number_literal(right, 1.0) {
                strip(left)
            } else {
                return None;
            };
            if is_predicate(other) {
                return positional(other);
            }
            if let Some([a, b, c, d, r]) = call(other, "xmatch_best") {
                return Some(Positional {
                    p1: (a.clone(), b.clone()),
                    p2: (c.clone(), d.clone()),
                    radius: r.clone(),
                    strict: false,
                    best: true,
                });
            }
            let (point, circle) = match (call(other, "contains"), call(other, "intersects")) {
                (Some([p, c]), _) => (p, c),
                (_, Some([x, y])) if point_call_args(x).is_some() => (x, y),
                (_, Some([x, y])) => (y, x),
                _ => return None,
            };
            let p1 = point_call_args(point)?;
            let (lon, lat, radius) = circle_call_args(circle)?;
            Some(Positional {
                p1,
                p2: (lon, lat),
                radius,
                strict: false,
                best: false,
            })
        }
        _ => None,
    }
}

/// `1 = CAST(pred AS INT)` (either side) → `pred`, and `0 = CAST(pred AS INT)` → `NOT pred`: the form
/// `contains(point, circle)` takes after simplification, turned back into a plain predicate that filter
/// pushdown and pruning understand. NULL stays NULL in both.
pub(crate) fn unwrap_int_predicate(e: &Expr) -> Option<Expr> {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Eq,
        right,
    }) = e
    else {
        return None;
    };
    for (lit_side, other) in [(left, right), (right, left)] {
        let inner = strip(other);
        if !matches!(other.as_ref(), Expr::Cast(_) | Expr::TryCast(_)) || !is_predicate(inner) {
            continue;
        }
        if is_number_literal(lit_side, 1.0) {
            return Some(inner.clone());
        }
        if is_number_literal(lit_side, 0.0) {
            return Some(Expr::Not(Box::new(inner.clone())));
        }
    }
    None
}
