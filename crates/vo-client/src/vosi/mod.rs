//! VOSI: capabilities (with TAPRegExt), table metadata, availability.

pub mod availability;
pub mod capabilities;
mod fetch;
pub mod tables;
mod tableset;
mod tap_schema;

pub use availability::Availability;
pub use capabilities::{
    Capabilities, Capability, Interface, Language, LanguageFeature, Limit, LimitUnit, LimitValue,
    OutputFormat, TapCapability,
};
pub use tables::{ColumnMeta, SchemaMeta, TableMeta, TableSet};
