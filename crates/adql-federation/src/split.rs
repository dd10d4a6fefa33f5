//! Fetching a remote part that overflows MAXREC in pieces that each fit under it.
//!
//! A TAP service that stops at MAXREC answers a subset of the rows (`QUERY_STATUS=OVERFLOW`). Under the
//! `split` [`OverflowPolicy`](crate::OverflowPolicy) (the default) the part is fetched again in pieces;
//! every piece is the part as a derived table with a condition on one of its output columns:
//!
//! ```text
//! SELECT * FROM (<part>) AS q WHERE q.dec >= -30 AND q.dec < 0
//! SELECT * FROM (<part>) AS q WHERE q.dec IS NULL
//! ```
//!
//! The column is numeric; position-like columns (`dec` in their name) come first, then integer keys,
//! then other numbers. A probe (`MIN`, `MAX`, `COUNT(*)`, `COUNT(col)` over the same derived table)
//! gives the range, cut into equal-width ranges of about three quarters of MAXREC rows each, plus an
//! `IS NULL` piece when the column has NULLs. A piece that still overflows is probed and split again
//! (a column that is constant or NULL in a piece moves on to the next column). Because the condition
//! sits outside the part, this is exact for anything deterministic, including aggregates and
//! `DISTINCT` (each output row falls in exactly one piece).
//!
//! A part that is ordered (`ORDER BY` without `TOP`) is split on its ordering keys, in order, and the
//! pieces are fetched in key order (NULLs last for ascending keys, first for descending keys, as
//! PostgreSQL-based services sort them), so the concatenation keeps the order.
//!
//! Not split, failing with [`FederationError::OverflowNotSplit`] and the reason: parts with `TOP` or
//! `OFFSET` (which rows they keep depends on the whole result), parts ordered by something that is
//! not a numeric output column, parts without a numeric output column, and splits that exceed the
//! [`FederationOptions`] bounds on requests or depth.

use std::sync::Arc;

use adql_syntax::ast::{
    BinaryOp, BuiltinFunction, Expr, Ident, Literal, OrderByItem, OrderDirection, Query, Select,
    SelectItem, SelectList, Span, TableRef,
};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};

use crate::error::{FederationError, Result};
use crate::fetch::Collected;
use crate::options::FederationOptions;
use crate::service::RemoteService;

/// The kind of value a split column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Int,
    Float,
}

fn key_kind(data_type: &DataType) -> Option<KeyKind> {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Some(KeyKind::Int),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Some(KeyKind::Float),
        _ => None,
    }
}

/// A bound of a range condition.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Int(i64),
    Float(f64),
}

impl Bound {
    fn to_expr(self) -> Expr {
        match self {
            Bound::Int(v) => Expr::signed(i128::from(v)),
            // Probes return finite values only (see `Splitter::probe`).
            Bound::Float(v) => Expr::double(v).unwrap_or_else(Expr::null),
        }
    }
}

/// One condition of a piece, on output column `col`.
#[derive(Debug, Clone, PartialEq)]
enum Cond {
    /// `lo <= col < hi` (`<= hi` when `closed`).
    Range {
        col: usize,
        lo: Bound,
        hi: Bound,
        closed: bool,
    },
    /// `col IS NULL`.
    Null { col: usize },
}

impl Cond {
    fn col(&self) -> usize {
        match self {
            Cond::Range { col, .. } | Cond::Null { col } => *col,
        }
    }

    /// The piece holds one value (or only NULLs) of the column: splitting on it again is useless.
    fn pins(&self) -> bool {
        match self {
            Cond::Null { .. } => true,
            Cond::Range { lo, hi, closed, .. } => *closed && lo == hi,
        }
    }
}

/// A piece of the part: the conditions that select it, and how many splits led to it.
#[derive(Debug, Clone, Default)]
struct Piece {
    conds: Vec<Cond>,
    depth: usize,
}

impl Piece {
    /// This piece with `cond` replacing the conditions on the same column (which it narrows).
    fn with(&self, cond: Cond) -> Piece {
        let mut conds: Vec<Cond> = self
            .conds
            .iter()
            .filter(|c| c.col() != cond.col())
            .cloned()
            .collect();
        conds.push(cond);
        Piece {
            conds,
            depth: self.depth,
        }
    }
}

/// A part that can be split: the part without ORDER BY, its output columns and its order.
#[derive(Debug)]
struct Splittable {
    inner: Query,
    columns: Vec<Ident>,
    /// Split columns, most preferred first.
    candidates: Vec<(usize, KeyKind)>,
    /// `(output column, descending)` of the part's ORDER BY.
    order: Vec<(usize, bool)>,
}

/// Why `part` (planned to produce `schema`) cannot be split, or how it can.
fn analyse(part: &Query, schema: &SchemaRef) -> std::result::Result<Splittable, String> {
    if !part.with.is_empty() {
        return Err("it has a WITH clause".into());
    }
    let Some(select) = part.as_select() else {
        return Err("it is a set operation".into());
    };
    if let Some(top) = select.top {
        return Err(format!(
            "it has TOP {top}: which rows it keeps depends on the whole result (lower TOP or raise MAXREC)"
        ));
    }
    if part.offset.is_some() {
        return Err("it has OFFSET: which rows it keeps depends on the whole result".into());
    }
    if matches!(select.items, SelectList::Wildcard(_)) {
        return Err("its select list is `*`".into());
    }
    let columns: Vec<Ident> = part
        .output_names()
        .ok_or_else(|| "an output column has no name".to_string())?
        .into_iter()
        .cloned()
        .collect();
    if columns.len() != schema.fields().len() {
        return Err(format!(
            "it selects {} columns where {} are planned",
            columns.len(),
            schema.fields().len()
        ));
    }
    let kinds: Vec<Option<KeyKind>> = schema
        .fields()
        .iter()
        .map(|f| key_kind(f.data_type()))
        .collect();
    let mut order = Vec::with_capacity(part.order_by.len());
    for item in &part.order_by {
        let position = match &item.expr {
            Expr::Column(c) if c.table.is_none() => {
                columns.iter().position(|n| n.matches(&c.column))
            }
            Expr::Literal(Literal::Number(n)) => n
                .as_u64()
                .and_then(|p| usize::try_from(p).ok())
                .and_then(|p| p.checked_sub(1))
                .filter(|p| *p < columns.len()),
            _ => None,
        };
        let Some(position) = position else {
            return Err(format!(
                "it is ordered by `{}`, which is not one of its output columns",
                item.expr
            ));
        };
        order.push((position, item.direction == Some(OrderDirection::Desc)));
    }
    let candidates: Vec<(usize, KeyKind)> = if order.is_empty() {
        // Positions first (the dec of a position spreads rows evenly), then integer keys, then
        // other numbers.
        let mut c: Vec<(usize, KeyKind, u8)> = kinds
            .iter()
            .enumerate()
            .filter_map(|(i, k)| k.map(|k| (i, k)))
            .map(|(i, k)| {
                let name = columns[i].value.to_ascii_lowercase();
                let rank = if name.contains("dec") {
                    0
                } else if k == KeyKind::Int && name.ends_with("id") {
                    1
                } else if k == KeyKind::Int {
                    2
                } else {
                    3
                };
                (i, k, rank)
            })
            .collect();
        c.sort_by_key(|&(i, _, rank)| (rank, i));
        c.into_iter().map(|(i, k, _)| (i, k)).collect()
    } else {
        // The order survives only when pieces follow the ordering keys, in order.
        order
            .iter()
            .map_while(|&(i, _)| kinds[i].map(|k| (i, k)))
            .collect()
    };
    if candidates.is_empty() {
        return Err(if order.is_empty() {
            "it has no numeric output column to split on".into()
        } else {
            format!(
                "it is ordered by `{}`, which is not numeric",
                columns[order[0].0]
            )
        });
    }
    let mut inner = part.clone();
    inner.order_by.clear();
    Ok(Splittable {
        inner,
        columns,
        candidates,
        order,
    })
}

/// Bounds of a split.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitLimits {
    pub max_requests: usize,
    pub max_depth: usize,
}

impl From<&FederationOptions> for SplitLimits {
    fn from(o: &FederationOptions) -> Self {
        Self {
            max_requests: o.split_max_requests,
            max_depth: o.split_max_depth,
        }
    }
}

/// Splits one overflowing part.
struct Splitter {
    service: Arc<RemoteService>,
    /// The part as planned (for messages).
    part_text: String,
    schema: SchemaRef,
    part: Splittable,
    /// Rows one request may return (MAXREC, or what the overflowing answer held).
    limit: u64,
    limits: SplitLimits,
    requests: usize,
}

enum Task {
    Fetch(Piece),
    Split(Piece),
}

/// The correlation name of the part inside every piece.
const PART: &str = "q";

impl Splitter {
    fn error(&self, reason: impl Into<String>) -> FederationError {
        FederationError::OverflowNotSplit {
            service: self.service.name.clone(),
            url: self.service.url.clone(),
            maxrec: self.service.maxrec,
            adql: self.part_text.clone(),
            reason: reason.into(),
        }
    }

    fn column(&self, col: usize) -> Expr {
        Expr::column([Ident::new(PART), self.part.columns[col].clone()])
    }

    fn condition(&self, cond: &Cond) -> Expr {
        match cond {
            Cond::Null { col } => Expr::IsNull {
                expr: Box::new(self.column(*col)),
                negated: false,
                span: Span::EMPTY,
            },
            Cond::Range {
                col,
                lo,
                hi,
                closed,
            } => {
                let c = self.column(*col);
                if *closed && lo == hi {
                    c.eq(lo.to_expr())
                } else {
                    let upper = if *closed {
                        BinaryOp::LtEq
                    } else {
                        BinaryOp::Lt
                    };
                    c.clone()
                        .binary(BinaryOp::GtEq, lo.to_expr())
                        .and(c.binary(upper, hi.to_expr()))
                }
            }
        }
    }

    /// `SELECT items FROM (<part>) AS q WHERE <piece>`.
    fn over_piece(&self, items: SelectList, piece: &Piece) -> Select {
        let mut select = Select::new(
            items,
            vec![TableRef::derived(self.part.inner.clone(), PART)],
        );
        select.selection = Expr::conjunction(piece.conds.iter().map(|c| self.condition(c)));
        select
    }

    fn piece_query(&self, piece: &Piece) -> Query {
        let mut query = Query::select(self.over_piece(SelectList::Wildcard(Span::EMPTY), piece));
        query.order_by = self
            .part
            .order
            .iter()
            .map(|&(col, desc)| {
                let direction = if desc {
                    OrderDirection::Desc
                } else {
                    OrderDirection::Asc
                };
                OrderByItem::new(self.column(col), Some(direction))
            })
            .collect();
        query
    }

    /// Counts a request before it goes out.
    fn admit(&mut self) -> Result<()> {
        self.requests += 1;
        if self.requests > self.limits.max_requests {
            return Err(self.error(format!(
                "splitting needed more than {} requests (federation.split_max_requests)",
                self.limits.max_requests
            )));
        }
        Ok(())
    }

    async fn fetch_piece(&mut self, piece: &Piece) -> Result<Collected> {
        self.admit()?;
        let query = self.piece_query(piece);
        let answer = self
            .service
            .fetch(&query, Vec::new(), Some(Arc::clone(&self.schema)))
            .await?;
        let mut collected = answer.collect().await?;
        // What the first answer held is a limit too, when the service declared none.
        let rows: u64 = collected.batches.iter().map(|b| b.num_rows() as u64).sum();
        collected.truncated |= rows >= self.limit;
        Ok(collected)
    }

    /// `MIN`, `MAX`, `COUNT(*)` and `COUNT(col)` of column `col` in `piece`.
    async fn probe(
        &mut self,
        piece: &Piece,
        col: usize,
        kind: KeyKind,
    ) -> Result<(Option<(Bound, Bound)>, i64, i64)> {
        self.admit()?;
        let c = self.column(col);
        let call = |f: BuiltinFunction| Expr::call(f, vec![c.clone()]);
        let items = SelectList::Items(vec![
            SelectItem::aliased(call(BuiltinFunction::Min), "lo"),
            SelectItem::aliased(call(BuiltinFunction::Max), "hi"),
            SelectItem::aliased(Expr::CountStar(Span::EMPTY), "n"),
            SelectItem::aliased(call(BuiltinFunction::Count), "nn"),
        ]);
        let query = Query::select(self.over_piece(items, piece));
        let batches = self
            .service
            .fetch(&query, Vec::new(), None)
            .await?
            .collect_complete()
            .await?;
        let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
            return Err(self.error("the range probe returned no row"));
        };
        if batch.num_columns() != 4 {
            return Err(self.error("the range probe returned an unexpected row"));
        }
        let value = |i: usize, to: &DataType| {
            cast(batch.column(i), to).map_err(|e| self.error(format!("the range probe: {e}")))
        };
        let int = |i: usize| -> Result<Option<i64>> {
            let a = value(i, &DataType::Int64)?;
            let a = a.as_primitive::<Int64Type>();
            Ok((!a.is_null(0)).then(|| a.value(0)))
        };
        let float = |i: usize| -> Result<Option<f64>> {
            let a = value(i, &DataType::Float64)?;
            let a = a.as_primitive::<Float64Type>();
            Ok((!a.is_null(0))
                .then(|| a.value(0))
                .filter(|v| v.is_finite()))
        };
        let range = match kind {
            KeyKind::Int => int(0)?
                .zip(int(1)?)
                .map(|(a, b)| (Bound::Int(a), Bound::Int(b))),
            KeyKind::Float => float(0)?
                .zip(float(1)?)
                .map(|(a, b)| (Bound::Float(a), Bound::Float(b))),
        };
        Ok((range, int(2)?.unwrap_or(0), int(3)?.unwrap_or(0)))
    }

    /// The pieces `piece` (which overflowed) is cut into, in fetch order.
    async fn split(&mut self, piece: Piece) -> Result<Vec<Piece>> {
        if piece.depth >= self.limits.max_depth {
            return Err(self.error(format!(
                "pieces still overflow after {} levels of splitting (federation.split_max_depth)",
                self.limits.max_depth
            )));
        }
        let mut piece = piece;
        piece.depth += 1;
        let candidates = self.part.candidates.clone();
        for (col, kind) in candidates {
            if piece.conds.iter().any(|c| c.col() == col && c.pins()) {
                continue;
            }
            let (range, n, non_null) = self.probe(&piece, col, kind).await?;
            if n == 0 {
                return Ok(Vec::new());
            }
            let null_piece = (non_null < n).then(|| piece.with(Cond::Null { col }));
            let Some((lo, hi)) = range else {
                // Only NULLs here: the same rows, pinned on this column; try the next one.
                piece = piece.with(Cond::Null { col });
                continue;
            };
            let ranges = cut(lo, hi, non_null, self.limit);
            let desc = self
                .part
                .order
                .iter()
                .find(|(c, _)| *c == col)
                .is_some_and(|(_, d)| *d);
            if ranges.len() == 1 && null_piece.is_none() {
                // One value and no NULLs: pin it and split on the next column.
                piece = piece.with(ranges[0].to_cond(col));
                continue;
            }
            let mut pieces: Vec<Piece> =
                ranges.iter().map(|r| piece.with(r.to_cond(col))).collect();
            if desc {
                pieces.reverse();
            }
            if let Some(nulls) = null_piece {
                // PostgreSQL (and DataFusion) sort NULLs last when ascending, first when descending.
                if desc {
                    pieces.insert(0, nulls);
                } else {
                    pieces.push(nulls);
                }
            }
            return Ok(pieces);
        }
        Err(self.error(
            "every column it could be split on is constant or NULL in a piece that still overflows",
        ))
    }

    /// Runs the tasks, yielding the rows of each complete piece in order.
    async fn next(
        mut self,
        mut tasks: Vec<Task>,
    ) -> Result<Option<(Vec<RecordBatch>, (Self, Vec<Task>))>> {
        while let Some(task) = tasks.pop() {
            match task {
                Task::Split(piece) => {
                    let pieces = self.split(piece).await?;
                    tasks.extend(pieces.into_iter().rev().map(Task::Fetch));
                }
                Task::Fetch(piece) => {
                    let fetched = self.fetch_piece(&piece).await?;
                    if fetched.truncated {
                        tasks.push(Task::Split(piece));
                    } else {
                        return Ok(Some((fetched.batches, (self, tasks))));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// A range of a split column.
#[derive(Debug, Clone, Copy)]
struct Cut {
    lo: Bound,
    hi: Bound,
    closed: bool,
}

impl Cut {
    fn to_cond(self, col: usize) -> Cond {
        Cond::Range {
            col,
            lo: self.lo,
            hi: self.hi,
            closed: self.closed,
        }
    }
}

/// `[lo, hi]` cut into equal-width ranges of about three quarters of `limit` rows each (at least
/// two when it can be cut at all); the last range is closed.
fn cut(lo: Bound, hi: Bound, rows: i64, limit: u64) -> Vec<Cut> {
    let target = (limit.saturating_mul(3) / 4).max(1);
    let k = (u64::try_from(rows).unwrap_or(0).div_ceil(target)).clamp(2, 64);
    let mut bounds: Vec<Bound> = match (lo, hi) {
        (Bound::Int(a), Bound::Int(b)) => {
            let (a, b) = (i128::from(a), i128::from(b));
            (0..=k)
                .map(|i| a + (b - a) * i128::from(i) / i128::from(k))
                .filter_map(|v| i64::try_from(v).ok().map(Bound::Int))
                .collect()
        }
        (Bound::Float(a), Bound::Float(b)) => (0..=k)
            .map(|i| {
                if i == k {
                    b
                } else {
                    a + (b - a) * (i as f64) / (k as f64)
                }
            })
            .map(Bound::Float)
            .collect(),
        _ => vec![lo, hi],
    };
    bounds.dedup();
    if bounds.len() < 2 {
        return vec![Cut {
            lo,
            hi,
            closed: true,
        }];
    }
    let last = bounds.len() - 2;
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| Cut {
            lo: w[0],
            hi: w[1],
            closed: i == last,
        })
        .collect()
}

/// Fetches every row of `part` (planned to produce `schema`) on `service`, whose first answer
/// overflowed after `seen` rows, by splitting it (see the [module](self) documentation).
pub(crate) fn split(
    service: Arc<RemoteService>,
    part: Query,
    schema: SchemaRef,
    seen: u64,
    limits: SplitLimits,
) -> BoxStream<'static, Result<RecordBatch>> {
    let part_text = part.to_string();
    let splittable = match analyse(&part, &schema) {
        Ok(s) => s,
        Err(reason) => {
            let error = FederationError::OverflowNotSplit {
                service: service.name.clone(),
                url: service.url.clone(),
                maxrec: service.maxrec,
                adql: part_text,
                reason,
            };
            return stream::once(async move { Err(error) }).boxed();
        }
    };
    let limit = service.maxrec.unwrap_or(seen).max(1);
    let splitter = Splitter {
        service,
        part_text,
        schema,
        part: splittable,
        limit,
        limits,
        requests: 0,
    };
    stream::try_unfold(
        (splitter, vec![Task::Split(Piece::default())]),
        |(splitter, tasks)| splitter.next(tasks),
    )
    .map_ok(|batches| stream::iter(batches.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
        Arc::new(Schema::new(
            fields
                .iter()
                .map(|(n, t)| Field::new(*n, t.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    fn analysed(adql: &str, schema: &SchemaRef) -> std::result::Result<Splittable, String> {
        analyse(&adql_syntax::parse(adql).unwrap(), schema)
    }

    #[test]
    fn cuts_partition_the_range() {
        let cuts = cut(Bound::Int(0), Bound::Int(10), 100, 20);
        assert!(cuts.len() >= 2);
        assert_eq!(cuts[0].lo, Bound::Int(0));
        assert_eq!(cuts.last().unwrap().hi, Bound::Int(10));
        assert!(cuts.last().unwrap().closed);
        assert!(cuts[..cuts.len() - 1].iter().all(|c| !c.closed));
        for w in cuts.windows(2) {
            assert_eq!(w[0].hi, w[1].lo);
        }
        // One value cannot be cut.
        let one = cut(Bound::Float(1.5), Bound::Float(1.5), 1000, 10);
        assert_eq!(one.len(), 1);
        assert!(one[0].closed);
        // Extreme integers do not overflow.
        let wide = cut(Bound::Int(i64::MIN), Bound::Int(i64::MAX), 10, 4);
        assert_eq!(wide.first().unwrap().lo, Bound::Int(i64::MIN));
        assert_eq!(wide.last().unwrap().hi, Bound::Int(i64::MAX));
    }

    #[test]
    fn what_can_be_split() {
        let s = schema(&[
            ("id", DataType::Int64),
            ("ra", DataType::Float64),
            ("s_dec", DataType::Float64),
            ("name", DataType::Utf8),
        ]);
        let part = analysed(
            "SELECT t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t WHERE t.ra > 1",
            &s,
        )
        .unwrap();
        // dec first (by name), then the integer id, then other numbers; strings never.
        assert_eq!(
            part.candidates,
            vec![(2, KeyKind::Float), (0, KeyKind::Int), (1, KeyKind::Float)]
        );
        assert!(part.order.is_empty());

        let ordered = analysed(
            "SELECT t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t ORDER BY ra DESC, id",
            &s,
        )
        .unwrap();
        assert_eq!(ordered.order, vec![(1, true), (0, false)]);
        assert_eq!(
            ordered.candidates,
            vec![(1, KeyKind::Float), (0, KeyKind::Int)]
        );
        assert!(ordered.inner.order_by.is_empty());

        for (adql, why) in [
            (
                "SELECT TOP 10 t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t",
                "TOP 10",
            ),
            (
                "SELECT t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t ORDER BY name",
                "not numeric",
            ),
            (
                "SELECT t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t ORDER BY t.ra + 1",
                "not one of its output",
            ),
            ("SELECT t.id, t.ra FROM s.t AS t", "2 columns"),
        ] {
            let err = analysed(adql, &s).unwrap_err();
            assert!(err.contains(why), "{adql}: {err}");
        }
        let strings = schema(&[("name", DataType::Utf8)]);
        let err = analysed("SELECT t.name FROM s.t AS t", &strings).unwrap_err();
        assert!(err.contains("no numeric output column"), "{err}");
    }

    /// ORDER BY keys name output columns the way ADQL compares identifiers (`Ident::matches`): a regular
    /// key finds a delimited output of any case. (The splitter used to compare delimited names
    /// exactly, so this ordered part could not be split.)
    #[test]
    fn order_keys_match_output_names_as_adql_does() {
        let s = schema(&[("RA", DataType::Float64), ("id", DataType::Int64)]);
        let part = analysed("SELECT t.\"RA\", t.id FROM s.t AS t ORDER BY ra DESC", &s).unwrap();
        assert_eq!(part.order, vec![(0, true)]);
    }

    #[test]
    fn pieces_are_trees_printed_as_adql() {
        let s = schema(&[("dec", DataType::Float64), ("id", DataType::Int64)]);
        let part = analysed("SELECT t.dec, t.id FROM s.t AS t ORDER BY dec", &s).unwrap();
        let splitter = Splitter {
            service: Arc::new(RemoteService::new(
                "svc",
                "http://example.org/tap",
                crate::ServiceCapabilities::adql_2_1_full(),
                Arc::new(NoExecutor),
            )),
            part_text: String::new(),
            schema: s,
            part,
            limit: 10,
            limits: SplitLimits {
                max_requests: 10,
                max_depth: 10,
            },
            requests: 0,
        };
        let piece = Piece::default()
            .with(Cond::Range {
                col: 0,
                lo: Bound::Float(-30.0),
                hi: Bound::Float(-0.5),
                closed: false,
            })
            .with(Cond::Null { col: 1 });
        assert_eq!(
            splitter.piece_query(&piece).to_string(),
            "SELECT * FROM (SELECT t.dec, t.id FROM s.t AS t) AS q \
             WHERE q.dec >= -30.0 AND q.dec < -0.5 AND q.id IS NULL ORDER BY q.dec ASC"
        );
    }

    #[derive(Debug)]
    struct NoExecutor;

    #[async_trait::async_trait]
    impl crate::TapExecutor for NoExecutor {
        async fn execute(&self, request: crate::RemoteRequest) -> Result<crate::RemoteStream> {
            Err(FederationError::Remote {
                service: request.service,
                url: request.url,
                message: "no executor".into(),
            })
        }
    }
}
