//! `xmatch_best(lon1, lat1, lon2, lat2, r)`: the marker of a best-match crossmatch join.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::types::is_number;

/// `1 = xmatch_best(a.ra, a.dec, b.ra, b.dec, r)` in the ON clause of a join keeps, for each row of the
/// table of the first position (`a`), only its nearest counterpart in the other table within `r` degrees.
/// The crossmatch rule ([`crate::crossmatch`]) plans it; it has no meaning row by row, so evaluating it
/// anywhere else is an error.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct XmatchBestFunc {
    signature: Signature,
}

impl XmatchBestFunc {
    /// The function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for XmatchBestFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for XmatchBestFunc {
    fn name(&self) -> &str {
        "xmatch_best"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() == 5 && arg_types.iter().all(is_number) {
            Ok(vec![DataType::Float64; 5])
        } else {
            plan_err!("XMATCH_BEST takes five numbers: lon1, lat1, lon2, lat2, radius (degrees)")
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!(
            "XMATCH_BEST is only valid as `1 = XMATCH_BEST(a.ra, a.dec, b.ra, b.dec, r)` in the ON clause of an inner or outer join between two tables"
        )
    }
}
