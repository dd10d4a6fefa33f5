//! The products of MAST observations as a table (`mast_mashup.caom.products`, keyed on `parent_obsid`),
//! chosen in the query itself, against a loopback server replaying the recorded answers of
//! `shared/fixtures/astroquery_mast` (`advSearchPos.json` for observations, `products.json` for products).
//! Skips when the shared fixtures are absent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::replay;

use std::sync::Arc;

use adql_federation::{Catalogue, Engine, EngineOptions, ServiceConfig, ServiceKind, VoServiceIo};
use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use replay::{Recorded, ReplayServer, fixtures_dir};
use serde_json::Value;
use vo_client::arrow_util::column_cell;
use vo_client::{ClientConfig, HttpClient};

fn recorded(name: &str) -> Option<Value> {
    let path = fixtures_dir()?.join("astroquery_mast").join(name);
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

/// The request object of a Mashup POST.
fn request_of(r: &Recorded) -> Value {
    serde_json::from_str(&r.form_value("request").unwrap()).unwrap()
}

/// Observations from the recorded cone; products from the recorded product list, as recorded, or (with
/// `stamp`) once per observation asked for with its `parent_obsid`, as MAST sends them today.
async fn server(stamp: bool) -> Option<ReplayServer> {
    let (observations, products) = (recorded("advSearchPos.json")?, recorded("products.json")?);
    Some(
        replay::replay(move |r| {
            let request = request_of(r);
            let body = match request["service"].as_str() {
                Some("Mast.Caom.Products") if stamp => {
                    let asked = request["params"]["obsid"].as_str().unwrap().to_owned();
                    let mut doc = products.clone();
                    let rows: Vec<Value> = asked
                        .split(',')
                        .flat_map(|id| {
                            products["data"].as_array().unwrap().iter().map(move |p| {
                                let mut p = p.clone();
                                p["parent_obsid"] = Value::String(id.to_owned());
                                p
                            })
                        })
                        .collect();
                    doc["paging"]["rows"] = rows.len().into();
                    doc["paging"]["rowsTotal"] = rows.len().into();
                    doc["paging"]["rowsFiltered"] = rows.len().into();
                    doc["data"] = Value::Array(rows);
                    doc["fields"]
                        .as_array_mut()
                        .unwrap()
                        .push(serde_json::json!({"name": "parent_obsid", "type": "string"}));
                    doc
                }
                Some("Mast.Caom.Products") => products.clone(),
                _ => observations.clone(),
            };
            (200, "application/json", body.to_string().into_bytes())
        })
        .await,
    )
}

fn engine(server: &ReplayServer) -> Engine {
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
    Engine::with_io(
        catalogue,
        Arc::new(VoServiceIo::new(http)),
        EngineOptions::default(),
    )
}

async fn rows(engine: &Engine, adql: &str) -> Vec<RecordBatch> {
    engine.query(adql).await.unwrap().collect().await.unwrap()
}

fn count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn products_requests(server: &ReplayServer) -> Vec<Value> {
    server
        .requests()
        .iter()
        .map(request_of)
        .filter(|r| r["service"] == "Mast.Caom.Products")
        .collect()
}

#[tokio::test]
async fn own_observation_ids_join_their_products() {
    let Some(server) = server(false).await else {
        return;
    };
    let engine = engine(&server);
    let schema = Arc::new(Schema::new(vec![Field::new(
        "obsid",
        DataType::Int64,
        false,
    )]));
    let mine = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(Int64Array::from(vec![2003738726]))],
    )
    .unwrap();
    engine
        .register_table(
            "mine",
            Arc::new(MemTable::try_new(schema, vec![vec![mine]]).unwrap()),
        )
        .unwrap();
    let adql = "SELECT m.obsid, p.productFilename, p.\"size\", p.access_url \
                FROM mine AS m JOIN mast_mashup.caom.products AS p ON p.parent_obsid = m.obsid \
                WHERE p.productType = 'SCIENCE' ORDER BY p.productFilename";
    let batches = rows(&engine, adql).await;
    assert_eq!(count(&batches), 7, "the recorded list has 7 science files");
    let url = column_cell(&batches[0], "access_url", 0).unwrap();
    assert!(
        url.starts_with(&server.url("/api/v0.1/Download/file?uri=mast%3AHST%2Fproduct%2F")),
        "{url}"
    );
    let asked = products_requests(&server);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["params"]["obsid"], "2003738726");

    // The unit of the size column reaches the result.
    let schema = batches[0].schema();
    let size = schema.field_with_name("size").unwrap();
    assert_eq!(
        size.metadata().get("unit").map(String::as_str),
        Some("byte")
    );
}

#[tokio::test]
async fn observations_in_a_cone_join_their_products_in_one_request() {
    let Some(server) = server(true).await else {
        return;
    };
    let engine = engine(&server);
    let cone =
        "1 = CONTAINS(POINT('ICRS', o.s_ra, o.s_dec), CIRCLE('ICRS', 210.8023, 54.349, 0.24))";
    let observations = count(
        &rows(
            &engine,
            &format!("SELECT o.obsid FROM mast_mashup.caom.observations AS o WHERE {cone}"),
        )
        .await,
    );
    assert!(observations > 1);
    let adql = format!(
        "SELECT o.obs_id, p.productFilename FROM mast_mashup.caom.observations AS o \
         JOIN mast_mashup.caom.products AS p ON p.parent_obsid = o.obsid WHERE {cone}"
    );
    let batches = rows(&engine, &adql).await;
    assert_eq!(count(&batches), 22 * observations);
    let asked = products_requests(&server);
    assert_eq!(asked.len(), 1, "one batch of observations");
    let ids = asked[0]["params"]["obsid"].as_str().unwrap();
    assert!(ids.contains("1000016660"), "{ids}");
    // Each distinct observation asked once.
    let list: Vec<&str> = ids.split(',').collect();
    let mut distinct = list.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(list.len(), distinct.len(), "{ids}");
}

#[tokio::test]
async fn products_that_could_belong_to_several_observations_are_an_error() {
    let Some(server) = server(false).await else {
        return;
    };
    let engine = engine(&server);
    let adql = "SELECT o.obs_id, p.productFilename FROM mast_mashup.caom.observations AS o \
                JOIN mast_mashup.caom.products AS p ON p.parent_obsid = o.obsid \
                WHERE 1 = CONTAINS(POINT('ICRS', o.s_ra, o.s_dec), CIRCLE('ICRS', 210.8023, 54.349, 0.24))";
    let err = engine
        .query(adql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not say which one product"), "{err}");
    assert!(err.contains("mast_mashup"), "the service is named: {err}");
}

#[tokio::test]
async fn without_observations_the_products_table_says_what_it_needs() {
    let Some(server) = server(false).await else {
        return;
    };
    let engine = engine(&server);
    let err = engine
        .query("SELECT * FROM mast_mashup.caom.products WHERE productType = 'SCIENCE'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("table mast_mashup.caom.products needs values of parent_obsid"),
        "{err}"
    );
    assert!(server.requests().is_empty(), "nothing was asked");
}
