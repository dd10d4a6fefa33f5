//! Table metadata: VOSI `/tables` (VODataService table sets), with a `TAP_SCHEMA` fallback.

use std::collections::HashMap;

use futures::StreamExt;

use crate::arrow_util::column_cell;
use crate::error::Result;
use crate::result::Completeness;
use crate::tap::{TapQuery, TapService};
use crate::xml::Element;

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnMeta {
    /// Column name.
    pub name: String,
    /// The datatype as declared (a TAP type such as `VARCHAR`, or a VOTable type such as
    /// `char`), see [`ColumnMeta::votable_datatype`] for a normalised form.
    pub datatype: Option<String>,
    /// True when `datatype` is a VOTable type (`vs:VOTableType`, or TAP_SCHEMA of TAP 1.1),
    /// false for a TAP type (`vs:TAPType`).
    pub votable_types: bool,
    /// `arraysize`.
    pub arraysize: Option<String>,
    /// `xtype` (`extendedType` in VODataService).
    pub xtype: Option<String>,
    /// VOUnit.
    pub unit: Option<String>,
    /// UCD.
    pub ucd: Option<String>,
    /// utype.
    pub utype: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Flags (`indexed`, `primary`, `nullable`, `principal`, `std`).
    pub flags: Vec<String>,
}

impl ColumnMeta {
    /// True when a flag is set.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }

    /// The VOTable (`datatype`, `arraysize`, `xtype`) the column's values travel as, with
    /// TAP types translated as TAP 1.1 §4.3 does.
    pub fn votable_datatype(&self) -> Option<(String, Option<String>, Option<String>)> {
        let dt = self.datatype.as_deref()?.trim();
        if self.votable_types {
            return Some((dt.to_owned(), self.arraysize.clone(), self.xtype.clone()));
        }
        let star = Some("*".to_owned());
        let sized = || self.arraysize.clone().filter(|a| a != "1");
        let (d, a, x): (&str, Option<String>, Option<String>) =
            match dt.to_ascii_uppercase().as_str() {
                "BOOLEAN" => ("boolean", None, None),
                "SMALLINT" => ("short", None, None),
                "INTEGER" => ("int", None, None),
                "BIGINT" => ("long", None, None),
                "REAL" => ("float", None, None),
                "DOUBLE" => ("double", None, None),
                "CHAR" => ("char", sized(), None),
                "VARCHAR" | "CLOB" => ("char", sized().or(star), None),
                "BINARY" => ("unsignedByte", sized(), None),
                "VARBINARY" | "BLOB" => ("unsignedByte", sized().or(star), None),
                "TIMESTAMP" => ("char", star, Some("timestamp".to_owned())),
                "POINT" => ("double", Some("2".to_owned()), Some("point".to_owned())),
                "REGION" => ("char", star, Some("adql:REGION".to_owned())),
                _ => return Some((dt.to_owned(), self.arraysize.clone(), self.xtype.clone())),
            };
        Some((d.to_owned(), a, self.xtype.clone().or(x)))
    }

    /// Arrow field metadata with the keys of `docs/architecture.md` (`unit`, `ucd`, `utype`,
    /// `xtype`, `description`, `votable:datatype`, `votable:arraysize`).
    pub fn arrow_metadata(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        let mut put = |k: &str, v: Option<&String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                m.insert(k.to_owned(), v.clone());
            }
        };
        put("unit", self.unit.as_ref());
        put("ucd", self.ucd.as_ref());
        put("utype", self.utype.as_ref());
        put("description", self.description.as_ref());
        if let Some((d, a, x)) = self.votable_datatype() {
            put("votable:datatype", Some(&d));
            put("votable:arraysize", a.as_ref());
            put("xtype", x.as_ref());
        }
        m
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableMeta {
    /// Fully qualified name as the service writes it in queries.
    pub name: String,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `type` (`table`, `view`, `output`, …).
    pub table_type: Option<String>,
    /// Row count hint (`nrows`, or a `size` attribute), if given.
    pub nrows: Option<u64>,
    /// Columns (empty when the service only listed names, e.g. `detail=min`).
    pub columns: Vec<ColumnMeta>,
}

/// One schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaMeta {
    /// Schema name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Tables.
    pub tables: Vec<TableMeta>,
}

/// All table metadata of a service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableSet {
    /// The schemas.
    pub schemas: Vec<SchemaMeta>,
    /// False when the metadata is known to be partial (TAP_SCHEMA query hit a row limit).
    pub complete: bool,
}

impl TableSet {
    /// Every table.
    pub fn tables(&self) -> impl Iterator<Item = &TableMeta> {
        self.schemas.iter().flat_map(|s| s.tables.iter())
    }

    /// A table by name (case-insensitive; also matches without the schema prefix when
    /// unambiguous).
    pub fn table(&self, name: &str) -> Option<&TableMeta> {
        if let Some(t) = self.tables().find(|t| t.name.eq_ignore_ascii_case(name)) {
            return Some(t);
        }
        let mut candidates = self.tables().filter(|t| {
            t.name
                .rsplit_once('.')
                .is_some_and(|(_, n)| n.eq_ignore_ascii_case(name))
        });
        let first = candidates.next()?;
        candidates.next().is_none().then_some(first)
    }
}

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

/// `/tables`, else TAP_SCHEMA.
pub(crate) async fn fetch_with_fallback(tap: &TapService) -> Result<TableSet> {
    let url = tap.endpoint("tables");
    let vosi = super::fetch_doc(tap.http(), tap.service(), url, from_element).await;
    match vosi {
        Ok(set) if set.tables().next().is_some() => Ok(set),
        Ok(_) | Err(_) => match from_tap_schema(tap).await {
            Ok(set) => Ok(set),
            // Report the VOSI failure if there was one: it is the primary source.
            Err(schema_err) => match vosi {
                Err(vosi_err) => Err(vosi_err),
                Ok(_) => Err(schema_err),
            },
        },
    }
}

/// Reads the metadata from `TAP_SCHEMA.tables` and `TAP_SCHEMA.columns`.
pub async fn from_tap_schema(tap: &TapService) -> Result<TableSet> {
    let mut complete = true;
    let mut schemas: Vec<SchemaMeta> = Vec::new();
    let mut index: HashMap<String, (usize, usize)> = HashMap::new();

    let mut tables = tap
        .query_sync(&TapQuery::new("SELECT * FROM TAP_SCHEMA.tables"), None)
        .await?;
    while let Some(batch) = tables.next().await {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            let Some(name) = column_cell(&batch, "table_name", row) else {
                continue;
            };
            let schema_name = column_cell(&batch, "schema_name", row).unwrap_or_default();
            let si = match schemas.iter().position(|s| s.name == schema_name) {
                Some(i) => i,
                None => {
                    schemas.push(SchemaMeta {
                        name: schema_name,
                        ..SchemaMeta::default()
                    });
                    schemas.len() - 1
                }
            };
            let Some(schema) = schemas.get_mut(si) else {
                continue;
            };
            index.insert(name.to_ascii_lowercase(), (si, schema.tables.len()));
            schema.tables.push(TableMeta {
                name,
                title: None,
                description: column_cell(&batch, "description", row),
                table_type: column_cell(&batch, "table_type", row),
                nrows: column_cell(&batch, "nrows", row).and_then(|n| n.parse().ok()),
                columns: Vec::new(),
            });
        }
    }
    complete &= tables
        .completeness()
        .is_none_or(|c| c == Completeness::Complete);

    let mut columns = tap
        .query_sync(&TapQuery::new("SELECT * FROM TAP_SCHEMA.columns"), None)
        .await?;
    while let Some(batch) = columns.next().await {
        let batch = batch?;
        for row in 0..batch.num_rows() {
            let (Some(table), Some(name)) = (
                column_cell(&batch, "table_name", row),
                column_cell(&batch, "column_name", row),
            ) else {
                continue;
            };
            let Some(&(si, ti)) = index.get(&table.to_ascii_lowercase()) else {
                continue;
            };
            let flag = |col: &str, label: &str| {
                column_cell(&batch, col, row)
                    .filter(|v| v == "1" || v == "true")
                    .map(|_| label.to_owned())
            };
            let col = ColumnMeta {
                name,
                datatype: column_cell(&batch, "datatype", row),
                // TAP 1.1 TAP_SCHEMA holds VOTable types; TAP 1.0 held TAP types
                // (upper-case names such as VARCHAR).
                votable_types: column_cell(&batch, "datatype", row)
                    .is_some_and(|d| d.chars().any(|c| c.is_ascii_lowercase())),
                arraysize: column_cell(&batch, "arraysize", row)
                    .or_else(|| column_cell(&batch, "size", row).filter(|s| s != "0")),
                xtype: column_cell(&batch, "xtype", row),
                unit: column_cell(&batch, "unit", row).filter(|u| !u.is_empty()),
                ucd: column_cell(&batch, "ucd", row).filter(|u| !u.is_empty()),
                utype: column_cell(&batch, "utype", row).filter(|u| !u.is_empty()),
                description: column_cell(&batch, "description", row).filter(|d| !d.is_empty()),
                flags: [
                    flag("indexed", "indexed"),
                    flag("principal", "principal"),
                    flag("std", "std"),
                ]
                .into_iter()
                .flatten()
                .collect(),
            };
            if let Some(t) = schemas.get_mut(si).and_then(|s| s.tables.get_mut(ti)) {
                t.columns.push(col);
            }
        }
    }
    complete &= columns
        .completeness()
        .is_none_or(|c| c == Completeness::Complete);
    Ok(TableSet { schemas, complete })
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

    #[test]
    fn metadata_keys() {
        let c = ColumnMeta {
            name: "ra".into(),
            datatype: Some("DOUBLE".into()),
            unit: Some("deg".into()),
            ucd: Some("pos.eq.ra;meta.main".into()),
            ..ColumnMeta::default()
        };
        let m = c.arrow_metadata();
        assert_eq!(m.get("unit").map(String::as_str), Some("deg"));
        assert_eq!(
            m.get("votable:datatype").map(String::as_str),
            Some("double")
        );
        assert!(!m.contains_key("xtype"));
    }
}
