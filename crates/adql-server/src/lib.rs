//! `adql serve`: the federation as a TAP 1.1 service, so that TOPCAT, pyvo, astroquery and STILTS reach
//! every configured archive and the server's own tables through one endpoint, with one ADQL query.
//!
//! The resources: `/sync`; `/async` with UWS 1.1 jobs kept in SQLite across restarts; VOSI `/capabilities`
//! (TAPRegExt), `/tables` and `/availability`; DALI `/examples`; `TAP_SCHEMA` queryable in ADQL. Uploads
//! (`UPLOAD`, inline or by URL) are `TAP_UPLOAD` tables; results are VOTable (BINARY2 or TABLEDATA), CSV,
//! TSV or Parquet, cut at `MAXREC` with `QUERY_STATUS=OVERFLOW`; errors are DALI error documents whose
//! message gives the line and column in the query. The HTTP stack is axum; the protocol logic is here.
//!
//! Safe by default: a loopback address unless a bearer token is set; upload, row, time and disk limits
//! ([`Limits`]); job ids of 128 random bits; uploads by URL fetched with a client that carries none of the
//! server's tokens, and never from the file system.

mod config;
mod error;
mod format;
mod params;
mod query;
mod reply;
mod routes;
mod served;
mod server;
mod state;
mod upload;
mod uws;
mod vosi;
mod xml;

pub use config::{Limits, ServerConfig};
pub use error::ServerError;
pub use server::Server;
