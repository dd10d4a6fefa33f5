//! [`Region`]: any ADQL geometry, including the STC-S composites, with its coordinate system.

use std::fmt;

use crate::circle::Circle;
use crate::error::{GeomError, Result};
use crate::point::Point;
use crate::polygon::Polygon;

/// STC-S reference frame. Recorded and printed back; this crate does not transform between frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frame {
    /// `ICRS`
    Icrs,
    /// `FK5`
    Fk5,
    /// `FK4`
    Fk4,
    /// `J2000`
    J2000,
    /// `B1950`
    B1950,
    /// `ECLIPTIC`
    Ecliptic,
    /// `GALACTIC` (also accepted: `GALACTIC_II`)
    Galactic,
    /// `GEO_C`
    GeoC,
    /// `GEO_D`
    GeoD,
    /// `UNKNOWNFrame` (also accepted: `UNKNOWN`)
    Unknown,
}

impl Frame {
    /// Parses a frame name, case-insensitively; `None` if it is not a frame.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ICRS" => Self::Icrs,
            "FK5" => Self::Fk5,
            "FK4" => Self::Fk4,
            "J2000" => Self::J2000,
            "B1950" => Self::B1950,
            "ECLIPTIC" => Self::Ecliptic,
            "GALACTIC" | "GALACTIC_II" => Self::Galactic,
            "GEO_C" => Self::GeoC,
            "GEO_D" => Self::GeoD,
            "UNKNOWNFRAME" | "UNKNOWN" => Self::Unknown,
            _ => return None,
        })
    }

    /// The STC-S spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Icrs => "ICRS",
            Self::Fk5 => "FK5",
            Self::Fk4 => "FK4",
            Self::J2000 => "J2000",
            Self::B1950 => "B1950",
            Self::Ecliptic => "ECLIPTIC",
            Self::Galactic => "GALACTIC",
            Self::GeoC => "GEO_C",
            Self::GeoD => "GEO_D",
            Self::Unknown => "UNKNOWNFrame",
        }
    }
}

/// STC-S reference position. Recorded and printed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefPos {
    /// `BARYCENTER`
    Barycenter,
    /// `GEOCENTER`
    Geocenter,
    /// `HELIOCENTER`
    Heliocenter,
    /// `LSR`
    Lsr,
    /// `TOPOCENTER`
    Topocenter,
    /// `RELOCATABLE`
    Relocatable,
    /// `UNKNOWNRefPos`
    Unknown,
}

impl RefPos {
    /// Parses a reference position, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "BARYCENTER" => Self::Barycenter,
            "GEOCENTER" => Self::Geocenter,
            "HELIOCENTER" => Self::Heliocenter,
            "LSR" => Self::Lsr,
            "TOPOCENTER" => Self::Topocenter,
            "RELOCATABLE" => Self::Relocatable,
            "UNKNOWNREFPOS" => Self::Unknown,
            _ => return None,
        })
    }

    /// The STC-S spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Barycenter => "BARYCENTER",
            Self::Geocenter => "GEOCENTER",
            Self::Heliocenter => "HELIOCENTER",
            Self::Lsr => "LSR",
            Self::Topocenter => "TOPOCENTER",
            Self::Relocatable => "RELOCATABLE",
            Self::Unknown => "UNKNOWNRefPos",
        }
    }
}

/// The coordinate-system tokens of an STC-S region: `[frame] [refpos] [flavor]`.
///
/// Only the `SPHERICAL2` flavor is geometry this crate understands; the parser rejects `CARTESIAN2/3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CoordSys {
    /// Reference frame, if given.
    pub frame: Option<Frame>,
    /// Reference position, if given.
    pub refpos: Option<RefPos>,
    /// Whether `SPHERICAL2` was written explicitly.
    pub spherical2: bool,
}

impl CoordSys {
    /// A coordinate system with just a frame.
    pub fn frame(frame: Frame) -> Self {
        Self {
            frame: Some(frame),
            refpos: None,
            spherical2: false,
        }
    }

    /// Whether no token was given.
    pub fn is_empty(&self) -> bool {
        self.frame.is_none() && self.refpos.is_none() && !self.spherical2
    }
}

impl fmt::Display for CoordSys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(frame) = self.frame {
            write!(f, "{}", frame.as_str())?;
            sep = " ";
        }
        if let Some(refpos) = self.refpos {
            write!(f, "{sep}{}", refpos.as_str())?;
            sep = " ";
        }
        if self.spherical2 {
            write!(f, "{sep}SPHERICAL2")?;
        }
        Ok(())
    }
}

/// An ADQL BOX: centre, width and height (degrees) and the polygon they define
/// ([`Polygon::from_box`]). Kept apart from plain polygons so that STC-S prints it back as a `Box`.
#[derive(Debug, Clone, PartialEq)]
pub struct SkyBox {
    center: Point,
    width: f64,
    height: f64,
    polygon: Polygon,
}

impl SkyBox {
    /// A box; see [`Polygon::from_box`] for the shape and the units.
    ///
    /// # Errors
    /// As [`Polygon::from_box`].
    pub fn new(center: Point, width: f64, height: f64) -> Result<Self> {
        Ok(Self {
            center,
            width,
            height,
            polygon: Polygon::from_box(center, width, height)?,
        })
    }

    /// Centre.
    pub fn center(&self) -> Point {
        self.center
    }

    /// Width in degrees.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Height in degrees.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// The box as a polygon.
    pub fn polygon(&self) -> &Polygon {
        &self.polygon
    }
}

/// The shape of a [`Region`].
#[derive(Debug, Clone, PartialEq)]
pub enum RegionKind {
    /// A single position (STC-S `Position`, ADQL POINT).
    Point(Point),
    /// A circle (ADQL CIRCLE).
    Circle(Circle),
    /// A box (ADQL BOX).
    Box(SkyBox),
    /// A polygon (ADQL POLYGON).
    Polygon(Polygon),
    /// Every position in at least one member.
    Union(Vec<Region>),
    /// Every position in all members.
    Intersection(Vec<Region>),
    /// Every position not in the member.
    Not(Box<Region>),
}

/// Any ADQL geometry: a shape plus the coordinate system it was written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// The coordinate-system tokens, empty when not given.
    pub coordsys: CoordSys,
    /// The shape.
    pub kind: RegionKind,
}

impl Region {
    /// A region without coordinate-system tokens.
    pub fn new(kind: RegionKind) -> Self {
        Self {
            coordsys: CoordSys::default(),
            kind,
        }
    }

    /// The same region in coordinate system `coordsys`.
    pub fn with_coordsys(mut self, coordsys: CoordSys) -> Self {
        self.coordsys = coordsys;
        self
    }

    /// The polygon of a BOX or POLYGON region.
    pub fn as_polygon(&self) -> Option<&Polygon> {
        match &self.kind {
            RegionKind::Box(b) => Some(b.polygon()),
            RegionKind::Polygon(p) => Some(p),
            _ => None,
        }
    }

    /// Area in square degrees (ADQL AREA).
    ///
    /// # Errors
    /// [`GeomError::Unsupported`] for a UNION or INTERSECTION of more than one member, whose area this crate
    /// does not compute.
    pub fn area(&self) -> Result<f64> {
        match &self.kind {
            RegionKind::Point(_) => Ok(0.0),
            RegionKind::Circle(c) => Ok(c.area()),
            RegionKind::Box(b) => Ok(b.polygon().area()),
            RegionKind::Polygon(p) => Ok(p.area()),
            RegionKind::Not(inner) => Ok(crate::FULL_SKY_DEG2 - inner.area()?),
            RegionKind::Union(members) | RegionKind::Intersection(members) => {
                match members.as_slice() {
                    [only] => only.area(),
                    _ if matches!(self.kind, RegionKind::Union(_)) => Err(GeomError::Unsupported {
                        operation: "AREA",
                        what: "a UNION region",
                    }),
                    _ => Err(GeomError::Unsupported {
                        operation: "AREA",
                        what: "an INTERSECTION region",
                    }),
                }
            }
        }
    }

    /// Centroid (ADQL CENTROID): the point itself, the centre of a circle or box, the spherical centroid of
    /// a polygon ([`Polygon::centroid`]).
    ///
    /// # Errors
    /// [`GeomError::Unsupported`] for UNION, INTERSECTION and NOT regions.
    pub fn centroid(&self) -> Result<Point> {
        match &self.kind {
            RegionKind::Point(p) => Ok(*p),
            RegionKind::Circle(c) => Ok(c.center()),
            RegionKind::Box(b) => Ok(b.center()),
            RegionKind::Polygon(p) => Ok(p.centroid()),
            RegionKind::Union(_) => Err(GeomError::Unsupported {
                operation: "CENTROID",
                what: "a UNION region",
            }),
            RegionKind::Intersection(_) => Err(GeomError::Unsupported {
                operation: "CENTROID",
                what: "an INTERSECTION region",
            }),
            RegionKind::Not(_) => Err(GeomError::Unsupported {
                operation: "CENTROID",
                what: "a NOT region",
            }),
        }
    }
}

impl From<Point> for Region {
    fn from(p: Point) -> Self {
        Self::new(RegionKind::Point(p))
    }
}

impl From<Circle> for Region {
    fn from(c: Circle) -> Self {
        Self::new(RegionKind::Circle(c))
    }
}

impl From<Polygon> for Region {
    fn from(p: Polygon) -> Self {
        Self::new(RegionKind::Polygon(p))
    }
}

impl From<SkyBox> for Region {
    fn from(b: SkyBox) -> Self {
        Self::new(RegionKind::Box(b))
    }
}
