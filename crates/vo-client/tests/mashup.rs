//! The Mashup client against recorded MAST answers replayed by a loopback server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use arrow_schema::DataType;
use common::{Action, Recorded, TestServer, fixtures_dir, response};
use serde_json::{Value, json};
use vo_client::arrow_util::column_cell;
use vo_client::mashup::{MashupOptions, MashupRequest, MastClient};
use vo_client::{ClientConfig, Error, HttpClient};

const FIELDS_DATA_FIXTURES: &[&str] = &[
    "advSearch.json",
    "advSearchPos.json",
    "caom.json",
    "countsResp.json",
    "dd.json",
    "hsc.json",
    "matchid.json",
    "products.json",
    "spectra.json",
    "tic.json",
];

fn fixture(name: &str) -> Option<Value> {
    let dir = fixtures_dir()?;
    Some(
        serde_json::from_slice(&std::fs::read(dir.join("astroquery_mast").join(name)).unwrap())
            .unwrap(),
    )
}

fn client(server: &TestServer) -> MastClient {
    MastClient::with_url(
        HttpClient::new(ClientConfig::default()).unwrap(),
        &server.url("/api/v0/invoke"),
    )
    .unwrap()
    .with_options(MashupOptions {
        poll_delay: Duration::from_millis(10),
        ..MashupOptions::default()
    })
}

fn request_of(r: &Recorded) -> Value {
    serde_json::from_str(&r.form_value("request").expect("form field `request`")).unwrap()
}

fn json_response(v: &Value) -> Action {
    Action::Send(response(200, "application/json", v.to_string().as_bytes()))
}

#[tokio::test]
async fn every_recorded_answer_gives_the_right_rows_and_types() {
    for name in FIELDS_DATA_FIXTURES {
        let Some(doc) = fixture(name) else { return };
        let served = doc.clone();
        let server = TestServer::start(move |_, _| json_response(&served)).await;
        let table = client(&server)
            .query(MashupRequest::new("Mast.Test"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let fields: Vec<&str> = doc["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .filter(|n| *n != "_selected_")
            .collect();
        let rows = doc["data"].as_array().unwrap();
        assert_eq!(table.num_rows(), rows.len(), "{name}: row count");
        let names: Vec<&str> = table
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names, fields,
            "{name}: columns in declared order, _selected_ dropped"
        );
        // Every non-null value survives, as text comparable with the JSON.
        let mut row = 0;
        for batch in &table.batches {
            for i in 0..batch.num_rows() {
                for f in &fields {
                    let expected = &rows[row][*f];
                    let got = column_cell(batch, f, i);
                    match expected {
                        Value::Null => assert_eq!(got, None, "{name} row {row} {f}"),
                        Value::String(s) => {
                            assert_eq!(got.as_deref(), Some(s.as_str()), "{name} row {row} {f}")
                        }
                        Value::Number(n) => {
                            let got: f64 = got
                                .unwrap_or_else(|| panic!("{name} row {row} {f}: null"))
                                .parse()
                                .unwrap();
                            assert!(
                                (got - n.as_f64().unwrap()).abs() <= 1e-9 * got.abs().max(1.0),
                                "{name} row {row} {f}"
                            );
                        }
                        Value::Bool(b) => {
                            assert_eq!(got, Some(b.to_string()), "{name} row {row} {f}")
                        }
                        other => panic!("{name}: unexpected cell {other}"),
                    }
                }
                row += 1;
            }
        }
    }
}

#[tokio::test]
async fn declared_types_are_corrected_from_the_data() {
    let (Some(counts), Some(products)) = (fixture("countsResp.json"), fixture("products.json"))
    else {
        return;
    };
    let server = TestServer::start(move |_, _| json_response(&counts)).await;
    let t = client(&server)
        .query(MashupRequest::new("Mast.Caom.Filtered"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.schema.field(0).name(), "Column1");
    assert_eq!(
        t.schema.field(0).data_type(),
        &DataType::Int64,
        "declared string, value 599"
    );
    assert_eq!(
        column_cell(&t.batches[0], "Column1", 0).as_deref(),
        Some("599")
    );

    let server = TestServer::start(move |_, _| json_response(&products)).await;
    let t = client(&server)
        .query(MashupRequest::new("Mast.Caom.Products"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let obsid = t.schema.field_with_name("obsID").unwrap();
    assert_eq!(
        obsid.data_type(),
        &DataType::Int64,
        "obsID declared string, sent as numbers"
    );
    assert_eq!(
        obsid.metadata().get("mashup:type").map(String::as_str),
        Some("string")
    );
}

#[tokio::test]
async fn pages_are_all_fetched() {
    let Some(doc) = fixture("caom.json") else {
        return;
    };
    let rows = doc["data"].as_array().unwrap().clone();
    let page_size = 5usize;
    let pages = rows.len().div_ceil(page_size);
    assert!(pages >= 3, "the fixture must split into several pages");
    let doc = Arc::new(doc);
    let server = TestServer::start(move |req, _| {
        let asked = request_of(req);
        let page = asked["page"].as_u64().unwrap() as usize;
        let chunk: Vec<Value> = rows.iter().skip((page - 1) * page_size).take(page_size).cloned().collect();
        let mut answer = (*doc).clone();
        answer["data"] = Value::Array(chunk.clone());
        answer["paging"] = json!({"page": page, "pageSize": page_size, "pagesFiltered": pages, "rows": chunk.len(), "rowsFiltered": rows.len(), "rowsTotal": rows.len()});
        json_response(&answer)
    })
    .await;
    let mut req = MashupRequest::new("Mast.Caom.Cone").position(254.28746, -4.09933, 0.2);
    req.pagesize = page_size as u64;
    let t = client(&server)
        .query(req)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 19);
    let asked: Vec<Value> = server.requests().iter().map(request_of).collect();
    assert_eq!(
        asked
            .iter()
            .map(|r| r["page"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        (1..=pages as u64).collect::<Vec<_>>()
    );
    // Further pages repeat the request, cache breaker included.
    let strip_page = |r: &Value| {
        let mut r = r.clone();
        r["page"] = json!(0);
        r
    };
    assert!(asked.iter().all(|r| strip_page(r) == strip_page(&asked[0])));
    // Rows arrive in order.
    let first_ids: Vec<String> = (0..t.batches[0].num_rows())
        .filter_map(|i| column_cell(&t.batches[0], "obsid", i))
        .collect();
    assert_eq!(first_ids.first().cloned(), doc_obsid(&server, 0));
}

fn doc_obsid(_server: &TestServer, row: usize) -> Option<String> {
    let doc = fixture("caom.json")?;
    doc["data"][row]["obsid"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| doc["data"][row]["obsid"].as_i64().map(|n| n.to_string()))
}

#[tokio::test]
async fn executing_then_complete_reposts_the_identical_request() {
    let Some(doc) = fixture("tic.json") else {
        return;
    };
    let server = TestServer::start(move |_, i| {
        if i < 2 {
            json_response(&json!({"status": "EXECUTING", "msg": "", "percent complete": 20.0}))
        } else {
            json_response(&doc)
        }
    })
    .await;
    let t = client(&server)
        .query(MashupRequest::new("Mast.Catalogs.Filtered.Tic.Rows"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 7);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(
        reqs.iter().all(|r| r.body == reqs[0].body),
        "re-polls must repeat the identical request"
    );
}

#[tokio::test]
async fn filtered_position_request_is_exact() {
    let Some(doc) = fixture("advSearchPos.json") else {
        return;
    };
    let server = TestServer::start(move |_, _| json_response(&doc)).await;
    let filters = [
        "filters=NUV,FUV".parse().unwrap(),
        "t_max=52264.4586..54452.8914".parse().unwrap(),
        "obsid=%200%".parse().unwrap(),
    ];
    let mut req = MashupRequest::new("Mast.Caom.Filtered.Position")
        .filters(&filters)
        .position(210.8023, 54.349, 0.24);
    req.cache_breaker = Some("cb-1".to_owned());
    let t = client(&server)
        .query(req)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(t.num_rows(), 12);
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path(), "/api/v0/invoke");
    assert_eq!(
        reqs[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request_of(&reqs[0]),
        json!({
            "service": "Mast.Caom.Filtered.Position",
            "format": "json", "pagesize": 50000, "page": 1, "timeout": 30, "removenullcolumns": false, "cachebreaker": "cb-1",
            "params": {
                "columns": "*",
                "filters": [
                    {"paramName": "filters", "values": ["NUV", "FUV"]},
                    {"paramName": "t_max", "values": [{"min": 52264.4586, "max": 54452.8914}]},
                    {"paramName": "obsid", "values": [], "freeText": "%200%"}
                ],
                "position": "210.8023, 54.349, 0.24"
            }
        })
    );
}

#[tokio::test]
async fn error_status_carries_the_message() {
    let server = TestServer::start(|_, _| json_response(&json!({"status": "ERROR", "msg": "Must be logged in as an authorized user to access this service."}))).await;
    let err = client(&server)
        .query(MashupRequest::new("Mast.Jwst.Filtered.Nirspec"))
        .await
        .unwrap_err();
    match err {
        Error::Service {
            service, message, ..
        } => {
            assert_eq!(
                message,
                "Must be logged in as an authorized user to access this service."
            );
            assert!(service.contains("Mast.Jwst.Filtered.Nirspec"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn name_resolution() {
    let Some(doc) = fixture("resolver.json") else {
        return;
    };
    let expected = doc["resolvedCoordinate"].as_array().unwrap().len();
    let server = TestServer::start(move |_, _| json_response(&doc)).await;
    let found = client(&server).resolve("tic 307210830").await.unwrap();
    assert_eq!(found.len(), expected);
    assert_eq!(found[0].resolver, "TIC");
    assert_eq!(found[0].canonical_name.as_deref(), Some("TIC 307210830"));
    assert!((found[0].ra - 124.531756290083).abs() < 1e-12);
    assert!((found[0].dec + 68.3129998725044).abs() < 1e-12);
    assert_eq!(found[1].object_type.as_deref(), Some("HighPM*"));
    let asked = request_of(&server.requests()[0]);
    assert_eq!(asked["service"], "Mast.Name.Lookup");
    assert_eq!(
        asked["params"],
        json!({"input": "tic 307210830", "format": "json"})
    );
}

#[tokio::test]
async fn column_types_are_reconciled_across_pages() {
    // Page 1: `flux` all null (declared string), `n` integers; page 2: floats in both.
    let server = TestServer::start(|req, _| {
        let page = request_of(req)["page"].as_u64().unwrap();
        let data = if page == 1 {
            json!([{"id": "a", "flux": null, "n": 1}, {"id": "b", "flux": null, "n": 2}])
        } else {
            json!([{"id": "c", "flux": 0.25, "n": 2.5}])
        };
        json_response(&json!({
            "status": "COMPLETE", "msg": "",
            "fields": [{"name": "id", "type": "string"}, {"name": "flux", "type": "string"}, {"name": "n", "type": "int"}],
            "data": data,
            "paging": {"page": page, "pageSize": 2, "pagesFiltered": 2, "rows": 2, "rowsFiltered": 3, "rowsTotal": 3}
        }))
    })
    .await;
    let mut req = MashupRequest::new("Mast.Test");
    req.pagesize = 2;
    let t = client(&server)
        .query(req)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(t.num_rows(), 3);
    let types: Vec<&DataType> = t.schema.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(
        types,
        [&DataType::Utf8, &DataType::Float64, &DataType::Float64]
    );
    let cells: Vec<(Option<String>, Option<String>)> = t
        .batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(|i| (column_cell(b, "flux", i), column_cell(b, "n", i)))
        })
        .collect();
    assert_eq!(
        cells,
        [
            (None, Some("1".to_owned())),
            (None, Some("2".to_owned())),
            (Some("0.25".to_owned()), Some("2.5".to_owned()))
        ]
    );
}
