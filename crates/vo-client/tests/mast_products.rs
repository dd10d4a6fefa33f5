//! MAST products: `Mast.Caom.Products` replayed from the recorded answer in `../shared/fixtures` (skipped with
//! a message when absent), chosen as astroquery's `filter_products` does, and fetched from a loopback replay of
//! MAST's download endpoint that, like MAST for exclusive-access data, answers 401 without the token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use common::{Action, TestServer, fixtures_dir, response};
use serde_json::Value;
use vo_client::download::{DownloadOptions, Downloader, Status};
use vo_client::mashup::{MashupOptions, MastClient};
use vo_client::products::{Layout, MastFilter, are_mast_rows, file_requests, mast_products};
use vo_client::{ClientConfig, HttpClient, RetryPolicy, Secret, TokenPolicy};

fn products_fixture() -> Option<Value> {
    let path = fixtures_dir()?.join("astroquery_mast/products.json");
    Some(serde_json::from_str(&std::fs::read_to_string(path).ok()?).unwrap())
}

/// The bytes the replayed endpoint sends for a product of `size` bytes.
fn body(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 253) as u8).collect()
}

/// The Mashup endpoint answers every request with the recorded product list; the download endpoint needs
/// `Authorization: token s3cr3t` and sends each file at its recorded size.
async fn mast(products: Value) -> TestServer {
    let sizes: Vec<(String, usize)> = products["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["dataURI"].as_str().unwrap().to_owned(),
                p["size"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    TestServer::start(move |request, _| {
        if request.path() == "/api/v0/invoke" {
            return Action::Send(response(
                200,
                "application/json",
                products.to_string().as_bytes(),
            ));
        }
        if request.header("authorization") != Some("token s3cr3t") {
            return Action::Send(response(401, "text/plain", b"exclusive access"));
        }
        let uri = url::form_urlencoded::parse(request.query().as_bytes())
            .find(|(k, _)| k == "uri")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        match sizes.iter().find(|(u, _)| *u == uri) {
            Some((_, size)) => Action::Send(response(200, "application/fits", &body(*size))),
            None => Action::Send(response(404, "text/plain", b"no such product")),
        }
    })
    .await
}

fn client(server: &TestServer, tokens: TokenPolicy) -> MastClient {
    let http = HttpClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        tokens,
        ..ClientConfig::default()
    })
    .unwrap();
    MastClient::with_url(http, &server.url("/api/v0/invoke"))
        .unwrap()
        .with_options(MashupOptions {
            poll_delay: Duration::from_millis(10),
            ..MashupOptions::default()
        })
}

fn observations() -> RecordBatch {
    RecordBatch::try_from_iter([(
        "obsid",
        Arc::new(Int64Array::from(vec![2003738726])) as ArrayRef,
    )])
    .unwrap()
}

#[tokio::test]
async fn mast_products_are_filtered_like_astroquery_and_downloaded_with_the_token() {
    let Some(products) = products_fixture() else {
        eprintln!("mast_products: ../shared/fixtures is absent; skipped");
        return;
    };
    let server = mast(products).await;
    let rows = [observations()];
    assert!(are_mast_rows(&rows));
    let tokens = TokenPolicy {
        token: Some(Secret::new("s3cr3t")),
        hosts: vec!["127.0.0.1".to_owned()],
        ..TokenPolicy::default()
    };
    let mast_client = client(&server, tokens.clone());
    let all = mast_products(&mast_client, &rows, &MastFilter::default(), 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 22);
    assert!(
        all[0]
            .url
            .as_str()
            .contains("/api/v0.1/Download/file?uri=mast%3AHST%2Fproduct%2F"),
        "{}",
        all[0].url
    );
    assert_eq!(all[0].name, "u9o40504m_c3m.fits");
    assert_eq!(all[0].size, Some(207_360));
    let science = MastFilter {
        product_type: vec!["science".to_owned()],
        extension: vec!["fits".to_owned()],
        ..MastFilter::default()
    };
    let kept = mast_products(&mast_client, &rows, &science, 100)
        .await
        .unwrap();
    assert_eq!(kept.len(), 7);
    let mrp = MastFilter {
        minimum_recommended: true,
        ..MastFilter::default()
    };
    assert_eq!(
        mast_products(&mast_client, &rows, &mrp, 100)
            .await
            .unwrap()
            .len(),
        3
    );

    // With the token the files arrive at their recorded sizes, laid out by collection and observation.
    let dir = tempfile::tempdir().unwrap();
    let files = file_requests(&kept[..2], Layout::ByObservation);
    let http = |tokens| {
        HttpClient::new(ClientConfig {
            retry: RetryPolicy::none(),
            tokens,
            ..ClientConfig::default()
        })
        .unwrap()
    };
    let options = DownloadOptions {
        dir: dir.path().to_path_buf(),
        ..DownloadOptions::default()
    };
    let outcomes = Downloader::new(http(tokens), options.clone())
        .run(files.clone(), None)
        .await;
    for outcome in &outcomes {
        assert!(
            matches!(outcome.status, Status::Downloaded),
            "{:?}",
            outcome.status
        );
        assert_eq!(
            std::fs::metadata(&outcome.path).unwrap().len(),
            outcome.request.size.unwrap()
        );
    }
    assert!(
        outcomes[0]
            .path
            .starts_with(dir.path().join("HST/U9O40504M"))
    );

    // Without it: 401, said as exclusive access, and no file.
    let dir = tempfile::tempdir().unwrap();
    let options = DownloadOptions {
        dir: dir.path().to_path_buf(),
        ..options
    };
    let outcomes = Downloader::new(http(TokenPolicy::default()), options)
        .run(files, None)
        .await;
    let Status::Failed(error) = &outcomes[0].status else {
        panic!("{:?}", outcomes[0].status)
    };
    assert!(error.to_string().contains("exclusive access"), "{error}");
    assert!(!error.to_string().contains("s3cr3t"));
    assert_eq!(
        files_under(dir.path()),
        0,
        "neither a file nor a partial one"
    );
}

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { files_under(&p) } else { 1 })
        .sum()
}
