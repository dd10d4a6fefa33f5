//! [`ZoneGrid`]: the bucketing of the build side — declination zones cut into RA cells, one integer key per
//! point.
//!
//! Zones have a height `h ≥ r_max` (so a probe meets at most three of them) and at least the size that puts
//! a few build points in each cell, so that sparse catalogues are not spread over millions of empty cells
//! and dense fields do not pile hundreds of points into one. Cells are about `h` wide in true angle; a zone
//! that reaches within `r_max` of a pole is searched over its whole RA circle. The grid covers only the
//! declination band and the RA range the build side occupies (a 1° x 1° field gets a 1° x 1° grid), with
//! RA wrapping at 0/360 handled by shifting the probe window by ±360.

/// A declination zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Zone {
    /// Key of the zone's first cell.
    pub base: u32,
    /// Number of cells, ≥ 1.
    pub cells: u32,
    /// RA width of a cell, degrees.
    pub cell_width: f64,
    /// RA half-width (degrees) that a search of radius `r_max` needs among this zone's points;
    /// `>= 180` means the whole circle.
    pub alpha: f64,
}

/// The grid. Keys are dense: 0 .. `cell_count()`.
#[derive(Debug, Clone)]
pub(crate) struct ZoneGrid {
    dec_min: f64,
    zone_height: f64,
    ra_origin: f64,
    ra_span: f64,
    r_max: f64,
    zones: Vec<Zone>,
    cell_count: u32,
}

/// Slack added to search windows (degrees) to absorb the rounding of the window arithmetic: the windows
/// only select candidates, so wider is always safe.
const WINDOW_SLACK: f64 = 1e-9;

/// Target number of build points per cell.
const POINTS_PER_CELL: f64 = 2.0;

/// `floor(x)` as an integer, for finite `x` well inside the i64 range (saturating beyond it).
///
/// `f64::floor` is a libm call on the baseline x86-64 target (no SSE4.1 `roundsd`), and this runs several
/// times per source.
#[inline]
pub(crate) fn floor_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

impl ZoneGrid {
    /// A grid for `n` build points with declinations in [`dec_min`, `dec_max`] and RA in
    /// [`ra_origin`, `ra_origin + ra_span`[ (degrees, modulo 360), searched with radius `r_max` (degrees).
    pub fn new(
        n: usize,
        dec_min: f64,
        dec_max: f64,
        ra_origin: f64,
        ra_span: f64,
        r_max: f64,
    ) -> Self {
        let n = n.max(1) as f64;
        let band = (dec_max.to_radians().sin() - dec_min.to_radians().sin()).max(0.0);
        let area_deg2 = (band * ra_span.to_radians() * crate::SR_TO_DEG2).max(1e-12);
        let mut h = (area_deg2 * POINTS_PER_CELL / n)
            .sqrt()
            .max(r_max)
            .max(1e-9);
        // Bound the number of cells by a few per point (clustered data and high declinations make the
        // estimate above optimistic); each doubling of h quarters the count.
        let limit = 4.0 * n + 1024.0;
        loop {
            // Every zone has at least one cell: check the zone count before allocating them.
            if ((dec_max - dec_min) / h).floor() + 1.0 <= limit || h >= 180.0 {
                let grid = Self::with_height(dec_min, dec_max, ra_origin, ra_span, r_max, h);
                if f64::from(grid.cell_count) <= limit || h >= 180.0 {
                    return grid;
                }
            }
            h *= 2.0;
        }
    }

    fn with_height(
        dec_min: f64,
        dec_max: f64,
        ra_origin: f64,
        ra_span: f64,
        r_max: f64,
        h: f64,
    ) -> Self {
        let nzones = (((dec_max - dec_min) / h).floor() as usize).saturating_add(1);
        let mut zones = Vec::with_capacity(nzones);
        let mut base: u64 = 0;
        for z in 0..nzones {
            let lo = dec_min + z as f64 * h;
            let hi = lo + h;
            let max_abs = lo.abs().max(hi.abs()).min(90.0);
            let cos_max = max_abs.to_radians().cos();
            let target_width = if cos_max > 1e-12 {
                h / cos_max
            } else {
                ra_span
            };
            let cells =
                ((ra_span / target_width).floor()).clamp(1.0, f64::from(u32::MAX / 4)) as u32;
            let alpha = if max_abs + r_max + WINDOW_SLACK >= 90.0 {
                180.0
            } else {
                let s = r_max.to_radians().sin() / cos_max;
                if s >= 1.0 {
                    180.0
                } else {
                    s.asin().to_degrees() * (1.0 + 1e-12) + WINDOW_SLACK
                }
            };
            zones.push(Zone {
                base: base.min(u64::from(u32::MAX)) as u32,
                cells,
                cell_width: ra_span / f64::from(cells),
                alpha,
            });
            base += u64::from(cells);
        }
        Self {
            dec_min,
            zone_height: h,
            ra_origin,
            ra_span,
            r_max,
            zones,
            cell_count: base.min(u64::from(u32::MAX - 1)) as u32,
        }
    }

    /// Number of keys.
    pub fn cell_count(&self) -> u32 {
        self.cell_count
    }

    /// Bits needed to write any key.
    pub fn key_bits(&self) -> u32 {
        u32::BITS - self.cell_count.leading_zeros()
    }

    /// Zone height in degrees.
    pub fn zone_height(&self) -> f64 {
        self.zone_height
    }

    /// RA offset of `ra` from the grid origin, in [0, 360[.
    #[inline]
    fn offset(&self, ra: f64) -> f64 {
        // RA is almost always in [0, 360[: two compares instead of a (slow) floating-point remainder.
        let mut u = ra - self.ra_origin;
        if u < 0.0 {
            u += 360.0;
        }
        if !(0.0..360.0).contains(&u) {
            u = u.rem_euclid(360.0);
        }
        if u >= 360.0 { 0.0 } else { u }
    }

    /// The key of a build point (finite coordinates, |dec| ≤ 90).
    #[inline]
    pub fn key(&self, ra: f64, dec: f64) -> u32 {
        let last = self.zones.len().saturating_sub(1);
        let z = (floor_i64((dec - self.dec_min) / self.zone_height).max(0) as usize).min(last);
        match self.zones.get(z) {
            Some(zone) => {
                let c = (floor_i64(self.offset(ra) / zone.cell_width).max(0) as u64)
                    .min(u64::from(zone.cells - 1)) as u32;
                zone.base + c
            }
            None => 0,
        }
    }

    /// Calls `f(first_key, last_key)` for every run of keys (inclusive) that may hold a point within
    /// `r_max` of (`ra`, `dec`). Runs never overlap.
    #[inline]
    pub fn for_each_window(&self, ra: f64, dec: f64, mut f: impl FnMut(u32, u32)) {
        let reach = self.r_max + WINDOW_SLACK;
        let zlo = floor_i64((dec - reach - self.dec_min) / self.zone_height);
        let zhi = floor_i64((dec + reach - self.dec_min) / self.zone_height);
        if zhi < 0 || zlo >= self.zones.len() as i64 {
            return;
        }
        let zlo = zlo.max(0) as usize;
        let zhi = (zhi as usize).min(self.zones.len() - 1);
        let u = self.offset(ra);
        for zone in self.zones.get(zlo..=zhi).unwrap_or(&[]) {
            if zone.alpha >= 180.0 {
                f(zone.base, zone.base + zone.cells - 1);
                continue;
            }
            // The window and its copies shifted by ±360 can meet the same cells when a zone has few
            // (near a pole, or a narrow grid): merged, no key is reported twice (a pair found twice would
            // be a duplicate row).
            let mut runs = [(0u32, 0u32); 3];
            let mut count = 0usize;
            for shift in [-360.0, 0.0, 360.0] {
                let lo = u + shift - zone.alpha;
                let hi = u + shift + zone.alpha;
                if hi < 0.0 || lo >= self.ra_span {
                    continue;
                }
                let c_lo = floor_i64(lo / zone.cell_width).clamp(0, i64::from(u32::MAX)) as u32;
                let c_hi = (floor_i64(hi / zone.cell_width).clamp(0, i64::from(u32::MAX)) as u32)
                    .min(zone.cells - 1);
                if c_lo > c_hi {
                    continue;
                }
                // Shifts ascend, so runs arrive sorted by their first cell.
                match count.checked_sub(1).and_then(|i| runs.get_mut(i)) {
                    Some(last) if c_lo <= last.1.saturating_add(1) => last.1 = last.1.max(c_hi),
                    _ => {
                        if let Some(slot) = runs.get_mut(count) {
                            *slot = (c_lo, c_hi);
                            count += 1;
                        }
                    }
                }
            }
            for &(c_lo, c_hi) in runs.get(..count).unwrap_or(&[]) {
                f(zone.base + c_lo, zone.base + c_hi);
            }
        }
    }
}

/// The RA range [origin, origin + span[ (degrees) occupied by `ra`: the complement of the largest empty
/// gap, found with a 1° histogram; the whole circle (0, 360) when no gap of 2° or more exists.
pub(crate) fn ra_extent(ra: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut occupied = [false; 360];
    for r in ra {
        let r = if (0.0..360.0).contains(&r) {
            r
        } else {
            r.rem_euclid(360.0)
        };
        let bin = (floor_i64(r).max(0) as usize).min(359);
        if let Some(slot) = occupied.get_mut(bin) {
            *slot = true;
        }
    }
    let Some(first) = occupied.iter().position(|&o| o) else {
        return (0.0, 360.0);
    };
    // Longest circular run of empty bins, scanning from an occupied bin.
    let (mut best_len, mut best_end, mut run) = (0usize, first, 0usize);
    for k in 1..=360 {
        let bin = (first + k) % 360;
        if occupied[bin] {
            if run > best_len {
                best_len = run;
                best_end = bin;
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    if best_len < 2 {
        (0.0, 360.0)
    } else {
        (best_end as f64, (360 - best_len) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_of_a_patch_across_ra_zero() {
        let (origin, span) = ra_extent([359.2, 0.5, 1.7].into_iter());
        assert_eq!((origin, span), (359.0, 3.0));
        // The largest gap is one of the 99-degree ones.
        assert_eq!(ra_extent([10.0, 100.0, 200.0, 300.0].into_iter()).1, 261.0);
        assert_eq!(ra_extent((0..360).map(f64::from)), (0.0, 360.0));
    }

    #[test]
    fn windows_cover_the_neighbourhood() {
        let g = ZoneGrid::new(1000, -10.0, 10.0, 0.0, 360.0, 0.5);
        let key = g.key(0.1, 0.0);
        let mut hit = false;
        g.for_each_window(359.8, 0.2, |lo, hi| hit |= (lo..=hi).contains(&key));
        assert!(hit, "a window across RA 0 must reach the first cells");
    }

    #[test]
    fn windows_near_a_pole_across_ra_zero_report_each_key_once() {
        // A zone of a few cells near the pole: the window around RA 0.2 and its copy shifted by 360
        // both reach the first and last cells.
        for (n, ra, dec) in [(100, 0.2, 89.1), (100_000, 359.9, 89.2), (10, 1.0, 88.99)] {
            let g = ZoneGrid::new(n, 88.0, 89.5, 0.0, 360.0, 0.01);
            let mut seen = vec![0u32; g.cell_count() as usize];
            g.for_each_window(ra, dec, |lo, hi| {
                for k in lo..=hi {
                    seen[k as usize] += 1;
                }
            });
            assert!(
                seen.iter().all(|&c| c <= 1),
                "a key reported twice: {seen:?}"
            );
            assert_eq!(seen[g.key(ra, dec) as usize], 1);
        }
    }
}
