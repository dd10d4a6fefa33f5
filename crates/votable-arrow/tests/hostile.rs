//! Hostile input: errors, quickly and with bounded memory, never panics or short tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use proptest::prelude::*;
use votable_arrow::{Error, Limits, ReaderOptions, VOTableReader, read_votable};

fn read_all(doc: &[u8]) -> Result<usize, Error> {
    let mut r = VOTableReader::new(doc, ReaderOptions::default())?;
    let mut rows = 0;
    for b in r.by_ref() {
        rows += b?.num_rows();
    }
    Ok(rows)
}

fn quick<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    out
}

fn binary2_doc(fields: &str, rows: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(rows);
    format!(
        "<VOTABLE version=\"1.4\"><RESOURCE><TABLE>{fields}<DATA><BINARY2><STREAM encoding=\"base64\">{b64}</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>"
    )
    .into_bytes()
}

#[test]
fn huge_declared_arraysize() {
    for size in ["999999999999", "100000x100000x100000", "4294967296*"] {
        let doc = format!(
            "<VOTABLE><RESOURCE><TABLE><FIELD name=\"a\" datatype=\"int\" arraysize=\"{size}\"/><DATA><TABLEDATA><TR><TD>1</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
        );
        let err = quick(|| read_all(doc.as_bytes())).unwrap_err();
        assert!(matches!(err, Error::Schema { .. }), "{size}: {err}");
    }
}

#[test]
fn a_binary_stream_without_fields_is_an_error_not_endless_rows() {
    // Found by `mutated_documents_never_panic`: a mangled header hid every FIELD, and the stream's bytes
    // decoded as rows of no bytes, forever.
    for binary in ["BINARY", "BINARY2"] {
        let doc = format!(
            "<VOTABLE version=\"1.4\"><RESOURCE><TABLE><DATA><{binary}><STREAM encoding=\"base64\">AAAA</STREAM></{binary}></DATA></TABLE></RESOURCE></VOTABLE>"
        );
        let err = quick(|| read_all(doc.as_bytes())).unwrap_err();
        assert!(err.to_string().contains("no FIELD"), "{binary}: {err}");
        let empty = doc.replace("AAAA", "");
        assert_eq!(quick(|| read_all(empty.as_bytes())).unwrap(), 0, "{binary}");
    }
}

#[test]
fn absurd_variable_length_prefix() {
    // One int array announcing 2^31 elements, with 8 bytes behind it.
    let mut row = vec![0u8];
    row.extend_from_slice(&0x7fff_ffffu32.to_be_bytes());
    row.extend_from_slice(&[0; 8]);
    let doc = binary2_doc("<FIELD name=\"a\" datatype=\"int\" arraysize=\"*\"/>", &row);
    let err = quick(|| read_all(&doc)).unwrap_err();
    assert!(
        matches!(err, Error::Field { row: 0, ref field, .. } if field == "a"),
        "{err}"
    );
    // Within the limit but longer than the data: the stream is truncated.
    let mut row = vec![0u8];
    row.extend_from_slice(&1000u32.to_be_bytes());
    row.extend_from_slice(&[0; 8]);
    let doc = binary2_doc("<FIELD name=\"a\" datatype=\"int\" arraysize=\"*\"/>", &row);
    let err = quick(|| read_all(&doc)).unwrap_err();
    assert!(matches!(err, Error::Truncated(_)), "{err}");
    // A string prefix too.
    let mut row = vec![0u8];
    row.extend_from_slice(&u32::MAX.to_be_bytes());
    let doc = binary2_doc(
        "<FIELD name=\"s\" datatype=\"unicodeChar\" arraysize=\"*\"/>",
        &row,
    );
    let err = quick(|| read_all(&doc)).unwrap_err();
    assert!(matches!(err, Error::Field { .. }), "{err}");
}

#[test]
fn deep_nesting() {
    let depth = 100_000;
    let mut doc = String::from("<VOTABLE>");
    doc.push_str(&"<GROUP>".repeat(depth));
    doc.push_str(&"</GROUP>".repeat(depth));
    doc.push_str("</VOTABLE>");
    let err = quick(|| read_all(doc.as_bytes())).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
}

#[test]
fn billion_laughs() {
    let mut dtd = String::from("<!DOCTYPE VOTABLE [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push(']');
    dtd.push('>');
    for body in [
        "<RESOURCE><INFO name=\"x\">&lol9;</INFO></RESOURCE>",
        "<RESOURCE><INFO name=\"x\" value=\"&lol9;\"/></RESOURCE>",
        "<RESOURCE><TABLE><FIELD name=\"s\" datatype=\"char\" arraysize=\"*\"/><DATA><TABLEDATA><TR><TD>&lol9;</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE>",
    ] {
        let doc = format!("<?xml version=\"1.0\"?>{dtd}<VOTABLE>{body}</VOTABLE>");
        let err = quick(|| read_votable(doc.as_bytes(), ReaderOptions::default())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("lol9") || msg.contains("entity"), "{msg}");
    }
}

#[test]
fn huge_text_node_is_bounded() {
    let doc = format!(
        "<VOTABLE><DESCRIPTION>{}</DESCRIPTION><RESOURCE/></VOTABLE>",
        "x".repeat(1 << 20)
    );
    let options = ReaderOptions {
        limits: Limits {
            max_event_bytes: 64 << 10,
            ..Limits::default()
        },
        ..ReaderOptions::default()
    };
    let err = VOTableReader::new(doc.as_bytes(), options).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
}

#[test]
fn truncated_documents_are_errors_not_short_tables() {
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    for rel in [
        "cds_votable_rust/gaia_dr3.b264",
        "cds_votable_rust/sdss12.vot",
        "cds_votable_rust/binary.b64",
    ] {
        let full = std::fs::read(dir.join(rel)).unwrap();
        let rows = read_all(&full).unwrap();
        let end = full.windows(10).rposition(|w| w == b"</VOTABLE>").unwrap();
        let mut cut = 0;
        while cut < end {
            match read_all(&full[..cut]) {
                Ok(n) => panic!("{rel} cut at {cut}: read {n} of {rows} rows without error"),
                Err(Error::Io(e)) => panic!("{rel} cut at {cut}: unexpected I/O error {e}"),
                Err(_) => {}
            }
            cut += 97;
        }
    }
}

#[test]
fn truncated_base64() {
    let doc = b"<VOTABLE><RESOURCE><TABLE><FIELD name=\"a\" datatype=\"int\"/><DATA><BINARY2><STREAM encoding=\"base64\">AAAAAAEA</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>";
    let err = read_all(doc).unwrap_err();
    assert!(matches!(err, Error::Truncated(_)), "{err}");
    let doc = b"<VOTABLE><RESOURCE><TABLE><FIELD name=\"a\" datatype=\"int\"/><DATA><BINARY2><STREAM encoding=\"base64\">AAAAAAEAA</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>";
    assert!(read_all(doc).is_err());
}

#[test]
fn bad_cells_name_row_and_field() {
    let doc = b"<VOTABLE><RESOURCE><TABLE><FIELD name=\"a\" datatype=\"int\"/><FIELD name=\"t\" datatype=\"char\" arraysize=\"*\" xtype=\"timestamp\"/><DATA><TABLEDATA><TR><TD>1</TD><TD>2020-01-01</TD></TR><TR><TD>2</TD><TD>soon</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>";
    match read_all(doc).unwrap_err() {
        Error::Field { row, field, .. } => assert_eq!((row, field.as_str()), (1, "t")),
        e => panic!("{e}"),
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    let Some(dir) = common::fixtures_dir() else {
        return Vec::new();
    };
    [
        "cds_votable_rust/binary.b264",
        "cds_votable_rust/unicode.vot",
        "pyvo/dal_query_overflowstatus.xml",
        "astroquery_gaia/job_1.vot",
    ]
    .iter()
    .map(|r| std::fs::read(dir.join(r)).unwrap())
    .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, &'static str),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "<TD>",
                "</TR>",
                "<TR>",
                "<TABLE>",
                "<FIELD name=\"x\" datatype=\"int\" arraysize=\"*\"/>",
                "<STREAM>",
                "&amp;",
                "&#0;",
                "<![CDATA[",
                "-->",
                "\"",
                "<DATA><BINARY2>",
                "AAAA////",
            ])
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn mutated_documents_never_panic(which in 0usize..4, muts in prop::collection::vec(mutation(), 1..4)) {
        let docs = fixtures();
        if docs.is_empty() {
            return Ok(());
        }
        let mut doc = docs[which % docs.len()].clone();
        for m in muts {
            let len = doc.len().max(1);
            match m {
                Mutation::Truncate(i) => doc.truncate(i % len),
                Mutation::Flip(i, b) => {
                    if let Some(x) = doc.get_mut(i % len) {
                        *x ^= b;
                    }
                }
                Mutation::Insert(i, s) => {
                    let at = (i % len).min(doc.len());
                    doc.splice(at..at, s.bytes());
                }
                Mutation::Delete(i, n) => {
                    let at = (i % len).min(doc.len());
                    let end = (at + n).min(doc.len());
                    doc.drain(at..end);
                }
            }
        }
        let _ = read_votable(&doc[..], ReaderOptions::default().with_batch_size(3));
    }
}
