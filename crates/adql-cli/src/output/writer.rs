//! Writing query results: Arrow record batches to a table, CSV, JSON, Parquet or VOTable.
//!
//! Every subcommand that produces rows (`query`, `tap`, `cone`, `mashup`, ...) writes them through
//! [`ResultWriter`], so that the formats behave the same everywhere:
//!
//! - `table`: an aligned text table for people (the whole result is buffered to size the columns);
//! - `csv`: RFC 4180 with a header row;
//! - `json`: one JSON array of objects;
//! - `parquet`: Parquet with the Arrow schema (field metadata such as units kept);
//! - `votable`: VOTable 1.4, BINARY2, keeping units, UCDs and xtypes.
//!
//! Array-valued columns (the geometry types POINT, CIRCLE and POLYGON, or any VOTable array) have no
//! CSV or table representation in Arrow's writers; for those formats they are written the DALI way, as
//! their elements separated by single spaces (`"10.5 -3.25"` for a point).

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, GenericListArray, OffsetSizeTrait, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// The formats results can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table, for people.
    #[default]
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// Apache Parquet.
    Parquet,
    /// VOTable 1.4 (BINARY2 serialisation).
    Votable,
}

/// Errors while writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The destination could not be written.
    #[error("cannot write the result: {0}")]
    Io(#[from] std::io::Error),
    /// Arrow refused the data for this format.
    #[error("cannot write the result as {format}: {source}")]
    Arrow {
        /// The format being written.
        format: &'static str,
        /// Arrow's error.
        source: arrow::error::ArrowError,
    },
    /// The Parquet writer failed.
    #[error("cannot write the result as parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// The VOTable writer failed.
    #[error("cannot write the result as votable: {0}")]
    Votable(#[from] votable_arrow::Error),
}

impl OutputError {
    /// Whether the error is a closed pipe on the destination (`adql query ... | head`).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            OutputError::Io(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            OutputError::Arrow {
                source: arrow::error::ArrowError::IoError(_, e),
                ..
            } => e.kind() == std::io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

fn arrow_err(format: &'static str) -> impl FnOnce(arrow::error::ArrowError) -> OutputError {
    move |source| OutputError::Arrow { format, source }
}

/// Options of a [`ResultWriter`].
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Whether the producer knows the result is incomplete (a service stopped at MAXREC). Formats
    /// that can say so (VOTable: `QUERY_STATUS=OVERFLOW`) do.
    pub truncated: bool,
}

/// Writes a stream of record batches in one [`OutputFormat`].
///
/// Create it once the schema is known, feed it every batch with [`write`](Self::write), then call
/// [`finish`](Self::finish), which flushes the format's trailer (a table's bottom border, the end of
/// the JSON array, the Parquet footer, the VOTable closing tags).
pub struct ResultWriter<W: Write + Send> {
    inner: Inner<W>,
}

enum Inner<W: Write + Send> {
    Table {
        out: W,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    },
    Csv {
        writer: arrow::csv::Writer<W>,
        schema: SchemaRef,
        wrote: bool,
    },
    Json(arrow::json::ArrayWriter<W>),
    Parquet(parquet::arrow::ArrowWriter<W>),
    Votable(votable_arrow::VOTableWriter<W>),
}

impl<W: Write + Send> ResultWriter<W> {
    /// Starts writing results of `schema` to `out`.
    pub fn new(
        format: OutputFormat,
        out: W,
        schema: SchemaRef,
        options: &OutputOptions,
    ) -> Result<Self, OutputError> {
        let inner = match format {
            OutputFormat::Table => Inner::Table {
                out,
                schema,
                batches: Vec::new(),
            },
            OutputFormat::Csv => Inner::Csv {
                writer: arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(out),
                schema,
                wrote: false,
            },
            OutputFormat::Json => Inner::Json(arrow::json::ArrayWriter::new(out)),
            OutputFormat::Parquet => {
                Inner::Parquet(parquet::arrow::ArrowWriter::try_new(out, schema, None)?)
            }
            OutputFormat::Votable => {
                let opts = votable_arrow::WriterOptions {
                    query_status: if options.truncated {
                        votable_arrow::QueryStatus::Overflow
                    } else {
                        votable_arrow::QueryStatus::Ok
                    },
                    ..Default::default()
                };
                Inner::Votable(votable_arrow::VOTableWriter::new(out, schema, opts)?)
            }
        };
        Ok(Self { inner })
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        match &mut self.inner {
            Inner::Table { batches, .. } => batches.push(text_compatible(batch)?),
            Inner::Csv { writer, wrote, .. } => {
                writer
                    .write(&text_compatible(batch)?)
                    .map_err(arrow_err("csv"))?;
                *wrote = true;
            }
            Inner::Json(w) => w.write(batch).map_err(arrow_err("json"))?,
            Inner::Parquet(w) => w.write(batch)?,
            Inner::Votable(w) => w.write(batch)?,
        }
        Ok(())
    }

    /// Ends the output, writing the format's trailer.
    pub fn finish(self) -> Result<(), OutputError> {
        match self.inner {
            Inner::Table {
                mut out,
                schema,
                batches,
            } => {
                let text = if batches.is_empty() {
                    // Arrow prints nothing for no batches; people still want the header.
                    let empty = RecordBatch::new_empty(text_schema(&schema));
                    arrow::util::pretty::pretty_format_batches(&[empty])
                } else {
                    arrow::util::pretty::pretty_format_batches(&batches)
                }
                .map_err(arrow_err("table"))?;
                writeln!(out, "{text}")?;
                out.flush()?;
            }
            Inner::Csv {
                mut writer,
                schema,
                wrote,
            } => {
                if !wrote {
                    // Arrow writes the header with the first batch; an empty result still has one.
                    writer
                        .write(&RecordBatch::new_empty(text_schema(&schema)))
                        .map_err(arrow_err("csv"))?;
                }
                writer.into_inner().flush()?;
            }
            Inner::Json(mut w) => {
                w.finish().map_err(arrow_err("json"))?;
                w.into_inner().flush()?;
            }
            Inner::Parquet(w) => {
                w.close()?;
            }
            Inner::Votable(w) => w.finish()?.flush()?,
        }
        Ok(())
    }
}

/// The schema [`text_compatible`] produces for `schema`.
fn text_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if is_array_type(f.data_type()) {
                Field::new(f.name(), DataType::Utf8, true).with_metadata(f.metadata().clone())
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn is_array_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

/// Turns array-valued columns into DALI text (elements separated by spaces), leaving other columns
/// untouched, for the formats whose Arrow writers cannot write lists.
pub fn text_compatible(batch: &RecordBatch) -> Result<RecordBatch, OutputError> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| is_array_type(f.data_type()))
    {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(|column| match column.data_type() {
            DataType::List(_) => dali_text(column.as_list::<i32>()),
            DataType::LargeList(_) => dali_text(column.as_list::<i64>()),
            DataType::FixedSizeList(_, _) => {
                let list = column.as_fixed_size_list();
                let formatter = element_formatter(list.values().as_ref())?;
                let mut builder = StringBuilder::with_capacity(list.len(), list.len() * 16);
                let size = usize::try_from(list.value_length()).unwrap_or(0);
                for row in 0..list.len() {
                    if list.is_null(row) {
                        builder.append_null();
                    } else {
                        builder.append_value(join_elements(&formatter, row * size, size));
                    }
                }
                Ok(Arc::new(builder.finish()) as ArrayRef)
            }
            _ => Ok(Arc::clone(column)),
        })
        .collect::<Result<Vec<_>, OutputError>>()?;
    RecordBatch::try_new(text_schema(&batch.schema()), columns).map_err(arrow_err("text"))
}

fn element_formatter(values: &dyn Array) -> Result<ArrayFormatter<'_>, OutputError> {
    ArrayFormatter::try_new(values, &FormatOptions::default().with_null("NaN"))
        .map_err(arrow_err("text"))
}

fn join_elements(formatter: &ArrayFormatter<'_>, start: usize, len: usize) -> String {
    let mut text = String::new();
    for i in start..start + len {
        if i > start {
            text.push(' ');
        }
        // Writing into a String cannot fail.
        let _ = write!(text, "{}", formatter.value(i));
    }
    text
}

fn dali_text<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> Result<ArrayRef, OutputError> {
    let formatter = element_formatter(list.values().as_ref())?;
    let offsets = list.value_offsets();
    let mut builder = StringBuilder::with_capacity(list.len(), list.len() * 16);
    for row in 0..list.len() {
        if list.is_null(row) {
            builder.append_null();
            continue;
        }
        let start = offsets[row].as_usize();
        let end = offsets[row + 1].as_usize();
        builder.append_value(join_elements(&formatter, start, end - start));
    }
    Ok(Arc::new(builder.finish()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use arrow::array::{FixedSizeListArray, Float64Array, Int64Array, StringArray};

    fn sample() -> RecordBatch {
        let point_field = Arc::new(Field::new("item", DataType::Float64, true));
        let points = FixedSizeListArray::try_new(
            Arc::clone(&point_field),
            2,
            Arc::new(Float64Array::from(vec![10.5, -3.25, 0.0, 0.0])),
            Some(vec![true, false].into()),
        )
        .unwrap();
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("pos", DataType::FixedSizeList(point_field, 2), true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec![Some("a, \"b\""), None])),
                Arc::new(points),
            ],
        )
        .unwrap()
    }

    fn render(format: OutputFormat, batches: &[RecordBatch]) -> Vec<u8> {
        let mut out = Vec::new();
        let schema = sample().schema();
        let mut w = ResultWriter::new(format, &mut out, schema, &OutputOptions::default()).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn csv_of_no_rows_is_the_header() {
        let empty = String::from_utf8(render(OutputFormat::Csv, &[])).unwrap();
        let full = String::from_utf8(render(OutputFormat::Csv, &[sample()])).unwrap();
        assert_eq!(empty.lines().count(), 1, "{empty}");
        assert_eq!(empty.lines().next(), full.lines().next());
    }

    #[test]
    fn csv_has_header_quotes_and_dali_points() {
        let text = String::from_utf8(render(OutputFormat::Csv, &[sample()])).unwrap();
        assert_eq!(text, "id,name,pos\n1,\"a, \"\"b\"\"\",10.5 -3.25\n2,,\n");
    }

    #[test]
    fn json_is_one_array() {
        let text = String::from_utf8(render(OutputFormat::Json, &[sample()])).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[0]["id"], 1);
        assert_eq!(value[0]["pos"], serde_json::json!([10.5, -3.25]));
        assert_eq!(value.as_array().unwrap().len(), 2);
    }

    #[test]
    fn table_prints_header_even_without_rows() {
        let text = String::from_utf8(render(OutputFormat::Table, &[])).unwrap();
        assert!(text.contains("| id | name | pos |"), "{text}");
        let text = String::from_utf8(render(OutputFormat::Table, &[sample()])).unwrap();
        assert!(text.contains("10.5 -3.25"), "{text}");
    }

    #[test]
    fn parquet_round_trips() {
        let bytes = render(OutputFormat::Parquet, &[sample()]);
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(bytes),
        )
        .unwrap()
        .build()
        .unwrap();
        let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(batches[0].num_rows(), 2);
        assert_eq!(
            batches[0].column(2).data_type(),
            sample().column(2).data_type()
        );
    }

    #[test]
    fn votable_round_trips() {
        let bytes = render(OutputFormat::Votable, &[sample()]);
        let reader = votable_arrow::VOTableReader::new(
            std::io::Cursor::new(bytes),
            votable_arrow::ReaderOptions::default(),
        )
        .unwrap();
        let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
    }
}
