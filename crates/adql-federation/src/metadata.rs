//! Table metadata of a service (what VOSI `/tables` says) and its Arrow form.
//!
//! Arrow types and field metadata follow `docs/architecture.md`: geometry columns become
//! `FixedSizeList<Float64>` (point, circle) or `List<Float64>` (polygon), REGION stays STC-S text,
//! and `unit`, `ucd`, `utype`, `xtype`, `description`, `votable:datatype`, `votable:arraysize`
//! travel as field metadata.

use std::collections::HashMap;
use std::sync::Arc;

use adql_syntax::ast::{Ident, TableName, is_regular_identifier};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use crate::capabilities::ServiceCapabilities;

/// A column as VOSI `/tables` (or TAP_SCHEMA.columns) describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ColumnMetadata {
    /// Name as the service writes it; a delimited identifier keeps its quotes (`"Mag"`).
    pub name: String,
    /// VOTable datatype (`double`, `long`, `char`, ...) or TAP type (`DOUBLE`, `VARCHAR`, ...).
    pub datatype: String,
    /// VOTable arraysize (`*`, `12`, `2x3*`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arraysize: Option<String>,
    /// DALI xtype (`point`, `circle`, `polygon`, `timestamp`, `adql:REGION`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xtype: Option<String>,
    /// VOUnit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// UCD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ucd: Option<String>,
    /// utype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utype: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A table as VOSI `/tables` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableMetadata {
    /// Schema name as the service writes it.
    pub schema: String,
    /// Table name, as the service writes it: often qualified (`gaiadr3.gaia_source`).
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Columns, in order.
    pub columns: Vec<ColumnMetadata>,
    /// The rows the service says the table has (VOSI `nrows`), if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// What discovery learns about a service: capabilities and tables. This is what the capability
/// cache stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDescription {
    /// What the service can evaluate.
    pub capabilities: ServiceCapabilities,
    /// Its tables.
    pub tables: Vec<TableMetadata>,
}

/// Splits a possibly qualified ADQL name (`a."b.c".d`) at the dots outside delimited parts and
/// returns `(part, delimited)` pairs, quotes removed.
pub fn split_qualified(name: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut delimited = false;
    let mut in_quotes = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => {
                in_quotes = !in_quotes;
                delimited = true;
            }
            '.' if !in_quotes => {
                parts.push((std::mem::take(&mut current), delimited));
                delimited = false;
            }
            c => current.push(c),
        }
    }
    parts.push((current, delimited));
    parts
}

/// The ADQL identifier of a name part: delimited names keep their case; regular names are
/// case-insensitive in ADQL, so they print lower-case (bare unless reserved).
fn ident_for(part: &str, delimited: bool) -> Ident {
    if delimited || !is_regular_identifier(part) {
        Ident::quoted(part)
    } else {
        Ident::exact(part.to_ascii_lowercase())
    }
}

impl ColumnMetadata {
    /// The column's name in DataFusion: delimited names as they are, regular ones lower-case
    /// (DataFusion folds unquoted identifiers to lower case).
    pub fn field_name(&self) -> String {
        match split_qualified(&self.name).pop() {
            Some((part, true)) => part,
            Some((part, false)) => part.to_ascii_lowercase(),
            None => self.name.clone(),
        }
    }

    /// The identifier to print in ADQL sent to the service.
    pub fn adql_ident(&self) -> Ident {
        match split_qualified(&self.name).pop() {
            Some((part, delimited)) => ident_for(&part, delimited),
            None => Ident::quoted(self.name.clone()),
        }
    }

    /// The Arrow type of this column's values.
    pub fn data_type(&self) -> DataType {
        let item = || Arc::new(Field::new("item", DataType::Float64, true));
        match self
            .xtype
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("point") => return DataType::FixedSizeList(item(), 2),
            Some("circle") => return DataType::FixedSizeList(item(), 3),
            Some("polygon") => return DataType::List(item()),
            Some("adql:region") | Some("timestamp") | Some("adql:timestamp") => {
                return DataType::Utf8;
            }
            _ => {}
        }
        let datatype = self.datatype.to_ascii_lowercase();
        let scalar = match datatype.as_str() {
            "boolean" => DataType::Boolean,
            "bit" | "unsignedbyte" => DataType::UInt8,
            "short" | "smallint" => DataType::Int16,
            "int" | "integer" => DataType::Int32,
            "long" | "bigint" => DataType::Int64,
            "float" | "real" => DataType::Float32,
            "double" | "double precision" => DataType::Float64,
            "char" | "unicodechar" | "varchar" | "clob" | "timestamp" | "region" => DataType::Utf8,
            "point" => return DataType::FixedSizeList(item(), 2),
            "floatcomplex" | "doublecomplex" => return DataType::FixedSizeList(item(), 2),
            _ => DataType::Utf8,
        };
        if scalar == DataType::Utf8 {
            return scalar;
        }
        match self.arraysize.as_deref().map(str::trim) {
            None | Some("") | Some("1") => scalar,
            Some(size) => {
                let child = Arc::new(Field::new("item", scalar, true));
                match size.parse::<i32>() {
                    Ok(n) if n > 1 => DataType::FixedSizeList(child, n),
                    _ => DataType::List(child),
                }
            }
        }
    }

    /// The Arrow field: name, type, and metadata keys of `docs/architecture.md`.
    pub fn field(&self) -> Field {
        let mut metadata = HashMap::new();
        let mut put = |key: &str, value: &Option<String>| {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                metadata.insert(key.to_string(), v.clone());
            }
        };
        put("unit", &self.unit);
        put("ucd", &self.ucd);
        put("utype", &self.utype);
        put("xtype", &self.xtype);
        put("description", &self.description);
        put("votable:arraysize", &self.arraysize);
        if !self.datatype.is_empty() {
            metadata.insert("votable:datatype".to_string(), self.datatype.clone());
        }
        Field::new(self.field_name(), self.data_type(), true).with_metadata(metadata)
    }
}

impl TableMetadata {
    /// The table's own name without its schema, as DataFusion sees it.
    pub fn table_name(&self) -> String {
        match split_qualified(&self.name).pop() {
            Some((part, true)) => part,
            Some((part, false)) => part.to_ascii_lowercase(),
            None => self.name.clone(),
        }
    }

    /// The schema name as DataFusion sees it.
    pub fn schema_name(&self) -> String {
        match split_qualified(&self.schema).pop() {
            Some((part, true)) => part,
            Some((part, false)) => part.to_ascii_lowercase(),
            None => self.schema.clone(),
        }
    }

    /// The name to print in ADQL sent to the service (`schema.table`, qualified with the schema
    /// when VOSI gave a bare table name).
    pub fn adql_name(&self) -> TableName {
        let mut parts: Vec<Ident> = split_qualified(&self.name)
            .into_iter()
            .map(|(p, d)| ident_for(&p, d))
            .collect();
        if parts.len() == 1 && !self.schema.is_empty() {
            let schema = split_qualified(&self.schema)
                .into_iter()
                .map(|(p, d)| ident_for(&p, d));
            parts = schema.chain(parts).collect();
        }
        // More than catalog.schema.table cannot be written; such a name is one delimited identifier.
        TableName::from_parts(parts)
            .unwrap_or_else(|| TableName::new(Ident::quoted(self.name.clone())))
    }

    /// The Arrow schema of the table.
    pub fn arrow_schema(&self) -> SchemaRef {
        let mut metadata = HashMap::new();
        if let Some(d) = self.description.as_ref().filter(|d| !d.is_empty()) {
            metadata.insert("description".to_string(), d.clone());
        }
        Arc::new(Schema::new_with_metadata(
            self.columns
                .iter()
                .map(ColumnMetadata::field)
                .collect::<Vec<_>>(),
            metadata,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, datatype: &str) -> ColumnMetadata {
        ColumnMetadata {
            name: name.into(),
            datatype: datatype.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_fold_unless_delimited() {
        assert_eq!(
            split_qualified("a.\"B.c\".d"),
            vec![
                ("a".to_string(), false),
                ("B.c".to_string(), true),
                ("d".to_string(), false)
            ]
        );
        let c = column("Phot_G_Mean_Mag", "double");
        assert_eq!(c.field_name(), "phot_g_mean_mag");
        assert_eq!(c.adql_ident().to_string(), "phot_g_mean_mag");
        let c = column("\"Mag\"", "double");
        assert_eq!(c.field_name(), "Mag");
        assert_eq!(c.adql_ident().to_string(), "\"Mag\"");
        let c = column("size", "double");
        assert_eq!(c.adql_ident().to_string(), "\"size\"");
    }

    #[test]
    fn types_follow_the_architecture_table() {
        let mut c = column("s_region", "char");
        c.xtype = Some("adql:REGION".into());
        assert_eq!(c.data_type(), DataType::Utf8);
        let mut p = column("pos", "double");
        p.arraysize = Some("2".into());
        p.xtype = Some("point".into());
        assert!(matches!(p.data_type(), DataType::FixedSizeList(_, 2)));
        assert_eq!(column("n", "long").data_type(), DataType::Int64);
        assert_eq!(column("n", "SMALLINT").data_type(), DataType::Int16);
        let mut a = column("flux", "float");
        a.arraysize = Some("*".into());
        assert!(matches!(a.data_type(), DataType::List(_)));
        let mut u = column("ra", "double");
        u.unit = Some("deg".into());
        u.ucd = Some("pos.eq.ra;meta.main".into());
        let f = u.field();
        assert_eq!(f.metadata().get("unit").map(String::as_str), Some("deg"));
        assert_eq!(
            f.metadata().get("votable:datatype").map(String::as_str),
            Some("double")
        );
    }

    #[test]
    fn table_names_qualify_with_their_schema() {
        let t = TableMetadata {
            schema: "archive2".into(),
            name: "sources".into(),
            ..Default::default()
        };
        assert_eq!(t.adql_name().to_string(), "archive2.sources");
        let t = TableMetadata {
            schema: "gaiadr3".into(),
            name: "gaiadr3.Gaia_Source".into(),
            ..Default::default()
        };
        assert_eq!(t.adql_name().to_string(), "gaiadr3.gaia_source");
        assert_eq!(t.table_name(), "gaia_source");
    }
}
