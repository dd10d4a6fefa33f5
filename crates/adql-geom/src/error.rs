//! [`GeomError`], the one error type of this crate.

/// Everything that can go wrong when building or combining geometries.
///
/// Angles in messages are in degrees, as given by the caller.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GeomError {
    /// A coordinate or radius is NaN or infinite.
    #[error("{what} is not a finite number")]
    NotFinite {
        /// Which value ("longitude", "latitude", "radius", ...).
        what: &'static str,
    },
    /// A latitude outside [-90, 90] degrees.
    #[error("latitude {lat} deg is outside [-90, 90]")]
    LatitudeOutOfRange {
        /// The latitude given, in degrees.
        lat: f64,
    },
    /// A circle radius outside [0, 180] degrees.
    #[error("radius {radius} deg is outside [0, 180]")]
    RadiusOutOfRange {
        /// The radius given, in degrees.
        radius: f64,
    },
    /// A box side outside ]0, 180[ degrees.
    #[error("box of {width} x {height} deg: width and height must be in ]0, 180[")]
    BoxSizeOutOfRange {
        /// Width given, in degrees.
        width: f64,
        /// Height given, in degrees.
        height: f64,
    },
    /// A flat coordinate list with an odd number of values.
    #[error("polygon coordinates come in (lon, lat) pairs, got {count} values")]
    OddCoordinateCount {
        /// Number of values given.
        count: usize,
    },
    /// Fewer than three distinct vertices.
    #[error("a polygon needs at least 3 distinct vertices, got {count}")]
    TooFewVertices {
        /// Number of distinct vertices.
        count: usize,
    },
    /// All vertices lie on one great circle.
    #[error("polygon has zero area: its vertices lie on one great circle")]
    DegeneratePolygon,
    /// Two edges that are not neighbours cross or touch.
    #[error("polygon edges {first} and {second} cross (edges are numbered from 0)")]
    SelfIntersecting {
        /// Index of the first edge (from vertex `first` to `first + 1`).
        first: usize,
        /// Index of the second edge.
        second: usize,
    },
    /// The vertices do not fit in an open hemisphere.
    #[error(
        "polygon does not fit in a hemisphere; describe a larger region as NOT(polygon) in a REGION"
    )]
    NotInHemisphere,
    /// A malformed STC-S string.
    #[error("STC-S: {message} at column {column}")]
    Stcs {
        /// 1-based character column of the offending token.
        column: usize,
        /// What was expected or found.
        message: String,
    },
    /// An operation that is not defined for this kind of geometry.
    #[error("{operation} is not defined for {what}")]
    Unsupported {
        /// The operation (e.g. "AREA").
        operation: &'static str,
        /// The geometry it was applied to (e.g. "a UNION region").
        what: &'static str,
    },
    /// Two coordinate columns of different lengths.
    #[error("coordinate columns differ in length: {first} and {second}")]
    LengthMismatch {
        /// Length of the first column.
        first: usize,
        /// Length of the second column.
        second: usize,
    },
    /// More rows than the crossmatch kernel can index with `u32`.
    #[error("{rows} rows exceed the crossmatch limit of 4294967295 rows per side")]
    TooManyRows {
        /// Number of rows given.
        rows: usize,
    },
}

/// Result alias of this crate.
pub type Result<T, E = GeomError> = std::result::Result<T, E>;
