//! `adql._adql`: the native part of the `adql` Python package, a thin layer over [`adql_federation::Engine`].
//!
//! The Python package (`python/adql`) wraps these classes: [`engine::Engine`] plans and runs queries,
//! [`result::NativeResult`] hands their rows to pyarrow through the Arrow C data interface (no row is
//! copied), and the exceptions of [`errors`] carry the line and column of a query error or the service and
//! URL of a remote one. Every call that waits releases the GIL and is stopped by Ctrl-C ([`blocking`]).

mod blocking;
mod engine;
mod errors;
mod result;

use pyo3::prelude::*;

/// Checks `query` (ADQL 2.1, or 2.0 with `version="2.0"`); raises `AdqlSyntaxError` when it is not valid.
#[pyfunction]
#[pyo3(signature = (query, version = "2.1"))]
fn check(query: &str, version: &str) -> PyResult<()> {
    adql_syntax::parse_with(query, &errors::parse_options(version)?)
        .map(|_| ())
        .map_err(|e| errors::syntax_error(&e, query))
}

/// The canonical form of `query`; raises `AdqlSyntaxError` when it is not valid.
#[pyfunction]
#[pyo3(signature = (query, version = "2.1"))]
fn fmt(query: &str, version: &str) -> PyResult<String> {
    adql_syntax::parse_with(query, &errors::parse_options(version)?)
        .map(|q| q.to_string())
        .map_err(|e| errors::syntax_error(&e, query))
}

#[pymodule]
fn _adql(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<engine::Engine>()?;
    m.add_class::<result::NativeResult>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(fmt, m)?)?;
    m.add("AdqlError", py.get_type::<errors::AdqlError>())?;
    m.add("AdqlSyntaxError", py.get_type::<errors::AdqlSyntaxError>())?;
    m.add("RemoteError", py.get_type::<errors::RemoteError>())?;
    m.add("OverflowError", py.get_type::<errors::OverflowError>())?;
    Ok(())
}
