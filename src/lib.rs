//! `adql`: one ADQL query across several astronomical archives.
//!
//! This crate is a facade over the workspace's layers; see `docs/architecture.md`.

pub use adql_syntax as syntax;
