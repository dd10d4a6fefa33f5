//! VOTable reading throughput on a 1e6-row Gaia-like table, TABLEDATA and BINARY2.
//!
//! The files come from `/work/shared/peers/gen_gaialike.py` (astropy); they are generated
//! into `benches/out/` when missing. `VOTABLE_BENCH_ROWS` changes the row count (default
//! 1e6). The bench is skipped with a message when the generator cannot run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use votable_arrow::{ReaderOptions, VOTableReader};

fn generate(rows: &str, format: &str) -> Option<PathBuf> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/out");
    let path = out.join(format!("gaialike_{rows}_{format}.vot"));
    if path.exists() {
        return Some(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers/gen_gaialike.py");
    if !script.exists() {
        eprintln!("skipping VOTable bench: {} not found", script.display());
        return None;
    }
    std::fs::create_dir_all(&out).ok()?;
    let status = Command::new("python3")
        .arg(&script)
        .arg(rows)
        .arg(&path)
        .arg(format)
        .status();
    match status {
        Ok(s) if s.success() => Some(path),
        other => {
            eprintln!("skipping VOTable bench: the generator failed ({other:?})");
            let _ = std::fs::remove_file(&path);
            None
        }
    }
}

fn read(bytes: &[u8]) -> usize {
    let reader = VOTableReader::new(bytes, ReaderOptions::default()).expect("schema");
    reader.map(|b| b.expect("batch").num_rows()).sum()
}

fn bench(c: &mut Criterion) {
    let rows = std::env::var("VOTABLE_BENCH_ROWS").unwrap_or_else(|_| "1e6".into());
    let mut group = c.benchmark_group("votable_read");
    group.sample_size(10);
    for format in ["tabledata", "binary2"] {
        let Some(path) = generate(&rows, format) else {
            continue;
        };
        // Read from memory: the figure is the decoder's, not the disk's.
        let bytes = std::fs::read(&path).expect("read the generated file");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("{format}_{rows}"), |b| b.iter(|| read(&bytes)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
