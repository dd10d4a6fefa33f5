//! [`ResultWriter`]: Arrow record batches in one [`OutputFormat`].

use std::io::Write;
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::error::{OutputError, arrow_err};
use super::format::OutputFormat;
use super::table::{TableOptions, TableWriter};
use super::text::{text_compatible, text_schema};

/// Options of a [`ResultWriter`].
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Whether the producer knows the result is incomplete (a service stopped at MAXREC). Formats
    /// that can say so (VOTable: `QUERY_STATUS=OVERFLOW`) do.
    pub truncated: bool,
    /// What the text table shows.
    pub table: TableOptions,
}

/// Writes a stream of record batches in one [`OutputFormat`].
///
/// Create it once the schema is known, feed it every batch with [`write`](Self::write), then call
/// [`finish`](Self::finish), which flushes the format's trailer (a table's bottom border and footer, the
/// end of the JSON array, the Parquet footer, the VOTable closing tags).
pub struct ResultWriter<W: Write + Send> {
    inner: Inner<W>,
}

enum Inner<W: Write + Send> {
    Table(TableWriter<W>),
    Csv {
        writer: arrow::csv::Writer<W>,
        schema: SchemaRef,
        wrote: bool,
    },
    Json(arrow::json::Writer<W, arrow::json::writer::JsonArray>),
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
            OutputFormat::Table => Inner::Table(TableWriter::new(out, &schema, options.table)),
            OutputFormat::Csv => Inner::Csv {
                writer: arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(out),
                schema,
                wrote: false,
            },
            // NULL is written as `null`, not left out of the row's object.
            OutputFormat::Json => Inner::Json(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
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
            Inner::Table(w) => w.write(batch)?,
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

    /// Ends the output, writing the format's trailer; a table's footer gives the row count and
    /// `elapsed` when that is given (on a terminal).
    pub fn finish(self, elapsed: Option<Duration>) -> Result<(), OutputError> {
        match self.inner {
            Inner::Table(w) => {
                w.finish(elapsed)?.flush()?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use arrow::array::{FixedSizeListArray, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

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
        w.finish(None).unwrap();
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
        // NULL is written, not dropped.
        assert_eq!(value[1]["name"], serde_json::Value::Null);
        assert!(value[1].as_object().unwrap().contains_key("name"), "{text}");
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
