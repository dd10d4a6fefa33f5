//! Three-vectors on (and near) the unit sphere: the internal representation of every position.
//!
//! Everything inside the crate works on unit vectors in radians-free form; degrees only appear at the API
//! boundary. The conversions here are the single definition used by both the geometry predicates and the
//! crossmatch kernel, so the kernel reproduces the brute-force [`crate::distance`] bit for bit.

/// A vector in R³. Positions are unit vectors: x towards (lon 0, lat 0), y towards (lon 90, lat 0),
/// z towards the north pole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Vec3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Vec3 {
    pub const fn new(x: f64, y: f64, z: f64) -> Self {
        Self { x, y, z }
    }

    /// Unit vector of (lon, lat) in degrees. Any finite longitude is accepted (it is periodic).
    #[inline]
    pub fn from_lonlat_deg(lon: f64, lat: f64) -> Self {
        let (slon, clon) = lon.to_radians().sin_cos();
        // cos(90°) in floating point is 6e-17, not 0: pin the poles so that they are single points.
        let (slat, clat) = if lat.abs() == 90.0 {
            (lat.signum(), 0.0)
        } else {
            lat.to_radians().sin_cos()
        };
        Self::new(clat * clon, clat * slon, slat)
    }

    /// (lon, lat) in degrees, lon in [0, 360[, lat in [-90, 90]. The vector need not be normalised.
    pub fn to_lonlat_deg(self) -> (f64, f64) {
        let rho = self.x.hypot(self.y);
        let lat = self.z.atan2(rho).to_degrees();
        let lon = if rho == 0.0 {
            0.0
        } else {
            let l = self.y.atan2(self.x).to_degrees();
            if l < 0.0 {
                // `l + 360` can round up to exactly 360 for tiny negative l.
                let w = l + 360.0;
                if w >= 360.0 { 0.0 } else { w }
            } else {
                l
            }
        };
        (lon, lat)
    }

    #[inline]
    pub fn dot(self, o: Self) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    #[inline]
    pub fn cross(self, o: Self) -> Self {
        Self::new(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }

    #[inline]
    pub fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// This vector scaled to unit length; `None` for the zero vector.
    pub fn normalized(self) -> Option<Self> {
        let n = self.norm();
        if n > 0.0 && n.is_finite() {
            Some(self.scale(1.0 / n))
        } else {
            None
        }
    }

    #[inline]
    pub fn scale(self, k: f64) -> Self {
        Self::new(self.x * k, self.y * k, self.z * k)
    }

    #[inline]
    pub fn add(self, o: Self) -> Self {
        Self::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }

    #[inline]
    pub fn sub(self, o: Self) -> Self {
        Self::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }

    #[inline]
    pub fn neg(self) -> Self {
        Self::new(-self.x, -self.y, -self.z)
    }

    /// Angle between two unit vectors in radians, in [0, π]: Vincenty's formula on the sphere written with
    /// vectors, `atan2(|a × b|, a · b)`. Unlike `acos(a · b)` (the law of cosines) it keeps full relative
    /// precision for tiny separations and near antipodes.
    #[inline]
    pub fn angle(self, o: Self) -> f64 {
        self.cross(o).norm().atan2(self.dot(o))
    }

    /// Some unit vector perpendicular to this (unit) vector.
    pub fn any_perpendicular(self) -> Self {
        // Cross with the axis least aligned with self, for a well-conditioned result.
        let axis = if self.x.abs() <= self.y.abs() && self.x.abs() <= self.z.abs() {
            Self::new(1.0, 0.0, 0.0)
        } else if self.y.abs() <= self.z.abs() {
            Self::new(0.0, 1.0, 0.0)
        } else {
            Self::new(0.0, 0.0, 1.0)
        };
        let c = self.cross(axis);
        let n = c.norm();
        c.scale(1.0 / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lonlat_round_trip() {
        for &(lon, lat) in &[(0.0, 0.0), (359.999, -45.0), (180.0, 89.5), (12.5, -89.9)] {
            let (l2, b2) = Vec3::from_lonlat_deg(lon, lat).to_lonlat_deg();
            assert!((l2 - lon).abs() < 1e-9, "{lon} -> {l2}");
            assert!((b2 - lat).abs() < 1e-9, "{lat} -> {b2}");
        }
        assert_eq!(Vec3::new(0.0, 0.0, 1.0).to_lonlat_deg(), (0.0, 90.0));
    }

    #[test]
    fn perpendicular_is_unit_and_orthogonal() {
        let v = Vec3::from_lonlat_deg(33.0, 12.0);
        let p = v.any_perpendicular();
        assert!(v.dot(p).abs() < 1e-15);
        assert!((p.norm() - 1.0).abs() < 1e-15);
    }
}
