//! The VOSI metadata of a TAP service: capabilities, availability, tables (else TAP_SCHEMA).

use super::TapService;
use crate::error::Result;
use crate::vosi::{Availability, Capabilities, TableSet, availability, capabilities, tables};

// Here rather than beside the other methods: the TAP_SCHEMA fallback runs TAP queries, so
// with `tables` in `tap/mod.rs` the TAP and VOSI modules would each use the other.
impl TapService {
    /// Reads the VOSI capabilities.
    pub async fn capabilities(&self) -> Result<Capabilities> {
        capabilities::fetch(&self.http, &self.service, self.endpoint("capabilities")).await
    }

    /// Reads the VOSI availability.
    pub async fn availability(&self) -> Result<Availability> {
        availability::fetch(&self.http, &self.service, self.endpoint("availability")).await
    }

    /// Reads the table metadata from VOSI `/tables`, falling back to querying `TAP_SCHEMA`
    /// when `/tables` fails or is absent.
    pub async fn tables(&self) -> Result<TableSet> {
        let vosi = tables::fetch(&self.http, &self.service, self.endpoint("tables")).await;
        match vosi {
            Ok(set) if set.tables().next().is_some() => Ok(set),
            Ok(_) | Err(_) => match tables::from_tap_schema(self).await {
                Ok(set) => Ok(set),
                // Report the VOSI failure if there was one: it is the primary source.
                Err(schema_err) => match vosi {
                    Err(vosi_err) => Err(vosi_err),
                    Ok(_) => Err(schema_err),
                },
            },
        }
    }
}
