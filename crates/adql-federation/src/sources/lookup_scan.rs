//! [`LookupScanExec`]: the scan of a [`LookupTable`](super::LookupTable) whose keys are not in the query's
//! filters — waiting for the bind-join planner to [`bind`](LookupScanExec::bind) the keys of the other side
//! of a join.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};

use crate::error::FederationError;
use crate::leaf_exec::leaf_exec_methods;

/// The scan of a lookup table for given keys.
pub(crate) type BindKeys = Arc<dyn Fn(Vec<String>) -> Arc<dyn ExecutionPlan> + Send + Sync>;

/// A lookup with no keys yet. Run as it is, it fails with [`FederationError::KeyRequired`]: a lookup
/// table is never read whole.
pub struct LookupScanExec {
    service: String,
    table: String,
    key: String,
    bind: BindKeys,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for LookupScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupScanExec")
            .field("table", &self.table)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl LookupScanExec {
    /// The scan of `table` (`service.schema.table`, answered by `service` for values of `key`) producing
    /// `schema`; `bind` makes the scan for given keys.
    pub(crate) fn new(
        service: &str,
        table: &str,
        key: &str,
        schema: SchemaRef,
        bind: BindKeys,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            service: service.to_owned(),
            table: table.to_owned(),
            key: key.to_owned(),
            bind,
            properties,
        }
    }

    /// The table's name, `service.schema.table`.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The scan for `keys` (the text sent for each distinct key, in order).
    pub fn bind(&self, keys: Vec<String>) -> Arc<dyn ExecutionPlan> {
        (self.bind)(keys)
    }
}

impl DisplayAs for LookupScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "LookupScanExec: {} has no {} values to look up",
            self.table, self.key
        )
    }
}

impl ExecutionPlan for LookupScanExec {
    fn name(&self) -> &str {
        "LookupScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    leaf_exec_methods!();

    fn execute(
        &self,
        _partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        Err(DataFusionError::from(FederationError::KeyRequired {
            service: self.service.clone(),
            table: self.table.clone(),
            key: self.key.clone(),
        }))
    }
}
