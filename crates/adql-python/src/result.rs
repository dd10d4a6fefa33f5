//! `NativeResult`: a planned query whose rows are read on demand — all at once as pyarrow record batches
//! (`batches`), or one batch at a time (iteration), each handed over through the Arrow C data interface.

use std::sync::{Arc, Mutex};

use arrow_pyarrow::ToPyArrow;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::blocking::wait;
use crate::errors::datafusion_error;

/// The rows of one query (see the [module](self)).
#[pyclass(module = "adql._adql", frozen)]
pub(crate) struct NativeResult {
    frame: DataFrame,
    adql: String,
    runtime: Arc<Runtime>,
    /// The stream being iterated, once iteration started.
    stream: Mutex<Option<SendableRecordBatchStream>>,
}

impl NativeResult {
    pub(crate) fn new(frame: DataFrame, adql: String, runtime: Arc<Runtime>) -> Self {
        Self {
            frame,
            adql,
            runtime,
            stream: Mutex::new(None),
        }
    }
}

#[pymethods]
impl NativeResult {
    /// The query text.
    #[getter]
    fn adql(&self) -> &str {
        &self.adql
    }

    /// The schema of the rows, as a pyarrow Schema (units, UCDs and descriptions in field metadata).
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.frame.schema().as_arrow().to_pyarrow(py)
    }

    /// Runs the query and returns every row as a list of pyarrow RecordBatches (no row is copied).
    fn batches<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let frame = self.frame.clone();
        let batches = wait(py, &self.runtime, frame.collect())?
            .map_err(|e| datafusion_error(&e, &self.adql))?;
        batches.iter().map(|b| b.to_pyarrow(py)).collect()
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next pyarrow RecordBatch, the query started at the first.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        // Never wait for the lock while holding the GIL: the thread reading would need the GIL back.
        let mut guard = self
            .stream
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err("the result is being read by another thread"))?;
        if guard.is_none() {
            let frame = self.frame.clone();
            let stream = wait(py, &self.runtime, frame.execute_stream())?
                .map_err(|e| datafusion_error(&e, &self.adql))?;
            *guard = Some(stream);
        }
        let Some(stream) = guard.as_mut() else {
            return Ok(None);
        };
        match wait(py, &self.runtime, stream.next())? {
            Some(Ok(batch)) => Ok(Some(batch.to_pyarrow(py)?)),
            Some(Err(e)) => {
                *guard = None;
                Err(datafusion_error(&e, &self.adql))
            }
            None => Ok(None),
        }
    }
}
