//! `Engine`: the federated engine as Python sees it — services, local tables, queries.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use adql_federation::{Catalogue, EngineOptions, LoadOptions, OverflowPolicy};
use arrow_array::RecordBatchReader;
use arrow_array::ffi_stream::ArrowArrayStreamReader;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::blocking::wait;
use crate::errors::{AdqlError, federation_error};
use crate::result::NativeResult;

/// The federated ADQL engine (see the package documentation).
#[pyclass(module = "adql._adql", frozen)]
pub(crate) struct Engine {
    engine: Arc<adql_federation::Engine>,
    runtime: Arc<Runtime>,
}

/// `services` as `NAME=URL` entries: a mapping of names to URLs, or a list of `"NAME=URL"` strings.
fn service_specs(services: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(services) = services else {
        return Ok(Vec::new());
    };
    if let Ok(map) = services.cast::<pyo3::types::PyDict>() {
        return map
            .iter()
            .map(|(k, v)| {
                Ok(format!(
                    "{}={}",
                    k.extract::<String>()?,
                    v.extract::<String>()?
                ))
            })
            .collect();
    }
    services.extract::<Vec<String>>().map_err(|_| {
        PyTypeError::new_err("services: a dict of name to URL, or a list of \"NAME=URL\"")
    })
}

/// `config` as a list of paths: one path or several.
fn config_paths(config: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PathBuf>> {
    let Some(config) = config else {
        return Ok(Vec::new());
    };
    if let Ok(one) = config.extract::<PathBuf>() {
        return Ok(vec![one]);
    }
    config
        .extract::<Vec<PathBuf>>()
        .map_err(|_| PyTypeError::new_err("config: a path, or a list of paths"))
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(signature = (services = None, config = None, maxrec = None, timeout = None,
                        on_overflow = "split", max_remote_rows = None, user_config = true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        services: Option<&Bound<'_, PyAny>>,
        config: Option<&Bound<'_, PyAny>>,
        maxrec: Option<u64>,
        timeout: Option<f64>,
        on_overflow: &str,
        max_remote_rows: Option<u64>,
        user_config: bool,
    ) -> PyResult<Self> {
        let catalogue = Catalogue::load(&LoadOptions {
            user_config,
            config_files: config_paths(config)?,
            services: service_specs(services)?,
        })
        .map_err(|e| federation_error(&e, ""))?;
        let overflow: OverflowPolicy = on_overflow.parse().map_err(|_| {
            PyValueError::new_err(format!(
                "on_overflow {on_overflow:?}: expected \"split\" or \"fail\""
            ))
        })?;
        let timeout = match timeout {
            Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(PyValueError::new_err(format!(
                    "timeout {s}: expected a positive number of seconds"
                )));
            }
            None => None,
        };
        let options = EngineOptions {
            maxrec,
            timeout,
            overflow,
            max_remote_rows: match max_remote_rows {
                Some(0) => None,
                Some(n) => Some(n),
                None => Some(adql_federation::DEFAULT_MAX_REMOTE_ROWS),
            },
            ..EngineOptions::default()
        };
        let engine = adql_federation::Engine::from_env(catalogue, options)
            .map_err(|e| federation_error(&e, ""))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("adql")
            .build()
            .map_err(|e| AdqlError::new_err(format!("cannot start the engine's runtime: {e}")))?;
        Ok(Self {
            engine: Arc::new(engine),
            runtime: Arc::new(runtime),
        })
    }

    /// Plans `adql`: the rows come when the result is read.
    fn query(&self, py: Python<'_>, adql: String) -> PyResult<NativeResult> {
        let engine = Arc::clone(&self.engine);
        let text = adql.clone();
        let frame = wait(py, &self.runtime, async move { engine.query(&text).await })?
            .map_err(|e| federation_error(&e, &adql))?;
        Ok(NativeResult::new(frame, adql, Arc::clone(&self.runtime)))
    }

    /// How `adql` would run: the ADQL sent to each service and the plans.
    fn explain(&self, py: Python<'_>, adql: String) -> PyResult<String> {
        let engine = Arc::clone(&self.engine);
        let text = adql.clone();
        let explained = wait(py, &self.runtime, async move {
            engine.explain(&text).await.map(|e| e.to_string())
        })?;
        explained.map_err(|e| federation_error(&e, &adql))
    }

    /// Registers `table` (anything with `__arrow_c_stream__`: a pyarrow Table or RecordBatchReader, a polars
    /// DataFrame, …) as the local table `name`, read whole now.
    fn register_table(&self, name: &str, table: &Bound<'_, PyAny>) -> PyResult<()> {
        let reader = ArrowArrayStreamReader::from_pyarrow_bound(table)?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<RecordBatch>, _>>()
            .map_err(|e| PyValueError::new_err(format!("table {name}: {e}")))?;
        let provider = MemTable::try_new(schema, vec![batches])
            .map_err(|e| PyValueError::new_err(format!("table {name}: {e}")))?;
        self.engine
            .register_table(name, Arc::new(provider))
            .map_err(|e| federation_error(&e, ""))
    }

    /// Registers the file at `path` (Parquet, CSV, VOTable; by its extension) as the local table `name`,
    /// with `units` (column → unit) for files that carry none.
    #[pyo3(signature = (name, path, units = None))]
    fn register_file(
        &self,
        py: Python<'_>,
        name: String,
        path: PathBuf,
        units: Option<std::collections::HashMap<String, String>>,
    ) -> PyResult<()> {
        let engine = Arc::clone(&self.engine);
        let units: Vec<(String, String)> = units.unwrap_or_default().into_iter().collect();
        wait(py, &self.runtime, async move {
            engine.register_file(&name, &path, &units).await
        })?
        .map_err(|e| federation_error(&e, ""))
    }

    /// Removes the local table `name`; whether there was one.
    fn deregister_table(&self, name: &str) -> bool {
        self.engine.deregister_table(name).is_some()
    }

    /// The tables of the TAP service `service` as a pyarrow Table: schema, table, description, rows (as the
    /// service declares them) and number of columns.
    fn tables<'py>(&self, py: Python<'py>, service: String) -> PyResult<Bound<'py, PyAny>> {
        let engine = Arc::clone(&self.engine);
        let name = service.clone();
        let tables = wait(py, &self.runtime, async move {
            engine.service_tables(&name).await
        })?
        .map_err(|e| federation_error(&e, ""))?;
        let text = |f: &dyn Fn(&adql_federation::TableMetadata) -> Option<String>| -> ArrayRef {
            Arc::new(tables.iter().map(f).collect::<StringArray>())
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new("schema", DataType::Utf8, true),
            Field::new("table", DataType::Utf8, true),
            Field::new("description", DataType::Utf8, true),
            Field::new("rows", DataType::UInt64, true),
            Field::new("columns", DataType::UInt64, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            text(&|t| Some(t.schema_name())),
            text(&|t| Some(t.table_name())),
            text(&|t| t.description.clone()),
            Arc::new(tables.iter().map(|t| t.rows).collect::<UInt64Array>()),
            Arc::new(
                tables
                    .iter()
                    .map(|t| Some(t.columns.len() as u64))
                    .collect::<UInt64Array>(),
            ),
        ];
        let batch =
            RecordBatch::try_new(schema, columns).map_err(|e| AdqlError::new_err(e.to_string()))?;
        let pyarrow = py.import("pyarrow")?;
        pyarrow
            .getattr("Table")?
            .call_method1("from_batches", (vec![batch.to_pyarrow(py)?],))
    }

    /// The names of the configured services.
    fn services(&self) -> Vec<String> {
        self.engine
            .catalogue()
            .services()
            .map(|s| s.name.clone())
            .collect()
    }
}
