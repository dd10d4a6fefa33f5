//! The geometry conditions the federation writes: how ADQL says "this position is in that circle".

use adql_syntax::ast::{BuiltinFunction, Expr};

/// `1 = CONTAINS(POINT('ICRS', lon, lat), CIRCLE('ICRS', clon, clat, r))`: the form services index
/// (q3c, pgsphere), which DISTANCE comparisons are not.
pub(crate) fn point_in_circle(lon: Expr, lat: Expr, clon: Expr, clat: Expr, r: Expr) -> Expr {
    let point = Expr::geometry(BuiltinFunction::Point, "ICRS", vec![lon, lat]);
    let circle = Expr::geometry(BuiltinFunction::Circle, "ICRS", vec![clon, clat, r]);
    Expr::integer(1).eq(Expr::call(BuiltinFunction::Contains, vec![point, circle]))
}
