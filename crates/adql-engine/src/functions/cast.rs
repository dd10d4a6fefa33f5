//! What `CAST` needs beyond DataFusion's cast (ADQL 2.1 §4.9.1), and the ADQL case conversions.
//!
//! - `adql_rint(x)`: a floating-point `x` rounded to the nearest integer, ties to even; any other type
//!   unchanged. `CAST(x AS SMALLINT|INTEGER|BIGINT)` is lowered to a cast of `adql_rint(x)`: the standard
//!   leaves the rounding of approximate numbers implementation-dependent, DataFusion's cast truncates, and
//!   PostgreSQL (so DaCHS, the reference) rounds to nearest with ties to even (`rint`). We round like the
//!   reference, so `CAST(0.75 AS INTEGER)` is 1 and `CAST(2.5 AS INTEGER)` is 2.
//! - `adql_cast_point(s)`, `adql_cast_circle(s)`, `adql_cast_polygon(s)`: `CAST(s AS POINT|CIRCLE|POLYGON)`
//!   of a DALI string (`'12.3 45.6'`, `'12.3 45.6 1.0'`, `'1 0.1 2 0.2 3 0.3'`), the optional geometry
//!   casts of ADQL 2.1 §4.9.1.
//! - `upper(s)` and `lower(s)` replace DataFusion's: ADQL converts "in accordance with the rules of the
//!   database's locale", and the reference (PostgreSQL with the C.UTF-8 locale) maps every character on its
//!   own (the simple case mapping), never changing the length: `UPPER('straße')` is `STRAßE`, not
//!   `STRASSE`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::geometry::types::{GeomKind, decode_geometry};

/// The functions of this module, ready to register.
pub fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(RintFunc::new())),
        Arc::new(ScalarUDF::from(GeometryCastFunc::new(GeomKind::Point))),
        Arc::new(ScalarUDF::from(GeometryCastFunc::new(GeomKind::Circle))),
        Arc::new(ScalarUDF::from(GeometryCastFunc::new(GeomKind::Polygon))),
        Arc::new(ScalarUDF::from(CaseFunc::new(true))),
        Arc::new(ScalarUDF::from(CaseFunc::new(false))),
    ]
}

/// Name of the function applied before a cast to an integer type.
pub const RINT: &str = "adql_rint";

/// Name of the function casting DALI text to `kind`.
pub fn geometry_cast_name(kind: GeomKind) -> &'static str {
    match kind {
        GeomKind::Point => "adql_cast_point",
        GeomKind::Circle => "adql_cast_circle",
        GeomKind::Polygon | GeomKind::Region => "adql_cast_polygon",
    }
}

fn finish(array: ArrayRef, all_scalar: bool) -> Result<ColumnarValue> {
    if all_scalar && array.len() == 1 {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?));
    }
    Ok(ColumnarValue::Array(array))
}

fn all_scalar(args: &[ColumnarValue]) -> bool {
    args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)))
}

/// `adql_rint(x)`: see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RintFunc {
    signature: Signature,
}

impl RintFunc {
    /// The function, registered as [`RINT`].
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl Default for RintFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for RintFunc {
    fn name(&self) -> &str {
        RINT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [t] => Ok(t.clone()),
            _ => plan_err!("{RINT} takes one argument"),
        }
    }

    /// Only floating-point values need rounding: for any other argument the call is the argument itself, so
    /// that optimised plans (and the ADQL the federation generates from them) keep a plain CAST.
    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        match args.as_slice() {
            [arg]
                if !matches!(
                    info.get_data_type(arg)?,
                    DataType::Float16 | DataType::Float32 | DataType::Float64
                ) =>
            {
                Ok(ExprSimplifyResult::Simplified(arg.clone()))
            }
            _ => Ok(ExprSimplifyResult::Original(args)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let Some(arg) = args.args.first() else {
            return exec_err!("{RINT} takes one argument");
        };
        let array = arg.to_array(args.number_rows)?;
        let out: ArrayRef = match array.data_type() {
            DataType::Float64 => Arc::new(
                array
                    .as_primitive::<Float64Type>()
                    .unary::<_, Float64Type>(f64::round_ties_even),
            ),
            DataType::Float32 => Arc::new(
                array
                    .as_primitive::<Float32Type>()
                    .unary::<_, Float32Type>(f32::round_ties_even),
            ),
            DataType::Float16 => {
                let wide = cast(&array, &DataType::Float64)?;
                let rounded = wide
                    .as_primitive::<Float64Type>()
                    .unary::<_, Float64Type>(f64::round_ties_even);
                cast(&rounded, &DataType::Float16)?
            }
            _ => array,
        };
        finish(out, scalar)
    }
}

/// `adql_cast_point|circle|polygon(s)`: DALI text to a geometry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct GeometryCastFunc {
    kind: GeomKind,
    signature: Signature,
}

impl GeometryCastFunc {
    /// The cast to `kind` (POINT, CIRCLE or POLYGON).
    pub fn new(kind: GeomKind) -> Self {
        Self {
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for GeometryCastFunc {
    fn name(&self) -> &str {
        geometry_cast_name(self.kind)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null] => {
                Ok(vec![DataType::Utf8])
            }
            [other] => plan_err!(
                "CAST to {} takes a character string in DALI form, not {other}",
                self.kind.xtype().to_uppercase()
            ),
            _ => plan_err!("CAST takes one value"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.kind.data_type())
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        super::simplify_checked(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let Some(arg) = args.args.first() else {
            return exec_err!("CAST takes one value");
        };
        let array = cast(&arg.to_array(args.number_rows)?, &DataType::Utf8)?;
        match decode_geometry(&array, self.kind, 0) {
            Ok(out) => finish(out, scalar),
            Err(e) => exec_err!("CAST: to {}: {e}", self.kind.xtype().to_uppercase()),
        }
    }
}

/// `upper(s)` / `lower(s)` with one-to-one character mapping (see the module documentation).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CaseFunc {
    upper: bool,
    signature: Signature,
}

impl CaseFunc {
    /// `upper` when `upper`, else `lower`.
    pub fn new(upper: bool) -> Self {
        Self {
            upper,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// `c` converted by its simple (one-character) case mapping. Rust gives the full mapping; where that is
    /// several characters, the simple upper-case mapping is the character itself (`ß`, ligatures) and the
    /// simple lower-case one the first character (`İ` → `i`, the only such case).
    fn convert(&self, c: char) -> char {
        if self.upper {
            let mut mapped = c.to_uppercase();
            match (mapped.next(), mapped.next()) {
                (Some(single), None) => single,
                _ => c,
            }
        } else {
            c.to_lowercase().next().unwrap_or(c)
        }
    }
}

impl ScalarUDFImpl for CaseFunc {
    fn name(&self) -> &str {
        if self.upper { "upper" } else { "lower" }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            // ADQL's one value grammar lets LOWER(123) parse; like PostgreSQL, it is the text of the number.
            [_] => Ok(vec![DataType::Utf8]),
            _ => plan_err!(
                "{} takes one argument, got {}",
                self.name().to_uppercase(),
                arg_types.len()
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = all_scalar(&args.args);
        let Some(arg) = args.args.first() else {
            return exec_err!("{} takes one argument", self.name());
        };
        let array = cast(&arg.to_array(args.number_rows)?, &DataType::Utf8)?;
        let strings = array.as_string::<i32>();
        let out: StringArray = strings
            .iter()
            .map(|s| {
                s.map(|s| {
                    if s.is_ascii() {
                        if self.upper {
                            s.to_ascii_uppercase()
                        } else {
                            s.to_ascii_lowercase()
                        }
                    } else {
                        s.chars().map(|c| self.convert(c)).collect::<String>()
                    }
                })
            })
            .collect();
        finish(Arc::new(out), scalar)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn case_maps_one_character_to_one() {
        let upper = CaseFunc::new(true);
        let lower = CaseFunc::new(false);
        assert_eq!(upper.convert('ß'), 'ß');
        assert_eq!(upper.convert('é'), 'É');
        assert_eq!(lower.convert('Σ'), 'σ');
        assert_eq!(lower.convert('İ'), 'i');
    }
}
