//! The error type of the command line and the exit code each error maps to.

use std::io;

use adql_federation::FederationError;

/// Exit code for a query that does not parse or is otherwise invalid.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit code for a usage error: a bad flag, an unreadable input, an unusable declaration.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code when a remote result was cut at MAXREC: the rows were written but are not all of them
/// (`adql tap`), or the query stopped (`--on-overflow fail`, a part over `--max-remote-rows`).
pub(crate) const EXIT_TRUNCATED: u8 = 3;
/// Exit code for a failure of a remote service or of the network (`adql tap`, `cone`, ...).
pub(crate) const EXIT_REMOTE: u8 = 4;
/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// Alias for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a subcommand.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ADQL query does not parse.
    #[error("{}: {}", .0.origin, .0.error)]
    Syntax(Box<SyntaxError>),
    /// An input (file or standard input) could not be read.
    #[error("cannot read {origin}: {source}")]
    Input {
        /// The file name, or `<stdin>`.
        origin: String,
        /// Why reading failed.
        #[source]
        source: io::Error,
    },
    /// Writing the results failed.
    #[error("cannot write the output: {0}")]
    Output(#[source] io::Error),
    /// The local engine could not plan or run the query, or register a table.
    #[error("{}: {}", .0.origin, .0.error)]
    Engine(Box<EngineFailure>),
    /// A flag or argument cannot be used.
    #[error("{0}")]
    Usage(String),
    /// A remote service or the network failed.
    #[error("{0}")]
    Remote(Box<vo_client::Error>),
    /// A TAP service refused the query with its own message (an ADQL error of its dialect): the query
    /// is wrong, not the network.
    #[error("{0}")]
    Refused(Box<vo_client::Error>),
    /// The service catalogue is wrong, or a service could not be described.
    #[error("{0}")]
    Federation(Box<adql_federation::FederationError>),
    /// `adql serve` could not start or stopped on an error.
    #[error("{0}")]
    Server(Box<adql_server::ServerError>),
    /// The user interrupted the command (Ctrl-C, SIGTERM); its remote jobs were deleted.
    #[error("interrupted")]
    Interrupted,
    /// Some files of `adql download` did not arrive: the summary names each one and why.
    #[error("{failed} of {total} files did not arrive:{report}")]
    Downloads {
        /// How many failed.
        failed: usize,
        /// How many were asked for.
        total: usize,
        /// One line per failure (URL: why), each starting with a newline.
        report: String,
    },
}

// Boxed because the client's error carries URLs and response excerpts, and every subcommand returns
// this type.
impl From<vo_client::Error> for Error {
    fn from(error: vo_client::Error) -> Self {
        Self::Remote(Box::new(error))
    }
}

/// A failure of the local engine, with the query text its position points into.
#[derive(Debug)]
pub struct EngineFailure {
    /// The file name, `<query>` or `<stdin>`.
    pub origin: String,
    /// The query text.
    pub text: String,
    /// The engine's error.
    pub error: adql_engine::EngineError,
}

/// A query that does not parse, with what is needed to show where.
#[derive(Debug)]
pub struct SyntaxError {
    /// The file name, or `<stdin>`.
    pub origin: String,
    /// The query text the error's span points into.
    pub text: String,
    /// The parser's error.
    pub error: adql_syntax::ParseError,
}

impl Error {
    /// `self`, with a TAP service's own error message (an error document, a failed job) as
    /// [`Error::Refused`].
    pub(crate) fn refused_by_tap(self) -> Self {
        match self {
            Self::Remote(error)
                if matches!(
                    *error,
                    vo_client::Error::Service { .. } | vo_client::Error::JobFailed { .. }
                ) =>
            {
                Self::Refused(error)
            }
            other => other,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Syntax(_) | Self::Refused(_) => EXIT_INVALID,
            Self::Engine(failure) => match &failure.error {
                adql_engine::EngineError::Table { .. } | adql_engine::EngineError::Name(_) => {
                    EXIT_USAGE
                }
                adql_engine::EngineError::Execution(error) => {
                    remote_cause(error).map_or(EXIT_INVALID, federation_exit_code)
                }
                _ => EXIT_INVALID,
            },
            Self::Federation(error) => federation_exit_code(error),
            Self::Input { .. } | Self::Output(_) | Self::Usage(_) | Self::Server(_) => EXIT_USAGE,
            Self::Interrupted => EXIT_INTERRUPTED,
            Self::Downloads { .. } => EXIT_REMOTE,
            Self::Remote(error) => match **error {
                vo_client::Error::InvalidInput(_) | vo_client::Error::Config(_) => EXIT_USAGE,
                _ => EXIT_REMOTE,
            },
        }
    }

    /// Whether this is a write to a closed pipe, which the binary treats as success.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Output(err) if err.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// The federated planner's error at the root of a DataFusion error, if that is where it came from (a
/// remote part failed while the query ran).
pub(crate) fn remote_cause(
    error: &datafusion::error::DataFusionError,
) -> Option<&adql_federation::FederationError> {
    match error.find_root() {
        datafusion::error::DataFusionError::External(inner) => inner.downcast_ref(),
        _ => None,
    }
}

fn federation_exit_code(error: &adql_federation::FederationError) -> u8 {
    use adql_federation::FederationError as F;
    match error {
        F::Overflow { .. } | F::OverflowNotSplit { .. } | F::TooLarge { .. } => EXIT_TRUNCATED,
        F::Remote { .. } | F::SchemaMismatch { .. } => EXIT_REMOTE,
        F::Client(error) => match **error {
            vo_client::Error::InvalidInput(_) | vo_client::Error::Config(_) => EXIT_USAGE,
            _ => EXIT_REMOTE,
        },
        F::Config { .. }
        | F::InvalidService { .. }
        | F::UnknownService { .. }
        | F::Cache { .. } => EXIT_USAGE,
        _ => EXIT_INVALID,
    }
}

/// A failure of the engine: the query's (positioned in `text`) or a service's.
pub(crate) fn query_error(error: FederationError, origin: &str, text: &str) -> Error {
    match error {
        FederationError::Query(error) => engine_error(*error, origin, text),
        error => Error::Federation(Box::new(error)),
    }
}

/// A failure of the local engine, positioned in `text` when it points into the query.
pub(crate) fn engine_error(error: adql_engine::EngineError, origin: &str, text: &str) -> Error {
    Error::Engine(Box::new(EngineFailure {
        origin: origin.to_owned(),
        text: text.to_owned(),
        error,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_recognised_only_on_output() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(Error::Output(pipe()).is_broken_pipe());
        assert!(
            !Error::Input {
                origin: "<stdin>".into(),
                source: pipe()
            }
            .is_broken_pipe()
        );
        assert!(!Error::Output(io::Error::from(io::ErrorKind::PermissionDenied)).is_broken_pipe());
    }

    #[test]
    fn io_errors_are_usage_errors() {
        let err = Error::Input {
            origin: "q.adql".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert_eq!(err.exit_code(), EXIT_USAGE);
        assert!(err.to_string().starts_with("cannot read q.adql: "));
    }
}
