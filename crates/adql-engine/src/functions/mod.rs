//! ADQL functions as DataFusion scalar UDFs.
//!
//! Most ADQL functions map onto DataFusion built-ins during lowering (`LOG` → `ln`, `LOG10` → `log10`,
//! `CEILING` → `ceil`, `MOD` → `%`, `POWER`, `SQRT`, the trigonometric functions,
//! `COALESCE`). The ones whose semantics differ live here:
//!
//! - `round(x [, n])` and `truncate(x [, n])` ([`math::DigitsFunc`]), with DaCHS's ties-to-even rounding;
//! - `rand([seed])` ([`math::RandFunc`]), reproducible when seeded;
//! - `in_unit(x, unit [, source])` ([`unit::InUnitFunc`]), the unit conversion of `IN_UNIT`;
//! - `upper`, `lower` and the helpers of `CAST` ([`cast`]): one-to-one case mapping, rounding before a cast
//!   to an integer type, casts of DALI text to geometries;
//! - the geometry functions ([`geometry`]).

pub mod cast;
pub mod geometry;
pub mod math;
pub mod unit;

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::simplify::ExprSimplifyResult;
use datafusion::logical_expr::{ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl};

/// The ADQL scalar functions of this module (not the geometry ones), ready to register.
///
/// `rand` is stateful; [`fresh_rand`] gives a new instance, which the session registers for every query so that
/// seeded sequences restart.
pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(math::DigitsFunc::round())),
        Arc::new(ScalarUDF::from(math::DigitsFunc::truncate())),
        fresh_rand(),
        Arc::new(ScalarUDF::from(unit::InUnitFunc::new())),
    ]
    .into_iter()
    .chain(cast::udfs())
    .collect()
}

/// A `rand` function with no generator state.
pub fn fresh_rand() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(math::RandFunc::new()))
}

/// Whether `t` is a number type (or NULL, which coerces to any).
pub(crate) fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Null)
}

/// Whether `t` is an integer type (or NULL).
pub(crate) fn is_integer(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Null)
}

/// Every argument as an array of `rows` rows.
pub(crate) fn to_arrays(args: &[ColumnarValue], rows: usize) -> Result<Vec<ArrayRef>> {
    args.iter().map(|arg| arg.to_array(rows)).collect()
}

/// Evaluates a call whose arguments are all literals, so that a bad constant (`CIRCLE('ICRS', 10, 95, 1)`) is
/// an error when the plan is optimised, where the engine can place it in the ADQL text. DataFusion keeps a
/// constant call that fails to evaluate, to fail only if a row reaches it; PostgreSQL, behind DaCHS, reports
/// it at once, and so does the engine.
pub(crate) fn check_constant_call(udf: &dyn ScalarUDFImpl, args: &[Expr]) -> Result<()> {
    let Some(values) = args
        .iter()
        .map(|a| match a {
            Expr::Literal(value, _) => Some(value.clone()),
            _ => None,
        })
        .collect::<Option<Vec<ScalarValue>>>()
    else {
        return Ok(());
    };
    let types: Vec<DataType> = values.iter().map(ScalarValue::data_type).collect();
    let arg_fields = types
        .iter()
        .enumerate()
        .map(|(i, t)| Arc::new(Field::new(format!("arg{i}"), t.clone(), true)))
        .collect();
    let return_field = Arc::new(Field::new(udf.name(), udf.return_type(&types)?, true));
    udf.invoke_with_args(ScalarFunctionArgs {
        args: values.into_iter().map(ColumnarValue::Scalar).collect(),
        arg_fields,
        number_rows: 1,
        return_field,
        config_options: Arc::default(),
    })
    .map(|_| ())
}

/// The value of a numeric literal, as a double.
pub(crate) fn literal_f64(e: &Expr) -> Option<f64> {
    let Expr::Literal(value, _) = e else {
        return None;
    };
    match value.cast_to(&DataType::Float64) {
        Ok(ScalarValue::Float64(Some(x))) => Some(x),
        _ => None,
    }
}

/// A `simplify` that keeps the call after [`check_constant_call`].
pub(crate) fn simplify_checked(
    udf: &dyn ScalarUDFImpl,
    args: Vec<Expr>,
) -> Result<ExprSimplifyResult> {
    check_constant_call(udf, &args)?;
    Ok(ExprSimplifyResult::Original(args))
}
