//! Reads a VOTable in a streaming way and prints its row count and the read speed; used
//! for throughput and peak-memory measurements (`benches/votable_peers.sh`):
//! `cargo run --release -p votable-arrow --example vot_count -- FILE [BATCH_SIZE]`.

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use votable_arrow::{ReaderOptions, VOTableReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: vot_count FILE [BATCH_SIZE]")?;
    let mut options = ReaderOptions::default();
    if let Some(b) = args.next() {
        options.batch_size = b.parse()?;
    }
    let size = std::fs::metadata(&path)?.len();
    let start = Instant::now();
    let file = BufReader::with_capacity(1 << 16, File::open(&path)?);
    let mut reader = VOTableReader::new(file, options)?;
    let columns = reader.schema().fields().len();
    let mut rows = 0usize;
    let mut batches = 0usize;
    for batch in reader.by_ref() {
        rows += batch?.num_rows();
        batches += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "votable-arrow {path} rows={rows} columns={columns} batches={batches} status={:?} {secs:.3}s {:.1} MB/s",
        reader.status(),
        size as f64 / 1e6 / secs
    );
    Ok(())
}
