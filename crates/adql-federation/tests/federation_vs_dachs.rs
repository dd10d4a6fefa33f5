//! The cross-archive acceptance suite (issue 6): the queries of `tests/federation/queries.adql`, run
//! through the federated planner over two services and by DaCHS itself on one server, must return
//! the same rows.
//!
//! One loopback DaCHS (`tests/dachs/setup.sh`) is registered twice: `mast` sees only schema
//! `archive1` (the ObsCore-like `obscore`), `gaia` only schema `archive2` (the Gaia-like `sources`),
//! so every query that names both tables is a cross-archive query with one remote part per service.
//! Skips with a message when DaCHS is not running, except under `CI`, where that fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::dachs_server;

use dachs_server::{server_up, tap_url};
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use adql_engine::AdqlSession;
use adql_federation::Federation;
use adql_federation::TapExecutor;
use adql_federation::{Catalogue, ServiceConfig};
use adql_federation::{VoTapExecutor, VosiDiscovery};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::physical_plan::displayable;
use datafusion::prelude::SessionConfig;
use vo_client::tap::{TapQuery, TapService};
use vo_client::{ClientConfig, HttpClient};

const QUERIES: &str = include_str!("federation/queries.adql");

/// `mast` (schema archive1 only) and `gaia` (schema archive2 only) on the one DaCHS.
fn catalogue(cache: &std::path::Path, url: &str) -> Catalogue {
    let mut catalogue = Catalogue::empty().with_cache_dir(cache);
    catalogue.add(
        ServiceConfig::tap("mast", url, "DaCHS as an observation archive")
            .with_schemas(["archive1"]),
    );
    catalogue.add(
        ServiceConfig::tap("gaia", url, "DaCHS as a source catalogue").with_schemas(["archive2"]),
    );
    catalogue
}

async fn federation(catalogue: &Catalogue) -> Federation {
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let discovery = VosiDiscovery::new(http.clone());
    let executor = move |c: &ServiceConfig| {
        VoTapExecutor::connect(http.clone(), &c.name, &c.url)
            .map(|e| Arc::new(e) as Arc<dyn TapExecutor>)
    };
    Federation::from_catalogue(catalogue, &discovery, &executor)
        .await
        .unwrap()
}

/// One query of the suite.
#[derive(Debug, Clone)]
struct SuiteQuery {
    name: String,
    /// The federated form, as written.
    federated: String,
    /// What the cost model should choose for its cross-service join, e.g. `a|b`.
    expect_strategy: Option<String>,
    /// The service whose side a bind join restricts to the other side's keys.
    expect_bind: Option<String>,
    /// The whole query must go out as one remote part.
    single_service: bool,
}

impl SuiteQuery {
    /// The same query for DaCHS alone: the service prefixes removed.
    fn single_server(&self) -> String {
        self.federated
            .replace("mast.archive1.", "archive1.")
            .replace("gaia.archive2.", "archive2.")
    }

    fn ordered(&self) -> bool {
        !adql_syntax::parse(&self.federated)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
            .order_by
            .is_empty()
    }
}

fn parse_suite(text: &str) -> Vec<SuiteQuery> {
    let mut queries: Vec<SuiteQuery> = Vec::new();
    let mut current: Option<SuiteQuery> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix("-- name:") {
            assert!(current.is_none(), "query before {name} does not end with ;");
            current = Some(SuiteQuery {
                name: name.trim().to_string(),
                federated: String::new(),
                expect_strategy: None,
                expect_bind: None,
                single_service: false,
            });
            continue;
        }
        let Some(q) = current.as_mut() else {
            continue;
        };
        if let Some(s) = trimmed.strip_prefix("-- expect-strategy:") {
            q.expect_strategy = Some(s.trim().to_string());
        } else if let Some(s) = trimmed.strip_prefix("-- expect-bind:") {
            q.expect_bind = Some(s.trim().to_string());
        } else if trimmed == "-- single-service" {
            q.single_service = true;
        } else if trimmed.starts_with("--") {
            continue;
        } else {
            let body = trimmed.strip_suffix(';');
            q.federated.push_str(body.unwrap_or(line));
            q.federated.push('\n');
            if body.is_some() {
                let mut done = current.take().unwrap();
                done.federated = done.federated.trim().to_string();
                queries.push(done);
            }
        }
    }
    assert!(current.is_none(), "the last query does not end with ;");
    queries
}

/// A cell, normalised so that the two sides' types need not agree exactly.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Int(i128),
    Float(f64),
    Text(String),
    List(Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Text(v) => write!(f, "{v:?}"),
            Value::List(v) => {
                f.write_str("[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
        }
    }
}

const RELATIVE_TOLERANCE: f64 = 1e-9;

impl Value {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(*v as f64),
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Int(_) | Value::Float(_) => 1,
            Value::Text(_) => 2,
            Value::List(_) => 3,
        }
    }

    /// A total order (for sorting multisets).
    fn cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => cmp_rows(a, b),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => a.rank().cmp(&b.rank()),
            },
        }
    }

    fn approx_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.approx_eq(y))
            }
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x - y).abs() <= RELATIVE_TOLERANCE * x.abs().max(y.abs())
                }
                _ => false,
            },
        }
    }
}

fn cmp_rows(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

fn rows_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.approx_eq(y))
}

fn cell(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    let list = |values: ArrayRef| -> Value {
        Value::List((0..values.len()).map(|i| cell(&values, i)).collect())
    };
    match array.data_type() {
        DataType::Boolean => Value::Int(i128::from(array.as_boolean().value(row))),
        t if t.is_integer() => {
            let a = cast(array, &DataType::Decimal128(38, 0)).unwrap();
            Value::Int(
                a.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>()
                    .value(row),
            )
        }
        t if t.is_floating() => {
            let a = cast(array, &DataType::Float64).unwrap();
            Value::Float(
                a.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                    .value(row),
            )
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let a = cast(array, &DataType::Utf8).unwrap();
            Value::Text(a.as_string::<i32>().value(row).to_string())
        }
        DataType::List(_) => list(array.as_list::<i32>().value(row)),
        DataType::LargeList(_) => list(array.as_list::<i64>().value(row)),
        DataType::FixedSizeList(_, _) => list(array.as_fixed_size_list().value(row)),
        _ => {
            let options = FormatOptions::default();
            let formatter = ArrayFormatter::try_new(array.as_ref(), &options).unwrap();
            Value::Text(formatter.value(row).to_string())
        }
    }
}

/// The rows of `batches` and their number of columns.
fn table(batches: &[RecordBatch]) -> (usize, Vec<Vec<Value>>) {
    let width = batches.first().map_or(0, RecordBatch::num_columns);
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            rows.push(batch.columns().iter().map(|c| cell(c, row)).collect());
        }
    }
    (width, rows)
}

fn show(row: &[Value]) -> String {
    row.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// `None` when the rows agree; otherwise what differs.
fn diff(
    federated: &(usize, Vec<Vec<Value>>),
    dachs: &(usize, Vec<Vec<Value>>),
    ordered: bool,
) -> Option<String> {
    let ((fw, f), (dw, d)) = (federated, dachs);
    if !f.is_empty() && !d.is_empty() && fw != dw {
        return Some(format!("{fw} columns federated, {dw} from DaCHS"));
    }
    if ordered {
        if f.len() == d.len() && f.iter().zip(d).all(|(a, b)| rows_eq(a, b)) {
            return None;
        }
        let first = f
            .iter()
            .zip(d)
            .position(|(a, b)| !rows_eq(a, b))
            .unwrap_or(f.len().min(d.len()));
        return Some(format!(
            "{} rows federated, {} from DaCHS; first difference at row {first}:\n  federated: {}\n  DaCHS:     {}",
            f.len(),
            d.len(),
            f.get(first).map_or("(none)".into(), |r| show(r)),
            d.get(first).map_or("(none)".into(), |r| show(r)),
        ));
    }
    let (mut f, mut d) = (f.clone(), d.clone());
    f.sort_by(|a, b| cmp_rows(a, b));
    d.sort_by(|a, b| cmp_rows(a, b));
    let (mut i, mut j) = (0, 0);
    let (mut only_f, mut only_d) = (Vec::new(), Vec::new());
    while i < f.len() || j < d.len() {
        match (f.get(i), d.get(j)) {
            (Some(a), Some(b)) if rows_eq(a, b) => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if cmp_rows(a, b).is_lt() => {
                only_f.push(show(a));
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                only_d.push(show(b));
                j += 1;
            }
            (Some(a), None) => {
                only_f.push(show(a));
                i += 1;
            }
            (None, None) => break,
        }
    }
    if only_f.is_empty() && only_d.is_empty() {
        return None;
    }
    let sample = |rows: &[String]| -> String {
        rows.iter()
            .take(5)
            .map(|r| format!("\n    {r}"))
            .collect::<String>()
    };
    Some(format!(
        "{} rows federated, {} from DaCHS (as multisets); {} only federated:{}\n  {} only from DaCHS:{}",
        f.len(),
        d.len(),
        only_f.len(),
        sample(&only_f),
        only_d.len(),
        sample(&only_d),
    ))
}

/// The optimized logical plan and the physical plan, as `adql explain` prints them.
async fn explain(session: &AdqlSession, adql: &str) -> Result<String, String> {
    let plan = session
        .logical_plan(adql)
        .await
        .map_err(|e| e.to_string())?;
    let state = session.context().state();
    let optimized = state.optimize(&plan).map_err(|e| e.to_string())?;
    let physical = state
        .create_physical_plan(&optimized)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "Optimized logical plan:\n{}\nPhysical plan:\n{}",
        optimized.display_indent(),
        displayable(physical.as_ref()).indent(false)
    ))
}

async fn run_federated(session: &AdqlSession, adql: &str) -> Result<Vec<RecordBatch>, String> {
    session
        .query(adql)
        .await
        .map_err(|e| e.to_string())?
        .collect()
        .await
        .map_err(|e| e.to_string())
}

async fn run_dachs(tap: &TapService, adql: &str) -> Result<Vec<RecordBatch>, String> {
    let result = tap
        .query(&TapQuery::new(adql).maxrec(1_000_000))
        .await
        .map_err(|e| e.to_string())?;
    let table = result.collect().await.map_err(|e| e.to_string())?;
    if table.completeness.is_truncated() {
        return Err("DaCHS truncated its own answer".into());
    }
    Ok(table.batches)
}

/// How many remote parts EXPLAIN shows, by service.
fn remote_parts(explain: &str) -> Vec<String> {
    let logical = explain.split("Physical plan:").next().unwrap_or_default();
    logical
        .lines()
        .filter_map(|l| l.trim().strip_prefix("RemoteQuery: service="))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// The cross-service join strategies EXPLAIN's physical plan shows (`strategy=(a) ...` of
/// `CrossServiceJoinExec`), as letters.
fn chosen_strategies(explain: &str) -> Vec<String> {
    explain
        .match_indices("strategy=(")
        .filter_map(|(i, m)| explain[i + m.len()..].split(')').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_queries_return_what_dachs_returns() {
    let url = tap_url();
    if !server_up(&url) {
        return;
    }
    let queries = parse_suite(QUERIES);
    assert!(queries.len() >= 30, "{} queries", queries.len());
    let only = std::env::var("ADQL_SUITE_ONLY").ok();

    let cache = tempfile::tempdir().unwrap();
    let federation = federation(&catalogue(cache.path(), &url)).await;
    let session = federation.adql_session(SessionConfig::new()).unwrap();
    let http = HttpClient::new(ClientConfig::default()).unwrap();
    let tap = TapService::new(http, &url).unwrap();

    let mut failures = Vec::new();
    let mut passed = 0;
    for q in &queries {
        if only.as_deref().is_some_and(|o| !q.name.contains(o)) {
            continue;
        }
        let single = q.single_server();
        assert!(
            !single.contains("mast.") && !single.contains("gaia."),
            "{}: a service prefix is left in\n{single}",
            q.name
        );
        let started = Instant::now();
        let plan = explain(&session, &q.federated).await;
        let federated = run_federated(&session, &q.federated).await;
        let dachs = run_dachs(&tap, &single).await;
        let elapsed = started.elapsed();
        let plan_text = plan.clone().unwrap_or_else(|e| format!("(no plan: {e})"));
        let mut problems = Vec::new();
        match (&federated, &dachs) {
            (Ok(f), Ok(d)) => {
                if let Some(d) = diff(&table(f), &table(d), q.ordered()) {
                    problems.push(d);
                }
            }
            (Err(e), _) => problems.push(format!("federated query failed: {e}")),
            (_, Err(e)) => problems.push(format!("DaCHS failed: {e}\n{single}")),
        }
        let parts = remote_parts(&plan_text);
        if q.single_service && parts.len() != 1 {
            problems.push(format!(
                "expected the whole query as one remote part, EXPLAIN shows {parts:?}"
            ));
        }
        if let Some(expected) = &q.expect_strategy {
            let chosen = chosen_strategies(&plan_text);
            if !expected.split('|').any(|x| chosen.iter().any(|c| c == x)) {
                problems.push(format!(
                    "expected strategy ({expected}), EXPLAIN shows {chosen:?}"
                ));
            }
        }
        if let Some(service) = &q.expect_bind
            && !plan_text.contains(&format!("BoundScanExec: service={service} "))
        {
            problems.push(format!("expected a bind join on {service}"));
        }
        let mentions = |s: &str| q.federated.contains(&format!("{s}."));
        if !q.single_service && mentions("mast") && mentions("gaia") {
            for service in ["mast", "gaia"] {
                if !parts.iter().any(|p| p == service) {
                    problems.push(format!("EXPLAIN shows no remote part on {service}"));
                }
            }
        }
        let rows = federated.as_ref().map_or(0, |b| table(b).1.len());
        if problems.is_empty() {
            passed += 1;
            eprintln!(
                "ok   {:<40} {rows:>6} rows  {elapsed:>10.2?}  strategies {:?}",
                q.name,
                chosen_strategies(&plan_text)
            );
        } else {
            eprintln!("FAIL {:<40} {elapsed:.2?}", q.name);
            failures.push(format!(
                "--- {}\n{}\n{}\n{plan_text}",
                q.name,
                q.federated,
                problems.join("\n")
            ));
        }
    }
    eprintln!(
        "{passed} queries agree with DaCHS, {} differ",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_suite_is_well_formed() {
    let queries = parse_suite(QUERIES);
    assert!(queries.len() >= 30, "{} queries", queries.len());
    let mut names: Vec<&str> = queries.iter().map(|q| q.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), queries.len(), "names are unique");
    for q in &queries {
        adql_syntax::parse(&q.federated).unwrap_or_else(|e| panic!("{}: {e}", q.name));
        adql_syntax::parse(&q.single_server()).unwrap_or_else(|e| panic!("{}: {e}", q.name));
    }
    for strategy in ["a", "b", "c", "d"] {
        assert!(
            queries.iter().any(|q| q
                .expect_strategy
                .as_deref()
                .is_some_and(|s| s.split('|').any(|x| x == strategy))),
            "no query expects strategy ({strategy})"
        );
    }
}

/// The remote parts of `adql`'s plan, one line each: service and exact ADQL (the URL depends on
/// where DaCHS runs, so it is left out).
async fn remote_part_lines(session: &AdqlSession, adql: &str) -> String {
    let plan = explain(session, adql).await.unwrap();
    let logical = plan.split("Physical plan:").next().unwrap_or_default();
    logical
        .lines()
        .filter_map(|l| l.trim().strip_prefix("RemoteQuery: "))
        .map(|l| {
            let service = l.split_whitespace().next().unwrap_or_default();
            let adql = l.split_once(" adql=").map_or("", |(_, a)| a);
            format!("{service} adql={adql}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn explain_shows_one_remote_part_per_service() {
    let url = tap_url();
    if !server_up(&url) {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let federation = federation(&catalogue(cache.path(), &url)).await;
    let session = federation.adql_session(SessionConfig::new()).unwrap();
    // A cross-service crossmatch: each service answers its side, filters and all.
    let cross = remote_part_lines(
        &session,
        "SELECT o.obs_id, s.source_id, s.phot_g_mean_mag \
         FROM mast.archive1.obscore AS o \
         JOIN gaia.archive2.sources AS s \
           ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, o.s_fov / 2)) \
         WHERE o.obs_collection = 'HST' AND s.phot_g_mean_mag < 16",
    )
    .await;
    insta::assert_snapshot!("cross_service_crossmatch", cross);
    // A same-service crossmatch goes out whole, as CONTAINS (which DaCHS indexes).
    let same = remote_part_lines(
        &session,
        "SELECT a.source_id, b.source_id AS other FROM gaia.archive2.sources AS a \
         JOIN gaia.archive2.sources AS b \
           ON 1 = CONTAINS(POINT('ICRS', b.ra, b.dec), CIRCLE('ICRS', a.ra, a.dec, 0.002)) \
         WHERE a.population = 'cl_dense' AND a.source_id < b.source_id",
    )
    .await;
    insta::assert_snapshot!("same_service_crossmatch", same);
}
