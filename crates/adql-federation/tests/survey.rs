//! `Engine::survey` against the DaCHS on loopback (its TAP service under two names and its cone search) and a
//! scripted server (SIA and SSA answers, the recorded Mashup answer, a stalled service), with a dead one:
//! counts equal to each service's own answer, failures reported and not fatal, a stall cut at the timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::dachs_server;
use crate::replay;

use std::sync::Arc;
use std::time::{Duration, Instant};

use adql_federation::{
    Catalogue, Engine, EngineOptions, Finding, ServiceConfig, ServiceKind, Survey, VoServiceIo,
    findings_batch,
};
use dachs_server::{server_up, tap_url};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use replay::{Action, ReplayServer, fixtures_dir, response, votable};
use vo_client::{ClientConfig, HttpClient, RetryPolicy};

const RA: f64 = 317.3778;
const DEC: f64 = 37.072;
const RADIUS: f64 = 0.5;

/// SIA: 3 records; SSA: 5 records cut by the service's limit; Mashup: the recorded cone answer; `/stall`:
/// headers and then nothing.
async fn scripted() -> Option<ReplayServer> {
    let mashup = std::fs::read(fixtures_dir()?.join("astroquery_mast/advSearchPos.json")).unwrap();
    Some(
        ReplayServer::start(move |request, _| {
            let table = |rows, status| {
                response(
                    200,
                    "application/x-votable+xml",
                    votable(rows, status).as_bytes(),
                )
            };
            match request.path() {
                "/sia" => Action::Send(table(3, None)),
                "/ssa" => Action::Send(table(5, Some("OVERFLOW"))),
                "/invoke" => Action::Send(response(200, "application/json", &mashup)),
                _ => Action::Stall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n".to_vec()),
            }
        })
        .await,
    )
}

fn service(name: &str, url: &str, kind: ServiceKind) -> ServiceConfig {
    ServiceConfig {
        kind,
        ..ServiceConfig::tap(name, url, name)
    }
}

fn engine(scripted: &ReplayServer) -> Engine {
    let tap = tap_url();
    let cone = format!("{}/archive2/q/cone/scs.xml", tap.trim_end_matches("/tap"));
    let mut catalogue = Catalogue::empty();
    for config in [
        service("d", &tap, ServiceKind::Tap),
        service("d2", &tap, ServiceKind::Tap),
        service("cone2", &cone, ServiceKind::ConeSearch),
        service("images", &scripted.url("/sia"), ServiceKind::Sia),
        service("spectra", &scripted.url("/ssa"), ServiceKind::Ssa),
        service("mast", &scripted.url("/invoke"), ServiceKind::Mashup),
        service("stalled", &scripted.url("/stall"), ServiceKind::Tap),
        service("dead", "http://127.0.0.1:9/tap", ServiceKind::Tap),
    ] {
        catalogue.add(config);
    }
    let http = HttpClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        ..ClientConfig::default()
    })
    .unwrap();
    Engine::with_io(
        catalogue,
        Arc::new(VoServiceIo::new(http.clone())),
        EngineOptions::default(),
    )
    .with_http(http)
}

async fn count(engine: &Engine, adql: &str) -> u64 {
    let batches: Vec<RecordBatch> = engine
        .query(&format!("SELECT COUNT(*) AS n FROM ({adql}) AS q"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    batches[0].column(0).as_primitive::<Int64Type>().value(0) as u64
}

fn find<'a>(findings: &'a [Finding], service: &str, resource: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.service == service && f.resource == resource)
        .unwrap_or_else(|| panic!("no finding for {service} {resource}: {findings:#?}"))
}

#[tokio::test]
async fn every_service_is_asked_and_every_answer_or_failure_reported() {
    if !server_up(&tap_url()) {
        return;
    }
    let Some(scripted) = scripted().await else {
        return;
    };
    let engine = engine(&scripted);
    let survey = Survey {
        timeout: Duration::from_secs(3),
        ..Survey::new(RA, DEC, RADIUS)
    };
    let started = Instant::now();
    let findings = engine.survey(&survey).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the stalled service is cut at its time limit"
    );

    // Sorted by service, then resource.
    let order: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.service.as_str(), f.resource.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);

    // Every TAP table with a main position, counted as its own ADQL counts it; the same service under
    // another name gives the same counts.
    let tap: Vec<&Finding> = findings.iter().filter(|f| f.service == "d").collect();
    let resources: Vec<&str> = tap.iter().map(|f| f.resource.as_str()).collect();
    for table in ["archive1.obscore", "archive2.sources", "xmbench.sources"] {
        assert!(resources.contains(&table), "{table} in {resources:?}");
    }
    for f in &tap {
        assert_eq!(f.error, None, "{f:?}");
        assert!(f.exact);
        assert_eq!(
            f.rows,
            Some(count(&engine, &f.access).await),
            "{}",
            f.access
        );
        let twin = find(&findings, "d2", &f.resource);
        assert_eq!(twin.rows, f.rows);
    }
    assert!(find(&findings, "d", "xmbench.sources").rows.unwrap() > 100);

    // The cone search answers what the same cone on its table does.
    let cone = find(&findings, "cone2", "cone");
    assert!(
        cone.access.contains("RA=317.3778&DEC=37.072&SR=0.5"),
        "{}",
        cone.access
    );
    assert_eq!(cone.rows, find(&findings, "d", "archive2.sources").rows);

    // SIA and SSA count records; a cut answer is "at least".
    let images = find(&findings, "images", "images");
    assert_eq!((images.rows, images.exact), (Some(3), true));
    assert!(
        images.access.contains("POS=CIRCLE+317.3778+37.072+0.5"),
        "{}",
        images.access
    );
    let spectra = find(&findings, "spectra", "spectra");
    assert_eq!((spectra.rows, spectra.exact), (Some(5), false));
    assert!(spectra.access.contains("SIZE=1"), "{}", spectra.access);

    // The Mashup: the observations its paging counts, from a page of one row.
    let mast = find(&findings, "mast", "caom.observations");
    assert_eq!((mast.rows, mast.exact), (Some(12), true));
    let asked: Vec<String> = scripted
        .requests()
        .iter()
        .filter(|r| r.path() == "/invoke")
        .map(|r| r.form_value("request").unwrap())
        .collect();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].contains(r#""pagesize":1"#), "{}", asked[0]);
    assert!(
        asked[0].contains(r#""position":"317.3778, 37.072, 0.5""#),
        "{}",
        asked[0]
    );

    // Failures are findings: the dead service refused, the stalled one timed out.
    let dead = find(&findings, "dead", "");
    assert!(dead.rows.is_none());
    assert!(
        dead.error.as_deref().unwrap().contains("refused"),
        "{dead:?}"
    );
    let stalled = find(&findings, "stalled", "");
    assert!(
        stalled
            .error
            .as_deref()
            .unwrap()
            .contains("no answer within 3 s"),
        "{stalled:?}"
    );

    // As one table.
    let batch = findings_batch(&findings).unwrap();
    assert_eq!(batch.num_rows(), findings.len());
    assert_eq!(batch.schema().field(3).name(), "rows");
}

#[tokio::test]
async fn caps_kinds_and_rows() {
    if !server_up(&tap_url()) {
        return;
    }
    let Some(scripted) = scripted().await else {
        return;
    };
    let engine = engine(&scripted);
    // Only the TAP services named, counted to 10 rows, with their rows.
    let survey = Survey {
        services: vec!["d".into()],
        cap: 10,
        rows: true,
        ..Survey::new(RA, DEC, RADIUS)
    };
    let findings = engine.survey(&survey).await.unwrap();
    assert!(findings.iter().all(|f| f.service == "d"));
    let big = find(&findings, "d", "xmbench.sources");
    assert_eq!((big.rows, big.exact), (Some(10), false), "at least the cap");
    let rows: usize = big.batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 10);
    assert!(big.batches[0].schema().field_with_name("ra").is_ok());
    let one = find(&findings, "d", "archive2.sources");
    assert_eq!((one.rows, one.exact), (Some(1), true));

    // At most two tables per service: the others are one finding saying how many.
    let survey = Survey {
        services: vec!["d".into()],
        max_tables: 2,
        ..Survey::new(RA, DEC, RADIUS)
    };
    let findings = engine.survey(&survey).await.unwrap();
    let counted = findings.iter().filter(|f| f.rows.is_some()).count();
    assert_eq!(counted, 2, "{findings:#?}");
    let left = findings
        .iter()
        .find(|f| f.resource.ends_with("more tables)"))
        .unwrap();
    assert!(
        left.error
            .as_deref()
            .unwrap()
            .contains("at most 2 per service"),
        "{left:?}"
    );

    // Kinds: only cone searches.
    let survey = Survey {
        kinds: vec![ServiceKind::ConeSearch],
        ..Survey::new(RA, DEC, RADIUS)
    };
    let findings = engine.survey(&survey).await.unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].service, "cone2");

    // A cone that is not one is an error; an unknown service too.
    assert!(engine.survey(&Survey::new(RA, 95.0, RADIUS)).await.is_err());
    let unknown = Survey {
        services: vec!["nope".into()],
        ..Survey::new(RA, DEC, RADIUS)
    };
    assert!(engine.survey(&unknown).await.is_err());
}
