//! [`ResultSink`]: one result on its way to standard output or to a file.
//!
//! - To standard output, the rows stream: what the writer produced is moved there after every batch
//!   (the spinner hidden meanwhile), unless the rows are *held* — the caller must know the result is
//!   complete before any row is shown (`--on-overflow fail`) — in which case they go to an anonymous
//!   temporary file and are copied out at the end.
//! - To a file, through [`AtomicFile`]: the file appears under its name only when complete.
//!
//! A table printed on a terminal ends with the row count and the time taken.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::args::OutputArgs;
use super::atomic_file::AtomicFile;
use super::error::OutputError;
use super::format::OutputFormat;
use super::writer::{OutputOptions, ResultWriter};
use crate::commands::Context;
use crate::progress::Progress;
use crate::{Error, Result};

/// Where a result goes and how.
pub(crate) struct ResultSink<'a> {
    writer: ResultWriter<Box<dyn Write + Send>>,
    to: To<'a>,
    progress: Option<Progress>,
    /// When the command started, for a table's footer on a terminal.
    timed: Option<Instant>,
}

enum To<'a> {
    Stdout { out: &'a mut dyn Write, pipe: Pipe },
    Held { out: &'a mut dyn Write, spool: File },
    File(AtomicFile),
}

/// How a sink is made.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SinkOptions {
    /// The producer knows the result is incomplete (see [`OutputOptions::truncated`]).
    pub(crate) truncated: bool,
    /// Show nothing on standard output until the result is complete.
    pub(crate) hold: bool,
}

impl<'a> ResultSink<'a> {
    /// A sink for a result of `schema`, as `args` ask.
    ///
    /// # Errors
    /// The format cannot be told, the output file cannot be created, or the writer refuses the schema.
    pub(crate) fn create(
        args: &OutputArgs,
        schema: SchemaRef,
        options: SinkOptions,
        ctx: &'a mut Context<'_>,
        progress: Option<&Progress>,
    ) -> Result<Self> {
        let format = args.format()?;
        let on_stdout = args.output.is_none();
        let terminal = on_stdout && ctx.terminal;
        let writer_options = OutputOptions {
            truncated: options.truncated,
            table: args.table_options(terminal),
        };
        let (destination, to): (Box<dyn Write + Send>, To<'a>) = match &args.output {
            Some(path) => {
                let (guard, file) = AtomicFile::create(path)
                    .map_err(|e| Error::Usage(format!("cannot create {}: {e}", path.display())))?;
                (Box::new(BufWriter::new(file)), To::File(guard))
            }
            None if options.hold => {
                let spool = tempfile::tempfile().map_err(Error::Output)?;
                let writer = spool.try_clone().map_err(Error::Output)?;
                (
                    Box::new(BufWriter::new(writer)),
                    To::Held {
                        out: &mut *ctx.out,
                        spool,
                    },
                )
            }
            None => {
                let pipe = Pipe::default();
                (
                    Box::new(pipe.clone()),
                    To::Stdout {
                        out: &mut *ctx.out,
                        pipe,
                    },
                )
            }
        };
        let writer = ResultWriter::new(format, destination, schema, &writer_options)
            .map_err(output_error)?;
        Ok(Self {
            writer,
            to,
            progress: progress.cloned(),
            timed: (terminal && format == OutputFormat::Table).then_some(ctx.started),
        })
    }

    /// Writes `batch`, a whole result known at once (a listing), as `args` ask.
    ///
    /// # Errors
    /// As [`ResultSink::create`], [`ResultSink::write`] and [`ResultSink::finish`].
    pub(crate) fn write_whole(
        args: &OutputArgs,
        batch: &RecordBatch,
        ctx: &'a mut Context<'_>,
    ) -> Result<()> {
        let mut sink = Self::create(args, batch.schema(), SinkOptions::default(), ctx, None)?;
        sink.write(batch)?;
        sink.finish()
    }

    /// Writes `tables` (name, rows) as one VOTable document with a RESOURCE per table, to `-o FILE`
    /// (appearing only once complete) or standard output.
    ///
    /// # Errors
    /// The output file cannot be written, or a table's columns cannot be written as VOTable.
    pub(crate) fn write_tables(
        args: &OutputArgs,
        tables: &[(String, Vec<RecordBatch>)],
        ctx: &mut Context<'_>,
    ) -> Result<()> {
        let parts = tables.iter().filter_map(|(name, batches)| {
            let schema = batches.first()?.schema();
            let options = votable_arrow::WriterOptions {
                resource_name: Some(name.clone()),
                table_name: Some(name.clone()),
                ..votable_arrow::WriterOptions::default()
            };
            Some((schema, batches.as_slice(), options))
        });
        let failed = |e: votable_arrow::Error| Error::Output(io::Error::other(e.to_string()));
        match &args.output {
            Some(path) => {
                let (guard, file) = AtomicFile::create(path)
                    .map_err(|e| Error::Usage(format!("cannot create {}: {e}", path.display())))?;
                let mut file = votable_arrow::write_votable_tables(BufWriter::new(file), parts)
                    .map_err(failed)?;
                file.flush().map_err(Error::Output)?;
                drop(file);
                guard.commit().map_err(Error::Output)
            }
            None => {
                votable_arrow::write_votable_tables(&mut *ctx.out, parts).map_err(failed)?;
                Ok(())
            }
        }
    }

    /// Writes one batch (and, streaming to standard output, shows it).
    ///
    /// # Errors
    /// The destination cannot be written.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch).map_err(output_error)?;
        if let To::Stdout { out, pipe } = &mut self.to {
            match &self.progress {
                Some(progress) => progress.suspend(|| pipe.drain_into(*out))?,
                None => pipe.drain_into(*out)?,
            }
        }
        Ok(())
    }

    /// Ends the result: the format's trailer, then standard output flushed, the held rows copied out,
    /// or the file given its name.
    ///
    /// # Errors
    /// The destination cannot be written.
    pub(crate) fn finish(self) -> Result<()> {
        let Self {
            writer,
            to,
            progress,
            timed,
        } = self;
        writer
            .finish(timed.map(|t| t.elapsed()))
            .map_err(output_error)?;
        if let Some(progress) = &progress {
            progress.finish();
        }
        match to {
            To::Stdout { out, pipe } => {
                pipe.drain_into(out)?;
                out.flush().map_err(Error::Output)
            }
            To::Held { out, mut spool } => {
                spool.rewind().map_err(Error::Output)?;
                io::copy(&mut spool, out).map_err(Error::Output)?;
                out.flush().map_err(Error::Output)
            }
            To::File(guard) => guard.commit().map_err(Error::Output),
        }
    }
}

/// Output failures are I/O failures of the destination (a closed pipe stays recognisable).
pub(crate) fn output_error(error: OutputError) -> Error {
    match error {
        OutputError::Io(e) => Error::Output(e),
        other if other.is_broken_pipe() => {
            Error::Output(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        other => Error::Output(io::Error::other(other.to_string())),
    }
}

/// A `Send` byte buffer between the writer (which needs a `Send` destination) and standard output
/// (which is not), drained after every batch so that output still streams.
#[derive(Debug, Clone, Default)]
struct Pipe(Arc<Mutex<Vec<u8>>>);

impl Pipe {
    fn drain_into(&self, out: &mut dyn Write) -> Result<()> {
        let mut buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(&buffer).map_err(Error::Output)?;
        buffer.clear();
        Ok(())
    }
}

impl Write for Pipe {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
