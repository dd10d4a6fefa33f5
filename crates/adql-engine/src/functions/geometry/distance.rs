//! `distance(p1, p2)` and `distance(lon1, lat1, lon2, lat2)`: great-circle distance in degrees.

use std::sync::Arc;

use adql_geom::distance;
use datafusion::arrow::array::Float64Builder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::positional::point_args;

use super::types::{GeomKind, Geometries, Numbers, all_scalar, finish, is_number, point_type};

/// `distance`: [`adql_geom::distance`] over Arrow arrays.
///
/// `simplify` turns `distance(point(a, b), point(c, d))` into `distance(a, b, c, d)`, which reads the four
/// numbers directly instead of building two POINT arrays.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DistanceFunc {
    signature: Signature,
}

impl DistanceFunc {
    /// The function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for DistanceFunc {
    fn default() -> Self {
        Self::new()
    }
}

/// A `distance(a, b, c, d)` call.
pub(crate) fn distance_call(args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(ScalarUDF::from(DistanceFunc::new())),
        args,
    ))
}

impl ScalarUDFImpl for DistanceFunc {
    fn name(&self) -> &str {
        "distance"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let is_point =
            |t: &DataType| GeomKind::of(t) == Some(GeomKind::Point) || matches!(t, DataType::Null);
        match arg_types {
            [a, b] if is_point(a) && is_point(b) => Ok(vec![point_type(), point_type()]),
            [_, _, _, _] if arg_types.iter().all(is_number) => Ok(vec![DataType::Float64; 4]),
            _ => plan_err!("DISTANCE takes two points or four numbers (lon1, lat1, lon2, lat2)"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        if let [p1, p2] = args.as_slice()
            && let (Some((a, b)), Some((c, d))) = (point_args(p1), point_args(p2))
        {
            return Ok(ExprSimplifyResult::Simplified(distance_call(vec![
                a, b, c, d,
            ])));
        }
        Ok(ExprSimplifyResult::Original(args))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let rows = if scalar { 1 } else { args.number_rows };
        let mut out = Float64Builder::with_capacity(rows);
        match args.args.as_slice() {
            [p1, p2] => {
                let (p1, p2) = (Geometries::new(p1)?, Geometries::new(p2)?);
                for row in 0..rows {
                    match (p1.point(row), p2.point(row)) {
                        (Some((a, b)), Some((c, d))) => out.append_value(distance(a, b, c, d)),
                        _ => out.append_null(),
                    }
                }
            }
            [a, b, c, d] => {
                let [a, b, c, d] = [
                    Numbers::new(a)?,
                    Numbers::new(b)?,
                    Numbers::new(c)?,
                    Numbers::new(d)?,
                ];
                for row in 0..rows {
                    match (a.get(row), b.get(row), c.get(row), d.get(row)) {
                        (Some(a), Some(b), Some(c), Some(d)) => {
                            out.append_value(distance(a, b, c, d))
                        }
                        _ => out.append_null(),
                    }
                }
            }
            _ => return exec_err!("DISTANCE takes two points or four numbers"),
        }
        finish(Arc::new(out.finish()), scalar)
    }
}
