//! Tables behind services that are not TAP: the MAST Mashup API ([`mashup_table::MashupTable`]) and
//! Simple Cone Search ([`cone_table::ConeSearchTable`]).
//!
//! Neither service speaks ADQL, so the pushdown rule never owns their scans: each table answers what
//! its service can evaluate through `supports_filters_pushdown` and `scan` (a cone, and for the
//! Mashup some column filters), and DataFusion evaluates the rest of the query locally. Both need a
//! position: a scan without a cone is [`FederationError::PositionRequired`].
//!
//! The cone is pushed as `Inexact`: the filter stays in the plan and DataFusion re-checks every row
//! the service returns with the engine's own `distance`, so boundary differences between the service
//! and ADQL's `CONTAINS` cannot add rows.

mod cone;
mod cone_table;
mod mashup_table;
mod register;
mod scan;

pub use cone_table::ConeSearchTable;
pub use mashup_table::MashupTable;
pub use register::{add_catalogue_sources, add_source_service, source_table};
pub use scan::{OpenStream, SourceScanExec, conform_by_name};
