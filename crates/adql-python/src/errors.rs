//! The exceptions of the package, and how the engine's errors become them: a query error with the line and
//! column where it starts, a remote failure with the service and URL, an answer cut at a row limit.

use adql_federation::FederationError;
use adql_syntax::{AdqlVersion, ParseError, ParseOptions};
use datafusion::error::DataFusionError;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(adql, AdqlError, PyException, "Any error of adql.");
create_exception!(
    adql,
    AdqlSyntaxError,
    AdqlError,
    "A query that is not valid ADQL, or names what does not exist; `line` and `column` (1-based) say where."
);
create_exception!(
    adql,
    RemoteError,
    AdqlError,
    "A service failed; `service` and `url` name it."
);
create_exception!(
    adql,
    OverflowError,
    AdqlError,
    "A remote answer reached a row limit (MAXREC, or the engine's max_remote_rows): its rows are not all there."
);

/// The parser options of an ADQL version (`"2.0"` or `"2.1"`).
pub(crate) fn parse_options(version: &str) -> PyResult<ParseOptions> {
    let version: AdqlVersion = version.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "ADQL version {version:?}: expected \"2.0\" or \"2.1\""
        ))
    })?;
    Ok(ParseOptions {
        version,
        ..ParseOptions::default()
    })
}

/// An exception of type `T` with `message` and the attributes `attrs` set.
fn raise<T: pyo3::PyTypeInfo>(message: String, attrs: &[(&str, Option<Py<PyAny>>)]) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::new::<T, _>(message);
        let value = err.value(py);
        for (name, v) in attrs {
            // Setting an attribute on a fresh exception object does not fail.
            let _ = value.setattr(*name, v.as_ref().map(|v| v.bind(py).clone()));
        }
        err
    })
}

fn position(line_col: Option<(usize, usize)>) -> [(&'static str, Option<Py<PyAny>>); 2] {
    Python::attach(|py| {
        let num = |n: usize| n.into_pyobject(py).ok().map(|v| v.into_any().unbind());
        [
            ("line", line_col.and_then(|(l, _)| num(l))),
            ("column", line_col.and_then(|(_, c)| num(c))),
        ]
    })
}

fn text(value: &str) -> Option<Py<PyAny>> {
    Python::attach(|py| value.into_pyobject(py).ok().map(|v| v.into_any().unbind()))
}

/// A syntax error of `query`.
pub(crate) fn syntax_error(e: &ParseError, query: &str) -> PyErr {
    let (line, column) = e.line_col(query);
    raise::<AdqlSyntaxError>(
        format!("line {line}, column {column}: {}", e.message()),
        &position(Some((line, column))),
    )
}

/// The exception for an error of the engine running `query`.
pub(crate) fn federation_error(e: &FederationError, query: &str) -> PyErr {
    match e {
        FederationError::Query(inner) => {
            let at = inner.line_column(query);
            let message = match at {
                Some((line, column)) => format!("line {line}, column {column}: {inner}"),
                None => inner.to_string(),
            };
            // An error in the engine's execution (not the query's text) may carry a remote failure.
            if at.is_none()
                && let adql_engine::EngineError::Execution(df) = inner.as_ref()
                && let Some(found) = FederationError::find_in(df)
            {
                return federation_error(found, query);
            }
            if at.is_some() {
                raise::<AdqlSyntaxError>(message, &position(at))
            } else {
                raise::<AdqlError>(message, &[])
            }
        }
        FederationError::Remote { service, url, .. } => raise::<RemoteError>(
            e.to_string(),
            &[("service", text(service)), ("url", text(url))],
        ),
        FederationError::Overflow { service, url, .. }
        | FederationError::OverflowNotSplit { service, url, .. }
        | FederationError::TooLarge { service, url, .. } => raise::<OverflowError>(
            e.to_string(),
            &[("service", text(service)), ("url", text(url))],
        ),
        FederationError::DataFusion(df) => match FederationError::find_in(df) {
            Some(found) => federation_error(found, query),
            None => raise::<AdqlError>(df.to_string(), &[]),
        },
        FederationError::Client(client) => client_error(client),
        other => raise::<AdqlError>(other.to_string(), &[]),
    }
}

/// The exception for an error met while rows streamed.
pub(crate) fn datafusion_error(e: &DataFusionError, query: &str) -> PyErr {
    match FederationError::find_in(e) {
        Some(found) => federation_error(found, query),
        None => raise::<AdqlError>(e.to_string(), &[]),
    }
}

fn client_error(e: &vo_client::Error) -> PyErr {
    raise::<RemoteError>(e.to_string(), &[])
}
