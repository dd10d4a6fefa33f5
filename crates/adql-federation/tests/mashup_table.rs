//! The Mashup-backed CAOM table (`mast_mashup.caom.observations`) against a loopback server replaying
//! the recorded `Mast.Caom.Filtered.Position` answer (`shared/fixtures/astroquery_mast/advSearchPos.json`).
//! Skips when the shared fixtures are absent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::replay;

use std::sync::Arc;
use std::time::Duration;

use adql_federation::Federation;
use adql_federation::MashupTable;
use adql_federation::add_catalogue_sources;
use adql_federation::{Catalogue, ServiceConfig, ServiceKind};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::displayable;
use datafusion::prelude::SessionConfig;
use replay::{Recorded, ReplayServer, fixtures_dir};
use serde_json::Value;
use vo_client::auth::{Secret, TokenPolicy};
use vo_client::mashup::MashupOptions;
use vo_client::{ClientConfig, HttpClient};

/// The recorded answer, served for every request.
async fn server() -> Option<ReplayServer> {
    let dir = fixtures_dir()?;
    let body = std::fs::read(dir.join("astroquery_mast/advSearchPos.json")).unwrap();
    Some(replay::replay(move |_| (200, "application/json", body.clone())).await)
}

/// A federation with one Mashup service at the replay server; the token goes to 127.0.0.1.
async fn federation(server: &ReplayServer) -> Federation {
    let mut catalogue = Catalogue::empty();
    catalogue.add(ServiceConfig {
        kind: ServiceKind::Mashup,
        ..ServiceConfig::tap(
            "mast_mashup",
            &server.url("/api/v0/invoke"),
            "replayed MAST Mashup",
        )
    });
    let http = HttpClient::new(ClientConfig {
        tokens: TokenPolicy {
            token: Some(Secret::new("test-token")),
            hosts: vec!["127.0.0.1".into()],
            ..TokenPolicy::default()
        },
        ..ClientConfig::default()
    })
    .unwrap();
    let mut federation = Federation::new();
    add_catalogue_sources(&mut federation, &catalogue, &http)
        .await
        .unwrap();
    federation
}

fn session(federation: &Federation) -> adql_engine::AdqlSession {
    federation
        .adql_session(SessionConfig::new().with_target_partitions(1))
        .unwrap()
}

/// The request object of a recorded POST, without its random cache breaker (checked separately).
fn request_of(r: &Recorded) -> Value {
    let mut v: Value = serde_json::from_str(&r.form_value("request").unwrap()).unwrap();
    let cb = v
        .as_object_mut()
        .unwrap()
        .remove("cachebreaker")
        .expect("a cache breaker");
    assert_eq!(cb.as_str().unwrap().len(), 32);
    v
}

const CONE_AND_FILTERS: &str = "\
SELECT obsid, obs_id, filters, t_max, target_name FROM mast_mashup.caom.observations \
WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 210.8023, 54.349, 0.24)) \
AND filters IN ('NUV', 'FUV') \
AND t_max BETWEEN 52264.4586 AND 54452.8914 \
AND target_name LIKE '%A%' \
AND calib_level >= 2 \
ORDER BY obsid, filters";

#[tokio::test]
async fn cone_and_filters_send_the_expected_request_and_return_the_rows() {
    let Some(server) = server().await else { return };
    let federation = federation(&server).await;
    let batches = session(&federation)
        .query(CONE_AND_FILTERS)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one page");
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/api/v0/invoke");
    assert_eq!(r.header("authorization"), Some("token test-token"));
    insta::assert_snapshot!(
        "mashup_request",
        serde_json::to_string_pretty(&request_of(r)).unwrap()
    );
    // The service answered 12 rows (it matches footprints, so some centres lie 0.6° away); the
    // local re-check of the cone, the text filters and the time range keeps these.
    insta::assert_snapshot!(
        "mashup_rows",
        pretty_format_batches(&batches).unwrap().to_string()
    );
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 4);
}

#[tokio::test]
async fn distance_form_and_an_untranslatable_filter_stays_local() {
    let Some(server) = server().await else { return };
    let federation = federation(&server).await;
    let adql = "SELECT obsid, filters, target_name FROM mast_mashup.caom.observations \
                WHERE DISTANCE(POINT('ICRS', s_ra, s_dec), POINT('ICRS', 210.8023, 54.349)) < 0.24 \
                AND LOWER(project) = 'ngs' ORDER BY filters";
    let df = session(&federation).query(adql).await.unwrap();
    let plan = df.clone().into_optimized_plan().unwrap();
    let text = plan.display_indent().to_string();
    assert!(
        text.contains("lower(") && text.contains("Filter:"),
        "the untranslatable filter stays in a local Filter:\n{text}"
    );
    let batches = df.collect().await.unwrap();
    insta::assert_snapshot!(
        "mashup_local_filter_rows",
        pretty_format_batches(&batches).unwrap().to_string()
    );
    let request = request_of(&server.requests()[0]);
    assert_eq!(request["params"]["filters"], serde_json::json!([]));
    assert_eq!(
        request["params"]["position"],
        serde_json::json!("210.8023, 54.349, 0.24")
    );
}

#[tokio::test]
async fn explain_shows_the_request() {
    let Some(server) = server().await else { return };
    let federation = federation(&server).await;
    let df = session(&federation).query(CONE_AND_FILTERS).await.unwrap();
    let physical = df.create_physical_plan().await.unwrap();
    insta::assert_snapshot!(
        "mashup_explain",
        displayable(physical.as_ref())
            .indent(true)
            .to_string()
            .replace(&server.url(""), "http://SERVER")
    );
    assert!(server.requests().is_empty(), "planning sends nothing");
}

#[tokio::test]
async fn without_a_cone_the_error_says_a_position_is_needed() {
    let Some(server) = server().await else { return };
    let federation = federation(&server).await;
    let result = match session(&federation)
        .query("SELECT obsid FROM mast_mashup.caom.observations WHERE calib_level = 2")
        .await
    {
        Ok(df) => df.collect().await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let err = result.unwrap_err();
    assert!(
        err.contains("table mast_mashup.caom.observations needs a position")
            && err.contains("CONTAINS(POINT('ICRS', s_ra, s_dec)"),
        "{err}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn pages_are_followed_and_the_limit_is_respected() {
    let Some(dir) = fixtures_dir() else { return };
    let doc: Value = serde_json::from_slice(
        &std::fs::read(dir.join("astroquery_mast/advSearchPos.json")).unwrap(),
    )
    .unwrap();
    let rows = doc["data"].as_array().unwrap().clone();
    let doc = Arc::new(doc);
    // Pages of 5 rows cut from the recorded answer.
    let server = replay::replay(move |req| {
        let asked: Value = serde_json::from_str(&req.form_value("request").unwrap()).unwrap();
        let page = asked["page"].as_u64().unwrap() as usize;
        let size = asked["pagesize"].as_u64().unwrap() as usize;
        let chunk: Vec<Value> = rows
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .cloned()
            .collect();
        let mut answer = (*doc).clone();
        answer["data"] = Value::Array(chunk.clone());
        answer["paging"] = serde_json::json!({"page": page, "pageSize": size,
            "pagesFiltered": rows.len().div_ceil(size), "rows": chunk.len(),
            "rowsFiltered": rows.len(), "rowsTotal": rows.len()});
        (200, "application/json", answer.to_string().into_bytes())
    })
    .await;
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let table = MashupTable::caom_observations("mast_mashup", &server.url("/api/v0/invoke"), http)
        .unwrap()
        .with_page_size(5)
        .with_options(MashupOptions {
            poll_delay: Duration::from_millis(10),
            ..MashupOptions::default()
        });
    let mut federation = Federation::new();
    federation.add_source_table("mast_mashup", "caom", "observations", Arc::new(table));
    let session = session(&federation);
    // Wide enough that every recorded centre is inside: all 12 rows, over 3 pages.
    let all = session
        .query(
            "SELECT obsid FROM mast_mashup.caom.observations \
             WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 210.8023, 54.349, 1))",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(all.iter().map(|b| b.num_rows()).sum::<usize>(), 12);
    let pages: Vec<u64> = server
        .requests()
        .iter()
        .map(|r| request_of(r)["page"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, vec![1, 2, 3]);

    // A TOP met by the first page stops the paging: the stream is read lazily.
    let before = server.requests().len();
    let top = session
        .query(
            "SELECT TOP 2 obsid FROM mast_mashup.caom.observations \
             WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 210.8023, 54.349, 1))",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(top.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    assert_eq!(server.requests().len() - before, 1, "only the first page");
}

#[tokio::test]
async fn a_service_error_names_the_service_and_url() {
    let server = replay::replay(|_| {
        (
            200,
            "application/json",
            br#"{"status": "ERROR", "msg": "Must be logged in as an authorized user to access this service."}"#
                .to_vec(),
        )
    })
    .await;
    let federation = federation(&server).await;
    let err = session(&federation)
        .query(
            "SELECT obsid FROM mast_mashup.caom.observations \
             WHERE 1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', 10, 20, 0.1))",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("service mast_mashup (http://127.0.0.1:")
            && err.contains("Must be logged in as an authorized user"),
        "{err}"
    );
}

#[tokio::test]
async fn the_engine_makes_a_named_mashup_service_a_table() {
    use adql_federation::{Engine, EngineOptions, VoServiceIo};
    let Some(server) = server().await else { return };
    let mut catalogue = Catalogue::empty();
    catalogue.add(ServiceConfig {
        kind: ServiceKind::Mashup,
        ..ServiceConfig::tap(
            "mast_mashup",
            &server.url("/api/v0/invoke"),
            "replayed MAST Mashup",
        )
    });
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let engine = Engine::with_io(
        catalogue,
        Arc::new(VoServiceIo::new(http)),
        EngineOptions::default(),
    );
    let explained = engine.explain(CONE_AND_FILTERS).await.unwrap();
    let physical = displayable(explained.physical_plan.as_ref())
        .indent(false)
        .to_string();
    assert!(
        physical.contains("MashupScanExec: service=mast_mashup"),
        "{physical}"
    );
    let batches = engine
        .query(CONE_AND_FILTERS)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
    assert_eq!(server.requests().len(), 1);
}
