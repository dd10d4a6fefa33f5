//! Overflow (issue 6): a remote part larger than MAXREC returns all its rows (split into pieces
//! under MAXREC) or, when the policy says so or it cannot be split, an error naming the service;
//! never a silent subset. First against a simulated service that honours MAXREC, then against the
//! loopback DaCHS with a small MAXREC (skipped when DaCHS is not running, failing under `CI`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::dachs_server;

use dachs_server::{server_up, tap_url};
use std::sync::Arc;

use adql_federation::Federation;
use adql_federation::ServiceCapabilities;
use adql_federation::{Catalogue, ServiceConfig};
use adql_federation::{FederationOptions, OverflowPolicy};
use adql_federation::{RemoteService, TapExecutor};
use adql_federation::{VoTapExecutor, VosiDiscovery};
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::prelude::{SessionConfig, SessionContext};
use vo_client::tap::{TapQuery, TapService};
use vo_client::{ClientConfig, HttpClient};

use common::{LocalTap, mem_table, register_qualified, rows, table_metadata};

const URL: &str = "http://127.0.0.1:8080/tap/big";
const N: i64 = 1000;

/// `big.t`: N rows; `dec` spread over [-90, 90) with NULLs every 17th row, `k` = id / 4 (duplicates),
/// a string column that is never a split key.
fn big() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("ra", DataType::Float64, true),
        Field::new("dec", DataType::Float64, true),
        Field::new("k", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]));
    let mut state: u64 = 42;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let ids: Vec<i64> = (1..=N).collect();
    let ra: Vec<f64> = ids.iter().map(|_| next() * 360.0).collect();
    let dec: Vec<Option<f64>> = ids
        .iter()
        .map(|i| (i % 17 != 0).then(|| next() * 180.0 - 90.0))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids.clone())),
        Arc::new(Float64Array::from(ra)),
        Arc::new(Float64Array::from(dec)),
        Arc::new(Int64Array::from(
            ids.iter().map(|i| Some(i / 4)).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            ids.iter()
                .map(|i| Some(format!("s{}", i % 7)))
                .collect::<Vec<_>>(),
        )),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
    (schema, batch)
}

struct Setup {
    federated: SessionContext,
    local: SessionContext,
    tap: LocalTap,
}

/// The service `big` (MAXREC `maxrec`, policy `service_policy`) in a session whose own policy is
/// `session_policy` (`None`: the session has no federation options, so the default applies).
fn setup(
    maxrec: u64,
    service_policy: Option<OverflowPolicy>,
    session_policy: Option<OverflowPolicy>,
) -> Setup {
    let backend = SessionContext::new();
    register_qualified(&backend, "datafusion", "big", "t", mem_table(big()));
    let tap = LocalTap::new(backend);
    let mut service = RemoteService::new(
        "big",
        URL,
        ServiceCapabilities::adql_2_1_full(),
        Arc::new(tap.clone()),
    );
    service.maxrec = Some(maxrec);
    service.overflow = service_policy;
    let mut federation = Federation::new();
    federation.add_service(service, vec![table_metadata("big", "t", &big().0)]);
    let federated = federation.context().unwrap();
    if let Some(policy) = session_policy {
        let mut options = FederationOptions::default();
        options.overflow = policy;
        federated
            .state_ref()
            .write()
            .config_mut()
            .options_mut()
            .extensions
            .insert(options);
    }
    let local = SessionContext::new();
    register_qualified(&local, "big", "big", "t", mem_table(big()));
    Setup {
        federated,
        local,
        tap,
    }
}

async fn run(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<String>> {
    Ok(rows(&ctx.sql(sql).await?.collect().await?))
}

/// Runs `sql` federated and locally; the rows must agree (in order when `ordered`).
async fn same_rows(s: &Setup, sql: &str, ordered: bool) -> usize {
    let mut federated = run(&s.federated, sql).await.unwrap();
    let mut local = run(&s.local, sql).await.unwrap();
    if !ordered {
        federated.sort();
        local.sort();
    }
    assert_eq!(federated.len(), local.len(), "{sql}");
    assert_eq!(federated, local, "{sql}");
    federated.len()
}

#[tokio::test]
async fn an_overflowing_part_is_split_until_every_row_is_there() {
    let s = setup(100, None, None);
    let n = same_rows(&s, "SELECT id, ra, dec, name FROM big.big.t", false).await;
    assert_eq!(n as i64, N);
    let queries = s.tap.queries();
    // The first answer overflowed; a probe found dec's range; the pieces each fit under MAXREC.
    assert!(queries.len() > 2, "{queries:#?}");
    assert!(
        queries[1].starts_with("SELECT MIN(q.dec) AS lo, MAX(q.dec) AS hi, COUNT(*) AS n"),
        "{queries:#?}"
    );
    assert!(
        queries.iter().any(|q| q.ends_with("WHERE q.dec IS NULL")),
        "NULLs have their own piece: {queries:#?}"
    );
    // Every piece re-parses as ADQL.
    for q in &queries {
        adql_syntax::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[tokio::test]
async fn pieces_that_still_overflow_are_split_again_and_bounds_hold() {
    // MAXREC 10 over 1000 rows: pieces of 7-8 rows after one or two levels.
    let s = setup(10, None, None);
    let n = same_rows(&s, "SELECT id, dec FROM big.big.t WHERE id > 100", false).await;
    assert_eq!(n as i64, N - 100);
}

#[tokio::test]
async fn an_ordered_part_keeps_its_order() {
    let s = setup(90, None, None);
    // NULL decs come first in descending order (as in PostgreSQL and DataFusion).
    same_rows(
        &s,
        "SELECT id, dec FROM big.big.t ORDER BY dec DESC, id",
        true,
    )
    .await;
    same_rows(&s, "SELECT id, k FROM big.big.t ORDER BY k, id", true).await;
}

#[tokio::test]
async fn grouped_and_distinct_parts_are_split_on_an_output_column() {
    let s = setup(60, None, None);
    // 251 groups; the condition outside the part keeps each group whole.
    same_rows(
        &s,
        "SELECT k, COUNT(*) AS n, MIN(id) AS first FROM big.big.t GROUP BY k",
        false,
    )
    .await;
    same_rows(&s, "SELECT DISTINCT k FROM big.big.t", false).await;
}

#[tokio::test]
async fn a_part_that_cannot_be_split_fails_and_says_why() {
    let s = setup(100, None, None);
    let err = run(
        &s.federated,
        "SELECT id FROM big.big.t ORDER BY id LIMIT 500",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "service big (http://127.0.0.1:8080/tap/big) truncated the result at 100 rows"
        ),
        "{err}"
    );
    assert!(err.contains("could not be split: it has TOP 500"), "{err}");
    assert!(err.contains("SELECT TOP 500"), "the ADQL is quoted: {err}");

    let err = run(&s.federated, "SELECT name FROM big.big.t")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no numeric output column"), "{err}");
}

#[tokio::test]
async fn the_fail_policy_reports_the_overflow() {
    let expect_error = |err: String| {
        assert!(
            err.contains("service big (http://127.0.0.1:8080/tap/big) truncated the result at 100 rows (MAXREC)"),
            "{err}"
        );
        assert!(err.contains("SELECT t.id FROM big.t AS t"), "{err}");
    };
    // Chosen by the session...
    let s = setup(100, None, Some(OverflowPolicy::Fail));
    expect_error(
        run(&s.federated, "SELECT id FROM big.big.t")
            .await
            .unwrap_err()
            .to_string(),
    );
    assert_eq!(s.tap.queries().len(), 1, "no second request");
    // ... or by the service, which wins over the session.
    let s = setup(100, Some(OverflowPolicy::Fail), Some(OverflowPolicy::Split));
    expect_error(
        run(&s.federated, "SELECT id FROM big.big.t")
            .await
            .unwrap_err()
            .to_string(),
    );
    let s = setup(100, Some(OverflowPolicy::Split), Some(OverflowPolicy::Fail));
    assert_eq!(
        same_rows(&s, "SELECT id FROM big.big.t", false).await as i64,
        N
    );
}

#[tokio::test]
async fn an_adql_session_takes_the_policy_from_set() {
    let backend = SessionContext::new();
    register_qualified(&backend, "datafusion", "big", "t", mem_table(big()));
    let tap = LocalTap::new(backend);
    let mut service = RemoteService::new(
        "big",
        URL,
        ServiceCapabilities::adql_2_1_full(),
        Arc::new(tap.clone()),
    );
    service.maxrec = Some(100);
    let mut federation = Federation::new();
    federation.add_service(service, vec![table_metadata("big", "t", &big().0)]);
    let session = federation.adql_session(SessionConfig::new()).unwrap();
    let all = session
        .query("SELECT id FROM big.big.t")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(rows(&all).len() as i64, N, "split by default");
    session
        .context()
        .sql("SET federation.overflow = 'fail'")
        .await
        .unwrap();
    let err = session
        .query("SELECT id FROM big.big.t")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("truncated the result at 100 rows"), "{err}");
}

#[tokio::test]
async fn the_request_bound_stops_a_runaway_split() {
    let s = setup(10, None, None);
    let mut options = FederationOptions::default();
    options.split_max_requests = 3;
    s.federated
        .state_ref()
        .write()
        .config_mut()
        .options_mut()
        .extensions
        .insert(options);
    let err = run(&s.federated, "SELECT id FROM big.big.t")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 3 requests"), "{err}");
    assert!(s.tap.queries().len() <= 4, "{:#?}", s.tap.queries());
}

/// `gaia` (schema archive2 only) with MAXREC 500 on the loopback DaCHS.
async fn dachs_federation(cache: &std::path::Path, policy: Option<OverflowPolicy>) -> Federation {
    let url = tap_url();
    let mut catalogue = Catalogue::empty().with_cache_dir(cache);
    let mut gaia =
        ServiceConfig::tap("gaia", &url, "DaCHS, 500 rows a request").with_schemas(["archive2"]);
    gaia.maxrec = Some(500);
    gaia.overflow = policy;
    catalogue.add(gaia);
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let discovery = VosiDiscovery::new(http.clone());
    let executor = move |c: &ServiceConfig| {
        VoTapExecutor::connect(http.clone(), &c.name, &c.url)
            .map(|e| Arc::new(e) as Arc<dyn TapExecutor>)
    };
    Federation::from_catalogue(&catalogue, &discovery, &executor)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dachs_with_a_small_maxrec_returns_every_row() {
    let url = tap_url();
    if !server_up(&url) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let session = dachs_federation(cache.path(), None)
        .await
        .adql_session(SessionConfig::new())
        .unwrap();
    // 20 000 rows through MAXREC 500.
    let batches = session
        .query("SELECT source_id, ra, dec FROM gaia.archive2.sources")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut ids: Vec<String> = rows(&batches)
        .into_iter()
        .map(|r| r.split(" | ").next().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 20_000);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20_000, "no row twice");

    // An ordered part (3000-odd rows) comes back complete and in DaCHS's own order.
    let adql = "SELECT source_id, phot_g_mean_mag FROM gaia.archive2.sources \
                WHERE dec > 30 ORDER BY phot_g_mean_mag DESC, source_id";
    let federated = rows(&session.query(adql).await.unwrap().collect().await.unwrap());
    let tap = TapService::new(HttpClient::new(ClientConfig::default()).unwrap(), &url).unwrap();
    let direct = tap
        .query(&TapQuery::new(adql.replace("gaia.archive2.", "archive2.")).maxrec(1_000_000))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(!direct.completeness.is_truncated());
    assert!(federated.len() > 500, "{}", federated.len());
    assert_eq!(federated, rows(&direct.batches));
}

#[tokio::test]
async fn dachs_with_the_fail_policy_names_the_service() {
    let url = tap_url();
    if !server_up(&url) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let session = dachs_federation(cache.path(), Some(OverflowPolicy::Fail))
        .await
        .adql_session(SessionConfig::new())
        .unwrap();
    let err = session
        .query("SELECT source_id FROM gaia.archive2.sources")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "service gaia ({url}) truncated the result at 500 rows"
        )),
        "{err}"
    );
}
