//! The federated planner of `adql`: one ADQL query over the tables of several archives.
//!
//! * [`catalogue`]: the services a session knows (built-in archives, the user's TOML
//!   configuration, `--service NAME=URL`), table-name resolution, and the on-disk capability cache.
//! * [`capabilities`]: what a service can evaluate (ADQL version, TAPRegExt features, UDFs).
//! * [`remote_table`]: remote TAP tables as DataFusion [`TableProvider`](datafusion::catalog::TableProvider)s,
//!   with Arrow schemas built from VOSI `/tables` metadata, and a catalog provider per service.
//! * [`adql_gen`]: the project's own `LogicalPlan` → ADQL generator.
//! * [`optimizer`]: the rule that cuts the largest single-service sub-plans out of a plan and
//!   replaces each by a [`RemoteQuery`](remote_query::RemoteQuery) node.
//! * [`physical`]: [`RemoteQueryExec`](physical::RemoteQueryExec), which runs the generated
//!   ADQL through a [`TapExecutor`](executor::TapExecutor) and streams Arrow batches.
//! * [`overflow`]: a remote part over MAXREC is split into pieces under it, or fails, as
//!   [`OverflowPolicy`](overflow::OverflowPolicy) says.
//! * [`sources`]: tables behind services that are not TAP (the MAST Mashup, Simple Cone Search),
//!   answering a cone and what filters they can.
//! * [`strategy`]: how a crossmatch across two services runs (local, upload, cones, region),
//!   chosen by a cost model.
//! * [`engine`]: [`Engine`], the embeddable federated engine.

pub mod adql_gen;
pub mod cache;
pub mod capabilities;
pub mod catalogue;
pub mod engine;
pub mod error;
pub mod executor;
pub mod metadata;
pub mod optimizer;
pub mod overflow;
pub mod physical;
pub mod progress;
pub mod remote_query;
pub mod remote_table;
pub mod session;
pub mod sources;
pub mod strategy;
pub mod tap;

pub use engine::{Engine, EngineOptions, Explanation, QueryError, RemotePart};
pub use error::{FederationError, Result};
