//! The pushdown rule end to end: remote tables on simulated TAP services (local DataFusion
//! contexts that run the ADQL they receive), compared with the same query run locally.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use adql_federation::Federation;
use adql_federation::RemoteService;
use adql_federation::{FEATURE_OFFSET, ServiceCapabilities};
use adql_federation::{FederationOptions, OverflowPolicy};
use datafusion::prelude::SessionContext;

use common::{LocalTap, mem_table, obs, register_qualified, rows, stars, table_metadata};

const URL1: &str = "http://127.0.0.1:8080/tap/archive1";
const URL2: &str = "http://127.0.0.1:8080/tap/archive2";

struct Setup {
    federated: SessionContext,
    local: SessionContext,
    tap1: LocalTap,
    tap2: LocalTap,
}

/// archive1 has `archive1.obs`; archive2 has `archive2.stars` and `archive2.obs2`; both have a
/// `tap_schema.tables`.
fn setup(caps1: ServiceCapabilities, caps2: ServiceCapabilities, maxrec: Option<u64>) -> Setup {
    let backend1 = SessionContext::new();
    register_qualified(&backend1, "datafusion", "archive1", "obs", mem_table(obs()));
    register_qualified(
        &backend1,
        "datafusion",
        "tap_schema",
        "tables",
        mem_table(obs()),
    );
    let backend2 = SessionContext::new();
    register_qualified(
        &backend2,
        "datafusion",
        "archive2",
        "stars",
        mem_table(stars()),
    );
    register_qualified(
        &backend2,
        "datafusion",
        "archive2",
        "obs2",
        mem_table(obs()),
    );
    register_qualified(
        &backend2,
        "datafusion",
        "tap_schema",
        "tables",
        mem_table(obs()),
    );
    let (tap1, tap2) = (LocalTap::new(backend1), LocalTap::new(backend2));

    let mut federation = Federation::new();
    let mut s1 = RemoteService::new("archive1", URL1, caps1, Arc::new(tap1.clone()));
    s1.maxrec = maxrec;
    let mut s2 = RemoteService::new("archive2", URL2, caps2, Arc::new(tap2.clone()));
    s2.maxrec = maxrec;
    federation.add_service(
        s1,
        vec![
            table_metadata("archive1", "obs", &obs().0),
            table_metadata("tap_schema", "tables", &obs().0),
        ],
    );
    federation.add_service(
        s2,
        vec![
            table_metadata("archive2", "stars", &stars().0),
            table_metadata("archive2", "obs2", &obs().0),
            table_metadata("tap_schema", "tables", &obs().0),
        ],
    );
    let federated = federation.context().unwrap();

    let local = SessionContext::new();
    register_qualified(&local, "archive1", "archive1", "obs", mem_table(obs()));
    register_qualified(&local, "archive2", "archive2", "stars", mem_table(stars()));
    register_qualified(&local, "archive2", "archive2", "obs2", mem_table(obs()));
    Setup {
        federated,
        local,
        tap1,
        tap2,
    }
}

fn full() -> ServiceCapabilities {
    ServiceCapabilities::adql_2_1_full()
}

/// The optimized logical plan of `sql` in the federated session.
async fn plan(setup: &Setup, sql: &str) -> String {
    let state = setup.federated.state();
    let plan = state.create_logical_plan(sql).await.unwrap();
    state.optimize(&plan).unwrap().display_indent().to_string()
}

/// Runs `sql` federated and locally and checks that the rows agree.
async fn same_rows(setup: &Setup, sql: &str, ordered: bool) -> Vec<String> {
    let mut federated = rows(
        &setup
            .federated
            .sql(sql)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    let mut local = rows(&setup.local.sql(sql).await.unwrap().collect().await.unwrap());
    if !ordered {
        federated.sort();
        local.sort();
    }
    assert_eq!(federated, local, "{sql}");
    federated
}

#[tokio::test]
async fn single_service_query_goes_out_whole() {
    let s = setup(full(), full(), None);
    let sql = "SELECT st.id, st.mag FROM archive2.archive2.stars st WHERE st.mag < 13 ORDER BY st.mag DESC LIMIT 2 OFFSET 1";
    insta::assert_snapshot!(plan(&s, sql).await);
    same_rows(&s, sql, true).await;
    insta::assert_snapshot!(s.tap2.queries().join("\n"));
    assert!(s.tap1.queries().is_empty());
}

#[tokio::test]
async fn same_service_join_and_aggregate_go_out_whole() {
    let s = setup(full(), full(), None);
    let sql = "SELECT st.id, COUNT(*) AS n, MAX(o.exptime) AS longest FROM archive2.archive2.stars st \
               JOIN archive2.archive2.obs2 o ON st.id = o.target_id WHERE o.filter <> 'F090W' \
               GROUP BY st.id HAVING COUNT(*) > 0 ORDER BY n DESC, st.id";
    insta::assert_snapshot!(plan(&s, sql).await);
    same_rows(&s, sql, true).await;
    assert_eq!(s.tap2.queries().len(), 1);
}

#[tokio::test]
async fn cross_service_join_runs_locally_over_two_remote_parts() {
    let s = setup(full(), full(), None);
    let sql = "SELECT st.id, st.\"Name\", o.obs_id FROM archive2.archive2.stars st \
               JOIN archive1.archive1.obs o ON st.id = o.target_id WHERE st.mag < 13 AND o.exptime >= 100";
    let p = plan(&s, sql).await;
    assert_eq!(p.matches("RemoteQuery:").count(), 2, "{p}");
    insta::assert_snapshot!(p);
    same_rows(&s, sql, false).await;
    assert_eq!((s.tap1.queries().len(), s.tap2.queries().len()), (1, 1));
}

#[tokio::test]
async fn capabilities_keep_unsupported_parts_local() {
    // archive2 speaks ADQL 2.1 without OFFSET: the OFFSET stays local, the ordered TOP goes out.
    let mut no_offset = full();
    no_offset
        .features
        .retain(|f| f.feature_type != FEATURE_OFFSET);
    let s = setup(full(), no_offset, None);
    let sql = "SELECT id FROM archive2.archive2.stars ORDER BY id LIMIT 3 OFFSET 2";
    let p = plan(&s, sql).await;
    insta::assert_snapshot!("no_offset", p);
    same_rows(&s, sql, true).await;

    // A function the service does not have stays local; the scan and filter still go out.
    let sql = "SELECT id, CASE WHEN mag > 10 THEN 'faint' ELSE 'bright' END AS kind \
               FROM archive2.archive2.stars WHERE dec < 0";
    let p = plan(&s, sql).await;
    insta::assert_snapshot!("case_stays_local", p);
    same_rows(&s, sql, false).await;
}

#[tokio::test]
async fn explain_shows_service_and_adql() {
    let s = setup(full(), full(), None);
    let batches = s
        .federated
        .sql("EXPLAIN SELECT COUNT(*) AS n FROM archive1.archive1.obs WHERE filter = 'F200W'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = rows(&batches).join("\n");
    assert!(
        text.contains("RemoteQuery: service=archive1 url=http://127.0.0.1:8080/tap/archive1"),
        "{text}"
    );
    assert!(text.contains("RemoteQueryExec: service=archive1"), "{text}");
    assert!(
        text.contains(
            "adql=SELECT COUNT(*) AS n FROM archive1.obs AS obs WHERE obs.filter = 'F200W'"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn overflow_fails_naming_service_and_url() {
    let s = setup(full(), full(), Some(3));
    // The default policy splits an overflowing part (tests/overflow.rs); this session fails instead.
    let mut options = FederationOptions::default();
    options.overflow = OverflowPolicy::Fail;
    s.federated
        .state_ref()
        .write()
        .config_mut()
        .options_mut()
        .extensions
        .insert(options);
    // More rows than MAXREC: the service reports an overflow.
    let err = s
        .federated
        .sql("SELECT id FROM archive2.archive2.stars")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(
            "service archive2 (http://127.0.0.1:8080/tap/archive2) truncated the result at 3 rows"
        ),
        "{message}"
    );
    // Exactly MAXREC rows from a query without TOP: the result may be short, which is an error too.
    let err = s
        .federated
        .sql("SELECT id FROM archive2.archive2.stars WHERE id <= 3")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("MAXREC"), "{err}");
    // A TOP within MAXREC explains a full result.
    let ok = same_rows(
        &s,
        "SELECT id FROM archive2.archive2.stars ORDER BY id LIMIT 3",
        true,
    )
    .await;
    assert_eq!(ok.len(), 3);
}

#[tokio::test]
async fn short_names_resolve_or_report_ambiguity() {
    let s = setup(full(), full(), None);
    let a = rows(
        &s.federated
            .sql("SELECT COUNT(*) FROM archive2.stars")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    let b = rows(
        &s.federated
            .sql("SELECT COUNT(*) FROM archive1.obs")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    assert_eq!((a, b), (vec!["8".to_string()], vec!["7".to_string()]));
    let err = s
        .federated
        .sql("SELECT * FROM tap_schema.tables")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "table name `\"tap_schema\".\"tables\"` is ambiguous: it could be archive1.tap_schema.tables, archive2.tap_schema.tables"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn remote_table_scans_on_its_own_without_the_rule() {
    let s = setup(full(), full(), None);
    let federation_table = {
        // A plain DataFusion session: no pushdown rule, no extension planner.
        let ctx = SessionContext::new();
        let mut federation = Federation::new();
        let service = RemoteService::new("archive2", URL2, full(), Arc::new(s.tap2.clone()));
        federation.add_service(
            service,
            vec![table_metadata("archive2", "stars", &stars().0)],
        );
        ctx.register_table("stars", federation.table("archive2.stars").unwrap())
            .unwrap();
        ctx
    };
    let got = rows(
        &federation_table
            .sql("SELECT id, mag FROM stars WHERE mag > 9 LIMIT 2")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    assert_eq!(got.len(), 2);
    insta::assert_snapshot!(s.tap2.queries().join("\n"));
}
