//! `IN_UNIT(x, 'unit')`: a value converted to another unit.
//!
//! The lowering resolves the unit of `x` (from the `unit` metadata of the columns it is made of) and calls
//! `in_unit(x, 'target', 'source')`; called with two arguments, the function takes the source unit from the
//! `unit` metadata of its first argument's field. The result field carries the target unit in its metadata,
//! so it reaches the output writers.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::Float64Array;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err, plan_datafusion_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::is_numeric;
use crate::units;

/// The Arrow field metadata key holding a column's VOUnit.
pub const UNIT_KEY: &str = "unit";

/// `in_unit(x, target [, source])`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InUnitFunc {
    signature: Signature,
}

impl InUnitFunc {
    /// The function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for InUnitFunc {
    fn default() -> Self {
        Self::new()
    }
}

fn literal_string(value: Option<&ScalarValue>) -> Option<String> {
    match value? {
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => s.clone(),
        _ => None,
    }
}

/// The source and target units and the factor between them.
fn factor(source: Option<String>, target: Option<String>) -> Result<f64> {
    let Some(target) = target else {
        return plan_err!("IN_UNIT needs a unit string literal as its second argument");
    };
    let Some(source) = source.filter(|s| !s.trim().is_empty()) else {
        return plan_err!("IN_UNIT: the value has no unit to convert from");
    };
    units::conversion_factor(&source, &target).map_err(|err| plan_datafusion_err!("IN_UNIT: {err}"))
}

fn source_unit(fields: &[FieldRef], scalars: &[Option<&ScalarValue>]) -> Option<String> {
    match scalars.get(2) {
        Some(source) => literal_string(*source),
        None => fields
            .first()
            .and_then(|f| f.metadata().get(UNIT_KEY).cloned()),
    }
}

impl ScalarUDFImpl for InUnitFunc {
    fn name(&self) -> &str {
        "in_unit"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let string =
            |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
        match arg_types {
            [x, ..] if !is_numeric(x) => plan_err!("IN_UNIT expects a numeric value, got {x}"),
            [_, unit] if string(unit) => Ok(vec![DataType::Float64, DataType::Utf8]),
            [_, unit, source] if string(unit) && string(source) => {
                Ok(vec![DataType::Float64, DataType::Utf8, DataType::Utf8])
            }
            [_, _] | [_, _, _] => plan_err!("IN_UNIT expects a unit string"),
            _ => plan_err!("IN_UNIT takes 2 arguments, got {}", arg_types.len()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let target = literal_string(args.scalar_arguments.get(1).copied().flatten());
        factor(
            source_unit(args.arg_fields, args.scalar_arguments),
            target.clone(),
        )?;
        let nullable = args.arg_fields.first().is_none_or(|f| f.is_nullable());
        let metadata: HashMap<String, String> = target
            .into_iter()
            .map(|t| (UNIT_KEY.to_owned(), t))
            .collect();
        Ok(Arc::new(
            Field::new(self.name(), DataType::Float64, nullable).with_metadata(metadata),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = |i: usize| match args.args.get(i) {
            Some(ColumnarValue::Scalar(s)) => Some(s.clone()),
            _ => None,
        };
        let (target, source) = (scalar(1), scalar(2));
        let source = match &source {
            Some(s) => literal_string(Some(s)),
            None => args
                .arg_fields
                .first()
                .and_then(|f| f.metadata().get(UNIT_KEY).cloned()),
        };
        let factor = factor(source, literal_string(target.as_ref()))?;
        match args.args.first() {
            Some(ColumnarValue::Array(values)) => {
                let values = cast(values, &DataType::Float64)?;
                let Some(values) = values.as_any().downcast_ref::<Float64Array>() else {
                    return exec_err!("IN_UNIT: expected doubles");
                };
                let converted: Float64Array =
                    values.iter().map(|v| v.map(|v| v * factor)).collect();
                Ok(ColumnarValue::Array(Arc::new(converted)))
            }
            Some(ColumnarValue::Scalar(value)) => {
                let value = value.cast_to(&DataType::Float64)?;
                match value {
                    ScalarValue::Float64(v) => Ok(ColumnarValue::Scalar(ScalarValue::Float64(
                        v.map(|v| v * factor),
                    ))),
                    other => exec_err!("IN_UNIT: expected a double, got {other}"),
                }
            }
            None => exec_err!("IN_UNIT: missing value"),
        }
    }
}
