//! Running one query of a request to a result file: the engine's session with `TAP_SCHEMA` and the
//! request's uploads, the rows streamed into the format asked for, cut at MAXREC (`QUERY_STATUS=OVERFLOW`),
//! and the file renamed to its final name only when complete.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use adql_federation::{Engine, FederationError};
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use futures::StreamExt;

use crate::config::Limits;
use crate::format::{FormatWriter, ResultFormat};
use crate::params::TapParams;
use crate::served::Served;

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct QuerySpec {
    pub(crate) adql: String,
    pub(crate) format: ResultFormat,
    /// The most rows written; one more makes the result an overflow.
    pub(crate) maxrec: u64,
    /// The largest result file, in bytes.
    pub(crate) max_bytes: u64,
    /// `TAP_UPLOAD` tables.
    pub(crate) uploads: Vec<(String, Arc<MemTable>)>,
}

/// A result written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
    pub(crate) overflow: bool,
}

/// The query a request asks for: `REQUEST`, `LANG`, `QUERY`, `RESPONSEFORMAT` (or `FORMAT`) and `MAXREC`
/// checked, MAXREC bounded by the hard limit.
///
/// # Errors
/// The message for the client.
pub(crate) fn query_spec(
    params: &TapParams,
    limits: &Limits,
    uploads: Vec<(String, Arc<MemTable>)>,
) -> Result<QuerySpec, String> {
    if let Some(request) = params.get("request")
        && !request.trim().eq_ignore_ascii_case("doQuery")
    {
        return Err(format!(
            "REQUEST {request}: this service takes REQUEST=doQuery"
        ));
    }
    check_lang(params.get("lang"))?;
    let adql = params
        .get("query")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| "QUERY is missing".to_owned())?;
    let format = match params
        .get("responseformat")
        .or_else(|| params.get("format"))
    {
        Some(f) if !f.trim().is_empty() => ResultFormat::parse(f).map_err(|e| e.message)?,
        _ => ResultFormat::VOTableBinary2,
    };
    let maxrec = match params.get("maxrec") {
        Some(m) => m
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("MAXREC {m}: expected a number of rows (0 or more)"))?,
        None => limits.maxrec_default,
    };
    Ok(QuerySpec {
        adql: adql.to_owned(),
        format,
        maxrec: maxrec.min(limits.maxrec_hard),
        max_bytes: limits.max_result_bytes,
        uploads,
    })
}

/// Checks `LANG`: ADQL, in any version this server parses.
pub(crate) fn check_lang(lang: Option<&str>) -> Result<(), String> {
    match lang.map(str::trim) {
        None => Err("LANG is missing (this service takes LANG=ADQL)".to_owned()),
        Some(l) if l.eq_ignore_ascii_case("ADQL") => Ok(()),
        Some(l) if l.eq_ignore_ascii_case("ADQL-2.0") || l.eq_ignore_ascii_case("ADQL-2.1") => {
            Ok(())
        }
        Some(l) => Err(format!(
            "LANG {l}: this service takes ADQL, ADQL-2.0 or ADQL-2.1"
        )),
    }
}

/// The message a client gets for `error` of the query `adql`: positioned (`line L, column C: …`) for
/// errors of the query's text, naming the service and URL for remote failures.
pub(crate) fn describe(error: &FederationError, adql: &str) -> String {
    if let FederationError::Query(inner) = error
        && let adql_engine::EngineError::Execution(df) = inner.as_ref()
        && let Some(found) = FederationError::find_in(df)
    {
        return describe(found, adql);
    }
    if let FederationError::DataFusion(df) = error
        && let Some(found) = FederationError::find_in(df)
    {
        return describe(found, adql);
    }
    match error.line_column(adql) {
        Some((line, column)) => format!("line {line}, column {column}: {error}"),
        None => error.to_string(),
    }
}

fn describe_df(error: &DataFusionError, adql: &str) -> String {
    match FederationError::find_in(error) {
        Some(found) => describe(found, adql),
        None => error.to_string(),
    }
}

/// Runs `spec` on `engine` and writes its result to `path` (through `path.part`, renamed when complete).
///
/// # Errors
/// The message for the client: the query's error, a remote failure, a result over the size limit.
pub(crate) async fn run_to_file(
    engine: &Engine,
    served: &Served,
    spec: &QuerySpec,
    path: &Path,
) -> Result<Outcome, String> {
    let adql = &spec.adql;
    let session = engine
        .session_for(adql)
        .await
        .map_err(|e| describe(&e, adql))?;
    let ctx = session.context();
    let catalog_name = ctx
        .copied_config()
        .options()
        .catalog
        .default_catalog
        .clone();
    let catalog = ctx
        .catalog(&catalog_name)
        .ok_or_else(|| "the session has no default catalog".to_owned())?;
    let schema = |tables: &[(String, Arc<MemTable>)]| -> Result<Arc<dyn SchemaProvider>, String> {
        let schema = MemorySchemaProvider::new();
        for (name, table) in tables {
            schema
                .register_table(name.clone(), Arc::clone(table) as _)
                .map_err(|e| e.to_string())?;
        }
        Ok(Arc::new(schema))
    };
    catalog
        .register_schema("TAP_SCHEMA", schema(&served.tap_schema)?)
        .map_err(|e| e.to_string())?;
    if !spec.uploads.is_empty() {
        catalog
            .register_schema("TAP_UPLOAD", schema(&spec.uploads)?)
            .map_err(|e| e.to_string())?;
    }
    let frame = session
        .query(adql)
        .await
        .map_err(|e| describe(&FederationError::from(e), adql))?;
    let mut stream = frame
        .execute_stream()
        .await
        .map_err(|e| describe_df(&e, adql))?;

    let partial = partial_path(path);
    let file =
        std::fs::File::create(&partial).map_err(|e| format!("cannot write the result: {e}"))?;
    let counter = Counter {
        inner: BufWriter::with_capacity(256 * 1024, file),
        bytes: 0,
        limit: spec.max_bytes,
    };
    let written = async {
        let mut writer = FormatWriter::new(spec.format, counter, stream.schema())?;
        let mut rows = 0u64;
        let mut overflow = false;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| describe_df(&e, adql))?;
            if batch.num_rows() == 0 {
                continue;
            }
            let room = spec.maxrec - rows;
            let n = batch.num_rows() as u64;
            if n > room {
                if room > 0 {
                    writer.write(&batch.slice(0, usize::try_from(room).unwrap_or(usize::MAX)))?;
                }
                rows += room;
                overflow = true;
                break;
            }
            writer.write(&batch)?;
            rows += n;
        }
        let counter = writer.finish(overflow)?;
        let bytes = counter.bytes;
        let mut inner = counter.inner;
        inner
            .flush()
            .map_err(|e| format!("cannot write the result: {e}"))?;
        Ok::<_, String>(Outcome {
            rows,
            bytes,
            overflow,
        })
    }
    .await;
    match written {
        Ok(outcome) => {
            std::fs::rename(&partial, path).map_err(|e| format!("cannot write the result: {e}"))?;
            Ok(outcome)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// The name a result has while it is written.
pub(crate) fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// Counts the bytes written and refuses to go past a limit.
struct Counter<W: Write> {
    inner: W,
    bytes: u64,
    limit: u64,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes + buf.len() as u64 > self.limit {
            return Err(std::io::Error::other(format!(
                "the result is larger than this service's limit of {} bytes; ask for fewer rows (MAXREC) \
                 or columns",
                self.limit
            )));
        }
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn requests_are_checked_and_maxrec_bounded() {
        let limits = Limits::default();
        let spec = |pairs: &[(&str, &str)]| {
            query_spec(
                &TapParams::from_pairs(pairs.iter().copied()),
                &limits,
                Vec::new(),
            )
        };
        let ok = spec(&[
            ("LANG", "ADQL"),
            ("QUERY", "SELECT 1"),
            ("MAXREC", "999999999999"),
        ])
        .unwrap();
        assert_eq!(ok.maxrec, limits.maxrec_hard);
        assert_eq!(ok.format, ResultFormat::VOTableBinary2);
        let csv = spec(&[("LANG", "ADQL"), ("QUERY", "SELECT 1"), ("FORMAT", "csv")]).unwrap();
        assert_eq!(
            (csv.format, csv.maxrec),
            (ResultFormat::Csv, limits.maxrec_default)
        );
        for (pairs, message) in [
            (vec![("LANG", "ADQL")], "QUERY is missing"),
            (vec![("QUERY", "SELECT 1")], "LANG is missing"),
            (
                vec![("LANG", "ADQL"), ("QUERY", "x"), ("MAXREC", "-1")],
                "MAXREC -1",
            ),
            (
                vec![
                    ("LANG", "ADQL"),
                    ("QUERY", "x"),
                    ("REQUEST", "getCapabilities"),
                ],
                "REQUEST",
            ),
            (
                vec![("LANG", "ADQL"), ("QUERY", "x"), ("RESPONSEFORMAT", "fits")],
                "RESPONSEFORMAT",
            ),
        ] {
            let err = spec(&pairs).unwrap_err();
            assert!(err.contains(message), "{err}");
        }
    }

    #[test]
    fn lang_must_be_adql() {
        assert!(check_lang(Some("ADQL")).is_ok());
        assert!(check_lang(Some("adql-2.0")).is_ok());
        assert!(check_lang(Some("SQL")).unwrap_err().contains("LANG SQL"));
        assert!(check_lang(None).is_err());
    }

    #[test]
    fn the_counter_refuses_past_its_limit() {
        let mut c = Counter {
            inner: Vec::new(),
            bytes: 0,
            limit: 4,
        };
        c.write_all(b"abc").unwrap();
        let err = c.write_all(b"de").unwrap_err();
        assert!(err.to_string().contains("limit of 4 bytes"));
        assert_eq!(
            partial_path(Path::new("/x/result.vot")),
            Path::new("/x/result.vot.part")
        );
    }
}
