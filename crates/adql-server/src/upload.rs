//! `UPLOAD`: tables a request sends along (`UPLOAD=name,param:part` for a multipart part, or
//! `UPLOAD=name,https://…` for a VOTable the server fetches), queried as `TAP_UPLOAD.name`.
//!
//! URLs are fetched with a client of their own that carries none of the server's tokens, and only
//! `http` and `https` URLs are taken: a request never makes the server read a file by path.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use datafusion::datasource::MemTable;
use url::Url;
use vo_client::HttpClient;

use crate::params::TapParams;

/// One `UPLOAD` entry: the table name and where its content is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UploadRef {
    /// A multipart part of the request.
    Part { table: String, part: String },
    /// A URL to fetch.
    Url { table: String, url: Url },
}

impl UploadRef {
    /// The name of the table (`TAP_UPLOAD.<name>`).
    pub(crate) fn table(&self) -> &str {
        match self {
            Self::Part { table, .. } | Self::Url { table, .. } => table,
        }
    }
}

/// The `UPLOAD` entries of `params` (the parameter may repeat, and each value may list several entries
/// separated by `;`).
pub(crate) fn upload_refs(params: &TapParams) -> Result<Vec<UploadRef>, String> {
    let mut out: Vec<UploadRef> = Vec::new();
    for value in params.all("upload") {
        for entry in value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (table, uri) = entry
                .split_once(',')
                .ok_or_else(|| format!("UPLOAD {entry}: expected table-name,URI"))?;
            let table = table.trim();
            if !adql_syntax::ast::is_regular_identifier(table) {
                return Err(format!(
                    "UPLOAD {entry}: the table name must be an ADQL regular identifier (letters, digits, _)"
                ));
            }
            if out.iter().any(|u| u.table().eq_ignore_ascii_case(table)) {
                return Err(format!("UPLOAD: table {table} is uploaded twice"));
            }
            let uri = uri.trim();
            let upload = if let Some(part) = uri.strip_prefix("param:") {
                UploadRef::Part {
                    table: table.to_owned(),
                    part: part.to_owned(),
                }
            } else {
                let url = Url::parse(uri).map_err(|e| format!("UPLOAD {entry}: {e}"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(format!(
                        "UPLOAD {entry}: only param:, http: and https: URIs are accepted"
                    ));
                }
                UploadRef::Url {
                    table: table.to_owned(),
                    url,
                }
            };
            out.push(upload);
        }
    }
    Ok(out)
}

/// The content of multipart part `part`, uploaded as table `table`, at most `limit` bytes.
pub(crate) fn part_content(
    params: &TapParams,
    table: &str,
    part: &str,
    limit: usize,
) -> Result<Bytes, String> {
    let content = params
        .part(part)
        .ok_or_else(|| format!("UPLOAD {table}: the request has no part named {part}"))?;
    if content.len() > limit {
        return Err(format!(
            "UPLOAD {table}: larger than this service's limit of {limit} bytes"
        ));
    }
    Ok(content)
}

/// Fetches the VOTable at `url` (at most `limit` bytes) with `http`, a client without tokens.
pub(crate) async fn fetch(http: &HttpClient, url: &Url, limit: usize) -> Result<Bytes, String> {
    http.get_bytes("upload", url, limit)
        .await
        .map_err(|e| e.to_string())
}

/// The first table of the VOTable `content` as a table to register; `name` is for errors.
pub(crate) fn table_from_votable(name: &str, content: &[u8]) -> Result<Arc<MemTable>, String> {
    let document = votable_arrow::read_votable(content, votable_arrow::ReaderOptions::default())
        .map_err(|e| format!("UPLOAD {name}: {e}"))?;
    let table = document
        .tables
        .into_iter()
        .next()
        .ok_or_else(|| format!("UPLOAD {name}: the document has no TABLE"))?;
    let batches: Vec<RecordBatch> = table.batches;
    let provider = MemTable::try_new(table.schema, vec![batches])
        .map_err(|e| format!("UPLOAD {name}: {e}"))?;
    Ok(Arc::new(provider))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use datafusion::datasource::TableProvider;

    use super::*;

    #[test]
    fn entries_are_parts_or_web_urls_only() {
        let params = TapParams::from_pairs([
            ("UPLOAD", "t1,param:a;t2,https://example.org/t.xml"),
            ("upload", "t3,param:b"),
        ]);
        let refs = upload_refs(&params).unwrap();
        assert_eq!(refs.len(), 3);
        assert_eq!(
            refs[0],
            UploadRef::Part {
                table: "t1".into(),
                part: "a".into()
            }
        );
        assert!(matches!(&refs[1], UploadRef::Url { table, .. } if table == "t2"));
        for bad in [
            "t,file:///etc/passwd",
            "t,/etc/passwd",
            "x y,param:a",
            "t",
            "t,param:a;T,param:b",
        ] {
            let params = TapParams::from_pairs([("UPLOAD", bad)]);
            assert!(upload_refs(&params).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_votable_becomes_a_table_and_garbage_an_error() {
        let xml = br#"<VOTABLE version="1.4"><RESOURCE><TABLE><FIELD name="id" datatype="int"/>
            <DATA><TABLEDATA><TR><TD>1</TD></TR><TR><TD>2</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"#;
        let table = table_from_votable("t", xml).unwrap();
        assert_eq!(table.schema().field(0).name(), "id");
        let err = table_from_votable("t", b"not xml").unwrap_err();
        assert!(err.starts_with("UPLOAD t:"), "{err}");
    }
}
