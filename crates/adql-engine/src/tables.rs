//! Local files as tables: Parquet, CSV (and TSV) and VOTable, chosen by extension.
//!
//! Units reach `IN_UNIT` through the `unit` metadata of each column. Parquet files written from Arrow keep
//! field metadata. CSV has none, so a header cell may carry its unit in brackets: the header `ra[deg],mag[mag]`
//! gives the columns `ra` and `mag` with units `deg` and `mag`. Any file's units can also be set (or
//! overridden) by the caller: [`crate::AdqlSession::register_file_with_units`], or `--unit table.col=deg` on
//! the command line.
//!
//! CSV files are read into memory. Their column types come from a sidecar `NAME.schema.json` next to
//! `NAME.csv` when there is one ([`sidecar`]: ADQL types, geometry in DALI text, units, UCDs); otherwise they
//! are inferred from the data (integers, doubles, booleans, strings). VOTables are read into memory through
//! `votable-arrow`, keeping their FIELD metadata (unit, UCD, xtype); Parquet files are scanned in place,
//! keeping the field metadata stored with their Arrow schema (so units survive a Parquet round trip). For
//! Parquet and VOTable a sidecar adds or overrides column metadata.

mod csv_error;
pub mod sidecar;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
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
    let declared = sidecar::read(path).map_err(fail)?;
    match format {
        FileFormat::Csv | FileFormat::Tsv => {
            let delimiter = if format == FileFormat::Tsv {
                b'\t'
            } else {
                b','
            };
            let header = csv_header(path, delimiter).map_err(fail)?;
            if let Some(declared) = declared {
                return load_typed_csv(ctx, path, delimiter, &extension, &header, &declared, units)
                    .await;
            }
            let options = CsvReadOptions::new()
                .has_header(true)
                .delimiter(delimiter)
                .file_extension(&extension);
            let csv_fail = |e: DataFusionError| fail(csv_error::csv_message(&e, &header));
            let frame = ctx.read_csv(location, options).await.map_err(csv_fail)?;
            let source_schema: Schema = frame.schema().as_arrow().clone();
            let batches = frame.collect().await.map_err(csv_fail)?;
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
            let schema = declared_metadata(&source_schema, declared.as_deref()).map_err(fail)?;
            let schema = apply_units(&schema, units).map_err(fail)?;
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
            // DataFusion drops the metadata stored in Parquet files by default; it holds the units and
            // xtypes of files written from Arrow (ours included), which IN_UNIT and the writers need.
            let options =
                ListingOptions::new(Arc::new(ParquetFormat::default().with_skip_metadata(false)))
                    .with_file_extension(extension);
            let state = ctx.state();
            let inferred = options
                .infer_schema(&state, &url)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let schema = declared_metadata(&inferred, declared.as_deref()).map_err(fail)?;
            let schema = apply_units(&schema, units).map_err(fail)?;
            let config = ListingTableConfig::new(url)
                .with_listing_options(options)
                .with_schema(schema);
            let table = ListingTable::try_new(config).map_err(|e| fail(e.to_string()))?;
            Ok(Arc::new(table))
        }
    }
}

/// Reads a CSV or TSV file with the column types its sidecar declares.
async fn load_typed_csv(
    ctx: &SessionContext,
    path: &Path,
    delimiter: u8,
    extension: &str,
    header: &[String],
    declared: &[sidecar::DeclaredColumn],
    units: &[(String, String)],
) -> Result<Arc<dyn TableProvider>, EngineError> {
    let fail = |message: String| EngineError::Table {
        path: path.to_path_buf(),
        message,
    };
    if header.len() != declared.len() {
        return Err(fail(format!(
            "the file has {} columns ({}), its schema sidecar {} declares {}",
            header.len(),
            header.join(", "),
            sidecar::sidecar_path(path).display(),
            declared.len()
        )));
    }
    for (cell, column) in header.iter().zip(declared) {
        let name = split_bracket_unit(cell).map_or(cell.as_str(), |(name, _)| name);
        if name != column.name {
            return Err(fail(format!(
                "column '{cell}' of the file is declared as '{}' in {}; the sidecar lists the columns in file order",
                column.name,
                sidecar::sidecar_path(path).display()
            )));
        }
    }
    // Geometry columns are read as text and decoded afterwards; undeclared types are read as text too.
    let read_schema = Schema::new(
        header
            .iter()
            .zip(declared)
            .map(|(cell, column)| {
                let data_type = column
                    .kind
                    .map_or(DataType::Utf8, sidecar::ColumnKind::read_type);
                Field::new(cell, data_type, true)
            })
            .collect::<Vec<_>>(),
    );
    let options = CsvReadOptions::new()
        .has_header(true)
        .delimiter(delimiter)
        .file_extension(extension)
        .schema(&read_schema);
    let location = path.to_str().unwrap_or_default();
    let csv_fail = |e: DataFusionError| fail(csv_error::csv_message(&e, header));
    let frame = ctx.read_csv(location, options).await.map_err(csv_fail)?;
    let batches = frame.collect().await.map_err(csv_fail)?;
    let fields: Vec<Field> = header
        .iter()
        .zip(declared)
        .map(|(cell, column)| {
            let data_type = column
                .kind
                .map_or(DataType::Utf8, sidecar::ColumnKind::table_type);
            let mut metadata = column.metadata.clone();
            if let Some((_, unit)) = split_bracket_unit(cell) {
                metadata
                    .entry(UNIT_KEY.to_owned())
                    .or_insert_with(|| unit.to_owned());
            }
            Field::new(&column.name, data_type, true).with_metadata(metadata)
        })
        .collect();
    let schema = apply_units(&Schema::new(fields), units).map_err(fail)?;
    let mut rows_before = 0;
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (array, column) in batch.columns().iter().zip(declared) {
            columns.push(match column.kind {
                Some(sidecar::ColumnKind::Geometry(kind)) => {
                    sidecar::decode_geometry(array, kind, rows_before)
                        .map_err(|e| fail(format!("column '{}': {e}", column.name)))?
                }
                _ => Arc::clone(array),
            });
        }
        rows_before += batch.num_rows();
        out.push(RecordBatch::try_new(schema.clone(), columns).map_err(|e| fail(e.to_string()))?);
    }
    let table = MemTable::try_new(schema, vec![out]).map_err(|e| fail(e.to_string()))?;
    Ok(Arc::new(table))
}

/// The header cells of a CSV or TSV file; an empty file (no header row) is an error.
fn csv_header(path: &Path, delimiter: u8) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(false);
    if empty {
        return Err(
            "the file is empty: a CSV or TSV table starts with a header row naming its columns"
                .into(),
        );
    }
    let (schema, _) = datafusion::arrow::csv::reader::Format::default()
        .with_header(true)
        .with_delimiter(delimiter)
        .infer_schema(std::io::BufReader::new(file), Some(0))
        .map_err(|e| format!("cannot read the header: {e}"))?;
    Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
}

/// `schema` with the metadata of the columns a sidecar declares (for files that carry their own types).
fn declared_metadata(
    schema: &Schema,
    declared: Option<&[sidecar::DeclaredColumn]>,
) -> Result<Schema, String> {
    let Some(declared) = declared else {
        return Ok(schema.clone());
    };
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for column in declared {
        let Some(field) = fields.iter_mut().find(|f| *f.name() == column.name) else {
            return Err(format!(
                "the schema sidecar declares a column '{}' the file does not have",
                column.name
            ));
        };
        let mut metadata = field.metadata().clone();
        metadata.extend(column.metadata.clone());
        *field = field.clone().with_metadata(metadata);
    }
    Ok(Schema::new_with_metadata(fields, schema.metadata().clone()))
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
