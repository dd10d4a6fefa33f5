//! `adql-engine` through its public API: one test binary (linking DataFusion once rather than once per file
//! keeps the test build small and fast); each module is one subject, run alone with `cargo test -p adql-engine
//! --test engine_integration MODULE::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod errors;
mod semantics;
mod snapshots;
mod tables;
