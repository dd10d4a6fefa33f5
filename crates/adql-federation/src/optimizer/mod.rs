//! Logical optimizer rules of the federated planner (one rule per file; `name()` is the file name).

pub mod push_down_remote_query;

pub use push_down_remote_query::PushDownRemoteQuery;
