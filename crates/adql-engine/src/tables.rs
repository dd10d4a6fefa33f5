//! Local files as tables: Parquet, CSV (and TSV) and VOTable, chosen by extension.
//!
//! Units reach `IN_UNIT` through the `unit` metadata of each column. Parquet files written from Arrow keep
//! field metadata. CSV has none, so a header cell may carry its unit in brackets: the header `ra[deg],mag[mag]`
//! gives the columns `ra` and `mag` with units `deg` and `mag`. Any file's units can also be set (or
//! overridden) by the caller: [`crate::AdqlSession::register_file_with_units`], or `--unit table.col=deg` on
//! the command line.
//!
//! CSV files are read into memory (types are inferred from the data: integers, doubles, booleans, strings);
//! VOTables are read into memory through `votable-arrow`, keeping their FIELD metadata (unit, UCD, xtype);
//! Parquet files are scanned in place.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::{CsvReadOptions, SessionContext};

use crate::error::EngineError;
use crate::functions::unit::UNIT_KEY;

/// The file formats [`load`] reads, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values with a header row (`.csv`).
    Csv,
    /// Tab-separated values with a header row (`.tsv`).
    Tsv,
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
    /// VOTable (`.vot`, `.votable`, `.xml`), any serialisation `votable-arrow` reads.
    VOTable,
}

impl FileFormat {
    /// The format of `path`, from its extension (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Self::Csv),
            "tsv" => Some(Self::Tsv),
            "parquet" | "pq" => Some(Self::Parquet),
            "vot" | "votable" | "xml" => Some(Self::VOTable),
            _ => None,
        }
    }
}

/// Reads `path` as a table, applying `units` (column name → VOUnit) on top of what the file says.
///
/// # Errors
/// [`EngineError::Table`] for an unknown extension, an unreadable file, or a unit given for a column the file
/// does not have.
pub async fn load(
    ctx: &SessionContext,
    path: &Path,
    units: &[(String, String)],
) -> Result<Arc<dyn TableProvider>, EngineError> {
    let fail = |message: String| EngineError::Table {
        path: path.to_path_buf(),
        message,
    };
    let Some(format) = FileFormat::from_path(path) else {
        return Err(fail(
            "unknown file type (expected .csv, .tsv, .parquet, .pq, .vot, .votable or .xml)"
                .to_owned(),
        ));
    };
    if !path.is_file() {
        return Err(fail("no such file".to_owned()));
    }
    let Some(location) = path.to_str() else {
        return Err(fail("the path is not valid UTF-8".to_owned()));
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    match format {
        FileFormat::Csv | FileFormat::Tsv => {
            let delimiter = if format == FileFormat::Tsv {
                b'\t'
            } else {
                b','
            };
            let options = CsvReadOptions::new()
                .has_header(true)
                .delimiter(delimiter)
                .file_extension(&extension);
            let frame = ctx
                .read_csv(location, options)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let source_schema: Schema = frame.schema().as_arrow().clone();
            let batches = frame.collect().await.map_err(|e| fail(e.to_string()))?;
            let schema = apply_units(&bracket_units(&source_schema), units).map_err(fail)?;
            let batches = batches
                .into_iter()
                .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(e.to_string()))?;
            let table =
                MemTable::try_new(schema, vec![batches]).map_err(|e| fail(e.to_string()))?;
            Ok(Arc::new(table))
        }
        FileFormat::VOTable => {
            let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
            let reader = votable_arrow::VOTableReader::new(
                std::io::BufReader::new(file),
                votable_arrow::ReaderOptions::default(),
            )
            .map_err(|e| fail(e.to_string()))?;
            let source_schema = reader.schema();
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(e.to_string()))?;
            let schema = apply_units(&source_schema, units).map_err(fail)?;
            let batches = batches
                .into_iter()
                .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(e.to_string()))?;
            let table =
                MemTable::try_new(schema, vec![batches]).map_err(|e| fail(e.to_string()))?;
            Ok(Arc::new(table))
        }
        FileFormat::Parquet => {
            let url = ListingTableUrl::parse(location).map_err(|e| fail(e.to_string()))?;
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(extension);
            let state = ctx.state();
            let inferred = options
                .infer_schema(&state, &url)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let schema = apply_units(&inferred, units).map_err(fail)?;
            let config = ListingTableConfig::new(url)
                .with_listing_options(options)
                .with_schema(schema);
            let table = ListingTable::try_new(config).map_err(|e| fail(e.to_string()))?;
            Ok(Arc::new(table))
        }
    }
}

/// Splits `name[unit]` header cells into the name and a `unit` metadata entry.
fn bracket_units(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| match split_bracket_unit(field.name()) {
            Some((name, unit)) => {
                let mut metadata = field.metadata().clone();
                metadata.insert(UNIT_KEY.to_owned(), unit.to_owned());
                field
                    .as_ref()
                    .clone()
                    .with_name(name)
                    .with_metadata(metadata)
            }
            None => field.as_ref().clone(),
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// `ra[deg]` → (`ra`, `deg`); `None` when the cell has no bracketed unit.
pub(crate) fn split_bracket_unit(header: &str) -> Option<(&str, &str)> {
    let inner = header.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    let name = inner.get(..open)?.trim_end();
    let unit = inner.get(open + 1..)?.trim();
    (!name.is_empty()).then_some((name, unit))
}

/// `schema` with the `unit` metadata of the named columns set.
fn apply_units(schema: &Schema, units: &[(String, String)]) -> Result<SchemaRef, String> {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for (column, unit) in units {
        let matching: Vec<usize> = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name() == column)
            .map(|(i, _)| i)
            .collect();
        let index = match matching.as_slice() {
            [i] => *i,
            _ => {
                let folded: Vec<usize> = fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.name().eq_ignore_ascii_case(column))
                    .map(|(i, _)| i)
                    .collect();
                match folded.as_slice() {
                    [i] => *i,
                    [] => return Err(format!("no column '{column}' to give the unit '{unit}'")),
                    _ => {
                        return Err(format!(
                            "the column name '{column}' is ambiguous (it differs only by case)"
                        ));
                    }
                }
            }
        };
        if let Some(field) = fields.get_mut(index) {
            let mut metadata: HashMap<String, String> = field.metadata().clone();
            metadata.insert(UNIT_KEY.to_owned(), unit.clone());
            *field = field.clone().with_metadata(metadata);
        }
    }
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_units_split_off() {
        assert_eq!(split_bracket_unit("ra[deg]"), Some(("ra", "deg")));
        assert_eq!(
            split_bracket_unit("pm ra [mas/yr]"),
            Some(("pm ra", "mas/yr"))
        );
        assert_eq!(split_bracket_unit("ra"), None);
        assert_eq!(split_bracket_unit("[deg]"), None);
        assert_eq!(split_bracket_unit("a]"), None);
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(
            FileFormat::from_path(Path::new("a/b.CSV")),
            Some(FileFormat::Csv)
        );
        assert_eq!(
            FileFormat::from_path(Path::new("b.pq")),
            Some(FileFormat::Parquet)
        );
        assert_eq!(FileFormat::from_path(Path::new("b.fits")), None);
    }
}
