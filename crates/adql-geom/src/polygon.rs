//! [`Polygon`]: a spherical polygon with great-circle edges, and the ADQL BOX built as one.
//!
//! # Which side is inside
//!
//! DALI asks for counter-clockwise vertices, but services and users get the winding wrong often enough that
//! rejecting the other winding (or silently returning the complement, 4π minus the intended area) helps no
//! one. Like pgSphere, this crate takes the **smaller** of the two regions bounded by the edges: the
//! vertices must fit in an open hemisphere, and the interior is the region inside that hemisphere. Both
//! windings therefore describe the same region; the vertices are kept in the order given. A region larger
//! than a hemisphere is written `NOT(polygon)` in a REGION.
//!
//! Containment is tested exactly in the gnomonic projection centred on that hemisphere, which maps great
//! circles to straight lines, so the spherical test is a planar crossing-number test.

use crate::error::{GeomError, Result};
use crate::point::Point;
use crate::vector::Vec3;

/// Points closer than this to an edge (in radians, about 2e-9 arcsec) count as on the boundary, which
/// ADQL includes in the region. It absorbs the rounding of degree → vector conversions.
const BOUNDARY_TOLERANCE: f64 = 1e-14;

/// A simple (non self-intersecting) spherical polygon whose edges are minor great-circle arcs.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// Vertices as given (closing duplicate and consecutive duplicates removed), degrees.
    vertices: Vec<Point>,
    /// Unit vectors of the vertices.
    vecs: Vec<Vec3>,
    /// Unit normals of the edges (vertex i to i + 1), oriented so that the interior is on the positive side.
    normals: Vec<Vec3>,
    /// Centre of the hemisphere holding the polygon and the tangent-plane basis of the gnomonic projection.
    center: Vec3,
    e1: Vec3,
    e2: Vec3,
    /// Gnomonic coordinates of the vertices.
    proj: Vec<(f64, f64)>,
}

impl Polygon {
    /// A polygon through `vertices`, joined by great-circle arcs, the last back to the first.
    ///
    /// # Input
    /// * `vertices`: at least 3 distinct points, either winding (see the module documentation), fitting in
    ///   an open hemisphere. A repeated closing vertex and consecutive duplicates are dropped.
    ///
    /// # Errors
    /// [`GeomError::TooFewVertices`], [`GeomError::NotInHemisphere`], [`GeomError::DegeneratePolygon`] (all
    /// vertices on one great circle), [`GeomError::SelfIntersecting`].
    pub fn new(vertices: &[Point]) -> Result<Self> {
        let mut pts: Vec<Point> = Vec::with_capacity(vertices.len());
        let mut vecs: Vec<Vec3> = Vec::with_capacity(vertices.len());
        for p in vertices {
            let v = p.to_vec3();
            if vecs.last().is_some_and(|last| same_direction(*last, v)) {
                continue;
            }
            pts.push(*p);
            vecs.push(v);
        }
        while vecs.len() > 1
            && vecs
                .first()
                .zip(vecs.last())
                .is_some_and(|(a, b)| same_direction(*a, *b))
        {
            vecs.pop();
            pts.pop();
        }
        let n = vecs.len();
        if n < 3 {
            return Err(GeomError::TooFewVertices { count: n });
        }
        let center = hemisphere_center(&vecs).ok_or(GeomError::NotInHemisphere)?;
        let e1 = center.any_perpendicular();
        let e2 = center.cross(e1);
        let proj: Vec<(f64, f64)> = vecs
            .iter()
            .map(|v| {
                let w = v.dot(center);
                (v.dot(e1) / w, v.dot(e2) / w)
            })
            .collect();
        // Orientation in the tangent plane (right-handed about the outward centre): positive = interior
        // on the left of each edge as seen from outside the sphere.
        check_simple(&proj)?;
        let twice_area = planar_twice_area(&proj);
        let scale = proj
            .iter()
            .fold(0.0f64, |m, (x, y)| m.max(x.abs()).max(y.abs()));
        if twice_area.abs() <= 1e-12 * scale * scale || scale == 0.0 {
            return Err(GeomError::DegeneratePolygon);
        }
        let sign = if twice_area > 0.0 { 1.0 } else { -1.0 };
        let normals = (0..n)
            .map(|i| {
                let a = vecs[i];
                let b = vecs[(i + 1) % n];
                a.cross(b)
                    .normalized()
                    .map(|v| v.scale(sign))
                    .ok_or(GeomError::DegeneratePolygon)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            vertices: pts,
            vecs,
            normals,
            center,
            e1,
            e2,
            proj,
        })
    }

    /// A polygon from flat `[lon1, lat1, lon2, lat2, ...]` coordinates in degrees.
    ///
    /// # Errors
    /// [`GeomError::OddCoordinateCount`], the errors of [`Point::new`] and of [`Polygon::new`].
    pub fn from_flat_degrees(coords: &[f64]) -> Result<Self> {
        if !coords.len().is_multiple_of(2) {
            return Err(GeomError::OddCoordinateCount {
                count: coords.len(),
            });
        }
        let pts = coords
            .chunks_exact(2)
            .map(|c| match c {
                [lon, lat] => Point::new(*lon, *lat),
                _ => Err(GeomError::OddCoordinateCount {
                    count: coords.len(),
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(&pts)
    }

    /// The ADQL `BOX(lon, lat, width, height)` as a polygon.
    ///
    /// The sides are great circles through the ends of the "cross" centred on (`lon`, `lat`): the arm along
    /// the meridian reaches ± `height`/2 and the arm perpendicular to it reaches ± `width`/2, both measured
    /// as great-circle distances; each side is perpendicular to its arm. In the gnomonic projection centred
    /// on the box this is the rectangle |x| ≤ tan(w/2), |y| ≤ tan(h/2), so a box is exact near the poles and
    /// across RA 0/360. The vertices are, in the box's own frame, (east, south), (east, north),
    /// (west, north), (west, south): counter-clockwise as seen on the sky, where east is to the left.
    ///
    /// # Input
    /// * `center`: the centre of the box.
    /// * `width`, `height`: degrees, each in ]0, 180[.
    ///
    /// # Errors
    /// [`GeomError::NotFinite`], [`GeomError::BoxSizeOutOfRange`].
    pub fn from_box(center: Point, width: f64, height: f64) -> Result<Self> {
        if !width.is_finite() || !height.is_finite() {
            return Err(GeomError::NotFinite { what: "box size" });
        }
        if !(width > 0.0 && width < 180.0 && height > 0.0 && height < 180.0) {
            return Err(GeomError::BoxSizeOutOfRange { width, height });
        }
        let (slon, clon) = center.lon().to_radians().sin_cos();
        let (slat, clat) = center.lat().to_radians().sin_cos();
        let c = Vec3::new(clat * clon, clat * slon, slat);
        let east = Vec3::new(-slon, clon, 0.0);
        let north = Vec3::new(-slat * clon, -slat * slon, clat);
        let tw = (width.to_radians() / 2.0).tan();
        let th = (height.to_radians() / 2.0).tan();
        let corner = |sx: f64, sy: f64| -> Point {
            let v = c.add(east.scale(sx * tw)).add(north.scale(sy * th));
            Point::from_vec3(v.normalized().unwrap_or(c))
        };
        let corners = [
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
            corner(-1.0, -1.0),
        ];
        Self::new(&corners)
    }

    /// The vertices, degrees, in the order given.
    pub fn vertices(&self) -> &[Point] {
        &self.vertices
    }

    /// Whether `p` is inside or on the boundary.
    pub fn contains_point(&self, p: &Point) -> bool {
        self.contains_vec(p.to_vec3())
    }

    pub(crate) fn contains_vec(&self, p: Vec3) -> bool {
        let w = p.dot(self.center);
        if w <= 0.0 {
            return false;
        }
        let (x, y) = (p.dot(self.e1) / w, p.dot(self.e2) / w);
        let n = self.proj.len();
        let mut inside = false;
        for i in 0..n {
            let (xi, yi) = self.proj[i];
            let (xj, yj) = self.proj[(i + 1) % n];
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
        }
        inside || self.on_boundary(p)
    }

    fn on_boundary(&self, p: Vec3) -> bool {
        self.edges().any(|(a, b, n)| {
            if p.dot(n).abs() > BOUNDARY_TOLERANCE {
                return false;
            }
            // Between a and b along the arc (which is shorter than π).
            a.cross(p).dot(n) >= -BOUNDARY_TOLERANCE && p.cross(b).dot(n) >= -BOUNDARY_TOLERANCE
        })
    }

    /// Edges as (start, end, inward unit normal).
    pub(crate) fn edges(&self) -> impl Iterator<Item = (Vec3, Vec3, Vec3)> + '_ {
        let n = self.vecs.len();
        (0..n).map(move |i| (self.vecs[i], self.vecs[(i + 1) % n], self.normals[i]))
    }

    pub(crate) fn vecs(&self) -> &[Vec3] {
        &self.vecs
    }

    /// Centre of the hemisphere holding the polygon: every point of the polygon has a positive dot product
    /// with it, so its antipode is certainly outside.
    pub(crate) fn hemisphere(&self) -> Vec3 {
        self.center
    }

    /// Area in square degrees (spherical excess), in ]0, 2π sr[.
    pub fn area(&self) -> f64 {
        // Fan of triangles (centre, v_i, v_i+1), each signed by Van Oosterom & Strackee's formula
        // tan(E/2) = a·(b×c) / (1 + a·b + b·c + c·a); the centre is in the same hemisphere as every vertex so
        // the denominators stay positive.
        let c = self.center;
        let total: f64 = self
            .edges()
            .map(|(a, b, _)| {
                let num = c.dot(a.cross(b));
                let den = 1.0 + c.dot(a) + a.dot(b) + b.dot(c);
                2.0 * num.atan2(den)
            })
            .sum();
        total.abs() * crate::SR_TO_DEG2
    }

    /// Spherical centroid: the direction of the surface integral of the position vector over the polygon,
    /// ∫ x dA = ½ Σ θᵢ nᵢ (θᵢ the length of edge i in radians, nᵢ its inward unit normal). For small
    /// polygons it tends to the planar area centroid; it is always inside the polygon's hemisphere.
    pub fn centroid(&self) -> Point {
        let moment = self
            .edges()
            .fold(Vec3::new(0.0, 0.0, 0.0), |acc, (a, b, n)| {
                acc.add(n.scale(a.angle(b)))
            });
        Point::from_vec3(moment.normalized().unwrap_or(self.center))
    }
}

fn same_direction(a: Vec3, b: Vec3) -> bool {
    a.angle(b) == 0.0
}

/// A unit vector with a positive dot product with every vertex, if one of a few natural candidates works:
/// the vertex mean, and the vector area Σ vᵢ × vᵢ₊₁ (which points into the polygon for either winding sign).
fn hemisphere_center(vecs: &[Vec3]) -> Option<Vec3> {
    let n = vecs.len();
    let mean = vecs
        .iter()
        .fold(Vec3::new(0.0, 0.0, 0.0), |acc, v| acc.add(*v));
    let vector_area = (0..n).fold(Vec3::new(0.0, 0.0, 0.0), |acc, i| {
        acc.add(vecs[i].cross(vecs[(i + 1) % n]))
    });
    let candidates = [Some(mean), Some(vector_area), Some(vector_area.neg())];
    candidates
        .into_iter()
        .flatten()
        .filter_map(Vec3::normalized)
        .find(|c| vecs.iter().all(|v| v.dot(*c) > 1e-12))
}

fn planar_twice_area(proj: &[(f64, f64)]) -> f64 {
    let n = proj.len();
    (0..n)
        .map(|i| {
            let (x1, y1) = proj[i];
            let (x2, y2) = proj[(i + 1) % n];
            x1 * y2 - x2 * y1
        })
        .sum()
}

fn orient(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

fn on_segment(a: (f64, f64), b: (f64, f64), p: (f64, f64)) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

/// Planar segment intersection, touching included.
fn segments_meet(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let d1 = orient(c, d, a);
    let d2 = orient(c, d, b);
    let d3 = orient(a, b, c);
    let d4 = orient(a, b, d);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

/// Rejects polygons whose non-adjacent edges meet. Quadratic in the number of vertices, which is fine for
/// the polygons ADQL queries carry (tens to hundreds of vertices).
fn check_simple(proj: &[(f64, f64)]) -> Result<()> {
    let n = proj.len();
    for i in 0..n {
        let (a, b) = (proj[i], proj[(i + 1) % n]);
        for j in (i + 1)..n {
            // Adjacent edges share a vertex by construction.
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            let (c, d) = (proj[j], proj[(j + 1) % n]);
            if segments_meet(a, b, c, d) {
                return Err(GeomError::SelfIntersecting {
                    first: i,
                    second: j,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn poly(c: &[f64]) -> Polygon {
        Polygon::from_flat_degrees(c).unwrap()
    }

    fn pt(lon: f64, lat: f64) -> Point {
        Point::new(lon, lat).unwrap()
    }

    #[test]
    fn octant_area_is_an_eighth_of_the_sphere() {
        let p = poly(&[0.0, 0.0, 90.0, 0.0, 0.0, 90.0]);
        let expected = 4.0 * PI / 8.0 * crate::SR_TO_DEG2;
        assert!((p.area() - expected).abs() < 1e-9, "{}", p.area());
        // Clockwise input describes the same region.
        let q = poly(&[0.0, 0.0, 0.0, 90.0, 90.0, 0.0]);
        assert!((q.area() - expected).abs() < 1e-9);
        assert!(q.contains_point(&pt(45.0, 45.0)));
        assert!(!q.contains_point(&pt(135.0, 45.0)));
    }

    #[test]
    fn degenerate_polygons_are_errors() {
        assert_eq!(
            Polygon::from_flat_degrees(&[0.0, 0.0, 1.0]),
            Err(GeomError::OddCoordinateCount { count: 3 })
        );
        assert_eq!(
            Polygon::from_flat_degrees(&[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]),
            Err(GeomError::TooFewVertices { count: 2 })
        );
        assert_eq!(
            Polygon::from_flat_degrees(&[0.0, 0.0, 10.0, 0.0, 20.0, 0.0]),
            Err(GeomError::DegeneratePolygon)
        );
        // A bow tie.
        assert!(matches!(
            Polygon::from_flat_degrees(&[0.0, 0.0, 10.0, 10.0, 10.0, 0.0, 0.0, 10.0]),
            Err(GeomError::SelfIntersecting { .. })
        ));
        // Vertices spread all around the equator do not fit in a hemisphere.
        assert_eq!(
            Polygon::from_flat_degrees(&[0.0, 0.0, 120.0, 0.0, 240.0, 0.0]),
            Err(GeomError::NotInHemisphere)
        );
        assert!(matches!(
            Polygon::from_flat_degrees(&[0.0, 0.0, 10.0, f64::NAN, 0.0, 10.0]),
            Err(GeomError::NotFinite { .. })
        ));
    }

    #[test]
    fn across_ra_zero() {
        let p = poly(&[359.0, -1.0, 1.0, -1.0, 1.0, 1.0, 359.0, 1.0]);
        assert!(p.contains_point(&pt(0.0, 0.0)));
        assert!(p.contains_point(&pt(359.5, 0.5)));
        assert!(p.contains_point(&pt(-0.5, 0.5)));
        assert!(!p.contains_point(&pt(180.0, 0.0)));
        assert!(!p.contains_point(&pt(2.0, 0.0)));
    }

    #[test]
    fn around_the_pole() {
        let p = poly(&[0.0, 80.0, 90.0, 80.0, 180.0, 80.0, 270.0, 80.0]);
        assert!(p.contains_point(&pt(12.0, 90.0)));
        assert!(p.contains_point(&pt(45.0, 85.0)));
        assert!(!p.contains_point(&pt(45.0, 79.0)));
        // Non-convex: a notch towards the pole.
        let notch = poly(&[0.0, 80.0, 90.0, 80.0, 135.0, 89.0, 180.0, 80.0, 270.0, 80.0]);
        assert!(notch.contains_point(&pt(300.0, 85.0)));
        assert!(!notch.contains_point(&pt(135.0, 85.0)));
    }

    #[test]
    fn vertices_and_edges_are_on_the_boundary() {
        let p = poly(&[10.0, 10.0, 20.0, 10.0, 20.0, 20.0, 10.0, 20.0]);
        for v in p.vertices() {
            assert!(p.contains_point(v));
        }
        // Meridian edges are exact great circles, so mid-edge points are on the boundary.
        assert!(p.contains_point(&pt(10.0, 15.0)));
        assert!(p.contains_point(&pt(20.0, 12.5)));
        assert!(!p.contains_point(&pt(9.999_999, 15.0)));
    }

    #[test]
    fn boxes() {
        let b = Polygon::from_box(pt(0.0, 0.0), 2.0, 4.0).unwrap();
        // Ends of the cross are on the boundary; at the equator the sides are meridians.
        assert!(b.contains_point(&pt(1.0, 0.0)));
        assert!(b.contains_point(&pt(359.0, 0.0)));
        assert!(b.contains_point(&pt(0.0, 2.0)));
        assert!(b.contains_point(&pt(0.0, -2.0)));
        assert!(!b.contains_point(&pt(1.0001, 0.0)));
        assert!(!b.contains_point(&pt(0.0, 2.0001)));
        // Near the pole: a box centred at 89 deg with height 4 covers the pole.
        let polar = Polygon::from_box(pt(45.0, 89.0), 1.0, 4.0).unwrap();
        assert!(polar.contains_point(&pt(0.0, 90.0)));
        assert!(polar.contains_point(&pt(45.0, 87.1)));
        assert!(!polar.contains_point(&pt(45.0, 86.9)));
        assert!(matches!(
            Polygon::from_box(pt(0.0, 0.0), 0.0, 1.0),
            Err(GeomError::BoxSizeOutOfRange { .. })
        ));
        assert!(matches!(
            Polygon::from_box(pt(0.0, 0.0), 1.0, 180.0),
            Err(GeomError::BoxSizeOutOfRange { .. })
        ));
        // A small box has nearly the planar area w*h*cos(lat).
        let small = Polygon::from_box(pt(100.0, 0.0), 0.01, 0.02).unwrap();
        assert!((small.area() - 0.0002).abs() < 1e-9);
    }

    #[test]
    fn centroid_of_symmetric_polygons() {
        let p = poly(&[-10.0, -10.0, 10.0, -10.0, 10.0, 10.0, -10.0, 10.0]);
        let c = p.centroid();
        assert!(c.lat().abs() < 1e-12);
        assert!(c.lon() < 1e-12 || c.lon() > 360.0 - 1e-12);
        let octant = poly(&[0.0, 0.0, 90.0, 0.0, 0.0, 90.0]).centroid();
        assert!((octant.lon() - 45.0).abs() < 1e-9);
        // The centroid of an octant is at (1,1,1)/√3: lat = asin(1/√3).
        assert!((octant.lat() - (1.0f64 / 3.0f64.sqrt()).asin().to_degrees()).abs() < 1e-9);
    }
}
