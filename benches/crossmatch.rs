//! Crossmatch kernel benchmark: the match phase (index build + probe) of `adql_geom::crossmatch` on the
//! catalogues of `../shared/peers/gen_catalogs.py` (1e6 x 1e6 at 1 arcsec: counterpart, uniform, dense).
//!
//! The catalogues are read from `$ADQL_XMATCH_DATA` (default `target/xmatch-data`); missing ones are
//! generated with the peer script and converted once to raw little-endian f64 (`NAME.radec`, ra then dec
//! interleaved) so that this benchmark needs neither Parquet nor Python at measurement time. Without
//! `../shared` and without data the benchmark prints why and measures nothing.
//!
//! Besides criterion's own report, each configuration prints its pair count, wall time and CPU time of one
//! run, and the match-phase cost in CPU nanoseconds per input source, `(user + sys) / (N_A + N_B)` (the
//! figure that stays meaningful on a shared, loaded machine).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use adql_geom::crossmatch::{CrossmatchIndex, MatchMode, Radius};
use criterion::{Criterion, criterion_group, criterion_main};

const N: usize = 1_000_000;
const RADIUS_DEG: f64 = 1.0 / 3600.0;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    std::env::var_os("ADQL_XMATCH_DATA")
        .map_or_else(|| workspace().join("target/xmatch-data"), PathBuf::from)
}

/// (ra, dec) of catalogue `name` (e.g. `cpA_1000000`), generating and converting it when needed.
fn load(dir: &Path, scenario: &str, name: &str) -> Option<(Vec<f64>, Vec<f64>)> {
    let raw = dir.join(format!("{name}.radec"));
    if !raw.exists() {
        let parquet = dir.join(format!("{name}.parquet"));
        if !parquet.exists() {
            let script = workspace().join("../shared/peers/gen_catalogs.py");
            if !script.exists() {
                eprintln!(
                    "crossmatch bench: {} is absent and so is {}; skipping",
                    parquet.display(),
                    script.display()
                );
                return None;
            }
            std::fs::create_dir_all(dir).ok()?;
            let ok = Command::new("python3")
                .arg(&script)
                .arg(scenario)
                .arg(N.to_string())
                .current_dir(dir)
                .status();
            if !ok.is_ok_and(|s| s.success()) {
                eprintln!("crossmatch bench: generating {scenario} failed; skipping");
                return None;
            }
        }
        let convert = "import sys, numpy as np, pyarrow.parquet as pq\n\
                       t = pq.read_table(sys.argv[1], columns=['ra', 'dec'])\n\
                       np.column_stack([t['ra'].to_numpy(), t['dec'].to_numpy()]).astype('<f8').tofile(sys.argv[2])";
        let ok = Command::new("python3")
            .arg("-c")
            .arg(convert)
            .arg(&parquet)
            .arg(&raw)
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            eprintln!(
                "crossmatch bench: converting {} failed; skipping",
                parquet.display()
            );
            return None;
        }
    }
    let bytes = std::fs::read(&raw).ok()?;
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    Some(values.chunks_exact(2).map(|c| (c[0], c[1])).unzip())
}

/// CPU time (user + system) of this process in seconds, from `/proc/self/stat` (Linux; clock ticks of
/// 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn match_phase(
    a: &(Vec<f64>, Vec<f64>),
    b: &(Vec<f64>, Vec<f64>),
    mode: MatchMode,
    threads: usize,
) -> usize {
    let index = CrossmatchIndex::build(&a.0, &a.1, Radius::Constant(RADIUS_DEG), 0.0).unwrap();
    let m = index
        .probe_parallel(&b.0, &b.1, None, mode, NonZeroUsize::new(threads).unwrap())
        .unwrap();
    m.len()
}

fn bench(c: &mut Criterion) {
    let dir = data_dir();
    let mut group = c.benchmark_group("crossmatch_1e6x1e6_1arcsec");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    for (scenario, a, b) in [
        ("counterpart", "cpA", "cpB"),
        ("uniform", "uniA", "uniB"),
        ("dense", "denseA", "denseB"),
    ] {
        let (Some(ca), Some(cb)) = (
            load(&dir, scenario, &format!("{a}_{N}")),
            load(&dir, scenario, &format!("{b}_{N}")),
        ) else {
            continue;
        };
        for threads in [1, 2] {
            for mode in [MatchMode::All, MatchMode::Best] {
                // One timed run outside criterion for the summary line.
                let cpu0 = cpu_seconds();
                let start = Instant::now();
                let pairs = match_phase(&ca, &cb, mode, threads);
                let wall = start.elapsed().as_secs_f64();
                let cpu = cpu_seconds().zip(cpu0).map_or(f64::NAN, |(b, a)| b - a);
                let ns = cpu * 1e9 / (ca.0.len() + cb.0.len()) as f64;
                eprintln!(
                    "crossmatch {scenario} mode={mode:?} threads={threads}: {pairs} pairs, wall {:.1} ms, cpu {:.0} ms, {ns:.0} cpu ns/source",
                    wall * 1e3,
                    cpu * 1e3
                );
                let id = format!("{scenario}/{mode:?}/{threads}t").to_lowercase();
                group.bench_function(id, |bencher| {
                    bencher.iter(|| match_phase(&ca, &cb, mode, threads))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
