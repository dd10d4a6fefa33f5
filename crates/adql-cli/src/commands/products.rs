//! `adql products`: the files the rows of a query (or of a table file) point to — `access_url`, through
//! DataLink when `access_format` says so — written like any result. Also the row source and product choice
//! shared with `adql download`.

use std::path::PathBuf;
use std::process::ExitCode;

use adql_federation::{Engine, FederationError, ProductChoice, products_batch};
use vo_client::products::{Layout, MastFilter, Product, ProductOptions};

use crate::commands::Context;
use crate::commands::query::runtime;
use crate::error::query_error;
use crate::output::{OutputArgs, ResultSink};
use crate::session_args::SessionArgs;
use crate::{Error, Result};

/// Where the rows come from, and which of their products are wanted.
#[derive(Debug, clap::Args)]
pub(crate) struct ProductArgs {
    /// The engine of the query: syntax, services, local tables.
    #[command(flatten)]
    pub(crate) session: SessionArgs,
    /// Take the rows from this table file (CSV, VOTable, Parquet) instead of a query: it needs an
    /// `access_url` column (and `access_format` for DataLink).
    #[arg(long = "from", value_name = "FILE", conflicts_with = "query")]
    pub(crate) from: Option<PathBuf>,
    /// The DataLink semantics to keep (repeatable; default `#this`): `#preview`, `#auxiliary`, ….
    #[arg(long = "semantics", value_name = "S")]
    pub(crate) semantics: Vec<String>,
    /// Identifiers per DataLink request.
    #[arg(long = "datalink-batch", value_name = "N", default_value_t = 50)]
    pub(crate) datalink_batch: usize,
    /// MAST rows (`obsid`): keep products of this `productType` (repeatable: SCIENCE, AUXILIARY, PREVIEW, …).
    #[arg(long = "product-type", value_name = "TYPE")]
    pub(crate) product_type: Vec<String>,
    /// MAST rows: keep products of this `productSubGroupDescription` (repeatable: CAL, I2D, X1D, …).
    #[arg(long = "subgroup", value_name = "NAME")]
    pub(crate) subgroup: Vec<String>,
    /// MAST rows: keep products of this calibration level (repeatable).
    #[arg(long = "calib-level", value_name = "LEVEL")]
    pub(crate) calib_level: Vec<i64>,
    /// MAST rows: keep files with this extension (repeatable: fits, jpg, …).
    #[arg(long = "extension", value_name = "EXT")]
    pub(crate) extension: Vec<String>,
    /// MAST rows: only the "Minimum Recommended Products".
    #[arg(long = "mrp-only")]
    pub(crate) mrp_only: bool,
    /// MAST rows: the Mashup endpoint that lists their products (downloads go to its `/api/v0.1/Download`).
    #[arg(long = "mast-url", value_name = "URL", default_value = vo_client::mashup::DEFAULT_MASHUP_URL)]
    pub(crate) mast_url: String,
    /// MAST rows: observations per `Mast.Caom.Products` request.
    #[arg(long = "mast-batch", value_name = "N", default_value_t = 100)]
    pub(crate) mast_batch: usize,
    /// The query whose rows point to the products: `access_url` (with `access_format`, `obs_collection`,
    /// `obs_id`), or MAST's `obsid`.
    #[arg(value_name = "QUERY", required_unless_present = "from")]
    pub(crate) query: Option<String>,
}

/// Arguments of `adql products`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProductsArgs {
    #[command(flatten)]
    pub(crate) products: ProductArgs,
    /// Where and how the list is written.
    #[command(flatten)]
    pub(crate) out: OutputArgs,
}

impl ProductArgs {
    /// The products of the rows, found on `runtime` through the engine of the flags (whose HTTP client is
    /// also the downloads').
    pub(crate) fn products(
        &self,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<(Engine, Vec<Product>)> {
        let origin = "<query>";
        let engine = self.session.engine(runtime, origin)?;
        let choice = ProductChoice {
            datalink: ProductOptions {
                semantics: self.semantics.clone(),
                datalink_batch: self.datalink_batch.max(1),
            },
            mast: MastFilter {
                product_type: self.product_type.clone(),
                subgroup: self.subgroup.clone(),
                calib_level: self.calib_level.clone(),
                extension: self.extension.clone(),
                minimum_recommended: self.mrp_only,
            },
            mast_url: self.mast_url.clone(),
            mast_batch: self.mast_batch.max(1),
        };
        let products = crate::interrupt::block_on(runtime, async {
            let text = match (&self.from, &self.query) {
                (Some(path), _) => {
                    engine
                        .register_file("product_rows", path, &[])
                        .await
                        .map_err(|e| query_error(e, origin, ""))?;
                    "SELECT * FROM product_rows".to_owned()
                }
                (None, Some(text)) => text.clone(),
                (None, None) => return Err(Error::Usage("give a query or --from FILE".to_owned())),
            };
            engine
                .products(&text, &choice)
                .await
                .map_err(|e| match (e, &self.from) {
                    // Rows of a file that name no product: the file is named with the row.
                    (FederationError::Client(client), Some(path))
                        if matches!(*client, vo_client::Error::InvalidInput(_)) =>
                    {
                        let message = client.to_string();
                        let message = message.trim_start_matches("invalid request: ");
                        Error::Usage(format!("{}: {message}", path.display()))
                    }
                    (e, _) => query_error(e, origin, &text),
                })
        })?;
        Ok((engine, products))
    }
}

/// Runs `adql products`.
pub(crate) fn exec(args: ProductsArgs, ctx: &mut Context<'_>) -> Result<ExitCode> {
    let runtime = runtime()?;
    let (_, products) = args.products.products(&runtime)?;
    let batch = products_batch(&products, Layout::ByObservation)
        .map_err(|e| Error::Federation(Box::new(e)))?;
    ResultSink::write_whole(&args.out, &batch, ctx)?;
    Ok(ExitCode::SUCCESS)
}
