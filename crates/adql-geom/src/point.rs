//! [`Point`] and the great-circle [`distance`].

use crate::error::{GeomError, Result};
use crate::vector::Vec3;

/// How far past a pole a latitude may be and still mean the pole (degrees, about 3.6 micro-arcseconds):
/// services compute positions in floating point, and a circle centred on the pole comes back as
/// `90.0000000000002`. Far below any astrometric precision, far above the rounding of such computations;
/// a latitude beyond it is an error.
pub const LATITUDE_TOLERANCE_DEG: f64 = 1e-9;

/// `lat` clamped to [-90, 90] when it is there or within [`LATITUDE_TOLERANCE_DEG`] of it; `None` beyond.
pub fn clamp_latitude(lat: f64) -> Option<f64> {
    if (-90.0..=90.0).contains(&lat) {
        Some(lat)
    } else if lat.abs() <= 90.0 + LATITUDE_TOLERANCE_DEG {
        Some(lat.clamp(-90.0, 90.0))
    } else {
        None
    }
}

/// A position on the celestial sphere.
///
/// Longitude (e.g. RA) and latitude (e.g. Dec) are in **degrees**. The longitude is kept as given (any
/// finite value; it is periodic, so 360.05 and 0.05 are the same place); the latitude is in [-90, 90].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    lon: f64,
    lat: f64,
}

impl Point {
    /// A point at (`lon`, `lat`).
    ///
    /// # Input
    /// * `lon`: longitude in degrees, any finite value.
    /// * `lat`: latitude in degrees, in [-90, 90].
    ///
    /// # Errors
    /// [`GeomError::NotFinite`] for NaN or infinite input, [`GeomError::LatitudeOutOfRange`] for |lat| > 90
    /// (beyond [`LATITUDE_TOLERANCE_DEG`]; within it the latitude is clamped to ±90).
    pub fn new(lon: f64, lat: f64) -> Result<Self> {
        if !lon.is_finite() {
            return Err(GeomError::NotFinite { what: "longitude" });
        }
        if !lat.is_finite() {
            return Err(GeomError::NotFinite { what: "latitude" });
        }
        let Some(lat) = clamp_latitude(lat) else {
            return Err(GeomError::LatitudeOutOfRange { lat });
        };
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees, as given.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Latitude in degrees, in [-90, 90].
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Great-circle distance to `other` in degrees, in [0, 180]; see [`distance`].
    pub fn distance(&self, other: &Point) -> f64 {
        distance(self.lon, self.lat, other.lon, other.lat)
    }

    pub(crate) fn to_vec3(self) -> Vec3 {
        Vec3::from_lonlat_deg(self.lon, self.lat)
    }

    /// The point of a unit vector, lon in [0, 360[.
    pub(crate) fn from_vec3(v: Vec3) -> Self {
        let (lon, lat) = v.to_lonlat_deg();
        Self {
            lon,
            lat: lat.clamp(-90.0, 90.0),
        }
    }
}

/// Great-circle distance between (`lon1`, `lat1`) and (`lon2`, `lat2`).
///
/// Vincenty's formula on the sphere, evaluated with unit vectors as `atan2(|a × b|, a · b)`: accurate to
/// about 1e-14 degree at every separation, including sub-milliarcsecond pairs and near-antipodes, where the
/// law of cosines (`acos`) and haversine lose digits. This is the exact predicate of the crossmatch
/// kernel: [`crate::crossmatch`] reports a pair exactly when this function says `distance <= r`.
///
/// # Input
/// * `lon1`, `lat1`, `lon2`, `lat2`: degrees. Longitudes are periodic; latitudes are expected in [-90, 90].
///
/// # Output
/// The distance in degrees, in [0, 180]; NaN if any input is NaN or infinite.
///
/// # Examples
/// ```
/// // Sirius to Betelgeuse: about 27.1 degrees.
/// let d = adql_geom::distance(101.287155, -16.716116, 88.792939, 7.407064);
/// assert!((d - 27.1045).abs() < 1e-4);
/// ```
#[inline]
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    Vec3::from_lonlat_deg(lon1, lat1)
        .angle(Vec3::from_lonlat_deg(lon2, lat2))
        .to_degrees()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            Point::new(f64::NAN, 0.0),
            Err(GeomError::NotFinite { what: "longitude" })
        );
        assert_eq!(
            Point::new(0.0, f64::INFINITY),
            Err(GeomError::NotFinite { what: "latitude" })
        );
        assert_eq!(
            Point::new(0.0, 90.5),
            Err(GeomError::LatitudeOutOfRange { lat: 90.5 })
        );
        assert!(Point::new(-720.0, -90.0).is_ok());
        // Floating-point noise at a pole means the pole; more is an error.
        assert_eq!(Point::new(10.0, 90.000_000_000_000_2).unwrap().lat(), 90.0);
        assert_eq!(Point::new(10.0, -90.000_000_000_1).unwrap().lat(), -90.0);
        assert!(Point::new(10.0, 90.000_001).is_err());
    }

    #[test]
    fn known_distances() {
        // Vega to Altair and Sirius to Betelgeuse; reference values from astropy's `separation`.
        let d = distance(279.234_735, 38.783_689, 297.695_827, 8.868_321);
        assert!((d - 34.195_184_302_095_68).abs() < 1e-11, "{d}");
        let d = distance(101.287_155, -16.716_116, 88.792_939, 7.407_064);
        assert!((d - 27.104_528_611_713_498).abs() < 1e-11, "{d}");
        // Along the equator and along a meridian the distance is the coordinate difference.
        assert!((distance(10.0, 0.0, 40.0, 0.0) - 30.0).abs() < 1e-12);
        assert!((distance(10.0, -20.0, 10.0, 50.0) - 70.0).abs() < 1e-12);
        // Across RA 0/360.
        assert!((distance(359.9, 0.0, 0.1, 0.0) - 0.2).abs() < 1e-12);
        // Pole to equator, whatever the longitudes.
        assert!((distance(0.0, 90.0, 123.0, 0.0) - 90.0).abs() < 1e-12);
        assert!(distance(0.0, f64::NAN, 1.0, 1.0).is_nan());
        // The poles are single points whatever the longitude.
        assert_eq!(distance(10.0, 90.0, 250.0, 90.0), 0.0);
        assert_eq!(distance(10.0, -90.0, 250.0, -90.0), 0.0);
    }

    #[test]
    fn tiny_separations_keep_precision() {
        for &sep in &[1e-10, 1e-8, 2.7e-4] {
            let d = distance(0.0, 0.0, 0.0, sep);
            assert!((d - sep).abs() <= 1e-9 * sep.max(1e-6), "{sep}: {d}");
            // 123 + sep is not exactly representable: compare with the difference actually passed.
            let lon2 = 123.0 + sep;
            let d = distance(123.0, 0.0, lon2, 0.0);
            // Radian conversion of 123° rounds at ~4e-16 rad: far below the 1e-9 degree contract.
            assert!((d - (lon2 - 123.0)).abs() <= 1e-12, "{sep}: {d}");
        }
        // A tiny separation at high declination: along a meridian it is exact.
        let lat2 = 80.0 + 1e-10;
        let d = distance(45.0, 80.0, 45.0, lat2);
        assert!((d - (lat2 - 80.0)).abs() < 1e-12, "{d}");
    }

    #[test]
    fn near_antipodes_keep_precision() {
        assert!((distance(0.0, 0.0, 180.0, 0.0) - 180.0).abs() < 1e-12);
        let d = distance(0.0, 0.0, 180.0, 1e-10);
        assert!((d - (180.0 - 1e-10)).abs() < 1e-9, "{d}");
        let d = distance(10.0, 30.0, 190.0, -30.0 + 1e-7);
        assert!((d - (180.0 - 1e-7)).abs() < 1e-9, "{d}");
    }
}
