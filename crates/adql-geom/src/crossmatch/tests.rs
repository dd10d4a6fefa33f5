#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::distance;
use std::collections::BTreeSet;

/// Deterministic xorshift generator, so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
    fn sphere(&mut self, n: usize) -> (Vec<f64>, Vec<f64>) {
        (0..n)
            .map(|_| {
                (
                    self.uniform(0.0, 360.0),
                    self.uniform(-1.0, 1.0).asin().to_degrees(),
                )
            })
            .unzip()
    }
    fn patch(&mut self, n: usize, ra: (f64, f64), dec: (f64, f64)) -> (Vec<f64>, Vec<f64>) {
        (0..n)
            .map(|_| {
                (
                    self.uniform(ra.0, ra.1).rem_euclid(360.0),
                    self.uniform(dec.0, dec.1).clamp(-90.0, 90.0),
                )
            })
            .unzip()
    }
}

type PairSet = BTreeSet<(u32, u32, u64)>;

fn brute(bra: &[f64], bdec: &[f64], pra: &[f64], pdec: &[f64], radius: Radius<'_>) -> PairSet {
    let mut out = PairSet::new();
    for j in 0..pra.len() {
        for i in 0..bra.len() {
            if !(valid(bra[i], bdec[i]) && valid(pra[j], pdec[j])) {
                continue;
            }
            let r = match radius {
                Radius::Constant(r) => r,
                Radius::PerBuildRow(rs) => rs[i],
                Radius::PerProbeRow(rs) => rs[j],
            };
            // Argument order as the kernel: probe first.
            let d = distance(pra[j], pdec[j], bra[i], bdec[i]);
            if d <= r {
                out.insert((i as u32, j as u32, d.to_bits()));
            }
        }
    }
    out
}

fn brute_best(all: &PairSet) -> PairSet {
    let mut best: std::collections::BTreeMap<u32, (f64, u32)> = Default::default();
    for &(i, j, d) in all {
        let d = f64::from_bits(d);
        let e = best.entry(j).or_insert((d, i));
        if d < e.0 || (d == e.0 && i < e.1) {
            *e = (d, i);
        }
    }
    best.into_iter()
        .map(|(j, (d, i))| (i, j, d.to_bits()))
        .collect()
}

fn set(m: &Matches) -> PairSet {
    let s: PairSet = (0..m.len())
        .map(|k| (m.build[k], m.probe[k], m.distance[k].to_bits()))
        .collect();
    assert_eq!(s.len(), m.len(), "duplicate pairs reported");
    s
}

fn check(bra: &[f64], bdec: &[f64], pra: &[f64], pdec: &[f64], radius: Radius<'_>) -> usize {
    let expected = brute(bra, bdec, pra, pdec, radius);
    for threads in [1, 3] {
        let t = NonZeroUsize::new(threads).unwrap();
        let all = crossmatch(bra, bdec, pra, pdec, radius, MatchMode::All, t).unwrap();
        assert_eq!(set(&all), expected, "all pairs, {threads} threads");
        let best = crossmatch(bra, bdec, pra, pdec, radius, MatchMode::Best, t).unwrap();
        assert_eq!(
            set(&best),
            brute_best(&expected),
            "best pairs, {threads} threads"
        );
    }
    expected.len()
}

#[test]
fn random_whole_sky() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (bra, bdec) = rng.sphere(3000);
    let (pra, pdec) = rng.sphere(3000);
    let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(2.0));
    assert!(n > 100, "{n} pairs: the test should exercise matches");
}

#[test]
fn counterparts_with_jitter() {
    let mut rng = Rng(42);
    let (bra, bdec) = rng.sphere(5000);
    let pra: Vec<f64> = bra
        .iter()
        .map(|r| (r + rng.uniform(-2e-4, 2e-4)).rem_euclid(360.0))
        .collect();
    let pdec: Vec<f64> = bdec
        .iter()
        .map(|d| (d + rng.uniform(-2e-4, 2e-4)).clamp(-90.0, 90.0))
        .collect();
    let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(1.0 / 3600.0));
    assert!(n > 1000, "{n}");
}

#[test]
fn dense_and_clustered() {
    let mut rng = Rng(7);
    let (bra, bdec) = rng.patch(4000, (179.9, 180.1), (-0.1, 0.1));
    let (pra, pdec) = rng.patch(4000, (179.9, 180.1), (-0.1, 0.1));
    let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(3.0 / 3600.0));
    assert!(n > 100, "{n}");
    // Two clusters far apart plus a sparse background.
    let (mut cra, mut cdec) = rng.patch(1500, (10.0, 10.05), (20.0, 20.05));
    let (ora, odec) = rng.patch(1500, (250.0, 250.02), (-60.0, -59.98));
    let (sra, sdec) = rng.sphere(500);
    cra.extend(ora.iter().chain(&sra));
    cdec.extend(odec.iter().chain(&sdec));
    let (qra, qdec) = rng.patch(2000, (9.99, 10.06), (19.99, 20.06));
    check(&cra, &cdec, &qra, &qdec, Radius::Constant(2.0 / 3600.0));
}

#[test]
fn across_ra_zero() {
    let mut rng = Rng(11);
    let (bra, bdec) = rng.patch(3000, (-0.2, 0.2), (-0.2, 0.2));
    let (pra, pdec) = rng.patch(3000, (-0.2, 0.2), (-0.2, 0.2));
    let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(20.0 / 3600.0));
    assert!(n > 100, "{n}");
    // Build side entirely just below 360, probe just above 0.
    let (bra, bdec) = rng.patch(500, (359.99, 360.0), (-0.01, 0.01));
    let (pra, pdec) = rng.patch(500, (0.0, 0.01), (-0.01, 0.01));
    let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(10.0 / 3600.0));
    assert!(n > 10, "{n}");
}

#[test]
fn near_both_poles() {
    let mut rng = Rng(5);
    for pole in [90.0, -90.0] {
        let lo = if pole > 0.0 {
            (89.0, 90.0)
        } else {
            (-90.0, -89.0)
        };
        let (bra, bdec) = rng.patch(3000, (0.0, 360.0), lo);
        let (pra, pdec) = rng.patch(3000, (0.0, 360.0), lo);
        let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(0.05));
        assert!(n > 100, "{n}");
        // Points exactly at the pole with different RAs are at distance 0.
        let m = crossmatch(
            &[10.0],
            &[pole],
            &[200.0],
            &[pole],
            Radius::Constant(0.0),
            MatchMode::All,
            NonZeroUsize::MIN,
        )
        .unwrap();
        assert_eq!(m.len(), 1);
    }
}

#[test]
fn whole_ra_circle_probed_near_a_pole_across_ra_zero() {
    // 3000 build points between declinations 60 and 89.99 make a zone [88.50, 89.86] of one RA cell
    // searched over ±4°: a window around RA 0 and its copy shifted by 360 meet that one cell (each pair
    // was reported twice; found by the tapskymatch benchmark with 100,000 targets).
    let mut rng = Rng(20_261_207);
    let (mut bra, mut bdec): (Vec<f64>, Vec<f64>) = (0..2498)
        .map(|_| {
            let z = rng.uniform(60f64.to_radians().sin(), 89.99f64.to_radians().sin());
            (rng.uniform(0.0, 360.0), z.asin().to_degrees())
        })
        .unzip();
    let (cra, cdec) = rng.patch(500, (-1.0, 1.0), (88.6, 89.8));
    bra.extend(cra.iter().chain(&[0.0, 180.0]));
    bdec.extend(cdec.iter().chain(&[60.0, 89.99]));
    let (pra, pdec) = rng.patch(1000, (-1.0, 1.0), (88.6, 89.8));
    let n = check(&bra, &bdec, &pra, &pdec, Radius::Constant(0.01));
    assert!(n > 100, "{n}");
}

#[test]
fn per_row_radius_on_either_side() {
    let mut rng = Rng(99);
    let (bra, bdec) = rng.patch(2000, (30.0, 31.0), (40.0, 41.0));
    let (pra, pdec) = rng.patch(2000, (30.0, 31.0), (40.0, 41.0));
    let radii: Vec<f64> = (0..2000)
        .map(|i| match i % 50 {
            0 => f64::NAN,
            1 => -1.0,
            _ => rng.uniform(0.0, 0.02),
        })
        .collect();
    assert!(check(&bra, &bdec, &pra, &pdec, Radius::PerBuildRow(&radii)) > 100);
    assert!(check(&bra, &bdec, &pra, &pdec, Radius::PerProbeRow(&radii)) > 100);
}

#[test]
fn invalid_rows_never_match_and_bad_input_is_an_error() {
    let bra = [10.0, f64::NAN, 10.0, 10.0];
    let bdec = [0.0, 0.0, 95.0, f64::INFINITY];
    let n = check(
        &bra,
        &bdec,
        &[10.0, 10.0],
        &[0.0, f64::NAN],
        Radius::Constant(1.0),
    );
    assert_eq!(n, 1);
    let one = NonZeroUsize::MIN;
    assert!(matches!(
        crossmatch(
            &[1.0],
            &[],
            &[],
            &[],
            Radius::Constant(1.0),
            MatchMode::All,
            one
        ),
        Err(GeomError::LengthMismatch { .. })
    ));
    assert!(matches!(
        crossmatch(
            &[1.0],
            &[1.0],
            &[],
            &[],
            Radius::Constant(-1.0),
            MatchMode::All,
            one
        ),
        Err(GeomError::RadiusOutOfRange { .. })
    ));
    let index = CrossmatchIndex::build(&[1.0], &[1.0], Radius::PerProbeRow(&[]), 0.5).unwrap();
    let mut out = Matches::default();
    assert!(matches!(
        index.probe(&[1.0], &[1.0], Some(&[0.7]), MatchMode::All, 0, &mut out),
        Err(GeomError::RadiusOutOfRange { .. })
    ));
    // Empty sides.
    assert!(
        crossmatch(
            &[],
            &[],
            &[1.0],
            &[1.0],
            Radius::Constant(1.0),
            MatchMode::All,
            one
        )
        .unwrap()
        .is_empty()
    );
}

#[test]
fn large_radii() {
    let mut rng = Rng(3);
    let (bra, bdec) = rng.sphere(300);
    let (pra, pdec) = rng.sphere(300);
    for r in [45.0, 100.0, 180.0] {
        check(&bra, &bdec, &pra, &pdec, Radius::Constant(r));
    }
}

#[test]
fn reused_buffers_give_the_same_pairs() {
    let mut rng = Rng(17);
    let (bra, bdec) = rng.sphere(4000);
    let index = CrossmatchIndex::build(&bra, &bdec, Radius::Constant(1.5), 0.0).unwrap();
    let mut buffers: Vec<ProbeBuffers> = (0..3).map(|_| ProbeBuffers::default()).collect();
    // Probes of decreasing then increasing sizes through the same buffers.
    for n in [9000, 500, 6000] {
        let (pra, pdec) = rng.sphere(n);
        let mut out = Matches::default();
        index
            .probe_parallel_with(&pra, &pdec, None, MatchMode::All, &mut buffers, &mut out)
            .unwrap();
        let expected = brute(&bra, &bdec, &pra, &pdec, Radius::Constant(1.5));
        assert_eq!(set(&out), expected, "{n} probes");
        let mut one = Matches::default();
        index
            .probe_with(
                &pra,
                &pdec,
                None,
                MatchMode::All,
                0,
                &mut one,
                &mut buffers[0],
            )
            .unwrap();
        assert_eq!(set(&one), expected, "{n} probes, one thread");
    }
}
