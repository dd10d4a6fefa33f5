//! [`RemoteQueryPlanner`]: plans [`RemoteQuery`] nodes into [`RemoteQueryExec`]s.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::error::Result;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use crate::remote_query::RemoteQuery;
use crate::remote_query_exec::RemoteQueryExec;
use crate::service::ServiceRegistry;

/// Plans [`RemoteQuery`] nodes into [`RemoteQueryExec`]s, looking services up in a registry.
#[derive(Debug, Clone)]
pub struct RemoteQueryPlanner {
    services: Arc<ServiceRegistry>,
}

impl RemoteQueryPlanner {
    /// A planner for the services of `services`.
    pub fn new(services: Arc<ServiceRegistry>) -> Self {
        Self { services }
    }
}

#[async_trait]
impl ExtensionPlanner for RemoteQueryPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        _physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(query) = node.as_any().downcast_ref::<RemoteQuery>() else {
            return Ok(None);
        };
        let service = self.services.get(&query.service)?;
        Ok(Some(Arc::new(
            RemoteQueryExec::new(
                service,
                query.query.clone(),
                Arc::clone(query.schema.inner()),
            )
            .with_rows_at_most(query.rows_at_most),
        )))
    }
}

/// DataFusion's physical planner extended with [`RemoteQueryPlanner`] (for a plain DataFusion session;
/// an ADQL session gets the planner through `Federation::extensions`).
#[derive(Debug, Clone)]
pub struct FederatedQueryPlanner {
    remote: RemoteQueryPlanner,
}

impl FederatedQueryPlanner {
    /// A query planner for the services of `services`.
    pub fn new(services: Arc<ServiceRegistry>) -> Self {
        Self {
            remote: RemoteQueryPlanner::new(services),
        }
    }
}

#[async_trait]
impl QueryPlanner for FederatedQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(self.remote.clone())])
            .create_physical_plan(logical_plan, session)
            .await
    }
}
