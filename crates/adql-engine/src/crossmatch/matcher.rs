//! [`Matcher`]: the build side of a crossmatch indexed with [`adql_geom::crossmatch`], and the probing of it.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use adql_geom::crossmatch::{CrossmatchIndex, MatchMode, Matches, ProbeBuffers, Radius};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::Float64Type;
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::physical_expr::PhysicalExpr;

use super::node::Side;
use super::pairs::{PairStep, Pairs, SideColumns, evaluate_f64};
use super::spec::ExecRadius;

/// The values of `e` over `batches`, one after the other (see [`evaluate_f64`]).
fn evaluate_all(
    e: &std::sync::Arc<dyn PhysicalExpr>,
    batches: &[RecordBatch],
) -> Result<Float64Array> {
    let parts = batches
        .iter()
        .map(|b| evaluate_f64(e, b))
        .collect::<Result<Vec<_>>>()?;
    match parts.as_slice() {
        [] => Ok(Float64Array::from(Vec::<f64>::new())),
        [one] => Ok(one.clone()),
        _ => {
            let refs: Vec<&dyn Array> = parts.iter().map(|p| p as &dyn Array).collect();
            Ok(concat(&refs)?.as_primitive::<Float64Type>().clone())
        }
    }
}

/// Rows of one input: their coordinates (and radius, when it is taken from this input), and the columns
/// the pair step reads (only those: under `COUNT(*)` none).
pub(super) struct SideRows {
    pub(super) rows: usize,
    ra: Float64Array,
    dec: Float64Array,
    radius: Option<Float64Array>,
    /// The input's columns, `None` where the pair step does not read them.
    columns: Vec<Option<ArrayRef>>,
}

impl SideRows {
    /// The rows of `batches` of input `side` of the join of `step`.
    pub(super) fn new(step: &PairStep, side: Side, batches: &[RecordBatch]) -> Result<Self> {
        let spec = step.spec();
        let (lon, lat) = spec.position(side);
        let radius = match &spec.radius {
            ExecRadius::Column(s, e) if *s == side => Some(evaluate_all(e, batches)?),
            _ => None,
        };
        Ok(Self {
            rows: batches.iter().map(RecordBatch::num_rows).sum(),
            ra: evaluate_all(lon, batches)?,
            dec: evaluate_all(lat, batches)?,
            radius,
            columns: step.columns(side, batches)?,
        })
    }

    /// The rows as the pair step reads them.
    fn as_side(&self) -> SideColumns<'_> {
        SideColumns {
            rows: self.rows,
            columns: &self.columns,
            radius: self.radius.as_ref(),
        }
    }
}

/// The build input, indexed, and what is needed to probe it.
pub(super) struct Matcher {
    step: PairStep,
    /// The build rows without their coordinates (the index holds its own copy): the columns the pair step
    /// reads, read in place for every chunk, and the per-row radius.
    build: SideRows,
    index: CrossmatchIndex,
    /// Working memory of the probe threads, one set per partition probing at the same time, reused
    /// from chunk to chunk (fresh buffers for every chunk would churn the allocator).
    buffers: Mutex<Vec<Vec<ProbeBuffers>>>,
}

impl Matcher {
    /// Indexes `build`, the rows of the input that is not `step.spec().probe`. With a radius per probe row,
    /// the index is sized by the largest finite radius of `probe_batches` (the whole probe input).
    pub(super) fn new(
        step: PairStep,
        mut build: SideRows,
        probe_batches: Option<&[RecordBatch]>,
    ) -> Result<Self> {
        let (ra, dec) = (build.ra.values(), build.dec.values());
        let index = match (&step.spec().radius, &build.radius) {
            (ExecRadius::Constant(r), _) => {
                CrossmatchIndex::build(ra, dec, Radius::Constant(*r), 0.0)
            }
            (ExecRadius::Column(..), Some(radius)) => {
                CrossmatchIndex::build(ra, dec, Radius::PerBuildRow(radius.values()), 0.0)
            }
            (ExecRadius::Column(_, e), None) => {
                let mut max = 0.0f64;
                for batch in probe_batches.unwrap_or_default() {
                    max = evaluate_f64(e, batch)?
                        .values()
                        .iter()
                        .copied()
                        .filter(|r| r.is_finite())
                        .fold(max, f64::max);
                }
                CrossmatchIndex::build(ra, dec, Radius::PerProbeRow(&[]), max)
            }
        }
        .map_err(|e| exec_datafusion_err!("crossmatch: {e}"))?;
        // The index holds its own copy of the coordinates; the build's are dropped here.
        build.ra = Float64Array::from(Vec::<f64>::new());
        build.dec = Float64Array::from(Vec::<f64>::new());
        Ok(Self {
            step,
            build,
            index,
            buffers: Mutex::default(),
        })
    }

    /// The step that turns matched pairs into rows.
    pub(super) fn step(&self) -> &PairStep {
        &self.step
    }

    /// Number of indexed build rows.
    pub(super) fn indexed(&self) -> usize {
        self.index.len()
    }

    /// Matches one chunk of probe rows on `threads` threads and builds the joined rows.
    pub(super) fn probe(&self, chunk: &SideRows, threads: NonZeroUsize) -> Result<RecordBatch> {
        let spec = self.step.spec();
        let probe_radius = chunk.radius.as_ref().map(|r| r.values().as_ref());
        let mode = if spec.best {
            MatchMode::Best
        } else {
            MatchMode::All
        };
        let mut buffers = self
            .buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        buffers.resize_with(threads.get(), ProbeBuffers::default);
        let mut matches = Matches::default();
        let result = self.index.probe_parallel_with(
            chunk.ra.values(),
            chunk.dec.values(),
            probe_radius,
            mode,
            &mut buffers,
            &mut matches,
        );
        self.buffers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(buffers);
        result.map_err(|e| exec_datafusion_err!("crossmatch: {e}"))?;
        // The kernel keeps `distance <= r` and, in best mode, the nearest build row of each probe row (ties:
        // the lowest build row), as the pair step does, so the step only drops the pairs exactly at the radius
        // when `strict` (never together with best: XMATCH_BEST has no strict form, and strict-then-nearest
        // could differ from nearest-then-strict with a radius per build row). The vectors move into the
        // step's `take` indices without a copy.
        let Matches {
            build,
            probe,
            distance,
        } = matches;
        let (build_side, probe_side) = (self.build.as_side(), chunk.as_side());
        match spec.probe {
            Side::Left => self.step.rows(
                &probe_side,
                &build_side,
                Pairs {
                    left: probe,
                    right: build,
                    distance,
                },
            ),
            Side::Right => self.step.rows(
                &build_side,
                &probe_side,
                Pairs {
                    left: build,
                    right: probe,
                    distance,
                },
            ),
        }
    }
}
