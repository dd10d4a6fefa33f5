//! Every VOTable of the shared fixtures reads, with the expected status and shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::io::BufReader;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use votable_arrow::{
    Error, QueryStatus, ReaderOptions, TableSelector, VOTableReader, read_votable,
};

fn open(rel: &str) -> Option<BufReader<File>> {
    let dir = common::fixtures_dir()?;
    Some(BufReader::new(File::open(dir.join(rel)).unwrap()))
}

#[test]
fn every_fixture_reads() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let files = common::votable_fixtures(&dir);
    assert!(
        files.len() >= 30,
        "found only {} VOTable fixtures",
        files.len()
    );
    let mut tables = 0;
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let doc = read_votable(
            BufReader::new(File::open(&path).unwrap()),
            ReaderOptions::default(),
        );
        match doc {
            Ok(doc) => {
                for t in &doc.tables {
                    assert_eq!(t.schema.fields().len(), t.info.fields.len(), "{name}");
                    if let Some(n) = t.info.nrows {
                        assert_eq!(t.num_rows() as u64, n, "{name}: nrows");
                    }
                }
                tables += doc.tables.len();
            }
            Err(Error::ServiceError(msg)) => {
                assert!(name.starts_with("conesearch_error"), "{name}: {msg}");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(tables >= 30);
}

#[test]
fn cone_search_error_documents() {
    for (n, msg) in [
        (1, "Error in input RA value: as3f"),
        (2, "Error in input RA value: as3f"),
        (3, "Invalid data type: text/html"),
        (4, "Invalid data type: text/html"),
    ] {
        let Some(r) = open(&format!("astroquery_vo_conesearch/conesearch_error{n}.xml")) else {
            return;
        };
        match VOTableReader::new(r, ReaderOptions::default()) {
            Err(Error::ServiceError(m)) => assert_eq!(m, msg),
            other => panic!("conesearch_error{n}: {other:?}"),
        }
    }
}

#[test]
fn overflow_after_the_table() {
    for rel in [
        "pyvo/dal_query_overflowstatus.xml",
        "cds_votable_rust/gaia_dr3.b264",
    ] {
        let Some(r) = open(rel) else { return };
        let mut reader = VOTableReader::new(r, ReaderOptions::default()).unwrap();
        // Before the rows, the status seen so far is OK.
        assert_eq!(reader.status(), &QueryStatus::Ok, "{rel}");
        let rows: usize = reader.by_ref().map(|b| b.unwrap().num_rows()).sum();
        assert!(rows > 0);
        assert_eq!(reader.status(), &QueryStatus::Overflow, "{rel}");
        assert!(reader.trailer().info("QUERY_STATUS").is_some());
    }
}

#[test]
fn error_status_with_table() {
    let Some(r) = open("pyvo/dal_query_errorstatus.xml") else {
        return;
    };
    let mut reader = VOTableReader::new(r, ReaderOptions::default()).unwrap();
    for b in reader.by_ref() {
        b.unwrap();
    }
    assert!(matches!(reader.status(), QueryStatus::Error(_)));
}

#[test]
fn gaia_binary2_nulls_and_types() {
    let Some(r) = open("cds_votable_rust/gaia_dr3.b264") else {
        return;
    };
    let reader = VOTableReader::new(r, ReaderOptions::default().with_batch_size(7)).unwrap();
    let schema = reader.schema();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.len(), 8);
    assert!(batches.iter().all(|b| b.num_rows() <= 7));
    let ra = schema.field_with_name("RA_ICRS").unwrap();
    assert_eq!(ra.data_type(), &DataType::Float64);
    assert_eq!(ra.metadata()["ucd"], "pos.eq.ra;meta.main");
    assert_eq!(ra.metadata()["unit"], "deg");
    let nulls: usize = batches
        .iter()
        .flat_map(|b| b.columns().iter().map(|c| c.null_count()))
        .sum();
    assert!(nulls > 500, "{nulls}");
}

#[test]
fn gaia_binary_and_binary2_agree() {
    let (Some(a), Some(b)) = (
        open("cds_votable_rust/gaia_dr3.b64"),
        open("cds_votable_rust/gaia_dr3.b264"),
    ) else {
        return;
    };
    let a: Vec<_> = VOTableReader::new(a, ReaderOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let b: Vec<_> = VOTableReader::new(b, ReaderOptions::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let (a, b) = (&a[0], &b[0]);
    assert_eq!(a.num_rows(), b.num_rows());
    // Values agree wherever both are non-null (BINARY2 flags more nulls).
    for c in 0..a.num_columns() {
        let (x, y) = (a.column(c), b.column(c));
        if x.data_type() != &DataType::Float64 || y.data_type() != &DataType::Float64 {
            continue;
        }
        let (x, y) = (
            x.as_primitive::<arrow_array::types::Float64Type>(),
            y.as_primitive::<arrow_array::types::Float64Type>(),
        );
        for r in 0..x.len() {
            if x.is_valid(r) && y.is_valid(r) {
                assert_eq!(x.value(r), y.value(r));
            }
        }
    }
}

#[test]
fn namespace_prefix_and_coosys() {
    let Some(r) = open("cds_votable_rust/IMCCE.with_namespace.vot") else {
        return;
    };
    let mut reader = VOTableReader::new(r, ReaderOptions::default()).unwrap();
    let rows: usize = reader.by_ref().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 14);
    let doc = reader.finish().unwrap();
    assert_eq!(doc.coosys[0].system.as_deref(), Some("eq_FK5"));
    assert!(doc.params.iter().any(|p| p.info.name == "Epoch"));
}

#[test]
fn unicode_and_two_dimensional_char() {
    let Some(r) = open("cds_votable_rust/unicode.vot") else {
        return;
    };
    let mut reader = VOTableReader::new(r, ReaderOptions::default()).unwrap();
    let batch = reader.next().unwrap().unwrap();
    let txt = batch.column_by_name("txt").unwrap().as_string::<i32>();
    assert_eq!(txt.value(1), "Βητα");
    assert!(txt.is_null(3));
    let words = batch.column_by_name("words").unwrap().as_list::<i32>();
    let w2 = words.value(2);
    let w2 = w2.as_string::<i32>();
    // char widths count UTF-8 bytes.
    assert_eq!(w2.value(0), "\u{393}\u{A66E}\u{1F600}");
    assert_eq!(w2.value(1), "ABCDEFGHIJ");
    assert_eq!(words.value(0).as_string::<i32>().value(1), "a123456789");
    let Some(r) = open("cds_votable_rust/vot_utf8_array_dt.xml") else {
        return;
    };
    let batch = VOTableReader::new(r, ReaderOptions::default())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let places = batch.column(0).as_list::<i32>().value(1);
    let places = places.as_string::<i32>();
    assert_eq!(places.len(), 4);
    assert_eq!(places.value(2), "Görlitz..");
    assert_eq!(places.value(3), "Strasbourg");
}

#[test]
fn stilts_all_types() {
    let Some(r) = open("cds_votable_rust/stilts_all_but_k_test.vot") else {
        return;
    };
    let reader = VOTableReader::new(r, ReaderOptions::default()).unwrap();
    let schema = reader.schema();
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().to_string())
        .collect();
    assert!(types[12].starts_with("FixedSizeList"), "{}", types[12]);
    assert!(types[27].starts_with("List"), "{}", types[27]);
    assert_eq!(schema.field(42).metadata()["votable:arraysize"], "2x4");
    let batch = reader.map(Result::unwrap).next().unwrap();
    assert_eq!(batch.num_rows(), 10);
    let s = batch.column(18).as_list::<i32>().value(0);
    let s = s.as_string::<i32>();
    assert_eq!((s.value(0), s.value(1), s.value(2)), ("foo", "", "zero"));
    let m = batch.column(42).as_fixed_size_list().value(0);
    assert_eq!(m.len(), 8);
}

#[test]
fn select_tables() {
    let Some(r) = open("cds_votable_rust/simbad_unicodechar.xml") else {
        return;
    };
    assert!(matches!(
        VOTableReader::new(
            r,
            ReaderOptions::default().with_table(TableSelector::Index(3))
        ),
        Err(Error::NoTable)
    ));
    let Some(r) = open("cds_votable_rust/simbad_unicodechar.xml") else {
        return;
    };
    let reader = VOTableReader::new(
        r,
        ReaderOptions::default().with_table(TableSelector::Name("result_S1692635002871".into())),
    )
    .unwrap();
    assert_eq!(reader.schema().fields().len(), 3);
}
