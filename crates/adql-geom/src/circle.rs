//! [`Circle`]: a spherical cap.

use crate::error::{GeomError, Result};
use crate::point::Point;
use crate::vector::Vec3;

/// All positions within `radius` (great-circle distance, boundary included) of `center`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    center: Point,
    radius: f64,
}

impl Circle {
    /// A circle around `center`.
    ///
    /// # Input
    /// * `center`: the centre.
    /// * `radius`: degrees, in [0, 180]. 0 is the centre alone; 180 the whole sphere.
    ///
    /// # Errors
    /// [`GeomError::NotFinite`] for a NaN radius, [`GeomError::RadiusOutOfRange`] outside [0, 180].
    pub fn new(center: Point, radius: f64) -> Result<Self> {
        if radius.is_nan() {
            return Err(GeomError::NotFinite { what: "radius" });
        }
        if !(0.0..=180.0).contains(&radius) {
            return Err(GeomError::RadiusOutOfRange { radius });
        }
        Ok(Self { center, radius })
    }

    /// Shorthand for `Circle::new(Point::new(lon, lat)?, radius)`; all in degrees.
    ///
    /// # Errors
    /// As [`Point::new`] and [`Circle::new`].
    pub fn from_degrees(lon: f64, lat: f64, radius: f64) -> Result<Self> {
        Self::new(Point::new(lon, lat)?, radius)
    }

    /// The centre.
    pub fn center(&self) -> Point {
        self.center
    }

    /// The radius in degrees.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// Whether `p` is within the circle or on its boundary: `distance(center, p) <= radius`.
    pub fn contains_point(&self, p: &Point) -> bool {
        self.center.distance(p) <= self.radius
    }

    /// Area in square degrees: 2π(1 − cos r) sr, computed as 4π sin²(r/2) for precision at small radii.
    pub fn area(&self) -> f64 {
        let s = (self.radius.to_radians() / 2.0).sin();
        4.0 * std::f64::consts::PI * s * s * crate::SR_TO_DEG2
    }

    pub(crate) fn center_vec(&self) -> Vec3 {
        self.center.to_vec3()
    }

    pub(crate) fn radius_rad(&self) -> f64 {
        self.radius.to_radians()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let c = Point::new(1.0, 2.0).unwrap();
        assert_eq!(
            Circle::new(c, -1.0),
            Err(GeomError::RadiusOutOfRange { radius: -1.0 })
        );
        assert_eq!(
            Circle::new(c, f64::NAN),
            Err(GeomError::NotFinite { what: "radius" })
        );
        assert!(Circle::new(c, 180.0).is_ok());
    }

    #[test]
    fn wraps_ra_and_covers_poles() {
        let c = Circle::from_degrees(359.9, 10.0, 0.2).unwrap();
        assert!(c.contains_point(&Point::new(0.05, 10.0).unwrap()));
        assert!(!c.contains_point(&Point::new(0.3, 10.0).unwrap()));
        let polar = Circle::from_degrees(0.0, 89.0, 2.0).unwrap();
        assert!(polar.contains_point(&Point::new(180.0, 89.5).unwrap()));
        assert!(polar.contains_point(&Point::new(77.0, 90.0).unwrap()));
        assert!(!polar.contains_point(&Point::new(180.0, 88.5).unwrap()));
    }

    #[test]
    fn area_of_hemisphere_and_sphere() {
        let full = 4.0 * std::f64::consts::PI * crate::SR_TO_DEG2;
        assert!((Circle::from_degrees(0.0, 0.0, 90.0).unwrap().area() - full / 2.0).abs() < 1e-9);
        assert!((Circle::from_degrees(0.0, 0.0, 180.0).unwrap().area() - full).abs() < 1e-9);
        assert_eq!(Circle::from_degrees(0.0, 0.0, 0.0).unwrap().area(), 0.0);
    }
}
