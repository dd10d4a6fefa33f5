//! Parse time of the valid lyonetia queries (the IVOA ADQL validation suite).
//!
//! Reads `../shared/conformance/lyonetia/src/adql/{ivoa,gavo,roe}/*.xml` at start (and skips with a message when
//! that folder is absent, as in a clone outside this workplace). Two measurements:
//!
//! - the criterion group `parse/lyonetia_valid` parses the whole set per iteration (its throughput is in
//!   queries per second);
//! - a summary that times every query on its own and prints the median and mean µs per query, the figure the
//!   parser's target is stated in (median ≤ 5 µs) and the one `benches/parse_peers.sh` compares with the peers.
//!
//! The set is every query the suite marks valid and that `adql_syntax::parse` accepts with its default options
//! (ADQL 2.1, every optional feature, any UDF), duplicates included, like the peers' scripts do.
//!
//! Run with `cargo bench --bench parse`; `cargo bench --bench parse -- --summary-only` skips criterion.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

/// The folders of the suite, as the peers' scripts read them (`src/adql` holds exactly these three).
const FOLDERS: [&str; 3] = ["ivoa", "gavo", "roe"];

fn suite_root() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/lyonetia/src/adql"
    ))
    .to_path_buf()
}

/// One `<adql>` element of the suite.
struct Case {
    valid: bool,
    text: String,
}

/// Reads every `<adql>` element under the suite's folders, in file order; `None` when the suite is absent.
fn load_cases(root: &Path) -> Result<Option<Vec<Case>>, String> {
    if !root.is_dir() {
        return Ok(None);
    }
    let mut cases = Vec::new();
    for folder in FOLDERS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .map_err(|e| format!("{}: {e}", root.join(folder).display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
            .collect();
        files.sort();
        for file in files {
            let xml =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let doc =
                roxmltree::Document::parse(&xml).map_err(|e| format!("{}: {e}", file.display()))?;
            for node in doc.descendants().filter(|n| n.tag_name().name() == "adql") {
                cases.push(Case {
                    valid: node.attribute("valid") == Some("true"),
                    text: node
                        .descendants()
                        .filter(|n| n.is_text())
                        .filter_map(|n| n.text())
                        .collect(),
                });
            }
        }
    }
    Ok(Some(cases))
}

/// Times each query on its own: `rounds` rounds, each running a query in a batch long enough to be timed
/// (about 100 µs), and keeps the median of the rounds per query, which shrugs off other work on the machine.
fn per_query_micros(queries: &[&str], rounds: usize) -> Vec<f64> {
    const BATCH: Duration = Duration::from_micros(100);
    let batch_sizes: Vec<u32> = queries
        .iter()
        .map(|q| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < BATCH {
                black_box(adql_syntax::parse(black_box(q)).is_ok());
                n += 1;
            }
            n.max(1)
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); queries.len()];
    for _ in 0..rounds {
        for ((query, &n), samples) in queries.iter().zip(&batch_sizes).zip(&mut samples) {
            let start = Instant::now();
            for _ in 0..n {
                black_box(adql_syntax::parse(black_box(query)).is_ok());
            }
            samples.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
        }
    }
    samples.into_iter().map(|mut s| median(&mut s)).collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn main() {
    let root = suite_root();
    let cases = match load_cases(&root) {
        Ok(Some(cases)) => cases,
        Ok(None) => {
            println!(
                "parse bench: skipped, the lyonetia suite is not at {}",
                root.display()
            );
            return;
        }
        Err(err) => {
            eprintln!("parse bench: cannot read the lyonetia suite: {err}");
            std::process::exit(2);
        }
    };
    let valid: Vec<&Case> = cases.iter().filter(|c| c.valid).collect();
    let queries: Vec<&str> = valid
        .iter()
        .map(|c| c.text.as_str())
        .filter(|q| adql_syntax::parse(q).is_ok())
        .collect();
    println!(
        "parse bench: {} lyonetia queries, {} valid, {} of them accepted and timed",
        cases.len(),
        valid.len(),
        queries.len()
    );

    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    if has("--list") {
        println!("parse/lyonetia_valid: benchmark");
        return;
    }
    // `cargo test --benches` passes `--test`: run everything once, quickly.
    let quick = has("--test");
    if !has("--summary-only") {
        let mut criterion = Criterion::default().configure_from_args();
        let mut group = criterion.benchmark_group("parse");
        group.throughput(Throughput::Elements(queries.len() as u64));
        group.bench_function("lyonetia_valid", |b| {
            b.iter(|| {
                for query in &queries {
                    black_box(adql_syntax::parse(black_box(query)).is_ok());
                }
            });
        });
        group.finish();
        criterion.final_summary();
    }

    let rounds = if quick { 1 } else { 31 };
    let mut micros = per_query_micros(&queries, rounds);
    let mean = micros.iter().sum::<f64>() / micros.len().max(1) as f64;
    let median = median(&mut micros);
    let p90 = micros
        .get(micros.len() * 9 / 10)
        .copied()
        .unwrap_or(f64::NAN);
    let max = micros.last().copied().unwrap_or(f64::NAN);
    println!(
        "parse summary: {} queries, median {median:.2} us/query, mean {mean:.2} us/query, \
         p90 {p90:.2} us, max {max:.2} us (each query timed alone, median of {rounds} rounds)",
        queries.len()
    );
}
