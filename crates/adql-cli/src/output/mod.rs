//! Writing query results: Arrow record batches to a table, CSV, JSON, Parquet or VOTable.
//!
//! Every subcommand that produces rows (`query`, `tap`, `cone`, `mashup`, ...) takes the same flags
//! ([`OutputArgs`]) and writes through one [`ResultSink`], so that the formats and destinations behave the
//! same everywhere:
//!
//! - `table`: an aligned text table for people, streamed ([`table`]);
//! - `csv`: RFC 4180 with a header row;
//! - `json`: one JSON array of objects, NULL written as `null`;
//! - `parquet`: Parquet with the Arrow schema (field metadata such as units kept);
//! - `votable`: VOTable 1.4, BINARY2, keeping units, UCDs and xtypes.
//!
//! `-o FILE` takes the format from the file's extension unless `--format` is given, and the file appears
//! only when complete ([`atomic_file`]). Array-valued columns are written as DALI text in CSV and the
//! table ([`text`]).

pub(crate) mod args;
pub(crate) mod atomic_file;
mod error;
mod format;
mod listing;
pub(crate) mod sink;
pub mod table;
mod text;
mod writer;

pub(crate) use args::OutputArgs;
pub use error::OutputError;
pub use format::OutputFormat;
pub(crate) use listing::{one_line, text_batch};
pub(crate) use sink::{ResultSink, SinkOptions};
pub use table::TableOptions;
pub use text::text_compatible;
pub use writer::{OutputOptions, ResultWriter};
