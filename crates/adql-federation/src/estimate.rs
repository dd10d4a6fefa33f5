//! How many rows a remote part has, before its rows move: the capped `COUNT` probe, its cache, and the
//! guard that refuses a part larger than the service's limit ([`RemoteService::max_rows`]).
//!
//! A remote archive table holds up to 1e9 rows; a query that would fetch such a table whole, because
//! nothing in it bounds the rows (no positional constraint, no selective filter, no smaller side to join
//! with), must be refused before its data request is sent, with a message saying what would bound it.

use std::sync::Arc;
use std::time::Instant;

use adql_syntax::ast::{
    Expr, Query, Select, SelectItem, SelectList, Span, TableName, TableRef, Visitor,
};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};

use crate::error::{FederationError, Result};
use crate::fetch::row_bound;
use crate::row_count::RowCount;
use crate::service::RemoteService;

/// `SELECT COUNT(*) AS n FROM (SELECT TOP cap * FROM (<query>) AS q0) AS q`: how many rows `query` has,
/// counting no further than `cap` (a server counts to the cap, never the whole table).
pub(crate) fn capped_count(query: &Query, cap: u64) -> Query {
    Query::select(Select::new(
        SelectList::Items(vec![SelectItem::aliased(Expr::CountStar(Span::EMPTY), "n")]),
        vec![TableRef::derived(first_rows(query, cap), "q")],
    ))
}

/// `SELECT TOP n * FROM (<query>) AS q0`.
pub(crate) fn first_rows(query: &Query, n: u64) -> Query {
    Query::select(
        Select::new(
            SelectList::Wildcard(Span::EMPTY),
            vec![TableRef::derived(query.clone(), "q0")],
        )
        .with_top(n),
    )
}

impl RemoteService {
    /// How many rows `query` has, counting no further than `limit + 1`: from the count cache while the
    /// service's description is trusted ([`RemoteService::count_ttl`]), else by a capped `COUNT` probe
    /// (then cached).
    ///
    /// # Errors
    /// The probe failed.
    pub async fn row_count(self: &Arc<Self>, query: &Query, limit: u64) -> Result<RowCount> {
        let text = query.to_string();
        if let Some(count) = self.cached_count(&text)
            && count.decides(limit)
        {
            return Ok(count);
        }
        let cap = limit.saturating_add(1);
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let batches = self
            .fetch_all(&capped_count(query, cap), Vec::new(), schema)
            .await?;
        let rows: i64 = batches
            .iter()
            .filter_map(|b| b.column(0).as_primitive_opt::<Int64Type>().cloned())
            .flat_map(|a| a.iter().flatten().collect::<Vec<_>>())
            .sum();
        let rows = u64::try_from(rows).unwrap_or(0);
        let count = RowCount {
            rows,
            exact: rows < cap,
        };
        self.remember_count(text, count);
        Ok(count)
    }

    fn cached_count(&self, text: &str) -> Option<RowCount> {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (count, at) = counts.get(text)?;
        (at.elapsed() < self.count_ttl).then_some(*count)
    }

    fn remember_count(&self, text: String, count: RowCount) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A lower bound never replaces a better answer.
        let keep = counts
            .get(&text)
            .is_some_and(|(old, at)| at.elapsed() < self.count_ttl && old.exact && !count.exact);
        if !keep {
            counts.insert(text, (count, Instant::now()));
        }
    }

    /// Refuses `query` before its rows move when it could fetch more than [`RemoteService::max_rows`]
    /// rows. It passes without a request when its own bound (a `TOP`, an aggregate) or `at_most` (the
    /// rows the service says the one table it reads has) is within the limit; otherwise a capped `COUNT`
    /// decides.
    ///
    /// # Errors
    /// [`FederationError::TooLarge`], naming the service, the tables, the count and what would bound the
    /// part; or the probe's failure.
    pub async fn check_size(self: &Arc<Self>, query: &Query, at_most: Option<u64>) -> Result<()> {
        let Some(limit) = self.max_rows else {
            return Ok(());
        };
        if [row_bound(query), at_most]
            .into_iter()
            .flatten()
            .any(|b| b <= limit)
        {
            return Ok(());
        }
        let count = self.row_count(query, limit).await?;
        if !count.exceeds(limit) {
            return Ok(());
        }
        Err(FederationError::TooLarge {
            service: self.name.clone(),
            url: self.url.clone(),
            tables: table_names(query),
            estimate: count,
            limit,
            adql: query.to_string(),
        })
    }
}

/// The tables `query` reads, as written.
fn table_names(query: &Query) -> Vec<String> {
    #[derive(Default)]
    struct Names(Vec<String>);
    impl Visitor for Names {
        fn visit_table_name(&mut self, name: &TableName) {
            let name = name.to_string();
            if !self.0.contains(&name) {
                self.0.push(name);
            }
        }
    }
    let mut names = Names::default();
    names.visit_query(query);
    names.0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn probes_are_capped_and_counts_say_whether_they_decide() {
        let part = adql_syntax::parse("SELECT s.ra FROM gaia.src AS s").unwrap();
        assert_eq!(
            capped_count(&part, 11).to_string(),
            "SELECT COUNT(*) AS n FROM (SELECT TOP 11 * FROM (SELECT s.ra FROM gaia.src AS s) AS q0) AS q"
        );
        let lower = RowCount {
            rows: 11,
            exact: false,
        };
        assert!(lower.exceeds(10) && lower.decides(10) && !lower.decides(20));
        assert!(
            !RowCount {
                rows: 10,
                exact: true
            }
            .exceeds(10)
        );
        assert_eq!(lower.to_string(), "at least 11");
        assert!(
            RowCount {
                rows: 5,
                exact: true
            }
            .decides(1_000)
        );
        assert_eq!(table_names(&part), ["gaia.src"]);
    }
}
