//! The federated planner of `adql`: one ADQL query over the tables of several archives.
//!
//! [`Engine`] is the front door, as DataFusion's `SessionContext` is: register local tables and
//! functions, then [`Engine::query`] plans ADQL into a `DataFrame` and [`Engine::explain`] shows what
//! each service is sent. Every method fails with one error type, [`FederationError`].
//!
//! ```text
//! ADQL ──AdqlSession (adql-engine)──▶ LogicalPlan
//!      ──PushDownRemoteQuery──▶ RemoteQuery leaves (adql_syntax trees, one per service)
//!      ──CrossServiceJoinRule──▶ CrossServiceJoin (a crossmatch across services)
//!      ──planners──▶ RemoteQueryExec / CrossServiceJoinExec ──RemoteService::fetch──▶ TapExecutor
//! ```
//!
//! The pieces, by what they are for:
//!
//! * Services: [`Catalogue`] (built-in archives, the user's TOML configuration, `--service NAME=URL`,
//!   table-name resolution), [`ServiceCapabilities`] (what a service evaluates), [`TableMetadata`]
//!   (VOSI tables → Arrow schemas), [`DescriptionCache`] (descriptions on disk), [`Federation`] (the
//!   services of a session and the DataFusion wiring for them).
//! * Planning: [`plan_to_adql`] (a plan → an ADQL tree, DataFusion's `unparser` for ADQL),
//!   [`PushDownRemoteQuery`] (cuts the largest single-service sub-plans into [`RemoteQuery`] leaves),
//!   [`CrossServiceJoinRule`] and [`CrossServiceJoinPlanner`] (a crossmatch across services, answered by
//!   the strategy a [`CostModel`] chooses).
//! * Execution: [`RemoteService::fetch`], the one way a query reaches a service (the validity check,
//!   schema conforming and the MAXREC rule), used by [`RemoteQueryExec`], the overflow splitter and
//!   [`CrossServiceJoinExec`]; [`TapExecutor`] is the I/O boundary ([`VoTapExecutor`] in production).
//! * Options: [`EngineOptions`], and the session's [`FederationOptions`] with the [`OverflowPolicy`].
//! * Tables that are not TAP: [`MashupTable`] (MAST Mashup), [`ConeSearchTable`] (Simple Cone Search), and
//!   [`LookupTable`]s answered only for given keys (DataLink links, MAST product lists).

mod bind;
mod cache;
mod cached_executor;
mod capabilities;
mod catalogue;
mod engine;
mod error;
mod estimate;
mod executor;
mod explain;
mod fetch;
mod leaf_exec;
mod metadata;
mod optimizer;
mod options;
mod products;
mod progress;
mod remote_query;
mod remote_query_exec;
mod remote_query_planner;
mod remote_table;
mod result_cache;
mod row_count;
mod service;
mod service_io;
mod session;
mod side;
mod sources;
mod split;
mod strategy;
mod survey;
mod tap;
mod unparser;

pub use bind::{BindJoin, BindJoinPlanner, BindJoinRule, Binding, BoundScanExec, KeyTransport};
pub use cache::{DEFAULT_TTL, DescriptionCache};
pub use cached_executor::CachedExecutor;
pub use capabilities::{
    FEATURE_BITWISE, FEATURE_COMMON_TABLE, FEATURE_CONDITIONAL, FEATURE_GEOMETRY, FEATURE_OFFSET,
    FEATURE_SETS, FEATURE_STRING, FEATURE_TYPE, FEATURE_UDF, FEATURE_UNIT, GEOMETRY_FUNCTIONS,
    LanguageFeature, ServiceCapabilities,
};
pub use catalogue::{
    Catalogue, LoadOptions, QualifiedTable, QueryMode, ServiceConfig, ServiceKind, TableIndex,
    builtin_services, parse_service_spec, service_name,
};
pub use engine::{DEFAULT_MAX_REMOTE_ROWS, Engine, EngineOptions};
pub use error::{FederationError, Result};
pub use executor::{
    PlannedRequest, RemoteEvent, RemoteRequest, RemoteStream, RequestKind, TapExecutor, UploadTable,
};
pub use explain::{Explanation, RemotePart, remote_parts};
pub use fetch::{Answer, Collected};
pub use metadata::{ColumnMetadata, ServiceDescription, TableMetadata, split_qualified};
pub use optimizer::PushDownRemoteQuery;
pub use options::{FederationOptions, OverflowPolicy};
pub use products::{ProductChoice, products_batch};
pub use progress::{InstrumentedExecutor, ProgressSink, RequestCounter};
pub use remote_query::RemoteQuery;
pub use remote_query_exec::RemoteQueryExec;
pub use remote_query_planner::{FederatedQueryPlanner, RemoteQueryPlanner};
pub use remote_table::{RemoteTable, ServiceCatalog, ServiceNaming, ServiceSchema};
pub use result_cache::{CachedResult, PendingResult, ResultCache};
pub use row_count::RowCount;
pub use service::{RemoteService, ServiceRegistry};
pub use service_io::{ServiceIo, VoServiceIo};
pub use session::{Discovery, Federation, SourceTable};
pub use side::InputSource;
pub use sources::{
    ConeSearchTable, LookupScanExec, LookupTable, MashupTable, OpenStream, SourceScanExec,
    add_catalogue_sources, add_source_service, conform_by_name, mast_products_schema,
    source_tables,
};
pub use strategy::{
    CIRCLE_PAD_DEG, Candidate, CostModel, CrossServiceJoin, CrossServiceJoinExec,
    CrossServiceJoinPlanner, CrossServiceJoinRule, Decision, SideEstimate, Strategy, decisions,
};
pub use survey::{Finding, Survey, findings_batch};
pub use tap::{VoTapExecutor, VosiDiscovery, capabilities_from_vosi, tables_from_vosi};
pub use unparser::{
    InvalidAdql, LocalTableNaming, NotPushable, RemoteTableName, TableNaming, checked_text,
    plan_to_adql, plan_to_checked_adql,
};
