//! Tables behind services that are not TAP: the MAST Mashup API ([`mashup_table::MashupTable`] for
//! observations, a [`lookup::LookupTable`] for their products), Simple Cone Search
//! ([`cone_table::ConeSearchTable`]) and DataLink (a [`lookup::LookupTable`] of links).
//!
//! None of these services speaks ADQL, so the pushdown rule never owns their scans: each table answers
//! what its service can evaluate through `supports_filters_pushdown` and `scan` (a cone, and for the
//! Mashup some column filters; keys for a lookup), and DataFusion evaluates the rest of the query
//! locally. Observations and cones need a position: a scan without a cone is
//! [`FederationError::PositionRequired`](crate::FederationError::PositionRequired). Lookups need keys, from a filter or a join (see
//! [`crate::bind`]): a scan without them is
//! [`FederationError::KeyRequired`](crate::FederationError::KeyRequired).
//!
//! The cone is pushed as `Inexact`: the filter stays in the plan and DataFusion re-checks every row
//! the service returns with the engine's own `distance`, so boundary differences between the service
//! and ADQL's `CONTAINS` cannot add rows.

mod cone;
mod cone_table;
mod lookup;
mod lookup_scan;
mod mashup_table;
mod register;
mod scan;

pub use cone_table::ConeSearchTable;
pub(crate) use lookup::key_texts;
pub use lookup::{LookupTable, mast_products_schema};
pub use lookup_scan::LookupScanExec;
pub use mashup_table::MashupTable;
pub use register::{add_catalogue_sources, add_source_service, source_tables};
pub(crate) use scan::remote;
pub use scan::{OpenStream, SourceScanExec, conform_by_name};
