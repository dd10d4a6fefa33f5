//! [`Explanation`]: how a query runs — every request sent to a service, the lowered SQL and both plans.

use std::fmt;
use std::sync::Arc;

use adql_syntax::ast::Query;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::sql::sqlparser::ast::Statement;

use crate::bind::BoundScanExec;
use crate::executor::{PlannedRequest, RequestKind};
use crate::remote_query_exec::RemoteQueryExec;
use crate::sources::SourceScanExec;
use crate::strategy::CrossServiceJoinExec;

/// One request a plan sends to a service when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePart {
    /// Service name.
    pub service: String,
    /// Service URL.
    pub url: String,
    /// What the request is for.
    pub kind: RequestKind,
    /// The ADQL sent, for a TAP request.
    pub query: Option<Query>,
    /// The request as sent: the ADQL text, or a Mashup request or cone-search parameters.
    pub request: String,
    /// The tables it uploads (`TAP_UPLOAD` name and rows).
    pub uploads: Vec<(String, usize)>,
    /// What decided it: the estimates, the chosen strategy's cost and why other candidates were not
    /// chosen; or that the planner already has its rows.
    pub note: Option<String>,
}

impl RemotePart {
    /// The ADQL text sent, for a TAP request.
    pub fn adql(&self) -> Option<String> {
        self.query.as_ref().map(ToString::to_string)
    }

    fn tap(service: &str, url: &str, request: PlannedRequest, note: Option<String>) -> Self {
        Self {
            service: service.to_string(),
            url: url.to_string(),
            kind: request.kind,
            request: request.query.to_string(),
            query: Some(request.query),
            uploads: request.uploads,
            note,
        }
    }
}

/// What [`Engine::explain`](crate::Engine::explain) returns: every request the query sends and the plans,
/// as objects (`Display` prints them all).
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Every request sent to a service when the query runs, in plan order: remote parts, the requests of
    /// cross-service strategies (each upload block, cone or region) and bind joins (each key list or
    /// upload), and requests to services that are not TAP.
    pub remote_parts: Vec<RemotePart>,
    /// The SQL statement the ADQL was lowered to.
    pub lowered: Statement,
    /// The optimized logical plan.
    pub logical_plan: LogicalPlan,
    /// The physical plan, with the strategy of every cross-service join.
    pub physical_plan: Arc<dyn ExecutionPlan>,
}

impl Explanation {
    /// The explanation of an optimized `logical_plan` lowered from `lowered` and planned as
    /// `physical_plan`; `context` runs what the planner already read (never a request to a service).
    ///
    /// # Errors
    /// Listing a strategy's requests failed.
    pub async fn new(
        lowered: Statement,
        logical_plan: LogicalPlan,
        physical_plan: Arc<dyn ExecutionPlan>,
        context: Arc<TaskContext>,
    ) -> Result<Self> {
        Ok(Self {
            remote_parts: remote_parts(&physical_plan, context).await?,
            lowered,
            logical_plan,
            physical_plan,
        })
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.remote_parts.is_empty() {
            writeln!(f, "Remote parts: none (the query runs locally)")?;
        } else {
            writeln!(f, "Remote parts:")?;
            for (i, part) in self.remote_parts.iter().enumerate() {
                write!(f, "  [{}] {} ({})", i + 1, part.service, part.url)?;
                if part.kind != RequestKind::Part {
                    write!(f, ", {}", part.kind)?;
                }
                for (name, rows) in &part.uploads {
                    write!(f, ", uploads TAP_UPLOAD.{name} ({rows} rows)")?;
                }
                writeln!(f)?;
                writeln!(f, "      {}", part.request)?;
                if let Some(note) = &part.note {
                    writeln!(f, "      ({note})")?;
                }
            }
        }
        writeln!(f, "\nLowered SQL:\n  {}", self.lowered)?;
        writeln!(
            f,
            "\nOptimized logical plan:\n{}",
            indent(&self.logical_plan.display_indent().to_string())
        )?;
        let physical = displayable(self.physical_plan.as_ref()).indent(false);
        write!(f, "\nPhysical plan:\n{}", indent(&physical.to_string()))
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every request `plan` sends when it runs, in plan order (see [`Explanation::remote_parts`]).
///
/// # Errors
/// Listing a strategy's requests failed.
pub async fn remote_parts(
    plan: &Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
) -> Result<Vec<RemotePart>> {
    let mut parts = Vec::new();
    let mut todo = vec![Arc::clone(plan)];
    while let Some(node) = todo.pop() {
        let mut children: Vec<Arc<dyn ExecutionPlan>> =
            node.children().into_iter().cloned().collect();
        if let Some(remote) = node.downcast_ref::<RemoteQueryExec>() {
            let service = remote.service();
            let note = remote
                .prefetched_rows()
                .map(|n| format!("answered while planning: {n} rows, not sent again"));
            parts.push(RemotePart::tap(
                &service.name,
                &service.url,
                PlannedRequest::plain(RequestKind::Part, remote.query().clone()),
                note,
            ));
        } else if let Some(bound) = node.downcast_ref::<BoundScanExec>() {
            let binding = bound.binding();
            let note = Some(binding.decision.clone());
            for (i, request) in bound.requests()?.into_iter().enumerate() {
                parts.push(RemotePart::tap(
                    &binding.service.name,
                    &binding.service.url,
                    request,
                    (i == 0).then(|| note.clone()).flatten(),
                ));
            }
        } else if let Some(join) = node.downcast_ref::<CrossServiceJoinExec>() {
            if let Some(strategy) = join.requests(Arc::clone(&context)).await? {
                // Only the small side's input runs; the big side is asked by the strategy's requests.
                let small = match strategy.small {
                    adql_engine::crossmatch::Side::Left => 0,
                    adql_engine::crossmatch::Side::Right => 1,
                };
                children = children.into_iter().skip(small).take(1).collect();
                let mut small_parts =
                    Box::pin(remote_parts(&children[0], Arc::clone(&context))).await?;
                parts.append(&mut small_parts);
                children.clear();
                let note = Some(format!("{}", join.decision()));
                for (i, request) in strategy.requests.into_iter().enumerate() {
                    parts.push(RemotePart::tap(
                        &strategy.service,
                        &strategy.url,
                        request,
                        (i == 0).then(|| note.clone()).flatten(),
                    ));
                }
            }
        } else if let Some(source) = node.downcast_ref::<SourceScanExec>() {
            parts.push(RemotePart {
                service: source.service().to_string(),
                url: source.url().to_string(),
                kind: RequestKind::Source,
                query: None,
                request: source.request().to_string(),
                uploads: Vec::new(),
                note: None,
            });
        }
        todo.extend(children.into_iter().rev());
    }
    Ok(parts)
}
