//! VOSI `/tables` documents (VODataService table sets) parsed into a [`TableSet`].

use url::Url;

use super::fetch::fetch_doc;
use crate::error::Result;
use crate::http::HttpClient;
use crate::xml::Element;

// The model and the TAP_SCHEMA reader have their own files; their public path stays here.
pub use super::tableset::{ColumnMeta, SchemaMeta, TableMeta, TableSet};
pub use super::tap_schema::from_tap_schema;

fn text(el: &Element, name: &str) -> Option<String> {
    el.child_text(name)
}

fn parse_column(c: &Element) -> ColumnMeta {
    let dt = c.child("dataType");
    let type_attr = dt.and_then(|d| d.attr("type")).unwrap_or("");
    let mut flags: Vec<String> = c
        .children_named("flag")
        .map(|f| f.text.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    if c.attr("std").is_some_and(|s| s == "true") {
        flags.push("std".to_owned());
    }
    ColumnMeta {
        name: text(c, "name").unwrap_or_default(),
        datatype: dt
            .map(|d| d.text.trim().to_owned())
            .filter(|s| !s.is_empty()),
        votable_types: type_attr
            .rsplit(':')
            .next()
            .is_some_and(|t| t.starts_with("VOTable")),
        arraysize: dt.and_then(|d| d.attr("arraysize")).map(str::to_owned),
        xtype: dt
            .and_then(|d| d.attr("extendedType"))
            .map(str::to_owned)
            .or_else(|| text(c, "xtype")),
        unit: text(c, "unit"),
        ucd: text(c, "ucd"),
        utype: text(c, "utype"),
        description: text(c, "description"),
        flags,
    }
}

fn parse_table(t: &Element) -> TableMeta {
    TableMeta {
        name: text(t, "name").unwrap_or_default(),
        title: text(t, "title"),
        description: text(t, "description"),
        table_type: t.attr("type").map(str::to_owned),
        nrows: text(t, "nrows")
            .and_then(|n| n.parse().ok())
            .or_else(|| t.attr("size").and_then(|s| s.trim().parse().ok())),
        columns: t.children_named("column").map(parse_column).collect(),
    }
}

/// Interprets a VOSI table set (or a single `table` document from `/tables/<name>`).
pub fn parse(doc: &[u8]) -> std::result::Result<TableSet, String> {
    from_element(&crate::xml::parse(doc)?)
}

pub(crate) fn from_element(root: &Element) -> std::result::Result<TableSet, String> {
    match root.name.as_str() {
        "tableset" => Ok(TableSet {
            schemas: root
                .children_named("schema")
                .map(|s| SchemaMeta {
                    name: text(s, "name").unwrap_or_default(),
                    description: text(s, "description"),
                    tables: s.children_named("table").map(parse_table).collect(),
                })
                .collect(),
            complete: true,
        }),
        "table" => {
            let table = parse_table(root);
            let schema = table
                .name
                .rsplit_once('.')
                .map(|(s, _)| s.to_owned())
                .unwrap_or_default();
            Ok(TableSet {
                schemas: vec![SchemaMeta {
                    name: schema,
                    description: None,
                    tables: vec![table],
                }],
                complete: true,
            })
        }
        other => Err(format!("expected a VOSI tableset, found <{other}>")),
    }
}

/// GETs and parses `/tables` (no fallback: see `TapService::tables`).
pub(crate) async fn fetch(http: &HttpClient, service: &str, url: Url) -> Result<TableSet> {
    fetch_doc(http, service, url, from_element).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Option<TableSet> {
        Some(parse(&crate::testing::fixture(path)?).unwrap())
    }

    #[test]
    fn tap_types_translate() {
        let Some(set) = fixture("pyvo/io_vosi_tables_datatypes_tap.xml") else {
            return;
        };
        let t = set.table("test.tap").unwrap();
        let col = |n: &str| {
            t.columns
                .iter()
                .find(|c| c.name == n)
                .unwrap()
                .votable_datatype()
                .unwrap()
        };
        assert_eq!(col("_bigint"), ("long".to_owned(), None, None));
        assert_eq!(
            col("_timestamp"),
            (
                "char".to_owned(),
                Some("*".to_owned()),
                Some("timestamp".to_owned())
            )
        );
        assert!(set.table("tap").is_some());
    }

    #[test]
    fn votable_types_kept() {
        let Some(set) = fixture("pyvo/io_vosi_tables_datatypes_votable.xml") else {
            return;
        };
        let t = set.tables().next().unwrap();
        assert!(t.columns.iter().all(|c| c.votable_types));
    }

    #[test]
    fn gaia_style_tables_with_size_and_flags() {
        let Some(set) = fixture("astroquery_utils_tap/xmlparser__test_tables.xml") else {
            return;
        };
        assert!(set.tables().any(|t| t.nrows.is_some()));
        assert!(
            set.tables()
                .flat_map(|t| t.columns.iter())
                .any(|c| c.has_flag("indexed"))
        );
    }
}
