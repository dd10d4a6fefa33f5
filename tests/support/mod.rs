//! Helpers shared by the root package's end-to-end tests: `mod support;` then
//! `support::dachs::tap_url()` or `support::corpus::load_queries(..)`.
pub mod corpus;
pub mod dachs;
