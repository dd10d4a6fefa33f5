//! Data products through the [`Engine`]: the rows of a query become the files they point to, with the
//! engine's HTTP client (its proxies and tokens). The protocols (DataLink, `Mast.Caom.Products`, downloads)
//! live in `vo_client`; this is where a query's rows meet them.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use vo_client::download::{DownloadOptions, Downloader};
use vo_client::mashup::{DEFAULT_MASHUP_URL, MastClient};
use vo_client::products::{
    Layout, MastFilter, Product, ProductOptions, are_mast_rows, file_requests, mast_products,
    products_of_rows,
};

use crate::engine::Engine;
use crate::error::{FederationError, Result};

/// Which products of the rows are wanted.
#[derive(Debug, Clone)]
pub struct ProductChoice {
    /// For rows with `access_url`: the DataLink semantics and batch size.
    pub datalink: ProductOptions,
    /// For MAST rows (`obsid`): which products (astroquery's `filter_products`).
    pub mast: MastFilter,
    /// The Mashup endpoint that lists MAST products.
    pub mast_url: String,
    /// Observations per `Mast.Caom.Products` request.
    pub mast_batch: usize,
}

impl Default for ProductChoice {
    fn default() -> Self {
        Self {
            datalink: ProductOptions::default(),
            mast: MastFilter::default(),
            mast_url: DEFAULT_MASHUP_URL.to_owned(),
            mast_batch: 100,
        }
    }
}

fn client_error(error: vo_client::Error) -> FederationError {
    FederationError::Client(Box::new(error))
}

impl Engine {
    fn products_http(&self) -> Result<&vo_client::HttpClient> {
        self.http().ok_or_else(|| {
            client_error(vo_client::Error::Config(
                "this engine has no HTTP client for products (build it with Engine::new, from_env or with_http)"
                    .to_owned(),
            ))
        })
    }

    /// The products the rows of `adql` point to.
    ///
    /// # Errors
    /// As [`Engine::query`]; rows that name no product; a DataLink or Mashup request that fails or leaves an
    /// identifier out.
    pub async fn products(&self, adql: &str, choice: &ProductChoice) -> Result<Vec<Product>> {
        let rows = self.query(adql).await?.collect().await?;
        self.products_of_rows(&rows, choice).await
    }

    /// The products `rows` point to: `access_url` (through DataLink when `access_format` says so), or MAST's
    /// `obsid`.
    ///
    /// # Errors
    /// As [`Engine::products`].
    pub async fn products_of_rows(
        &self,
        rows: &[RecordBatch],
        choice: &ProductChoice,
    ) -> Result<Vec<Product>> {
        let http = self.products_http()?;
        if are_mast_rows(rows) {
            let client =
                MastClient::with_url(http.clone(), &choice.mast_url).map_err(client_error)?;
            return mast_products(&client, rows, &choice.mast, choice.mast_batch)
                .await
                .map_err(client_error);
        }
        products_of_rows(http, rows, &choice.datalink)
            .await
            .map_err(client_error)
    }

    /// A downloader with the engine's HTTP client.
    ///
    /// # Errors
    /// The engine has no HTTP client.
    pub fn downloader(&self, options: DownloadOptions) -> Result<Downloader> {
        Ok(Downloader::new(self.products_http()?.clone(), options))
    }
}

/// Products as a record batch (to print, write or register as a table): collection, observation,
/// semantics, URL, media type, size in bytes, and the file each becomes in `layout`.
///
/// # Errors
/// Never in practice (the columns are built to the schema).
pub fn products_batch(products: &[Product], layout: Layout) -> Result<RecordBatch> {
    let files = file_requests(products, layout);
    let text = |values: Vec<Option<String>>| Arc::new(StringArray::from(values)) as ArrayRef;
    let schema = Schema::new(vec![
        Field::new("obs_collection", DataType::Utf8, true),
        Field::new("obs_id", DataType::Utf8, true),
        Field::new("semantics", DataType::Utf8, false),
        Field::new("access_url", DataType::Utf8, false),
        Field::new("content_type", DataType::Utf8, true),
        Field::new("content_length", DataType::UInt64, true).with_metadata(
            [("unit".to_owned(), "byte".to_owned())]
                .into_iter()
                .collect(),
        ),
        Field::new("file", DataType::Utf8, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            text(products.iter().map(|p| p.collection.clone()).collect()),
            text(products.iter().map(|p| p.observation.clone()).collect()),
            text(products.iter().map(|p| Some(p.semantics.clone())).collect()),
            text(products.iter().map(|p| Some(p.url.to_string())).collect()),
            text(products.iter().map(|p| p.content_type.clone()).collect()),
            Arc::new(UInt64Array::from(
                products.iter().map(|p| p.size).collect::<Vec<_>>(),
            )),
            text(
                files
                    .iter()
                    .map(|f| Some(f.path.display().to_string()))
                    .collect(),
            ),
        ],
    )
    .map_err(|e| FederationError::DataFusion(e.into()))
}
