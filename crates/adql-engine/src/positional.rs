//! Positional predicates (`DISTANCE(...) <= r`, `1 = CONTAINS(POINT, CIRCLE)`, ...) recognised in expressions.
//!
//! One recogniser for every layer that needs to know "is this a cone or a crossmatch?": the crossmatch rule
//! ([`crate::crossmatch`]), the `simplify` of the geometry functions ([`crate::functions::geometry`]), and
//! the federation's pushdown and cross-service joins. It reads expressions only (no schema): which table a
//! position belongs to is for the caller to decide.
//!
//! [`positional`] recognises, after removing the casts and aliases that type coercion adds (around the
//! comparison, both sides of `= 1`, the `distance` call, and the casts to DOUBLE around the radius it is
//! compared with; a written `CAST(r AS INTEGER)` stays, since it truncates):
//!
//! | written | [`Positional`] |
//! | --- | --- |
//! | `distance(point(a..), point(b..)) <= r`, `r >= distance(...)` | `p1 = a`, `p2 = b`, `strict = false` |
//! | `distance(...) < r`, `r > distance(...)` | the same, `strict = true` |
//! | `distance(a_lon, a_lat, b_lon, b_lat)` in place of `distance(point, point)` | the same |
//! | `1 = contains(point(a..), circle(b.., r))`, `contains(...) = 1` | `p1 = a`, `p2 = b`, `strict = false` |
//! | `1 = intersects(point(a..), circle(b.., r))`, and `intersects(circle, point)` | as `contains` |
//! | `1 = CAST(pred AS INT)` (either side), `pred` one of the comparisons above | as `pred` |
//! | `1 = xmatch_best(a_lon, a_lat, b_lon, b_lat, r)` (either side) | `p1 = a`, `p2 = b`, `best = true` |
//!
//! A POINT is a `point([coosys,] lon, lat)` call or a constant POINT (a one-row `FixedSizeList<Float64>(2)`
//! literal, what constant folding makes of `point(1, 2)`); a CIRCLE is a `circle([coosys,] lon, lat, r)` or
//! `circle([coosys,] point, r)` call or a constant CIRCLE (`FixedSizeList<Float64>(3)`). The `1` is any
//! literal equal to one ([`is_number_literal`]). `CAST(pred AS INT)` is what `contains(point, circle)` becomes after its own
//! `simplify` (`CAST(distance(a, b, c, d) <= r AS INT)`), so both the written and the simplified plan are
//! recognised. Nothing else is: `distance(...) > r` (outside a cone), `0 = contains(...)`, a circle as first
//! argument of `contains`, any other geometry.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, lit};

/// A positional predicate: `distance(p1, p2) <= radius` (or `<` when `strict`); see the module
/// documentation for the forms it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Positional {
    /// First position (lon, lat) in degrees: the first argument of `distance` or `xmatch_best`, the point of
    /// `contains`/`intersects`. In the best-match form, the position whose rows each keep one match.
    pub p1: (Expr, Expr),
    /// Second position (lon, lat) in degrees: the second of `distance` or `xmatch_best`, the circle's centre.
    pub p2: (Expr, Expr),
    /// Radius in degrees: for the `distance` forms the other operand of the comparison without the casts and
    /// aliases around it (type coercion adds them), otherwise the argument as written.
    pub radius: Expr,
    /// `distance < r` rather than `<=` (never for `contains`, `intersects`, `xmatch_best`).
    pub strict: bool,
    /// The best-match form, `xmatch_best`: only the nearest `p2` within the radius for each `p1`.
    pub best: bool,
    /// The coordinate-system literals written in the POINT/CIRCLE calls it came from (e.g. `"ICRS"`,
    /// `"GALACTIC"`), verbatim, one per call that has one (see [`frames`]): those of the calls giving `p1`
    /// first, then those giving `p2`. Empty when none were written or the form has none, such as
    /// `distance(a, b, c, d)`, `xmatch_best` or a constant POINT or CIRCLE.
    pub frames: Vec<String>,
}

/// `e` without the casts, try-casts and aliases around it.
pub fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Cast(c) => strip(&c.expr),
        Expr::TryCast(c) => strip(&c.expr),
        Expr::Alias(a) => strip(&a.expr),
        other => other,
    }
}

/// Whether `e` (under casts and aliases) is a non-NULL literal whose value cast to Float64 equals `value`:
/// `1`, `1.0` and `CAST(1 AS BIGINT)` (and the text `'1'`) all equal `1.0`.
pub fn is_number_literal(e: &Expr, value: f64) -> bool {
    match strip(e) {
        Expr::Literal(v, _) if !v.is_null() => match v.cast_to(&DataType::Float64) {
            Ok(ScalarValue::Float64(Some(x))) => x == value,
            _ => false,
        },
        _ => false,
    }
}

/// Whether `e` (already stripped) is a boolean-valued comparison or connective: `<`, `<=`, `>`, `>=`, `=`,
/// `<>`, `AND`, `OR`, `NOT`, `IS [NOT] NULL`, `BETWEEN`.
pub fn is_predicate(e: &Expr) -> bool {
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

/// The arguments of `e` if it is a call of the function `name`.
fn call<'a>(e: &'a Expr, name: &str) -> Option<&'a [Expr]> {
    match e {
        Expr::ScalarFunction(f) if f.name() == name => Some(&f.args),
        _ => None,
    }
}

/// The values of a constant-folded geometry literal with `n` numbers (a one-row, non-NULL
/// `FixedSizeList<Float64>(n)` without NULL values), as literal expressions.
fn literal_values(e: &Expr, n: usize) -> Option<Vec<Expr>> {
    let Expr::Literal(ScalarValue::FixedSizeList(list), _) = e else {
        return None;
    };
    if list.len() != 1 || list.is_null(0) || usize::try_from(list.value_length()).ok() != Some(n) {
        return None;
    }
    let values = list.value(0);
    let values = values.as_primitive_opt::<Float64Type>()?;
    (values.null_count() == 0).then(|| values.values().iter().map(|v| lit(*v)).collect())
}

/// The string of a non-NULL string literal.
fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s),
        _ => None,
    }
}

/// Whether `e` is a string literal (NULL or not): the coordinate-system argument of a geometry call.
fn is_string_literal(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v, _) if matches!(
        v.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ))
}

/// `(lon, lat)` of a POINT: a `point(lon, lat)` or `point(coosys, lon, lat)` call (the coordinate system
/// dropped; see [`frames`]), or a constant POINT (a one-row `FixedSizeList<Float64>(2)` literal without
/// NULLs, as constant folding leaves `point(1, 2)`; its values come back as Float64 literals). `None` for
/// anything else, including a cast or alias around the call.
pub fn point_args(e: &Expr) -> Option<(Expr, Expr)> {
    match e {
        Expr::ScalarFunction(f) if f.name() == "point" => match f.args.as_slice() {
            [_, lon, lat] | [lon, lat] => Some((lon.clone(), lat.clone())),
            _ => None,
        },
        _ => match literal_values(e, 2)?.as_slice() {
            [lon, lat] => Some((lon.clone(), lat.clone())),
            _ => None,
        },
    }
}

/// `(lon, lat, radius)` of a CIRCLE: a `circle([coosys,] lon, lat, r)` call, a `circle([coosys,] point, r)`
/// call whose centre is a POINT of [`point_args`] (unfolded into its lon and lat), or a constant CIRCLE (a
/// one-row `FixedSizeList<Float64>(3)` literal without NULLs: constant folding runs before `simplify`).
/// The coordinate system is dropped (see [`frames`]). `None` for anything else.
pub fn circle_args(e: &Expr) -> Option<(Expr, Expr, Expr)> {
    let Expr::ScalarFunction(f) = e else {
        return match literal_values(e, 3)?.as_slice() {
            [lon, lat, r] => Some((lon.clone(), lat.clone(), r.clone())),
            _ => None,
        };
    };
    if f.name() != "circle" {
        return None;
    }
    let args: &[Expr] = match f.args.as_slice() {
        [frame, rest @ ..] if is_string_literal(frame) => rest,
        all => all,
    };
    match args {
        [lon, lat, r] => Some((lon.clone(), lat.clone(), r.clone())),
        [center, r] => point_args(center).map(|(lon, lat)| (lon, lat, r.clone())),
        _ => None,
    }
}

/// The coordinate-system literals written in a `point(...)` or `circle(...)` call `e`, verbatim: the
/// call's own first argument when it is a non-NULL string literal, then, for `circle(point(...), r)`, the
/// centre's. Empty for a call without one, a constant (folded) geometry, or any other expression.
pub fn frames(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    collect_frames(e, &mut out);
    out
}

fn collect_frames(e: &Expr, out: &mut Vec<String>) {
    let Expr::ScalarFunction(f) = e else {
        return;
    };
    let args = match f.name() {
        "point" | "circle" => f.args.as_slice(),
        _ => return,
    };
    let rest = match args {
        [first, rest @ ..] if is_string_literal(first) => {
            out.extend(string_literal(first).map(str::to_owned));
            rest
        }
        all => all,
    };
    // Only a circle has a point among its arguments (its centre, followed by the radius).
    if f.name() == "circle"
        && let [center, _] = rest
    {
        collect_frames(center, out);
    }
}

/// `distance <= radius` (`<` when `strict`), `distance` a `distance(...)` call under casts and aliases.
fn within(distance: &Expr, radius: &Expr, strict: bool) -> Option<Positional> {
    let (p1, p2, frames) = match call(strip(distance), "distance")? {
        [a, b, c, d] => ((a.clone(), b.clone()), (c.clone(), d.clone()), Vec::new()),
        [p1, p2] => {
            let mut written = frames(p1);
            written.extend(frames(p2));
            (point_args(p1)?, point_args(p2)?, written)
        }
        _ => return None,
    };
    Some(Positional {
        p1,
        p2,
        radius: strip_to_double(radius).clone(),
        strict,
        best: false,
        frames,
    })
}

/// `e` without aliases and casts to DOUBLE: the casts type coercion adds so that the radius compares with
/// the DOUBLE distance, which change no value a comparison with a DOUBLE sees. Any other cast stays: a
/// written `CAST(r AS INTEGER)` truncates the radius.
fn strip_to_double(e: &Expr) -> &Expr {
    match e {
        Expr::Cast(c) if c.field.data_type() == &DataType::Float64 => strip_to_double(&c.expr),
        Expr::TryCast(c) if c.field.data_type() == &DataType::Float64 => strip_to_double(&c.expr),
        Expr::Alias(a) => strip_to_double(&a.expr),
        other => other,
    }
}

/// The positional predicate `e` expresses, if any: one of the forms of the module documentation.
pub fn positional(e: &Expr) -> Option<Positional> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = strip(e) else {
        return None;
    };
    // `distance` on the side the comparison opens towards: `d < r` or `r > d`.
    match op {
        Operator::Lt | Operator::LtEq => within(left, right, *op == Operator::Lt),
        Operator::Gt | Operator::GtEq => within(right, left, *op == Operator::Gt),
        Operator::Eq => flag(left, right),
        _ => None,
    }
}

/// The 0/1 forms: `1 = other` or `other = 1`, `other` a 0/1 predicate (`contains`, `intersects`,
/// `xmatch_best`, or a cast comparison).
fn flag(left: &Expr, right: &Expr) -> Option<Positional> {
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
            frames: Vec::new(),
        });
    }
    let (point, circle) = match (call(other, "contains"), call(other, "intersects")) {
        (Some([p, c]), _) => (p, c),
        (_, Some([x, y])) if point_args(x).is_some() => (x, y),
        (_, Some([x, y])) => (y, x),
        _ => return None,
    };
    let p1 = point_args(point)?;
    let (lon, lat, radius) = circle_args(circle)?;
    let mut written = frames(point);
    written.extend(frames(circle));
    Some(Positional {
        p1,
        p2: (lon, lat),
        radius,
        strict: false,
        best: false,
        frames: written,
    })
}

/// `1 = CAST(pred AS INT)` (the `1` on either side) → `pred`, and `0 = CAST(pred AS INT)` → `NOT pred`,
/// for `pred` a predicate of [`is_predicate`] directly under a cast or try-cast (to any type): the form
/// `contains(point, circle)` takes after simplification, turned back into a plain predicate that filter
/// pushdown and pruning understand. NULL stays NULL in both. `None` for anything else.
pub fn unwrap_int_predicate(e: &Expr) -> Option<Expr> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use datafusion::arrow::array::FixedSizeListArray;
    use datafusion::arrow::datatypes::{DataType, Float64Type};
    use datafusion::common::{Result, ScalarValue};
    use datafusion::logical_expr::expr::ScalarFunction;
    use datafusion::logical_expr::{
        ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
        cast, col, lit,
    };

    use super::*;

    /// A function that only has a name: the recogniser reads names and arguments, never the
    /// implementation (and this module does not depend on the geometry functions).
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct Named(&'static str, Signature);

    impl ScalarUDFImpl for Named {
        fn name(&self) -> &str {
            self.0
        }
        fn signature(&self) -> &Signature {
            &self.1
        }
        fn return_type(&self, _: &[DataType]) -> Result<DataType> {
            Ok(DataType::Int32)
        }
        fn invoke_with_args(&self, _: ScalarFunctionArgs) -> Result<ColumnarValue> {
            unimplemented!("never evaluated")
        }
    }

    fn f(name: &'static str, args: Vec<Expr>) -> Expr {
        let udf = Named(name, Signature::variadic_any(Volatility::Immutable));
        Expr::ScalarFunction(ScalarFunction::new_udf(
            Arc::new(ScalarUDF::from(udf)),
            args,
        ))
    }

    fn point(frame: Option<&str>, lon: Expr, lat: Expr) -> Expr {
        match frame {
            Some(s) => f("point", vec![lit(s), lon, lat]),
            None => f("point", vec![lon, lat]),
        }
    }

    fn a() -> (Expr, Expr) {
        (col("a.ra"), col("a.dec"))
    }

    fn b() -> (Expr, Expr) {
        (col("b.ra"), col("b.dec"))
    }

    fn pa() -> Expr {
        point(Some("ICRS"), col("a.ra"), col("a.dec"))
    }

    fn pb() -> Expr {
        point(Some("GALACTIC"), col("b.ra"), col("b.dec"))
    }

    fn circle_b(r: Expr) -> Expr {
        f("circle", vec![lit("ICRS"), col("b.ra"), col("b.dec"), r])
    }

    /// A constant geometry as constant folding leaves it.
    fn constant(values: &[f64]) -> Expr {
        let list = FixedSizeListArray::from_iter_primitive::<Float64Type, _, _>(
            vec![Some(values.iter().map(|v| Some(*v)).collect::<Vec<_>>())],
            values.len() as i32,
        );
        Expr::Literal(ScalarValue::FixedSizeList(Arc::new(list)), None)
    }

    fn expected(p1: (Expr, Expr), p2: (Expr, Expr), radius: Expr, strict: bool) -> Positional {
        Positional {
            p1,
            p2,
            radius,
            strict,
            best: false,
            frames: Vec::new(),
        }
    }

    fn with_frames(p: Positional, frames: &[&str]) -> Positional {
        Positional {
            frames: frames.iter().map(|s| s.to_string()).collect(),
            ..p
        }
    }

    #[test]
    fn distance_in_every_operand_order_and_comparison() {
        let d = || f("distance", vec![pa(), pb()]);
        let r = || lit(0.1);
        let frames = ["ICRS", "GALACTIC"];
        for (e, strict) in [
            (d().lt_eq(r()), false),
            (d().lt(r()), true),
            (r().gt_eq(d()), false),
            (r().gt(d()), true),
        ] {
            assert_eq!(
                positional(&e),
                Some(with_frames(expected(a(), b(), r(), strict), &frames)),
                "{e}"
            );
        }
        // The four-number form, with casts around the distance and the radius.
        let d4 = f(
            "distance",
            vec![col("a.ra"), col("a.dec"), col("b.ra"), col("b.dec")],
        );
        let e = cast(d4, DataType::Float64).lt_eq(cast(col("a.r"), DataType::Float64).alias("r"));
        assert_eq!(positional(&e), Some(expected(a(), b(), col("a.r"), false)));
        // A written narrowing cast of the radius is part of its value.
        let truncated = cast(col("a.r"), DataType::Int32);
        let e = d().lt_eq(cast(truncated.clone(), DataType::Float64));
        assert_eq!(
            positional(&e),
            Some(with_frames(expected(a(), b(), truncated, false), &frames))
        );
        // Outside a cone, or another comparison: not positional.
        assert_eq!(positional(&d().gt(r())), None);
        assert_eq!(positional(&r().lt(d())), None);
        assert_eq!(positional(&d().eq(r())), None);
        assert_eq!(positional(&f("distance", vec![pa()]).lt(r())), None);
    }

    #[test]
    fn contains_with_the_one_on_either_side() {
        let c = || f("contains", vec![pa(), circle_b(lit(0.2))]);
        let want = with_frames(expected(a(), b(), lit(0.2), false), &["ICRS", "ICRS"]);
        assert_eq!(positional(&lit(1).eq(c())), Some(want.clone()));
        assert_eq!(positional(&c().eq(lit(1))), Some(want.clone()));
        // Type coercion casts both sides.
        let coerced = cast(lit(1), DataType::Int64).eq(cast(c(), DataType::Int64));
        assert_eq!(positional(&coerced), Some(want.clone()));
        assert_eq!(positional(&lit(1.0).eq(c())), Some(want));
        // Only `= 1`.
        assert_eq!(positional(&lit(0).eq(c())), None);
        assert_eq!(positional(&lit(2).eq(c())), None);
        assert_eq!(positional(&c()), None);
        // The circle first is not "point in circle".
        let reversed = f("contains", vec![circle_b(lit(0.2)), pa()]);
        assert_eq!(positional(&lit(1).eq(reversed)), None);
        // Another geometry than a circle.
        let polygon = f(
            "polygon",
            vec![lit(1.0), lit(2.0), lit(3.0), lit(4.0), lit(5.0), lit(6.0)],
        );
        assert_eq!(
            positional(&lit(1).eq(f("contains", vec![pa(), polygon]))),
            None
        );
    }

    #[test]
    fn contains_a_circle_around_a_point() {
        let circle = f("circle", vec![lit("FK5"), pb(), col("b.r")]);
        let e = lit(1).eq(f("contains", vec![pa(), circle]));
        assert_eq!(
            positional(&e),
            Some(with_frames(
                expected(a(), b(), col("b.r"), false),
                &["ICRS", "FK5", "GALACTIC"]
            ))
        );
        // Without any coordinate system.
        let circle = f(
            "circle",
            vec![point(None, col("b.ra"), col("b.dec")), lit(1)],
        );
        let e = lit(1).eq(f(
            "contains",
            vec![point(None, col("a.ra"), col("a.dec")), circle],
        ));
        assert_eq!(positional(&e), Some(expected(a(), b(), lit(1), false)));
    }

    #[test]
    fn intersects_in_both_argument_orders() {
        let want = with_frames(expected(a(), b(), lit(0.2), false), &["ICRS", "ICRS"]);
        let e = lit(1).eq(f("intersects", vec![pa(), circle_b(lit(0.2))]));
        assert_eq!(positional(&e), Some(want));
        // The point comes first in the result, whatever the order written; so do its frames.
        let fk5 = f(
            "circle",
            vec![lit("FK5"), col("b.ra"), col("b.dec"), lit(0.2)],
        );
        let e = f("intersects", vec![fk5, pa()]).eq(lit(1));
        assert_eq!(
            positional(&e),
            Some(with_frames(
                expected(a(), b(), lit(0.2), false),
                &["ICRS", "FK5"]
            ))
        );
        let e = lit(1).eq(f(
            "intersects",
            vec![circle_b(lit(0.2)), circle_b(lit(0.1))],
        ));
        assert_eq!(positional(&e), None);
    }

    #[test]
    fn the_simplified_integer_form() {
        // `contains(point, circle)` after its `simplify`: `CAST(distance(a, b, c, d) <= r AS INT)`.
        let d4 = || {
            f(
                "distance",
                vec![col("a.ra"), col("a.dec"), col("b.ra"), col("b.dec")],
            )
        };
        let flag = || cast(d4().lt_eq(lit(0.3)), DataType::Int32);
        let want = expected(a(), b(), lit(0.3), false);
        assert_eq!(positional(&lit(1).eq(flag())), Some(want.clone()));
        assert_eq!(positional(&flag().eq(lit(1))), Some(want));
        let strict = cast(d4().lt(lit(0.3)), DataType::Int32);
        assert_eq!(
            positional(&lit(1).eq(strict)),
            Some(expected(a(), b(), lit(0.3), true))
        );
        assert_eq!(positional(&lit(0).eq(flag())), None);
    }

    #[test]
    fn best_match() {
        let x = || {
            f(
                "xmatch_best",
                vec![
                    col("a.ra"),
                    col("a.dec"),
                    col("b.ra"),
                    col("b.dec"),
                    lit(0.01),
                ],
            )
        };
        let want = Positional {
            best: true,
            ..expected(a(), b(), lit(0.01), false)
        };
        assert_eq!(positional(&lit(1).eq(x())), Some(want.clone()));
        assert_eq!(positional(&x().eq(lit(1))), Some(want));
        let four = f(
            "xmatch_best",
            vec![col("a.ra"), col("a.dec"), col("b.ra"), col("b.dec")],
        );
        assert_eq!(positional(&lit(1).eq(four)), None);
    }

    #[test]
    fn constant_points_and_circles() {
        // distance(POINT(1, 2), point(b..)) with the first point folded: a constant position, no frame.
        let e = f("distance", vec![constant(&[1.0, 2.0]), pb()]).lt_eq(lit(0.5));
        assert_eq!(
            positional(&e),
            Some(with_frames(
                expected((lit(1.0), lit(2.0)), b(), lit(0.5), false),
                &["GALACTIC"]
            ))
        );
        // contains(point(a..), CIRCLE(10, 20, 0.5)) with the circle folded.
        let e = lit(1).eq(f("contains", vec![pa(), constant(&[10.0, 20.0, 0.5])]));
        assert_eq!(
            positional(&e),
            Some(with_frames(
                expected(a(), (lit(10.0), lit(20.0)), lit(0.5), false),
                &["ICRS"]
            ))
        );
        // A POINT where a CIRCLE is expected, and the other way round.
        let e = lit(1).eq(f("contains", vec![pa(), constant(&[10.0, 20.0])]));
        assert_eq!(positional(&e), None);
        let e = f("distance", vec![constant(&[1.0, 2.0, 3.0]), pb()]).lt_eq(lit(0.5));
        assert_eq!(positional(&e), None);
    }

    #[test]
    fn points_and_circles() {
        assert_eq!(point_args(&pa()), Some(a()));
        assert_eq!(
            point_args(&point(None, col("a.ra"), col("a.dec"))),
            Some(a())
        );
        assert_eq!(
            point_args(&constant(&[1.0, 2.0])),
            Some((lit(1.0), lit(2.0)))
        );
        assert_eq!(point_args(&constant(&[1.0, 2.0, 3.0])), None);
        assert_eq!(point_args(&f("point", vec![col("a.ra")])), None);
        assert_eq!(point_args(&circle_b(lit(1))), None);
        assert_eq!(point_args(&cast(pa(), DataType::Utf8)), None);
        let null = FixedSizeListArray::from_iter_primitive::<Float64Type, _, _>(
            vec![None::<Vec<Option<f64>>>],
            2,
        );
        let null = Expr::Literal(ScalarValue::FixedSizeList(Arc::new(null)), None);
        assert_eq!(point_args(&null), None);
        let nan_free = FixedSizeListArray::from_iter_primitive::<Float64Type, _, _>(
            vec![Some(vec![Some(1.0), None])],
            2,
        );
        let with_null_value = Expr::Literal(ScalarValue::FixedSizeList(Arc::new(nan_free)), None);
        assert_eq!(point_args(&with_null_value), None);

        let (lon, lat) = b();
        let r = col("b.r");
        let want = Some((lon.clone(), lat.clone(), r.clone()));
        assert_eq!(circle_args(&circle_b(r.clone())), want);
        let bare = f("circle", vec![lon.clone(), lat.clone(), r.clone()]);
        assert_eq!(circle_args(&bare), want);
        assert_eq!(circle_args(&f("circle", vec![pb(), r.clone()])), want);
        assert_eq!(
            circle_args(&f("circle", vec![lit("ICRS"), pb(), r.clone()])),
            want
        );
        assert_eq!(
            circle_args(&constant(&[1.0, 2.0, 3.0])),
            Some((lit(1.0), lit(2.0), lit(3.0)))
        );
        // A centre that is not a point, too few arguments, another function.
        assert_eq!(circle_args(&f("circle", vec![col("p"), r.clone()])), None);
        assert_eq!(
            circle_args(&f("circle", vec![lit("ICRS"), r.clone()])),
            None
        );
        assert_eq!(circle_args(&f("box", vec![lon, lat, r.clone(), r])), None);
    }

    #[test]
    fn frames_as_written() {
        assert_eq!(frames(&pa()), ["ICRS"]);
        assert_eq!(
            frames(&point(None, col("x"), col("y"))),
            Vec::<String>::new()
        );
        assert_eq!(
            frames(&f("circle", vec![lit("FK5"), pb(), lit(1)])),
            ["FK5", "GALACTIC"]
        );
        assert_eq!(frames(&f("circle", vec![pb(), lit(1)])), ["GALACTIC"]);
        assert_eq!(frames(&point(Some(""), col("x"), col("y"))), [""]);
        assert_eq!(frames(&constant(&[1.0, 2.0])), Vec::<String>::new());
        assert_eq!(
            frames(&f("box", vec![lit("ICRS"), lit(1), lit(2), lit(3), lit(4)])),
            Vec::<String>::new()
        );
        // A NULL coordinate system is not written text.
        let null = Expr::Literal(ScalarValue::Utf8(None), None);
        assert_eq!(
            frames(&f("point", vec![null, col("x"), col("y")])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn strip_and_number_literals() {
        let e = cast(col("x"), DataType::Float64).alias("y");
        assert_eq!(strip(&e), &col("x"));
        assert!(is_number_literal(&lit(1), 1.0));
        assert!(is_number_literal(&lit(1.0f32), 1.0));
        assert!(is_number_literal(&cast(lit(1u8), DataType::Int64), 1.0));
        assert!(is_number_literal(&lit(0), 0.0));
        assert!(!is_number_literal(&lit(2), 1.0));
        // Text that reads as the number counts too (the literal is cast, as type coercion would).
        assert!(is_number_literal(&lit("1"), 1.0));
        assert!(!is_number_literal(&lit("one"), 1.0));
        assert!(!is_number_literal(
            &Expr::Literal(ScalarValue::Int32(None), None),
            0.0
        ));
        assert!(!is_number_literal(&col("x"), 1.0));
    }

    #[test]
    fn integer_predicates_unwrapped() {
        let pred = || col("x").lt_eq(lit(1.0));
        let flag = || cast(pred(), DataType::Int32);
        assert_eq!(unwrap_int_predicate(&lit(1).eq(flag())), Some(pred()));
        assert_eq!(unwrap_int_predicate(&flag().eq(lit(1))), Some(pred()));
        assert_eq!(
            unwrap_int_predicate(&lit(0).eq(flag())),
            Some(Expr::Not(Box::new(pred())))
        );
        // Not under a cast, not a predicate, another number, another comparison.
        assert_eq!(unwrap_int_predicate(&lit(1).eq(pred())), None);
        assert_eq!(
            unwrap_int_predicate(&lit(1).eq(cast(col("x"), DataType::Int32))),
            None
        );
        assert_eq!(unwrap_int_predicate(&lit(2).eq(flag())), None);
        assert_eq!(unwrap_int_predicate(&lit(1).lt_eq(flag())), None);
    }
}
