//! STC-S regions (what `REGION('…')` and services' `s_region` strings hold): parsing never panics, and a
//! parsed region answers containment and area without panicking.
#![no_main]

use adql_geom::{Point, Region, RegionKind, contains, intersects};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(region) = text.parse::<Region>() {
        let _ = region.area();
        let _ = region.centroid();
        let _ = region.to_string();
        if let Ok(point) = Point::new(10.0, 20.0) {
            let point = Region::new(RegionKind::Point(point));
            let _ = contains(&region, &point);
            let _ = intersects(&region, &point);
        }
    }
});
