//! The error type of the federated planner.

use std::path::PathBuf;

use adql_engine::EngineError;
use datafusion::error::DataFusionError;

/// Result with [`FederationError`].
pub type Result<T, E = FederationError> = std::result::Result<T, E>;

/// Everything that can go wrong in the federated planner. Remote failures name the service and
/// its URL, so that the user knows which archive to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// A configuration file could not be read or parsed.
    #[error("configuration {}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A `--service NAME=URL` argument (or a service entry) is malformed.
    #[error("invalid service `{spec}`: {message}")]
    InvalidService {
        /// The offending text.
        spec: String,
        /// What is wrong.
        message: String,
    },
    /// A survey's cone is not a cone on the sky.
    #[error("survey: {message}")]
    InvalidSurvey {
        /// What is wrong.
        message: String,
    },
    /// No service of that name is configured.
    #[error("unknown service `{name}` (known: {})", known.join(", "))]
    UnknownService {
        /// The name asked for.
        name: String,
        /// The configured services.
        known: Vec<String>,
    },
    /// No table of that name exists on any service.
    #[error("no table `{name}` on any configured service")]
    UnknownTable {
        /// The name asked for.
        name: String,
    },
    /// A table name matches tables of several services or schemas.
    #[error("table name `{name}` is ambiguous: it could be {}", candidates.join(", "))]
    AmbiguousTable {
        /// The name asked for.
        name: String,
        /// Every matching `service.schema.table`.
        candidates: Vec<String>,
    },
    /// The capability cache could not be read or written.
    #[error("capability cache {}: {message}", path.display())]
    Cache {
        /// The cache file or directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A request to a service failed.
    #[error("service {service} ({url}): {message}")]
    Remote {
        /// Service name.
        service: String,
        /// Service base URL.
        url: String,
        /// What the service or the transport said.
        message: String,
    },
    /// A remote part hit the service's row limit: its result would be silently short.
    #[error(
        "service {service} ({url}) truncated the result at {} rows (MAXREC); \
         the query part sent there was:\n{adql}",
        maxrec.map_or_else(|| "its limit of".to_string(), |m| m.to_string())
    )]
    Overflow {
        /// Service name.
        service: String,
        /// Service base URL.
        url: String,
        /// The row limit, when known.
        maxrec: Option<u64>,
        /// The ADQL query that overflowed.
        adql: String,
    },
    /// A remote part hit the service's row limit and could not be fetched completely in pieces
    /// (see the split rules in the crate documentation).
    #[error(
        "service {service} ({url}) truncated the result at {} rows (MAXREC) and the part could not \
         be split: {reason}; the query part sent there was:\n{adql}",
        maxrec.map_or_else(|| "its limit of".to_string(), |m| m.to_string())
    )]
    OverflowNotSplit {
        /// Service name.
        service: String,
        /// Service base URL.
        url: String,
        /// The row limit, when known.
        maxrec: Option<u64>,
        /// The ADQL query that overflowed.
        adql: String,
        /// Why it could not be split.
        reason: String,
    },
    /// A remote part could fetch more rows than the service's limit and nothing in the query bounds it.
    #[error(
        "service {service} ({url}): this part of the query would fetch {estimate} rows of {}, more than \
         the limit of {limit} (--max-remote-rows); bound it with a positional constraint \
         (1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', ...))), a selective filter, a TOP, or a join \
         with a smaller table, or raise the limit; the part was:\n{adql}",
        tables.join(", ")
    )]
    TooLarge {
        /// Service name.
        service: String,
        /// Service base URL.
        url: String,
        /// The tables the part reads.
        tables: Vec<String>,
        /// The rows counted (a lower bound when counting stopped past the limit).
        estimate: crate::row_count::RowCount,
        /// The limit.
        limit: u64,
        /// The part's ADQL.
        adql: String,
    },
    /// A remote result does not have the columns the plan expects.
    #[error("service {service} ({url}) returned {found} columns where {expected} were expected")]
    SchemaMismatch {
        /// Service name.
        service: String,
        /// Service base URL.
        url: String,
        /// Columns expected by the plan.
        expected: usize,
        /// Columns returned.
        found: usize,
    },
    /// A table of a service that answers only cone searches (SCS, the MAST Mashup) was queried
    /// without a cone on its position columns.
    #[error(
        "table {table} needs a position: service {service} answers only cone searches; \
         add {hint} to the WHERE clause"
    )]
    PositionRequired {
        /// Service name.
        service: String,
        /// The table, `service.schema.table`.
        table: String,
        /// The predicates that would give it a cone.
        hint: String,
    },
    /// A table that a service answers only for given values of one column (DataLink links, MAST product
    /// lists) was read without them.
    #[error(
        "table {table} needs values of {key}: service {service} answers only for given ones; add \
         WHERE {key} = '…' or {key} IN (…), or join it on {key} (as the inner side of the join) with the \
         rows whose values it should look up"
    )]
    KeyRequired {
        /// Service name.
        service: String,
        /// The table, `service.schema.table`.
        table: String,
        /// Its key column.
        key: String,
    },
    /// The query is invalid or could not be planned or run; planning errors carry their position in
    /// the ADQL text ([`FederationError::span`]).
    #[error(transparent)]
    Query(Box<EngineError>),
    /// An error of the local engine.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
    /// A service client failed outside a query (DataLink, MAST products): the error names the service and URL.
    #[error(transparent)]
    Client(Box<vo_client::Error>),
}

impl FederationError {
    /// The engine error inside `e`: the first [`FederationError`] in its chain of sources (a remote failure
    /// met while rows streamed arrives wrapped in DataFusion's errors).
    pub fn find_in(e: &DataFusionError) -> Option<&FederationError> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = current {
            if let Some(found) = err.downcast_ref::<FederationError>() {
                return Some(found);
            }
            if let Some(DataFusionError::External(inner)) = err.downcast_ref::<DataFusionError>()
                && let Some(found) = inner.downcast_ref::<FederationError>()
            {
                return Some(found);
            }
            current = err.source();
        }
        None
    }

    /// The 1-based line and column in `query` this error is about, for errors of the query itself.
    pub fn line_column(&self, query: &str) -> Option<(usize, usize)> {
        match self {
            Self::Query(e) => e.line_column(query),
            _ => None,
        }
    }

    /// The byte range in the ADQL text this error is about, for errors of the query itself.
    pub fn span(&self) -> Option<std::ops::Range<usize>> {
        match self {
            Self::Query(e) => e.span(),
            _ => None,
        }
    }
}

impl From<EngineError> for FederationError {
    fn from(e: EngineError) -> Self {
        Self::Query(Box::new(e))
    }
}

impl From<FederationError> for DataFusionError {
    fn from(e: FederationError) -> Self {
        match e {
            FederationError::DataFusion(e) => e,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}
