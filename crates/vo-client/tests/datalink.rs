//! DataLink links in batches against a scripted loopback server: every identifier is accounted for, an
//! identifier the answer leaves out (or answers only with an error) is an error naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Action, Recorded, TestServer, response};
use vo_client::datalink::DataLinkService;
use vo_client::{ClientConfig, HttpClient, RetryPolicy};

const FIELDS: &str = r#"<FIELD name="ID" datatype="char" arraysize="*" ucd="meta.id;meta.main"/>
<FIELD name="access_url" datatype="char" arraysize="*" ucd="meta.ref.url"/>
<FIELD name="service_def" datatype="char" arraysize="*"/>
<FIELD name="error_message" datatype="char" arraysize="*"/>
<FIELD name="semantics" datatype="char" arraysize="*"/>
<FIELD name="description" datatype="char" arraysize="*"/>
<FIELD name="content_type" datatype="char" arraysize="*"/>
<FIELD name="content_length" datatype="long" unit="byte"/>"#;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// The links document a DataLink service gives for the IDs of `request`: a `#this` and a `#preview` per
/// ID, an error row for IDs ending in `broken`, nothing for IDs ending in `missing`.
fn links(request: &Recorded) -> Vec<u8> {
    let ids: Vec<String> = url::form_urlencoded::parse(request.query().as_bytes())
        .filter(|(k, _)| k == "ID")
        .map(|(_, v)| v.into_owned())
        .collect();
    let mut rows = String::new();
    for id in &ids {
        let id_text = escape(id);
        if id.ends_with("missing") {
            continue;
        }
        if id.ends_with("broken") {
            rows.push_str(&format!(
                "<TR><TD>{id_text}</TD><TD/><TD/><TD>NotFoundFault: {id_text}</TD><TD>#this</TD><TD/><TD/><TD/></TR>\n"
            ));
            continue;
        }
        let name = id.rsplit('/').next().unwrap();
        rows.push_str(&format!(
            "<TR><TD>{id_text}</TD><TD>http://files/{name}.fits</TD><TD/><TD/><TD>#this</TD><TD>the data</TD><TD>application/fits</TD><TD>2880</TD></TR>\n\
             <TR><TD>{id_text}</TD><TD>http://files/{name}.png</TD><TD/><TD/><TD>#preview</TD><TD/><TD>image/png</TD><TD>100</TD></TR>\n"
        ));
    }
    // An ID ending in `cut` makes the service stop at its row limit.
    let status = if ids.iter().any(|id| id.ends_with("cut")) {
        "<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>"
    } else {
        ""
    };
    let body = format!(
        "<?xml version=\"1.0\"?>\n<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\
         <RESOURCE type=\"results\"><TABLE>{FIELDS}<DATA><TABLEDATA>\n{rows}</TABLEDATA></DATA></TABLE>{status}</RESOURCE></VOTABLE>"
    );
    response(
        200,
        "application/x-votable+xml;content=datalink",
        body.as_bytes(),
    )
}

fn http() -> HttpClient {
    HttpClient::new(ClientConfig {
        retry: RetryPolicy::none(),
        ..ClientConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn identifiers_go_in_batches_and_all_come_back() {
    let server = TestServer::start(|request, _| Action::Send(links(request))).await;
    let service = DataLinkService::new(http(), &server.url("/dl/dlmeta"))
        .unwrap()
        .with_batch_size(2);
    let ids: Vec<String> = (1..=5).map(|i| format!("ivo://test/obs{i}")).collect();
    let links = service.links(&ids).await.unwrap();
    assert_eq!(links.len(), 10);
    let this: Vec<&str> = links
        .iter()
        .filter(|l| l.semantics == "#this")
        .map(|l| l.access_url.as_deref().unwrap())
        .collect();
    assert_eq!(this[4], "http://files/obs5.fits");
    assert_eq!(links[0].content_length, Some(2880));
    assert_eq!(links[0].content_type.as_deref(), Some("application/fits"));
    // 5 IDs, 2 per request.
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].query().matches("ID=").count(), 2);
}

#[tokio::test]
async fn an_identifier_left_out_or_in_error_is_named() {
    let server = TestServer::start(|request, _| Action::Send(links(request))).await;
    let service = DataLinkService::new(http(), &server.url("/dl/dlmeta")).unwrap();
    for (bad, said) in [
        (
            "ivo://test/obs-missing",
            "no links came back for ID ivo://test/obs-missing",
        ),
        ("ivo://test/obs-broken", "NotFoundFault"),
        ("ivo://test/obs-cut", "cut by the service's row limit"),
    ] {
        let ids = vec!["ivo://test/obs1".to_owned(), bad.to_owned()];
        let error = service.links(&ids).await.unwrap_err().to_string();
        assert!(error.contains(said), "{error}");
        assert!(error.contains("DataLink"), "{error}");
    }
}

#[tokio::test]
async fn rows_become_products_through_datalink_or_directly() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use vo_client::products::{ProductOptions, products_of_rows};

    let server = TestServer::start(|request, _| Action::Send(links(request))).await;
    let dl = |id: &str| {
        format!(
            "{}?ID={}",
            server.url("/dl/dlmeta"),
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        )
    };
    let strings = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
    let datalink = "application/x-votable+xml;content=datalink";
    let batch = RecordBatch::try_from_iter([
        (
            "access_url",
            strings(vec![
                Some(&dl("ivo://test/obs1")),
                Some("http://files/direct.fits"),
                Some(&dl("ivo://test/obs2")),
            ]),
        ),
        (
            "access_format",
            strings(vec![
                Some(datalink),
                Some("application/fits"),
                Some(datalink),
            ]),
        ),
        (
            "obs_collection",
            strings(vec![Some("TEST"), Some("TEST"), None]),
        ),
        ("obs_id", strings(vec![Some("o1"), Some("o2"), Some("o3")])),
    ])
    .unwrap();
    let products = products_of_rows(
        &http(),
        std::slice::from_ref(&batch),
        &ProductOptions::default(),
    )
    .await
    .unwrap();
    let urls: Vec<&str> = products.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://files/obs1.fits",
            "http://files/direct.fits",
            "http://files/obs2.fits"
        ]
    );
    assert_eq!(products[0].size, Some(2880));
    assert_eq!(products[0].observation.as_deref(), Some("o1"));
    // One request for both DataLink rows.
    assert_eq!(server.requests().len(), 1);
    let previews = ProductOptions {
        semantics: vec!["#preview".to_owned()],
        ..ProductOptions::default()
    };
    let products = products_of_rows(&http(), &[batch], &previews)
        .await
        .unwrap();
    assert_eq!(products[0].url.as_str(), "http://files/obs1.png");
}
