//! DataLink 1.1 `{links}` endpoints: the files (and services) behind a dataset identifier.
//!
//! Identifiers are sent in batches (`ID=a&ID=b…`, at most [`DataLinkService::with_batch_size`] per request,
//! what services such as DaCHS and the ESA archives accept) and every identifier must come back: one that the
//! answer does not mention, or mentions only with an `error_message`, is an error naming it — never a shorter
//! list of links. A links table cut at MAXREC is an error too.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use url::Url;
use votable_arrow::ReaderOptions;

use crate::arrow_util::column_cell;
use crate::dal::{Endpoint, get_votable};
use crate::error::{Error, Result};
use crate::http::HttpClient;

/// What `access_format` says of a DataLink links document (`application/x-votable+xml;content=datalink`).
pub fn is_datalink(access_format: &str) -> bool {
    access_format
        .to_ascii_lowercase()
        .replace(' ', "")
        .contains("content=datalink")
}

/// The `#this` semantics: the dataset itself.
pub const THIS: &str = "#this";

/// One row of a links table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The identifier the row is about.
    pub id: String,
    /// The file, for a link to a file.
    pub access_url: Option<String>,
    /// The service descriptor, for a link to a service.
    pub service_def: Option<String>,
    /// Why the link could not be made, for an error row.
    pub error_message: Option<String>,
    /// What the link is (`#this`, `#preview`, `#auxiliary`, …).
    pub semantics: String,
    /// Free text.
    pub description: Option<String>,
    /// The media type of the file.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub content_length: Option<u64>,
    /// The service's own finer semantics.
    pub local_semantics: Option<String>,
}

/// The columns of a links table (DataLink 1.1 §3.2) that [`Link`] holds, in its order, with their UCDs,
/// units and descriptions as Arrow field metadata (`ucd`, `unit`, `description`).
pub fn links_schema() -> SchemaRef {
    let field = |name: &str, data_type: DataType, ucd: &str, unit: Option<&str>, text: &str| {
        let mut meta = HashMap::from([
            ("ucd".to_owned(), ucd.to_owned()),
            ("description".to_owned(), text.to_owned()),
        ]);
        if let Some(unit) = unit {
            meta.insert("unit".to_owned(), unit.to_owned());
        }
        Field::new(name, data_type, name != "ID").with_metadata(meta)
    };
    use DataType::{Int64, Utf8};
    Arc::new(Schema::new(vec![
        field("ID", Utf8, "meta.id;meta.main", None, "Input identifier"),
        field(
            "access_url",
            Utf8,
            "meta.ref.url",
            None,
            "Link to data or service",
        ),
        field(
            "service_def",
            Utf8,
            "meta.ref",
            None,
            "Reference to a service descriptor",
        ),
        field(
            "error_message",
            Utf8,
            "meta.code.error",
            None,
            "Why no link could be made",
        ),
        field(
            "semantics",
            Utf8,
            "meta.code",
            None,
            "What the link is (#this, #preview, …)",
        ),
        field(
            "description",
            Utf8,
            "meta.note",
            None,
            "Human-readable description of the link",
        ),
        field(
            "content_type",
            Utf8,
            "meta.code.mime",
            None,
            "Media type of the linked file",
        ),
        field(
            "content_length",
            Int64,
            "phys.size;meta.file",
            Some("byte"),
            "Size of the linked file",
        ),
        field(
            "local_semantics",
            Utf8,
            "meta.code",
            None,
            "The service's own finer semantics",
        ),
    ]))
}

/// `links` as one batch of [`links_schema`].
///
/// # Errors
/// None in practice: the columns are built to the schema (an Arrow error would be a bug, reported as such).
pub fn links_batch(links: &[Link]) -> Result<RecordBatch> {
    let text = |value: &dyn Fn(&Link) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for link in links {
            b.append_option(value(link));
        }
        Arc::new(b.finish())
    };
    let mut length = Int64Builder::new();
    for link in links {
        length.append_option(link.content_length.and_then(|n| i64::try_from(n).ok()));
    }
    let columns = vec![
        text(&|l| Some(l.id.as_str())),
        text(&|l| l.access_url.as_deref()),
        text(&|l| l.service_def.as_deref()),
        text(&|l| l.error_message.as_deref()),
        text(&|l| Some(l.semantics.as_str())),
        text(&|l| l.description.as_deref()),
        text(&|l| l.content_type.as_deref()),
        Arc::new(length.finish()),
        text(&|l| l.local_semantics.as_deref()),
    ];
    RecordBatch::try_new(links_schema(), columns)
        .map_err(|e| Error::InvalidInput(format!("links table: {e}")))
}

/// A DataLink links endpoint.
#[derive(Debug, Clone)]
pub struct DataLinkService {
    endpoint: Endpoint,
    batch: usize,
}

/// The links endpoint and the identifier of an `access_url` that names one dataset (`…/links?ID=ivo://…`).
pub fn split_id(url: &Url) -> Option<(Url, String)> {
    let mut ids = url
        .query_pairs()
        .filter(|(k, _)| k.eq_ignore_ascii_case("ID"));
    let (_, id) = ids.next()?;
    if ids.next().is_some() {
        return None;
    }
    let rest: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("ID"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut base = url.clone();
    base.set_query(None);
    if !rest.is_empty() {
        base.query_pairs_mut().extend_pairs(rest);
    }
    Some((base, id.into_owned()))
}

impl DataLinkService {
    /// The links endpoint at `url`.
    pub fn new(http: HttpClient, url: &str) -> Result<Self> {
        Ok(Self {
            endpoint: Endpoint::new(http, "DataLink", url)?,
            batch: 50,
        })
    }

    /// Asks for at most `ids` identifiers per request (at least 1).
    #[must_use]
    pub fn with_batch_size(mut self, ids: usize) -> Self {
        self.batch = ids.max(1);
        self
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &Url {
        &self.endpoint.base
    }

    /// The links of every identifier of `ids`, in batches; every identifier must come back with at least
    /// one link that is not an error.
    pub async fn links(&self, ids: &[String]) -> Result<Vec<Link>> {
        let mut links = Vec::new();
        for batch in ids.chunks(self.batch) {
            links.extend(self.batch_links(batch).await?);
        }
        Ok(links)
    }

    async fn batch_links(&self, ids: &[String]) -> Result<Vec<Link>> {
        let params: Vec<(String, String)> =
            ids.iter().map(|id| ("ID".to_owned(), id.clone())).collect();
        let url = crate::dal::with_params(&self.endpoint.base, &params);
        let fail = |message: String| Error::Service {
            service: self.endpoint.service.clone(),
            url: url.clone(),
            message,
        };
        let table = get_votable(
            &self.endpoint.http,
            &self.endpoint.service,
            &self.endpoint.base,
            &params,
            None,
            ReaderOptions::default(),
        )
        .await?
        .collect()
        .await?;
        if table.completeness.is_truncated() {
            return Err(fail(format!(
                "the links of {} identifiers were cut by the service's row limit; ask for fewer at a time",
                ids.len()
            )));
        }
        let mut links = Vec::new();
        for batch in &table.batches {
            for row in 0..batch.num_rows() {
                let cell = |name: &str| column_cell(batch, name, row).filter(|v| !v.is_empty());
                let Some(id) = cell("ID") else {
                    return Err(fail(format!(
                        "row {} of the links table has no ID",
                        links.len() + 1
                    )));
                };
                links.push(Link {
                    id,
                    access_url: cell("access_url"),
                    service_def: cell("service_def"),
                    error_message: cell("error_message"),
                    semantics: cell("semantics").unwrap_or_default(),
                    description: cell("description"),
                    content_type: cell("content_type"),
                    content_length: cell("content_length").and_then(|v| v.parse().ok()),
                    local_semantics: cell("local_semantics"),
                });
            }
        }
        for id in ids {
            let rows: Vec<&Link> = links.iter().filter(|l| l.id == *id).collect();
            if rows.is_empty() {
                return Err(fail(format!("no links came back for ID {id}")));
            }
            if rows.iter().all(|l| l.error_message.is_some()) {
                let message = rows
                    .iter()
                    .filter_map(|l| l.error_message.as_deref())
                    .collect::<Vec<_>>();
                return Err(fail(format!("ID {id}: {}", message.join("; "))));
            }
        }
        Ok(links)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn links_become_a_table_of_the_datalink_columns() {
        let link = Link {
            id: "ivo://x/a".into(),
            access_url: Some("http://h/a.fits".into()),
            service_def: None,
            error_message: None,
            semantics: THIS.into(),
            description: None,
            content_type: Some("image/fits".into()),
            content_length: Some(8640),
            local_semantics: None,
        };
        let batch = links_batch(&[
            link.clone(),
            Link {
                id: "ivo://x/b".into(),
                content_length: None,
                ..link
            },
        ])
        .unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(column_cell(&batch, "ID", 1).as_deref(), Some("ivo://x/b"));
        assert_eq!(
            column_cell(&batch, "content_length", 0).as_deref(),
            Some("8640")
        );
        assert_eq!(column_cell(&batch, "content_length", 1), None);
        let schema = batch.schema();
        let length = schema.field_with_name("content_length").unwrap();
        assert_eq!(
            length.metadata().get("unit").map(String::as_str),
            Some("byte")
        );
    }

    #[test]
    fn datalink_formats_and_ids_are_recognised() {
        assert!(is_datalink("application/x-votable+xml;content=datalink"));
        assert!(is_datalink("application/x-votable+xml; content=DataLink"));
        assert!(!is_datalink("application/fits"));
        let url = Url::parse("http://h/dl/dlmeta?ID=ivo%3A%2F%2Fx%2Fa%3F1&RESPONSEFORMAT=votable")
            .unwrap();
        let (base, id) = split_id(&url).unwrap();
        assert_eq!(id, "ivo://x/a?1");
        assert_eq!(base.as_str(), "http://h/dl/dlmeta?RESPONSEFORMAT=votable");
        assert!(split_id(&Url::parse("http://h/dl?ID=a&ID=b").unwrap()).is_none());
        assert!(split_id(&Url::parse("http://h/file.fits").unwrap()).is_none());
    }
}
