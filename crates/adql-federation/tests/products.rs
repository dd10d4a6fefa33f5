//! Data products through the library: `Engine::products` over the product files the loopback GAVO DaCHS
//! (`tests/dachs/setup.sh`) serves through DataLink, and `Engine::downloader`. Skips when DaCHS is not
//! running, except under `CI`, where that fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::dachs_server;

use adql_federation::{
    Catalogue, Engine, EngineOptions, ProductChoice, parse_service_spec, products_batch,
};
use dachs_server::{server_up, tap_url};
use vo_client::download::DownloadOptions;
use vo_client::products::{Layout, file_requests};

#[tokio::test]
async fn a_query_gives_its_products_and_the_engine_downloads_them() {
    if !server_up(&tap_url()) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let mut catalogue = Catalogue::empty().with_cache_dir(cache.path());
    catalogue.add(parse_service_spec(&format!("d={}", tap_url())).unwrap());
    let engine = Engine::new(catalogue, EngineOptions::default()).unwrap();
    let adql = "SELECT obs_id, obs_collection, access_url, access_format FROM d.products.files \
                WHERE obs_id IN ('obs1', 'obs2', 'obs3') ORDER BY obs_id";
    let products = engine
        .products(adql, &ProductChoice::default())
        .await
        .unwrap();
    assert_eq!(products.len(), 3);
    assert!(
        products
            .iter()
            .all(|p| p.semantics == "#this" && p.size.is_some())
    );
    let batch = products_batch(&products, Layout::Flat).unwrap();
    assert_eq!(batch.num_rows(), 3);
    assert_eq!(batch.schema().field(6).name(), "file");

    let dir = tempfile::tempdir().unwrap();
    let downloader = engine
        .downloader(DownloadOptions {
            dir: dir.path().to_path_buf(),
            ..DownloadOptions::default()
        })
        .unwrap();
    let outcomes = downloader
        .run(file_requests(&products, Layout::Flat), None)
        .await;
    for (outcome, product) in outcomes.iter().zip(&products) {
        assert!(outcome.is_ok(), "{:?}", outcome.status);
        assert_eq!(Some(outcome.bytes), product.size);
    }
}
