//! Helpers shared by the root package's end-to-end tests: `mod support;` then
//! `support::dachs::tap_url()`, `support::corpus::load_queries(..)` or `support::cli::adql(..)`.
pub mod cli;
pub mod clients;
pub mod corpus;
pub mod dachs;
