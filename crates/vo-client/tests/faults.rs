//! Fault injection: a scripted loopback server returning errors, broken and stalled answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Action, TestServer, redirect, response, response_with, votable, votable_response};
use futures::StreamExt;
use vo_client::tap::{DeletePolicy, Mode, PollOptions, TapOptions, TapQuery, TapService};
use vo_client::{
    ClientConfig, Completeness, Error, HttpClient, ProxyConfig, RetryPolicy, Secret, TokenPolicy,
};

fn config() -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        },
        read_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    }
}

fn tap(server: &TestServer, mode: Mode, cfg: ClientConfig) -> TapService {
    let options = TapOptions {
        mode,
        poll: PollOptions {
            initial: Duration::from_millis(50),
            max_wait: Duration::from_millis(200),
            deadline: Some(Duration::from_secs(20)),
        },
        ..TapOptions::default()
    };
    TapService::new(HttpClient::new(cfg).unwrap(), &server.url("/tap"))
        .unwrap()
        .with_options(options)
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let server = TestServer::start(|_, i| {
        if i == 0 {
            Action::Send(response(500, "text/plain", b"boom"))
        } else {
            Action::Send(votable_response(3))
        }
    })
    .await;
    let t = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT * FROM t"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 3);
    assert_eq!(t.completeness, Completeness::Complete);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs.iter()
            .all(|r| r.method == "POST" && r.path() == "/tap/sync")
    );
    assert_eq!(
        reqs[1].form_value("QUERY").as_deref(),
        Some("SELECT * FROM t")
    );
    assert_eq!(reqs[1].form_value("LANG").as_deref(), Some("ADQL"));
    assert!(
        reqs[0]
            .header("user-agent")
            .unwrap()
            .starts_with("adql/0.1.0")
    );
    assert!(
        reqs[0]
            .header("accept-encoding")
            .unwrap_or("")
            .contains("gzip")
    );
}

#[tokio::test]
async fn persistent_server_error_reports_status_and_excerpt() {
    let server = TestServer::start(|_, _| {
        Action::Send(response(
            503,
            "text/html",
            b"<h1>Service   Unavailable</h1>",
        ))
    })
    .await;
    let err = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap_err();
    match &err {
        Error::Status {
            status,
            excerpt,
            service,
            ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(excerpt, "<h1>Service Unavailable</h1>");
            assert_eq!(service, "TAP");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.requests().len(), 4, "1 attempt + 3 retries");
    assert!(err.to_string().contains(&server.url("/tap/sync")));
}

#[tokio::test]
async fn connection_closed_mid_body_is_an_error_not_a_short_table() {
    let doc = votable(200, None);
    let server = TestServer::start(move |_, _| {
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            doc.len()
        )
        .into_bytes();
        bytes.extend_from_slice(&doc.as_bytes()[..doc.len() / 2]);
        Action::Send(bytes)
    })
    .await;
    let mut result = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap();
    let mut rows = 0;
    let mut failed = None;
    while let Some(b) = result.next().await {
        match b {
            Ok(b) => rows += b.num_rows(),
            Err(e) => failed = Some(e),
        }
    }
    let err = failed.expect("a truncated body must fail");
    assert!(
        matches!(err, Error::Transport { .. } | Error::VOTable { .. }),
        "{err:?}"
    );
    assert!(rows < 200);
    assert_eq!(result.completeness(), None);
}

#[tokio::test]
async fn chunked_body_cut_short_is_an_error() {
    let doc = votable(50, None);
    let server = TestServer::start(move |_, _| {
        let half = &doc.as_bytes()[..doc.len() / 2];
        let mut bytes =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        bytes.extend_from_slice(format!("{:x}\r\n", half.len()).as_bytes());
        bytes.extend_from_slice(half);
        bytes.extend_from_slice(b"\r\n");
        Action::Send(bytes)
    })
    .await;
    let result = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1"))
        .await;
    let err = match result {
        Ok(r) => r.collect().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(
        matches!(err, Error::Transport { .. } | Error::VOTable { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn stalled_socket_fires_the_read_timeout() {
    let doc = votable(100, None);
    let server = TestServer::start(move |_, _| {
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            doc.len()
        )
        .into_bytes();
        bytes.extend_from_slice(&doc.as_bytes()[..300]);
        Action::Stall(bytes)
    })
    .await;
    let cfg = ClientConfig {
        read_timeout: Duration::from_millis(400),
        ..config()
    };
    let start = Instant::now();
    let result = tap(&server, Mode::Sync, cfg)
        .query(&TapQuery::new("SELECT 1"))
        .await;
    let err = match result {
        Ok(r) => r.collect().await.unwrap_err(),
        Err(e) => e,
    };
    let took = start.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[tokio::test]
async fn truncated_votable_is_an_error() {
    let doc = votable(20, None);
    let cut = doc[..doc.find("<TR><TD>10</TD>").unwrap()].to_owned();
    let server =
        TestServer::start(move |_, _| Action::Send(response(200, "text/xml", cut.as_bytes())))
            .await;
    let result = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1"))
        .await;
    let err = match result {
        Ok(r) => r.collect().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(matches!(err, Error::VOTable { .. }), "{err:?}");
}

#[tokio::test]
async fn overflow_is_a_typed_flag() {
    let server = TestServer::start(|_, _| {
        Action::Send(response(
            200,
            "text/xml",
            votable(5, Some("OVERFLOW")).as_bytes(),
        ))
    })
    .await;
    let t = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1").maxrec(5))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 5);
    assert_eq!(t.completeness, Completeness::Truncated { maxrec: Some(5) });
    assert_eq!(
        server.requests()[0].form_value("MAXREC").as_deref(),
        Some("5")
    );
}

#[tokio::test]
async fn error_document_with_http_400_surfaces_the_message() {
    let doc = r#"<VOTABLE><RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">Could not parse your query: near FRM</INFO></RESOURCE></VOTABLE>"#;
    let server =
        TestServer::start(move |_, _| Action::Send(response(400, "text/xml", doc.as_bytes())))
            .await;
    let err = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT FRM"))
        .await
        .unwrap_err();
    match err {
        Error::Service { message, .. } => assert!(
            message.contains("Could not parse your query: near FRM"),
            "{message}"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let server = TestServer::start(|_, i| {
        if i == 0 {
            Action::Send(response_with(429, &[("Retry-After", "1")], b"slow down"))
        } else {
            Action::Send(votable_response(1))
        }
    })
    .await;
    let t = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After: 1 not honoured, retried after {gap:?}"
    );
    assert!(gap < Duration::from_secs(3), "{gap:?}");
}

/// A scripted UWS service: creation → 303, phase → 303, job document per `phase_of(poll)`.
async fn uws_server(final_phase: &'static str, executing_polls: usize) -> TestServer {
    let polls = Arc::new(AtomicUsize::new(0));
    TestServer::start(move |req, _| {
        let path = req.path().to_owned();
        let job = |phase: &str| {
            let extra = match phase {
                "COMPLETED" => r#"<uws:results><uws:result id="result" xlink:href="/tap/async/j1/results/result"/></uws:results>"#,
                "ERROR" => r#"<uws:results/><uws:errorSummary type="fatal" hasDetail="false"><uws:message>Field query: Could not locate table 'nosuch.tab'</uws:message></uws:errorSummary>"#,
                _ => "<uws:results/>",
            };
            let doc = format!(
                r#"<?xml version="1.0"?><uws:job xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink"><uws:jobId>j1</uws:jobId><uws:phase>{phase}</uws:phase>{extra}</uws:job>"#
            );
            Action::Send(response(200, "text/xml", doc.as_bytes()))
        };
        match (req.method.as_str(), path.as_str()) {
            ("POST", "/tap/async") => Action::Send(redirect(303, "/tap/async/j1")),
            ("POST", "/tap/async/j1/phase") => Action::Send(redirect(303, "/tap/async/j1")),
            ("GET", "/tap/async/j1") => {
                let n = polls.fetch_add(1, Ordering::SeqCst);
                if n < executing_polls { job("EXECUTING") } else { job(final_phase) }
            }
            ("GET", "/tap/async/j1/results/result") => Action::Send(votable_response(4)),
            ("DELETE", "/tap/async/j1") => Action::Send(redirect(303, "/tap/async")),
            _ => Action::Send(response(404, "text/plain", b"no")),
        }
    })
    .await
}

async fn wait_for(server: &TestServer, what: impl Fn(&common::Recorded) -> bool) -> bool {
    for _ in 0..100 {
        if server.requests().iter().any(&what) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn async_job_runs_polls_reads_and_deletes() {
    let server = uws_server("COMPLETED", 2).await;
    let t = tap(&server, Mode::Async, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 4);
    let reqs = server.requests();
    let create = &reqs[0];
    assert_eq!(
        (create.method.as_str(), create.path()),
        ("POST", "/tap/async")
    );
    assert_eq!(create.form_value("QUERY").as_deref(), Some("SELECT 1"));
    assert!(
        reqs.iter().any(|r| r.path() == "/tap/async/j1/phase"
            && r.form_value("PHASE").as_deref() == Some("RUN"))
    );
    assert!(
        reqs.iter()
            .any(|r| r.path() == "/tap/async/j1" && r.query().contains("WAIT=")),
        "WAIT long-poll used"
    );
    // The deletion is part of the stream's end.
    let last = reqs.last().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path()),
        ("DELETE", "/tap/async/j1")
    );
}

#[tokio::test]
async fn async_error_phase_surfaces_the_error_summary_and_deletes() {
    let server = uws_server("ERROR", 1).await;
    let err = tap(&server, Mode::Async, config())
        .query(&TapQuery::new("SELECT * FROM nosuch.tab"))
        .await
        .unwrap_err();
    match &err {
        Error::JobFailed { message, url, .. } => {
            assert_eq!(message, "Field query: Could not locate table 'nosuch.tab'");
            assert!(url.as_str().ends_with("/tap/async/j1"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        wait_for(&server, |r| r.method == "DELETE"
            && r.path() == "/tap/async/j1")
        .await,
        "job deleted after ERROR"
    );
}

#[tokio::test]
async fn async_aborted_phase_is_reported() {
    let server = uws_server("ABORTED", 0).await;
    let err = tap(&server, Mode::Async, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::JobNotCompleted { phase, .. } if phase == "ABORTED"),
        "{err:?}"
    );
}

#[tokio::test]
async fn keeping_jobs_sends_no_delete() {
    let server = uws_server("COMPLETED", 0).await;
    let tap = tap(&server, Mode::Async, config());
    let opts = TapOptions {
        delete: DeletePolicy::Never,
        ..tap.options().clone()
    };
    let t = tap
        .with_options(opts)
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 4);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!server.requests().iter().any(|r| r.method == "DELETE"));
}

#[tokio::test]
async fn cancelling_a_running_job_deletes_it() {
    let server = uws_server("COMPLETED", usize::MAX).await;
    let tap = tap(&server, Mode::Async, config());
    let task = tokio::spawn(async move { tap.query(&TapQuery::new("SELECT 1")).await.map(drop) });
    assert!(
        wait_for(&server, |r| r.method == "GET"
            && r.path() == "/tap/async/j1")
        .await
    );
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(
        wait_for(&server, |r| r.method == "DELETE"
            && r.path() == "/tap/async/j1")
        .await,
        "cancelled job deleted"
    );
}

#[tokio::test]
async fn async_creation_is_not_retried_after_a_server_error() {
    let server =
        TestServer::start(|_, _| Action::Send(response(502, "text/plain", b"bad gateway"))).await;
    let err = tap(&server, Mode::Async, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        server.requests().len(),
        1,
        "a job-creating POST must not be repeated blindly"
    );
}

#[tokio::test]
async fn sync_timeout_falls_back_to_async() {
    let inner = uws_server("COMPLETED", 0).await;
    let inner_url = inner.url("");
    // Sync stalls without headers; everything else goes to the UWS script through a redirect-free proxy.
    let server = TestServer::start(move |req, _| {
        if req.path() == "/tap/sync" {
            Action::Stall(Vec::new())
        } else {
            // Forward by answering a 307 to the same path on the UWS server.
            Action::Send(redirect(307, &format!("{inner_url}{}", req.target)))
        }
    })
    .await;
    let tap = TapService::new(HttpClient::new(config()).unwrap(), &server.url("/tap"))
        .unwrap()
        .with_options(TapOptions {
            mode: Mode::Auto {
                sync_timeout: Duration::from_millis(300),
            },
            poll: PollOptions {
                initial: Duration::from_millis(50),
                max_wait: Duration::from_millis(100),
                deadline: Some(Duration::from_secs(10)),
            },
            ..TapOptions::default()
        });
    let t = tap
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 4);
    assert!(server.requests().iter().any(|r| r.path() == "/tap/sync"));
    assert!(
        inner
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path() == "/tap/async")
    );
}

#[tokio::test]
async fn token_goes_to_listed_hosts_only_and_not_across_redirects() {
    // The second server listens on another loopback address: another host.
    let second =
        TestServer::start_on("127.0.0.2:0", |_, _| Action::Send(votable_response(2))).await;
    let target = second.url("/tap/sync");
    let first = TestServer::start(move |_, _| Action::Send(redirect(307, &target))).await;
    let cfg = ClientConfig {
        tokens: TokenPolicy {
            token: Some(Secret::new("s3cr3t-token")),
            hosts: vec!["127.0.0.1".into(), "127.0.0.2".into()],
            ..TokenPolicy::default()
        },
        ..config()
    };
    let t = tap(&first, Mode::Sync, cfg)
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 2);
    assert_eq!(
        first.requests()[0].header("authorization"),
        Some("token s3cr3t-token")
    );
    let got = &second.requests()[0];
    assert_eq!(
        got.header("authorization"),
        None,
        "token forwarded across a redirect to another host"
    );
    // The 307 kept the method and the body.
    assert_eq!(got.method, "POST");
    assert_eq!(got.form_value("QUERY").as_deref(), Some("SELECT 1"));
}

#[tokio::test]
async fn token_never_appears_in_errors() {
    let server =
        TestServer::start(|_, _| Action::Send(response(401, "text/plain", b"Unauthorized"))).await;
    let cfg = ClientConfig {
        tokens: TokenPolicy {
            token: Some(Secret::new("s3cr3t-token")),
            hosts: vec!["127.0.0.1".into()],
            ..TokenPolicy::default()
        },
        ..config()
    };
    let err = tap(&server, Mode::Sync, cfg.clone())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(!err.to_string().contains("s3cr3t"));
    assert!(!format!("{err:?}").contains("s3cr3t"));
    assert!(!format!("{cfg:?}").contains("s3cr3t"));
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("token s3cr3t-token")
    );
}

#[tokio::test]
async fn loopback_bypasses_a_configured_proxy_and_other_hosts_use_it() {
    // A "proxy" that records what it is asked and answers for the origin.
    let proxy = TestServer::start(|_, _| Action::Send(votable_response(1))).await;
    let origin = TestServer::start(|_, _| Action::Send(votable_response(3))).await;
    let proxy_url = proxy.url("");
    let cfg = ClientConfig {
        proxy: ProxyConfig {
            http: Some(proxy_url.clone()),
            https: Some(proxy_url),
            ..ProxyConfig::default()
        },
        ..config()
    };
    let http = HttpClient::new(cfg).unwrap();
    // Loopback: straight to the origin.
    let t = TapService::new(http.clone(), &origin.url("/tap"))
        .unwrap()
        .with_options(TapOptions {
            mode: Mode::Sync,
            ..TapOptions::default()
        });
    assert_eq!(
        t.query(&TapQuery::new("SELECT 1"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap()
            .num_rows(),
        3
    );
    assert!(proxy.requests().is_empty());
    // Another host: through the proxy (which answers itself; nothing leaves the machine).
    let t = TapService::new(http, "http://tap.example.invalid/tap")
        .unwrap()
        .with_options(TapOptions {
            mode: Mode::Sync,
            ..TapOptions::default()
        });
    assert_eq!(
        t.query(&TapQuery::new("SELECT 1"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap()
            .num_rows(),
        1
    );
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "http://tap.example.invalid/tap/sync");
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    // `<VOTABLE>` document with 2 rows, gzip-compressed (generated with Python's gzip module).
    let doc = votable(2, None);
    let gz = gzip_store(doc.as_bytes());
    let server = TestServer::start(move |_, _| {
        Action::Send(response_with(
            200,
            &[("Content-Type", "text/xml"), ("Content-Encoding", "gzip")],
            &gz,
        ))
    })
    .await;
    let t = tap(&server, Mode::Sync, config())
        .query(&TapQuery::new("SELECT 1"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 2);
}

/// A valid gzip member using "stored" (uncompressed) deflate blocks.
fn gzip_store(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cone_batch_on_a_server_closing_every_connection_completes() {
    use vo_client::scs::{Cone, ConeSearch};
    // Every answer closes its connection, so every connection the cap counts goes away; the
    // batch must still finish (the cap counts closed connections out), with each cone's own
    // answer in order, and one failing cone reported as its own error.
    let server = TestServer::start(|req, _| {
        let ra: f64 = req
            .query()
            .split('&')
            .find_map(|p| p.strip_prefix("RA="))
            .unwrap()
            .parse()
            .unwrap();
        if ra == 13.0 {
            Action::Send(response(400, "text/plain", b"bad cone"))
        } else {
            Action::Send(votable_response(ra as usize % 5))
        }
    })
    .await;
    let cfg = ClientConfig {
        retry: RetryPolicy::none(),
        ..config()
    };
    let cone = ConeSearch::new(HttpClient::new(cfg).unwrap(), &server.url("/scs")).unwrap();
    let cones: Vec<Cone> = (0..30)
        .map(|i| Cone {
            ra: f64::from(i),
            dec: 0.0,
            sr: 0.1,
        })
        .collect();
    let started = Instant::now();
    let answers = cone.search_many(&cones, None, 4).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(answers.len(), 30);
    for (i, answer) in answers.into_iter().enumerate() {
        if i == 13 {
            let err = answer.unwrap_err();
            assert_eq!(err.status(), Some(400), "{err}");
            assert!(err.to_string().contains("bad cone"), "{err}");
        } else {
            assert_eq!(answer.unwrap().num_rows(), i % 5, "cone {i}");
        }
    }
    assert_eq!(server.requests().len(), 30);
}
