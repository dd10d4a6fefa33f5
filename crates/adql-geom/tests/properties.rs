//! Property tests of the spherical geometry: metric axioms, rotation invariance, containment consistent with
//! distance, areas, and behaviour across RA 0/360 and near the poles.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use adql_geom::{Circle, FULL_SKY_DEG2, Point, Polygon, Region, contains, distance, intersects};
use proptest::prelude::*;

fn lon() -> impl Strategy<Value = f64> {
    prop_oneof![0.0..360.0, 359.0..360.0, 0.0..1.0, -720.0..720.0]
}

fn lat() -> impl Strategy<Value = f64> {
    prop_oneof![-90.0..=90.0, 89.0..=90.0, -90.0..=-89.0, -1.0..1.0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn distance_is_a_metric(a in (lon(), lat()), b in (lon(), lat()), c in (lon(), lat())) {
        let ab = distance(a.0, a.1, b.0, b.1);
        let ba = distance(b.0, b.1, a.0, a.1);
        let bc = distance(b.0, b.1, c.0, c.1);
        let ac = distance(a.0, a.1, c.0, c.1);
        prop_assert_eq!(ab, ba);
        prop_assert!((0.0..=180.0).contains(&ab));
        prop_assert!(ac <= ab + bc + 1e-12);
        prop_assert!(distance(a.0, a.1, a.0, a.1) == 0.0);
        // Longitude is periodic.
        prop_assert!((distance(a.0 + 360.0, a.1, b.0, b.1) - ab).abs() < 1e-11);
    }

    #[test]
    fn distance_is_invariant_under_rotation_about_the_pole(a in (lon(), lat()), b in (lon(), lat()), rot in -360.0..360.0f64) {
        let d0 = distance(a.0, a.1, b.0, b.1);
        let d1 = distance(a.0 + rot, a.1, b.0 + rot, b.1);
        prop_assert!((d0 - d1).abs() < 1e-10, "{} vs {}", d0, d1);
        // Reflection through the equator too.
        let d2 = distance(a.0, -a.1, b.0, -b.1);
        prop_assert!((d0 - d2).abs() < 1e-10);
    }

    #[test]
    fn point_in_circle_iff_distance_within_radius(c in (lon(), lat()), p in (lon(), lat()), r in 0.0..180.0f64) {
        let circle = Circle::from_degrees(c.0, c.1, r).unwrap();
        let point = Point::new(p.0, p.1).unwrap();
        let d = distance(c.0, c.1, p.0, p.1);
        prop_assert_eq!(circle.contains_point(&point), d <= r);
        prop_assert_eq!(contains(&Region::from(point), &Region::from(circle)), d <= r);
        prop_assert_eq!(intersects(&Region::from(circle), &Region::from(point)), d <= r);
    }

    #[test]
    fn box_contains_its_centre_and_cross(c in (lon(), -55.0..55.0f64), w in 0.01..30.0f64, h in 0.01..30.0f64) {
        let centre = Point::new(c.0, c.1).unwrap();
        let b = Polygon::from_box(centre, w, h).unwrap();
        prop_assert!(b.contains_point(&centre));
        // The ends of the vertical arm are on the boundary.
        let top = Point::new(c.0, c.1 + h / 2.0 * 0.999).unwrap();
        prop_assert!(b.contains_point(&top));
        let beyond = Point::new(c.0, c.1 + h / 2.0 * 1.001).unwrap();
        prop_assert!(!b.contains_point(&beyond));
        // Area is at most the area of the circumscribed circle and at least the inscribed one.
        let inner = Circle::new(centre, w.min(h) / 2.0 * 0.999).unwrap();
        let outer = Circle::new(centre, (w / 2.0).hypot(h / 2.0) * 1.001).unwrap();
        prop_assert!(b.area() >= inner.area() && b.area() <= outer.area());
        prop_assert!(contains(&Region::from(inner), &Region::from(b.clone())));
        prop_assert!(contains(&Region::from(b), &Region::from(outer)));
    }

    #[test]
    fn triangle_areas_add_up(rot in 0.0..360.0f64, tilt in -60.0..60.0f64) {
        // A 10x10 degree square split into two triangles, moved around the sphere by longitude.
        let q = [rot, tilt, rot + 10.0, tilt, rot + 10.0, tilt + 10.0, rot, tilt + 10.0];
        let square = Polygon::from_flat_degrees(&q).unwrap();
        let t1 = Polygon::from_flat_degrees(&[q[0], q[1], q[2], q[3], q[4], q[5]]).unwrap();
        let t2 = Polygon::from_flat_degrees(&[q[0], q[1], q[4], q[5], q[6], q[7]]).unwrap();
        prop_assert!((square.area() - t1.area() - t2.area()).abs() < 1e-9);
        prop_assert!(square.area() < FULL_SKY_DEG2 / 2.0);
    }

    #[test]
    fn polygon_contains_agrees_with_triangulation(p in (lon(), lat()), rot in 0.0..360.0f64) {
        let q = [rot, 30.0, rot + 20.0, 35.0, rot + 10.0, 50.0, rot - 5.0, 40.0];
        let quad = Polygon::from_flat_degrees(&q).unwrap();
        let t1 = Polygon::from_flat_degrees(&[q[0], q[1], q[2], q[3], q[4], q[5]]).unwrap();
        let t2 = Polygon::from_flat_degrees(&[q[0], q[1], q[4], q[5], q[6], q[7]]).unwrap();
        let point = Point::new(p.0, p.1).unwrap();
        prop_assert_eq!(quad.contains_point(&point), t1.contains_point(&point) || t2.contains_point(&point));
    }
}

#[test]
fn octant_is_an_eighth_of_the_sky() {
    let octant = Polygon::from_flat_degrees(&[0.0, 0.0, 90.0, 0.0, 0.0, 90.0]).unwrap();
    let expected = 4.0 * std::f64::consts::PI / 8.0 * adql_geom::SR_TO_DEG2;
    assert!((octant.area() - expected).abs() < 1e-9);
    assert!((FULL_SKY_DEG2 / 8.0 - expected).abs() < 1e-9);
}
