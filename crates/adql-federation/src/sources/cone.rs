//! A cone in a filter: a positional predicate (recognised by [`adql_engine::positional`], in every form
//! the lowering and DataFusion's simplifier leave in a plan) between a table's position columns and a
//! constant position; and the small expression helpers the cone and Mashup tables share.

use adql_engine::positional::positional;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;

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

/// The cone `filter` restricts the position columns `ra_col`/`dec_col` to, if it is a positional
/// predicate (any form [`adql_engine::positional`] recognises) between those columns and a constant
/// position, with a constant radius, in ICRS (or no coordinate system written).
///
/// Strict (`<`) and non-strict (`<=`) comparisons give the same cone: a service answers the closed
/// cone and the filter stays in the plan (the pushdown is `Inexact`), so DataFusion applies the exact
/// comparison to what comes back.
pub fn cone_of(filter: &Expr, ra_col: &str, dec_col: &str) -> Option<Cone> {
    let p = positional(filter)?;
    let icrs = p
        .frames
        .iter()
        .all(|f| f.trim().is_empty() || f.trim().eq_ignore_ascii_case("ICRS"));
    if p.best || !icrs {
        return None;
    }
    let is_position = |(lon, lat): &(Expr, Expr)| is_column(lon, ra_col) && is_column(lat, dec_col);
    let centre = if is_position(&p.p1) {
        &p.p2
    } else if is_position(&p.p2) {
        &p.p1
    } else {
        return None;
    };
    let cone = Cone {
        ra: number(&centre.0)?,
        dec: number(&centre.1)?,
        radius: number(&p.radius)?,
    };
    let valid = cone.ra.is_finite()
        && (-90.0..=90.0).contains(&cone.dec)
        && cone.radius.is_finite()
        && cone.radius >= 0.0;
    valid.then_some(Cone {
        ra: cone.ra.rem_euclid(360.0),
        ..cone
    })
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
