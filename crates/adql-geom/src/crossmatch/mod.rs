//! The positional crossmatch kernel: all pairs (or the nearest pair) of sources of two catalogues within a
//! radius, **exactly** the pairs a brute-force loop over [`crate::distance`]` <= r` finds.
//!
//! # Algorithm
//!
//! 1. **Build** ([`CrossmatchIndex::build`]): every build-side source gets one integer key, its cell in a
//!    [zone grid](grid) of declination zones cut into RA cells (about `max(r, a few sources' spacing)` on a
//!    side). A counting sort on the key (two linear passes, no comparison sort) lays the sources'
//!    coordinates out cell by cell. No trigonometry happens here.
//! 2. **Probe** ([`CrossmatchIndex::probe`]): the probe rows are visited in key order (a radix sort of
//!    their keys), so that consecutive probes read neighbouring cells of the index instead of jumping
//!    across it. For each probe source the runs of cells within the radius are one to three contiguous
//!    slices per zone (zones near a pole search their whole RA circle; windows that cross RA 0/360 wrap).
//!    Each candidate is tested first on declination alone, `|δ_a − δ_b| ≤ r + 1e-9°` (the true distance is
//!    at least the difference in declination, and the computed one differs from it by ~1e-14°, so this test
//!    has **no false negatives**), then with the exact predicate `distance(a, b) <= r` on unit vectors
//!    computed exactly as [`crate::distance`] computes them, so that the result is bit-identical to brute
//!    force. Unit vectors are computed only for the candidates that pass the first test.
//! 3. Pairs go to caller-owned buffers ([`Matches`]) that are cleared and reused, never reallocated per row.
//!    [`CrossmatchIndex::probe_parallel`] sorts the probe sources once and gives each thread a contiguous
//!    run of them; [`CrossmatchIndex::probe_parallel_with`] keeps the working memory between calls.
//!
//! The index holds 20 bytes per build source (coordinates and row), plus 4 bytes per cell (about one cell
//! per two sources), and 8 more per source with a per-row radius.
//!
//! Sources with a NaN or infinite coordinate, or with |dec| > 90, never match, and neither do rows whose
//! own radius is NaN or negative.

mod grid;
mod sort;

use std::num::NonZeroUsize;

use crate::error::{GeomError, Result};
use crate::vector::Vec3;
use grid::ZoneGrid;
use sort::Keyed;

/// Slack (degrees) of the declination prefilter, far above the rounding of the computed distance (~1e-14°).
const DEC_SLACK: f64 = 1e-9;

/// Which pairs to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchMode {
    /// Every pair within the radius.
    All,
    /// For each probe source, the nearest build source within the radius (ties: the lowest build index);
    /// probe sources without any are left out.
    Best,
}

/// The search radius, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Radius<'a> {
    /// One radius for every pair.
    Constant(f64),
    /// One radius per build row (a column of the build side).
    PerBuildRow(&'a [f64]),
    /// One radius per probe row (a column of the probe side).
    PerProbeRow(&'a [f64]),
}

/// Matched pairs, in no particular order, as three parallel columns: row of the build side, row of the probe side (counted from
/// the first row passed to the probe call), distance in degrees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matches {
    /// Build-side row of each pair.
    pub build: Vec<u32>,
    /// Probe-side row of each pair.
    pub probe: Vec<u32>,
    /// Distance of each pair in degrees.
    pub distance: Vec<f64>,
}

impl Matches {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.build.len()
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.build.is_empty()
    }

    /// Removes all pairs, keeping the allocations.
    pub fn clear(&mut self) {
        self.build.clear();
        self.probe.clear();
        self.distance.clear();
    }

    #[inline]
    fn push(&mut self, build: u32, probe: u32, distance: f64) {
        self.build.push(build);
        self.probe.push(probe);
        self.distance.push(distance);
    }

    fn append(&mut self, other: &Matches) {
        self.build.extend_from_slice(&other.build);
        self.probe.extend_from_slice(&other.probe);
        self.distance.extend_from_slice(&other.distance);
    }
}

/// The build side bucketed for probing.
#[derive(Debug, Clone)]
pub struct CrossmatchIndex {
    grid: ZoneGrid,
    /// `offsets[k]..offsets[k + 1]` are the sources of cell `k` in the arrays below.
    offsets: Vec<u32>,
    /// Sources in key order: declination first, read by the prefilter.
    entries: Vec<Entry>,
    /// Build row of each entry.
    rows: Vec<u32>,
    /// Per-entry radius of the build side (degrees), when the radius is per row.
    radius: Option<Vec<f64>>,
    /// Constant radius, degrees, when there is no per-row radius on the build side.
    constant: f64,
    r_max: f64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    dec: f64,
    ra: f64,
}

#[inline]
fn valid(ra: f64, dec: f64) -> bool {
    ra.is_finite() && dec.is_finite() && dec.abs() <= 90.0 + crate::point::LATITUDE_TOLERANCE_DEG
}

fn check_len(ra: &[f64], dec: &[f64]) -> Result<()> {
    if ra.len() != dec.len() {
        return Err(GeomError::LengthMismatch {
            first: ra.len(),
            second: dec.len(),
        });
    }
    if u32::try_from(ra.len()).is_err() {
        return Err(GeomError::TooManyRows { rows: ra.len() });
    }
    Ok(())
}

impl CrossmatchIndex {
    /// Buckets the build side.
    ///
    /// # Input
    /// * `ra`, `dec`: build-side coordinates in degrees, same length, at most `u32::MAX` rows.
    /// * `radius`: the search radius in degrees. With [`Radius::PerBuildRow`] the grid is sized by the
    ///   largest finite radius. With [`Radius::PerProbeRow`] (whose rows are not known yet) pass the largest
    ///   probe radius as `max_probe_radius`; it is ignored otherwise.
    ///
    /// # Errors
    /// [`GeomError::LengthMismatch`] and [`GeomError::TooManyRows`]; [`GeomError::RadiusOutOfRange`] for a
    /// NaN, negative or infinite constant or maximum radius.
    pub fn build(
        ra: &[f64],
        dec: &[f64],
        radius: Radius<'_>,
        max_probe_radius: f64,
    ) -> Result<Self> {
        check_len(ra, dec)?;
        let (constant, per_row, r_max) = match radius {
            Radius::Constant(r) => (r, None, r),
            Radius::PerProbeRow(_) => (f64::NAN, None, max_probe_radius),
            Radius::PerBuildRow(rs) => {
                if rs.len() != ra.len() {
                    return Err(GeomError::LengthMismatch {
                        first: ra.len(),
                        second: rs.len(),
                    });
                }
                let max = rs
                    .iter()
                    .copied()
                    .filter(|r| r.is_finite())
                    .fold(0.0f64, f64::max);
                (f64::NAN, Some(rs), max)
            }
        };
        if !(r_max.is_finite() && r_max >= 0.0) {
            return Err(GeomError::RadiusOutOfRange { radius: r_max });
        }
        let r_max = r_max.min(180.0);

        let mut dec_min = f64::INFINITY;
        let mut dec_max = f64::NEG_INFINITY;
        let mut count = 0usize;
        for (&r, &d) in ra.iter().zip(dec) {
            if valid(r, d) {
                dec_min = dec_min.min(d);
                dec_max = dec_max.max(d);
                count += 1;
            }
        }
        if count == 0 {
            (dec_min, dec_max) = (0.0, 0.0);
        }
        let (ra_origin, ra_span) = grid::ra_extent(
            ra.iter()
                .zip(dec)
                .filter(|(r, d)| valid(**r, **d))
                .map(|(r, _)| *r),
        );
        let grid = ZoneGrid::new(count, dec_min, dec_max, ra_origin, ra_span, r_max);

        // Counting sort by key: count, prefix-sum, scatter.
        let ncells = grid.cell_count() as usize;
        let mut keys = Vec::with_capacity(ra.len());
        let mut offsets = vec![0u32; ncells + 1];
        for (&r, &d) in ra.iter().zip(dec) {
            if valid(r, d) {
                let k = grid.key(r, d);
                keys.push(k);
                if let Some(slot) = offsets.get_mut(k as usize + 1) {
                    *slot += 1;
                }
            } else {
                keys.push(u32::MAX);
            }
        }
        for k in 1..offsets.len() {
            offsets[k] += offsets[k - 1];
        }
        // `cursor[k]` walks cell k's slots; it ends as `offsets[k + 1]`, so `offsets` is its shifted copy.
        let mut cursor = offsets.clone();
        let mut entries = vec![Entry { dec: 0.0, ra: 0.0 }; count];
        let mut rows = vec![0u32; count];
        let mut radii = per_row.map(|_| vec![0.0f64; count]);
        for (row, ((&k, &r), &d)) in keys.iter().zip(ra).zip(dec).enumerate() {
            let Some(slot) = cursor.get_mut(k as usize) else {
                continue;
            };
            let at = *slot as usize;
            *slot += 1;
            if let (Some(e), Some(out)) = (entries.get_mut(at), rows.get_mut(at)) {
                *e = Entry { dec: d, ra: r };
                *out = row as u32;
            }
            if let (Some(rad), Some(rs)) = (radii.as_mut(), per_row)
                && let Some(a) = rad.get_mut(at)
            {
                *a = rs.get(row).copied().unwrap_or(f64::NAN);
            }
        }
        drop(cursor);
        Ok(Self {
            grid,
            offsets,
            entries,
            rows,
            radius: radii,
            constant,
            r_max,
        })
    }

    /// Number of build sources indexed (rows with valid coordinates).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no build source was indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The largest radius the index serves, degrees.
    pub fn max_radius(&self) -> f64 {
        self.r_max
    }

    /// Zone height of the grid, degrees (for diagnostics and EXPLAIN output).
    pub fn zone_height(&self) -> f64 {
        self.grid.zone_height()
    }

    /// Matches probe sources against the index, appending pairs to `out` (which is not cleared).
    ///
    /// # Input
    /// * `ra`, `dec`: probe coordinates, degrees; reported probe rows are `row_offset +` the position here.
    /// * `probe_radius`: the per-row probe radius (degrees) if the index was built with
    ///   [`Radius::PerProbeRow`], each at most the index's [`max_radius`](Self::max_radius); `None` otherwise.
    /// * `mode`: all pairs or the nearest one per probe source.
    ///
    /// # Errors
    /// [`GeomError::LengthMismatch`], [`GeomError::TooManyRows`], [`GeomError::RadiusOutOfRange`] for a probe
    /// radius above the index's maximum.
    pub fn probe(
        &self,
        ra: &[f64],
        dec: &[f64],
        probe_radius: Option<&[f64]>,
        mode: MatchMode,
        row_offset: u32,
        out: &mut Matches,
    ) -> Result<()> {
        let mut buffers = ProbeBuffers::default();
        self.probe_with(ra, dec, probe_radius, mode, row_offset, out, &mut buffers)
    }

    /// [`probe`](Self::probe) with working memory kept between calls, so that repeated probes of similar
    /// sizes do not allocate (the pairs still go to `out`).
    ///
    /// # Errors
    /// As [`probe`](Self::probe).
    #[allow(clippy::too_many_arguments)]
    pub fn probe_with(
        &self,
        ra: &[f64],
        dec: &[f64],
        probe_radius: Option<&[f64]>,
        mode: MatchMode,
        row_offset: u32,
        out: &mut Matches,
        buffers: &mut ProbeBuffers,
    ) -> Result<()> {
        self.check_probe(ra, dec, probe_radius, row_offset)?;
        let ProbeBuffers { order, scratch, .. } = buffers;
        self.sort_probes(ra, dec, order, scratch);
        self.scan_sorted(order, probe_radius, mode, row_offset, out);
        Ok(())
    }

    /// The argument checks of [`probe`](Self::probe).
    fn check_probe(
        &self,
        ra: &[f64],
        dec: &[f64],
        probe_radius: Option<&[f64]>,
        row_offset: u32,
    ) -> Result<()> {
        check_len(ra, dec)?;
        if let Some(rs) = probe_radius {
            if rs.len() != ra.len() {
                return Err(GeomError::LengthMismatch {
                    first: ra.len(),
                    second: rs.len(),
                });
            }
            // A larger radius than the grid was sized for would silently lose pairs.
            if let Some(&radius) = rs.iter().find(|&&r| r > self.r_max) {
                return Err(GeomError::RadiusOutOfRange { radius });
            }
        }
        if row_offset.checked_add(ra.len() as u32).is_none() {
            return Err(GeomError::TooManyRows {
                rows: row_offset as usize + ra.len(),
            });
        }
        Ok(())
    }

    /// The valid probe sources in key order, into `order`: consecutive probes then read neighbouring cells
    /// of the index (sequential memory) instead of jumping across it.
    fn sort_probes(
        &self,
        ra: &[f64],
        dec: &[f64],
        order: &mut Vec<Keyed>,
        scratch: &mut Vec<Keyed>,
    ) {
        order.clear();
        if self.entries.is_empty() {
            return;
        }
        order.reserve(ra.len());
        for (i, (&r, &d)) in ra.iter().zip(dec).enumerate() {
            if valid(r, d) {
                order.push(Keyed {
                    key: self.grid.key(r, d),
                    row: i as u32,
                    ra: r,
                    dec: d,
                });
            }
        }
        sort::sort_by_key(order, self.grid.key_bits(), scratch);
    }

    /// Matches sorted probe sources; `probe_radius` is indexed by their rows.
    fn scan_sorted(
        &self,
        sorted: &[Keyed],
        probe_radius: Option<&[f64]>,
        mode: MatchMode,
        row_offset: u32,
        out: &mut Matches,
    ) {
        for k in sorted {
            let (i, r, d) = (k.row as usize, k.ra, k.dec);
            let row_r = match probe_radius.and_then(|rs| rs.get(i)).copied() {
                Some(r) if r.is_nan() || r < 0.0 => continue,
                Some(r) => r,
                None => self.constant,
            };
            let probe_row = row_offset + i as u32;
            let mut probe = Probe {
                ra: r,
                dec: d,
                vector: None,
                best: None,
            };
            self.grid.for_each_window(r, d, |first, last| {
                let (Some(&start), Some(&end)) = (
                    self.offsets.get(first as usize),
                    self.offsets.get(last as usize + 1),
                ) else {
                    return;
                };
                let (start, end) = (start as usize, end as usize);
                match &self.radius {
                    None => self.scan(start, end, &mut probe, |_| row_r, mode, probe_row, out),
                    Some(rad) => self.scan(
                        start,
                        end,
                        &mut probe,
                        |at| rad.get(at).copied().unwrap_or(f64::NAN),
                        mode,
                        probe_row,
                        out,
                    ),
                }
            });
            if let Some((dist, build_row)) = probe.best {
                out.push(build_row, probe_row, dist);
            }
        }
    }

    /// Tests the entries `start..end` against one probe source; `radius(at)` is the radius of entry `at`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        start: usize,
        end: usize,
        probe: &mut Probe,
        radius: impl Fn(usize) -> f64,
        mode: MatchMode,
        probe_row: u32,
        out: &mut Matches,
    ) {
        let entries = self.entries.get(start..end).unwrap_or(&[]);
        for (k, e) in entries.iter().enumerate() {
            let r = radius(start + k);
            // NaN radii fail here too.
            let within = (e.dec - probe.dec).abs() <= r + DEC_SLACK;
            if !within {
                continue;
            }
            // The exact predicate, on the same vectors and in the same argument order as
            // `distance(probe, build)`.
            let p = *probe
                .vector
                .get_or_insert_with(|| Vec3::from_lonlat_deg(probe.ra, probe.dec));
            let dist = p.angle(Vec3::from_lonlat_deg(e.ra, e.dec)).to_degrees();
            if dist <= r {
                let row = self.rows.get(start + k).copied().unwrap_or(u32::MAX);
                match mode {
                    MatchMode::All => out.push(row, probe_row, dist),
                    MatchMode::Best => {
                        if probe
                            .best
                            .is_none_or(|(bd, br)| dist < bd || (dist == bd && row < br))
                        {
                            probe.best = Some((dist, row));
                        }
                    }
                }
            }
        }
    }

    /// [`probe`](Self::probe) over `threads` threads: the probe sources are sorted by cell once, and each
    /// thread matches a contiguous run of them (so each reads its own part of the index); the pairs come
    /// back in a deterministic order.
    ///
    /// # Errors
    /// As [`probe`](Self::probe).
    pub fn probe_parallel(
        &self,
        ra: &[f64],
        dec: &[f64],
        probe_radius: Option<&[f64]>,
        mode: MatchMode,
        threads: NonZeroUsize,
    ) -> Result<Matches> {
        let mut buffers: Vec<ProbeBuffers> = (0..threads.get())
            .map(|_| ProbeBuffers::default())
            .collect();
        let mut out = Matches::default();
        self.probe_parallel_with(ra, dec, probe_radius, mode, &mut buffers, &mut out)?;
        Ok(out)
    }

    /// [`probe_parallel`](Self::probe_parallel) on one thread per element of `buffers` (at least one),
    /// whose working memory is kept between calls; the pairs are appended to `out`.
    ///
    /// # Errors
    /// As [`probe`](Self::probe).
    pub fn probe_parallel_with(
        &self,
        ra: &[f64],
        dec: &[f64],
        probe_radius: Option<&[f64]>,
        mode: MatchMode,
        buffers: &mut [ProbeBuffers],
        out: &mut Matches,
    ) -> Result<()> {
        let n = ra.len();
        let threads = buffers.len().min(n.div_ceil(4096)).max(1);
        let Some((first, _)) = buffers.split_first_mut() else {
            return self.probe(ra, dec, probe_radius, mode, 0, out);
        };
        if threads == 1 {
            return self.probe_with(ra, dec, probe_radius, mode, 0, out, first);
        }
        self.check_probe(ra, dec, probe_radius, 0)?;
        // Sort once and give each thread a contiguous run of the sorted probes: each then sweeps its own
        // part of the index, as densely as one thread over the whole chunk would.
        let mut order = std::mem::take(&mut first.order);
        self.sort_probes(ra, dec, &mut order, &mut first.scratch);
        let share = order.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for (run, buffers) in order.chunks(share).zip(buffers.iter_mut()) {
                s.spawn(move || {
                    buffers.matches.clear();
                    self.scan_sorted(run, probe_radius, mode, 0, &mut buffers.matches);
                });
            }
        });
        let used = order.len().div_ceil(share);
        if let Some(first) = buffers.first_mut() {
            first.order = order;
        }
        let threads = used;
        let parts = buffers.iter().take(threads).map(|b| &b.matches);
        let total: usize = parts.clone().map(Matches::len).sum();
        out.build.reserve(total);
        out.probe.reserve(total);
        out.distance.reserve(total);
        for part in parts {
            out.append(part);
        }
        Ok(())
    }
}

/// Working memory of one probe thread, kept between calls by [`CrossmatchIndex::probe_with`] and
/// [`CrossmatchIndex::probe_parallel_with`].
#[derive(Debug, Default)]
pub struct ProbeBuffers {
    /// The probe sources in key order.
    order: Vec<Keyed>,
    /// The radix sort's other buffer.
    scratch: Vec<Keyed>,
    /// This thread's pairs, in [`CrossmatchIndex::probe_parallel_with`].
    matches: Matches,
}

/// Crossmatches two catalogues: builds a [`CrossmatchIndex`] on the build side and probes it with the
/// probe side over `threads` threads.
///
/// # Input
/// * `build_ra`, `build_dec`, `probe_ra`, `probe_dec`: degrees.
/// * `radius`: degrees, constant or per row of either side.
/// * `mode`: [`MatchMode::All`] or [`MatchMode::Best`] (nearest build source per probe source).
///
/// # Output
/// Exactly the pairs with `distance(probe, build) <= r` (see the module documentation), in no particular
/// (but deterministic) order.
///
/// # Errors
/// As [`CrossmatchIndex::build`] and [`CrossmatchIndex::probe`].
///
/// # Examples
/// ```
/// use adql_geom::crossmatch::{crossmatch, MatchMode, Radius};
/// let m = crossmatch(&[359.9999], &[0.0], &[0.0001, 10.0], &[0.0, 0.0], Radius::Constant(1.0 / 3600.0),
///                    MatchMode::All, std::num::NonZeroUsize::MIN).unwrap();
/// assert_eq!((m.build, m.probe), (vec![0], vec![0]));
/// ```
pub fn crossmatch(
    build_ra: &[f64],
    build_dec: &[f64],
    probe_ra: &[f64],
    probe_dec: &[f64],
    radius: Radius<'_>,
    mode: MatchMode,
    threads: NonZeroUsize,
) -> Result<Matches> {
    let (max_probe, probe_radius) = match radius {
        Radius::PerProbeRow(rs) => (
            rs.iter()
                .copied()
                .filter(|r| r.is_finite())
                .fold(0.0f64, f64::max),
            Some(rs),
        ),
        _ => (0.0, None),
    };
    let index = CrossmatchIndex::build(build_ra, build_dec, radius, max_probe)?;
    index.probe_parallel(probe_ra, probe_dec, probe_radius, mode, threads)
}

/// One probe source during its scan.
struct Probe {
    ra: f64,
    dec: f64,
    /// Its unit vector, computed at the first candidate that passes the declination test.
    vector: Option<Vec3>,
    /// Nearest match so far (distance, build row), in [`MatchMode::Best`].
    best: Option<(f64, u32)>,
}

#[cfg(test)]
mod tests;
