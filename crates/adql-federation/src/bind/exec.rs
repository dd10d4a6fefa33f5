//! [`BoundScanExec`]: the big side of a bind join, fetched for the small side's keys only.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use adql_syntax::ast::{Ident, Query};
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::{StreamExt, TryStreamExt, stream};

use super::query::{KEY_COLUMN, Keyed};
use crate::executor::{PlannedRequest, RequestKind, UploadTable};
use crate::leaf_exec::leaf_exec_methods;
use crate::options::{FederationOptions, OverflowPolicy};
use crate::service::RemoteService;
use crate::unparser::literal;

/// How the keys travel to the big side's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTransport {
    /// `WHERE key IN (...)`, at most this many keys per request.
    InList(usize),
    /// A `TAP_UPLOAD` table of keys joined by the service, at most this many keys per table.
    Upload(usize),
}

impl KeyTransport {
    fn per_request(self) -> usize {
        match self {
            KeyTransport::InList(n) | KeyTransport::Upload(n) => n.max(1),
        }
    }
}

/// What [`BoundScanExec`] sends: the big side's remote query, its output names and key column, the
/// distinct keys, and how they travel.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The service answering the big side.
    pub service: Arc<RemoteService>,
    /// The big side's remote query.
    pub query: Query,
    /// Its output names.
    pub names: Vec<Ident>,
    /// The output name of its key column.
    pub key: Ident,
    /// The small side's distinct, non-NULL keys.
    pub keys: ArrayRef,
    /// How they travel.
    pub transport: KeyTransport,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// A `NOT IN`: the big side's NULL key (if any) and, when no row matches, one row of the big side
    /// are fetched too, since both change the answer.
    pub null_aware: bool,
    /// Why this binding was chosen (the costs), for EXPLAIN.
    pub decision: String,
}

impl Binding {
    fn keyed(&self) -> Keyed<'_> {
        Keyed {
            query: &self.query,
            names: &self.names,
            key: &self.key,
        }
    }

    /// The request for keys `range` (the `n`-th request, for the upload's table name).
    fn request(&self, range: Range<usize>, n: usize) -> Result<(Query, Vec<UploadTable>)> {
        let keys = self.keys.slice(range.start, range.len());
        match self.transport {
            KeyTransport::InList(_) => {
                let values = (0..keys.len())
                    .map(|i| {
                        let value = ScalarValue::try_from_array(&keys, i)?;
                        literal(&value).map_err(|e| DataFusionError::Plan(e.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((self.keyed().in_list(values), Vec::new()))
            }
            KeyTransport::Upload(_) => {
                let name = format!("xbj_{n}");
                let schema = Arc::new(Schema::new(vec![Field::new(
                    KEY_COLUMN,
                    keys.data_type().clone(),
                    false,
                )]));
                let batch = RecordBatch::try_new(schema, vec![keys])?;
                let query = self.keyed().upload_join(&name);
                Ok((query, vec![UploadTable { name, batch }]))
            }
        }
    }

    /// The big side's rows for every key, and for a `NOT IN` the rows that decide its NULL semantics.
    async fn fetch(self: Arc<Self>, schema: SchemaRef, split: bool) -> Result<Vec<RecordBatch>> {
        let per = self.transport.per_request();
        let ranges: Vec<Range<usize>> = (0..self.keys.len())
            .step_by(per)
            .map(|start| start..(start + per).min(self.keys.len()))
            .collect();
        let answers: Vec<Vec<RecordBatch>> = stream::iter(ranges)
            .map(|range| {
                let (this, schema) = (Arc::clone(&self), Arc::clone(&schema));
                async move {
                    // Halved while an answer is cut at MAXREC (see `RemoteService::fetch_halving`).
                    let service = Arc::clone(&this.service);
                    service
                        .fetch_halving(range, &schema, split, |r| {
                            this.request(r.clone(), r.start / per + 1)
                        })
                        .await
                }
            })
            .buffer_unordered(self.concurrency.max(1))
            .try_collect()
            .await?;
        let mut batches: Vec<RecordBatch> = answers.into_iter().flatten().collect();
        if self.null_aware {
            let probe = |query: Query| {
                let (service, schema) = (Arc::clone(&self.service), Arc::clone(&schema));
                async move { service.fetch_all(&query, Vec::new(), schema).await }
            };
            batches.extend(probe(self.keyed().null_key()).await?);
            if batches.iter().all(|b| b.num_rows() == 0) {
                // Its key matches none of the small side's keys (no row did), so it only makes the big
                // side non-empty.
                batches.extend(probe(self.keyed().any_row()).await?);
            }
        }
        Ok(batches)
    }
}

/// The big side of a bind join: its remote query sent for the small side's keys only (as `IN` lists or
/// uploaded tables, a bounded number at once), never the whole big side. Its rows are the remote query's
/// rows whose key is one of the keys (a superset of those that join), so the join above it, run
/// locally, gives exactly its own answer.
#[derive(Debug)]
pub struct BoundScanExec {
    binding: Arc<Binding>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl BoundScanExec {
    /// The rows of `binding`, producing `schema` (the big side's remote query's schema).
    pub fn new(binding: Binding, schema: SchemaRef) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self {
            binding: Arc::new(binding),
            schema,
            properties,
        }
    }

    /// What it sends.
    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// Every request it sends, in order, with its role and the rows of the table it uploads: one per
    /// list or table of keys (more only if an answer is cut at MAXREC and the keys are halved), then the
    /// `NOT IN` probe.
    pub fn requests(&self) -> Result<Vec<PlannedRequest>> {
        let b = &self.binding;
        let per = b.transport.per_request();
        let kind = match b.transport {
            KeyTransport::InList(_) => RequestKind::KeyList,
            KeyTransport::Upload(_) => RequestKind::KeyUpload,
        };
        let mut out = Vec::new();
        for (n, start) in (0..b.keys.len()).step_by(per).enumerate() {
            let (query, uploads) = b.request(start..(start + per).min(b.keys.len()), n + 1)?;
            let uploads = uploads
                .into_iter()
                .map(|u| (u.name, u.batch.num_rows()))
                .collect();
            out.push(PlannedRequest {
                kind,
                query,
                uploads,
            });
        }
        if b.null_aware {
            out.push(PlannedRequest::plain(
                RequestKind::NullProbe,
                b.keyed().null_key(),
            ));
        }
        Ok(out)
    }
}

impl DisplayAs for BoundScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let b = &self.binding;
        let per = b.transport.per_request();
        let requests = b.keys.len().div_ceil(per);
        let how = match b.transport {
            KeyTransport::InList(n) => format!("IN lists of at most {n} keys"),
            KeyTransport::Upload(n) => format!("TAP_UPLOAD tables of at most {n} keys"),
        };
        write!(
            f,
            "BoundScanExec: service={} url={} keys={} as {how} ({requests} requests, {} at a time); {}",
            b.service.name,
            b.service.url,
            b.keys.len(),
            b.concurrency,
            b.decision
        )?;
        if let Ok((query, _)) = b.request(0..per.min(b.keys.len()), 1) {
            let text = query.to_string();
            // One request is shown; an IN list of a thousand keys is cut after its first ones.
            let shown: String = text.chars().take(400).collect();
            write!(f, "; first request: {shown}")?;
            if shown.len() < text.len() {
                f.write_str(" …")?;
            }
        }
        if b.null_aware {
            write!(f, "; then, for NOT IN: {}", b.keyed().null_key())?;
        }
        Ok(())
    }
}

impl ExecutionPlan for BoundScanExec {
    fn name(&self) -> &str {
        "BoundScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    leaf_exec_methods!();

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "BoundScanExec has one partition, not {partition}"
            )));
        }
        let (binding, schema) = (Arc::clone(&self.binding), Arc::clone(&self.schema));
        let split = binding
            .service
            .overflow_policy(FederationOptions::of(&context).overflow)
            == OverflowPolicy::Split;
        let rows = stream::once(async move {
            let batches = binding.fetch(schema, split).await?;
            Ok::<_, DataFusionError>(stream::iter(batches.into_iter().map(Ok)))
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            rows,
        )))
    }
}
