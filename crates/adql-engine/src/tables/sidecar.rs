//! Declared column types for local files: the sidecar `NAME.schema.json` next to `NAME.csv`.
//!
//! CSV carries no types, and inferring them from the data gets ADQL tables wrong: a `REAL` column is read as
//! double, a `SMALLINT` as 64-bit, a `POINT` written in DALI form (`"10.0 20.0"`) as text, and a column whose
//! sample holds only integers as an integer. A sidecar says what the columns are, the way a TAP service's
//! `TAP_SCHEMA.columns` does:
//!
//! ```json
//! {
//!   "columns": [
//!     {"name": "id", "type": "INTEGER"},
//!     {"name": "ra", "type": "DOUBLE", "unit": "deg", "ucd": "pos.eq.ra"},
//!     {"name": "pos", "type": "POINT", "unit": "deg"},
//!     {"name": "obs_time", "type": "TIMESTAMP"}
//!   ]
//! }
//! ```
//!
//! `type` is an ADQL type: `SMALLINT`, `INTEGER`, `BIGINT`, `REAL`, `DOUBLE` (or `DOUBLE PRECISION`),
//! `CHAR`/`VARCHAR`/`CLOB` (a length in parentheses is allowed and ignored), `BOOLEAN`, `TIMESTAMP`,
//! `POINT`, `CIRCLE`, `POLYGON` or `REGION`. Optional keys: `unit`, `ucd`, `utype`, `xtype`, `description`
//! (they become the field metadata of docs/architecture.md, "Column metadata in Arrow"). A column with an
//! `xtype` of `point`, `circle`, `polygon` or `timestamp` and no `type` gets that type. Other keys are
//! ignored, so an entry of a `tables.json`-style catalogue (name, type, unit, ucd, description, nullable)
//! is a valid column description.
//!
//! For CSV and TSV the sidecar lists every column, in file order, under the header's names; it fixes the
//! types the file is parsed with. Geometry columns hold DALI text (`lon lat`, `lon lat radius`,
//! `lon1 lat1 lon2 lat2 …`, degrees) and are read as the Arrow geometry types; an empty field is NULL. For
//! Parquet and VOTable, whose files carry their own types, only the metadata of the listed columns is used.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::datatypes::{DataType, TimeUnit};

/// Moved beside the geometry types, so that the geometry casts do not depend on this module; kept here
/// for the readers of sidecars.
pub use crate::functions::geometry::types::decode_geometry;
use crate::functions::geometry::types::{GeomKind, XTYPE};
use crate::functions::unit::UNIT_KEY;

/// The sidecar of `path`: the same directory and stem, extension `.schema.json`.
pub fn sidecar_path(path: &Path) -> PathBuf {
    path.with_extension("schema.json")
}

/// One declared column.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredColumn {
    /// The column name, exactly as in the file.
    pub name: String,
    /// Its type; `None` when the sidecar gives neither a type nor a typed xtype.
    pub kind: Option<ColumnKind>,
    /// Field metadata (unit, ucd, utype, xtype, description).
    pub metadata: HashMap<String, String>,
}

/// The ADQL type of a declared column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// An Arrow type the CSV reader parses directly.
    Plain(PlainType),
    /// A geometry in DALI text form.
    Geometry(GeomKind),
}

/// The non-geometry column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainType {
    /// SMALLINT: Int16.
    Smallint,
    /// INTEGER: Int32.
    Integer,
    /// BIGINT: Int64.
    Bigint,
    /// REAL: Float32.
    Real,
    /// DOUBLE PRECISION: Float64.
    Double,
    /// CHAR, VARCHAR, CLOB: Utf8.
    Text,
    /// BOOLEAN.
    Boolean,
    /// TIMESTAMP: Timestamp(ns), the type of `CAST(... AS TIMESTAMP)`.
    Timestamp,
}

impl PlainType {
    fn data_type(self) -> DataType {
        match self {
            Self::Smallint => DataType::Int16,
            Self::Integer => DataType::Int32,
            Self::Bigint => DataType::Int64,
            Self::Real => DataType::Float32,
            Self::Double => DataType::Float64,
            Self::Text => DataType::Utf8,
            Self::Boolean => DataType::Boolean,
            Self::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, None),
        }
    }
}

impl ColumnKind {
    /// Parses an ADQL type name (case-insensitive; a length such as `VARCHAR(20)` is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.trim().to_ascii_uppercase();
        let base = upper.split('(').next().unwrap_or_default().trim();
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(match base.as_str() {
            "SMALLINT" => Self::Plain(PlainType::Smallint),
            "INTEGER" | "INT" => Self::Plain(PlainType::Integer),
            "BIGINT" => Self::Plain(PlainType::Bigint),
            "REAL" | "FLOAT" => Self::Plain(PlainType::Real),
            "DOUBLE" | "DOUBLE PRECISION" => Self::Plain(PlainType::Double),
            "CHAR" | "CHARACTER" | "VARCHAR" | "CHARACTER VARYING" | "CLOB" | "TEXT" => {
                Self::Plain(PlainType::Text)
            }
            "BOOLEAN" => Self::Plain(PlainType::Boolean),
            "TIMESTAMP" => Self::Plain(PlainType::Timestamp),
            "POINT" => Self::Geometry(GeomKind::Point),
            "CIRCLE" => Self::Geometry(GeomKind::Circle),
            "POLYGON" => Self::Geometry(GeomKind::Polygon),
            "REGION" => Self::Geometry(GeomKind::Region),
            _ => return None,
        })
    }

    /// The kind an xtype implies, for columns declared without a type.
    fn from_xtype(xtype: &str) -> Option<Self> {
        match xtype.to_ascii_lowercase().as_str() {
            "point" => Some(Self::Geometry(GeomKind::Point)),
            "circle" => Some(Self::Geometry(GeomKind::Circle)),
            "polygon" => Some(Self::Geometry(GeomKind::Polygon)),
            "timestamp" => Some(Self::Plain(PlainType::Timestamp)),
            _ => None,
        }
    }

    /// The type the CSV reader parses the column as (geometries are read as text, then decoded).
    pub fn read_type(self) -> DataType {
        match self {
            Self::Plain(p) => p.data_type(),
            Self::Geometry(_) => DataType::Utf8,
        }
    }

    /// The type of the column in the table.
    pub fn table_type(self) -> DataType {
        match self {
            Self::Plain(p) => p.data_type(),
            Self::Geometry(g) => g.data_type(),
        }
    }
}

/// Reads the sidecar of `path`, if there is one.
///
/// # Errors
/// The sidecar exists but cannot be read, is not JSON, or describes a column badly; the message says where.
pub fn read(path: &Path) -> Result<Option<Vec<DeclaredColumn>>, String> {
    let sidecar = sidecar_path(path);
    if !sidecar.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&sidecar)
        .map_err(|e| format!("cannot read {}: {e}", sidecar.display()))?;
    parse(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", sidecar.display()))
}

/// Parses the text of a sidecar.
///
/// # Errors
/// Not JSON, no `columns` array, a column without a name, an unknown type.
pub fn parse(text: &str) -> Result<Vec<DeclaredColumn>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Some(columns) = value.get("columns").and_then(|c| c.as_array()) else {
        return Err("expected an object with a \"columns\" array".to_owned());
    };
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let position = i + 1;
            let Some(name) = column.get("name").and_then(|n| n.as_str()) else {
                return Err(format!("column {position} has no \"name\" string"));
            };
            let text = |key: &str| {
                column
                    .get(key)
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            let mut metadata = HashMap::new();
            for (key, meta_key) in [
                ("unit", UNIT_KEY),
                ("ucd", "ucd"),
                ("utype", "utype"),
                ("xtype", XTYPE),
                ("description", "description"),
            ] {
                if let Some(v) = text(key) {
                    metadata.insert(meta_key.to_owned(), v.to_owned());
                }
            }
            let kind = match text("type") {
                Some(t) => Some(ColumnKind::parse(t).ok_or_else(|| {
                    format!("column '{name}': unknown type '{t}' (expected an ADQL type such as INTEGER, DOUBLE, VARCHAR, TIMESTAMP, POINT)")
                })?),
                None => text("xtype").and_then(ColumnKind::from_xtype),
            };
            // A geometry column always says which geometry it is, so that writers and functions see it.
            if let Some(ColumnKind::Geometry(g)) = kind {
                metadata
                    .entry(XTYPE.to_owned())
                    .or_insert_with(|| g.xtype().to_owned());
            }
            Ok(DeclaredColumn {
                name: name.to_owned(),
                kind,
                metadata,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use datafusion::arrow::array::{Array, ArrayRef, FixedSizeListArray, ListArray, StringArray};

    use super::*;

    #[test]
    fn types_and_metadata_parse() {
        let columns = parse(
            r#"{"columns": [
                {"name": "id", "type": "integer", "nullable": false},
                {"name": "s", "type": "VARCHAR(20)"},
                {"name": "d", "type": "double precision", "unit": "deg", "ucd": "pos.eq.ra"},
                {"name": "p", "xtype": "point"},
                {"name": "c", "type": "CIRCLE"},
                {"name": "free"}
            ]}"#,
        )
        .unwrap();
        let kinds: Vec<Option<ColumnKind>> = columns.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Some(ColumnKind::Plain(PlainType::Integer)),
                Some(ColumnKind::Plain(PlainType::Text)),
                Some(ColumnKind::Plain(PlainType::Double)),
                Some(ColumnKind::Geometry(GeomKind::Point)),
                Some(ColumnKind::Geometry(GeomKind::Circle)),
                None,
            ]
        );
        assert_eq!(columns[2].metadata.get("unit").unwrap(), "deg");
        assert_eq!(columns[4].metadata.get("xtype").unwrap(), "circle");
    }

    #[test]
    fn bad_sidecars_say_why() {
        assert!(parse("[]").unwrap_err().contains("columns"));
        assert!(
            parse(r#"{"columns": [{"type": "INTEGER"}]}"#)
                .unwrap_err()
                .contains("column 1")
        );
        assert!(
            parse(r#"{"columns": [{"name": "x", "type": "QUATERNION"}]}"#)
                .unwrap_err()
                .contains("unknown type 'QUATERNION'")
        );
    }

    #[test]
    fn dali_text_decodes() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![Some("10 20"), None, Some(" ")]));
        let points = decode_geometry(&text, GeomKind::Point, 0).unwrap();
        let points = points
            .as_any()
            .downcast_ref::<FixedSizeListArray>()
            .unwrap();
        assert_eq!(points.null_count(), 2);
        assert_eq!(points.data_type(), &GeomKind::Point.data_type());

        let text: ArrayRef = Arc::new(StringArray::from(vec!["0 0 1 0 1 1", "0 0 1 0 1 1 0 1"]));
        let polygons = decode_geometry(&text, GeomKind::Polygon, 0).unwrap();
        let polygons = polygons.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(polygons.value(1).len(), 8);

        let text: ArrayRef = Arc::new(StringArray::from(vec!["1 2", "1 2 x"]));
        let err = decode_geometry(&text, GeomKind::Circle, 10).unwrap_err();
        assert!(err.contains("row 11"), "{err}");
        let err = decode_geometry(&text, GeomKind::Point, 0).unwrap_err();
        assert!(err.contains("row 2") && err.contains("'x'"), "{err}");
    }
}
