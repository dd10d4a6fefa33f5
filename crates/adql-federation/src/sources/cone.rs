//! Recognising a cone in a filter, in the forms the engine's lowering and DataFusion's simplifier
//! leave in a plan.
//!
//! `1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', a, b, r))` is lowered to
//! `contains(point(..), circle(..)) = 1`, which the engine's `simplify` turns into
//! `CAST(distance(ra, dec, a, b) <= r AS Int32) = 1` and DataFusion then into
//! `distance(ra, dec, a, b) <= r`. `DISTANCE(POINT(..), POINT(..)) < r` becomes
//! `distance(ra, dec, a, b) < r`. Filter pushdown can run before or after simplification, so every
//! stage is recognised, with the operands in either order.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

/// A cone on the sky: centre and radius in degrees (ICRS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cone {
    /// Right ascension of the centre, degrees.
    pub ra: f64,
    /// Declination of the centre, degrees.
    pub dec: f64,
    /// Radius, degrees.
    pub radius: f64,
}

/// The cone `filter` restricts the position columns `ra_col`/`dec_col` to, if it is one of the
/// recognised cone forms with a constant centre and radius.
///
/// Strict (`<`) and non-strict (`<=`) comparisons give the same cone: a service answers the closed
/// cone and the filter stays in the plan (the pushdown is `Inexact`), so DataFusion applies the exact
/// comparison to what comes back.
pub fn cone_of(filter: &Expr, ra_col: &str, dec_col: &str) -> Option<Cone> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = filter else {
        return None;
    };
    let cone = match op {
        Operator::LtEq | Operator::Lt => distance_cone(left, right, ra_col, dec_col),
        Operator::GtEq | Operator::Gt => distance_cone(right, left, ra_col, dec_col),
        Operator::Eq => {
            if is_one(right) {
                flag_cone(left, ra_col, dec_col)
            } else if is_one(left) {
                flag_cone(right, ra_col, dec_col)
            } else {
                None
            }
        }
        _ => None,
    }?;
    let valid = cone.ra.is_finite()
        && (-90.0..=90.0).contains(&cone.dec)
        && cone.radius.is_finite()
        && cone.radius >= 0.0;
    valid.then_some(Cone {
        ra: cone.ra.rem_euclid(360.0),
        ..cone
    })
}

/// `distance(..) <= radius` (the distance on the left).
fn distance_cone(distance: &Expr, radius: &Expr, ra_col: &str, dec_col: &str) -> Option<Cone> {
    let radius = number(radius)?;
    let Expr::ScalarFunction(f) = distance else {
        return None;
    };
    if f.name() != "distance" {
        return None;
    }
    let (ra, dec) = match f.args.as_slice() {
        [a, b, c, d] => centre_of(a, b, c, d, ra_col, dec_col)?,
        [p1, p2] => {
            let (a, b) = point_args(p1)?;
            let (c, d) = point_args(p2)?;
            centre_of(a, b, c, d, ra_col, dec_col)?
        }
        _ => return None,
    };
    Some(Cone { ra, dec, radius })
}

/// The constant point of a distance between the columns and a constant point, in either order.
fn centre_of(
    a: &Expr,
    b: &Expr,
    c: &Expr,
    d: &Expr,
    ra_col: &str,
    dec_col: &str,
) -> Option<(f64, f64)> {
    if is_column(a, ra_col) && is_column(b, dec_col) {
        Some((number(c)?, number(d)?))
    } else if is_column(c, ra_col) && is_column(d, dec_col) {
        Some((number(a)?, number(b)?))
    } else {
        None
    }
}

/// The 0/1 forms: `contains(point, circle)` and `CAST(distance(..) <= r AS Int32)`.
fn flag_cone(flag: &Expr, ra_col: &str, dec_col: &str) -> Option<Cone> {
    match flag {
        Expr::Cast(c) => cone_of(&c.expr, ra_col, dec_col),
        Expr::TryCast(c) => cone_of(&c.expr, ra_col, dec_col),
        Expr::ScalarFunction(f) if f.name() == "contains" => match f.args.as_slice() {
            [point, circle] => {
                let (lon, lat) = point_args(point)?;
                if !(is_column(lon, ra_col) && is_column(lat, dec_col)) {
                    return None;
                }
                let (ra, dec, radius) = circle_args(circle)?;
                Some(Cone { ra, dec, radius })
            }
            _ => None,
        },
        _ => None,
    }
}

/// `(lon, lat)` of a `point([coosys,] lon, lat)` call in ICRS (or without a frame).
fn point_args(e: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::ScalarFunction(f) = e else {
        return None;
    };
    if f.name() != "point" {
        return None;
    }
    match f.args.as_slice() {
        [frame, lon, lat] if icrs(frame) => Some((lon, lat)),
        [lon, lat] => Some((lon, lat)),
        _ => None,
    }
}

/// `(ra, dec, r)` of a constant circle: a `circle(..)` call with constant arguments, or a CIRCLE value
/// folded to a literal.
fn circle_args(e: &Expr) -> Option<(f64, f64, f64)> {
    match e {
        Expr::ScalarFunction(f) if f.name() == "circle" => {
            let args = match f.args.as_slice() {
                [frame, rest @ ..] if is_string(frame) => {
                    if !icrs(frame) {
                        return None;
                    }
                    rest
                }
                all => all,
            };
            match args {
                [ra, dec, r] => Some((number(ra)?, number(dec)?, number(r)?)),
                [centre, r] => {
                    let (ra, dec) = point_args(centre)?;
                    Some((number(ra)?, number(dec)?, number(r)?))
                }
                _ => None,
            }
        }
        Expr::Literal(ScalarValue::FixedSizeList(list), _)
            if list.len() == 1 && !list.is_null(0) =>
        {
            let values = list.value(0);
            let values = values.as_primitive_opt::<Float64Type>()?;
            match (values.len(), values.null_count()) {
                (3, 0) => Some((values.value(0), values.value(1), values.value(2))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A coordinate system argument the cone services understand: ICRS, or none given.
fn icrs(e: &Expr) -> bool {
    match string(e) {
        Some(s) => {
            let s = s.trim();
            s.is_empty() || s.eq_ignore_ascii_case("ICRS")
        }
        None => false,
    }
}

fn is_string(e: &Expr) -> bool {
    string(e).is_some()
}

fn string(e: &Expr) -> Option<&str> {
    match e {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => Some(s),
        _ => None,
    }
}

fn is_one(e: &Expr) -> bool {
    number(e) == Some(1.0)
}

/// Is `e` the column `name` (possibly under a cast, as type coercion leaves it)?
pub fn is_column(e: &Expr, name: &str) -> bool {
    column_name(e) == Some(name)
}

/// The column `e` reads, looking through casts.
pub fn column_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Column(c) => Some(c.name.as_str()),
        Expr::Cast(c) => column_name(&c.expr),
        Expr::TryCast(c) => column_name(&c.expr),
        _ => None,
    }
}

/// The value of a constant numeric expression (a literal, possibly cast).
pub fn number(e: &Expr) -> Option<f64> {
    let value = literal(e)?;
    if value.is_null() || !value.data_type().is_numeric() {
        return None;
    }
    match value.cast_to(&DataType::Float64).ok()? {
        ScalarValue::Float64(Some(v)) => Some(v),
        _ => None,
    }
}

/// The literal under `e`, with any casts applied.
pub fn literal(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Cast(c) => literal(&c.expr)?.cast_to(c.field.data_type()).ok(),
        Expr::TryCast(c) => literal(&c.expr)?.cast_to(c.field.data_type()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use datafusion::logical_expr::{col, expr::ScalarFunction, lit};

    use super::*;

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        let udf = adql_engine::functions::geometry::udfs()
            .into_iter()
            .find(|u| u.name() == name)
            .unwrap();
        Expr::ScalarFunction(ScalarFunction::new_udf(udf, args))
    }

    #[test]
    fn every_lowered_form_is_a_cone() {
        let dist = call(
            "distance",
            vec![col("s_ra"), col("s_dec"), lit(210.8), lit(54.3)],
        );
        let want = Some(Cone {
            ra: 210.8,
            dec: 54.3,
            radius: 0.24,
        });
        assert_eq!(
            cone_of(&dist.clone().lt_eq(lit(0.24)), "s_ra", "s_dec"),
            want
        );
        assert_eq!(cone_of(&lit(0.24).gt(dist.clone()), "s_ra", "s_dec"), want);
        let flipped = call(
            "distance",
            vec![lit(210.8), lit(54.3), col("s_ra"), col("s_dec")],
        );
        assert_eq!(cone_of(&flipped.lt(lit(0.24)), "s_ra", "s_dec"), want);
        let contains = call(
            "contains",
            vec![
                call("point", vec![lit("ICRS"), col("s_ra"), col("s_dec")]),
                call(
                    "circle",
                    vec![lit("ICRS"), lit(210.8), lit(54.3), lit(0.24)],
                ),
            ],
        );
        assert_eq!(cone_of(&lit(1).eq(contains.clone()), "s_ra", "s_dec"), want);
        let cast = Expr::Cast(datafusion::logical_expr::Cast::new(
            Box::new(dist.clone().lt_eq(lit(0.24))),
            DataType::Int32,
        ));
        assert_eq!(cone_of(&cast.eq(lit(1)), "s_ra", "s_dec"), want);
        // Not a cone: other columns, a non-constant radius, another frame, a negative radius.
        assert_eq!(cone_of(&dist.clone().lt_eq(lit(0.24)), "ra", "dec"), None);
        assert_eq!(
            cone_of(&dist.clone().lt_eq(col("r")), "s_ra", "s_dec"),
            None
        );
        assert_eq!(cone_of(&dist.lt_eq(lit(-1.0)), "s_ra", "s_dec"), None);
        let galactic = call(
            "contains",
            vec![
                call("point", vec![lit("GALACTIC"), col("s_ra"), col("s_dec")]),
                call("circle", vec![lit("ICRS"), lit(1.0), lit(2.0), lit(0.1)]),
            ],
        );
        assert_eq!(cone_of(&galactic.eq(lit(1)), "s_ra", "s_dec"), None);
    }
}
