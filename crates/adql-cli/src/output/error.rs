//! [`OutputError`]: what can go wrong while writing results.

/// Errors while writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The destination could not be written.
    #[error("cannot write the result: {0}")]
    Io(#[from] std::io::Error),
    /// Arrow refused the data for this format.
    #[error("cannot write the result as {format}: {source}")]
    Arrow {
        /// The format being written.
        format: &'static str,
        /// Arrow's error.
        source: arrow::error::ArrowError,
    },
    /// The Parquet writer failed.
    #[error("cannot write the result as parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// The VOTable writer failed.
    #[error("cannot write the result as votable: {0}")]
    Votable(#[from] votable_arrow::Error),
}

impl OutputError {
    /// Whether the error is a closed pipe on the destination (`adql query ... | head`).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            OutputError::Io(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            OutputError::Arrow {
                source: arrow::error::ArrowError::IoError(_, e),
                ..
            } => e.kind() == std::io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

pub(crate) fn arrow_err(
    format: &'static str,
) -> impl FnOnce(arrow::error::ArrowError) -> OutputError {
    move |source| OutputError::Arrow { format, source }
}
