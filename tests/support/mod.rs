//! Helpers shared by the root package's end-to-end tests: `mod support;` then
//! `support::dachs::tap_url()`.
pub mod dachs;
