//! Quick parse-time measurement over the valid lyonetia queries (the committed criterion benchmark lives in
//! the workspace's `benches/`).
//!
//! ```text
//! cargo run --release -p adql-syntax --example lyonetia_timing
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

fn main() {
    let Some(cases) = support::load_cases() else {
        eprintln!(
            "the lyonetia suite is not at {}",
            support::suite_dir().display()
        );
        return;
    };
    let valid: Vec<_> = cases
        .iter()
        .map(|c| (c, support::options(c)))
        .filter(|(c, o)| c.valid && adql_syntax::parse_with(&c.adql, o).is_ok())
        .collect();
    let mut times: Vec<f64> = Vec::with_capacity(valid.len());
    for (case, opts) in &valid {
        // Best of five runs of 1000 parses: the least disturbed by other processes.
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..1000 {
                std::hint::black_box(
                    adql_syntax::parse_with(std::hint::black_box(&case.adql), opts).is_ok(),
                );
            }
            best = best.min(start.elapsed().as_secs_f64() / 1000.0);
        }
        times.push(best * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let mean = times.iter().sum::<f64>() / n as f64;
    println!(
        "{n} valid lyonetia queries: median {:.2} us, mean {:.2} us, p90 {:.2} us, max {:.2} us per parse",
        times[n / 2],
        mean,
        times[n * 9 / 10],
        times[n - 1]
    );
}
