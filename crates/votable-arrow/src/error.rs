//! The crate's error type.

use std::sync::Arc;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading or writing a VOTable.
///
/// Errors are terminal for a reader: after an error the reader yields nothing more.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The XML itself is malformed (or uses a construct this reader refuses, such as a
    /// custom entity reference).
    #[error("XML error at byte {position}: {message}")]
    Xml {
        /// Byte offset in the document, approximately where the problem was seen.
        position: u64,
        /// What is wrong.
        message: String,
    },
    /// The document is valid XML but not a VOTable this reader understands.
    #[error("invalid VOTable at byte {position}: {message}")]
    Invalid {
        /// Byte offset in the document.
        position: u64,
        /// What is wrong.
        message: String,
    },
    /// A FIELD declaration cannot be turned into an Arrow column.
    #[error("FIELD {field:?}: {message}")]
    Schema {
        /// The VOTable name of the FIELD.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A table cell cannot be decoded.
    #[error("row {row}, field {field:?}: {message}")]
    Field {
        /// Zero-based row number within the table.
        row: u64,
        /// The VOTable name of the FIELD.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The input ended before the document (or a BINARY stream) was complete.
    #[error("truncated VOTable: {0}")]
    Truncated(String),
    /// A configured limit was exceeded (hostile or unexpectedly large input).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// The service answered with an error document (`QUERY_STATUS=ERROR` without data,
    /// or a Simple Cone Search `INFO`/`PARAM name="Error"`).
    #[error("service error: {0}")]
    ServiceError(String),
    /// The document holds no table matching the selection.
    #[error("no matching TABLE in the VOTable document")]
    NoTable,
    /// A valid VOTable feature this crate does not implement (FITS serialisation,
    /// external `STREAM href`).
    #[error("unsupported VOTable feature: {0}")]
    Unsupported(String),
    /// An Arrow type or value the writer cannot express in VOTable.
    #[error("cannot write column {column:?}: {message}")]
    Write {
        /// Arrow column name.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// Arrow refused to assemble a batch.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Reading or writing the underlying stream failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn xml(position: u64, message: impl Into<String>) -> Self {
        Error::Xml {
            position,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(position: u64, message: impl Into<String>) -> Self {
        Error::Invalid {
            position,
            message: message.into(),
        }
    }

    pub(crate) fn field(row: u64, field: &str, message: impl Into<String>) -> Self {
        Error::Field {
            row,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Converts a quick-xml error, recognising the budget guard of [`crate::source`]
    /// and plain I/O failures so they keep their own variants.
    pub(crate) fn from_quick_xml(err: quick_xml::Error, position: u64) -> Self {
        if let quick_xml::Error::Io(io) = &err {
            if let Some(limit) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<crate::source::BudgetExceeded>())
            {
                return Error::LimitExceeded(limit.to_string());
            }
            return Error::Io(std::io::Error::new(io.kind(), Arc::clone(io)));
        }
        Error::xml(position, err.to_string())
    }

    /// Converts an I/O error from the data phase, recognising the budget guard.
    pub(crate) fn from_io(err: std::io::Error) -> Self {
        if let Some(limit) = err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<crate::source::BudgetExceeded>())
        {
            return Error::LimitExceeded(limit.to_string());
        }
        Error::Io(err)
    }
}
