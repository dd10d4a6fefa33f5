//! Against the loopback GAVO DaCHS (`tests/dachs/setup.sh`): one server registered under two
//! service names, `archive1` and `archive2`, acting as two archives. Skips with a message when the
//! server is not running, except under `CI`, where that fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::dachs_server;

use dachs_server::{server_up, tap_url};
use std::sync::Arc;

use adql_federation::Federation;
use adql_federation::TapExecutor;
use adql_federation::{Catalogue, parse_service_spec};
use adql_federation::{VoTapExecutor, VosiDiscovery};
use datafusion::arrow::util::pretty::pretty_format_batches;
use vo_client::{ClientConfig, HttpClient};

async fn federation(cache: &std::path::Path) -> Federation {
    let url = tap_url();
    let mut catalogue = Catalogue::empty().with_cache_dir(cache);
    catalogue.add(parse_service_spec(&format!("archive1={url}")).unwrap());
    catalogue.add(parse_service_spec(&format!("archive2={url}")).unwrap());
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let discovery = VosiDiscovery::new(http.clone());
    let executor = move |c: &adql_federation::ServiceConfig| {
        VoTapExecutor::connect(http.clone(), &c.name, &c.url)
            .map(|e| Arc::new(e) as Arc<dyn TapExecutor>)
    };
    Federation::from_catalogue(&catalogue, &discovery, &executor)
        .await
        .unwrap()
}

#[tokio::test]
async fn cross_service_join_against_dachs() {
    let url = tap_url();
    if !server_up(&url) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let federation = federation(cache.path()).await;
    // Descriptions are cached on disk, one file per service.
    assert!(cache.path().join("archive1.json").is_file());
    assert!(cache.path().join("archive2.json").is_file());

    let ctx = federation.context().unwrap();
    let sql = "SELECT o.obs_id, s.source_id, s.phot_g_mean_mag FROM archive1.archive1.obscore o \
               JOIN archive2.archive2.sources s ON o.target_name = s.designation \
               WHERE s.phot_g_mean_mag < 20 ORDER BY o.obs_id, s.source_id LIMIT 5";
    let explain = pretty_format_batches(
        &ctx.sql(&format!("EXPLAIN {sql}"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    )
    .unwrap()
    .to_string();
    assert!(
        explain.contains("RemoteQuery: service=archive1"),
        "{explain}"
    );
    assert!(
        explain.contains("RemoteQuery: service=archive2"),
        "{explain}"
    );
    // Runs (the join may be empty; the point is that both remote parts execute and conform).
    ctx.sql(sql).await.unwrap().collect().await.unwrap();

    // A single-service aggregate goes out whole and matches what DaCHS says directly.
    let batches = ctx
        .sql("SELECT COUNT(*) AS n FROM archive2.archive2.sources WHERE phot_g_mean_mag < 15")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let n = pretty_format_batches(&batches).unwrap().to_string();
    assert!(n.lines().count() >= 4, "{n}");

    // The second federation reads the cache instead of VOSI.
    let again = federation_from_cache_only(cache.path()).await;
    assert_eq!(
        again.index().tables().len(),
        federation.index().tables().len()
    );
}

/// A federation built with a discovery that always fails: it works only from the cache.
async fn federation_from_cache_only(cache: &std::path::Path) -> Federation {
    struct NoDiscovery;
    #[async_trait::async_trait]
    impl adql_federation::Discovery for NoDiscovery {
        async fn describe(
            &self,
            service: &adql_federation::ServiceConfig,
        ) -> adql_federation::Result<adql_federation::ServiceDescription> {
            Err(adql_federation::FederationError::Remote {
                service: service.name.clone(),
                url: service.url.clone(),
                message: "discovery disabled in this test".into(),
            })
        }
    }
    let url = tap_url();
    let mut catalogue = Catalogue::empty().with_cache_dir(cache);
    catalogue.add(parse_service_spec(&format!("archive1={url}")).unwrap());
    catalogue.add(parse_service_spec(&format!("archive2={url}")).unwrap());
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let executor = move |c: &adql_federation::ServiceConfig| {
        VoTapExecutor::connect(http.clone(), &c.name, &c.url)
            .map(|e| Arc::new(e) as Arc<dyn TapExecutor>)
    };
    Federation::from_catalogue(&catalogue, &NoDiscovery, &executor)
        .await
        .unwrap()
}
