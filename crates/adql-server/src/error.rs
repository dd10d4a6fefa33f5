//! [`ServerError`]: why the server cannot start or go on. Errors of one request are answered to its
//! client (see `routes::reply`), never raised here.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why `adql serve` cannot start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket cannot be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A non-loopback address without a token: anyone who reaches it could run queries.
    #[error(
        "refusing to listen on {addr} without a token: anyone who can reach it could run queries with this \
         server's services and tokens (give --token, or bind a loopback address such as 127.0.0.1)"
    )]
    Unprotected {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The job store cannot be opened or written.
    #[error("job store {}: {message}", path.display())]
    Store {
        /// The store's file or directory.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The server stopped on an I/O error.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}
