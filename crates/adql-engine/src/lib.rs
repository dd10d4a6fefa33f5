//! ADQL on Apache DataFusion.
//!
//! ```text
//! ADQL text ──adql_syntax::parse──▶ ADQL tree ──lower──▶ sqlparser tree ──DataFusion SQL planner──▶ logical plan
//! ```
//!
//! - [`AdqlSession`] is the entry point: a DataFusion session with the ADQL functions, the geometry functions
//!   and the crossmatch rules, which registers local files as tables and plans and runs ADQL queries.
//! - [`lower`] turns the ADQL syntax tree into the sqlparser tree DataFusion's SQL planner takes, resolving
//!   names the ADQL way and stamping every node with its ADQL position.
//! - [`functions`] holds the scalar functions whose ADQL semantics DataFusion lacks (`ROUND`, `TRUNCATE`,
//!   `RAND`, `IN_UNIT`) and the geometry functions.
//! - [`positional`] recognises positional predicates (`DISTANCE(...) <= r`, `1 = CONTAINS(POINT, CIRCLE)`,
//!   `XMATCH_BEST`, ...) in DataFusion expressions, for the crossmatch rule, the geometry functions'
//!   simplification and the layers above the engine.
//! - [`crossmatch`] plans positional joins as a crossmatch operator on the [`adql_geom::crossmatch`] kernel;
//!   [`crossmatch::PairStep`] turns matched pairs of rows into the join's rows, for that operator and for
//!   joins whose pairs come from elsewhere.
//! - [`units`] parses VOUnit strings and converts between them.
//! - [`tables`] reads Parquet and CSV files.
//! - [`topk_bound`] keeps DataFusion's top-K aggregation from allocating for a huge `TOP`.
//! - [`EngineError`] carries the ADQL position of planning errors (the command line draws it).

pub mod crossmatch;
pub mod error;
pub mod functions;
pub mod lower;
pub mod positional;
pub mod session;
pub mod tables;
pub mod topk_bound;
pub mod units;

pub use error::{EngineError, Result};
pub use session::{AdqlSession, SessionExtensions};
