//! A batch column prepared for writing, shared by the TABLEDATA and BINARY2 cell writers.
//!
//! Its values are cast to the planned Arrow type once per batch; a cell is a range of them.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;

use super::plan::{Plan, Shape, inconsistent};
use crate::error::{Error, Result};

/// A column of a batch prepared for writing: the original array (for nulls) and its
/// values cast to the writing type.
pub(super) struct Col {
    /// The column as given (its nulls are the cells' nulls).
    pub(super) array: ArrayRef,
    /// Leaf values (the list child for arrays).
    pub(super) values: ArrayRef,
    /// Element ranges of list cells.
    offsets: Option<Vec<usize>>,
}

/// `a` cast to `to`, failing rather than nulling values that do not fit.
fn cast_to(a: &dyn Array, to: &DataType) -> std::result::Result<ArrayRef, String> {
    if a.data_type() == to {
        return Ok(arrow_array::make_array(a.to_data()));
    }
    let opts = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow_cast::cast_with_options(a, to, &opts).map_err(|e| e.to_string())
}

impl Col {
    /// Prepares `array`, written as `plan` says.
    pub(super) fn new(array: &ArrayRef, plan: &Plan) -> Result<Col> {
        let err = |m: String| Error::Write {
            column: plan.name.clone(),
            message: m,
        };
        let (values, offsets) = match (array.data_type(), &plan.shape) {
            (DataType::FixedSizeList(_, n), Shape::Fixed(_))
            | (DataType::FixedSizeList(_, n), Shape::Complex)
                if plan.shape != Shape::Complex || *n == 2 =>
            {
                let l = array.as_fixed_size_list();
                let n = usize::try_from(*n).unwrap_or(0);
                let mut child = l.values().clone();
                let mut scale = 1;
                if let DataType::FixedSizeList(..) = child.data_type() {
                    // Complex elements: flatten to their components.
                    child = child.as_fixed_size_list().values().clone();
                    scale = 2;
                }
                let per_row = if plan.shape == Shape::Complex {
                    2
                } else {
                    n * scale
                };
                let offsets = (0..=l.len()).map(|i| i * per_row).collect();
                (cast_to(&child, &plan.target).map_err(err)?, Some(offsets))
            }
            (DataType::List(_) | DataType::LargeList(_), _) => {
                let list = if let DataType::LargeList(f) = array.data_type() {
                    cast_to(array, &DataType::List(Arc::clone(f))).map_err(err)?
                } else {
                    Arc::clone(array)
                };
                let l = list.as_list::<i32>();
                let mut child = l.values().clone();
                let mut scale = 1;
                if let DataType::FixedSizeList(..) = child.data_type() {
                    child = child.as_fixed_size_list().values().clone();
                    scale = 2;
                }
                let offsets = l
                    .value_offsets()
                    .iter()
                    .map(|o| usize::try_from(*o).unwrap_or(0) * scale)
                    .collect();
                (cast_to(&child, &plan.target).map_err(err)?, Some(offsets))
            }
            (DataType::ListView(_) | DataType::LargeListView(_), _) => {
                let item = match array.data_type() {
                    DataType::ListView(f) | DataType::LargeListView(f) => Arc::clone(f),
                    _ => return Err(inconsistent(&plan.name)),
                };
                let list = cast_to(array, &DataType::List(item)).map_err(err)?;
                return Col::new(&list, plan).map(|mut c| {
                    c.array = Arc::clone(array);
                    c
                });
            }
            _ => (cast_to(array, &plan.target).map_err(err)?, None),
        };
        Ok(Col {
            array: Arc::clone(array),
            values,
            offsets,
        })
    }

    /// The leaf values of cell `row`: its element range, or the row itself for scalars.
    pub(super) fn range(&self, row: usize) -> (usize, usize) {
        match &self.offsets {
            Some(o) => (
                o.get(row).copied().unwrap_or(0),
                o.get(row + 1).copied().unwrap_or(0),
            ),
            None => (row, row + 1),
        }
    }

    /// Leaf value `i` as a string (empty when null or out of range).
    pub(super) fn string(&self, i: usize) -> &str {
        let s = self.values.as_string::<i32>();
        if i < s.len() && s.is_valid(i) {
            s.value(i)
        } else {
            ""
        }
    }
}

/// The error of a cell that cannot be written, naming its column and row.
pub(super) fn write_err(plan: &Plan, row: u64, message: String) -> Error {
    Error::Write {
        column: plan.name.clone(),
        message: format!("row {row}: {message}"),
    }
}
