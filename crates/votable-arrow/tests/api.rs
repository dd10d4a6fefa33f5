//! Reader API: table selection and iteration, trailers, the async reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use futures::StreamExt;
use votable_arrow::{
    AsyncVOTableReader, QueryStatus, ReaderOptions, TableSelector, VOTableReader, read_votable,
};

const MULTI: &str = r#"<?xml version="1.0"?>
<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
 <INFO name="QUERY_STATUS" value="OK"/>
 <RESOURCE type="meta">
  <TABLE name="meta"><FIELD name="m" datatype="int"/><DATA><TABLEDATA><TR><TD>7</TD></TR></TABLEDATA></DATA></TABLE>
 </RESOURCE>
 <RESOURCE type="results">
  <TABLE name="first" nrows="2"><FIELD name="a" datatype="int"/>
   <DATA><TABLEDATA><TR><TD>1</TD></TR><TR><TD>2</TD></TR></TABLEDATA></DATA></TABLE>
  <TABLE name="nodata"><FIELD name="b" datatype="double"/></TABLE>
  <TABLE name="second"><FIELD name="c" datatype="int"/>
   <DATA><BINARY2><STREAM encoding="base64">AAAAAAMA
   AAAABA==</STREAM></BINARY2></DATA></TABLE>
  <INFO name="QUERY_STATUS" value="OVERFLOW"/>
 </RESOURCE>
</VOTABLE>"#;

fn ints(batch: &arrow_array::RecordBatch) -> Vec<i32> {
    batch
        .column(0)
        .as_primitive::<Int32Type>()
        .values()
        .to_vec()
}

#[test]
fn default_selection_skips_meta_resources() {
    let mut r = VOTableReader::new(MULTI.as_bytes(), ReaderOptions::default()).unwrap();
    assert_eq!(r.schema().field(0).name(), "a");
    assert_eq!(r.table_info().unwrap().name.as_deref(), Some("first"));
    let b = r.next().unwrap().unwrap();
    assert_eq!(ints(&b), vec![1, 2]);
    assert!(r.next().is_none());
    // Stopped before the next TABLE: the late OVERFLOW is not read yet.
    assert_eq!(r.status(), &QueryStatus::Ok);
    let doc = r.finish().unwrap();
    assert_eq!(doc.query_status, QueryStatus::Overflow);
}

#[test]
fn iterate_all_tables() {
    let doc = read_votable(MULTI.as_bytes(), ReaderOptions::default()).unwrap();
    let names: Vec<_> = doc
        .tables
        .iter()
        .map(|t| t.info.name.clone().unwrap())
        .collect();
    assert_eq!(names, vec!["meta", "first", "nodata", "second"]);
    assert_eq!(doc.tables[2].num_rows(), 0);
    assert_eq!(doc.tables[2].schema.field(0).name(), "b");
    assert_eq!(ints(&doc.tables[3].batches[0]), vec![3, 4]);
    assert_eq!(doc.info.query_status, QueryStatus::Overflow);
}

#[test]
fn select_by_name_and_index() {
    let r = VOTableReader::new(
        MULTI.as_bytes(),
        ReaderOptions::default().with_table(TableSelector::Name("second".into())),
    )
    .unwrap();
    let rows: Vec<i32> = r.flat_map(|b| ints(&b.unwrap())).collect();
    assert_eq!(rows, vec![3, 4]);
    let r = VOTableReader::new(
        MULTI.as_bytes(),
        ReaderOptions::default().with_table(TableSelector::Index(0)),
    )
    .unwrap();
    assert_eq!(r.schema().field(0).name(), "m");
}

#[test]
fn small_batches_and_tiny_reads() {
    // A reader that returns one byte at a time exercises every buffer boundary.
    struct OneByte<'a>(&'a [u8]);
    impl std::io::Read for OneByte<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || out.is_empty() {
                return Ok(0);
            }
            out[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let reader = std::io::BufReader::with_capacity(1, OneByte(MULTI.as_bytes()));
    let doc = read_votable(reader, ReaderOptions::default().with_batch_size(1)).unwrap();
    assert_eq!(doc.tables[1].batches.len(), 2);
    assert_eq!(ints(&doc.tables[3].batches[1]), vec![4]);
    assert_eq!(doc.info.query_status, QueryStatus::Overflow);
}

#[test]
fn async_reader_matches_blocking() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut r = AsyncVOTableReader::new(
            MULTI.as_bytes(),
            ReaderOptions::default().with_batch_size(1),
        )
        .await
        .unwrap();
        assert_eq!(r.schema().field(0).name(), "a");
        let mut rows = Vec::new();
        while let Some(b) = r.next_batch().await.unwrap() {
            rows.extend(ints(&b));
        }
        assert_eq!(rows, vec![1, 2]);
        assert!(r.next_table().await.unwrap());
        assert_eq!(r.schema().field(0).name(), "b");
        assert!(r.next_table().await.unwrap());
        let rows: Vec<i32> = {
            let mut v = Vec::new();
            while let Some(b) = r.next_batch().await.unwrap() {
                v.extend(ints(&b));
            }
            v
        };
        assert_eq!(rows, vec![3, 4]);
        assert!(!r.next_table().await.unwrap());
        assert_eq!(r.status(), &QueryStatus::Overflow);

        let r = AsyncVOTableReader::new(MULTI.as_bytes(), ReaderOptions::default())
            .await
            .unwrap();
        let batches: Vec<_> = r.into_stream().collect().await;
        assert_eq!(batches.len(), 1);
        assert_eq!(ints(batches[0].as_ref().unwrap()), vec![1, 2]);
    });
}

#[test]
fn async_reader_on_a_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/cds_votable_rust/gaia_dr3.b264"
    );
    if !std::path::Path::new(path).exists() {
        eprintln!("skipping: {path} not found");
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let f = tokio::io::BufReader::new(tokio::fs::File::open(path).await.unwrap());
        let mut r = AsyncVOTableReader::new(f, ReaderOptions::default())
            .await
            .unwrap();
        let mut rows = 0;
        while let Some(b) = r.next_batch().await.unwrap() {
            rows += b.num_rows();
        }
        assert_eq!(rows, 50);
        assert_eq!(r.status(), &QueryStatus::Overflow);
    });
}

#[test]
fn several_tables_are_written_as_one_document() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use arrow_array::{Int32Array, RecordBatch};
    use arrow_schema::{DataType, Field, Schema};
    use votable_arrow::{WriterOptions, write_votable_tables};

    // Positions with a coordinate system: each table's COOSYS must have an ID of its own.
    let icrs = HashMap::from([("votable:coosys.system".to_owned(), "ICRS".to_owned())]);
    let table = |name: &str, values: Vec<i32>| {
        let schema = Arc::new(Schema::new(vec![
            Field::new(name, DataType::Int32, true).with_metadata(icrs.clone()),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int32Array::from(values))],
        )
        .unwrap();
        (schema, vec![batch])
    };
    let (a, b) = (table("a", vec![1, 2]), table("b", vec![3]));
    let options = |name: &str| WriterOptions {
        table_name: Some(name.to_owned()),
        resource_name: Some(name.to_owned()),
        ..WriterOptions::default()
    };
    let doc = write_votable_tables(
        Vec::new(),
        [
            (Arc::clone(&a.0), a.1.as_slice(), options("first")),
            (Arc::clone(&b.0), b.1.as_slice(), options("second")),
        ],
    )
    .unwrap();
    let text = String::from_utf8(doc.clone()).unwrap();
    assert_eq!(text.matches("<VOTABLE").count(), 1);
    assert_eq!(text.matches("<RESOURCE").count(), 2);
    assert!(
        text.trim_end().ends_with("</RESOURCE>\n</VOTABLE>"),
        "{text}"
    );
    let read = read_votable(doc.as_slice(), ReaderOptions::default()).unwrap();
    let names: Vec<_> = read
        .tables
        .iter()
        .map(|t| t.info.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["first", "second"]);
    assert_eq!(ints(&read.tables[0].batches[0]), [1, 2]);
    assert_eq!(ints(&read.tables[1].batches[0]), [3]);
    // Each COOSYS ID once.
    let ids: Vec<&str> = text
        .match_indices("<COOSYS ID=\"")
        .map(|(i, _)| &text[i + 13..i + 24])
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), 2, "{text}");
    assert_eq!(ids, unique);

    // No table at all is still a valid document.
    let empty = write_votable_tables(Vec::new(), std::iter::empty()).unwrap();
    assert!(read_votable(empty.as_slice(), ReaderOptions::default()).is_ok());
}
