//! [`BoundTopKAggregation`]: keeps DataFusion's top-K aggregation for small `TOP`s only.
//!
//! For `SELECT TOP n g … GROUP BY g ORDER BY g` (or by a `MIN`/`MAX` of a non-null column), DataFusion's `TopKAggregation` rule gives
//! the aggregate a limit of `n` groups, and its stream allocates a hash table of `10 n` entries up front. A
//! large `TOP` (`TOP 2147483648` is valid ADQL) then asks for hundreds of gigabytes and aborts the process.
//! Above [`MAX_TOPK_GROUPS`] this rule takes the limit off again: the aggregate keeps every group and the
//! sort above it, which carries the same fetch, still returns exactly the first `n` rows.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;

/// The largest `TOP` left to the top-K aggregation (its table then holds at most 100,000 entries).
pub const MAX_TOPK_GROUPS: usize = 10_000;

/// Removes top-K limits above [`MAX_TOPK_GROUPS`] from aggregates; see the [module](self) documentation.
#[derive(Debug, Default)]
pub struct BoundTopKAggregation;

impl PhysicalOptimizerRule for BoundTopKAggregation {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|plan| {
            let Some(aggregate) = plan.downcast_ref::<AggregateExec>() else {
                return Ok(Transformed::no(plan));
            };
            match aggregate.limit_options() {
                Some(limit) if limit.descending().is_some() && limit.limit() > MAX_TOPK_GROUPS => {
                    let unbounded = aggregate.clone().with_limit_options(None);
                    Ok(Transformed::yes(
                        Arc::new(unbounded) as Arc<dyn ExecutionPlan>
                    ))
                }
                _ => Ok(Transformed::no(plan)),
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "bound_topk_aggregation"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use datafusion::physical_plan::displayable;

    use crate::AdqlSession;

    async fn physical_plan(session: &AdqlSession, adql: &str) -> String {
        let frame = session.query(adql).await.unwrap();
        let plan = frame.create_physical_plan().await.unwrap();
        displayable(plan.as_ref()).indent(false).to_string()
    }

    #[tokio::test]
    async fn large_tops_lose_the_topk_limit_and_small_ones_keep_it() {
        let session = AdqlSession::new();
        session
            .context()
            .sql("CREATE TABLE obs (band VARCHAR, flux DOUBLE) AS VALUES ('g', 1.0), ('r', 2.0), ('g', 3.0)")
            .await
            .unwrap();
        let query =
            |top: u64| format!("SELECT TOP {top} band FROM obs GROUP BY band ORDER BY band");
        let small = physical_plan(&session, &query(5)).await;
        assert!(small.contains("lim=[5]"), "{small}");
        let large = physical_plan(&session, &query(2_147_483_648)).await;
        assert!(!large.contains("lim=["), "{large}");
        // And it runs (it used to abort on a 300 GB allocation), with the right rows.
        let rows = session
            .query(&query(2_147_483_648))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    }
}
