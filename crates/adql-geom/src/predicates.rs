//! ADQL CONTAINS and INTERSECTS between any two geometries.
//!
//! Exactness: every pair of simple shapes (point, circle, box, polygon) is decided exactly, boundary
//! included. Composite regions are decided exactly when the composite can be distributed: a NOT or an
//! INTERSECTION as the container, a UNION as the contained region, a point against anything. Two cases
//! have no cheap exact answer and are decided conservatively, as documented on [`contains`] and
//! [`intersects`].

use crate::circle::Circle;
use crate::point::Point;
use crate::polygon::Polygon;
use crate::region::{Region, RegionKind};
use crate::vector::Vec3;

/// Tolerance (radians) for deciding that a point lies on an edge's great circle.
const ON_ARC_TOLERANCE: f64 = 1e-14;

/// Whether `a` lies within `b` or on its boundary (ADQL `CONTAINS(a, b) = 1`).
///
/// # Output
/// Exact for all pairs of points, circles, boxes and polygons, and whenever `b` is a NOT or an
/// INTERSECTION, `a` is a UNION, or `a` is a point. When `b` is a UNION (and `a` is not a point) the result
/// is 1 only if one member of `b` contains `a` (a region covered by several members together is reported as
/// not contained); when `a` is an INTERSECTION the result is 1 only if one member of `a` is inside `b`.
pub fn contains(a: &Region, b: &Region) -> bool {
    use RegionKind as K;
    match (&a.kind, &b.kind) {
        (_, K::Intersection(members)) => members.iter().all(|m| contains(a, m)),
        (_, K::Not(inner)) => !intersects(a, inner),
        (K::Union(members), _) => members.iter().all(|m| contains(m, b)),
        (_, K::Union(members)) => members.iter().any(|m| contains(a, m)),
        (K::Intersection(members), _) => members.iter().any(|m| contains(m, b)),
        (K::Not(inner), _) => complement_contained(inner, b),
        _ => match (Prim::of(a), Prim::of(b)) {
            (Some(pa), Some(pb)) => prim_contains(pa, pb),
            _ => false,
        },
    }
}

/// Whether `a` and `b` share at least one position, boundaries included (ADQL `INTERSECTS(a, b) = 1`).
/// A point argument makes it a [`contains`] test with the point first, as ADQL says.
///
/// # Output
/// Exact for all pairs of simple shapes, for UNION and NOT on either side and for points. For an
/// INTERSECTION against a non-point, the result is 1 when every member intersects the other region, a
/// necessary condition only (it can report 1 for members that meet the other region in different places).
pub fn intersects(a: &Region, b: &Region) -> bool {
    use RegionKind as K;
    match (&a.kind, &b.kind) {
        (K::Union(members), _) => members.iter().any(|m| intersects(m, b)),
        (_, K::Union(members)) => members.iter().any(|m| intersects(a, m)),
        (K::Not(inner), _) => !contains(b, inner),
        (_, K::Not(inner)) => !contains(a, inner),
        (K::Point(_), _) => contains(a, b),
        (_, K::Point(_)) => contains(b, a),
        (K::Intersection(members), _) => members.iter().all(|m| intersects(m, b)),
        (_, K::Intersection(members)) => members.iter().all(|m| intersects(a, m)),
        _ => match (Prim::of(a), Prim::of(b)) {
            (Some(pa), Some(pb)) => prim_intersects(pa, pb),
            _ => false,
        },
    }
}

/// ¬`inner` ⊆ `b` for a simple shape `b`, i.e. ¬`b` ⊆ `inner`.
fn complement_contained(inner: &Region, b: &Region) -> bool {
    match &b.kind {
        RegionKind::Circle(c) if c.radius() >= 180.0 => true,
        RegionKind::Circle(c) => {
            // The closed complement of a cap is the cap around the antipode with the supplementary radius.
            let anti = Point::from_vec3(c.center_vec().neg());
            match Circle::new(anti, 180.0 - c.radius()) {
                Ok(complement) => contains(&Region::from(complement), inner),
                Err(_) => false,
            }
        }
        // ¬b ⊆ ¬y ⇔ y ⊆ b; a point or a polygon (inside a hemisphere) covers no complement otherwise.
        _ => match &inner.kind {
            RegionKind::Not(y) => contains(y, b),
            _ => false,
        },
    }
}

#[derive(Clone, Copy)]
enum Prim<'a> {
    Point(Point),
    Circle(&'a Circle),
    Polygon(&'a Polygon),
}

impl<'a> Prim<'a> {
    fn of(r: &'a Region) -> Option<Self> {
        match &r.kind {
            RegionKind::Point(p) => Some(Self::Point(*p)),
            RegionKind::Circle(c) => Some(Self::Circle(c)),
            RegionKind::Box(b) => Some(Self::Polygon(b.polygon())),
            RegionKind::Polygon(p) => Some(Self::Polygon(p)),
            _ => None,
        }
    }
}

fn prim_contains(a: Prim<'_>, b: Prim<'_>) -> bool {
    match (a, b) {
        (Prim::Point(p), Prim::Point(q)) => p.distance(&q) == 0.0,
        (Prim::Point(p), Prim::Circle(c)) => c.contains_point(&p),
        (Prim::Point(p), Prim::Polygon(poly)) => poly.contains_point(&p),
        // A circle of radius 0 is its centre.
        (Prim::Circle(c), Prim::Point(q)) => c.radius() == 0.0 && c.center().distance(&q) == 0.0,
        (Prim::Polygon(_), Prim::Point(_)) => false,
        (Prim::Circle(inner), Prim::Circle(outer)) => {
            outer.radius() >= 180.0
                || inner.center().distance(&outer.center()) + inner.radius() <= outer.radius()
        }
        (Prim::Circle(c), Prim::Polygon(poly)) => {
            let center = c.center_vec();
            poly.contains_vec(center) && min_boundary_distance(center, poly) >= c.radius_rad()
        }
        (Prim::Polygon(poly), Prim::Circle(c)) => {
            if c.radius() >= 180.0 {
                return true;
            }
            let center = c.center_vec();
            let r = c.radius_rad();
            poly.edges()
                .all(|(a, b, _)| arc_max_distance(center, a, b) <= r)
                && !poly.contains_vec(center.neg())
        }
        (Prim::Polygon(inner), Prim::Polygon(outer)) => {
            inner.vecs().iter().all(|v| outer.contains_vec(*v))
                && inner.edges().all(|(a, b, _)| !arc_leaves(a, b, outer))
                && !inner.contains_vec(outer.hemisphere().neg())
        }
    }
}

fn prim_intersects(a: Prim<'_>, b: Prim<'_>) -> bool {
    match (a, b) {
        (Prim::Point(_), _) => prim_contains(a, b),
        (_, Prim::Point(_)) => prim_contains(b, a),
        (Prim::Circle(x), Prim::Circle(y)) => {
            x.center().distance(&y.center()) <= x.radius() + y.radius()
        }
        (Prim::Circle(c), Prim::Polygon(poly)) | (Prim::Polygon(poly), Prim::Circle(c)) => {
            let center = c.center_vec();
            poly.contains_vec(center) || min_boundary_distance(center, poly) <= c.radius_rad()
        }
        (Prim::Polygon(x), Prim::Polygon(y)) => {
            x.edges().any(|(a, b, _)| {
                y.edges()
                    .any(|(c, d, _)| arc_intersection(a, b, c, d).is_some())
            }) || x.vecs().first().is_some_and(|v| y.contains_vec(*v))
                || y.vecs().first().is_some_and(|v| x.contains_vec(*v))
        }
    }
}

/// Smallest distance (radians) from `p` to the boundary of `poly`.
fn min_boundary_distance(p: Vec3, poly: &Polygon) -> f64 {
    poly.edges()
        .map(|(a, b, _)| arc_distance(p, a, b))
        .fold(f64::INFINITY, f64::min)
}

/// Distance (radians) from `p` to the minor arc from `a` to `b`.
fn arc_distance(p: Vec3, a: Vec3, b: Vec3) -> f64 {
    let Some(n) = a.cross(b).normalized() else {
        return p.angle(a);
    };
    let h = p.dot(n);
    let q = p.sub(n.scale(h));
    if a.cross(q).dot(n) >= 0.0 && q.cross(b).dot(n) >= 0.0 {
        h.abs().atan2(q.norm())
    } else {
        p.angle(a).min(p.angle(b))
    }
}

/// Largest distance (radians) from `p` to a point of the minor arc from `a` to `b`.
fn arc_max_distance(p: Vec3, a: Vec3, b: Vec3) -> f64 {
    let ends = p.angle(a).max(p.angle(b));
    let Some(n) = a.cross(b).normalized() else {
        return ends;
    };
    let h = p.dot(n);
    let far = p.sub(n.scale(h)).neg();
    if far.norm() > 0.0 && a.cross(far).dot(n) >= 0.0 && far.cross(b).dot(n) >= 0.0 {
        std::f64::consts::PI - h.abs().atan2(far.norm())
    } else {
        ends
    }
}

/// Whether `p` lies on the minor arc from `a` to `b` whose unit normal is `n`.
fn on_arc(p: Vec3, a: Vec3, b: Vec3, n: Vec3) -> bool {
    p.dot(n).abs() <= ON_ARC_TOLERANCE
        && a.cross(p).dot(n) >= -ON_ARC_TOLERANCE
        && p.cross(b).dot(n) >= -ON_ARC_TOLERANCE
}

/// A common point of the minor arcs `ab` and `cd` (touching included), if any.
fn arc_intersection(a: Vec3, b: Vec3, c: Vec3, d: Vec3) -> Option<Vec3> {
    let n1 = a.cross(b).normalized()?;
    let n2 = c.cross(d).normalized()?;
    match n1.cross(n2).normalized() {
        Some(l) => [l, l.neg()]
            .into_iter()
            .find(|s| on_arc(*s, a, b, n1) && on_arc(*s, c, d, n2)),
        // Same great circle: the arcs meet if an endpoint of one lies on the other.
        None => [c, d]
            .into_iter()
            .find(|s| on_arc(*s, a, b, n1))
            .or_else(|| [a, b].into_iter().find(|s| on_arc(*s, c, d, n2))),
    }
}

/// Whether some part of the arc `ab` lies outside `poly`: split the arc where it meets the boundary and
/// test the middle of every piece.
fn arc_leaves(a: Vec3, b: Vec3, poly: &Polygon) -> bool {
    let length = a.angle(b);
    let Some(u) = b.sub(a.scale(a.dot(b))).normalized() else {
        return false;
    };
    let mut cuts = vec![0.0, length];
    for (c, d, _) in poly.edges() {
        if let Some(x) = arc_intersection(a, b, c, d) {
            cuts.push(a.angle(x).min(length));
        }
    }
    cuts.sort_by(f64::total_cmp);
    cuts.windows(2).any(|w| match w {
        [t0, t1] if t1 - t0 > 1e-12 => {
            let t = 0.5 * (t0 + t1);
            !poly.contains_vec(a.scale(t.cos()).add(u.scale(t.sin())))
        }
        _ => false,
    })
}

// The predicates as methods of the region (here, beside what they call, so that `region` needs nothing
// from this module).
impl Region {
    /// Whether `self` lies within `other` or on its boundary (ADQL CONTAINS); see [`contains`].
    pub fn contains_in(&self, other: &Region) -> bool {
        contains(self, other)
    }

    /// Whether `self` and `other` share at least one position (ADQL INTERSECTS); see [`intersects`].
    pub fn intersects(&self, other: &Region) -> bool {
        intersects(self, other)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::region::SkyBox;

    fn p(lon: f64, lat: f64) -> Region {
        Point::new(lon, lat).unwrap().into()
    }
    fn c(lon: f64, lat: f64, r: f64) -> Region {
        Circle::from_degrees(lon, lat, r).unwrap().into()
    }
    fn poly(v: &[f64]) -> Region {
        Polygon::from_flat_degrees(v).unwrap().into()
    }
    fn bx(lon: f64, lat: f64, w: f64, h: f64) -> Region {
        SkyBox::new(Point::new(lon, lat).unwrap(), w, h)
            .unwrap()
            .into()
    }
    fn not(r: Region) -> Region {
        Region::new(RegionKind::Not(Box::new(r)))
    }

    #[test]
    fn point_in_shapes() {
        assert!(contains(&p(0.05, 0.0), &c(359.9, 0.0, 0.2)));
        assert!(contains(&p(10.0, 10.0), &p(10.0, 10.0)));
        assert!(contains(&p(0.5, 0.5), &bx(0.0, 0.0, 2.0, 2.0)));
        assert!(!contains(&p(1.5, 0.5), &bx(0.0, 0.0, 2.0, 2.0)));
        // INTERSECTS with a point is CONTAINS with the point first, in either order.
        assert!(intersects(&c(359.9, 0.0, 0.2), &p(0.05, 0.0)));
        assert!(intersects(&p(0.05, 0.0), &c(359.9, 0.0, 0.2)));
    }

    #[test]
    fn circle_in_circle() {
        assert!(contains(&c(10.0, 10.0, 1.0), &c(10.0, 10.0, 1.0)));
        assert!(contains(&c(10.0, 10.5, 0.49), &c(10.0, 10.0, 1.0)));
        assert!(!contains(&c(10.0, 10.6, 0.5), &c(10.0, 10.0, 1.0)));
        assert!(contains(&c(0.0, 89.0, 0.5), &c(180.0, 89.0, 2.6)));
        assert!(!contains(&c(0.0, 89.0, 0.5), &c(180.0, 89.0, 2.4)));
        assert!(intersects(&c(0.0, 0.0, 1.0), &c(2.0, 0.0, 1.0)));
        assert!(!intersects(&c(0.0, 0.0, 1.0), &c(2.1, 0.0, 1.0)));
    }

    #[test]
    fn circle_and_polygon() {
        let square = poly(&[-2.0, -2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0]);
        assert!(contains(&c(0.0, 0.0, 1.9), &square));
        assert!(contains(&c(0.0, 0.0, 2.0), &square));
        assert!(!contains(&c(0.0, 0.0, 2.1), &square));
        assert!(!contains(&c(3.0, 0.0, 0.1), &square));
        assert!(contains(&square, &c(0.0, 0.0, 2.9)));
        assert!(!contains(&square, &c(0.0, 0.0, 2.8)));
        assert!(intersects(&square, &c(3.0, 0.0, 1.01)));
        assert!(!intersects(&square, &c(3.0, 0.0, 0.99)));
        assert!(intersects(&c(0.0, 0.0, 50.0), &square));
        // A polygon inside a circle larger than a hemisphere, and one straddling its edge.
        // (the farthest point is the middle of the western edge, 92 degrees away).
        assert!(contains(&square, &c(90.0, 0.0, 92.0)));
        assert!(!contains(&square, &c(90.0, 0.0, 91.99)));
    }

    #[test]
    fn polygon_in_polygon() {
        let outer = poly(&[-2.0, -2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0]);
        let inner = poly(&[-1.0, -1.0, 1.0, -1.0, 0.0, 1.0]);
        assert!(contains(&inner, &outer));
        assert!(!contains(&outer, &inner));
        assert!(contains(&outer, &outer));
        // A concave container whose notch cuts the inner triangle while all its vertices stay inside.
        let notched = poly(&[-2.0, -2.0, 2.0, -2.0, 2.0, 2.0, 0.0, -0.5, -2.0, 2.0]);
        let tri = poly(&[-1.5, 1.0, 1.5, 1.0, 0.0, -1.5]);
        assert!(!contains(&tri, &notched));
        assert!(intersects(&tri, &notched));
        let far = poly(&[10.0, 10.0, 11.0, 10.0, 10.0, 11.0]);
        assert!(!intersects(&far, &outer));
        // Crossing RA 0.
        assert!(contains(
            &bx(0.0, 0.0, 1.0, 1.0),
            &poly(&[358.0, -2.0, 2.0, -2.0, 2.0, 2.0, 358.0, 2.0])
        ));
    }

    #[test]
    fn composite_regions() {
        let a = c(0.0, 0.0, 1.0);
        let b = c(10.0, 0.0, 1.0);
        let union = Region::new(RegionKind::Union(vec![a.clone(), b.clone()]));
        assert!(contains(&p(10.5, 0.0), &union));
        assert!(!contains(&p(5.0, 0.0), &union));
        assert!(contains(&c(0.0, 0.0, 0.5), &union));
        let inter = Region::new(RegionKind::Intersection(vec![
            c(0.0, 0.0, 2.0),
            c(2.0, 0.0, 2.0),
        ]));
        assert!(contains(&p(1.0, 0.0), &inter));
        assert!(!contains(&p(-1.0, 0.0), &inter));
        assert!(contains(&p(5.0, 0.0), &not(a.clone())));
        assert!(!contains(&p(0.5, 0.0), &not(a.clone())));
        assert!(contains(&b, &not(a.clone())));
        assert!(!contains(&c(0.0, 0.0, 3.0), &not(a.clone())));
        // Everything outside a small circle fits in the complement of a smaller one...
        assert!(contains(&not(c(0.0, 0.0, 2.0)), &not(a.clone())));
        // ...and in a circle that covers the rest of the sky.
        assert!(contains(&not(c(0.0, 0.0, 2.0)), &c(180.0, 0.0, 178.0)));
        assert!(!contains(&not(c(0.0, 0.0, 2.0)), &c(180.0, 0.0, 177.0)));
        assert!(intersects(&not(a.clone()), &b));
        assert!(!intersects(&not(c(0.0, 0.0, 20.0)), &b));
        assert!(intersects(&union, &c(5.0, 0.0, 4.0)));
    }
}
