//! Streaming VOTable ⇄ Apache Arrow.
//!
//! Every TAP, cone-search, SIA and SSA answer is a VOTable, and every TAP upload is one.
//! This crate reads VOTables of any size from a byte stream into Arrow
//! [`RecordBatch`](arrow_array::RecordBatch)es of bounded size, and writes Arrow batches
//! as VOTable 1.4.
//!
//! * Serialisations: TABLEDATA, BINARY and BINARY2 (base64 `STREAM`). FITS and external
//!   streams (`href`) are refused with [`Error::Unsupported`].
//! * Every datatype, fixed, variable and multi-dimensional `arraysize`; the Arrow mapping
//!   is described in [`datatype`](crate::datatype) and `docs/user-guide.md`.
//! * Nulls: an empty `TD`, `VALUES null`, the BINARY2 null flags, `?` booleans; a scalar
//!   floating-point NaN becomes null unless [`ReaderOptions::nan_as_null`] is false; an
//!   empty string is null in TABLEDATA and BINARY (which cannot say otherwise) but not in
//!   BINARY2.
//! * Metadata: FIELD attributes go to the Arrow field metadata under the keys of
//!   [`keys`]; INFOs, PARAMs, COOSYS/TIMESYS and the query status are in
//!   [`DocumentInfo`].
//! * Robustness: limits on nesting, event size, array sizes and row size
//!   ([`Limits`]); custom DTD entities are never expanded; truncated input is an error,
//!   never a short table.
//!
//! # Reading
//!
//! ```
//! use votable_arrow::{QueryStatus, ReaderOptions, VOTableReader};
//!
//! let xml = r#"<VOTABLE version="1.4"><RESOURCE type="results">
//!   <TABLE><FIELD name="ra" datatype="double" unit="deg"/>
//!          <FIELD name="id" datatype="char" arraysize="*"/>
//!   <DATA><TABLEDATA><TR><TD>10.5</TD><TD>a</TD></TR><TR><TD/><TD>b</TD></TR></TABLEDATA></DATA>
//!   </TABLE><INFO name="QUERY_STATUS" value="OVERFLOW"/></RESOURCE></VOTABLE>"#;
//! let mut reader = VOTableReader::new(xml.as_bytes(), ReaderOptions::default())?;
//! assert_eq!(reader.schema().field(0).metadata()["unit"], "deg");
//! let rows: usize = reader.by_ref().map(|b| b.map(|b| b.num_rows())).sum::<Result<_, _>>()?;
//! assert_eq!(rows, 2);
//! assert_eq!(reader.status(), &QueryStatus::Overflow);
//! # Ok::<(), votable_arrow::Error>(())
//! ```
//!
//! # Writing
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{Float64Array, RecordBatch};
//! use arrow_schema::{DataType, Field, Schema};
//! use votable_arrow::{WriterOptions, write_votable};
//!
//! let schema = Arc::new(Schema::new(vec![Field::new("ra", DataType::Float64, true)]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Float64Array::from(vec![1.5]))])?;
//! let mut out = Vec::new();
//! write_votable(&mut out, schema, [&batch], WriterOptions::default())?;
//! assert!(String::from_utf8(out)?.contains("<BINARY2>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod async_reader;
mod binary;
mod builder;
mod column;
mod core;
pub mod datatype;
mod decoder;
mod error;
mod header;
mod metadata;
mod options;
mod reader;
mod source;
mod tabledata;
pub mod timestamp;
mod writer;

pub use async_reader::AsyncVOTableReader;
pub use datatype::{Datatype, keys};
pub use error::{Error, Result};
pub use metadata::{
    CooSys, DocumentInfo, FieldInfo, Info, Param, QueryStatus, Scope, TableInfo, TimeSys,
};
pub use options::{Limits, ReaderOptions, TableSelector};
pub use reader::{Table, VOTableDocument, VOTableReader, read_votable};
pub use writer::{
    DeclaredType, Serialization, VOTableWriter, WriterOptions, declared_type, write_error_document,
    write_votable, write_votable_tables,
};
