//! [`SourceScanExec`]: one request to a service that is not TAP, streamed as the table's rows.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, new_null_array};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::util::display::FormatOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use crate::error::FederationError;
use crate::leaf_exec::leaf_exec_methods;

/// Opens the stream of one request (called once per execution).
pub type OpenStream = Arc<dyn Fn() -> BoxStream<'static, Result<RecordBatch>> + Send + Sync>;

/// Runs one request to a non-TAP service and streams its rows, conformed to the planned schema and
/// cut at the scan's limit. EXPLAIN prints the request.
pub struct SourceScanExec {
    name: &'static str,
    service: String,
    url: String,
    request: String,
    schema: SchemaRef,
    fetch: Option<usize>,
    open: OpenStream,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for SourceScanExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("request", &self.request)
            .field("fetch", &self.fetch)
            .finish_non_exhaustive()
    }
}

impl SourceScanExec {
    /// An operator called `name` (in EXPLAIN) that sends `request` (its printed form) to `service` at
    /// `url` through `open`, producing batches of `schema`, at most `fetch` rows.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        service: String,
        url: String,
        request: String,
        schema: SchemaRef,
        fetch: Option<usize>,
        open: OpenStream,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            name,
            service,
            url,
            request,
            schema,
            fetch,
            open,
            properties,
        }
    }

    /// The request as printed by EXPLAIN.
    pub fn request(&self) -> &str {
        &self.request
    }

    /// The service it asks.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The service's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl DisplayAs for SourceScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.request)?;
        if let Some(n) = self.fetch {
            write!(f, ", fetch={n}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for SourceScanExec {
    fn name(&self) -> &str {
        self.name
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    leaf_exec_methods!();

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "{} has one partition, not {partition}",
                self.name
            )));
        }
        let schema = Arc::clone(&self.schema);
        let batches = (self.open)();
        let stream = match self.fetch {
            None => batches,
            // Stop reading (and paging) once the limit is reached.
            Some(limit) => batches
                .scan(0usize, move |seen, batch| {
                    let out = match batch {
                        Ok(_) if *seen >= limit => None,
                        Ok(b) => {
                            let keep = (limit - *seen).min(b.num_rows());
                            *seen += keep;
                            Some(Ok(b.slice(0, keep)))
                        }
                        Err(e) => Some(Err(e)),
                    };
                    futures::future::ready(out)
                })
                .boxed(),
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            stream.try_filter(|b| futures::future::ready(b.num_rows() > 0)),
        )))
    }
}

/// Makes `batch` a batch of `target`: columns by name, cast where the service's types differ (a
/// value that does not convert is an error, never a silent NULL), absent columns NULL.
pub fn conform_by_name(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch, String> {
    let options = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    let columns = target
        .fields()
        .iter()
        .map(|field| match batch.schema().index_of(field.name()) {
            Ok(i) => {
                let column = batch.column(i);
                if column.data_type() == field.data_type() {
                    Ok(Arc::clone(column))
                } else {
                    cast_with_options(column, field.data_type(), &options).map_err(|e| {
                        format!(
                            "column {} ({} as sent) does not convert to {}: {e}",
                            field.name(),
                            column.data_type(),
                            field.data_type()
                        )
                    })
                }
            }
            Err(_) => Ok(new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<ArrayRef>, String>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::clone(target), columns, &options)
        .map_err(|e| e.to_string())
}

/// A remote failure of `service` at `url`.
pub(crate) fn remote(service: &str, url: &str, e: impl fmt::Display) -> FederationError {
    FederationError::Remote {
        service: service.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    }
}
