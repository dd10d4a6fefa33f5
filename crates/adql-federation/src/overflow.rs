//! What happens when a remote part hits the service's row limit (MAXREC).
//!
//! A TAP service that stops at MAXREC answers a subset of the rows (`QUERY_STATUS=OVERFLOW`). The
//! federated planner never passes such a subset on: depending on the [`OverflowPolicy`] the part is
//! either fetched again in pieces that each fit under MAXREC ([`OverflowPolicy::Split`], the
//! default) or the query fails naming the service, its URL and the ADQL sent
//! ([`OverflowPolicy::Fail`]).
//!
//! # How a part is split
//!
//! Every piece is the part as a derived table with a condition on one of its output columns:
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
//! [`FederationOptions`] bounds on requests or depth. Every request is re-parsed with
//! `adql_syntax::parse_with` under the service's capabilities before it is sent.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use adql_syntax::ast::{
    Expr as AstExpr, Ident, Literal, OrderDirection, SelectItem, SelectList, SetExpr,
};
use datafusion::arrow::array::{Array, Float64Array, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::{ConfigExtension, ConfigField, Visit};
use datafusion::common::extensions_options;
use datafusion::error::DataFusionError;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::error::FederationError;
use crate::executor::{RemoteEvent, RemoteService};
use crate::physical::conform;

/// What a remote part that overflows MAXREC does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OverflowPolicy {
    /// Fetch it again in pieces that each fit under MAXREC (see the [module](self) documentation).
    #[default]
    Split,
    /// Fail with [`FederationError::Overflow`] naming the service, its URL and the ADQL.
    Fail,
}

impl fmt::Display for OverflowPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Split => "split",
            Self::Fail => "fail",
        })
    }
}

impl FromStr for OverflowPolicy {
    type Err = DataFusionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "split" => Ok(Self::Split),
            "fail" => Ok(Self::Fail),
            other => Err(DataFusionError::Configuration(format!(
                "overflow policy `{other}`: expected `split` or `fail`"
            ))),
        }
    }
}

impl ConfigField for OverflowPolicy {
    fn visit<V: Visit>(&self, v: &mut V, key: &str, description: &'static str) {
        v.some(key, self, description)
    }

    fn set(&mut self, _key: &str, value: &str) -> datafusion::error::Result<()> {
        *self = value.parse()?;
        Ok(())
    }
}

extensions_options! {
    /// Session options of the federated planner: `SessionConfig::with_option_extension`, or
    /// `SET federation.overflow = 'fail'` once the extension is in the session's configuration.
    /// A session without them uses the defaults.
    pub struct FederationOptions {
        /// What a remote part over MAXREC does: `split` (default) or `fail`. A service's own
        /// setting (`overflow` in its configuration) wins over this one.
        pub overflow: OverflowPolicy, default = OverflowPolicy::Split
        /// At most this many requests (probes and pieces) to split one remote part.
        pub split_max_requests: usize, default = 512
        /// At most this many levels of splitting a piece again.
        pub split_max_depth: usize, default = 24
    }
}

impl ConfigExtension for FederationOptions {
    const PREFIX: &'static str = "federation";
}

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

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rust prints f64 without an exponent and with enough digits to read back the same value.
        match self {
            Bound::Int(v) => write!(f, "{v}"),
            Bound::Float(v) => write!(f, "{v}"),
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

/// A part that can be split: its text without ORDER BY, its output columns and its order.
#[derive(Debug)]
struct Splittable {
    inner: String,
    columns: Vec<Ident>,
    /// Split columns, most preferred first.
    candidates: Vec<(usize, KeyKind)>,
    /// `(output column, descending)` of the part's ORDER BY.
    order: Vec<(usize, bool)>,
}

fn ident_eq(a: &Ident, b: &Ident) -> bool {
    if a.quoted || b.quoted {
        a.value == b.value
    } else {
        a.value.eq_ignore_ascii_case(&b.value)
    }
}

/// Why `adql` (planned to produce `schema`) cannot be split, or how it can.
fn analyse(
    adql: &str,
    schema: &SchemaRef,
    options: &adql_syntax::ParseOptions,
) -> Result<Splittable, String> {
    let query =
        adql_syntax::parse_with(adql, options).map_err(|e| format!("it does not parse ({e})"))?;
    if !query.with.is_empty() {
        return Err("it has a WITH clause".into());
    }
    let SetExpr::Select(select) = &query.body else {
        return Err("it is a set operation".into());
    };
    if let Some(top) = select.top {
        return Err(format!(
            "it has TOP {top}: which rows it keeps depends on the whole result (lower TOP or raise MAXREC)"
        ));
    }
    if query.offset.is_some() {
        return Err("it has OFFSET: which rows it keeps depends on the whole result".into());
    }
    let SelectList::Items(items) = &select.items else {
        return Err("its select list is `*`".into());
    };
    let mut columns = Vec::with_capacity(items.len());
    for item in items {
        match item {
            SelectItem::Expr {
                alias: Some(alias), ..
            } => columns.push(alias.clone()),
            SelectItem::Expr {
                expr: AstExpr::Column(c),
                alias: None,
                ..
            } => columns.push(c.column.clone()),
            _ => return Err("an output column has no name".into()),
        }
    }
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
    let mut order = Vec::with_capacity(query.order_by.len());
    for item in &query.order_by {
        let position = match &item.expr {
            AstExpr::Column(c) if c.table.is_none() => {
                columns.iter().position(|n| ident_eq(n, &c.column))
            }
            AstExpr::Literal(Literal::Number(n)) => n
                .to_string()
                .parse::<usize>()
                .ok()
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
    let inner = if query.order_by.is_empty() {
        adql.to_string()
    } else {
        let mut unordered = query.clone();
        unordered.order_by.clear();
        unordered.to_string()
    };
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

/// The rows of one request, and whether the service stopped at its limit.
pub(crate) struct Fetched {
    pub batches: Vec<RecordBatch>,
    pub overflow: bool,
}

/// Runs `adql` on `service` and reads the whole answer; `limit` rows (MAXREC) count as an overflow.
pub(crate) async fn fetch(
    service: &RemoteService,
    adql: String,
    schema: Option<&SchemaRef>,
    limit: Option<u64>,
) -> datafusion::error::Result<Fetched> {
    let mut events = service.executor.execute(service.request(adql)).await?;
    let mut batches = Vec::new();
    let mut rows = 0u64;
    let mut overflow = false;
    while let Some(event) = events.next().await {
        match event? {
            RemoteEvent::Batch(batch) => {
                let batch = match schema {
                    Some(schema) => conform(batch, schema, service)?,
                    None => batch,
                };
                rows += batch.num_rows() as u64;
                batches.push(batch);
            }
            RemoteEvent::Overflow => overflow = true,
        }
    }
    if limit.is_some_and(|m| rows >= m) {
        overflow = true;
    }
    Ok(Fetched { batches, overflow })
}

/// Splits one overflowing part.
struct Splitter {
    service: Arc<RemoteService>,
    adql: String,
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

impl Splitter {
    fn error(&self, reason: impl Into<String>) -> DataFusionError {
        FederationError::OverflowNotSplit {
            service: self.service.name.clone(),
            url: self.service.url.clone(),
            maxrec: self.service.maxrec,
            adql: self.adql.clone(),
            reason: reason.into(),
        }
        .into()
    }

    fn column(&self, col: usize) -> String {
        format!("q.{}", self.part.columns[col])
    }

    fn condition(&self, cond: &Cond) -> String {
        match cond {
            Cond::Null { col } => format!("{} IS NULL", self.column(*col)),
            Cond::Range {
                col,
                lo,
                hi,
                closed,
            } => {
                let c = self.column(*col);
                if *closed && lo == hi {
                    format!("{c} = {lo}")
                } else {
                    format!(
                        "{c} >= {lo} AND {c} {} {hi}",
                        if *closed { "<=" } else { "<" }
                    )
                }
            }
        }
    }

    fn source_and_conditions(&self, piece: &Piece) -> String {
        let mut text = format!("FROM ({}) AS q", self.part.inner);
        for (i, cond) in piece.conds.iter().enumerate() {
            text.push_str(if i == 0 { " WHERE " } else { " AND " });
            text.push_str(&self.condition(cond));
        }
        text
    }

    fn piece_query(&self, piece: &Piece) -> String {
        let mut text = format!("SELECT * {}", self.source_and_conditions(piece));
        for (i, (col, desc)) in self.part.order.iter().enumerate() {
            text.push_str(if i == 0 { " ORDER BY " } else { ", " });
            text.push_str(&self.column(*col));
            text.push_str(if *desc { " DESC" } else { " ASC" });
        }
        text
    }

    /// Counts and checks a request before it goes out.
    fn admit(&mut self, adql: &str) -> datafusion::error::Result<()> {
        self.requests += 1;
        if self.requests > self.limits.max_requests {
            return Err(self.error(format!(
                "splitting needed more than {} requests (federation.split_max_requests)",
                self.limits.max_requests
            )));
        }
        adql_syntax::parse_with(adql, &self.service.capabilities.parse_options()).map_err(|e| {
            self.error(format!(
                "a piece is not valid ADQL for the service ({e}): {adql}"
            ))
        })?;
        Ok(())
    }

    async fn fetch_piece(&mut self, piece: &Piece) -> datafusion::error::Result<Fetched> {
        let adql = self.piece_query(piece);
        self.admit(&adql)?;
        fetch(&self.service, adql, Some(&self.schema), Some(self.limit)).await
    }

    /// `MIN`, `MAX`, `COUNT(*)` and `COUNT(col)` of column `col` in `piece`.
    async fn probe(
        &mut self,
        piece: &Piece,
        col: usize,
        kind: KeyKind,
    ) -> datafusion::error::Result<(Option<(Bound, Bound)>, i64, i64)> {
        let c = self.column(col);
        let adql = format!(
            "SELECT MIN({c}) AS lo, MAX({c}) AS hi, COUNT(*) AS n, COUNT({c}) AS nn {}",
            self.source_and_conditions(piece)
        );
        self.admit(&adql)?;
        let fetched = fetch(&self.service, adql, None, None).await?;
        let Some(batch) = fetched.batches.iter().find(|b| b.num_rows() > 0) else {
            return Err(self.error("the range probe returned no row"));
        };
        if batch.num_columns() != 4 {
            return Err(self.error("the range probe returned an unexpected row"));
        }
        let int = |i: usize| -> datafusion::error::Result<Option<i64>> {
            let a = cast(batch.column(i), &DataType::Int64)?;
            let a = a
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataFusionError::Internal("cast to Int64".into()))?;
            Ok((!a.is_null(0)).then(|| a.value(0)))
        };
        let float = |i: usize| -> datafusion::error::Result<Option<f64>> {
            let a = cast(batch.column(i), &DataType::Float64)?;
            let a = a
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| DataFusionError::Internal("cast to Float64".into()))?;
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
    async fn split(&mut self, piece: Piece) -> datafusion::error::Result<Vec<Piece>> {
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
    ) -> datafusion::error::Result<Option<(Vec<RecordBatch>, (Self, Vec<Task>))>> {
        while let Some(task) = tasks.pop() {
            match task {
                Task::Split(piece) => {
                    let pieces = self.split(piece).await?;
                    tasks.extend(pieces.into_iter().rev().map(Task::Fetch));
                }
                Task::Fetch(piece) => {
                    let fetched = self.fetch_piece(&piece).await?;
                    if fetched.overflow {
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

/// Fetches every row of `adql` (planned to produce `schema`) on `service`, whose first answer
/// overflowed after `seen` rows, by splitting it (see the [module](self) documentation).
pub(crate) fn split(
    service: Arc<RemoteService>,
    adql: String,
    schema: SchemaRef,
    seen: u64,
    limits: SplitLimits,
) -> BoxStream<'static, datafusion::error::Result<RecordBatch>> {
    let options = service.capabilities.parse_options();
    let part = match analyse(&adql, &schema, &options) {
        Ok(part) => part,
        Err(reason) => {
            let error: DataFusionError = FederationError::OverflowNotSplit {
                service: service.name.clone(),
                url: service.url.clone(),
                maxrec: service.maxrec,
                adql,
                reason,
            }
            .into();
            return stream::once(async move { Err(error) }).boxed();
        }
    };
    let limit = service.maxrec.unwrap_or(seen).max(1);
    let splitter = Splitter {
        service,
        adql,
        schema,
        part,
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

    #[test]
    fn policy_parses_and_prints() {
        assert_eq!(
            "Split".parse::<OverflowPolicy>().unwrap(),
            OverflowPolicy::Split
        );
        assert_eq!(
            " fail ".parse::<OverflowPolicy>().unwrap(),
            OverflowPolicy::Fail
        );
        assert!("truncate".parse::<OverflowPolicy>().is_err());
        assert_eq!(OverflowPolicy::default().to_string(), "split");
        let mut config = datafusion::prelude::SessionConfig::new()
            .with_option_extension(FederationOptions::default());
        config
            .options_mut()
            .set("federation.overflow", "fail")
            .unwrap();
        let options = config
            .options()
            .extensions
            .get::<FederationOptions>()
            .unwrap();
        assert_eq!(options.overflow, OverflowPolicy::Fail);
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
        let options = adql_syntax::ParseOptions::default();
        let s = schema(&[
            ("id", DataType::Int64),
            ("ra", DataType::Float64),
            ("s_dec", DataType::Float64),
            ("name", DataType::Utf8),
        ]);
        let part = analyse(
            "SELECT t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t WHERE t.ra > 1",
            &s,
            &options,
        )
        .unwrap();
        // dec first (by name), then the integer id, then other numbers; strings never.
        assert_eq!(
            part.candidates,
            vec![(2, KeyKind::Float), (0, KeyKind::Int), (1, KeyKind::Float)]
        );
        assert!(part.order.is_empty());

        let ordered = analyse(
            "SELECT t.id, t.ra, t.dec AS s_dec, t.name FROM s.t AS t ORDER BY ra DESC, id",
            &s,
            &options,
        )
        .unwrap();
        assert_eq!(ordered.order, vec![(1, true), (0, false)]);
        assert_eq!(
            ordered.candidates,
            vec![(1, KeyKind::Float), (0, KeyKind::Int)]
        );
        assert!(!ordered.inner.contains("ORDER BY"), "{}", ordered.inner);

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
            let err = analyse(adql, &s, &options).unwrap_err();
            assert!(err.contains(why), "{adql}: {err}");
        }
        let strings = schema(&[("name", DataType::Utf8)]);
        let err = analyse("SELECT t.name FROM s.t AS t", &strings, &options).unwrap_err();
        assert!(err.contains("no numeric output column"), "{err}");
    }
}
