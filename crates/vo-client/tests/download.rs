//! Downloads against a scripted loopback server that shows what a real one cannot on demand: a connection
//! cut mid-file (resumed with `Range`), a stall (cut, then resumed), a wrong length or checksum (discarded),
//! 404, 401, and a token that goes only to its hosts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{Action, Recorded, TestServer, response, response_with};
use url::Url;
use vo_client::download::{
    Checksum, DownloadOptions, DownloadProgress, Downloader, FileRequest, Status,
};
use vo_client::{ClientConfig, HttpClient, RetryPolicy, Secret, TokenPolicy};

/// 100 kB of varied bytes.
fn content() -> Vec<u8> {
    (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// The offset a request asks for with `Range: bytes=N-`.
fn range_from(request: &Recorded) -> Option<usize> {
    request
        .header("range")?
        .strip_prefix("bytes=")?
        .trim_end_matches('-')
        .parse()
        .ok()
}

/// A 206 answer with the bytes of `body` from `from`.
fn partial(body: &[u8], from: usize) -> Vec<u8> {
    let range = format!("bytes {from}-{}/{}", body.len() - 1, body.len());
    response_with(206, &[("Content-Range", &range)], &body[from..])
}

/// Headers announcing the whole body, then only its first `n` bytes.
fn cut(body: &[u8], n: usize) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body[..n]);
    out
}

fn http(tokens: TokenPolicy) -> HttpClient {
    HttpClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        tokens,
        ..ClientConfig::default()
    })
    .unwrap()
}

fn options(dir: &std::path::Path) -> DownloadOptions {
    DownloadOptions {
        dir: dir.to_path_buf(),
        parallel: 4,
        stall_timeout: Duration::from_millis(300),
        attempts: 3,
        service: "products".to_owned(),
    }
}

fn file(server: &TestServer, path: &str, size: Option<u64>) -> FileRequest {
    FileRequest {
        url: Url::parse(&server.url(&format!("/files/{path}"))).unwrap(),
        path: path.into(),
        size,
        checksum: None,
    }
}

#[derive(Default)]
struct Bytes(AtomicU64);

impl DownloadProgress for Bytes {
    fn advanced(&self, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// A server that sends the whole of [`content`] for every request, and a downloader into a new directory.
async fn whole_file_server() -> (Vec<u8>, TestServer, tempfile::TempDir, Downloader) {
    let body = content();
    let served = body.clone();
    let server =
        TestServer::start(move |_, _| Action::Send(response(200, "application/fits", &served)))
            .await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new(http(TokenPolicy::default()), options(dir.path()));
    (body, server, dir, downloader)
}

#[tokio::test]
async fn a_file_arrives_whole_and_is_not_fetched_twice() {
    let (body, server, dir, downloader) = whole_file_server().await;
    let progress = Arc::new(Bytes::default());
    let outcomes = downloader
        .run(
            vec![file(&server, "HST/a.fits", Some(body.len() as u64))],
            Some(progress.clone()),
        )
        .await;
    assert!(
        matches!(outcomes[0].status, Status::Downloaded),
        "{:?}",
        outcomes[0].status
    );
    assert_eq!(std::fs::read(dir.path().join("HST/a.fits")).unwrap(), body);
    assert_eq!(progress.0.load(Ordering::Relaxed), body.len() as u64);
    let again = downloader
        .run(
            vec![file(&server, "HST/a.fits", Some(body.len() as u64))],
            None,
        )
        .await;
    assert!(matches!(again[0].status, Status::Present));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_cut_or_stalled_transfer_resumes_where_it_stopped() {
    for stall in [false, true] {
        let body = content();
        let served = body.clone();
        let server = TestServer::start(move |request, i| match (i, range_from(request)) {
            (0, _) if stall => Action::Stall(cut(&served, 40_000)),
            (0, _) => Action::Send(cut(&served, 40_000)),
            (_, Some(from)) => Action::Send(partial(&served, from)),
            (_, None) => Action::Send(response(200, "application/fits", &served)),
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let downloader = Downloader::new(http(TokenPolicy::default()), options(dir.path()));
        let outcomes = downloader
            .run(vec![file(&server, "a.fits", None)], None)
            .await;
        assert!(
            matches!(outcomes[0].status, Status::Resumed),
            "stall {stall}: {:?}",
            outcomes[0].status
        );
        assert_eq!(
            std::fs::read(dir.path().join("a.fits")).unwrap(),
            body,
            "stall {stall}"
        );
        assert!(!dir.path().join("a.fits.part").exists());
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "stall {stall}");
        assert_eq!(range_from(&requests[1]), Some(40_000), "stall {stall}");
    }
}

#[tokio::test]
async fn a_partial_file_of_an_earlier_run_is_resumed() {
    let body = content();
    let served = body.clone();
    let server = TestServer::start(move |request, _| match range_from(request) {
        Some(from) => Action::Send(partial(&served, from)),
        None => Action::Send(response(200, "application/fits", &served)),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.fits.part"), &body[..12_345]).unwrap();
    let downloader = Downloader::new(http(TokenPolicy::default()), options(dir.path()));
    let outcomes = downloader
        .run(vec![file(&server, "a.fits", Some(body.len() as u64))], None)
        .await;
    assert!(matches!(outcomes[0].status, Status::Resumed));
    assert_eq!(std::fs::read(dir.path().join("a.fits")).unwrap(), body);
    assert_eq!(range_from(&server.requests()[0]), Some(12_345));
}

#[tokio::test]
async fn a_wrong_size_or_checksum_is_discarded() {
    let (body, server, dir, downloader) = whole_file_server().await;
    let wrong_size = file(&server, "size.fits", Some(body.len() as u64 + 1));
    let wrong_sum = FileRequest {
        checksum: Some(
            "md5:00000000000000000000000000000000"
                .parse::<Checksum>()
                .unwrap(),
        ),
        ..file(&server, "sum.fits", None)
    };
    let outcomes = downloader.run(vec![wrong_size, wrong_sum], None).await;
    for (outcome, what) in outcomes.iter().zip(["bytes were announced", "checksum"]) {
        let Status::Failed(error) = &outcome.status else {
            panic!("{:?}", outcome.status)
        };
        assert!(error.to_string().contains(what), "{error}");
        assert!(error.to_string().contains("discarded"), "{error}");
    }
    // Neither a final file nor a partial one that would look complete.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn missing_and_forbidden_files_fail_with_what_to_do() {
    let server = TestServer::start(|request, _| {
        if request.path().ends_with("secret.fits") {
            Action::Send(response(401, "text/plain", b"token required"))
        } else {
            Action::Send(response(404, "text/plain", b"no such product"))
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new(http(TokenPolicy::default()), options(dir.path()));
    let outcomes = downloader
        .run(
            vec![
                file(&server, "gone.fits", None),
                file(&server, "secret.fits", None),
            ],
            None,
        )
        .await;
    let messages: Vec<String> = outcomes
        .iter()
        .map(|o| match &o.status {
            Status::Failed(e) => e.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(messages[0].contains("HTTP 404"), "{}", messages[0]);
    assert!(messages[1].contains("exclusive access"), "{}", messages[1]);
    assert!(messages[1].contains("MAST_API_TOKEN"), "{}", messages[1]);
    assert_eq!(server.requests().len(), 2, "neither is retried");
}

#[tokio::test]
async fn the_token_goes_to_its_hosts_only() {
    let server =
        TestServer::start(|_, _| Action::Send(response(200, "application/fits", b"x"))).await;
    let dir = tempfile::tempdir().unwrap();
    for (hosts, sent) in [
        (vec!["127.0.0.1".to_owned()], true),
        (vec!["*.stsci.edu".to_owned()], false),
    ] {
        let tokens = TokenPolicy {
            token: Some(Secret::new("s3cr3t")),
            hosts,
            ..TokenPolicy::default()
        };
        let downloader = Downloader::new(http(tokens), options(dir.path()));
        let name = format!("f{sent}.fits");
        let outcomes = downloader.run(vec![file(&server, &name, None)], None).await;
        assert!(outcomes[0].is_ok());
        let last = server.requests().pop().unwrap();
        assert_eq!(last.header("authorization").is_some(), sent);
    }
    // Another service's token, with its own scheme, configured per host.
    let tokens = TokenPolicy {
        others: vec![vo_client::HostToken {
            hosts: vec!["127.0.0.1".to_owned()],
            token: Secret::new("other"),
            scheme: "Bearer".to_owned(),
            env: None,
        }],
        ..TokenPolicy::default()
    };
    let downloader = Downloader::new(http(tokens), options(dir.path()));
    let outcomes = downloader
        .run(vec![file(&server, "other.fits", None)], None)
        .await;
    assert!(outcomes[0].is_ok());
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer other"));
}

#[tokio::test]
async fn paths_outside_the_directory_are_refused() {
    let server = TestServer::start(|_, _| Action::Send(response(200, "text/plain", b"x"))).await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new(http(TokenPolicy::default()), options(dir.path()));
    let outcomes = downloader
        .run(vec![file(&server, "../escape.fits", None)], None)
        .await;
    assert!(!outcomes[0].is_ok());
    assert!(server.requests().is_empty());
}
