//! ADQL math functions whose semantics DataFusion's built-ins do not have: `ROUND` and `TRUNCATE` with a
//! digit count, and `RAND` with a seed.
//!
//! `ROUND` and `TRUNCATE` follow DaCHS on PostgreSQL, the reference TAP implementation: the value is computed
//! in double precision as `round(x * 10^n) / 10^n` (`trunc` for `TRUNCATE`), where `round` is PostgreSQL's
//! `round(double precision)`, i.e. `rint`: ties go to the even neighbour (`ROUND(2.5) = 2`, `ROUND(-0.5) = -0`,
//! `ROUND(1.25, 1) = 1.2`). A negative `n` rounds left of the decimal point (`ROUND(1234.5, -2) = 1200`).

use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Float64Builder, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::{is_integer, is_numeric, to_arrays};

/// Which digit-count operation a [`DigitsFunc`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DigitsOp {
    Round,
    Truncate,
}

/// `ROUND(x [, n])` and `TRUNCATE(x [, n])`: `x` rounded (truncated) to `n` decimal places, as a double.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DigitsFunc {
    op: DigitsOp,
    signature: Signature,
}

impl DigitsFunc {
    /// The ADQL `ROUND` function, registered as `round` (it replaces DataFusion's, which breaks ties away from
    /// zero).
    pub fn round() -> Self {
        Self {
            op: DigitsOp::Round,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// The ADQL `TRUNCATE` function, registered as `truncate`.
    pub fn truncate() -> Self {
        Self {
            op: DigitsOp::Truncate,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn apply(self_op: DigitsOp, x: f64, digits: i64) -> f64 {
        let scaled = |v: f64| match self_op {
            DigitsOp::Round => v.round_ties_even(),
            DigitsOp::Truncate => v.trunc(),
        };
        if digits == 0 {
            return scaled(x);
        }
        // Clamped: 10^±400 is already 0 or infinite in double precision.
        let exponent = i32::try_from(digits.clamp(-400, 400)).unwrap_or_default();
        let power = 10f64.powi(exponent);
        scaled(x * power) / power
    }
}

impl ScalarUDFImpl for DigitsFunc {
    fn name(&self) -> &str {
        match self.op {
            DigitsOp::Round => "round",
            DigitsOp::Truncate => "truncate",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name().to_uppercase();
        match arg_types {
            [x] if is_numeric(x) => Ok(vec![DataType::Float64]),
            [x, n] if is_numeric(x) && is_integer(n) => {
                Ok(vec![DataType::Float64, DataType::Int64])
            }
            [x, n] if is_numeric(x) => {
                plan_err!("{name} expects an integer number of digits, got {n}")
            }
            [x] | [x, _] => plan_err!("{name} expects a numeric argument, got {x}"),
            _ => plan_err!("{name} takes 1 or 2 arguments, got {}", arg_types.len()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let op = self.op;
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = to_arrays(&args.args, args.number_rows)?;
        let values = as_f64(arrays.first())?;
        let result: Float64Array = match arrays.get(1) {
            None => values
                .iter()
                .map(|v| v.map(|x| Self::apply(op, x, 0)))
                .collect(),
            Some(digits) => {
                let digits = cast(digits, &DataType::Int64)?;
                let Some(digits) = digits.as_any().downcast_ref::<Int64Array>() else {
                    return exec_err!("{}: digits are not integers", self.name());
                };
                values
                    .iter()
                    .zip(digits.iter())
                    .map(|(v, n)| match (v, n) {
                        (Some(x), Some(n)) => Some(Self::apply(op, x, n)),
                        _ => None,
                    })
                    .collect()
            }
        };
        finish(result, all_scalar)
    }
}

/// `RAND([seed])`: a pseudo-random double in [0, 1).
///
/// Without a seed each call draws from a generator seeded from the clock. With a seed, the generator is seeded
/// from it once per query (the session gives every query a fresh instance), so the same query over the same
/// data yields the same sequence of values — as long as rows reach the function in the same order, which holds
/// for a single partition.
#[derive(Debug)]
pub struct RandFunc {
    signature: Signature,
    /// One generator per seed (`None` for the unseeded calls), created on first use.
    state: Mutex<Vec<(Option<i64>, SplitMix64)>>,
}

impl RandFunc {
    /// A function with no generator drawn yet.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Volatile),
            state: Mutex::new(Vec::new()),
        }
    }

    fn draw(&self, seed: Option<i64>, count: usize) -> Vec<f64> {
        // A poisoned lock only means another thread panicked mid-draw; the generator state is still valid.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let index = match state.iter().position(|(s, _)| *s == seed) {
            Some(index) => index,
            None => {
                let initial = match seed {
                    Some(seed) => seed.cast_unsigned(),
                    None => clock_seed(),
                };
                state.push((seed, SplitMix64(initial)));
                state.len() - 1
            }
        };
        match state.get_mut(index) {
            Some((_, rng)) => (0..count).map(|_| rng.next_f64()).collect(),
            None => Vec::new(),
        }
    }
}

impl Default for RandFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for RandFunc {
    fn eq(&self, other: &Self) -> bool {
        // Two instances are interchangeable only if they are the same instance (they carry generator state).
        std::ptr::eq(self, other)
    }
}

impl Eq for RandFunc {}

impl Hash for RandFunc {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "rand".hash(state);
    }
}

impl ScalarUDFImpl for RandFunc {
    fn name(&self) -> &str {
        "rand"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [] => Ok(vec![]),
            [seed] if is_numeric(seed) => Ok(vec![DataType::Int64]),
            [seed] => plan_err!("RAND expects a numeric seed, got {seed}"),
            _ => plan_err!("RAND takes 0 or 1 argument, got {}", arg_types.len()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let seed = match args.args.first() {
            None => None,
            Some(ColumnarValue::Scalar(ScalarValue::Int64(seed))) => *seed,
            Some(ColumnarValue::Scalar(ScalarValue::Null)) => None,
            Some(_) => return exec_err!("RAND takes a constant seed"),
        };
        let values = self.draw(seed, args.number_rows);
        let mut builder = Float64Builder::with_capacity(values.len());
        builder.append_slice(&values);
        Ok(ColumnarValue::Array(std::sync::Arc::new(builder.finish())))
    }
}

/// Sebastiano Vigna's SplitMix64: tiny, fast, and stable across versions (unlike `rand`'s `StdRng`), which
/// is what makes seeded sequences reproducible across releases.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A double in [0, 1) from the top 53 bits.
    fn next_f64(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // 53 bits fit a double's mantissa exactly.
        let mantissa = (self.next_u64() >> 11) as f64;
        mantissa * (1.0 / (1u64 << 53) as f64)
    }
}

fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Folding the 128-bit count keeps the fast-changing low bits.
    #[allow(clippy::cast_possible_truncation)]
    let folded = (nanos ^ (nanos >> 64)) as u64;
    folded ^ u64::from(std::process::id()).rotate_left(32)
}

fn as_f64(array: Option<&ArrayRef>) -> Result<Float64Array> {
    let Some(array) = array else {
        return exec_err!("missing argument");
    };
    let array = cast(array, &DataType::Float64)?;
    match array.as_any().downcast_ref::<Float64Array>() {
        Some(values) => Ok(values.clone()),
        None => exec_err!("expected a double array"),
    }
}

fn finish(result: Float64Array, all_scalar: bool) -> Result<ColumnarValue> {
    if all_scalar && result.len() == 1 {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &result, 0,
        )?));
    }
    Ok(ColumnarValue::Array(std::sync::Arc::new(result)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_breaks_ties_to_even_like_postgresql() {
        let round = |x, n| DigitsFunc::apply(DigitsOp::Round, x, n);
        assert_eq!(round(2.5, 0), 2.0);
        assert_eq!(round(3.5, 0), 4.0);
        assert_eq!(round(-2.5, 0), -2.0);
        assert_eq!(round(2.6, 0), 3.0);
        assert_eq!(round(1234.5678, 2), 1234.57);
        assert_eq!(round(1234.5, -2), 1200.0);
        assert_eq!(round(1250.0, -2), 1200.0);
        assert_eq!(round(1350.0, -2), 1400.0);
        assert_eq!(round(-1234.5678, 1), -1234.6);
        assert!(round(f64::NAN, 1).is_nan());
    }

    #[test]
    fn truncation_goes_toward_zero() {
        let truncate = |x, n| DigitsFunc::apply(DigitsOp::Truncate, x, n);
        assert_eq!(truncate(2.7, 0), 2.0);
        assert_eq!(truncate(-2.7, 0), -2.0);
        assert_eq!(truncate(1234.5678, 2), 1234.56);
        assert_eq!(truncate(1299.0, -2), 1200.0);
        assert_eq!(truncate(-1299.0, -2), -1200.0);
    }

    #[test]
    fn seeded_sequences_repeat_and_stay_in_range() {
        let a = RandFunc::new().draw(Some(5), 100);
        let b = RandFunc::new().draw(Some(5), 100);
        let c = RandFunc::new().draw(Some(6), 100);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|v| (0.0..1.0).contains(v)));
        // The sequence continues across batches rather than restarting.
        let rand = RandFunc::new();
        let first = rand.draw(Some(5), 50);
        let second = rand.draw(Some(5), 50);
        assert_eq!([first, second].concat(), a);
    }
}
