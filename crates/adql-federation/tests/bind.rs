//! Bind joins and the size guard end to end, over two simulated TAP services (ADQL sessions that run what
//! they receive): equality joins, `IN`, `EXISTS`, `NOT EXISTS` and `NOT IN` between a local table and a
//! remote one, or two remote ones, each answer equal to the same query run on one local session; the
//! requests show the keys sent, never the whole remote table; a remote part larger than the limit is
//! refused before its data request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use adql_engine::AdqlSession;
use adql_federation::{
    BoundScanExec, CostModel, Federation, FederationError, RemoteService, ServiceCapabilities,
};
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::SessionConfig;

use common::sky::{mem, model, pointings, sources};
use common::{AdqlTap, rows, table_metadata};

const URL1: &str = "http://127.0.0.1:8080/tap/archive1";
const URL2: &str = "http://127.0.0.1:8080/tap/archive2";

/// `archive2.tags`: tags of some sources, with a NULL `source_id` (what `NOT IN` must see); more rows than
/// the planner reads whole, so that it is bound.
fn tags() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("source_id", DataType::Int64, true),
        Field::new("tag", DataType::Utf8, true),
    ]));
    let ids: Vec<Option<i64>> = (0..150).map(Some).chain([None]).collect();
    let tags: Vec<String> = (0..151).map(|i| format!("t{}", i % 3)).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(tags)),
    ];
    (
        Arc::clone(&schema),
        RecordBatch::try_new(schema, columns).unwrap(),
    )
}

/// The user's own table: ids with a duplicate, a NULL and ids that match nothing.
fn ids() -> (SchemaRef, RecordBatch) {
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let ids = vec![
        Some(1),
        Some(5),
        Some(5),
        Some(17),
        None,
        Some(3000),
        Some(1999),
    ];
    let columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(ids))];
    (
        Arc::clone(&schema),
        RecordBatch::try_new(schema, columns).unwrap(),
    )
}

struct Setup {
    federated: AdqlSession,
    local: AdqlSession,
    tap2: AdqlTap,
}

fn setup(max_rows: Option<u64>) -> Setup {
    let tap1 = AdqlTap::new(vec![("archive1", "obs", mem(pointings()))]);
    let tap2 = AdqlTap::new(vec![
        ("archive2", "src", mem(sources())),
        ("archive2", "tags", mem(tags())),
    ]);
    let mut federation = Federation::new();
    let caps = ServiceCapabilities::adql_2_1_full();
    let s1 = RemoteService::new("archive1", URL1, caps.clone(), Arc::new(tap1));
    let mut s2 = RemoteService::new("archive2", URL2, caps, Arc::new(tap2.clone()));
    s2.max_rows = max_rows;
    federation.add_service(s1, vec![table_metadata("archive1", "obs", &pointings().0)]);
    federation.add_service(
        s2,
        vec![
            table_metadata("archive2", "src", &sources().0),
            table_metadata("archive2", "tags", &tags().0),
        ],
    );
    let federated = AdqlSession::with_extensions(
        SessionConfig::new(),
        // Blocks of 100 rows: archive2.src (2000 rows) is too big to be read whole while planning.
        federation.extensions_with_cost_model(CostModel {
            upload_block_rows: 100,
            ..model()
        }),
    );
    federation.register(federated.context()).unwrap();
    federated.register_table("ids", mem(ids())).unwrap();

    let local = AdqlSession::new();
    common::register_qualified(
        local.context(),
        "datafusion",
        "archive1",
        "obs",
        mem(pointings()),
    );
    common::register_qualified(
        local.context(),
        "datafusion",
        "archive2",
        "src",
        mem(sources()),
    );
    common::register_qualified(
        local.context(),
        "datafusion",
        "archive2",
        "tags",
        mem(tags()),
    );
    local.register_table("ids", mem(ids())).unwrap();
    Setup {
        federated,
        local,
        tap2,
    }
}

/// Runs `adql` federated and on the local session; the rows must agree (as sorted lists).
async fn same_rows(setup: &Setup, adql: &str) -> Vec<String> {
    let run = |session: &AdqlSession| {
        let session = session.clone();
        let adql = adql.to_string();
        async move {
            let batches = session.query(&adql).await.unwrap().collect().await.unwrap();
            let mut rows = rows(&batches);
            rows.sort();
            rows
        }
    };
    let (federated, local) = (run(&setup.federated).await, run(&setup.local).await);
    assert_eq!(federated, local, "{adql}");
    federated
}

fn find_bound(plan: &Arc<dyn ExecutionPlan>) -> Option<&BoundScanExec> {
    if let Some(b) = plan.downcast_ref::<BoundScanExec>() {
        return Some(b);
    }
    plan.children().into_iter().find_map(find_bound)
}

/// The plan binds archive2's side to the other side's keys; returns the EXPLAIN text.
async fn bound(setup: &Setup, adql: &str) -> String {
    let plan = common::physical(&setup.federated, adql).await;
    let text = displayable(plan.as_ref()).indent(true).to_string();
    assert!(find_bound(&plan).is_some(), "no bound scan in\n{text}");
    text
}

/// Runs `adql` federated and returns what archive2 received after planning (the planner's probes aside).
async fn data_requests(setup: &Setup, adql: &str) -> Vec<String> {
    let plan = common::physical(&setup.federated, adql).await;
    setup.tap2.clear();
    datafusion::physical_plan::collect(plan, setup.federated.context().task_ctx())
        .await
        .unwrap();
    setup.tap2.queries()
}

#[tokio::test]
async fn local_ids_joined_with_a_remote_table_send_only_the_keys() {
    let setup = setup(None);
    let adql = "SELECT i.id, s.source_id, s.mag FROM ids AS i JOIN archive2.src AS s ON s.source_id = i.id";
    let text = bound(&setup, adql).await;
    // The distinct non-NULL ids: 1, 5, 17, 3000 and 1999.
    assert!(text.contains("keys=5 as IN lists"), "{text}");
    let rows = same_rows(&setup, adql).await;
    // 1, 5 twice (the duplicate id), 17 and 1999; NULL and 3000 match nothing.
    assert_eq!(rows.len(), 5, "{rows:?}");
    let sent = data_requests(&setup, adql).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("WHERE q.source_id IN (1, 5, 17, 3000, 1999)"),
        "{sent:?}"
    );
}

#[tokio::test]
async fn outer_semi_and_anti_joins_keep_their_meaning() {
    let setup = setup(None);
    for (adql, bound_side) in [
        // The local side preserved: the remote side may be bound.
        (
            "SELECT i.id, s.mag FROM ids AS i LEFT JOIN archive2.src AS s ON s.source_id = i.id",
            true,
        ),
        // IN and EXISTS: semi joins.
        (
            "SELECT source_id, mag FROM archive2.src WHERE source_id IN (SELECT id FROM ids)",
            true,
        ),
        (
            "SELECT i.id FROM ids AS i WHERE EXISTS (SELECT 1 FROM archive2.src AS s WHERE s.source_id = i.id)",
            true,
        ),
        // NOT EXISTS: the local rows without a match are the answer, the remote side is bound.
        (
            "SELECT i.id FROM ids AS i WHERE NOT EXISTS (SELECT 1 FROM archive2.src AS s WHERE s.source_id = i.id)",
            true,
        ),
        // NOT IN over a side with a NULL key: no row at all, as SQL says.
        (
            "SELECT i.id FROM ids AS i WHERE i.id NOT IN (SELECT source_id FROM archive2.tags)",
            true,
        ),
        // NOT IN over a side without NULL keys.
        (
            "SELECT i.id FROM ids AS i WHERE i.id NOT IN (SELECT source_id FROM archive2.src)",
            true,
        ),
        // The remote side preserved: it cannot be bound, and is fetched whole.
        (
            "SELECT i.id, s.source_id FROM ids AS i RIGHT JOIN archive2.tags AS s ON s.source_id = i.id",
            false,
        ),
    ] {
        if bound_side {
            bound(&setup, adql).await;
        }
        same_rows(&setup, adql).await;
    }
}

#[tokio::test]
async fn two_remote_services_bind_the_bigger_side() {
    let setup = setup(None);
    let adql = "SELECT o.obs_id, s.source_id FROM archive1.obs AS o JOIN archive2.src AS s \
                ON s.source_id = o.obs_id WHERE o.exptime > 300";
    let text = bound(&setup, adql).await;
    assert!(text.contains("BoundScanExec: service=archive2"), "{text}");
    same_rows(&setup, adql).await;
}

#[tokio::test]
async fn an_unbounded_remote_part_over_the_limit_is_refused_before_its_data_request() {
    // archive2.src has 2000 rows; the limit is 1000.
    let setup = setup(Some(1000));
    setup.tap2.clear();
    let err = setup
        .federated
        .query("SELECT source_id, mag FROM archive2.src")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    let sent = setup.tap2.queries();
    assert_eq!(sent.len(), 1, "only the size probe: {sent:?}");
    assert!(
        sent[0].starts_with("SELECT COUNT(*) AS n FROM (SELECT TOP 1001 *"),
        "{sent:?}"
    );
    let root = err.find_root();
    let datafusion::error::DataFusionError::External(e) = root else {
        panic!("{err}")
    };
    let e = e.downcast_ref::<FederationError>().unwrap();
    assert!(matches!(e, FederationError::TooLarge { .. }), "{e}");
    let message = e.to_string();
    assert!(
        message.contains("at least 1001 rows of archive2.src"),
        "{message}"
    );
    assert!(message.contains("CONTAINS"), "{message}");

    // Bounded parts pass: by their own TOP (no probe), by a filter (probed), by the keys of a join.
    setup.tap2.clear();
    same_rows(
        &setup,
        "SELECT TOP 5 source_id FROM archive2.src ORDER BY source_id",
    )
    .await;
    assert!(
        setup.tap2.queries().iter().all(|q| !q.contains("COUNT(*)")),
        "{:?}",
        setup.tap2.queries()
    );
    same_rows(
        &setup,
        "SELECT source_id FROM archive2.src WHERE source_id < 10",
    )
    .await;
    same_rows(
        &setup,
        "SELECT i.id, s.mag FROM ids AS i JOIN archive2.src AS s ON s.source_id = i.id",
    )
    .await;
}
