//! The table metadata of a service (schemas, tables, columns), from `/tables` or `TAP_SCHEMA`.

use std::collections::HashMap;

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

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
