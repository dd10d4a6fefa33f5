//! ADQL geometry functions as DataFusion scalar UDFs, on [`adql_geom`].
//!
//! | function | arguments | returns |
//! | --- | --- | --- |
//! | `point` | `[coosys,] lon, lat` | POINT |
//! | `circle` | `[coosys,] lon, lat, r` or `[coosys,] point, r` | CIRCLE |
//! | `box` | `[coosys,] lon, lat, w, h` or `[coosys,] point, w, h` | POLYGON (four corners) |
//! | `polygon` | `[coosys,] lon1, lat1, …` (≥ 3 pairs) or `[coosys,] p1, p2, p3, …` | POLYGON |
//! | `region` | STC-S string | REGION (normalised STC-S) |
//! | `contains`, `intersects` | two geometries | Int32 1/0 |
//! | `distance` | two points, or `lon1, lat1, lon2, lat2` | Float64, degrees |
//! | `area` | geometry | Float64, square degrees |
//! | `centroid` | geometry | POINT |
//! | `coord1`, `coord2` | point | Float64, degrees |
//! | `coordsys` | geometry | Utf8 (`'UNKNOWN'` when none was given) |
//! | `xmatch_best` | `lon1, lat1, lon2, lat2, r` | marker of a best-match join ([`crate::crossmatch`]) |
//!
//! Angles are degrees. Arrow types are those of docs/architecture.md: POINT `FixedSizeList<Float64>(2)`,
//! CIRCLE `FixedSizeList<Float64>(3)`, POLYGON and BOX `List<Float64>`, other regions `Utf8` STC-S; result
//! fields carry the `xtype` metadata. NULL in gives NULL out; invalid geometry (latitude beyond ±90, negative
//! radius, degenerate polygon, bad STC-S) is an execution error naming the function and the row.

mod constructors;
mod distance;
mod measures;
mod predicates;
pub mod types;
mod xmatch;

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

pub use constructors::{RegionFunc, ShapeFunc};
pub use distance::DistanceFunc;
pub use measures::MeasureFunc;
pub use predicates::PredicateFunc;
pub use xmatch::XmatchBestFunc;

/// The geometry UDFs to register in an ADQL session.
pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(ShapeFunc::point())),
        Arc::new(ScalarUDF::from(ShapeFunc::circle())),
        Arc::new(ScalarUDF::from(ShapeFunc::sky_box())),
        Arc::new(ScalarUDF::from(ShapeFunc::polygon())),
        Arc::new(ScalarUDF::from(RegionFunc::new())),
        Arc::new(ScalarUDF::from(PredicateFunc::contains())),
        Arc::new(ScalarUDF::from(PredicateFunc::intersects())),
        Arc::new(ScalarUDF::from(DistanceFunc::new())),
        Arc::new(ScalarUDF::from(MeasureFunc::area())),
        Arc::new(ScalarUDF::from(MeasureFunc::centroid())),
        Arc::new(ScalarUDF::from(MeasureFunc::coord1())),
        Arc::new(ScalarUDF::from(MeasureFunc::coord2())),
        Arc::new(ScalarUDF::from(MeasureFunc::coordsys())),
        Arc::new(ScalarUDF::from(XmatchBestFunc::new())),
    ]
}

#[cfg(test)]
mod tests;
