//! [`ConeSearchTable`]: a Simple Cone Search service as a table (`SERVICE.scs.cone`).
//!
//! The columns are what the service returns at `VERB=3`, learnt by a probe (a cone of radius 0,
//! which SCS answers with the table's fields and no rows); the position columns are the ones with
//! the UCDs SCS 1.03 requires (`POS_EQ_RA_MAIN`/`POS_EQ_DEC_MAIN`, or their UCD1+ forms
//! `pos.eq.ra;meta.main`/`pos.eq.dec;meta.main`).
//!
//! A cone on the position columns (see [`super::cone`]) is sent as `RA`, `DEC`, `SR`; every other
//! filter stays local. The cone is pushed `Inexact` and `SR` is widened by [`SR_PAD_DEG`]: services
//! compute distances their own way (DaCHS with q3c), so a source on the boundary could be in or out;
//! the widened cone returns it either way and DataFusion keeps exactly the rows the engine's
//! `distance` puts inside. A scan without a cone is [`FederationError::PositionRequired`]; a
//! truncated answer (`QUERY_STATUS=OVERFLOW`) is [`FederationError::Overflow`], never a short result.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use vo_client::HttpClient;
use vo_client::scs::{ConeSearch, Verbosity};

use super::cone::{Cone, cone_of};
use super::scan::{SourceScanExec, conform_by_name, remote};
use crate::error::{FederationError, Result};

/// The schema name of a cone-search table in its service's catalog.
pub const SCS_SCHEMA: &str = "scs";
/// The table name of a cone-search table.
pub const SCS_TABLE: &str = "cone";
/// How much `SR` is widened (degrees, 3.6 milliarcseconds) so that the service's boundary cannot
/// lose a row ADQL's `CONTAINS` keeps.
pub const SR_PAD_DEG: f64 = 1e-6;

const RA_UCDS: &[&str] = &["POS_EQ_RA_MAIN", "pos.eq.ra;meta.main"];
const DEC_UCDS: &[&str] = &["POS_EQ_DEC_MAIN", "pos.eq.dec;meta.main"];

/// A cone-search service as a table.
#[derive(Debug, Clone)]
pub struct ConeSearchTable {
    service: String,
    url: String,
    client: ConeSearch,
    schema: SchemaRef,
    ra_col: String,
    dec_col: String,
}

impl ConeSearchTable {
    /// The table of the service `service` at `url` with the columns `schema` (as the service returns
    /// them at `VERB=3`), its position in `ra_col`/`dec_col`.
    pub fn new(
        service: &str,
        url: &str,
        http: HttpClient,
        schema: SchemaRef,
        ra_col: &str,
        dec_col: &str,
    ) -> Result<Self> {
        let client = ConeSearch::new(http, url)
            .map_err(|e| remote(service, url, e))?
            .with_name(service);
        for c in [ra_col, dec_col] {
            if schema.index_of(c).is_err() {
                return Err(remote(
                    service,
                    url,
                    format!("the position column {c} is not among the columns"),
                ));
            }
        }
        Ok(Self {
            service: service.to_string(),
            url: url.to_string(),
            client,
            schema,
            ra_col: ra_col.to_string(),
            dec_col: dec_col.to_string(),
        })
    }

    /// Learns the columns of the service with a cone of radius 0, and finds the position columns by
    /// their UCDs.
    ///
    /// # Errors
    /// The service fails, or no column has the RA or Dec UCD.
    pub async fn probe(service: &str, url: &str, http: HttpClient) -> Result<Self> {
        let client = ConeSearch::new(http.clone(), url)
            .map_err(|e| remote(service, url, e))?
            .with_name(service);
        let result = client
            .search(0.0, 0.0, 0.0, Some(Verbosity::Full))
            .await
            .map_err(|e| remote(service, url, e))?;
        let schema = result.schema();
        // Read to the end so that the connection is released cleanly (a radius-0 cone has no rows).
        let _empty = result
            .collect()
            .await
            .map_err(|e| remote(service, url, e))?;
        let find = |ucds: &[&str], what: &str| {
            schema
                .fields()
                .iter()
                .find(|f| {
                    f.metadata()
                        .get("ucd")
                        .is_some_and(|u| ucds.iter().any(|w| u.trim().eq_ignore_ascii_case(w)))
                })
                .map(|f| f.name().clone())
                .ok_or_else(|| {
                    remote(
                        service,
                        url,
                        format!(
                            "no column with the UCD {} ({what}) in the cone-search answer",
                            ucds.join(" or ")
                        ),
                    )
                })
        };
        let ra = find(RA_UCDS, "right ascension")?;
        let dec = find(DEC_UCDS, "declination")?;
        Self::new(service, url, http, schema, &ra, &dec)
    }

    /// The position columns (RA, Dec).
    pub fn position_columns(&self) -> (&str, &str) {
        (&self.ra_col, &self.dec_col)
    }

    /// The first cone among `filters`.
    fn cone(&self, filters: &[&Expr]) -> Option<Cone> {
        filters
            .iter()
            .find_map(|f| cone_of(f, &self.ra_col, &self.dec_col))
    }

    /// The cone a scan with `filters` sends, and its widened `SR`.
    fn cone_and_sr(&self, filters: &[Expr]) -> Result<(Cone, f64)> {
        let refs: Vec<&Expr> = filters.iter().collect();
        let Some(cone) = self.cone(&refs) else {
            return Err(FederationError::PositionRequired {
                service: self.service.clone(),
                table: format!("{}.{SCS_SCHEMA}.{SCS_TABLE}", self.service),
                hint: format!(
                    "1 = CONTAINS(POINT('ICRS', {ra}, {dec}), CIRCLE('ICRS', ra0, dec0, r)) \
                     or DISTANCE(POINT('ICRS', {ra}, {dec}), POINT('ICRS', ra0, dec0)) < r",
                    ra = self.ra_col,
                    dec = self.dec_col
                ),
            });
        };
        // Rounded up to 1e-7 degrees so that the parameter prints short (0.300001, not
        // 0.30000099999999996); rounding up keeps it at least the padded radius.
        let sr = ((cone.radius + SR_PAD_DEG) * 1e7).ceil() / 1e7;
        Ok((cone, sr.min(180.0)))
    }

    /// The parameters a scan with `filters` sends: `RA`, `DEC`, `SR` (widened by [`SR_PAD_DEG`]),
    /// `VERB=3`.
    ///
    /// # Errors
    /// No filter is a cone on the position columns: [`FederationError::PositionRequired`].
    pub fn params(&self, filters: &[Expr]) -> Result<Vec<(String, String)>> {
        let (cone, sr) = self.cone_and_sr(filters)?;
        ConeSearch::params(cone.ra, cone.dec, sr, Some(Verbosity::Full))
            .map_err(|e| remote(&self.service, &self.url, e))
    }
}

#[async_trait]
impl TableProvider for ConeSearchTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        let mut have_cone = false;
        Ok(filters
            .iter()
            .map(|f| {
                if !have_cone && cone_of(f, &self.ra_col, &self.dec_col).is_some() {
                    have_cone = true;
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let params = self.params(filters)?;
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let described = format!(
            "service={} url={} params={}",
            self.service,
            self.url,
            query.join("&")
        );
        let (cone, sr) = self.cone_and_sr(filters)?;
        let (client, service, url) = (self.client.clone(), self.service.clone(), self.url.clone());
        let request_text = described.clone();
        let conformed = Arc::clone(&schema);
        let open = Arc::new(move || {
            let (client, target) = (client.clone(), Arc::clone(&conformed));
            let (service, url, request_text) = (service.clone(), url.clone(), request_text.clone());
            let fail = {
                let (service, url) = (service.clone(), url.clone());
                move |e: String| DataFusionError::from(remote(&service, &url, e))
            };
            let opened = async move {
                client
                    .search(cone.ra, cone.dec, sr, Some(Verbosity::Full))
                    .await
                    .map_err(|e| fail(e.to_string()))
            };
            futures::stream::once(opened)
                .flat_map(move |opened| {
                    let (service, url, request_text) =
                        (service.clone(), url.clone(), request_text.clone());
                    let target = Arc::clone(&target);
                    match opened {
                        Err(e) => futures::stream::once(futures::future::ready(Err(e))).boxed(),
                        Ok(result) => futures::stream::unfold(Some(result), move |state| {
                            let (service, url, request_text, target) = (
                                service.clone(),
                                url.clone(),
                                request_text.clone(),
                                Arc::clone(&target),
                            );
                            async move {
                                let mut result = state?;
                                match result.next().await {
                                    Some(Ok(batch)) => {
                                        let b = conform_by_name(&batch, &target).map_err(|e| {
                                            DataFusionError::from(remote(&service, &url, e))
                                        });
                                        Some((b, Some(result)))
                                    }
                                    Some(Err(e)) => Some((
                                        Err(DataFusionError::from(remote(&service, &url, e))),
                                        None,
                                    )),
                                    None => match result.completeness() {
                                        Some(c) if c.is_truncated() => Some((
                                            Err(DataFusionError::from(FederationError::Overflow {
                                                service,
                                                url,
                                                maxrec: None,
                                                adql: request_text,
                                            })),
                                            None,
                                        )),
                                        _ => None,
                                    },
                                }
                            }
                        })
                        .boxed(),
                    }
                })
                .boxed()
        });
        Ok(Arc::new(SourceScanExec::new(
            "ConeSearchExec",
            self.service.clone(),
            self.url.clone(),
            described,
            schema,
            limit,
            open,
        )))
    }
}
