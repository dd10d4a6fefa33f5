//! [`PairStep`]: matched pairs of rows → the join's rows (radius, best match, join filter, outer padding).
//!
//! The step after the match, shared the way DataFusion's `joins/utils.rs` shares
//! `apply_join_filter_to_indices` and `build_batch_from_indices` between its joins. [`super::CrossmatchExec`]
//! feeds it the pairs the [`adql_geom::crossmatch`] kernel found; a join whose candidate pairs come from
//! elsewhere (a remote service asked for the rows around each position) measures them with
//! [`Pairs::measured`] and feeds them the same way. So there is one implementation of the strict radius, the
//! best match, the remaining join condition and the outer-join padding:
//!
//! ```text
//! Pairs ─radius─▶ ─best─▶ ─gather rows─▶ ─filter─▶ ─pad unmatched rows─▶ ─project─▶ RecordBatch
//! ```
//!
//! Each input is given as [`SideColumns`]: its columns as Arrow arrays, only those [`PairStep::needed`] asks
//! for, borrowed (the operator's indexed build side is read in place, never copied). Pairs are indices into
//! them. The work is linear in pairs and rows: no sort, no per-pair allocation; the index vectors of
//! [`Pairs`] become the `take` indices without a copy.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBufferBuilder, Float64Array, RecordBatch, RecordBatchOptions,
    UInt32Array, new_empty_array,
};
use datafusion::arrow::buffer::{NullBuffer, ScalarBuffer};
use datafusion::arrow::compute::{cast, concat, filter_record_batch, prep_null_mask_filter, take};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use datafusion::common::{Result, exec_datafusion_err, exec_err, plan_err};
use datafusion::logical_expr::JoinType;
use datafusion::physical_expr::PhysicalExpr;

use super::node::Side;
use super::spec::{CrossmatchSpec, ExecRadius};

/// Pairs of rows, as three parallel columns: `left[k]` and `right[k]` are indices into the rows of the
/// left and right [`SideColumns`] given to [`PairStep::rows`], `distance[k]` their distance in degrees
/// (NaN never matches). In any order, duplicates allowed (each is a joined row).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairs {
    /// Row of the left input of each pair.
    pub left: Vec<u32>,
    /// Row of the right input of each pair.
    pub right: Vec<u32>,
    /// Distance of each pair, degrees.
    pub distance: Vec<f64>,
}

impl Pairs {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.left.len()
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.left.is_empty()
    }

    /// Candidate pairs measured: `distance[k]` is [`adql_geom::distance`] between left row `left[k]` at
    /// (`left_position.0[left[k]]`, `left_position.1[left[k]]`) and right row `right[k]` likewise, in
    /// degrees: bit for bit what the crossmatch kernel computes for the same two rows (the distance is
    /// exactly symmetric), so that a pair exactly at the radius is kept or dropped as the engine's own
    /// crossmatch does. A NaN coordinate (a NULL position) or an index beyond the positions gives NaN, which
    /// no radius keeps. The positions are per row of each input, e.g. [`evaluate_f64`] of
    /// [`CrossmatchSpec::position`] over its rows. `left` and `right` of different lengths are kept as
    /// given, for [`PairStep::rows`] to reject.
    pub fn measured(
        left: Vec<u32>,
        right: Vec<u32>,
        left_position: (&[f64], &[f64]),
        right_position: (&[f64], &[f64]),
    ) -> Self {
        let at = |(lon, lat): (&[f64], &[f64]), i: u32| {
            let i = i as usize;
            lon.get(i).copied().zip(lat.get(i).copied())
        };
        let distance = left
            .iter()
            .zip(&right)
            .map(
                |(&l, &r)| match (at(left_position, l), at(right_position, r)) {
                    (Some((a, b)), Some((c, d))) => adql_geom::distance(a, b, c, d),
                    _ => f64::NAN,
                },
            )
            .collect();
        Self {
            left,
            right,
            distance,
        }
    }

    /// Keeps the pairs for which `keep(k, left, right, distance)` holds, `k` the pair's position before,
    /// in order and in place.
    fn retain(&mut self, mut keep: impl FnMut(usize, u32, u32, f64) -> Result<bool>) -> Result<()> {
        // The three columns have the same length (checked by `PairStep::rows`); the minimum keeps every
        // index below in bounds even if they had not.
        let n = self
            .left
            .len()
            .min(self.right.len())
            .min(self.distance.len());
        let mut kept = 0;
        for k in 0..n {
            let (l, r, d) = (self.left[k], self.right[k], self.distance[k]);
            if keep(k, l, r, d)? {
                // kept <= k < n: in bounds.
                self.left[kept] = l;
                self.right[kept] = r;
                self.distance[kept] = d;
                kept += 1;
            }
        }
        self.left.truncate(kept);
        self.right.truncate(kept);
        self.distance.truncate(kept);
        Ok(())
    }

    /// The rows of `side` in each pair.
    fn of(&self, side: Side) -> &[u32] {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }
}

/// One input's rows as [`PairStep::rows`] reads them.
#[derive(Debug, Clone, Copy)]
pub struct SideColumns<'a> {
    /// Number of rows; every pair index into this input is below it.
    pub rows: usize,
    /// One entry per column of this input (in the order of the join schema), each of `rows` rows; `None`
    /// where [`PairStep::needed`] says neither the output nor the filter reads it.
    /// [`PairStep::columns`] makes them from record batches.
    pub columns: &'a [Option<ArrayRef>],
    /// The radius of each row, degrees, when [`CrossmatchSpec::radius`] is [`ExecRadius::Column`] of this
    /// input (required then, ignored otherwise), of `rows` rows; NULL or NaN never matches.
    /// [`evaluate_f64`] makes it.
    pub radius: Option<&'a Float64Array>,
}

/// The values of `e` over `batch` as Float64, NULL as NaN (which never matches): the form of
/// [`SideColumns::radius`] and of the positions of [`Pairs::measured`]. No copy for an expression that
/// gives a Float64 column without NULLs.
pub fn evaluate_f64(e: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<Float64Array> {
    let a = e.evaluate(batch)?.into_array(batch.num_rows())?;
    let a = cast(&a, &DataType::Float64)?;
    let a = a.as_primitive::<Float64Type>();
    Ok(if a.null_count() == 0 {
        a.clone()
    } else {
        let values: ScalarBuffer<f64> = a.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        Float64Array::new(values, None)
    })
}

/// Matched pairs → the rows of a crossmatch join ([`Self::rows`]): the step after the match, for
/// [`super::CrossmatchExec`] and for joins whose pairs come from elsewhere.
///
/// It knows the join from its [`CrossmatchSpec`] (radius, strict, best, probe side, join type, filter), its
/// join schema (the left input's columns, then the right input's, as DataFusion's joins lay them out) and an
/// embedded projection of that schema.
///
/// # Example
///
/// Candidate pairs from elsewhere (here written out) turned into the rows of a LEFT join within 1°:
///
/// ```
/// # use std::sync::Arc;
/// # use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch};
/// # use datafusion::arrow::datatypes::{DataType, Field, Schema};
/// # use datafusion::logical_expr::JoinType;
/// # use datafusion::physical_expr::{PhysicalExpr, expressions::Column};
/// use adql_engine::crossmatch::{
///     CrossmatchSpec, ExecRadius, PairStep, Pairs, Side, SideColumns, evaluate_f64,
/// };
/// # fn main() -> datafusion::common::Result<()> {
/// let field = |name: &str| Field::new(name, DataType::Float64, true);
/// let (left_schema, right_schema) = (
///     Arc::new(Schema::new(vec![field("ra"), field("dec")])),
///     Arc::new(Schema::new(vec![field("ra2"), field("dec2")])),
/// );
/// let col = |name: &str, i: usize| -> Arc<dyn PhysicalExpr> { Arc::new(Column::new(name, i)) };
/// let spec = CrossmatchSpec {
///     left_position: (col("ra", 0), col("dec", 1)),
///     right_position: (col("ra2", 0), col("dec2", 1)),
///     radius: ExecRadius::Constant(1.0),
///     strict: false,
///     best: false,
///     probe: Side::Left,
///     join_type: JoinType::Left,
///     filter: None,
/// };
/// let join_schema = Arc::new(Schema::new(vec![field("ra"), field("dec"), field("ra2"), field("dec2")]));
/// let step = PairStep::new(Arc::new(spec), join_schema, 2, None)?;
/// let batch = |schema: &Arc<Schema>, ra: Vec<f64>, dec: Vec<f64>| {
///     let columns: Vec<ArrayRef> =
///         vec![Arc::new(Float64Array::from(ra)), Arc::new(Float64Array::from(dec))];
///     RecordBatch::try_new(Arc::clone(schema), columns)
/// };
/// let left = batch(&left_schema, vec![10.0, 50.0], vec![0.0, 0.0])?;
/// let right = batch(&right_schema, vec![10.5, 12.0], vec![0.0, 0.0])?;
///
/// // The positions of each input, and the columns the step reads.
/// let (lon, lat) = step.spec().position(Side::Left);
/// let (l_lon, l_lat) = (evaluate_f64(lon, &left)?, evaluate_f64(lat, &left)?);
/// let (lon, lat) = step.spec().position(Side::Right);
/// let (r_lon, r_lat) = (evaluate_f64(lon, &right)?, evaluate_f64(lat, &right)?);
/// let (l_columns, r_columns) = (
///     step.columns(Side::Left, std::slice::from_ref(&left))?,
///     step.columns(Side::Right, std::slice::from_ref(&right))?,
/// );
/// // Candidates: left row 0 with both right rows (only the first is within 1°).
/// let pairs = Pairs::measured(
///     vec![0, 0],
///     vec![0, 1],
///     (l_lon.values(), l_lat.values()),
///     (r_lon.values(), r_lat.values()),
/// );
/// let rows = step.rows(
///     &SideColumns { rows: left.num_rows(), columns: &l_columns, radius: None },
///     &SideColumns { rows: right.num_rows(), columns: &r_columns, radius: None },
///     pairs,
/// )?;
/// // (10, 0) with (10.5, 0); then (50, 0), which nothing matched, with NULLs.
/// assert_eq!(rows.num_rows(), 2);
/// assert_eq!(rows.column(2).null_count(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PairStep {
    spec: Arc<CrossmatchSpec>,
    /// Left columns, then right columns.
    join_schema: SchemaRef,
    /// Number of left columns (the first ones of `join_schema`).
    left_columns: usize,
    /// The embedded projection, as given.
    projection: Option<Arc<[usize]>>,
    /// Output columns as indices into `join_schema`: the projection, or all of them.
    output: Arc<[usize]>,
    /// Every column of `join_schema`, in order (what the filter reads).
    all: Arc<[usize]>,
    /// `join_schema` projected.
    schema: SchemaRef,
}

impl PairStep {
    /// The step for the join `spec` whose rows have the columns of `join_schema`, the first `left_columns` of
    /// them from the left input and the others from the right one, and come out in the columns `projection`
    /// (indices into `join_schema`) or, without one, in all of them. `spec.filter` reads rows of
    /// `join_schema`.
    ///
    /// # Errors
    /// When `left_columns` or a projection index is beyond `join_schema`, or the join is not inner, left or
    /// right.
    pub fn new(
        spec: Arc<CrossmatchSpec>,
        join_schema: SchemaRef,
        left_columns: usize,
        projection: Option<Arc<[usize]>>,
    ) -> Result<Self> {
        let width = join_schema.fields().len();
        if left_columns > width {
            return plan_err!(
                "crossmatch: {left_columns} left columns in a join schema of {width} columns"
            );
        }
        if !matches!(
            spec.join_type,
            JoinType::Inner | JoinType::Left | JoinType::Right
        ) {
            return plan_err!(
                "crossmatch: a {} join is not supported (inner, left or right)",
                spec.join_type
            );
        }
        let all: Arc<[usize]> = (0..width).collect();
        let (output, schema) = match &projection {
            Some(p) => (Arc::clone(p), Arc::new(join_schema.project(p)?)),
            None => (Arc::clone(&all), Arc::clone(&join_schema)),
        };
        Ok(Self {
            spec,
            join_schema,
            left_columns,
            projection,
            output,
            all,
            schema,
        })
    }

    /// What the join computes.
    pub fn spec(&self) -> &Arc<CrossmatchSpec> {
        &self.spec
    }

    /// The rows the pairs make before the projection: left columns, then right columns.
    pub fn join_schema(&self) -> &SchemaRef {
        &self.join_schema
    }

    /// The embedded projection (indices into [`Self::join_schema`]), if any.
    pub fn projection(&self) -> Option<&Arc<[usize]>> {
        self.projection.as_ref()
    }

    /// The schema of the batches [`Self::rows`] returns: the join schema projected.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Number of columns of `side`.
    pub fn width(&self, side: Side) -> usize {
        match side {
            Side::Left => self.left_columns,
            Side::Right => self.join_schema.fields().len() - self.left_columns,
        }
    }

    /// For each column of `side`, whether [`Self::rows`] reads it: when there is a join filter, all of them
    /// (it reads the whole joined row); otherwise those the output keeps (none under `COUNT(*)`).
    pub fn needed(&self, side: Side) -> Vec<bool> {
        let mut needed = vec![false; self.width(side)];
        let used = if self.spec.filter.is_some() {
            &self.all
        } else {
            &self.output
        };
        for &i in used.iter() {
            if let (s, c) = self.source(i)
                && s == side
                && let Some(n) = needed.get_mut(c)
            {
                *n = true;
            }
        }
        needed
    }

    /// The columns of `side` that [`Self::needed`] asks for, over `batches` (rows of that input, one after
    /// the other), for [`SideColumns::columns`]: no copy for a single batch; an empty column of the
    /// input's type when there is no batch.
    ///
    /// # Errors
    /// When a batch does not have the input's number of columns, or their types differ between batches.
    pub fn columns(&self, side: Side, batches: &[RecordBatch]) -> Result<Vec<Option<ArrayRef>>> {
        let width = self.width(side);
        if let Some(b) = batches.iter().find(|b| b.num_columns() != width) {
            return exec_err!(
                "crossmatch: a batch of the {} input has {} columns, not {width}",
                side_name(side),
                b.num_columns()
            );
        }
        let mut parts: Vec<&dyn Array> = Vec::with_capacity(batches.len());
        self.needed(side)
            .iter()
            .enumerate()
            .map(|(c, &needed)| {
                if !needed {
                    return Ok(None);
                }
                parts.clear();
                parts.extend(
                    batches
                        .iter()
                        .filter_map(|b| b.columns().get(c).map(|a| a.as_ref())),
                );
                if parts.is_empty() {
                    let field = self
                        .join_schema
                        .fields()
                        .get(self.index(side, c))
                        .ok_or_else(|| {
                            exec_datafusion_err!("crossmatch: column {c} out of range")
                        })?;
                    return Ok(Some(new_empty_array(field.data_type())));
                }
                Ok(Some(concat(&parts)?))
            })
            .collect()
    }

    /// The join's rows from `pairs` of rows of `left` and `right`, in the columns of [`Self::schema`]. In
    /// order:
    ///
    /// 1. keeps the pairs within the radius: `distance <= r`, or `distance < r` when `spec.strict`, with `r`
    ///    the constant radius or that of the pair's row in the input giving it ([`SideColumns::radius`]);
    ///    a NaN distance or a NULL or NaN radius never matches;
    /// 2. with `spec.best`, keeps only the nearest pair of each row of `spec.probe` (ties: the lower row
    ///    of the other input; then the first pair given), in one pass over pairs and rows;
    /// 3. gathers the rows of the kept pairs (all columns when there is a filter, else only the output's);
    /// 4. applies `spec.filter` to them (NULL counts as false);
    /// 5. appends the rows of the input a LEFT (RIGHT) join preserves, the left (right) one, that no pair
    ///    kept so far matches, with NULLs in the other input's columns: that input is given whole, or chunk
    ///    by chunk with each of its rows in exactly one call;
    /// 6. projects to [`Self::schema`].
    ///
    /// Kept pairs come out in the order given, then the padded rows by row. A column whose type differs
    /// from the join schema's (only in nullability, as outer joins make the other side nullable) is cast.
    ///
    /// # Errors
    /// When the pair columns differ in length, a pair index is not below its input's `rows`, an input has
    /// the wrong number of columns or a needed column is missing or not of `rows` rows, a required radius
    /// is missing or not of `rows` rows, or the filter fails or is not boolean.
    pub fn rows(
        &self,
        left: &SideColumns,
        right: &SideColumns,
        mut pairs: Pairs,
    ) -> Result<RecordBatch> {
        if pairs.right.len() != pairs.len() || pairs.distance.len() != pairs.len() {
            return exec_err!(
                "crossmatch: {} left rows, {} right rows and {} distances do not make pairs",
                pairs.len(),
                pairs.right.len(),
                pairs.distance.len()
            );
        }
        self.check(Side::Left, left)?;
        self.check(Side::Right, right)?;
        self.keep_within_radius(&mut pairs, left, right)?;
        let spec = &self.spec;
        if spec.best {
            let rows = match spec.probe {
                Side::Left => left.rows,
                Side::Right => right.rows,
            };
            keep_nearest(&mut pairs, spec.probe, rows)?;
        }
        let Pairs {
            left: left_rows,
            right: right_rows,
            distance,
        } = pairs;
        drop(distance);
        let Some(filter) = &spec.filter else {
            let (li, ri) = self.padded(left_rows, right_rows, left, right);
            return self.gather(&self.output, &self.schema, left, right, &li, &ri);
        };
        // The filter reads the whole joined row; the projection comes after it.
        let (li, ri) = (UInt32Array::from(left_rows), UInt32Array::from(right_rows));
        let joined = self.gather(&self.all, &self.join_schema, left, right, &li, &ri)?;
        let mask = filter.evaluate(&joined)?.into_array(joined.num_rows())?;
        let mask = mask
            .as_boolean_opt()
            .ok_or_else(|| exec_datafusion_err!("crossmatch: the join filter is not boolean"))?;
        let mask = if mask.null_count() > 0 {
            prep_null_mask_filter(mask)
        } else {
            mask.clone()
        };
        if self.preserved().is_none() {
            return Ok(filter_record_batch(&self.project(joined)?, &mask)?);
        }
        // Padding: the kept pairs' rows and the unmatched rows gathered at once from the inputs (rather than
        // filtering the joined rows and concatenating the padded ones after them, two copies).
        drop(joined);
        let (mut left_rows, mut right_rows) =
            (Vec::from(li.into_parts().1), Vec::from(ri.into_parts().1));
        let passed = mask.values();
        retain_by(&mut left_rows, &mut right_rows, |k| passed.value(k));
        let (li, ri) = self.padded(left_rows, right_rows, left, right);
        self.gather(&self.output, &self.schema, left, right, &li, &ri)
    }

    /// The side and column of column `i` of the join schema.
    fn source(&self, i: usize) -> (Side, usize) {
        if i < self.left_columns {
            (Side::Left, i)
        } else {
            (Side::Right, i - self.left_columns)
        }
    }

    /// The join-schema index of column `c` of `side`.
    fn index(&self, side: Side, c: usize) -> usize {
        match side {
            Side::Left => c,
            Side::Right => self.left_columns + c,
        }
    }

    /// The input a LEFT or RIGHT join preserves.
    fn preserved(&self) -> Option<Side> {
        match self.spec.join_type {
            JoinType::Left => Some(Side::Left),
            JoinType::Right => Some(Side::Right),
            _ => None,
        }
    }

    /// Checks `input` against what [`Self::rows`] will read of it.
    fn check(&self, side: Side, input: &SideColumns) -> Result<()> {
        let name = side_name(side);
        if input.columns.len() != self.width(side) {
            return exec_err!(
                "crossmatch: the {name} input has {} columns, not {}",
                input.columns.len(),
                self.width(side)
            );
        }
        for (c, needed) in self.needed(side).into_iter().enumerate() {
            match input.columns.get(c) {
                Some(Some(a)) if a.len() != input.rows => {
                    return exec_err!(
                        "crossmatch: column {c} of the {name} input has {} rows, not {}",
                        a.len(),
                        input.rows
                    );
                }
                Some(None) if needed => {
                    return exec_err!("crossmatch: column {c} of the {name} input is needed");
                }
                _ => {}
            }
        }
        if matches!(self.spec.radius, ExecRadius::Column(s, _) if s == side) {
            match input.radius {
                None => return exec_err!("crossmatch: the radius of the {name} input is missing"),
                Some(r) if r.len() != input.rows => {
                    return exec_err!(
                        "crossmatch: the radius of the {name} input has {} rows, not {}",
                        r.len(),
                        input.rows
                    );
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Step 1 of [`Self::rows`], which also checks every index against its input.
    fn keep_within_radius(
        &self,
        pairs: &mut Pairs,
        left: &SideColumns,
        right: &SideColumns,
    ) -> Result<()> {
        // The radius of a row: NULL and out of range as NaN (checked not to happen above).
        let per_row = |radius: Option<&Float64Array>, i: usize| match radius {
            Some(r) if r.is_valid(i) => r.values().get(i).copied().unwrap_or(f64::NAN),
            _ => f64::NAN,
        };
        let (constant, radius_side) = match &self.spec.radius {
            ExecRadius::Constant(r) => (*r, None),
            ExecRadius::Column(side, _) => (f64::NAN, Some(*side)),
        };
        let strict = self.spec.strict;
        pairs.retain(|_, l, r, d| {
            let (l, r) = (l as usize, r as usize);
            if l >= left.rows || r >= right.rows {
                return exec_err!(
                    "crossmatch: pair ({l}, {r}) beyond the inputs' {} and {} rows",
                    left.rows,
                    right.rows
                );
            }
            let radius = match radius_side {
                None => constant,
                Some(Side::Left) => per_row(left.radius, l),
                Some(Side::Right) => per_row(right.radius, r),
            };
            Ok(if strict { d < radius } else { d <= radius })
        })
    }

    /// `(left, right)` as `take` indices, followed, for a LEFT (RIGHT) join, by the left (right) rows that
    /// no pair matched beside NULL indices.
    fn padded(
        &self,
        left_rows: Vec<u32>,
        right_rows: Vec<u32>,
        left: &SideColumns,
        right: &SideColumns,
    ) -> (UInt32Array, UInt32Array) {
        match self.preserved() {
            None => (left_rows.into(), right_rows.into()),
            Some(Side::Left) => pad(left_rows, right_rows, left.rows),
            Some(Side::Right) => {
                let (own, other) = pad(right_rows, left_rows, right.rows);
                (other, own)
            }
        }
    }

    /// Joined rows: left rows `left_idx` beside right rows `right_idx` (a NULL index gives NULLs), in the
    /// join-schema columns `columns`, whose fields are those of `schema`.
    fn gather(
        &self,
        columns: &[usize],
        schema: &SchemaRef,
        left: &SideColumns,
        right: &SideColumns,
        left_idx: &UInt32Array,
        right_idx: &UInt32Array,
    ) -> Result<RecordBatch> {
        let arrays = columns
            .iter()
            .zip(schema.fields())
            .map(|(&i, field)| {
                let (side, c) = self.source(i);
                let (input, idx) = match side {
                    Side::Left => (left, left_idx),
                    Side::Right => (right, right_idx),
                };
                let column = input
                    .columns
                    .get(c)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| {
                        exec_datafusion_err!(
                            "crossmatch: column {c} of the {} input was not given",
                            side_name(side)
                        )
                    })?;
                let array = take(column.as_ref(), idx, None)?;
                // Outer joins make the other side's columns nullable: cast where the types differ.
                if field.data_type() == array.data_type() {
                    Ok(array)
                } else {
                    Ok(cast(&array, field.data_type())?)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(left_idx.len()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(schema),
            arrays,
            &options,
        )?)
    }

    /// `joined` (all columns of the join schema) in the output columns: no copy.
    fn project(&self, joined: RecordBatch) -> Result<RecordBatch> {
        if self.projection.is_none() {
            return Ok(joined);
        }
        let columns = self
            .output
            .iter()
            .map(|&i| {
                joined
                    .columns()
                    .get(i)
                    .cloned()
                    .ok_or_else(|| exec_datafusion_err!("crossmatch: column {i} out of range"))
            })
            .collect::<Result<Vec<_>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(joined.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &options,
        )?)
    }
}

/// Step 2 of [`PairStep::rows`]: only the nearest pair of each of the `rows` rows of `probe` (ties: the
/// lower row of the other side, then the first pair). One pass to find them, one to keep them.
fn keep_nearest(pairs: &mut Pairs, probe: Side, rows: usize) -> Result<()> {
    const NONE: usize = usize::MAX;
    // best[row]: the position of the nearest pair of probe row `row` so far.
    let mut best = vec![NONE; rows];
    let (own, other) = (pairs.of(probe), pairs.of(probe.other()));
    for (k, ((&row, &o), &d)) in own.iter().zip(other).zip(&pairs.distance).enumerate() {
        let Some(slot) = best.get_mut(row as usize) else {
            continue;
        };
        let better = match (other.get(*slot), pairs.distance.get(*slot)) {
            (Some(&bo), Some(&bd)) => d < bd || (d == bd && o < bo),
            // NONE: no pair yet.
            _ => true,
        };
        if better {
            *slot = k;
        }
    }
    pairs.retain(|k, l, r, _| {
        let row = match probe {
            Side::Left => l,
            Side::Right => r,
        };
        Ok(best.get(row as usize) == Some(&k))
    })
}

/// `own` (rows of the preserved input, of `rows` rows) followed by its rows that are not in it, beside
/// `other` followed by as many NULLs.
fn pad(mut own: Vec<u32>, mut other: Vec<u32>, rows: usize) -> (UInt32Array, UInt32Array) {
    let mut seen = vec![false; rows];
    for &row in &own {
        if let Some(s) = seen.get_mut(row as usize) {
            *s = true;
        }
    }
    let matched = own.len();
    own.extend(
        seen.iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| i as u32),
    );
    let unmatched = own.len() - matched;
    if unmatched == 0 {
        return (own.into(), other.into());
    }
    // A NULL index gathers NULL; its value (0) is never read, even from an empty input.
    other.resize(own.len(), 0);
    let mut valid = BooleanBufferBuilder::new(own.len());
    valid.append_n(matched, true);
    valid.append_n(unmatched, false);
    let nulls = NullBuffer::new(valid.finish());
    (
        own.into(),
        UInt32Array::new(ScalarBuffer::from(other), Some(nulls)),
    )
}

/// Keeps `left[k]` and `right[k]` where `keep(k)`, in order and in place.
fn retain_by(left: &mut Vec<u32>, right: &mut Vec<u32>, keep: impl Fn(usize) -> bool) {
    let n = left.len().min(right.len());
    let mut kept = 0;
    for k in 0..n {
        if keep(k) {
            // kept <= k < n: in bounds.
            left[kept] = left[k];
            right[kept] = right[k];
            kept += 1;
        }
    }
    left.truncate(kept);
    right.truncate(kept);
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Left => "left",
        Side::Right => "right",
    }
}

#[cfg(test)]
mod tests;
