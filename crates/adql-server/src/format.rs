//! [`ResultFormat`]: the `RESPONSEFORMAT` (or `FORMAT`) of a TAP request, and [`FormatWriter`], which writes
//! a result in it.

use std::io::Write;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use votable_arrow::{QueryStatus, Serialization, VOTableWriter, WriterOptions};

use crate::reply::{Failure, VOTABLE_MIME};

/// A result format the service writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResultFormat {
    /// VOTable with BINARY2 data (the default).
    VOTableBinary2,
    /// VOTable with TABLEDATA.
    VOTableTableData,
    /// Comma-separated values with a header line.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// Apache Parquet.
    Parquet,
}

impl ResultFormat {
    /// Every format, in the order `/capabilities` declares them.
    pub(crate) const ALL: [ResultFormat; 5] = [
        Self::VOTableBinary2,
        Self::VOTableTableData,
        Self::Csv,
        Self::Tsv,
        Self::Parquet,
    ];

    /// The format a `RESPONSEFORMAT` value names: a MIME type (with parameters) or a short name.
    pub(crate) fn parse(value: &str) -> Result<Self, Failure> {
        let lower = value.trim().to_ascii_lowercase();
        let mut parts = lower.split(';').map(str::trim);
        let base = parts.next().unwrap_or_default();
        let tabledata = parts.any(|p| p.replace(' ', "") == "serialization=tabledata");
        let format = match base {
            "votable"
            | "application/x-votable+xml"
            | "text/xml"
            | "application/xml"
            | "votable/b2"
            | "votable/binary2"
            | "votableb2" => {
                if tabledata {
                    Self::VOTableTableData
                } else {
                    Self::VOTableBinary2
                }
            }
            "votable/td" | "votable/tabledata" | "votabletd" => Self::VOTableTableData,
            "csv" | "text/csv" => Self::Csv,
            "tsv" | "text/tab-separated-values" => Self::Tsv,
            "parquet" | "application/vnd.apache.parquet" | "application/x-parquet" => Self::Parquet,
            _ => {
                return Err(Failure::bad_request(format!(
                    "RESPONSEFORMAT {value}: not a format of this service (votable, votable/td, csv, tsv, \
                     parquet, or their MIME types)"
                )));
            }
        };
        Ok(format)
    }

    /// The MIME type the result is served with.
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Self::VOTableBinary2 => VOTABLE_MIME,
            Self::VOTableTableData => "application/x-votable+xml;serialization=TABLEDATA",
            Self::Csv => "text/csv;header=present",
            Self::Tsv => "text/tab-separated-values",
            Self::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The short name (`/capabilities` alias).
    pub(crate) fn alias(self) -> &'static str {
        match self {
            Self::VOTableBinary2 => "votable",
            Self::VOTableTableData => "votable/td",
            Self::Csv => "csv",
            Self::Tsv => "tsv",
            Self::Parquet => "parquet",
        }
    }

    /// The TAPRegExt identifier of the format, where it has one.
    pub(crate) fn ivo_id(self) -> Option<&'static str> {
        match self {
            Self::VOTableBinary2 => Some("ivo://ivoa.net/std/TAPRegExt#output-votable-binary2"),
            Self::VOTableTableData => Some("ivo://ivoa.net/std/TAPRegExt#output-votable-td"),
            // TAPRegExt 1.0 defines keys for VOTable only.
            Self::Csv | Self::Tsv | Self::Parquet => None,
        }
    }

    /// The file extension of a stored result.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Self::VOTableBinary2 | Self::VOTableTableData => "vot",
            Self::Csv => "csv",
            Self::Tsv => "tsv",
            Self::Parquet => "parquet",
        }
    }
}

/// Writes one result in a [`ResultFormat`]: create it with the schema, [`write`](Self::write) each batch,
/// then [`finish`](Self::finish), saying whether the rows were cut at MAXREC.
pub(crate) enum FormatWriter<W: Write + Send> {
    VOTable(VOTableWriter<W>),
    Csv(arrow::csv::Writer<W>),
    Parquet(parquet::arrow::ArrowWriter<W>),
}

impl<W: Write + Send> FormatWriter<W> {
    /// Starts a result of `schema` in `format` on `out`.
    pub(crate) fn new(format: ResultFormat, out: W, schema: SchemaRef) -> Result<Self, String> {
        Ok(match format {
            ResultFormat::VOTableBinary2 | ResultFormat::VOTableTableData => {
                let options = WriterOptions {
                    serialization: if format == ResultFormat::VOTableTableData {
                        Serialization::TableData
                    } else {
                        Serialization::Binary2
                    },
                    resource_name: Some("results".to_owned()),
                    table_name: Some("result".to_owned()),
                    ..WriterOptions::default()
                };
                Self::VOTable(VOTableWriter::new(out, schema, options).map_err(|e| e.to_string())?)
            }
            ResultFormat::Csv | ResultFormat::Tsv => Self::Csv(
                arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .with_delimiter(if format == ResultFormat::Tsv {
                        b'\t'
                    } else {
                        b','
                    })
                    .build(out),
            ),
            ResultFormat::Parquet => Self::Parquet(
                parquet::arrow::ArrowWriter::try_new(out, schema, None)
                    .map_err(|e| e.to_string())?,
            ),
        })
    }

    /// Writes the rows of `batch`.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        match self {
            Self::VOTable(w) => w.write(batch).map_err(|e| e.to_string()),
            Self::Csv(w) => w.write(batch).map_err(|e| e.to_string()),
            Self::Parquet(w) => w.write(batch).map_err(|e| e.to_string()),
        }
    }

    /// Ends the document (`QUERY_STATUS=OVERFLOW` in a VOTable when `overflow`) and returns the output.
    pub(crate) fn finish(self, overflow: bool) -> Result<W, String> {
        match self {
            Self::VOTable(mut w) => {
                if overflow {
                    w.set_query_status(QueryStatus::Overflow);
                }
                w.finish().map_err(|e| e.to_string())
            }
            Self::Csv(w) => Ok(w.into_inner()),
            Self::Parquet(w) => w.into_inner().map_err(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn formats_are_named_by_alias_or_mime_type() {
        for format in ResultFormat::ALL {
            assert_eq!(ResultFormat::parse(format.alias()).unwrap(), format);
            assert_eq!(ResultFormat::parse(format.mime()).unwrap(), format);
        }
        assert_eq!(
            ResultFormat::parse("application/x-votable+xml; serialization=TABLEDATA").unwrap(),
            ResultFormat::VOTableTableData
        );
        assert_eq!(
            ResultFormat::parse("text/xml").unwrap(),
            ResultFormat::VOTableBinary2
        );
        let err = ResultFormat::parse("fits").unwrap_err();
        assert!(
            err.message.contains("RESPONSEFORMAT fits"),
            "{}",
            err.message
        );
    }
}
