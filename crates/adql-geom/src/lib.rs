//! Exact spherical geometry for ADQL, and the positional crossmatch kernel.
//!
//! Angles are **degrees** at the API boundary (as in ADQL, VOTable and Arrow) and radians inside. Every
//! position is turned into a unit vector, and every predicate is evaluated on the sphere, never in a plane
//! of (RA, Dec): RA wraps at 0/360, the poles are ordinary points, and polygon edges and box sides are
//! great circles.
//!
//! * [`distance`]: great-circle distance, Vincenty's formula (`atan2`), accurate at every separation.
//! * Shapes: [`Point`], [`Circle`], [`Polygon`] (and the ADQL BOX, [`SkyBox`] / [`Polygon::from_box`]),
//!   combined into a [`Region`] with STC-S `Union`, `Intersection` and `Not`; [`Region`] parses and prints
//!   STC-S.
//! * Predicates: [`contains`] and [`intersects`] for every pair, boundary included ("within or on the
//!   boundary", ADQL 2.1 §4.2); [`Region::area`] in square degrees and [`Region::centroid`].
//! * [`parse_position`]: a position as astronomers write it (decimal degrees or sexagesimal).
//! * [`crossmatch`]: all pairs (or the best pair) within a radius between two catalogues, equal to brute
//!   force, in a few tens of nanoseconds per source.
//!
//! ```
//! use adql_geom::{Circle, Point, Region};
//! let field: Region = "Circle ICRS 359.9 10 0.2".parse()?;
//! let star = Region::from(Point::new(0.05, 10.0)?);
//! assert!(adql_geom::contains(&star, &field));
//! # Ok::<(), adql_geom::GeomError>(())
//! ```

pub mod crossmatch;

mod circle;
mod error;
mod point;
mod polygon;
mod position;
mod predicates;
mod region;
mod stcs;
mod vector;

pub use circle::Circle;
pub use error::{GeomError, Result};
pub use point::{LATITUDE_TOLERANCE_DEG, Point, clamp_latitude, distance};
pub use polygon::Polygon;
pub use position::{PositionError, parse_position};
pub use predicates::{contains, intersects};
pub use region::{CoordSys, Frame, RefPos, Region, RegionKind, SkyBox};

/// Square degrees per steradian, (180/π)².
pub const SR_TO_DEG2: f64 = (180.0 / std::f64::consts::PI) * (180.0 / std::f64::consts::PI);

/// Area of the whole sphere in square degrees, 4π (180/π)² ≈ 41252.96.
pub const FULL_SKY_DEG2: f64 = 4.0 * std::f64::consts::PI * SR_TO_DEG2;
