//! [`RemoteService::fetch`]: the one way a query reaches a service and its answer comes back.
//!
//! Remote parts, the overflow splitter, the cross-service strategies and the planner's probes all send
//! through it, so three rules live here and nowhere else:
//!
//! 1. **What is sent is valid for the service**: the query tree is printed, parsed again under the
//!    service's ADQL version, features and UDFs, and compared with the tree ([`checked_text`]).
//! 2. **Batches have the planned types**: columns are taken by position and cast where the service's
//!    types differ ([`conform`]).
//! 3. **An answer is complete or says it is not**: it is truncated when the service reports an overflow,
//!    or when it holds MAXREC rows or more and the query's own bound on its rows ([`row_bound`]: its
//!    `TOP`, or one row for an aggregate without `GROUP BY`) does not explain them.

use std::ops::Range;
use std::sync::Arc;

use adql_syntax::ast::{Expr, Query, SelectItem, SelectList, TableRef};
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::error::{FederationError, Result};
use crate::executor::{RemoteEvent, RemoteStream, UploadTable};
use crate::service::RemoteService;
use crate::unparser::checked_text;

/// The answer to one request, read batch by batch.
pub struct Answer {
    service: Arc<RemoteService>,
    text: String,
    bound: Option<u64>,
    schema: Option<SchemaRef>,
    events: RemoteStream,
    rows: u64,
    reported_overflow: bool,
    ended: bool,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("service", &self.service.name)
            .field("text", &self.text)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl RemoteService {
    /// Sends `query` (checked first, see the [module](self) rules) with `uploads` attached, and returns
    /// its answer, conformed to `schema` when one is given.
    ///
    /// # Errors
    /// The query is not valid for the service (nothing is sent), or the request failed.
    pub async fn fetch(
        self: &Arc<Self>,
        query: &Query,
        uploads: Vec<UploadTable>,
        schema: Option<SchemaRef>,
    ) -> Result<Answer> {
        let text =
            checked_text(query, &self.capabilities).map_err(|e| FederationError::Remote {
                service: self.name.clone(),
                url: self.url.clone(),
                message: e.to_string(),
            })?;
        let request = self.request(text.clone());
        let events = if uploads.is_empty() {
            self.executor.execute(request).await?
        } else {
            self.executor.execute_with_uploads(request, uploads).await?
        };
        Ok(Answer {
            service: Arc::clone(self),
            text,
            bound: row_bound(query),
            schema,
            events,
            rows: 0,
            reported_overflow: false,
            ended: false,
        })
    }
}

impl RemoteService {
    /// Every row of `query` (with `uploads`), conformed to `schema`: [`fetch`](Self::fetch), then
    /// [`Answer::collect_complete`].
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch), and [`FederationError::Overflow`] when the answer was cut short.
    pub async fn fetch_all(
        self: &Arc<Self>,
        query: &Query,
        uploads: Vec<UploadTable>,
        schema: SchemaRef,
    ) -> Result<Vec<RecordBatch>> {
        // Boxed: callers run deep inside DataFusion's planning and execution.
        let answer = Box::pin(self.fetch(query, uploads, Some(schema))).await?;
        Box::pin(answer.collect_complete()).await
    }

    /// Every row answering the inputs `range` (keys of a bind join, positions of an upload join), where
    /// `request` builds the request for a sub-range: one request for the whole range, and each half sent
    /// again while an answer is cut at MAXREC, so that a block too large for the service's limit is
    /// still answered whole. One input whose own answer overflows is the error, and so is any overflow
    /// when `split` is false (the `fail` overflow policy).
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch) and `request`; [`FederationError::Overflow`] for an overflow not halved.
    pub(crate) async fn fetch_halving<F>(
        self: &Arc<Self>,
        range: Range<usize>,
        schema: &SchemaRef,
        split: bool,
        request: F,
    ) -> datafusion::error::Result<Vec<RecordBatch>>
    where
        F: Fn(Range<usize>) -> datafusion::error::Result<(Query, Vec<UploadTable>)>,
    {
        let mut todo = vec![range];
        let mut out = Vec::new();
        while let Some(range) = todo.pop() {
            let (query, uploads) = request(range.clone())?;
            let answer = Box::pin(self.fetch(&query, uploads, Some(Arc::clone(schema)))).await?;
            let overflow = answer.overflow_error();
            let collected = Box::pin(answer.collect()).await?;
            if !collected.truncated {
                out.extend(collected.batches);
            } else if split && range.len() > 1 {
                let mid = range.start + range.len() / 2;
                todo.push(mid..range.end);
                todo.push(range.start..mid);
            } else {
                return Err(overflow.into());
            }
        }
        Ok(out)
    }
}

/// Every batch of an answer, and whether the answer was cut short.
#[derive(Debug)]
pub struct Collected {
    /// The batches, in order.
    pub batches: Vec<RecordBatch>,
    /// The answer stopped at the service's row limit: rows are missing.
    pub truncated: bool,
}

impl Answer {
    /// The next batch, conformed; `None` after the last one.
    ///
    /// # Errors
    /// The transfer failed, or a batch does not have the planned columns.
    pub async fn next_batch(&mut self) -> Option<Result<RecordBatch>> {
        while !self.ended {
            match self.events.next().await {
                None => self.ended = true,
                Some(Err(e)) => {
                    self.ended = true;
                    return Some(Err(e));
                }
                Some(Ok(RemoteEvent::Overflow)) => self.reported_overflow = true,
                Some(Ok(RemoteEvent::Batch(batch))) => {
                    self.rows += batch.num_rows() as u64;
                    return Some(match &self.schema {
                        Some(schema) => conform(batch, schema, &self.service),
                        None => Ok(batch),
                    });
                }
            }
        }
        None
    }

    /// Whether the rows read so far are cut at the service's row limit (meaningful once the answer
    /// has ended).
    pub fn truncated(&self) -> bool {
        truncated(
            self.reported_overflow,
            self.rows,
            self.service.maxrec,
            self.bound,
        )
    }

    /// The error for a truncated answer: the service, its URL, MAXREC and the ADQL sent.
    pub fn overflow_error(&self) -> FederationError {
        FederationError::Overflow {
            service: self.service.name.clone(),
            url: self.service.url.clone(),
            maxrec: self.service.maxrec,
            adql: self.text.clone(),
        }
    }

    /// Reads the whole answer.
    ///
    /// # Errors
    /// As [`next_batch`](Self::next_batch).
    pub async fn collect(mut self) -> Result<Collected> {
        let mut batches = Vec::new();
        while let Some(batch) = self.next_batch().await {
            batches.push(batch?);
        }
        Ok(Collected {
            truncated: self.truncated(),
            batches,
        })
    }

    /// Reads the whole answer, which must be complete.
    ///
    /// # Errors
    /// As [`next_batch`](Self::next_batch), and [`FederationError::Overflow`] when it was cut short.
    pub async fn collect_complete(mut self) -> Result<Vec<RecordBatch>> {
        let mut batches = Vec::new();
        while let Some(batch) = self.next_batch().await {
            batches.push(batch?);
        }
        if self.truncated() {
            return Err(self.overflow_error());
        }
        Ok(batches)
    }

    /// The batches as they arrive, ending with [`FederationError::Overflow`] when the answer was cut
    /// short (after its rows: a consumer that must not see a partial answer collects first).
    pub fn into_stream(self) -> BoxStream<'static, Result<RecordBatch>> {
        futures::stream::unfold(Some(self), |state| async move {
            let mut answer = state?;
            match answer.next_batch().await {
                Some(Ok(batch)) => Some((Ok(batch), Some(answer))),
                Some(Err(e)) => Some((Err(e), None)),
                None if answer.truncated() => Some((Err(answer.overflow_error()), None)),
                None => None,
            }
        })
        .boxed()
    }
}

/// Whether an answer of `rows` rows is cut at the service's row limit: the service said so, or it holds
/// `maxrec` rows or more and the query's own bound (`bound`, see [`row_bound`]) does not explain them.
pub(crate) fn truncated(
    reported: bool,
    rows: u64,
    maxrec: Option<u64>,
    bound: Option<u64>,
) -> bool {
    reported || maxrec.is_some_and(|m| rows >= m && bound.is_none_or(|b| b > m))
}

/// The most rows `query` can return whatever the tables hold, when the query itself says: the `TOP` of
/// its `SELECT`, one row for an aggregate without `GROUP BY`, and, over a single derived table (which
/// `WHERE`, `GROUP BY` and `DISTINCT` can only thin out), that table's bound.
pub(crate) fn row_bound(query: &Query) -> Option<u64> {
    let select = query.as_select()?;
    let own = select.top;
    let aggregate = (select.group_by.is_empty() && is_aggregate_list(&select.items)).then_some(1);
    let inner = match select.from.as_slice() {
        [TableRef::Derived { subquery, .. }] => row_bound(subquery),
        _ => None,
    };
    [own, aggregate, inner].into_iter().flatten().min()
}

/// Whether every item of the select list is an aggregate (so the `SELECT` returns one row).
fn is_aggregate_list(items: &SelectList) -> bool {
    let SelectList::Items(items) = items else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|item| match item {
            SelectItem::Expr { expr, .. } => match expr {
                Expr::CountStar(_) => true,
                Expr::Function(f) => f.builtin_name().is_some_and(|b| b.is_aggregate()),
                _ => false,
            },
            SelectItem::QualifiedWildcard { .. } => false,
        })
}

/// Makes `batch` a batch of `schema`: columns by position, cast where the service's types differ.
pub(crate) fn conform(
    batch: RecordBatch,
    schema: &SchemaRef,
    service: &RemoteService,
) -> Result<RecordBatch> {
    if schema.fields().is_empty() {
        // The query selected a constant only to count rows.
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        return RecordBatch::try_new_with_options(Arc::clone(schema), vec![], &options)
            .map_err(|e| FederationError::DataFusion(e.into()));
    }
    if batch.num_columns() != schema.fields().len() {
        return Err(FederationError::SchemaMismatch {
            service: service.name.clone(),
            url: service.url.clone(),
            expected: schema.fields().len(),
            found: batch.num_columns(),
        });
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                cast(column, field.data_type())
            }
        })
        .collect::<std::result::Result<Vec<ArrayRef>, _>>()
        .map_err(|e| FederationError::Remote {
            service: service.name.clone(),
            url: service.url.clone(),
            message: format!("a column of the answer does not convert to the planned type: {e}"),
        })?;
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|e| FederationError::DataFusion(e.into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn bound(adql: &str) -> Option<u64> {
        row_bound(&adql_syntax::parse(adql).unwrap())
    }

    #[test]
    fn a_query_bounds_its_rows_by_its_own_top_and_aggregates() {
        assert_eq!(bound("SELECT TOP 5 a FROM t"), Some(5));
        assert_eq!(bound("SELECT a FROM t"), None);
        assert_eq!(bound("SELECT COUNT(*) AS n, MAX(a) AS m FROM t"), Some(1));
        assert_eq!(bound("SELECT COUNT(*) AS n FROM t GROUP BY a"), None);
        // Through derived tables, which WHERE and DISTINCT only thin out.
        assert_eq!(
            bound("SELECT q.* FROM (SELECT TOP 3 a FROM t) AS q WHERE q.a > 1"),
            Some(3)
        );
        assert_eq!(
            bound("SELECT TOP 9 * FROM (SELECT TOP 3 a FROM t) AS q"),
            Some(3)
        );
        assert_eq!(
            bound("SELECT DISTINCT q.a FROM (SELECT TOP 4 a FROM t) AS q"),
            Some(4)
        );
        // A join can multiply rows.
        assert_eq!(
            bound("SELECT q.a FROM (SELECT TOP 3 a FROM t) AS q, u"),
            None
        );
    }

    #[test]
    fn maxrec_rows_are_a_truncation_unless_the_query_bounds_them() {
        assert!(truncated(true, 0, None, None));
        assert!(!truncated(false, 9, Some(10), None));
        assert!(truncated(false, 10, Some(10), None));
        assert!(!truncated(false, 10, Some(10), Some(10)));
        assert!(truncated(false, 10, Some(10), Some(11)));
        assert!(!truncated(false, 1, Some(1), Some(1)));
    }
}
