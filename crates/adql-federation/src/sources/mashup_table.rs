//! [`MashupTable`]: MAST CAOM observations through the Mashup service
//! `Mast.Caom.Filtered.Position`.
//!
//! # Schema
//!
//! The columns of a `Mast.Caom.Filtered.Position` answer, in its order (the recorded answer
//! `astroquery_mast/advSearchPos.json`), with the types the data have (MAST declares `obsid` and `objID`
//! as strings but sends numbers) and the units of MAST's column configuration for `Mast.Caom.Cone`
//! (`columnsconfig.json`). `distance` is the service's distance of the observation from the cone
//! centre, in arcseconds. A page that lacks a column gives NULLs; a value that does not convert to the
//! column's type is an error.
//!
//! # What is sent
//!
//! A cone on `(s_ra, s_dec)` (see [`super::cone`]) becomes `"position": "ra, dec, radius"`. It is
//! pushed `Inexact`: MAST matches observations by their footprint (`s_region`), not by their
//! centre, so it returns more than `CONTAINS(POINT(s_ra, s_dec), CIRCLE(..))` selects and DataFusion
//! keeps the exact test. Column filters become Mashup filters:
//!
//! | ADQL | Mashup filter | pushdown |
//! | --- | --- | --- |
//! | numeric `=`, `BETWEEN`, `>=`, `<=`, `IN` of one value | one `{"min", "max"}` range (closed; an open side is ±`f64::MAX`) | `Exact` |
//! | numeric `IN` of several values | one range per value | `Inexact` (see `translate`) |
//! | numeric `>`, `<` | the closed range | `Inexact` |
//! | text `=`, `IN` (or `OR` of `=` on one column) | `values` | `Inexact`: MAST compares without case and splits multi-valued columns (`filters`, `obs_collection`, ...) on `;` |
//! | text `LIKE` | `freeText` | `Inexact` (MAST compares without case) |
//!
//! Anything else (`NOT`, `<>`, functions of columns, a second filter on a column that cannot be merged
//! into the first) is `Unsupported` and stays local. Without a cone a scan fails with
//! [`FederationError::PositionRequired`]: the service needs a position.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, Like, Operator, TableProviderFilterPushDown, expr::InList,
};
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use serde_json::Value;
use vo_client::HttpClient;
use vo_client::mashup::{Filter, FilterValues, MashupOptions, MashupRequest, MastClient};

use super::cone::{Cone, column_name, cone_of, literal, number};
use super::scan::{SourceScanExec, conform_by_name, remote};
use crate::error::{FederationError, Result};

/// The schema name of the CAOM observations table in a Mashup service's catalog.
pub const CAOM_SCHEMA: &str = "caom";
/// The table name of the CAOM observations.
pub const CAOM_TABLE: &str = "observations";
/// The Mashup service that answers a cone with filters.
pub const CAOM_SERVICE: &str = "Mast.Caom.Filtered.Position";

/// How a column can be filtered by the Mashup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filterable {
    /// `min`/`max` ranges.
    Ranges,
    /// Values and free text; the separator of multi-valued columns.
    Values(Option<&'static str>),
    /// Not filterable.
    No,
}

/// One column: name, type, unit, description, filter kind.
type ColumnSpec = (
    &'static str,
    DataType,
    Option<&'static str>,
    &'static str,
    Filterable,
);

fn caom_columns() -> Vec<ColumnSpec> {
    use DataType::{Float64 as F, Int64 as I, Utf8 as S};
    use Filterable::{No, Ranges as R, Values as V};
    let multi = V(Some(";"));
    vec![
        ("dataproduct_type", S, None, "Product type", V(None)),
        ("calib_level", I, None, "Calibration level", R),
        ("obs_collection", S, None, "Mission", multi),
        ("obs_id", S, None, "Observation ID", V(None)),
        ("target_name", S, None, "Target name", V(None)),
        ("s_ra", F, Some("deg"), "Right ascension (ICRS)", R),
        ("s_dec", F, Some("deg"), "Declination (ICRS)", R),
        ("t_min", F, Some("d"), "Start time (MJD)", R),
        ("t_max", F, Some("d"), "End time (MJD)", R),
        ("t_exptime", F, Some("s"), "Exposure length", R),
        ("wavelength_region", S, None, "Waveband", multi),
        ("filters", S, None, "Instrument filters", multi),
        ("em_min", F, Some("nm"), "Minimum wavelength", R),
        ("em_max", F, Some("nm"), "Maximum wavelength", R),
        (
            "target_classification",
            S,
            None,
            "Target classification",
            multi,
        ),
        ("obs_title", S, None, "Observation title", V(None)),
        ("t_obs_release", F, Some("d"), "Release date (MJD)", R),
        ("instrument_name", S, None, "Instrument", V(None)),
        ("proposal_pi", S, None, "Principal investigator", V(None)),
        ("proposal_id", S, None, "Proposal ID", V(None)),
        ("project", S, None, "Project", multi),
        ("s_region", S, Some("deg"), "Footprint (STC-S)", No),
        ("jpegURL", S, None, "Preview URL", No),
        ("dataURL", S, None, "Data URL", No),
        ("obsid", I, None, "Product group ID", R),
        ("objID", I, None, "Object ID", R),
        ("objID1", I, None, "Object ID (position search)", No),
        (
            "distance",
            F,
            Some("arcsec"),
            "Distance from the cone centre",
            No,
        ),
    ]
}

/// The Arrow schema of the CAOM observations (see the module documentation).
pub fn caom_schema() -> SchemaRef {
    Arc::new(Schema::new(
        caom_columns()
            .into_iter()
            .map(|(name, dt, unit, description, _)| {
                let mut meta = std::collections::HashMap::from([(
                    "description".to_string(),
                    description.to_string(),
                )]);
                if let Some(unit) = unit {
                    meta.insert("unit".to_string(), unit.to_string());
                }
                Field::new(name, dt, true).with_metadata(meta)
            })
            .collect::<Vec<_>>(),
    ))
}

/// What the filters of a scan translate to.
#[derive(Debug, Clone, Default)]
struct Translation {
    cone: Option<Cone>,
    filters: Vec<Filter>,
    pushdown: Vec<TableProviderFilterPushDown>,
}

/// MAST CAOM observations (`SERVICE.caom.observations`) answered by `Mast.Caom.Filtered.Position`.
#[derive(Debug, Clone)]
pub struct MashupTable {
    service: String,
    url: String,
    client: MastClient,
    schema: SchemaRef,
    columns: Vec<ColumnSpec>,
    page_size: u64,
}

impl MashupTable {
    /// The CAOM observations of the Mashup service `service` at `url` (its `…/api/v0/invoke`
    /// endpoint). `http` carries the MAST token, if one is configured.
    pub fn caom_observations(service: &str, url: &str, http: HttpClient) -> Result<Self> {
        let client = MastClient::with_url(http, url).map_err(|e| remote(service, url, e))?;
        Ok(Self {
            service: service.to_string(),
            url: url.to_string(),
            client,
            schema: caom_schema(),
            columns: caom_columns(),
            page_size: 50_000,
        })
    }

    /// Replaces the client options (polling, deadline, batch size).
    #[must_use]
    pub fn with_options(mut self, options: MashupOptions) -> Self {
        self.client = self.client.with_options(options);
        self
    }

    /// Rows per requested page (default 50 000).
    #[must_use]
    pub fn with_page_size(mut self, rows: u64) -> Self {
        self.page_size = rows.max(1);
        self
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The request a scan with `filters` and `limit` sends (its cache breaker is fresh each time).
    ///
    /// # Errors
    /// No filter is a cone on `(s_ra, s_dec)`: [`FederationError::PositionRequired`].
    pub fn request(&self, filters: &[Expr], limit: Option<usize>) -> Result<MashupRequest> {
        let refs: Vec<&Expr> = filters.iter().collect();
        let t = self.translate(&refs);
        let Some(cone) = t.cone else {
            return Err(FederationError::PositionRequired {
                service: self.service.clone(),
                table: format!("{}.{CAOM_SCHEMA}.{CAOM_TABLE}", self.service),
                hint: "1 = CONTAINS(POINT('ICRS', s_ra, s_dec), CIRCLE('ICRS', ra0, dec0, r)) \
                       or DISTANCE(POINT('ICRS', s_ra, s_dec), POINT('ICRS', ra0, dec0)) < r"
                    .to_string(),
            });
        };
        let mut request = MashupRequest::new(CAOM_SERVICE)
            .filters(&t.filters)
            .position(cone.ra, cone.dec, cone.radius);
        request.pagesize = match limit {
            Some(n) => self.page_size.min(n.max(1) as u64),
            None => self.page_size,
        };
        Ok(request)
    }

    fn column(&self, e: &Expr) -> Option<&ColumnSpec> {
        let name = column_name(e)?;
        self.columns.iter().find(|c| c.0 == name)
    }

    /// Translates the conjunction `filters`: the first cone, then one Mashup filter per column.
    ///
    /// Only one-range filters can be `Exact`, and they are placed first, where they always find room
    /// (a column's first filter, or merged into its one range): DataFusion removes an `Exact` filter
    /// from the plan and asks again about the others in a later pass, so an `Exact` filter must be sent
    /// whatever filters arrive with it at the scan. Filters that may find no room are `Inexact`, so
    /// the plan still applies them when the scan cannot send them.
    fn translate(&self, filters: &[&Expr]) -> Translation {
        use TableProviderFilterPushDown::{Exact, Inexact, Unsupported};
        let mut t = Translation {
            pushdown: vec![Unsupported; filters.len()],
            ..Translation::default()
        };
        let cone_at = filters
            .iter()
            .enumerate()
            .find_map(|(i, f)| cone_of(f, "s_ra", "s_dec").map(|c| (i, c)));
        if let Some((i, cone)) = cone_at {
            t.cone = Some(cone);
            t.pushdown[i] = Inexact;
        }
        let mut candidates: Vec<Option<(Filter, bool)>> = filters
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if cone_at.is_some_and(|(c, _)| c == i) {
                    None
                } else {
                    self.filter_of(f)
                }
            })
            .collect();
        let one_range = |c: &Option<(Filter, bool)>| matches!(c, Some((Filter { values: FilterValues::Ranges(r), .. }, _)) if r.len() == 1);
        let order: Vec<usize> = (0..filters.len())
            .filter(|&i| one_range(&candidates[i]))
            .chain((0..filters.len()).filter(|&i| !one_range(&candidates[i])))
            .collect();
        for i in order {
            let Some((filter, exact)) = candidates[i].take() else {
                continue;
            };
            let kind = if exact { Exact } else { Inexact };
            t.pushdown[i] = match t.filters.iter_mut().find(|e| e.column == filter.column) {
                None => {
                    t.filters.push(filter);
                    kind
                }
                // Two one-range filters on a column are one range: `BETWEEN` arrives as `>=` and
                // `<=`.
                Some(existing) => match (&mut existing.values, &filter.values) {
                    (FilterValues::Ranges(a), FilterValues::Ranges(b))
                        if a.len() == 1 && b.len() == 1 =>
                    {
                        a[0] = (a[0].0.max(b[0].0), a[0].1.min(b[0].1));
                        kind
                    }
                    _ => Unsupported,
                },
            };
        }
        t
    }

    /// One filter as a Mashup filter, and whether the translation is exact.
    fn filter_of(&self, e: &Expr) -> Option<(Filter, bool)> {
        match e {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
                Operator::Or => self.equalities(e),
                Operator::Eq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq => {
                    let (column, value, op) = if self.column(left).is_some() {
                        (left, right, *op)
                    } else {
                        (right, left, op.swap()?)
                    };
                    let spec = self.column(column)?;
                    match spec.4 {
                        Filterable::Ranges => {
                            let v = number(value).filter(|v| !v.is_nan())?;
                            let (lo, hi, exact) = match op {
                                Operator::Eq => (v, v, true),
                                Operator::GtEq => (v, f64::MAX, true),
                                Operator::Gt => (v, f64::MAX, false),
                                Operator::LtEq => (-f64::MAX, v, true),
                                Operator::Lt => (-f64::MAX, v, false),
                                _ => return None,
                            };
                            Some((Filter::range(spec.0, lo, hi), exact))
                        }
                        Filterable::Values(sep) if op == Operator::Eq => {
                            let s = text(value)?;
                            Some((values_filter(spec.0, vec![Value::String(s)], sep), false))
                        }
                        _ => None,
                    }
                }
                _ => None,
            },
            Expr::InList(InList {
                expr,
                list,
                negated: false,
            }) => self.one_of(expr, list.iter()),
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) => {
                let spec = self.column(expr)?;
                let (lo, hi) = (number(low)?, number(high)?);
                (spec.4 == Filterable::Ranges && !lo.is_nan() && !hi.is_nan())
                    .then(|| (Filter::range(spec.0, lo, hi), true))
            }
            Expr::Like(Like {
                negated: false,
                expr,
                pattern,
                escape_char: None,
                ..
            }) => {
                let spec = self.column(expr)?;
                let Filterable::Values(_) = spec.4 else {
                    return None;
                };
                Some((Filter::free_text(spec.0, &text(pattern)?), false))
            }
            _ => None,
        }
    }

    /// `c = a OR c = b OR ...` on one column, as `IN`.
    fn equalities(&self, e: &Expr) -> Option<(Filter, bool)> {
        let mut leaves = Vec::new();
        collect_or(e, &mut leaves);
        let mut column: Option<&Expr> = None;
        let mut values = Vec::new();
        for leaf in leaves {
            let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) = leaf
            else {
                return None;
            };
            let (c, v) = if self.column(left).is_some() {
                (left.as_ref(), right.as_ref())
            } else {
                (right.as_ref(), left.as_ref())
            };
            match column {
                Some(prev) if column_name(prev) != column_name(c) => return None,
                _ => column = Some(c),
            }
            values.push(v);
        }
        self.one_of(column?, values.into_iter())
    }

    /// `column IN (values)`.
    fn one_of<'a>(
        &self,
        column: &Expr,
        values: impl Iterator<Item = &'a Expr>,
    ) -> Option<(Filter, bool)> {
        let spec = self.column(column)?;
        match spec.4 {
            Filterable::Ranges => {
                let ranges = values
                    .map(|v| number(v).filter(|v| !v.is_nan()).map(|v| (v, v)))
                    .collect::<Option<Vec<_>>>()?;
                // Several ranges cannot merge with another filter on the column: not `Exact`
                // (see `translate`).
                let exact = ranges.len() == 1;
                Some((
                    Filter {
                        column: spec.0.to_string(),
                        values: FilterValues::Ranges(ranges),
                        separator: None,
                    },
                    exact,
                ))
            }
            Filterable::Values(sep) => {
                let values = values
                    .map(|v| text(v).map(Value::String))
                    .collect::<Option<Vec<_>>>()?;
                Some((values_filter(spec.0, values, sep), false))
            }
            Filterable::No => None,
        }
    }

    /// How EXPLAIN prints `request`: service, URL and the request object without its random
    /// cache breaker.
    pub fn describe(&self, request: &MashupRequest) -> String {
        let mut shown = request.clone();
        shown.cache_breaker = None;
        format!(
            "service={} url={} request={}",
            self.service,
            self.url,
            shown.to_json()
        )
    }
}

fn values_filter(column: &str, values: Vec<Value>, separator: Option<&str>) -> Filter {
    let filter = Filter::exact(column, values);
    match separator {
        Some(sep) => filter.with_separator(sep),
        None => filter,
    }
}

fn collect_or<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            collect_or(left, out);
            collect_or(right, out);
        }
        other => out.push(other),
    }
}

/// A constant string.
fn text(e: &Expr) -> Option<String> {
    match literal(e)? {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s),
        _ => None,
    }
}

#[async_trait]
impl TableProvider for MashupTable {
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
        Ok(self.translate(filters).pushdown)
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let request = self.request(filters, limit)?;
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        let described = self.describe(&request);
        let (client, service, url) = (self.client.clone(), self.service.clone(), self.url.clone());
        let target = Arc::clone(&schema);
        // Pages are fetched lazily (`query_pages`), so a limit above the scan stops the paging.
        let open = Arc::new(move || {
            let (target, service, url) = (Arc::clone(&target), service.clone(), url.clone());
            client
                .query_pages(request.clone())
                .map(move |batch| {
                    let fail = |e: String| DataFusionError::from(remote(&service, &url, e));
                    let batch = batch.map_err(|e| fail(e.to_string()))?;
                    conform_by_name(&batch, &target).map_err(fail)
                })
                .boxed()
        });
        Ok(Arc::new(SourceScanExec::new(
            "MashupScanExec",
            self.service.clone(),
            self.url.clone(),
            described,
            schema,
            limit,
            open,
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use datafusion::logical_expr::{col, lit};
    use vo_client::ClientConfig;

    use super::*;

    fn table() -> MashupTable {
        MashupTable::caom_observations(
            "mast_mashup",
            "http://127.0.0.1:9/api/v0/invoke",
            HttpClient::new(ClientConfig::default()).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn translations_and_their_exactness() {
        use TableProviderFilterPushDown::{Exact, Inexact, Unsupported};
        let t = table();
        let filters = [
            col("obs_id").like(lit("6374%")),
            col("t_min").gt_eq(lit(1.0)),
            col("t_min").lt_eq(lit(2.0)),
            col("filters")
                .eq(lit("NUV"))
                .or(col("filters").eq(lit("FUV"))),
            col("calib_level").in_list(vec![lit(2i64), lit(3i64)], false),
            lit(100.0).lt(col("em_max")),
            col("obs_id").not_eq(lit("x")),
            col("s_region").eq(lit("x")),
            // Two ranges do not merge into the one already sent for t_min: local.
            col("t_min").in_list(vec![lit(5.0), lit(6.0)], false),
        ];
        let refs: Vec<&Expr> = filters.iter().collect();
        let tr = t.translate(&refs);
        assert_eq!(
            tr.pushdown,
            vec![
                Inexact,
                Exact,
                Exact,
                Inexact,
                Inexact,
                Inexact,
                Unsupported,
                Unsupported,
                Unsupported
            ]
        );
        let json: Vec<Value> = tr.filters.iter().map(Filter::to_json).collect();
        assert_eq!(
            Value::Array(json),
            // One-range filters first (they must always be sent), then the rest in query order.
            serde_json::json!([
                {"paramName": "t_min", "values": [{"min": 1.0, "max": 2.0}]},
                {"paramName": "em_max", "values": [{"min": 100.0, "max": f64::MAX}]},
                {"paramName": "obs_id", "values": [], "freeText": "6374%"},
                {"paramName": "filters", "values": ["NUV", "FUV"], "separator": ";"},
                {"paramName": "calib_level", "values": [{"min": 2.0, "max": 2.0}, {"min": 3.0, "max": 3.0}]},
            ])
        );
        assert!(tr.cone.is_none());
        // The same filters in another order (a later optimizer pass, or the scan): every `Exact`
        // filter is still sent.
        let reordered: Vec<&Expr> = refs.iter().rev().copied().collect();
        let again = t.translate(&reordered);
        for (i, f) in refs.iter().enumerate() {
            if tr.pushdown[i] == Exact {
                let j = reordered.iter().position(|g| g == f).unwrap();
                assert_eq!(again.pushdown[j], Exact, "{f}");
            }
        }
        let err = t.request(&filters, None).unwrap_err();
        assert!(err.to_string().contains("needs a position"), "{err}");
    }
}
