//! Cross-service join strategies end to end: two simulated TAP services (ADQL sessions that run what
//! they receive, with geometry and TAP_UPLOAD), a cost model, and for each strategy: it is chosen
//! under the right estimates, its rows equal the local crossmatch's, the requests sent are the
//! expected ones, and EXPLAIN shows the decision.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::dachs_server;

use std::sync::Arc;

use adql_engine::AdqlSession;
use adql_federation::Federation;
use adql_federation::OverflowPolicy;
use adql_federation::RemoteService;
use adql_federation::ServiceCapabilities;
use adql_federation::{CostModel, CrossServiceJoinExec, Strategy};
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::SessionConfig;

use common::sky::{mem, model, pointings as obs, sources as src};
use common::{AdqlTap, rows, table_metadata};

const URL1: &str = "http://127.0.0.1:8080/tap/archive1";
const URL2: &str = "http://127.0.0.1:8080/tap/archive2";

struct Setup {
    federated: AdqlSession,
    local: AdqlSession,
    tap1: AdqlTap,
    tap2: AdqlTap,
}

fn setup_with(caps2: ServiceCapabilities, maxrec: Option<u64>, model: CostModel) -> Setup {
    setup_overflow(caps2, maxrec, None, model)
}

fn setup_overflow(
    caps2: ServiceCapabilities,
    maxrec: Option<u64>,
    overflow: Option<OverflowPolicy>,
    model: CostModel,
) -> Setup {
    let tap1 = AdqlTap::new(vec![("archive1", "obs", mem(obs()))]);
    let tap2 = AdqlTap::new(vec![("archive2", "src", mem(src()))]);
    let mut federation = Federation::new();
    let s1 = RemoteService::new(
        "archive1",
        URL1,
        ServiceCapabilities::adql_2_1_full(),
        Arc::new(tap1.clone()),
    );
    let mut s2 = RemoteService::new("archive2", URL2, caps2, Arc::new(tap2.clone()));
    s2.maxrec = maxrec;
    s2.overflow = overflow;
    federation.add_service(s1, vec![table_metadata("archive1", "obs", &obs().0)]);
    federation.add_service(s2, vec![table_metadata("archive2", "src", &src().0)]);
    let federated = AdqlSession::with_extensions(
        SessionConfig::new(),
        federation.extensions_with_cost_model(model),
    );
    federation.register(federated.context()).unwrap();

    let local = AdqlSession::new();
    common::register_qualified(local.context(), "datafusion", "archive1", "obs", mem(obs()));
    common::register_qualified(local.context(), "datafusion", "archive2", "src", mem(src()));
    Setup {
        federated,
        local,
        tap1,
        tap2,
    }
}

fn setup() -> Setup {
    setup_with(ServiceCapabilities::adql_2_1_full(), None, model())
}

/// The physical plan of `adql` in the federated session (planning runs the COUNT probes).
async fn physical(setup: &Setup, adql: &str) -> Arc<dyn ExecutionPlan> {
    common::physical(&setup.federated, adql).await
}

fn find_join(plan: &Arc<dyn ExecutionPlan>) -> Option<&CrossServiceJoinExec> {
    if let Some(j) = plan.downcast_ref::<CrossServiceJoinExec>() {
        return Some(j);
    }
    plan.children().into_iter().find_map(find_join)
}

/// Runs `adql` federated and locally; the rows must agree (as sorted lists).
async fn same_rows(setup: &Setup, adql: &str) -> Vec<String> {
    let mut federated = rows(
        &setup
            .federated
            .query(adql)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    let mut local = rows(
        &setup
            .local
            .query(adql)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    federated.sort();
    local.sort();
    assert_eq!(federated, local, "{adql}");
    federated
}

/// Checks the chosen strategy and that EXPLAIN names it with the estimates; returns the EXPLAIN text.
async fn chosen(setup: &Setup, adql: &str, strategy: Strategy) -> String {
    let plan = physical(setup, adql).await;
    let text = displayable(plan.as_ref()).indent(true).to_string();
    let join = find_join(&plan).unwrap_or_else(|| panic!("no cross-service join in\n{text}"));
    assert_eq!(join.decision().chosen.strategy, strategy, "{text}");
    assert!(text.contains(&format!("strategy={strategy}")), "{text}");
    assert!(text.contains("rows="), "{text}");
    assert!(text.contains("RemoteQueryExec: service=archive1"), "{text}");
    text
}

fn xmatch(where_clause: &str) -> String {
    format!(
        "SELECT o.obs_id, s.source_id, s.mag FROM archive1.obs AS o JOIN archive2.src AS s \
         ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.0005)) \
         WHERE {where_clause}"
    )
}

/// Runs the query once for its requests (after planning, which sends the COUNT probes).
async fn requests(setup: &Setup, adql: &str) -> (Vec<String>, Vec<common::Received>) {
    let plan = physical(setup, adql).await;
    setup.tap1.clear();
    setup.tap2.clear();
    let ctx = setup.federated.context().task_ctx();
    datafusion::physical_plan::collect(plan, ctx).await.unwrap();
    (setup.tap1.queries(), setup.tap2.received())
}

#[tokio::test]
async fn few_rows_on_the_small_side_choose_batched_cones() {
    let setup = setup();
    let adql = xmatch("o.obs_id < 3");
    let explain = chosen(&setup, &adql, Strategy::BatchedCones).await;
    assert!(
        explain.contains("one query per small-side row"),
        "{explain}"
    );
    let rows = same_rows(&setup, &adql).await;
    assert!(!rows.is_empty());
    let (sent1, sent2) = requests(&setup, &adql).await;
    // The small side was answered while planning (its size probe returned every row).
    assert_eq!(sent1.len(), 0);
    // One cone per pointing, each around that pointing only.
    assert_eq!(sent2.len(), 3);
    let mut cones: Vec<String> = sent2.into_iter().map(|r| r.adql).collect();
    cones.sort();
    insta::assert_snapshot!(
        "cones_requests",
        format!("{}\n{}", sent1.join("\n"), cones.join("\n"))
    );
}

#[tokio::test]
async fn tens_of_rows_choose_region_prefetch() {
    let setup = setup();
    let adql = xmatch("o.obs_id < 20");
    let explain = chosen(&setup, &adql, Strategy::RegionPrefetch).await;
    insta::assert_snapshot!("region_explain", explain);
    same_rows(&setup, &adql).await;
    let (_, sent2) = requests(&setup, &adql).await;
    assert_eq!(sent2.len(), 1, "{sent2:?}");
    // Pointing 7 has no position: 19 cones.
    assert_eq!(sent2[0].adql.matches("CONTAINS").count(), 19);
}

#[tokio::test]
async fn region_prefetch_covers_many_rows_with_few_circles() {
    let model = CostModel {
        region_max_circles: 8,
        upload_overhead_s: 100.0,
        cone_concurrency: 1,
        ..model()
    };
    let setup = setup_with(ServiceCapabilities::adql_2_1_full(), None, model);
    let adql = xmatch("o.obs_id < 40");
    chosen(&setup, &adql, Strategy::RegionPrefetch).await;
    same_rows(&setup, &adql).await;
    let (_, sent2) = requests(&setup, &adql).await;
    assert_eq!(sent2.len(), 1);
    assert!(
        sent2[0].adql.matches("CONTAINS").count() <= 8,
        "{}",
        sent2[0].adql
    );
}

#[tokio::test]
async fn hundreds_of_rows_choose_the_upload_join() {
    let setup = setup();
    let adql = xmatch("o.obs_id < 250");
    let explain = chosen(&setup, &adql, Strategy::UploadJoin).await;
    assert!(explain.contains("TAP_UPLOAD.xsj_"), "{explain}");
    same_rows(&setup, &adql).await;
    let (_, sent2) = requests(&setup, &adql).await;
    // One upload; the pointing with a NULL position (obs_id 7) is not sent.
    assert_eq!(sent2.len(), 1);
    assert_eq!(sent2[0].uploads, vec![("xsj_1".to_string(), 249)]);
    insta::assert_snapshot!("upload_request", sent2[0].adql.clone());
}

#[tokio::test]
async fn upload_in_blocks() {
    let model = CostModel {
        upload_block_rows: 100,
        upload_overhead_s: 0.0,
        ..model()
    };
    let setup = setup_with(ServiceCapabilities::adql_2_1_full(), None, model);
    let adql = xmatch("o.obs_id < 250");
    chosen(&setup, &adql, Strategy::UploadJoin).await;
    same_rows(&setup, &adql).await;
    let (_, sent2) = requests(&setup, &adql).await;
    // Blocks go out a few at a time, in any order.
    let mut uploads: Vec<(String, usize)> = sent2.iter().flat_map(|r| r.uploads.clone()).collect();
    uploads.sort();
    assert_eq!(
        uploads,
        vec![
            ("xsj_1".to_string(), 100),
            ("xsj_2".to_string(), 100),
            ("xsj_3".to_string(), 49)
        ]
    );
}

/// The user's own table of targets as the small side: read while planning (its rows are exact), then
/// cones, a region or an upload as for a remote small side; never the whole remote table.
#[tokio::test]
async fn a_local_table_is_a_small_side_of_every_strategy() {
    let setup = setup();
    setup
        .federated
        .register_table("targets", mem(obs()))
        .unwrap();
    setup.local.register_table("targets", mem(obs())).unwrap();
    for (n, strategy) in [
        (3, Strategy::BatchedCones),
        (20, Strategy::RegionPrefetch),
        (250, Strategy::UploadJoin),
    ] {
        let adql = format!(
            "SELECT t.obs_id, s.source_id FROM targets AS t JOIN archive2.src AS s \
             ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.s_ra, t.s_dec, 0.0005)) \
             WHERE t.obs_id < {n}"
        );
        let plan = physical(&setup, &adql).await;
        let text = displayable(plan.as_ref()).indent(true).to_string();
        let join = find_join(&plan).unwrap_or_else(|| panic!("no cross-service join in\n{text}"));
        assert_eq!(join.decision().chosen.strategy, strategy, "{text}");
        assert!(text.contains(&format!("left local rows={n}")), "{text}");
        same_rows(&setup, &adql).await;
        let (_, sent2) = requests(&setup, &adql).await;
        assert!(
            sent2.iter().all(|r| r.adql.contains("CONTAINS")),
            "{n}: every request is bounded by the targets: {sent2:?}"
        );
    }
}

/// The services' published row counts save the planning requests: a side that is a table its service
/// says is large is estimated with no request; a side of a table its service says is small is read by
/// the one sample query, not counted.
#[tokio::test]
async fn published_row_counts_replace_the_planning_probes() {
    let tap1 = AdqlTap::new(vec![("archive1", "obs", mem(obs()))]);
    let tap2 = AdqlTap::new(vec![("archive2", "src", mem(src()))]);
    let mut federation = Federation::new();
    let full = ServiceCapabilities::adql_2_1_full;
    let s1 = RemoteService::new("archive1", URL1, full(), Arc::new(tap1.clone()));
    let s2 = RemoteService::new("archive2", URL2, full(), Arc::new(tap2.clone()));
    let mut obs_table = table_metadata("archive1", "obs", &obs().0);
    obs_table.rows = Some(300);
    let mut src_table = table_metadata("archive2", "src", &src().0);
    src_table.rows = Some(5_000_000);
    federation.add_service(s1, vec![obs_table]);
    federation.add_service(s2, vec![src_table]);
    let federated = AdqlSession::with_extensions(
        SessionConfig::new(),
        federation.extensions_with_cost_model(model()),
    );
    federation.register(federated.context()).unwrap();
    let local = AdqlSession::new();
    common::register_qualified(local.context(), "datafusion", "archive1", "obs", mem(obs()));
    common::register_qualified(local.context(), "datafusion", "archive2", "src", mem(src()));
    let setup = Setup {
        federated,
        local,
        tap1,
        tap2,
    };

    let adql = xmatch("o.obs_id < 250");
    let text = chosen(&setup, &adql, Strategy::UploadJoin).await;
    assert!(
        text.contains("rows=5000000 columns=4 (the service's published row count)"),
        "{text}"
    );
    setup.tap1.clear();
    setup.tap2.clear();
    physical(&setup, &adql).await;
    let planning1 = setup.tap1.queries();
    assert_eq!(
        planning1.len(),
        1,
        "only the sample of the small side: {planning1:?}"
    );
    assert!(
        planning1[0].starts_with("SELECT TOP 5001 "),
        "{planning1:?}"
    );
    assert_eq!(
        setup.tap2.queries(),
        Vec::<String>::new(),
        "no probe of the large side"
    );
    same_rows(&setup, &adql).await;
}

/// A service's upload limit caps the blocks of a local side.
#[tokio::test]
async fn the_services_upload_limit_caps_the_blocks() {
    let caps = ServiceCapabilities {
        upload_limit_rows: Some(100),
        ..ServiceCapabilities::adql_2_1_full()
    };
    let setup = setup_with(caps, None, model());
    setup
        .federated
        .register_table("targets", mem(obs()))
        .unwrap();
    setup.local.register_table("targets", mem(obs())).unwrap();
    let adql = "SELECT t.obs_id, s.source_id FROM targets AS t JOIN archive2.src AS s \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.s_ra, t.s_dec, 0.0005)) \
                WHERE t.obs_id < 250";
    same_rows(&setup, adql).await;
    let (_, sent2) = requests(&setup, adql).await;
    let mut blocks: Vec<usize> = sent2
        .iter()
        .flat_map(|r| r.uploads.iter().map(|u| u.1))
        .collect();
    blocks.sort();
    assert_eq!(blocks, vec![49, 100, 100]);
}

#[tokio::test]
async fn an_upload_block_cut_at_maxrec_is_sent_again_in_halves() {
    let caps = ServiceCapabilities {
        upload_limit_rows: Some(100),
        ..ServiceCapabilities::adql_2_1_full()
    };
    let setup = setup_with(caps, Some(400), model());
    for session in [&setup.federated, &setup.local] {
        session.register_table("targets", mem(obs())).unwrap();
    }
    let adql = "SELECT t.obs_id, s.source_id FROM targets AS t JOIN archive2.src AS s \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.s_ra, t.s_dec, 0.05)) \
                WHERE t.obs_id < 250";
    let rows = same_rows(&setup, adql).await;
    let (_, sent2) = requests(&setup, adql).await;
    assert_eq!(rows.len(), 1693);
    // Every request is an upload join (no fallback to fetching archive2.src whole) ...
    assert!(sent2.iter().all(|r| r.uploads.len() == 1), "{sent2:?}");
    // ... and the blocks of 100 (about 680 pairs each) overflowed and came back in halves.
    let mut sizes: Vec<usize> = sent2.iter().map(|r| r.uploads[0].1).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![49, 50, 50, 50, 50, 100, 100]);
}

#[tokio::test]
async fn small_sides_on_both_services_choose_the_local_crossmatch() {
    let setup = setup();
    let adql = xmatch("o.obs_id < 5 AND s.mag < 10.2");
    chosen(&setup, &adql, Strategy::LocalCrossmatch).await;
    same_rows(&setup, &adql).await;
    // Both sides are small: both were answered while planning, nothing is sent when the join runs.
    let (sent1, sent2) = requests(&setup, &adql).await;
    assert_eq!((sent1.len(), sent2.len()), (0, 0));
    let explain = chosen(&setup, &adql, Strategy::LocalCrossmatch).await;
    assert_eq!(
        explain.matches("answered while planning").count(),
        2,
        "{explain}"
    );
}

#[tokio::test]
async fn without_upload_capability_the_upload_join_is_not_a_candidate() {
    let mut caps = ServiceCapabilities::adql_2_1_full();
    caps.upload = false;
    let setup = setup_with(caps, None, model());
    let adql = xmatch("o.obs_id < 250");
    let explain = physical(&setup, &adql).await;
    let text = displayable(explain.as_ref()).indent(true).to_string();
    let join = find_join(&explain).unwrap();
    assert_ne!(join.decision().chosen.strategy, Strategy::UploadJoin);
    assert!(
        text.contains("service archive2 does not declare TAP_UPLOAD"),
        "{text}"
    );
    same_rows(&setup, &adql).await;
}

#[tokio::test]
async fn outer_join_preserving_the_small_side_keeps_unmatched_rows() {
    let setup = setup();
    // obs 7 has a NULL position, others may have no source within a tiny radius.
    let adql = "SELECT o.obs_id, s.source_id FROM archive1.obs AS o LEFT JOIN archive2.src AS s \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.0002)) \
                WHERE o.obs_id < 12";
    chosen(&setup, adql, Strategy::RegionPrefetch).await;
    let rows = same_rows(&setup, adql).await;
    assert!(rows.iter().any(|r| r.ends_with("| NULL")), "{rows:?}");
    // The same query with cones.
    let cones = setup_with(
        ServiceCapabilities::adql_2_1_full(),
        None,
        CostModel {
            region_circle_cost_s: 10.0,
            upload_overhead_s: 100.0,
            ..model()
        },
    );
    chosen(&cones, adql, Strategy::BatchedCones).await;
    same_rows(&cones, adql).await;
}

#[tokio::test]
async fn outer_join_preserving_the_big_side_stays_local() {
    let setup = setup();
    // obs is the small side (5 rows) but src is preserved: only (a), or src as the small side.
    let adql = "SELECT o.obs_id, s.source_id FROM archive2.src AS s LEFT JOIN archive1.obs AS o \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.0005)) \
                AND o.obs_id < 5 WHERE s.mag < 19";
    let text = chosen(&setup, adql, Strategy::LocalCrossmatch).await;
    assert!(
        text.contains("the outer join keeps the big side's unmatched rows"),
        "{text}"
    );
    same_rows(&setup, adql).await;
}

#[tokio::test]
async fn best_match_strict_radius_and_extra_condition() {
    let setup = setup();
    for (adql, strategy) in [
        (
            "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
             ON 1 = XMATCH_BEST(o.s_ra, o.s_dec, s.ra, s.dec, 0.0005) WHERE o.obs_id < 3",
            Strategy::BatchedCones,
        ),
        (
            "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
             ON DISTANCE(POINT('ICRS', o.s_ra, o.s_dec), POINT('ICRS', s.ra, s.dec)) < 0.0005 \
             AND s.mag > o.exptime / 20 WHERE o.obs_id < 30",
            Strategy::RegionPrefetch,
        ),
        (
            "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
             ON 1 = XMATCH_BEST(o.s_ra, o.s_dec, s.ra, s.dec, 0.0005) WHERE o.obs_id < 250",
            Strategy::UploadJoin,
        ),
    ] {
        chosen(&setup, adql, strategy).await;
        same_rows(&setup, adql).await;
    }
}

#[tokio::test]
async fn per_row_radius_of_the_small_side() {
    let setup = setup();
    let adql = "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, o.exptime / 500000)) \
                WHERE o.obs_id < ";
    for (n, strategy) in [
        (3, Strategy::BatchedCones),
        (20, Strategy::RegionPrefetch),
        (250, Strategy::UploadJoin),
    ] {
        let q = format!("{adql}{n}");
        chosen(&setup, &q, strategy).await;
        same_rows(&setup, &q).await;
    }
}

#[tokio::test]
async fn repeated_positions_share_one_cone() {
    // A self-join of the pointings on their grid column gives each position several times.
    let setup = setup();
    let adql = "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', ROUND(o.s_ra, 0), o.s_dec, 0.0005)) \
                WHERE o.obs_id < 4";
    chosen(&setup, adql, Strategy::BatchedCones).await;
    same_rows(&setup, adql).await;
    let (_, sent2) = requests(&setup, adql).await;
    // Pointings 0..3 at RA 10, 10.5, 11, 11.5 round to 10, 11, 11, 12: three distinct cones.
    assert_eq!(sent2.len(), 3, "{sent2:?}");
}

#[tokio::test]
async fn small_side_on_the_right() {
    let setup = setup();
    let adql = "SELECT s.source_id, o.obs_id FROM archive2.src AS s RIGHT JOIN archive1.obs AS o \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.0002)) \
                WHERE o.obs_id < ";
    for (n, strategy) in [
        (3, Strategy::BatchedCones),
        (12, Strategy::RegionPrefetch),
        (250, Strategy::UploadJoin),
    ] {
        let q = format!("{adql}{n}");
        chosen(&setup, &q, strategy).await;
        let rows = same_rows(&setup, &q).await;
        assert!(rows.iter().any(|r| r.starts_with("NULL |")), "{rows:?}");
    }
}

#[tokio::test]
async fn radius_computed_from_the_big_side_stays_local() {
    let setup = setup();
    let adql = "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
                ON 1 = CONTAINS(POINT('ICRS', o.s_ra, o.s_dec), CIRCLE('ICRS', s.ra, s.dec, s.mag / 20000)) \
                WHERE o.obs_id < 3";
    let text = chosen(&setup, adql, Strategy::LocalCrossmatch).await;
    assert!(text.contains("cones cannot be bounded"), "{text}");
    same_rows(&setup, adql).await;
}

#[tokio::test]
async fn overflow_of_a_strategy_request_names_the_service() {
    // MAXREC 100 on archive2 with the `fail` policy: the upload join returning more pairs fails.
    let setup = setup_overflow(
        ServiceCapabilities::adql_2_1_full(),
        Some(100),
        Some(OverflowPolicy::Fail),
        model(),
    );
    let adql = xmatch("o.obs_id < 250");
    chosen(&setup, &adql, Strategy::UploadJoin).await;
    let err = setup
        .federated
        .query(&adql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("archive2"), "{err}");
    assert!(err.contains("truncated"), "{err}");
    assert!(err.contains("TAP_UPLOAD.xsj_1"), "{err}");
}

/// A big side bounded by its own `TOP` within MAXREC: a cone answering all its rows, exactly MAXREC, is
/// complete. (The strategies' requests used to count exactly MAXREC rows as an overflow whatever the
/// query's own TOP, unlike remote parts; under `fail` this query failed.)
#[tokio::test]
async fn a_top_within_maxrec_explains_maxrec_rows_in_a_strategy_request() {
    let model = CostModel {
        request_latency_s: 0.0,
        download_per_cell_s: 1.0,
        // One match per small row expected, and the big side not fetched while planning.
        footprint_deg2: 1e12,
        upload_block_rows: 2,
        ..CostModel::default()
    };
    let setup = setup_overflow(
        ServiceCapabilities::adql_2_1_full(),
        Some(5),
        Some(OverflowPolicy::Fail),
        model,
    );
    let adql = "SELECT o.obs_id, s.source_id FROM archive1.obs AS o \
                JOIN (SELECT TOP 5 source_id, ra, dec FROM archive2.src ORDER BY source_id) AS s \
                ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 10)) \
                WHERE o.obs_id = 0";
    chosen(&setup, adql, Strategy::BatchedCones).await;
    let rows = same_rows(&setup, adql).await;
    assert_eq!(rows.len(), 5, "{rows:?}");
}

#[tokio::test]
async fn overflow_under_the_split_policy_falls_back_to_the_local_crossmatch() {
    let setup = setup_overflow(
        ServiceCapabilities::adql_2_1_full(),
        Some(100),
        Some(OverflowPolicy::Split),
        model(),
    );
    let adql = xmatch("o.obs_id < 250");
    chosen(&setup, &adql, Strategy::UploadJoin).await;
    let rows = same_rows(&setup, &adql).await;
    assert!(rows.len() > 100, "{}", rows.len());
}

// ---------------------------------------------------------------------------------------------
// Against the loopback GAVO DaCHS (tests/dachs/setup.sh), registered as two services `archive1`
// and `archive2`, with the default cost model. Skips when the server is not running, except under CI.

mod dachs {
    use std::sync::Arc;

    use adql_engine::AdqlSession;
    use adql_federation::Federation;
    use adql_federation::Strategy;
    use adql_federation::TapExecutor;
    use adql_federation::{Catalogue, ServiceConfig, parse_service_spec};
    use adql_federation::{VoTapExecutor, VosiDiscovery};
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionConfig;
    use futures::StreamExt;
    use vo_client::tap::{TapQuery, TapService};
    use vo_client::{ClientConfig, HttpClient};

    use super::common::rows;
    use super::dachs_server::{server_up, tap_url};
    use super::find_join;

    async fn session(cache: &std::path::Path) -> AdqlSession {
        let url = tap_url();
        let mut catalogue = Catalogue::empty().with_cache_dir(cache);
        catalogue.add(parse_service_spec(&format!("archive1={url}")).unwrap());
        catalogue.add(parse_service_spec(&format!("archive2={url}")).unwrap());
        let http = HttpClient::new(ClientConfig::default()).unwrap();
        let discovery = VosiDiscovery::new(http.clone());
        let executor = move |c: &ServiceConfig| {
            VoTapExecutor::connect(http.clone(), &c.name, &c.url)
                .map(|e| Arc::new(e) as Arc<dyn TapExecutor>)
        };
        let federation = Federation::from_catalogue(&catalogue, &discovery, &executor)
            .await
            .unwrap();
        federation.adql_session(SessionConfig::new()).unwrap()
    }

    /// DaCHS's own answer (the whole join on one server), as (obs_id, source_id) rows.
    async fn direct(adql: &str) -> Vec<String> {
        let http = HttpClient::new(ClientConfig::default()).unwrap();
        let tap = TapService::new(http, &tap_url()).unwrap();
        let mut result = tap.query(&TapQuery::new(adql)).await.unwrap();
        let mut batches = Vec::new();
        while let Some(b) = result.next().await {
            batches.push(b.unwrap());
        }
        key_rows(&batches)
    }

    fn key_rows(batches: &[datafusion::arrow::array::RecordBatch]) -> Vec<String> {
        let keys: Vec<_> = batches
            .iter()
            .map(|b| b.project(&[0, 1]).unwrap())
            .collect();
        let mut out = rows(&keys);
        out.sort();
        out
    }

    /// Wide select of sources: downloading all of them is what the model weighs against the others.
    const WIDE: &str = "o.obs_id, s.source_id, s.designation, s.ra, s.dec, s.parallax, s.pmra, \
                        s.pmdec, s.phot_g_mean_mag, s.bp_rp, s.radial_velocity, s.flag, \
                        s.population, s.ref_epoch";

    fn query(select: &str, prefix1: &str, prefix2: &str, filter: &str) -> String {
        format!(
            "SELECT {select} FROM {prefix1}archive1.obscore AS o JOIN {prefix2}archive2.sources AS s \
             ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.01)) \
             WHERE {filter}"
        )
    }

    async fn check(select: &str, filter: &str, strategy: Strategy) {
        let url = tap_url();
        if !server_up(&url) {
            return;
        }
        let cache = tempfile::tempdir().unwrap();
        let session = session(cache.path()).await;
        let federated = query(select, "archive1.", "archive2.", filter);
        let plan = crate::common::physical(&session, &federated).await;
        let text = displayable(plan.as_ref()).indent(true).to_string();
        let join = find_join(&plan).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(join.decision().chosen.strategy, strategy, "{text}");
        assert!(text.contains(&format!("strategy={strategy}")), "{text}");
        let batches = datafusion::physical_plan::collect(plan, session.context().task_ctx())
            .await
            .unwrap();
        let got = key_rows(&batches);
        let expected = direct(&query(select, "", "", filter)).await;
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "{text}");
    }

    #[tokio::test]
    async fn dachs_batched_cones() {
        check(
            WIDE,
            "o.obs_id IN ('hst_00361', 'jwst_00448', 'jwst_00920')",
            Strategy::BatchedCones,
        )
        .await;
    }

    #[tokio::test]
    async fn dachs_region_prefetch() {
        check(WIDE, "o.s_fov > 1.7", Strategy::RegionPrefetch).await;
    }

    #[tokio::test]
    async fn dachs_upload_join() {
        check(WIDE, "o.t_exptime > 3000", Strategy::UploadJoin).await;
    }

    #[tokio::test]
    async fn dachs_local_crossmatch() {
        // Both sides filtered and narrow: fetching them is cheaper than any extra request.
        check(
            "o.obs_id, s.source_id",
            "o.t_exptime > 3000 AND s.phot_g_mean_mag < 16",
            Strategy::LocalCrossmatch,
        )
        .await;
    }

    /// The cross-archive suite's expectations (`tests/federation/queries.adql`): a few pointings
    /// → cones, a compact field → region, everything × everything → upload.
    #[tokio::test]
    async fn dachs_narrow_selects_of_the_suite() {
        check(
            "o.obs_id, s.source_id",
            "o.obs_id IN ('hst_00361', 'jwst_00448', 'jwst_00920')",
            Strategy::BatchedCones,
        )
        .await;
        check(
            "o.obs_id, s.source_id",
            "1 = CONTAINS(POINT('ICRS', o.s_ra, o.s_dec), CIRCLE('ICRS', 56.75, 24.12, 1.5))",
            Strategy::RegionPrefetch,
        )
        .await;
        check("o.obs_id, s.source_id", "1 = 1", Strategy::UploadJoin).await;
    }
}
