//! Integration tests against the real DaCHS on loopback (`tests/dachs/setup.sh`). They skip
//! with a message when the server is not running, except under `CI`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/support/dachs.rs"]
mod dachs;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arrow_array::{Float64Array, Int32Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use vo_client::arrow_util::column_cell;
use vo_client::scs::{Cone, ConeSearch, Verbosity};
use vo_client::tap::{Mode, Phase, PollOptions, TapOptions, TapQuery, TapService, Upload};
use vo_client::{ClientConfig, Completeness, Error, HttpClient};

fn tap(url: &str, mode: Mode) -> TapService {
    let options = TapOptions {
        mode,
        poll: PollOptions {
            initial: Duration::from_millis(200),
            max_wait: Duration::from_secs(5),
            deadline: Some(Duration::from_secs(120)),
        },
        ..TapOptions::default()
    };
    TapService::new(HttpClient::new(ClientConfig::default()).unwrap(), url)
        .unwrap()
        .with_options(options)
}

const TOP5: &str = "SELECT TOP 5 source_id, ra, dec FROM archive2.sources ORDER BY source_id";

#[tokio::test]
async fn sync_query() {
    let Some(url) = dachs::tap_url() else { return };
    let t = tap(&url, Mode::Sync)
        .query(&TapQuery::new(TOP5))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 5);
    assert_eq!(t.completeness, Completeness::Complete);
    let ra = t.schema.field_with_name("ra").unwrap();
    assert_eq!(ra.data_type(), &DataType::Float64);
    assert_eq!(ra.metadata().get("unit").map(String::as_str), Some("deg"));
}

#[tokio::test]
async fn async_query_matches_sync() {
    let Some(url) = dachs::tap_url() else { return };
    let phases = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = phases.clone();
    let mut service = tap(&url, Mode::Async);
    let opts = TapOptions {
        on_phase: Some(Arc::new(move |p: &Phase| {
            seen.lock().unwrap().push(p.clone())
        })),
        ..service.options().clone()
    };
    service = service.with_options(opts);
    let a = service
        .query(&TapQuery::new(TOP5))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let s = tap(&url, Mode::Sync)
        .query(&TapQuery::new(TOP5))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(a.num_rows(), 5);
    for i in 0..5 {
        assert_eq!(
            column_cell(&a.batches[0], "source_id", i),
            column_cell(&s.batches[0], "source_id", i)
        );
    }
    assert_eq!(phases.lock().unwrap().last(), Some(&Phase::Completed));
}

#[tokio::test]
async fn upload_joined_on_the_server() {
    let Some(url) = dachs::tap_url() else { return };
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("ra", DataType::Float64, false),
        Field::new("dec", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from(vec![1, 2, 3])),
            Arc::new(Float64Array::from(vec![56.75, 0.2, 10.0])),
            Arc::new(Float64Array::from(vec![24.12, -30.0, 89.5])),
        ],
    )
    .unwrap();
    let upload = Upload::from_batches("t1", schema, &[batch]).unwrap();
    let q = TapQuery::new(
        "SELECT u.id, COUNT(*) AS n FROM TAP_UPLOAD.t1 AS u JOIN archive2.sources AS s \
         ON 1=CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', u.ra, u.dec, 0.1)) GROUP BY u.id ORDER BY u.id",
    )
    .upload(upload);
    // The expected counts, from the same circles written as literals.
    let mut expected = Vec::new();
    for (id, ra, dec) in [(1, 56.75, 24.12), (2, 0.2, -30.0), (3, 10.0, 89.5)] {
        let adql = format!(
            "SELECT COUNT(*) AS n FROM archive2.sources AS s WHERE 1=CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', {ra}, {dec}, 0.1))"
        );
        let t = tap(&url, Mode::Sync)
            .query(&TapQuery::new(adql))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let n = column_cell(&t.batches[0], "n", 0).unwrap();
        if n != "0" {
            expected.push((id.to_string(), n));
        }
    }
    assert_eq!(expected[0], ("1".to_owned(), "97".to_owned()));
    for mode in [Mode::Sync, Mode::Async] {
        let t = tap(&url, mode)
            .query(&q)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let rows: Vec<(String, String)> = (0..t.num_rows())
            .map(|i| {
                (
                    column_cell(&t.batches[0], "id", i).unwrap(),
                    column_cell(&t.batches[0], "n", i).unwrap(),
                )
            })
            .collect();
        assert_eq!(rows, expected, "{mode:?}");
    }
}

#[tokio::test]
async fn overflow_at_maxrec() {
    let Some(url) = dachs::tap_url() else { return };
    for mode in [Mode::Sync, Mode::Async] {
        let t = tap(&url, mode)
            .query(&TapQuery::new("SELECT source_id FROM archive2.sources").maxrec(5))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(t.num_rows(), 5);
        assert_eq!(
            t.completeness,
            Completeness::Truncated { maxrec: Some(5) },
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn adql_error_carries_the_server_message() {
    let Some(url) = dachs::tap_url() else { return };
    let err = tap(&url, Mode::Sync)
        .query(&TapQuery::new("SELCT * FROM archive2.sources"))
        .await
        .unwrap_err();
    match &err {
        Error::Service { message, .. } => {
            assert!(message.contains("Could not parse your query"), "{message}")
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = tap(&url, Mode::Async)
        .query(&TapQuery::new("SELECT * FROM nosuch.tab"))
        .await
        .unwrap_err();
    match &err {
        Error::JobFailed { message, .. } => assert!(
            message.contains("Could not locate table 'nosuch.tab'"),
            "{message}"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn vosi_documents() {
    let Some(url) = dachs::tap_url() else { return };
    let t = tap(&url, Mode::Sync);
    let caps = t.capabilities().await.unwrap();
    assert!(caps.supports_geometry("INTERSECTS"));
    assert!(caps.supports_geometry("CONTAINS"));
    assert!(caps.supports_upload());
    assert_eq!(caps.hard_maxrec(), Some(5_000_000));
    assert_eq!(caps.default_maxrec(), Some(100_000));
    assert!(caps.adql_versions().contains(&"2.0"));
    assert!(!caps.udfs().is_empty());
    assert!(t.availability().await.unwrap().available);
    let tables = t.tables().await.unwrap();
    let sources = tables.table("archive2.sources").unwrap();
    let ra = sources.columns.iter().find(|c| c.name == "ra").unwrap();
    assert_eq!(ra.unit.as_deref(), Some("deg"));
    assert!(ra.ucd.as_deref().unwrap_or("").starts_with("pos.eq.ra"));
    assert_eq!(ra.votable_datatype().unwrap().0, "double");
    // The TAP_SCHEMA fallback gives the same columns.
    let from_schema = vo_client::vosi::tables::from_tap_schema(&t).await.unwrap();
    let sources2 = from_schema.table("archive2.sources").unwrap();
    let mut a: Vec<&str> = sources.columns.iter().map(|c| c.name.as_str()).collect();
    let mut b: Vec<&str> = sources2.columns.iter().map(|c| c.name.as_str()).collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}

#[tokio::test]
async fn cone_search() {
    let Some(url) = dachs::scs_url() else { return };
    let cone = ConeSearch::new(HttpClient::new(ClientConfig::default()).unwrap(), &url).unwrap();
    let t = cone
        .search(56.75, 24.12, 0.05, Some(Verbosity::Minimal))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 45);
    assert_eq!(t.completeness, Completeness::Complete);
    assert!(t.schema.field_with_name("source_id").is_ok());
}

#[tokio::test]
async fn cancelled_job_is_deleted() {
    let Some(url) = dachs::tap_url() else { return };
    let service = tap(&url, Mode::Async);
    let run_id = format!("cancel-test-{}", std::process::id());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = TapOptions {
        on_phase: Some(Arc::new(move |p: &Phase| {
            let _ = tx.send(p.clone());
        })),
        ..service.options().clone()
    };
    let service = service.with_options(opts);
    let mut q = TapQuery::new(
        "SELECT COUNT(*) AS n FROM archive2.sources AS a, archive2.sources AS b, archive2.sources AS c WHERE a.ra + b.ra + c.ra < 0",
    );
    q.run_id = Some(run_id.clone());
    let runner = service.clone();
    let task = tokio::spawn(async move { runner.query(&q).await.map(drop) });
    // Wait until the job is queued or running, then cancel.
    loop {
        let p = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap();
        if matches!(p, Phase::Queued | Phase::Executing) {
            break;
        }
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    // The job with our RUNID disappears from the service.
    let http = service.http().clone();
    let mut gone = false;
    for _ in 0..50 {
        let mut ours = false;
        for job in service.jobs().await.unwrap() {
            let Some(href) = job.href else { continue };
            let j = vo_client::tap::AsyncJob::attach(
                http.clone(),
                "TAP",
                url::Url::parse(&href).unwrap(),
            );
            if let Ok(info) = j.info().await
                && info.run_id.as_deref() == Some(run_id.as_str())
            {
                ours = true;
            }
        }
        if !ours {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(gone, "the cancelled job is still listed");
}

/// A TCP forwarder to the server that counts simultaneously open connections.
async fn counting_proxy(target: String) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let open = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let (o, m) = (open.clone(), max.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let now = o.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            let (o, target) = (o.clone(), target.clone());
            tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    let _ = server.shutdown().await;
                }
                o.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (addr.to_string(), open, max)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_cones_with_bounded_concurrency() {
    let Some(scs) = dachs::scs_url() else { return };
    let scs = url::Url::parse(&scs).unwrap();
    let target = format!(
        "{}:{}",
        scs.host_str().unwrap(),
        scs.port_or_known_default().unwrap()
    );
    let (proxy, _open, max_open) = counting_proxy(target).await;
    let mut via_proxy = scs.clone();
    via_proxy.set_host(Some("127.0.0.1")).unwrap();
    via_proxy
        .set_port(Some(proxy.rsplit(':').next().unwrap().parse().unwrap()))
        .unwrap();
    const BOUND: usize = 8;
    let cone = ConeSearch::new(
        HttpClient::new(ClientConfig::default()).unwrap(),
        via_proxy.as_str(),
    )
    .unwrap();
    let position = |i: usize| (56.0 + (i % 20) as f64 * 0.07, 23.5 + (i / 20) as f64 * 0.12);
    let cones: Vec<Cone> = (0..200)
        .map(|i| {
            let (ra, dec) = position(i);
            Cone { ra, dec, sr: 0.05 }
        })
        .collect();
    let answers = cone
        .search_many(&cones, Some(Verbosity::Minimal), BOUND)
        .await
        .unwrap();
    assert_eq!(answers.len(), 200, "a cone was lost or answered twice");
    let counts: Vec<usize> = answers
        .into_iter()
        .map(|t| {
            let t = t.unwrap();
            assert_eq!(t.completeness, Completeness::Complete);
            t.num_rows()
        })
        .collect();
    assert!(counts.iter().any(|&n| n > 0));
    let by_index: BTreeMap<usize, usize> = counts.iter().copied().enumerate().collect();
    let max = max_open.load(Ordering::SeqCst);
    // The connector never holds more than BOUND connections, and DaCHS keeps them alive, so
    // the proxy never sees a connection beyond the bound, not even one in transit.
    assert!(
        (1..=BOUND).contains(&max),
        "{max} connections open at once, bound {BOUND}"
    );
    // Spot-check answers against a direct sequential search.
    let direct = ConeSearch::new(
        HttpClient::new(ClientConfig::default()).unwrap(),
        scs.as_str(),
    )
    .unwrap();
    for i in (0..200).step_by(40) {
        let (ra, dec) = position(i);
        let t = direct
            .search(ra, dec, 0.05, Some(Verbosity::Minimal))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(t.num_rows(), by_index[&i], "cone {i}");
    }
}
