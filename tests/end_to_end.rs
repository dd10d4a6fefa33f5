//! The `adql` program end to end: one test binary (linking DataFusion once rather than once per file keeps
//! the test build small and fast); each module is one subject, run alone with `cargo test --test end_to_end
//! MODULE::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod cli_cache;
mod cli_check;
mod cli_interrupt;
mod cli_output;
mod cli_products;
mod cli_services;
mod cli_shell;
mod cli_survey;
mod corpus_vs_dachs;
mod engine_robustness;
mod query_federated;
mod query_local;
mod serve;
mod user_guide;
