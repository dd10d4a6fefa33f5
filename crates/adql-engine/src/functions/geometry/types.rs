//! Arrow representation of ADQL geometry values (docs/architecture.md, "Geometry values in Arrow"), the
//! decoding of UDF arguments into [`adql_geom`] values, and of DALI text into geometry arrays.

use std::collections::HashMap;
use std::sync::Arc;

use adql_geom::{Circle, CoordSys, Frame, GeomError, Point, Polygon, RefPos, Region};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, FixedSizeListBuilder, Float64Array,
    Float64Builder, ListBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_datafusion_err, plan_err};
use datafusion::logical_expr::ColumnarValue;

/// Field metadata key of the DALI xtype.
pub const XTYPE: &str = "xtype";
/// Field metadata key recording the coordinate system given to a geometry constructor.
pub const COORDSYS: &str = "adql:coordsys";

fn item() -> FieldRef {
    Arc::new(Field::new("item", DataType::Float64, true))
}

/// POINT: `FixedSizeList<Float64>(2)`, lon and lat in degrees.
pub fn point_type() -> DataType {
    DataType::FixedSizeList(item(), 2)
}

/// CIRCLE: `FixedSizeList<Float64>(3)`, lon, lat and radius in degrees.
pub fn circle_type() -> DataType {
    DataType::FixedSizeList(item(), 3)
}

/// POLYGON and BOX: `List<Float64>`, lon1, lat1, lon2, lat2, … in degrees.
pub fn polygon_type() -> DataType {
    DataType::List(item())
}

/// The kind of geometry an Arrow type carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeomKind {
    /// [`point_type`].
    Point,
    /// [`circle_type`].
    Circle,
    /// [`polygon_type`] (or `LargeList`).
    Polygon,
    /// STC-S text.
    Region,
}

impl GeomKind {
    /// The kind of `t`, if it is a geometry type.
    pub fn of(t: &DataType) -> Option<Self> {
        match t {
            DataType::FixedSizeList(f, 2) if f.data_type().is_numeric() => Some(Self::Point),
            DataType::FixedSizeList(f, 3) if f.data_type().is_numeric() => Some(Self::Circle),
            DataType::List(f) | DataType::LargeList(f) if f.data_type().is_numeric() => {
                Some(Self::Polygon)
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Self::Region),
            _ => None,
        }
    }

    /// The canonical Arrow type of this kind.
    pub fn data_type(self) -> DataType {
        match self {
            Self::Point => point_type(),
            Self::Circle => circle_type(),
            Self::Polygon => polygon_type(),
            Self::Region => DataType::Utf8,
        }
    }

    /// The xtype of this kind.
    pub fn xtype(self) -> &'static str {
        match self {
            Self::Point => "point",
            Self::Circle => "circle",
            Self::Polygon => "polygon",
            Self::Region => "adql:REGION",
        }
    }
}

/// Whether `t` is a string type (a coordinate-system argument or STC-S).
pub fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Whether `t` is numeric or NULL.
pub fn is_number(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Null)
}

/// The return field of a geometry-valued function, with its xtype and coordinate system.
pub fn geometry_field(name: &str, kind: GeomKind, coordsys: Option<&str>) -> FieldRef {
    let mut metadata = HashMap::from([(XTYPE.to_owned(), kind.xtype().to_owned())]);
    if let Some(cs) = coordsys.filter(|cs| !cs.is_empty()) {
        metadata.insert(COORDSYS.to_owned(), cs.to_owned());
    }
    Arc::new(Field::new(name, kind.data_type(), true).with_metadata(metadata))
}

/// Parses an ADQL coordinate-system string: empty, or STC-S `[frame] [refpos] [flavor]` tokens (case
/// insensitive), e.g. `ICRS`, `fk5`, `ICRS GEOCENTER`, `UNKNOWN`.
///
/// # Errors
/// A planning error naming the token that is not a frame, reference position or `SPHERICAL2`.
pub fn parse_coordsys(s: &str) -> Result<CoordSys> {
    let mut cs = CoordSys::default();
    let mut tokens = s.split_whitespace().peekable();
    if let Some(frame) = tokens.peek().and_then(|t| Frame::parse(t)) {
        cs.frame = Some(frame);
        tokens.next();
    }
    if let Some(refpos) = tokens.peek().and_then(|t| RefPos::parse(t)) {
        cs.refpos = Some(refpos);
        tokens.next();
    }
    if tokens
        .peek()
        .is_some_and(|t| t.eq_ignore_ascii_case("SPHERICAL2"))
    {
        cs.spherical2 = true;
        tokens.next();
    }
    match tokens.next() {
        None => Ok(cs),
        Some(t) => plan_err!(
            "'{s}' is not a coordinate system: '{t}' is not a frame (ICRS, FK5, FK4, J2000, B1950, ECLIPTIC, GALACTIC, UNKNOWN), a reference position or SPHERICAL2"
        ),
    }
}

/// The coordinate-system literal of a constructor call, validated: `Some` when the first argument is a
/// string (a NULL literal counts as absent).
pub fn coordsys_literal(
    arg_types: &[DataType],
    scalars: &[Option<&ScalarValue>],
) -> Result<Option<String>> {
    if !arg_types.first().is_some_and(is_string) {
        return Ok(None);
    }
    match scalars.first().copied().flatten() {
        Some(ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s)) => {
            match s {
                Some(s) => {
                    parse_coordsys(s)?;
                    Ok(Some(s.trim().to_owned()))
                }
                None => Ok(None),
            }
        }
        Some(other) => plan_err!("the coordinate system must be a string literal, not {other}"),
        None => plan_err!("the coordinate system must be a string literal, not a column"),
    }
}

/// Turns a geometry error at `row` of function `name` into an execution error.
pub fn geom_error(name: &str, row: usize, e: GeomError) -> DataFusionError {
    exec_datafusion_err!("{}: row {}: {e}", name.to_uppercase(), row + 1)
}

/// A numeric argument, constant or per row, as f64.
#[derive(Debug)]
pub enum Numbers {
    /// A constant (NULL = `None`).
    Scalar(Option<f64>),
    /// One value per row.
    Array(Float64Array),
}

impl Numbers {
    /// Casts `v` to f64.
    pub fn new(v: &ColumnarValue) -> Result<Self> {
        match v {
            ColumnarValue::Scalar(s) => match s.cast_to(&DataType::Float64)? {
                ScalarValue::Float64(x) => Ok(Self::Scalar(x)),
                other => Err(exec_datafusion_err!("expected a number, got {other}")),
            },
            ColumnarValue::Array(a) => Ok(Self::Array(
                cast(a, &DataType::Float64)?
                    .as_primitive::<Float64Type>()
                    .clone(),
            )),
        }
    }

    /// The value at `row`, `None` for NULL.
    #[inline]
    pub fn get(&self, row: usize) -> Option<f64> {
        match self {
            Self::Scalar(x) => *x,
            Self::Array(a) => (a.is_valid(row)).then(|| a.value(row)),
        }
    }

    /// Whether the argument is a constant.
    pub fn is_scalar(&self) -> bool {
        matches!(self, Self::Scalar(_))
    }
}

/// A geometry argument, constant or per row.
#[derive(Debug)]
pub struct Geometries {
    array: ArrayRef,
    scalar: bool,
    kind: GeomKind,
}

impl Geometries {
    /// Decodes `v`; constants become one-row arrays.
    pub fn new(v: &ColumnarValue) -> Result<Self> {
        let (array, scalar) = match v {
            ColumnarValue::Scalar(s) => (s.to_array_of_size(1)?, true),
            ColumnarValue::Array(a) => (Arc::clone(a), false),
        };
        let Some(kind) = GeomKind::of(array.data_type()) else {
            return Err(exec_datafusion_err!(
                "expected a geometry, got a value of type {}",
                array.data_type()
            ));
        };
        // Normalise the element type (e.g. Float32 lists from a VOTable) to Float64.
        let target = match kind {
            GeomKind::Polygon if matches!(array.data_type(), DataType::LargeList(_)) => {
                DataType::LargeList(item())
            }
            GeomKind::Region => array.data_type().clone(),
            other => other.data_type(),
        };
        let array = if array.data_type() == &target {
            array
        } else {
            cast(&array, &target)?
        };
        Ok(Self {
            array,
            scalar,
            kind,
        })
    }

    /// The kind of geometry.
    pub fn kind(&self) -> GeomKind {
        self.kind
    }

    /// Whether the argument is a constant.
    pub fn is_scalar(&self) -> bool {
        self.scalar
    }

    #[inline]
    fn index(&self, row: usize) -> usize {
        if self.scalar { 0 } else { row }
    }

    /// The (lon, lat) of a POINT argument at `row`; `None` for NULL or another kind.
    #[inline]
    pub fn point(&self, row: usize) -> Option<(f64, f64)> {
        let i = self.index(row);
        let list: &FixedSizeListArray = self.array.as_fixed_size_list_opt()?;
        if self.kind != GeomKind::Point || list.is_null(i) {
            return None;
        }
        let values = list.values().as_primitive_opt::<Float64Type>()?;
        let at = i * 2;
        (values.is_valid(at) && values.is_valid(at + 1))
            .then(|| (values.value(at), values.value(at + 1)))
    }

    /// The (lon, lat, radius) of a CIRCLE argument at `row`.
    pub fn circle(&self, row: usize) -> Option<(f64, f64, f64)> {
        let i = self.index(row);
        let list: &FixedSizeListArray = self.array.as_fixed_size_list_opt()?;
        if self.kind != GeomKind::Circle || list.is_null(i) {
            return None;
        }
        let values = list.values().as_primitive_opt::<Float64Type>()?;
        let at = i * 3;
        (values.is_valid(at) && values.is_valid(at + 1) && values.is_valid(at + 2))
            .then(|| (values.value(at), values.value(at + 1), values.value(at + 2)))
    }

    /// The geometry at `row` as a region; `None` for NULL.
    ///
    /// # Errors
    /// Invalid geometry (latitude out of range, degenerate polygon, bad STC-S), reported by `name`.
    pub fn region(&self, name: &str, row: usize) -> Result<Option<Region>> {
        let i = self.index(row);
        if self.array.is_null(i) {
            return Ok(None);
        }
        let err = |e| geom_error(name, row, e);
        let region = match self.kind {
            GeomKind::Point => match self.point(row) {
                Some((lon, lat)) => Region::from(Point::new(lon, lat).map_err(err)?),
                None => return Ok(None),
            },
            GeomKind::Circle => match self.circle(row) {
                Some((lon, lat, r)) => {
                    Region::from(Circle::from_degrees(lon, lat, r).map_err(err)?)
                }
                None => return Ok(None),
            },
            GeomKind::Polygon => {
                let values: ArrayRef = match self.array.data_type() {
                    DataType::LargeList(_) => self.array.as_list::<i64>().value(i),
                    _ => self.array.as_list::<i32>().value(i),
                };
                let values = values.as_primitive::<Float64Type>();
                if values.null_count() > 0 {
                    return Ok(None);
                }
                Region::from(Polygon::from_flat_degrees(values.values()).map_err(err)?)
            }
            GeomKind::Region => {
                let text = match self.array.data_type() {
                    DataType::LargeUtf8 => self.array.as_string::<i64>().value(i),
                    DataType::Utf8View => self.array.as_string_view().value(i),
                    _ => self.array.as_string::<i32>().value(i),
                };
                text.parse::<Region>().map_err(err)?
            }
        };
        Ok(Some(region))
    }
}

/// Wraps a result array as a scalar when every argument was a constant.
pub fn finish(array: ArrayRef, all_scalar: bool) -> Result<ColumnarValue> {
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// Whether every argument is a constant.
pub fn all_scalar(args: &[ColumnarValue]) -> bool {
    args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)))
}

/// Decodes a column of DALI text into the Arrow type of `kind` (REGION stays STC-S text).
///
/// # Errors
/// A value with the wrong count of numbers, a word that is not a number, or a point or circle that cannot
/// exist (a latitude past a pole, a negative radius), naming the row (1-based).
pub fn decode_geometry(
    text: &ArrayRef,
    kind: GeomKind,
    row_offset: usize,
) -> Result<ArrayRef, String> {
    let Some(strings) = text.as_string_opt::<i32>() else {
        return Err(format!("expected text, got {}", text.data_type()));
    };
    let item = Arc::new(Field::new("item", DataType::Float64, true));
    let numbers = |row: usize, value: &str| -> Result<Vec<f64>, String> {
        value
            .split_whitespace()
            .map(|word| {
                word.parse::<f64>().map_err(|_| {
                    format!(
                        "row {}: '{word}' in '{value}' is not a number",
                        row + row_offset + 1
                    )
                })
            })
            .collect()
    };
    match kind {
        GeomKind::Region => Ok(Arc::clone(text)),
        GeomKind::Point | GeomKind::Circle => {
            let size: usize = if kind == GeomKind::Point { 2 } else { 3 };
            let width = i32::try_from(size).unwrap_or(2);
            let mut builder =
                FixedSizeListBuilder::new(Float64Builder::new(), width).with_field(item);
            for row in 0..strings.len() {
                let value = (!strings.is_null(row))
                    .then(|| strings.value(row).trim())
                    .filter(|v| !v.is_empty());
                match value {
                    None => {
                        for _ in 0..size {
                            builder.values().append_null();
                        }
                        builder.append(false);
                    }
                    Some(value) => {
                        let coords = numbers(row, value)?;
                        if coords.len() != size {
                            return Err(format!(
                                "row {}: a {} needs {size} numbers, got '{value}'",
                                row + row_offset + 1,
                                kind.xtype()
                            ));
                        }
                        // The same checks as POINT and CIRCLE make.
                        let valid = match coords.as_slice() {
                            [lon, lat] => adql_geom::Point::new(*lon, *lat).map(|_| ()),
                            [lon, lat, r] => {
                                adql_geom::Circle::from_degrees(*lon, *lat, *r).map(|_| ())
                            }
                            _ => Ok(()),
                        };
                        valid.map_err(|e| format!("row {}: {e}", row + row_offset + 1))?;
                        builder.values().append_slice(&coords);
                        builder.append(true);
                    }
                }
            }
            Ok(Arc::new(builder.finish()))
        }
        GeomKind::Polygon => {
            let mut builder = ListBuilder::new(Float64Builder::new()).with_field(item);
            for row in 0..strings.len() {
                let value = (!strings.is_null(row))
                    .then(|| strings.value(row).trim())
                    .filter(|v| !v.is_empty());
                match value {
                    None => builder.append(false),
                    Some(value) => {
                        let coords = numbers(row, value)?;
                        if coords.len() < 6 || coords.len() % 2 != 0 {
                            return Err(format!(
                                "row {}: a polygon needs at least 3 vertices (an even count of at least 6 numbers), got '{value}'",
                                row + row_offset + 1
                            ));
                        }
                        builder.values().append_slice(&coords);
                        builder.append(true);
                    }
                }
            }
            Ok(Arc::new(builder.finish()))
        }
    }
}
