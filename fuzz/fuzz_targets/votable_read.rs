//! The VOTable reader, sync and async, with the default limits: any input ends in batches or an error, and
//! the two readers agree on which.
#![no_main]

use libfuzzer_sys::fuzz_target;
use votable_arrow::{AsyncVOTableReader, ReaderOptions, read_votable};

fuzz_target!(|data: &[u8]| {
    let sync = read_votable(data, ReaderOptions::default())
        .map(|d| d.tables.first().map_or(0, |t| t.num_rows()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let asynchronous = runtime.block_on(async {
        let mut reader = AsyncVOTableReader::new(data, ReaderOptions::default()).await?;
        let mut rows = 0;
        while let Some(batch) = reader.next_batch().await? {
            rows += batch.num_rows();
        }
        reader.finish().await?;
        Ok::<_, votable_arrow::Error>(rows)
    });
    // A document both read must have the same rows in its first table.
    if let (Ok(a), Ok(b)) = (&sync, &asynchronous) {
        assert_eq!(a, b, "sync and async readers disagree");
    }
});
