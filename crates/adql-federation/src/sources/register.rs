//! Registering the tables of services that are not TAP in a [`Federation`].

use std::sync::Arc;

use super::cone_table::{ConeSearchTable, SCS_SCHEMA, SCS_TABLE};
use super::mashup_table::{CAOM_SCHEMA, CAOM_TABLE, MashupTable};
use crate::catalogue::{Catalogue, ServiceConfig, ServiceKind};
use crate::error::Result;
use crate::session::{Federation, SourceTable};

/// Registers the tables of every Mashup and cone-search service of `catalogue` in `federation`
/// (TAP services come from [`Federation::from_catalogue`]); see [`source_table`].
///
/// # Errors
/// A service URL is invalid, or a cone-search probe fails.
pub async fn add_catalogue_sources(
    federation: &mut Federation,
    catalogue: &Catalogue,
    http: &vo_client::HttpClient,
) -> Result<()> {
    for config in catalogue.services() {
        add_source_service(federation, config, http).await?;
    }
    Ok(())
}

/// Registers the table of `config` in `federation` if it is a Mashup or cone-search service not yet
/// there; does nothing for a TAP service.
///
/// # Errors
/// As [`source_table`].
pub async fn add_source_service(
    federation: &mut Federation,
    config: &ServiceConfig,
    http: &vo_client::HttpClient,
) -> Result<()> {
    if federation.has_source_service(&config.name) {
        return Ok(());
    }
    if let Some(t) = source_table(config, http).await? {
        federation.add_source_table(&config.name, &t.schema, &t.table, t.provider);
    }
    Ok(())
}

/// The table of a service that is not TAP: `SERVICE.caom.observations` for a Mashup service,
/// `SERVICE.scs.cone` for a cone search (its columns learnt by a probe, a cone of radius 0); `None`
/// for a TAP service. `http` carries the MAST token, sent to the hosts its token policy lists.
///
/// # Errors
/// The service URL is invalid, or the cone-search probe fails.
pub async fn source_table(
    config: &ServiceConfig,
    http: &vo_client::HttpClient,
) -> Result<Option<SourceTable>> {
    Ok(match config.kind {
        ServiceKind::Tap => None,
        ServiceKind::Mashup => Some(SourceTable {
            schema: CAOM_SCHEMA.to_string(),
            table: CAOM_TABLE.to_string(),
            provider: Arc::new(MashupTable::caom_observations(
                &config.name,
                &config.url,
                http.clone(),
            )?),
        }),
        ServiceKind::ConeSearch => Some(SourceTable {
            schema: SCS_SCHEMA.to_string(),
            table: SCS_TABLE.to_string(),
            provider: Arc::new(
                ConeSearchTable::probe(&config.name, &config.url, http.clone()).await?,
            ),
        }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::Path;

    use vo_client::{ClientConfig, HttpClient};

    use super::*;

    #[test]
    fn toml_kinds_mashup_and_scs() {
        let mut c = Catalogue::empty();
        c.merge_toml(
            "[services.cone1]\nurl = \"http://localhost:8080/archive2/q/cone/scs.xml\"\nkind = \"scs\"\n\
             [services.mirror]\nurl = \"https://mast.example.org/api/v0/invoke\"\nkind = \"mashup\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.get("cone1").unwrap().kind, ServiceKind::ConeSearch);
        assert_eq!(c.get("mirror").unwrap().kind, ServiceKind::Mashup);
        assert!(
            c.merge_toml(
                "[services.x]\nurl = \"http://a\"\nkind = \"conesearch\"\n",
                Path::new("t.toml")
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn the_builtin_mashup_service_is_a_table_without_any_request() {
        let mut federation = Federation::new();
        let http = HttpClient::new(ClientConfig::default()).unwrap();
        add_catalogue_sources(&mut federation, &Catalogue::builtin(), &http)
            .await
            .unwrap();
        assert!(federation.has_source_service("mast_mashup"));
        for name in [
            "mast_mashup.caom.observations",
            "mast_mashup.observations",
            "caom.observations",
            "observations",
        ] {
            let provider = federation.provider(name).unwrap();
            assert!(provider.as_ref().is::<MashupTable>(), "{name}");
        }
        let ctx = federation.context().unwrap();
        assert!(
            ctx.catalog("mast_mashup")
                .and_then(|c| c.schema("caom"))
                .is_some_and(|s| s.table_exist("observations"))
        );
    }
}
