//! Registering the tables of services that are not TAP in a [`Federation`].

use std::sync::Arc;

use super::cone_table::{ConeSearchTable, SCS_SCHEMA, SCS_TABLE};
use super::lookup::{DATALINK_SCHEMA, DATALINK_TABLE, LookupTable, PRODUCTS_TABLE};
use super::mashup_table::{CAOM_SCHEMA, CAOM_TABLE, MashupTable};
use crate::catalogue::{Catalogue, ServiceConfig, ServiceKind};
use crate::error::Result;
use crate::session::{Federation, SourceTable};

/// Registers the tables of every service of `catalogue` that is not TAP in `federation` (TAP services
/// come from [`Federation::from_catalogue`]); see [`source_tables`].
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

/// Registers the tables of `config` in `federation` if it is a service that is not TAP and not yet
/// there; does nothing for a TAP service.
///
/// # Errors
/// As [`source_tables`].
pub async fn add_source_service(
    federation: &mut Federation,
    config: &ServiceConfig,
    http: &vo_client::HttpClient,
) -> Result<()> {
    if federation.has_source_service(&config.name) {
        return Ok(());
    }
    for t in source_tables(config, http).await? {
        federation.add_source_table(&config.name, &t.schema, &t.table, t.provider);
    }
    Ok(())
}

/// The tables of a service that is not TAP: `SERVICE.caom.observations` and `SERVICE.caom.products` for a
/// Mashup service, `SERVICE.scs.cone` for a cone search (its columns learnt by a probe, a cone of radius 0),
/// `SERVICE.datalink.links` for a DataLink endpoint; none for a TAP service. `http` carries the tokens,
/// each sent to the hosts its policy lists.
///
/// # Errors
/// The service URL is invalid, or the cone-search probe fails.
pub async fn source_tables(
    config: &ServiceConfig,
    http: &vo_client::HttpClient,
) -> Result<Vec<SourceTable>> {
    let table =
        |schema: &str, table: &str, provider: Arc<dyn datafusion::catalog::TableProvider>| {
            SourceTable {
                schema: schema.to_string(),
                table: table.to_string(),
                provider,
            }
        };
    Ok(match config.kind {
        ServiceKind::Tap | ServiceKind::Sia | ServiceKind::Ssa => Vec::new(),
        ServiceKind::Mashup => vec![
            table(
                CAOM_SCHEMA,
                CAOM_TABLE,
                Arc::new(MashupTable::caom_observations(
                    &config.name,
                    &config.url,
                    http.clone(),
                )?),
            ),
            table(
                CAOM_SCHEMA,
                PRODUCTS_TABLE,
                Arc::new(LookupTable::mast_products(
                    &config.name,
                    &config.url,
                    http.clone(),
                )?),
            ),
        ],
        ServiceKind::ConeSearch => vec![table(
            SCS_SCHEMA,
            SCS_TABLE,
            Arc::new(ConeSearchTable::probe(&config.name, &config.url, http.clone()).await?),
        )],
        ServiceKind::DataLink => vec![table(
            DATALINK_SCHEMA,
            DATALINK_TABLE,
            Arc::new(LookupTable::datalink(
                &config.name,
                &config.url,
                http.clone(),
            )?),
        )],
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
