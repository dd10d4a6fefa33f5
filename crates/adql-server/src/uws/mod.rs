//! UWS 1.1 asynchronous jobs: their state ([`job`]), the store that keeps them across restarts
//! ([`store`]), their documents ([`document`]) and how they run ([`runner`]).

pub(crate) mod document;
pub(crate) mod job;
pub(crate) mod runner;
pub(crate) mod store;
