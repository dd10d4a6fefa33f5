//! Two small catalogues on the sky for cross-service tests: pointings (observations) and sources around
//! them, and a cost model under which these small tables behave like large archives.

use std::sync::Arc;

use adql_federation::CostModel;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;

/// A small pseudo-random generator (the data must be the same on every run).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 300 pointings on a 0.5° grid around (10°, −5°).
pub fn pointings() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("obs_id", DataType::Int64, false),
        Field::new("s_ra", DataType::Float64, true),
        Field::new("s_dec", DataType::Float64, true),
        Field::new("exptime", DataType::Float64, true),
    ]));
    let n = 300;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..n)),
        Arc::new(Float64Array::from_iter(
            (0..n).map(|i| (i != 7).then_some(10.0 + (i % 20) as f64 * 0.5)),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| -5.0 + (i / 20) as f64 * 0.5),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| 100.0 + (i % 7) as f64 * 50.0),
        )),
    ];
    (
        Arc::clone(&schema),
        RecordBatch::try_new(schema, columns).unwrap(),
    )
}

/// 2000 sources, each a few arcseconds from a pointing (many within 2″), magnitudes 10–20.
pub fn sources() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("source_id", DataType::Int64, false),
        Field::new("ra", DataType::Float64, true),
        Field::new("dec", DataType::Float64, true),
        Field::new("mag", DataType::Float64, true),
    ]));
    let mut rng = Lcg(42);
    let n = 2000i64;
    let (mut ra, mut dec, mut mag) = (vec![], vec![], vec![]);
    for j in 0..n {
        let o = j % 300;
        let arcsec = 1.0 / 3600.0;
        ra.push(10.0 + (o % 20) as f64 * 0.5 + (rng.next() - 0.5) * 6.0 * arcsec);
        dec.push(-5.0 + (o / 20) as f64 * 0.5 + (rng.next() - 0.5) * 6.0 * arcsec);
        mag.push(10.0 + rng.next() * 10.0);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..n)),
        Arc::new(Float64Array::from(ra)),
        Arc::new(Float64Array::from(dec)),
        Arc::new(Float64Array::from(mag)),
    ];
    (
        Arc::clone(&schema),
        RecordBatch::try_new(schema, columns).unwrap(),
    )
}

pub fn mem((schema, batch): (SchemaRef, RecordBatch)) -> Arc<MemTable> {
    Arc::new(MemTable::try_new(schema, vec![vec![batch]]).unwrap())
}

/// A slow network (1 ms a value), so that the small test tables behave like large archives.
pub fn model() -> CostModel {
    CostModel {
        download_per_cell_s: 1e-3,
        upload_per_cell_s: 1e-4,
        ..CostModel::default()
    }
}
