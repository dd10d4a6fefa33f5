//! The user's own table × an archive table, against the loopback GAVO DaCHS (`tests/dachs/setup.sh`):
//! local tables (targets with positions, a list of source ids) joined with `gaia.archive2.sources` by
//! position (each crossmatch strategy) and by key (equality, `IN`, `EXISTS`, `NOT EXISTS`, a left join).
//! Every answer must equal DaCHS's own answer to the same query with the local tables uploaded
//! (`TAP_UPLOAD`). Skips with a message when DaCHS is not running, except under `CI`, where that fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::dachs_server;

use std::sync::Arc;

use adql_engine::AdqlSession;
use adql_federation::{
    BoundScanExec, Catalogue, CrossServiceJoinExec, Federation, ServiceConfig, Strategy,
    TapExecutor, VoTapExecutor, VosiDiscovery,
};
use dachs_server::{server_up, tap_url};
use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::SessionConfig;
use futures::StreamExt;
use vo_client::tap::{TapQuery, TapService, Upload};
use vo_client::{ClientConfig, HttpClient};

use common::rows;

/// Every row of `adql` as DaCHS answers it, with `uploads` attached.
async fn dachs(adql: &str, uploads: &[(&str, &[RecordBatch])]) -> Vec<RecordBatch> {
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let tap = TapService::new(http, &tap_url()).unwrap();
    let mut query = TapQuery::new(adql);
    for (name, batches) in uploads {
        let schema = batches[0].schema();
        query = query.upload(Upload::from_batches(name, schema, batches).unwrap());
    }
    let mut result = tap.query(&query).await.unwrap();
    let mut out = Vec::new();
    while let Some(b) = result.next().await {
        out.push(b.unwrap());
    }
    out
}

/// A session over `mast` (schema archive1) and `gaia` (schema archive2) on the one DaCHS.
async fn session(cache: &std::path::Path) -> AdqlSession {
    let url = tap_url();
    let mut catalogue = Catalogue::empty().with_cache_dir(cache);
    catalogue.add(ServiceConfig::tap("mast", &url, "observations").with_schemas(["archive1"]));
    catalogue.add(ServiceConfig::tap("gaia", &url, "sources").with_schemas(["archive2"]));
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

fn memory(batches: &[RecordBatch]) -> Arc<MemTable> {
    Arc::new(MemTable::try_new(batches[0].schema(), vec![batches.to_vec()]).unwrap())
}

/// The federated answer of `adql` (local tables named as written) equals DaCHS's answer of the same
/// text with each local table uploaded and `gaia.` removed; returns the physical plan's text.
async fn same_as_dachs(
    session: &AdqlSession,
    adql: &str,
    local: &[(&str, &[RecordBatch])],
) -> (String, usize) {
    let df = session.query(adql).await.unwrap();
    let plan = df.clone().create_physical_plan().await.unwrap();
    let text = displayable(plan.as_ref()).indent(true).to_string();
    let mut federated = rows(&df.collect().await.unwrap());
    let mut single = adql.replace("gaia.archive2.", "archive2.");
    for (name, _) in local {
        single = single.replace(&format!(" {name} AS "), &format!(" TAP_UPLOAD.{name} AS "));
    }
    let mut direct = rows(&dachs(&single, local).await);
    federated.sort();
    direct.sort();
    assert_eq!(federated, direct, "{adql}\n{text}");
    (text, federated.len())
}

fn strategy_of(plan: &Arc<dyn ExecutionPlan>) -> Option<Strategy> {
    if let Some(j) = plan.downcast_ref::<CrossServiceJoinExec>() {
        return Some(j.decision().chosen.strategy);
    }
    plan.children().into_iter().find_map(strategy_of)
}

fn binds(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.downcast_ref::<BoundScanExec>().is_some() || plan.children().into_iter().any(binds)
}

#[tokio::test]
async fn local_targets_crossmatched_with_an_archive_table() {
    if !server_up(&tap_url()) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let session = session(cache.path()).await;
    for (n, strategy) in [
        (3, Strategy::BatchedCones),
        (30, Strategy::RegionPrefetch),
        (1000, Strategy::UploadJoin),
    ] {
        let targets = dachs(
            &format!("SELECT TOP {n} obs_id, s_ra, s_dec FROM archive1.obscore ORDER BY obs_id"),
            &[],
        )
        .await;
        session.context().deregister_table("targets").unwrap();
        session.register_table("targets", memory(&targets)).unwrap();
        let adql = "SELECT t.obs_id, s.source_id, s.ra FROM targets AS t JOIN gaia.archive2.sources AS s \
                    ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.s_ra, t.s_dec, 0.05))";
        let plan = common::physical(&session, adql).await;
        assert_eq!(
            strategy_of(&plan),
            Some(strategy),
            "{n} targets:\n{}",
            displayable(plan.as_ref()).indent(true)
        );
        let (_, found) = same_as_dachs(&session, adql, &[("targets", &targets)]).await;
        assert!(found > 0, "{n} targets: the case should find pairs");
    }
}

#[tokio::test]
async fn a_local_id_list_joined_by_key() {
    if !server_up(&tap_url()) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let session = session(cache.path()).await;
    // 200 ids of the archive, one of them twice, and 3 it does not have.
    let known = dachs(
        "SELECT TOP 200 source_id FROM archive2.sources ORDER BY source_id",
        &[],
    )
    .await;
    let known = datafusion::arrow::compute::concat_batches(&known[0].schema(), &known).unwrap();
    let column = cast(known.column(0), &DataType::Int64).unwrap();
    let column = column.as_primitive::<Int64Type>();
    let values: Vec<i64> = column
        .values()
        .iter()
        .copied()
        .chain([column.value(7), 1, 2, 3])
        .collect();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "source_id",
        DataType::Int64,
        false,
    )]));
    let ids = vec![
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values)) as ArrayRef]).unwrap(),
    ];
    session.register_table("ids", memory(&ids)).unwrap();
    for adql in [
        "SELECT i.source_id, s.ra FROM ids AS i JOIN gaia.archive2.sources AS s ON s.source_id = i.source_id",
        // Qualified: DaCHS asks for it where both tables have the column.
        "SELECT s.source_id, s.ra FROM gaia.archive2.sources AS s \
         WHERE s.source_id IN (SELECT i.source_id FROM ids AS i)",
        "SELECT i.source_id FROM ids AS i WHERE EXISTS \
         (SELECT 1 FROM gaia.archive2.sources AS s WHERE s.source_id = i.source_id)",
        "SELECT i.source_id FROM ids AS i WHERE NOT EXISTS \
         (SELECT 1 FROM gaia.archive2.sources AS s WHERE s.source_id = i.source_id)",
        "SELECT i.source_id, s.ra FROM ids AS i LEFT OUTER JOIN gaia.archive2.sources AS s \
         ON s.source_id = i.source_id",
    ] {
        let plan = common::physical(&session, adql).await;
        assert!(
            binds(&plan),
            "{adql}: the archive side is asked for the ids only\n{}",
            displayable(plan.as_ref()).indent(true)
        );
        same_as_dachs(&session, adql, &[("ids", &ids)]).await;
    }
}
