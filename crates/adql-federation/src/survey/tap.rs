//! The survey of one TAP service: a capped cone count for every table with a main position, in one
//! `UNION ALL` request when the service declares `UNION`, else one request per table.

use std::sync::Arc;

use adql_syntax::ast::{
    Expr, Ident, Query, Select, SelectItem, SelectList, SetExpr, SetOperator, Span, TableName,
    TableRef,
};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use futures::StreamExt;

use super::{Finding, Survey};
use crate::capabilities::FEATURE_SETS;
use crate::catalogue::ServiceConfig;
use crate::engine::Engine;
use crate::error::Result;
use crate::estimate::first_rows;
use crate::metadata::TableMetadata;
use crate::row_count::RowCount;
use crate::service::RemoteService;
use crate::unparser::point_in_circle;

/// Requests in flight at once to one service.
const PER_SERVICE: usize = 4;
/// Tables counted by one `UNION ALL` request, short enough for any service's query length limits.
const UNION_BRANCHES: usize = 50;

/// A table with a main position, and its cone query (`SELECT * FROM t WHERE 1 = CONTAINS(...)`).
struct Positioned {
    /// `schema.table` as the service names it.
    name: String,
    /// The cone query as the service takes it.
    query: Query,
    /// The same with the table named `service.schema.table`, as `adql query` takes it.
    federated: Query,
    /// The table's columns.
    schema: datafusion::arrow::datatypes::SchemaRef,
}

/// The main position columns of `table`: the columns with UCDs `pos.eq.ra;meta.main` and
/// `pos.eq.dec;meta.main` (or the UCD1 `POS_EQ_RA_MAIN`/`POS_EQ_DEC_MAIN`), else ObsCore's `s_ra` and
/// `s_dec`.
fn position(table: &TableMetadata) -> Option<(Ident, Ident)> {
    let by_ucd = |wanted: &[&str]| {
        table.columns.iter().find(|c| {
            c.ucd.as_deref().is_some_and(|u| {
                let u = u.trim();
                wanted.iter().any(|w| u.eq_ignore_ascii_case(w))
            })
        })
    };
    let by_name = |name: &str| {
        table
            .columns
            .iter()
            .find(|c| c.field_name().eq_ignore_ascii_case(name))
    };
    let ra = by_ucd(&["pos.eq.ra;meta.main", "POS_EQ_RA_MAIN"]);
    let dec = by_ucd(&["pos.eq.dec;meta.main", "POS_EQ_DEC_MAIN"]);
    match (ra, dec) {
        (Some(ra), Some(dec)) => Some((ra.adql_ident(), dec.adql_ident())),
        _ => Some((
            by_name("s_ra")?.adql_ident(),
            by_name("s_dec")?.adql_ident(),
        )),
    }
}

/// The tables of `service` with a main position, and their cone queries.
fn positioned(service: &str, tables: &[TableMetadata], survey: &Survey) -> Result<Vec<Positioned>> {
    let number = |x: f64| {
        Expr::double(x).ok_or_else(|| crate::error::FederationError::InvalidSurvey {
            message: format!("{x} is not a number"),
        })
    };
    let mut out = Vec::new();
    for table in tables {
        let Some((ra, dec)) = position(table) else {
            continue;
        };
        let cone = point_in_circle(
            Expr::column([ra]),
            Expr::column([dec]),
            number(survey.ra)?,
            number(survey.dec)?,
            number(survey.radius)?,
        );
        let name = table.adql_name();
        let select = |name: TableName, cone: Expr| {
            Query::select(
                Select::new(
                    SelectList::Wildcard(Span::EMPTY),
                    vec![TableRef::table(name)],
                )
                .filter(cone),
            )
        };
        let federated = TableName::from_parts(
            std::iter::once(Ident::new(service)).chain(name.parts().cloned()),
        )
        .unwrap_or_else(|| name.clone());
        out.push(Positioned {
            name: name.to_string(),
            query: select(name, cone.clone()),
            federated: select(federated, cone),
            schema: table.arrow_schema(),
        });
    }
    Ok(out)
}

/// `SELECT 'label' AS t, COUNT(*) AS n FROM (SELECT TOP cap * FROM (<query>) AS q0) AS q`.
fn labelled_count(label: &str, query: &Query, cap: u64) -> SetExpr {
    SetExpr::Select(Box::new(Select::new(
        SelectList::Items(vec![
            SelectItem::aliased(Expr::string(label), "t"),
            SelectItem::aliased(Expr::CountStar(Span::EMPTY), "n"),
        ]),
        vec![TableRef::derived(first_rows(query, cap), "q")],
    )))
}

/// One request counting every table: the `UNION ALL` of [`labelled_count`]s, labelled by position.
fn union_count(tables: &[Positioned], cap: u64) -> Option<Query> {
    let mut parts = tables
        .iter()
        .enumerate()
        .map(|(i, t)| labelled_count(&i.to_string(), &t.query, cap));
    let first = parts.next()?;
    Some(Query::new(parts.fold(first, |acc, part| {
        acc.combine(SetOperator::Union, true, part)
    })))
}

/// The counts of `tables` from one `UNION ALL` request, in their order.
async fn counts_at_once(
    service: &Arc<RemoteService>,
    tables: &[Positioned],
    cap: u64,
) -> Result<Vec<RowCount>> {
    let Some(query) = union_count(tables, cap) else {
        return Ok(Vec::new());
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("t", DataType::Utf8, true),
        Field::new("n", DataType::Int64, true),
    ]));
    let batches = service.fetch_all(&query, Vec::new(), schema).await?;
    let mut counts = vec![None; tables.len()];
    for batch in &batches {
        let (labels, ns) = (batch.column(0).as_string::<i32>(), batch.column(1));
        let ns = ns.as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let index = labels.value(row).trim().parse::<usize>().ok();
            if let Some(slot) = index.and_then(|i| counts.get_mut(i)) {
                let rows = u64::try_from(ns.value(row)).unwrap_or(0);
                *slot = (!ns.is_null(row)).then_some(RowCount {
                    rows,
                    exact: rows < cap,
                });
            }
        }
    }
    counts
        .into_iter()
        .zip(tables)
        .map(|(count, table)| {
            count.ok_or_else(|| crate::error::FederationError::Remote {
                service: service.name.clone(),
                url: service.url.clone(),
                message: format!("the counting query gave no count for {}", table.name),
            })
        })
        .collect()
}

/// The finding of every table of `config` with a main position.
pub(super) async fn survey(
    engine: &Engine,
    config: &ServiceConfig,
    survey: &Survey,
) -> Result<Vec<Finding>> {
    let (service, tables) = engine.described(config).await?;
    let mut tables = positioned(&config.name, &tables, survey)?;
    // An archive of thousands of tables (VizieR) is not asked about each: the first `max_tables`, and a
    // finding that says how many more there are.
    let skipped = tables.len().saturating_sub(survey.max_tables);
    tables.truncate(survey.max_tables);
    let cap = survey.cap.max(1);
    let union = service.capabilities.supports(FEATURE_SETS, "UNION");
    let counts: Vec<Result<RowCount>> = if union {
        // One request per block of tables; a block whose union fails (a service may declare more than it
        // manages) is counted table by table.
        futures::stream::iter(tables.chunks(UNION_BRANCHES))
            .map(|block| {
                let service = Arc::clone(&service);
                async move {
                    if block.len() > 1
                        && let Ok(counts) = counts_at_once(&service, block, cap).await
                    {
                        return counts.into_iter().map(Ok).collect();
                    }
                    one_by_one(&service, block, cap).await
                }
            })
            .buffered(PER_SERVICE)
            .flat_map(futures::stream::iter)
            .collect()
            .await
    } else {
        one_by_one(&service, &tables, cap).await
    };
    let mut findings = Vec::new();
    for (table, count) in tables.iter().zip(counts) {
        let access = table.federated.to_string();
        let mut finding = Finding {
            service: config.name.clone(),
            kind: "tap",
            resource: table.name.clone(),
            rows: None,
            exact: false,
            access,
            error: None,
            batches: Vec::new(),
        };
        match count {
            Ok(count) => {
                finding.rows = Some(count.rows);
                finding.exact = count.exact;
                if survey.rows && count.rows > 0 {
                    match service
                        .fetch_all(
                            &first_rows(&table.query, cap),
                            Vec::new(),
                            Arc::clone(&table.schema),
                        )
                        .await
                    {
                        Ok(batches) => finding.batches = batches,
                        Err(e) => finding.error = Some(e.to_string()),
                    }
                }
            }
            Err(e) => finding.error = Some(e.to_string()),
        }
        findings.push(finding);
    }
    if skipped > 0 {
        findings.push(Finding {
            service: config.name.clone(),
            kind: "tap",
            resource: format!("({skipped} more tables)"),
            rows: None,
            exact: false,
            access: config.url.clone(),
            error: Some(format!(
                "{skipped} more tables with a main position were not asked: at most {} per service \
                 (--max-tables)",
                survey.max_tables
            )),
            batches: Vec::new(),
        });
    }
    Ok(findings)
}

/// The counts of `tables`, one request each, a few at a time.
async fn one_by_one(
    service: &Arc<RemoteService>,
    tables: &[Positioned],
    cap: u64,
) -> Vec<Result<RowCount>> {
    futures::stream::iter(tables)
        .map(|t| {
            let service = Arc::clone(service);
            async move { service.row_count(&t.query, cap.saturating_sub(1)).await }
        })
        .buffered(PER_SERVICE)
        .collect()
        .await
}
