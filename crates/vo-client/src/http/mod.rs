//! The HTTP layer every service client goes through.
//!
//! One `reqwest` client with connect and read timeouts, a `User-Agent`, gzip, proxies from
//! the environment (loopback never proxied), retries with jittered exponential backoff
//! (honouring `Retry-After`), redirects followed by hand (so the MAST token can be dropped
//! when the host changes), and streaming access to bodies.

mod body;
mod cap;
mod client;
mod config;
mod errors;
mod request;
mod retry;

pub use client::HttpClient;
pub use config::{ClientConfig, ProxyConfig, USER_AGENT};
pub use retry::RetryPolicy;

pub(crate) use body::{body_reader, check_status, read_body, read_prefix};
pub(crate) use errors::io_error;
pub(crate) use request::{Body, Part, Request};
pub(crate) use retry::Idempotency;
