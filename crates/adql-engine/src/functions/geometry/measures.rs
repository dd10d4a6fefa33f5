//! `area`, `centroid`, `coord1`, `coord2` and `coordsys`.

use std::sync::Arc;

use adql_geom::Region;
use datafusion::arrow::array::{Float64Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::constructors::build_points;
use super::predicates::coerce_geometry;
use super::types::{
    COORDSYS, GeomKind, Geometries, all_scalar, finish, geom_error, geometry_field,
};

/// Which measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Measure {
    Area,
    Centroid,
    Coord1,
    Coord2,
    Coordsys,
}

/// `area(g)` (square degrees), `centroid(g)` (POINT), `coord1(p)`, `coord2(p)` (degrees), `coordsys(g)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MeasureFunc {
    measure: Measure,
    signature: Signature,
}

impl MeasureFunc {
    fn new(measure: Measure) -> Self {
        Self {
            measure,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `area(g)`: square degrees; 0 for a point.
    pub fn area() -> Self {
        Self::new(Measure::Area)
    }

    /// `centroid(g)`: a POINT (see [`adql_geom::Region::centroid`]).
    pub fn centroid() -> Self {
        Self::new(Measure::Centroid)
    }

    /// `coord1(p)`: longitude of a point, degrees.
    pub fn coord1() -> Self {
        Self::new(Measure::Coord1)
    }

    /// `coord2(p)`: latitude of a point, degrees.
    pub fn coord2() -> Self {
        Self::new(Measure::Coord2)
    }

    /// `coordsys(g)`: the coordinate system the geometry was written in, `'UNKNOWN'` if none was given.
    pub fn coordsys() -> Self {
        Self::new(Measure::Coordsys)
    }
}

impl ScalarUDFImpl for MeasureFunc {
    fn name(&self) -> &str {
        match self.measure {
            Measure::Area => "area",
            Measure::Centroid => "centroid",
            Measure::Coord1 => "coord1",
            Measure::Coord2 => "coord2",
            Measure::Coordsys => "coordsys",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] => Ok(vec![coerce_geometry(self.name(), t)?]),
            _ => plan_err!("{} takes one geometry", self.name().to_uppercase()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.measure {
            Measure::Area | Measure::Coord1 | Measure::Coord2 => DataType::Float64,
            Measure::Centroid => GeomKind::Point.data_type(),
            Measure::Coordsys => DataType::Utf8,
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let coordsys = args
            .arg_fields
            .first()
            .and_then(|f| f.metadata().get(COORDSYS))
            .map(String::as_str);
        Ok(match self.measure {
            Measure::Centroid => geometry_field(self.name(), GeomKind::Point, coordsys),
            _ => Arc::new(datafusion::arrow::datatypes::Field::new(
                self.name(),
                self.return_type(&[])?,
                true,
            )),
        })
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        crate::functions::simplify_checked(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let rows = if scalar { 1 } else { args.number_rows };
        let (Some(arg), Some(field)) = (args.args.first(), args.arg_fields.first()) else {
            return exec_err!("{} takes one geometry", self.name().to_uppercase());
        };
        let geometries = Geometries::new(arg)?;
        let name = self.name();
        let array = match self.measure {
            Measure::Area | Measure::Coord1 | Measure::Coord2 => {
                let mut out = Float64Builder::with_capacity(rows);
                for row in 0..rows {
                    let value = match (self.measure, geometries.kind()) {
                        // Points read directly: COORD1/COORD2 return the longitude as stored.
                        (Measure::Coord1, GeomKind::Point) => geometries.point(row).map(|p| p.0),
                        (Measure::Coord2, GeomKind::Point) => geometries.point(row).map(|p| p.1),
                        (measure, _) => match geometries.region(name, row)? {
                            None => None,
                            Some(region) => Some(match measure {
                                Measure::Area => {
                                    region.area().map_err(|e| geom_error(name, row, e))?
                                }
                                _ => {
                                    let Region {
                                        kind: adql_geom::RegionKind::Point(p),
                                        ..
                                    } = region
                                    else {
                                        return exec_err!(
                                            "{}: row {}: the argument is not a point",
                                            name.to_uppercase(),
                                            row + 1
                                        );
                                    };
                                    if measure == Measure::Coord1 {
                                        p.lon()
                                    } else {
                                        p.lat()
                                    }
                                }
                            }),
                        },
                    };
                    out.append_option(value);
                }
                Arc::new(out.finish()) as _
            }
            Measure::Centroid => build_points(rows, |row| {
                Ok(match geometries.region(name, row)? {
                    Some(region) => {
                        let c = region.centroid().map_err(|e| geom_error(name, row, e))?;
                        Some((c.lon(), c.lat()))
                    }
                    None => None,
                })
            })?,
            Measure::Coordsys => {
                let declared = field.metadata().get(COORDSYS).cloned();
                let mut out = StringBuilder::new();
                for row in 0..rows {
                    let value = match geometries.kind() {
                        // STC-S carries its own frame.
                        GeomKind::Region => {
                            geometries
                                .region(name, row)?
                                .map(|r| match r.coordsys.is_empty() {
                                    true => "UNKNOWN".to_owned(),
                                    false => r.coordsys.to_string(),
                                })
                        }
                        _ if arg.data_type().is_null() => None,
                        _ => Some(declared.clone().unwrap_or_else(|| "UNKNOWN".to_owned())),
                    };
                    out.append_option(value);
                }
                Arc::new(out.finish()) as _
            }
        };
        finish(array, scalar)
    }
}
