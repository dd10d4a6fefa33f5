//! [`LookupTable`]: a table a service answers only for given values of one column, its key — the links of
//! dataset identifiers (DataLink, `SERVICE.datalink.links` keyed on `ID`) and the products of MAST
//! observations (`Mast.Caom.Products`, `SERVICE.caom.products` keyed on `parent_obsid`).
//!
//! The keys come from the query: a filter on the key (`ID = '…'`, `ID IN (…)`, an `OR` of such), or a join
//! on the key, where the bind-join planner reads the other side first and binds its distinct keys
//! ([`LookupScanExec::bind`]). Key filters are pushed `Inexact` (DataFusion checks every row again). A scan
//! with no keys from either is [`FederationError::KeyRequired`](crate::FederationError::KeyRequired) when
//! it runs, never the whole table.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use vo_client::HttpClient;
use vo_client::datalink::{DataLinkService, links_batch, links_schema};
use vo_client::mashup::MastClient;
use vo_client::products::mast_product_rows;

use super::cone::{column_name, literal};
use super::lookup_scan::LookupScanExec;
use super::mashup_table::CAOM_SCHEMA;
use super::scan::{SourceScanExec, conform_by_name, remote};
use crate::error::Result;

/// The schema of a DataLink service's links table.
pub const DATALINK_SCHEMA: &str = "datalink";
/// The links table of a DataLink service.
pub const DATALINK_TABLE: &str = "links";
/// The products table of a Mashup service (in [`CAOM_SCHEMA`]).
pub const PRODUCTS_TABLE: &str = "products";

/// Identifiers per DataLink request (what DaCHS and the ESA archives accept).
const DATALINK_BATCH: usize = 50;
/// Observations per `Mast.Caom.Products` request.
const MAST_BATCH: usize = 100;

/// Who answers a lookup.
#[derive(Debug, Clone)]
enum Source {
    DataLink(DataLinkService),
    MastProducts(MastClient),
}

/// A table its service answers only for given values of its key column (see the [module](self)).
#[derive(Debug, Clone)]
pub struct LookupTable {
    service: String,
    url: String,
    name: String,
    key: String,
    schema: SchemaRef,
    source: Source,
}

impl LookupTable {
    /// The links table of the DataLink `{links}` endpoint at `url` (`SERVICE.datalink.links`, keyed on
    /// `ID`, the columns of [`links_schema`]).
    ///
    /// # Errors
    /// The URL is invalid.
    pub fn datalink(service: &str, url: &str, http: HttpClient) -> Result<Self> {
        let client = DataLinkService::new(http, url)
            .map_err(|e| remote(service, url, e))?
            .with_batch_size(DATALINK_BATCH);
        Ok(Self {
            service: service.to_owned(),
            url: url.to_owned(),
            name: format!("{service}.{DATALINK_SCHEMA}.{DATALINK_TABLE}"),
            key: "ID".to_owned(),
            schema: links_schema(),
            source: Source::DataLink(client),
        })
    }

    /// The products of MAST observations through the Mashup endpoint at `url`
    /// (`SERVICE.caom.products`, keyed on `parent_obsid`, the columns of [`mast_products_schema`]).
    ///
    /// # Errors
    /// The URL is invalid.
    pub fn mast_products(service: &str, url: &str, http: HttpClient) -> Result<Self> {
        let client = MastClient::with_url(http, url).map_err(|e| remote(service, url, e))?;
        Ok(Self {
            service: service.to_owned(),
            url: url.to_owned(),
            name: format!("{service}.{CAOM_SCHEMA}.{PRODUCTS_TABLE}"),
            key: "parent_obsid".to_owned(),
            schema: mast_products_schema(),
            source: Source::MastProducts(client),
        })
    }

    /// The key column.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The table's name, `service.schema.table`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service's name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The keys a filter on the key column names: `key = v`, `v = key`, `key IN (v, …)`, or an `OR` of
    /// these; `None` for any other filter.
    fn keys_of(&self, filter: &Expr) -> Option<Vec<ScalarValue>> {
        let is_key = |e: &Expr| column_name(e) == Some(self.key.as_str());
        match filter {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
                Operator::Eq if is_key(left) => literal(right).map(|v| vec![v]),
                Operator::Eq if is_key(right) => literal(left).map(|v| vec![v]),
                Operator::Or => {
                    let mut keys = self.keys_of(left)?;
                    keys.extend(self.keys_of(right)?);
                    Some(keys)
                }
                _ => None,
            },
            Expr::InList(list) if !list.negated && is_key(&list.expr) => {
                list.list.iter().map(literal).collect()
            }
            _ => None,
        }
    }

    /// The rows for `keys` (distinct, in order), conformed to `schema` (the table's or a projection of it),
    /// at most `limit`: one operator sending the service's requests when it runs.
    pub(crate) fn scan_keys(
        &self,
        schema: SchemaRef,
        keys: Vec<String>,
        limit: Option<usize>,
    ) -> Arc<dyn ExecutionPlan> {
        let shown: Vec<String> = keys.iter().take(3).map(|k| format!("{k:?}")).collect();
        let more = if keys.len() > 3 { ", …" } else { "" };
        let request = format!(
            "service={} url={} {} IN ({} keys: {}{more})",
            self.service,
            self.url,
            self.key,
            keys.len(),
            shown.join(", ")
        );
        let (source, service, url) = (self.source.clone(), self.service.clone(), self.url.clone());
        let (keys, conformed) = (Arc::new(keys), Arc::clone(&schema));
        let open = Arc::new(move || {
            let (source, service, url) = (source.clone(), service.clone(), url.clone());
            let (keys, target) = (Arc::clone(&keys), Arc::clone(&conformed));
            futures::stream::once(async move {
                let batches = fetch(&source, &keys)
                    .await
                    .map_err(|e| DataFusionError::from(remote(&service, &url, e)))?;
                batches
                    .iter()
                    .map(|b| {
                        conform_by_name(b, &target)
                            .map_err(|e| DataFusionError::from(remote(&service, &url, e)))
                    })
                    .collect::<DfResult<Vec<RecordBatch>>>()
            })
            .flat_map(|batches| match batches {
                Ok(batches) => futures::stream::iter(batches.into_iter().map(Ok)).boxed(),
                Err(e) => futures::stream::once(futures::future::ready(Err(e))).boxed(),
            })
            .boxed()
        });
        Arc::new(SourceScanExec::new(
            "LookupExec",
            self.service.clone(),
            self.url.clone(),
            request,
            schema,
            limit,
            open,
        ))
    }
}

/// Every row for `keys` from `source`.
async fn fetch(source: &Source, keys: &[String]) -> vo_client::Result<Vec<RecordBatch>> {
    match source {
        Source::DataLink(service) => Ok(vec![links_batch(&service.links(keys).await?)?]),
        Source::MastProducts(client) => mast_product_rows(client, keys, MAST_BATCH).await,
    }
}

/// The distinct keys of `values` as the text the service is sent, in first-seen order (NULLs dropped).
pub(crate) fn key_texts(values: impl IntoIterator<Item = ScalarValue>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if v.is_null() {
            continue;
        }
        let text = match &v {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)) => s.clone(),
            other => other.to_string(),
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// The columns of `Mast.Caom.Products` (as MAST sends them, with the units of its column configuration),
/// then `parent_obsid` (the observation the product was asked for) and `access_url` (its file at MAST's
/// download endpoint); see [`vo_client::products::mast_product_rows`].
pub fn mast_products_schema() -> SchemaRef {
    use DataType::{Int64 as I, Utf8 as S};
    let columns: [(&str, DataType, Option<&str>, &str); 21] = [
        ("obsID", I, None, "Product group ID of the product"),
        ("obs_collection", S, None, "Mission"),
        (
            "dataproduct_type",
            S,
            None,
            "Product type (image, spectrum, …)",
        ),
        ("obs_id", S, None, "Observation ID"),
        ("description", S, None, "Description of the file"),
        ("type", S, None, "S (simple) or C (composite)"),
        ("dataURI", S, None, "MAST data URI"),
        (
            "productType",
            S,
            None,
            "SCIENCE, CALIBRATION, AUXILIARY, PREVIEW, …",
        ),
        (
            "productGroupDescription",
            S,
            None,
            "Product group (Minimum Recommended Products)",
        ),
        (
            "productSubGroupDescription",
            S,
            None,
            "Product subgroup (UNCAL, CAL, I2D, …)",
        ),
        ("productDocumentationURL", S, None, "Documentation"),
        ("project", S, None, "Processing project"),
        ("prvversion", S, None, "Processing version"),
        ("proposal_id", S, None, "Proposal ID"),
        ("productFilename", S, None, "File name"),
        ("size", I, Some("byte"), "File size"),
        ("dataRights", S, None, "PUBLIC or EXCLUSIVE_ACCESS"),
        ("calib_level", I, None, "Calibration level"),
        ("filters", S, None, "Instrument filters"),
        (
            "parent_obsid",
            I,
            None,
            "The observation (obsid) the product was asked for",
        ),
        (
            "access_url",
            S,
            None,
            "The file at MAST's download endpoint",
        ),
    ];
    Arc::new(Schema::new(
        columns
            .into_iter()
            .map(|(name, data_type, unit, text)| {
                let mut meta =
                    std::collections::HashMap::from([("description".into(), text.to_string())]);
                if let Some(unit) = unit {
                    meta.insert("unit".into(), unit.to_string());
                }
                Field::new(name, data_type, true).with_metadata(meta)
            })
            .collect::<Vec<_>>(),
    ))
}

#[async_trait]
impl TableProvider for LookupTable {
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
        Ok(filters
            .iter()
            .map(|f| match self.keys_of(f) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
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
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        // Every key filter holds for a row: the keys are those all of them name.
        let mut keys: Option<Vec<String>> = None;
        for f in filters {
            if let Some(values) = self.keys_of(f) {
                let these = key_texts(values);
                keys = Some(match keys {
                    None => these,
                    Some(before) => before.into_iter().filter(|k| these.contains(k)).collect(),
                });
            }
        }
        Ok(match keys {
            Some(keys) => self.scan_keys(schema, keys, limit),
            None => {
                let table = self.clone();
                let projected = Arc::clone(&schema);
                let bind = Arc::new(move |keys: Vec<String>| {
                    table.scan_keys(Arc::clone(&projected), keys, limit)
                });
                Arc::new(LookupScanExec::new(
                    &self.service,
                    &self.name,
                    &self.key,
                    schema,
                    bind,
                ))
            }
        })
    }
}

impl fmt::Display for LookupTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (keyed on {})", self.name, self.key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use datafusion::logical_expr::{col, ident, lit};
    use datafusion::prelude::SessionContext;
    use vo_client::ClientConfig;

    use super::*;

    fn links() -> LookupTable {
        let http = HttpClient::new(ClientConfig::default()).unwrap();
        LookupTable::datalink("dl", "http://127.0.0.1:9/dl/links", http).unwrap()
    }

    #[test]
    fn keys_come_from_equalities_in_lists_and_their_disjunctions() {
        let t = links();
        let text = |f: &Expr| t.keys_of(f).map(key_texts);
        assert_eq!(text(&ident("ID").eq(lit("a"))), Some(vec!["a".to_owned()]));
        assert_eq!(text(&lit("a").eq(ident("ID"))), Some(vec!["a".to_owned()]));
        assert_eq!(
            text(&ident("ID").in_list(vec![lit("a"), lit("b"), lit("a")], false)),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            text(&ident("ID").eq(lit("a")).or(ident("ID").eq(lit("c")))),
            Some(vec!["a".to_owned(), "c".to_owned()])
        );
        // Anything else names no keys: the filter stays local and the scan needs keys from elsewhere.
        assert_eq!(text(&ident("ID").in_list(vec![lit("a")], true)), None);
        assert_eq!(
            text(
                &ident("ID")
                    .eq(lit("a"))
                    .or(col("semantics").eq(lit("#this")))
            ),
            None
        );
        assert_eq!(text(&col("semantics").eq(lit("#this"))), None);
        assert_eq!(text(&ident("ID").not_eq(lit("a"))), None);
        assert_eq!(
            key_texts([ScalarValue::Int64(Some(7)), ScalarValue::Int64(None)]),
            vec!["7".to_owned()]
        );
    }

    #[tokio::test]
    async fn a_scan_without_keys_fails_as_it_runs_and_sends_nothing() {
        let t = links();
        let ctx = SessionContext::new();
        let state = ctx.state();
        let filter = col("semantics").eq(lit("#this"));
        assert_eq!(
            t.supports_filters_pushdown(&[&filter, &ident("ID").eq(lit("a"))])
                .unwrap(),
            vec![
                TableProviderFilterPushDown::Unsupported,
                TableProviderFilterPushDown::Inexact
            ]
        );
        let plan = t.scan(&state, None, &[filter], None).await.unwrap();
        assert!(plan.downcast_ref::<LookupScanExec>().is_some());
        let err = datafusion::physical_plan::collect(plan, ctx.task_ctx())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("table dl.datalink.links needs values of ID"),
            "{err}"
        );
        // Two key filters: the keys both name.
        let both = [
            ident("ID").in_list(vec![lit("a"), lit("b")], false),
            ident("ID").eq(lit("b")),
        ];
        let plan = t
            .scan(&state, Some(&vec![0, 1]), &both, None)
            .await
            .unwrap();
        let shown = datafusion::physical_plan::displayable(plan.as_ref())
            .one_line()
            .to_string();
        assert!(shown.contains("ID IN (1 keys: \"b\")"), "{shown}");
        assert_eq!(plan.schema().fields().len(), 2);
    }
}
