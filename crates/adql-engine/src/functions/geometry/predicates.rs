//! `contains(a, b)` and `intersects(a, b)`: Int32 1 or 0 (NULL if an argument is NULL), as ADQL says.
//!
//! `simplify` rewrites the common cone test `contains(point(a, b), circle(c, d, r))` (and `intersects`
//! with a point and a circle, in either order) into `CAST(distance(a, b, c, d) <= r AS INT)`, so that no
//! geometry arrays are built per row and the crossmatch rule sees a plain distance predicate.

use std::sync::Arc;

use adql_geom::{contains, distance, intersects};
use datafusion::arrow::array::Int32Builder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::positional::{circle_args, point_args};

use super::distance::distance_call;
use super::types::{GeomKind, Geometries, all_scalar, finish};

/// Which predicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Predicate {
    Contains,
    Intersects,
}

/// `contains` and `intersects`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PredicateFunc {
    predicate: Predicate,
    signature: Signature,
}

impl PredicateFunc {
    /// `contains(a, b)`: 1 if `a` is within `b` or on its boundary.
    pub fn contains() -> Self {
        Self {
            predicate: Predicate::Contains,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `intersects(a, b)`: 1 if `a` and `b` share a position.
    pub fn intersects() -> Self {
        Self {
            predicate: Predicate::Intersects,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PredicateFunc {
    fn name(&self) -> &str {
        match self.predicate {
            Predicate::Contains => "contains",
            Predicate::Intersects => "intersects",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [a, b] => Ok(vec![
                coerce_geometry(self.name(), a)?,
                coerce_geometry(self.name(), b)?,
            ]),
            _ => plan_err!("{} takes two geometries", self.name().to_uppercase()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        crate::functions::check_constant_call(self, &args)?;
        let cone = match (self.predicate, args.as_slice()) {
            (_, [p, c]) if point_args(p).is_some() && circle_args(c).is_some() => {
                point_args(p).zip(circle_args(c))
            }
            (Predicate::Intersects, [c, p]) => point_args(p).zip(circle_args(c)),
            _ => None,
        };
        let Some(((lon, lat), (clon, clat, r))) = cone else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        // The rewrite never builds the circle, so its constant parts are checked here: CIRCLE('ICRS', 10, 95, 1)
        // or CIRCLE('ICRS', ra, dec, -1) is an error, not a cone that silently matches nothing.
        let constant = |e: &Expr| crate::functions::literal_f64(e).unwrap_or(0.0);
        if let Err(e) =
            adql_geom::Circle::from_degrees(constant(&clon), constant(&clat), constant(&r))
        {
            return plan_err!("CIRCLE: {e}");
        }
        let distance = distance_call(vec![lon, lat, clon, clat]);
        let within = distance.lt_eq(r);
        Ok(ExprSimplifyResult::Simplified(Expr::Cast(Cast::new(
            Box::new(within),
            DataType::Int32,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let rows = if scalar { 1 } else { args.number_rows };
        let [a, b] = args.args.as_slice() else {
            return exec_err!("{} takes two geometries", self.name().to_uppercase());
        };
        let (a, b) = (Geometries::new(a)?, Geometries::new(b)?);
        let name = self.name();
        let mut out = Int32Builder::with_capacity(rows);
        // Fast path: points against one constant circle (a cone), without building regions.
        let point_vs_circle = match (a.kind(), b.kind(), b.is_scalar()) {
            (GeomKind::Point, GeomKind::Circle, true) => Some((&a, &b)),
            (GeomKind::Circle, GeomKind::Point, _)
                if a.is_scalar() && self.predicate == Predicate::Intersects =>
            {
                Some((&b, &a))
            }
            _ => None,
        };
        if let Some((points, circle)) = point_vs_circle {
            // Validate the circle once (a bad constant is an error, not a silent 0).
            circle.region(name, 0)?;
            match circle.circle(0) {
                Some((clon, clat, r)) => {
                    for row in 0..rows {
                        match points.point(row) {
                            Some((lon, lat)) => {
                                out.append_value(i32::from(distance(lon, lat, clon, clat) <= r))
                            }
                            None => out.append_null(),
                        }
                    }
                }
                None => out.append_nulls(rows),
            }
            return finish(Arc::new(out.finish()), scalar);
        }
        let fixed_a = if a.is_scalar() {
            Some(a.region(name, 0)?)
        } else {
            None
        };
        let fixed_b = if b.is_scalar() {
            Some(b.region(name, 0)?)
        } else {
            None
        };
        for row in 0..rows {
            let ra = match &fixed_a {
                Some(r) => r.clone(),
                None => a.region(name, row)?,
            };
            let rb = match &fixed_b {
                Some(r) => r.clone(),
                None => b.region(name, row)?,
            };
            match (ra, rb) {
                (Some(ra), Some(rb)) => {
                    let v = match self.predicate {
                        Predicate::Contains => contains(&ra, &rb),
                        Predicate::Intersects => intersects(&ra, &rb),
                    };
                    out.append_value(i32::from(v));
                }
                _ => out.append_null(),
            }
        }
        finish(Arc::new(out.finish()), scalar)
    }
}

/// The coerced type of a geometry argument: its canonical geometry type; NULL becomes a NULL point.
pub(crate) fn coerce_geometry(name: &str, t: &DataType) -> Result<DataType> {
    match (GeomKind::of(t), t) {
        (Some(GeomKind::Polygon), DataType::LargeList(_)) => Ok(t.clone()),
        (Some(GeomKind::Region), _) => Ok(t.clone()),
        (Some(kind), _) => Ok(kind.data_type()),
        (None, DataType::Null) => Ok(super::types::point_type()),
        (None, _) => plan_err!(
            "{} takes geometries (POINT, CIRCLE, BOX, POLYGON, REGION), not {t}",
            name.to_uppercase()
        ),
    }
}
