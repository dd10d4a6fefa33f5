//! `adql-federation` through its public API: one test binary (linking DataFusion once rather than once per
//! file keeps the test build small and fast); each module is one subject, run alone with `cargo test -p
//! adql-federation --test federation_integration MODULE::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod dachs_server;
mod replay;

mod adql_gen;
mod bind;
mod cone_table;
mod dachs;
mod engine;
mod federation_vs_dachs;
mod local_vs_dachs;
mod mashup_table;
mod mast_products_table;
mod overflow;
mod products;
mod pushdown;
mod strategies;
mod survey;
