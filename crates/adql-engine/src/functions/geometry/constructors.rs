//! The geometry constructors `point`, `circle`, `box`, `polygon` and `region`.
//!
//! Each takes the coordinate system as an optional leading string argument, as the lowering passes it
//! (`point('ICRS', ra, dec)` or `point(ra, dec)`); it is validated when planning and recorded in the
//! `adql:coordsys` metadata of the result field, where `coordsys()` finds it.

use std::sync::Arc;

use adql_geom::{Point, Polygon, Region};
use datafusion::arrow::array::{
    ArrayRef, FixedSizeListBuilder, Float64Builder, ListBuilder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::types::{
    GeomKind, Geometries, Numbers, all_scalar, coordsys_literal, finish, geom_error,
    geometry_field, is_number, is_string, point_type,
};

/// Which constructor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Point,
    Circle,
    Box,
    Polygon,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Self::Point => "point",
            Self::Circle => "circle",
            Self::Box => "box",
            Self::Polygon => "polygon",
        }
    }

    fn kind(self) -> GeomKind {
        match self {
            Self::Point => GeomKind::Point,
            Self::Circle => GeomKind::Circle,
            Self::Box | Self::Polygon => GeomKind::Polygon,
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Self::Point => "POINT([coosys,] lon, lat)",
            Self::Circle => "CIRCLE([coosys,] lon, lat, radius) or CIRCLE([coosys,] point, radius)",
            Self::Box => {
                "BOX([coosys,] lon, lat, width, height) or BOX([coosys,] point, width, height)"
            }
            Self::Polygon => {
                "POLYGON([coosys,] lon1, lat1, lon2, lat2, lon3, lat3, ...) or POLYGON([coosys,] p1, p2, p3, ...)"
            }
        }
    }
}

/// `POINT`, `CIRCLE`, `BOX` and `POLYGON`, one struct parameterised by the shape.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ShapeFunc {
    shape: Shape,
    signature: Signature,
}

impl ShapeFunc {
    fn new(shape: Shape) -> Self {
        Self {
            shape,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `point([coosys,] lon, lat)` → POINT.
    pub fn point() -> Self {
        Self::new(Shape::Point)
    }

    /// `circle([coosys,] lon, lat, r)` or `circle([coosys,] point, r)` → CIRCLE.
    pub fn circle() -> Self {
        Self::new(Shape::Circle)
    }

    /// `box([coosys,] lon, lat, w, h)` or `box([coosys,] point, w, h)` → POLYGON (its four corners).
    pub fn sky_box() -> Self {
        Self::new(Shape::Box)
    }

    /// `polygon([coosys,] lon1, lat1, ...)` or `polygon([coosys,] p1, p2, p3, ...)` → POLYGON.
    pub fn polygon() -> Self {
        Self::new(Shape::Polygon)
    }
}

/// Whether the arguments after the coordinate system have a valid form; the form uses points when the first
/// one is a point.
fn valid_form(shape: Shape, rest: &[DataType]) -> bool {
    let points = rest
        .iter()
        .take_while(|t| GeomKind::of(t) == Some(GeomKind::Point))
        .count();
    let numbers = rest.iter().skip(points).all(is_number);
    if !numbers {
        return false;
    }
    let tail = rest.len() - points;
    match shape {
        Shape::Point => points == 0 && tail == 2,
        Shape::Circle => (points == 0 && tail == 3) || (points == 1 && tail == 1),
        Shape::Box => (points == 0 && tail == 4) || (points == 1 && tail == 2),
        Shape::Polygon => {
            (points == 0 && tail >= 6 && tail.is_multiple_of(2)) || (points >= 3 && tail == 0)
        }
    }
}

fn coordsys_offset(types: &[DataType]) -> usize {
    usize::from(types.first().is_some_and(is_string))
}

impl ScalarUDFImpl for ShapeFunc {
    fn name(&self) -> &str {
        self.shape.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let offset = coordsys_offset(arg_types);
        let rest = arg_types.get(offset..).unwrap_or(&[]);
        if !valid_form(self.shape, rest) {
            return plan_err!(
                "{} takes {}",
                self.shape.name().to_uppercase(),
                self.shape.usage()
            );
        }
        Ok(arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i < offset {
                    DataType::Utf8
                } else if GeomKind::of(t) == Some(GeomKind::Point) {
                    point_type()
                } else {
                    DataType::Float64
                }
            })
            .collect())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.shape.kind().data_type())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let coordsys = coordsys_literal(&types, args.scalar_arguments)?;
        Ok(geometry_field(
            self.name(),
            self.shape.kind(),
            coordsys.as_deref(),
        ))
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        crate::functions::simplify_checked(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let rows = if scalar { 1 } else { args.number_rows };
        let types: Vec<DataType> = args.args.iter().map(ColumnarValue::data_type).collect();
        let offset = coordsys_offset(&types);
        let rest = args.args.get(offset..).unwrap_or(&[]);
        let array = match self.shape {
            Shape::Point => {
                let [lon, lat] = numbers::<2>(rest)?;
                build_points(rows, |row| {
                    let (Some(lon), Some(lat)) = (lon.get(row), lat.get(row)) else {
                        return Ok(None);
                    };
                    let p = Point::new(lon, lat).map_err(|e| geom_error("point", row, e))?;
                    Ok(Some((p.lon(), p.lat())))
                })?
            }
            Shape::Circle => {
                let (center, nums) = split_center(rest)?;
                let mut builder =
                    FixedSizeListBuilder::new(Float64Builder::with_capacity(rows * 3), 3);
                for row in 0..rows {
                    let values = match (&center, nums.as_slice()) {
                        (Some(c), [r]) => c
                            .point(row)
                            .zip(r.get(row))
                            .map(|((lon, lat), r)| (lon, lat, r)),
                        (None, [lon, lat, r]) => match (lon.get(row), lat.get(row), r.get(row)) {
                            (Some(lon), Some(lat), Some(r)) => Some((lon, lat, r)),
                            _ => None,
                        },
                        _ => return exec_err!("CIRCLE takes {}", Shape::Circle.usage()),
                    };
                    match values {
                        Some((lon, lat, r)) => {
                            adql_geom::Circle::from_degrees(lon, lat, r)
                                .map_err(|e| geom_error("circle", row, e))?;
                            builder.values().append_slice(&[lon, lat, r]);
                            builder.append(true);
                        }
                        None => {
                            builder.values().append_nulls(3);
                            builder.append(false);
                        }
                    }
                }
                Arc::new(builder.finish()) as ArrayRef
            }
            Shape::Box => {
                let (center, nums) = split_center(rest)?;
                build_polygons(rows, |row| {
                    let values = match (&center, nums.as_slice()) {
                        (Some(c), [w, h]) => match (c.point(row), w.get(row), h.get(row)) {
                            (Some((lon, lat)), Some(w), Some(h)) => Some((lon, lat, w, h)),
                            _ => None,
                        },
                        (None, [lon, lat, w, h]) => {
                            match (lon.get(row), lat.get(row), w.get(row), h.get(row)) {
                                (Some(lon), Some(lat), Some(w), Some(h)) => Some((lon, lat, w, h)),
                                _ => None,
                            }
                        }
                        _ => return exec_err!("BOX takes {}", Shape::Box.usage()),
                    };
                    let Some((lon, lat, w, h)) = values else {
                        return Ok(None);
                    };
                    let err = |e| geom_error("box", row, e);
                    let polygon =
                        Polygon::from_box(Point::new(lon, lat).map_err(err)?, w, h).map_err(err)?;
                    Ok(Some(polygon))
                })?
            }
            Shape::Polygon => {
                let points = rest
                    .iter()
                    .take_while(|a| GeomKind::of(&a.data_type()) == Some(GeomKind::Point))
                    .map(Geometries::new)
                    .collect::<Result<Vec<_>>>()?;
                let nums = rest
                    .get(points.len()..)
                    .unwrap_or(&[])
                    .iter()
                    .map(Numbers::new)
                    .collect::<Result<Vec<_>>>()?;
                let mut coords = Vec::with_capacity(2 * points.len() + nums.len());
                build_polygons(rows, |row| {
                    coords.clear();
                    for p in &points {
                        let Some((lon, lat)) = p.point(row) else {
                            return Ok(None);
                        };
                        coords.extend([lon, lat]);
                    }
                    for n in &nums {
                        let Some(v) = n.get(row) else { return Ok(None) };
                        coords.push(v);
                    }
                    Polygon::from_flat_degrees(&coords)
                        .map(Some)
                        .map_err(|e| geom_error("polygon", row, e))
                })?
            }
        };
        finish(array, scalar)
    }
}

/// Exactly `N` numeric arguments.
fn numbers<const N: usize>(args: &[ColumnarValue]) -> Result<[Numbers; N]> {
    let v = args.iter().map(Numbers::new).collect::<Result<Vec<_>>>()?;
    v.try_into()
        .or_else(|v: Vec<Numbers>| exec_err!("expected {N} numeric arguments, got {}", v.len()))
}

/// A leading POINT argument, if any, and the numbers after it.
fn split_center(args: &[ColumnarValue]) -> Result<(Option<Geometries>, Vec<Numbers>)> {
    match args.first() {
        Some(first) if GeomKind::of(&first.data_type()) == Some(GeomKind::Point) => Ok((
            Some(Geometries::new(first)?),
            args.get(1..)
                .unwrap_or(&[])
                .iter()
                .map(Numbers::new)
                .collect::<Result<_>>()?,
        )),
        _ => Ok((None, args.iter().map(Numbers::new).collect::<Result<_>>()?)),
    }
}

/// A POINT array from a per-row function returning (lon, lat) or NULL.
pub(crate) fn build_points(
    rows: usize,
    mut f: impl FnMut(usize) -> Result<Option<(f64, f64)>>,
) -> Result<ArrayRef> {
    let mut builder = FixedSizeListBuilder::new(Float64Builder::with_capacity(rows * 2), 2);
    for row in 0..rows {
        match f(row)? {
            Some((lon, lat)) => {
                builder.values().append_slice(&[lon, lat]);
                builder.append(true);
            }
            None => {
                builder.values().append_nulls(2);
                builder.append(false);
            }
        }
    }
    Ok(Arc::new(builder.finish()))
}

/// A POLYGON array from a per-row function returning a polygon or NULL.
fn build_polygons(
    rows: usize,
    mut f: impl FnMut(usize) -> Result<Option<Polygon>>,
) -> Result<ArrayRef> {
    let mut builder = ListBuilder::new(Float64Builder::new());
    for row in 0..rows {
        match f(row)? {
            Some(polygon) => {
                for v in polygon.vertices() {
                    builder.values().append_slice(&[v.lon(), v.lat()]);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    Ok(Arc::new(builder.finish()))
}

/// `region('STC-S')` → the region, as normalised STC-S text (`Utf8` with xtype `adql:REGION`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RegionFunc {
    signature: Signature,
}

impl RegionFunc {
    /// The function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for RegionFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for RegionFunc {
    fn name(&self) -> &str {
        "region"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] if is_string(t) || matches!(t, DataType::Null) => Ok(vec![DataType::Utf8]),
            _ => plan_err!("REGION takes one STC-S string"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(geometry_field(self.name(), GeomKind::Region, None))
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        crate::functions::simplify_checked(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let rows = if scalar { 1 } else { args.number_rows };
        let Some(arg) = args.args.first() else {
            return exec_err!("REGION takes one STC-S string");
        };
        let regions = Geometries::new(arg)?;
        let mut builder = StringBuilder::new();
        for row in 0..rows {
            match regions.region("region", row)? {
                Some(region) => builder.append_value(Region::to_string(&region)),
                None => builder.append_null(),
            }
        }
        finish(Arc::new(builder.finish()), scalar)
    }
}
