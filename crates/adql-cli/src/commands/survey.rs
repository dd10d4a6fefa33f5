//! `adql survey`: what every configured service holds around a position or an object — one table of
//! counts (or, with `--rows`, the rows themselves), failed services listed with their reason.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use adql_federation::{Engine, Finding, ServiceKind, Survey, findings_batch};
use arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder, UInt64Builder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::commands::Context;
use crate::commands::query::runtime;
use crate::federation_args::FederationArgs;
use crate::output::{OutputArgs, OutputFormat, ResultSink};
use crate::syntax_args::SyntaxArgs;
use crate::{Error, Result};

/// The default radius, degrees (6 arcminutes).
const DEFAULT_RADIUS: &str = "0.1";

/// Arguments of `adql survey`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples: adql survey M31; adql survey 10.684 41.269 0.05; \
adql survey \"NGC 1275\" 0.2 --kind tap,scs; adql survey 56.75 24.12 --rows --format votable -o pleiades.vot. \
Every configured service is asked at once: TAP services count the cone in every table with a main position \
(UCD pos.eq.ra;meta.main, or ObsCore s_ra/s_dec), cone-search, SIA and SSA services count their records, \
MAST's Mashup counts CAOM observations. The answer has one row per table or service: rows found (exact, or \
at least --cap), the ADQL or URL that returns them, or why it failed. Exit status: 0 when at least one \
service answered (failures are rows of the table, and named on stderr), 4 when none did, 2 for a usage error."
)]
pub(crate) struct SurveyArgs {
    /// The services, how they are queried and which configuration is read.
    #[command(flatten)]
    pub(crate) federation: FederationArgs,
    /// Only these kinds of services (comma-separated): tap, scs, sia, ssa, mashup.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_kind)]
    pub(crate) kind: Vec<ServiceKind>,
    /// Count rows no further than this per table or service (beyond: "at least").
    #[arg(long, value_name = "ROWS", default_value_t = 10_000)]
    pub(crate) cap: u64,
    /// Tables asked per TAP service at most (an archive such as VizieR has thousands; the others are
    /// reported as left out).
    #[arg(long = "max-tables", value_name = "N", default_value_t = 100)]
    pub(crate) max_tables: usize,
    /// Longest time one service may take, in seconds (it is then reported as timed out).
    #[arg(
        long = "service-timeout",
        value_name = "SECONDS",
        default_value_t = 60.0
    )]
    pub(crate) service_timeout: f64,
    /// Services asked at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) parallel: usize,
    /// Return the rows themselves (at most --cap per table or service): one table each in a VOTable,
    /// or one long table (service, resource, row, column, value) in other formats.
    #[arg(long)]
    pub(crate) rows: bool,
    /// The name resolver (MAST Mashup) for object names.
    #[arg(long, value_name = "URL", default_value = vo_client::mashup::DEFAULT_MASHUP_URL)]
    pub(crate) resolver: String,
    /// Right ascension (degrees, or h:m:s such as `00:42:44.3`), or an object name (`M31`, `"NGC 1275"`).
    #[arg(value_name = "RA|NAME")]
    pub(crate) first: String,
    /// Declination (degrees, or d:m:s; negative values are values, not flags), or, after a name, the
    /// radius in degrees (default 0.1).
    #[arg(value_name = "DEC|RADIUS", allow_hyphen_values = true)]
    pub(crate) second: Option<String>,
    /// The radius in degrees, after RA and DEC (default 0.1).
    #[arg(value_name = "RADIUS")]
    pub(crate) third: Option<String>,
    /// Only these services (comma-separated names; default: every configured service).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// Where and how the answer is written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

fn parse_kind(text: &str) -> std::result::Result<ServiceKind, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "tap" => Ok(ServiceKind::Tap),
        "scs" | "cone" => Ok(ServiceKind::ConeSearch),
        "sia" => Ok(ServiceKind::Sia),
        "ssa" => Ok(ServiceKind::Ssa),
        "mashup" => Ok(ServiceKind::Mashup),
        other => Err(format!(
            "expected tap, scs, sia, ssa or mashup, got '{other}'"
        )),
    }
}

/// The target (a position or a name) and the radius of the words given.
fn target_and_radius(words: &[String]) -> Result<(String, String)> {
    match words {
        [one] => Ok((one.clone(), DEFAULT_RADIUS.to_owned())),
        [first, second] => {
            let both = format!("{first} {second}");
            if adql_geom::parse_position(&both).is_ok() {
                Ok((both, DEFAULT_RADIUS.to_owned()))
            } else {
                Ok((first.clone(), second.clone()))
            }
        }
        [ra, dec, radius] => Ok((format!("{ra} {dec}"), radius.clone())),
        _ => Err(Error::Usage(
            "expected NAME or RA DEC, then an optional radius; quote names with spaces".to_owned(),
        )),
    }
}

/// Runs `adql survey`.
pub(crate) fn exec(args: SurveyArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let words: Vec<String> = [Some(&args.first), args.second.as_ref(), args.third.as_ref()]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (target, radius) = target_and_radius(&words)?;
    let radius = crate::position::radius(&radius)?;
    if !(args.service_timeout.is_finite() && args.service_timeout > 0.0) {
        return Err(Error::Usage(format!(
            "--service-timeout {}: expected a positive number of seconds",
            args.service_timeout
        )));
    }
    let runtime = runtime()?;
    let engine = args.federation.engine(&SyntaxArgs::default())?;
    let template = Survey {
        services: args.only.clone(),
        kinds: args.kind.clone(),
        cap: args.cap.max(1),
        max_tables: args.max_tables.max(1),
        timeout: Duration::from_secs_f64(args.service_timeout),
        concurrency: args.parallel.max(1),
        rows: args.rows,
        ..Survey::new(0.0, 0.0, radius)
    };
    let findings = crate::interrupt::block_on(
        &runtime,
        survey_at(&engine, &target, template, &args.resolver),
    )?;
    if findings.is_empty() {
        eprintln!("adql: no service to survey (configure services, or check --kind)");
        return Ok(ExitCode::from(4));
    }
    if args.rows {
        write_rows(&args.out, &findings, ctx)?;
    } else {
        let batch = findings_batch(&findings).map_err(|e| Error::Federation(Box::new(e)))?;
        ResultSink::write_whole(&args.out, &batch, ctx)?;
    }
    Ok(report_failures(&findings))
}

/// The rows of every finding: one table each in a VOTable, else one long table (`service`, `resource`,
/// `row`, `column`, `value` as text).
fn write_rows(out: &OutputArgs, findings: &[Finding], ctx: &mut Context<'_>) -> Result<()> {
    if out.format()? == OutputFormat::Votable {
        return ResultSink::write_tables(out, &tables_of(findings), ctx);
    }
    let batch = long_rows(findings)?;
    ResultSink::write_whole(out, &batch, ctx)
}

/// Each finding with rows as a named table: `service resource`.
fn tables_of(findings: &[Finding]) -> Vec<(String, Vec<RecordBatch>)> {
    findings
        .iter()
        .filter(|f| f.batches.iter().any(|b| b.num_rows() > 0))
        .map(|f| (format!("{} {}", f.service, f.resource), f.batches.clone()))
        .collect()
}

/// Every cell of every finding's rows as one row of text: service, resource, row number (from 1), column,
/// value (NULL stays NULL).
fn long_rows(findings: &[Finding]) -> Result<RecordBatch> {
    let (mut service, mut resource, mut row, mut column, mut value) = (
        StringBuilder::new(),
        StringBuilder::new(),
        UInt64Builder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let options = FormatOptions::default();
    for f in findings {
        let mut n = 0u64;
        for batch in &f.batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Usage(format!("{} {}: {e}", f.service, f.resource)))?;
            for i in 0..batch.num_rows() {
                n += 1;
                for (field, (array, formatter)) in batch
                    .schema()
                    .fields()
                    .iter()
                    .zip(batch.columns().iter().zip(&formatters))
                {
                    service.append_value(&f.service);
                    resource.append_value(&f.resource);
                    row.append_value(n);
                    column.append_value(field.name());
                    if array.is_null(i) {
                        value.append_null();
                    } else {
                        value.append_value(formatter.value(i).to_string());
                    }
                }
            }
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("service", DataType::Utf8, false),
        Field::new("resource", DataType::Utf8, false),
        Field::new("row", DataType::UInt64, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(service.finish()),
        Arc::new(resource.finish()),
        Arc::new(row.finish()),
        Arc::new(column.finish()),
        Arc::new(value.finish()),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| Error::Usage(e.to_string()))
}

/// `template` (its services, kinds and limits, and radius) at `target`, a position or a name the resolver
/// at `resolver` knows.
pub(crate) async fn survey_at(
    engine: &Engine,
    target: &str,
    template: Survey,
    resolver: &str,
) -> Result<Vec<Finding>> {
    let (ra, dec) = crate::position::target(target, resolver).await?;
    let survey = Survey {
        ra,
        dec,
        ..template
    };
    engine
        .survey(&survey)
        .await
        .map_err(|e| Error::Federation(Box::new(e)))
}

/// The words of a shell line: separated by spaces, a double-quoted name one word (`"NGC 1275" 0.2`).
pub(crate) fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let (word, after) = quoted.split_once('"').unwrap_or((quoted, ""));
            out.push(word.to_owned());
            rest = after.trim_start();
        } else {
            let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            out.push(word.to_owned());
            rest = after.trim_start();
        }
    }
    out
}

/// The target and the radius (degrees) of a shell line (`\survey M31 0.2`).
pub(crate) fn target_of_line(line: &str) -> Result<(String, f64)> {
    let (target, radius) = target_and_radius(&words(line))?;
    Ok((target, crate::position::radius(&radius)?))
}

/// Names each failed service on stderr; exit status 4 when no service answered.
pub(crate) fn report_failures(findings: &[Finding]) -> ExitCode {
    let failed: Vec<&Finding> = findings.iter().filter(|f| f.error.is_some()).collect();
    for f in &failed {
        let error = f.error.as_deref().unwrap_or_default();
        // A whole service's error names it; a table's does not.
        if f.resource.is_empty() {
            eprintln!("adql: {error}");
        } else {
            eprintln!("adql: {} {}: {error}", f.service, f.resource);
        }
    }
    if failed.len() == findings.len() {
        ExitCode::from(4)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn targets_are_names_or_positions_then_a_radius() {
        let words = |text: &str| words(text);
        assert_eq!(words(r#""NGC 1275"  0.2"#), ["NGC 1275", "0.2"]);
        let (t, r) = target_and_radius(&words("M31")).unwrap();
        assert_eq!((t.as_str(), r.as_str()), ("M31", "0.1"));
        let (t, r) = target_and_radius(&words("M31 0.5")).unwrap();
        assert_eq!((t.as_str(), r.as_str()), ("M31", "0.5"));
        let (t, r) = target_and_radius(&words("10.684 41.269")).unwrap();
        assert_eq!((t.as_str(), r.as_str()), ("10.684 41.269", "0.1"));
        let (t, r) = target_and_radius(&words("00:42:44.3 +41:16:09 0.2")).unwrap();
        assert_eq!((t.as_str(), r.as_str()), ("00:42:44.3 +41:16:09", "0.2"));
        assert!(parse_kind("SCS").is_ok() && parse_kind("obscore").is_err());
    }
}
