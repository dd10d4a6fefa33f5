//! From rows to products: the files that the rows of a query (or of a table file) point to.
//!
//! A row names its product with `access_url` (ObsCore). When its `access_format` says DataLink, the URL is a
//! links document: the links of all such rows are asked for in batches of identifiers per endpoint
//! ([`DataLinkService`]), every identifier accounted for, and the links of the chosen semantics (`#this` by
//! default) are the products. Otherwise the URL is the product itself. The collection and observation of the
//! row (`obs_collection`, `obs_id`) travel with each product, to lay files out by them.
//!
//! Rows of MAST's CAOM tables carry `obsid` instead: their products come from the Mashup service
//! `Mast.Caom.Products`, asked for in batches of observations ([`mast_products`]), chosen as astroquery's
//! `filter_products` chooses them ([`MastFilter`]), and fetched from MAST's download endpoint
//! (`/api/v0.1/Download/file?uri=…`, which needs a MAST token for exclusive-access data).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use url::Url;

use crate::arrow_util::column_cell;
use crate::datalink::{DataLinkService, THIS, is_datalink, split_id};
use crate::download::{FileRequest, file_name_from_url, safe_file_name};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::mashup::{MashupRequest, MastClient};

/// One file a row points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The dataset identifier it came from (DataLink `ID`), if any.
    pub id: Option<String>,
    /// Where the file is.
    pub url: Url,
    /// What it is (`#this`, `#preview`, …).
    pub semantics: String,
    /// Its media type, when known.
    pub content_type: Option<String>,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
    /// The row's `obs_collection`.
    pub collection: Option<String>,
    /// The row's `obs_id`.
    pub observation: Option<String>,
    /// A file name for it (safe on every platform).
    pub name: String,
}

/// Which products are wanted.
#[derive(Debug, Clone)]
pub struct ProductOptions {
    /// The DataLink semantics kept (`#this` when empty).
    pub semantics: Vec<String>,
    /// Identifiers per DataLink request.
    pub datalink_batch: usize,
}

impl Default for ProductOptions {
    fn default() -> Self {
        Self {
            semantics: vec![THIS.to_owned()],
            datalink_batch: 50,
        }
    }
}

/// What one row says of its product.
struct RowRef {
    row: usize,
    url: Url,
    datalink: bool,
    size: Option<u64>,
    collection: Option<String>,
    observation: Option<String>,
}

fn rows(batches: &[RecordBatch]) -> Result<Vec<RowRef>> {
    let has = |name: &str| {
        batches.first().is_some_and(|b| {
            b.schema()
                .fields()
                .iter()
                .any(|f| f.name().eq_ignore_ascii_case(name))
        })
    };
    if !batches.is_empty() && !has("access_url") {
        return Err(Error::InvalidInput(
            "the rows have no access_url column: select it (ObsCore's access_url, with access_format for DataLink)"
                .to_owned(),
        ));
    }
    let mut out = Vec::new();
    let mut row = 0;
    for batch in batches {
        for i in 0..batch.num_rows() {
            row += 1;
            let cell = |name: &str| column_cell(batch, name, i).filter(|v| !v.trim().is_empty());
            let Some(text) = cell("access_url") else {
                return Err(Error::InvalidInput(format!("row {row} has no access_url")));
            };
            let url = Url::parse(text.trim())
                .map_err(|e| Error::InvalidInput(format!("row {row}: access_url {text:?}: {e}")))?;
            out.push(RowRef {
                row,
                datalink: cell("access_format").is_some_and(|f| is_datalink(&f)),
                url,
                size: cell("content_length").and_then(|v| v.parse().ok()),
                collection: cell("obs_collection"),
                observation: cell("obs_id"),
            });
        }
    }
    Ok(out)
}

/// The products of the rows of `batches`.
///
/// # Errors
/// Rows without `access_url`; a DataLink endpoint that fails or leaves an identifier out.
pub async fn products_of_rows(
    http: &HttpClient,
    batches: &[RecordBatch],
    options: &ProductOptions,
) -> Result<Vec<Product>> {
    let rows = rows(batches)?;
    let wanted = |semantics: &str| {
        if options.semantics.is_empty() {
            semantics == THIS
        } else {
            options.semantics.iter().any(|s| s == semantics)
        }
    };
    // DataLink rows, by endpoint, keeping the order of the rows.
    let mut endpoints: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    let mut products: Vec<(usize, Product)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        if !row.datalink {
            // A URL that is not DataLink is the dataset itself.
            if !wanted(THIS) {
                continue;
            }
            products.push((
                index,
                Product {
                    id: None,
                    name: file_name_from_url(&row.url).unwrap_or_else(|| format!("row{}", row.row)),
                    url: row.url.clone(),
                    semantics: THIS.to_owned(),
                    content_type: None,
                    size: row.size,
                    collection: row.collection.clone(),
                    observation: row.observation.clone(),
                },
            ));
            continue;
        }
        let (base, id) = split_id(&row.url).ok_or_else(|| {
            Error::InvalidInput(format!(
                "row {}: the DataLink access_url {} names no single ID",
                row.row, row.url
            ))
        })?;
        endpoints
            .entry(base.to_string())
            .or_default()
            .push((id, index));
    }
    for (base, ids) in endpoints {
        let service =
            DataLinkService::new(http.clone(), &base)?.with_batch_size(options.datalink_batch);
        let asked: Vec<String> = ids.iter().map(|(id, _)| id.clone()).collect();
        let links = service.links(&asked).await?;
        for (id, index) in &ids {
            let row = &rows[*index];
            for link in links.iter().filter(|l| l.id == *id && wanted(&l.semantics)) {
                let Some(url) = link.access_url.as_deref().and_then(|u| Url::parse(u).ok()) else {
                    continue;
                };
                products.push((
                    *index,
                    Product {
                        id: Some(id.clone()),
                        name: file_name_from_url(&url).unwrap_or_else(|| safe_file_name(id)),
                        url,
                        semantics: link.semantics.clone(),
                        content_type: link.content_type.clone(),
                        size: link.content_length,
                        collection: row.collection.clone(),
                        observation: row.observation.clone(),
                    },
                ));
            }
        }
    }
    products.sort_by_key(|(index, _)| *index);
    Ok(products.into_iter().map(|(_, p)| p).collect())
}

/// Which MAST products are kept: astroquery's `filter_products` (every given criterion must hold; values of
/// one criterion are alternatives, compared without regard to case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MastFilter {
    /// `productType`: `SCIENCE`, `AUXILIARY`, `PREVIEW`, …
    pub product_type: Vec<String>,
    /// `productSubGroupDescription`: `UNCAL`, `CAL`, `I2D`, `X1D`, …
    pub subgroup: Vec<String>,
    /// `calib_level`: 0 to 4.
    pub calib_level: Vec<i64>,
    /// The file name's extension: `fits`, `jpg`, `fits.gz`, …
    pub extension: Vec<String>,
    /// Only the "Minimum Recommended Products" (`productGroupDescription`).
    pub minimum_recommended: bool,
}

impl MastFilter {
    fn keeps(&self, batch: &RecordBatch, row: usize) -> bool {
        let cell = |name: &str| column_cell(batch, name, row).unwrap_or_default();
        let any = |wanted: &[String], value: &str| {
            wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(value))
        };
        let name = cell("productFilename").to_ascii_lowercase();
        any(&self.product_type, &cell("productType"))
            && any(&self.subgroup, &cell("productSubGroupDescription"))
            && (self.calib_level.is_empty()
                || cell("calib_level")
                    .parse::<i64>()
                    .is_ok_and(|l| self.calib_level.contains(&l)))
            && (self.extension.is_empty()
                || self.extension.iter().any(|e| {
                    name.ends_with(&format!(
                        ".{}",
                        e.trim_start_matches('.').to_ascii_lowercase()
                    ))
                }))
            && (!self.minimum_recommended
                || cell("productGroupDescription") == "Minimum Recommended Products")
    }
}

/// Whether `batches` are rows of MAST's CAOM tables (an `obsid` column and no `access_url`).
pub fn are_mast_rows(batches: &[RecordBatch]) -> bool {
    batches.first().is_some_and(|b| {
        let fields = b.schema();
        let has = |name: &str| {
            fields
                .fields()
                .iter()
                .any(|f| f.name().eq_ignore_ascii_case(name))
        };
        has("obsid") && !has("access_url")
    })
}

/// MAST's download endpoint beside a Mashup endpoint (`…/api/v0/invoke` → `…/api/v0.1/Download/file`).
pub fn mast_download_url(mashup: &Url) -> Url {
    let mut url = mashup.clone();
    url.set_query(None);
    url.set_path("/api/v0.1/Download/file");
    url
}

/// The products of the observations of `batches` (their `obsid` column), from `Mast.Caom.Products` in
/// batches of `batch` observations, kept by `filter`.
///
/// # Errors
/// Rows without `obsid`; a failed Mashup request.
pub async fn mast_products(
    client: &MastClient,
    batches: &[RecordBatch],
    filter: &MastFilter,
    batch: usize,
) -> Result<Vec<Product>> {
    let mut obsids: Vec<String> = Vec::new();
    for b in batches {
        for row in 0..b.num_rows() {
            match column_cell(b, "obsid", row) {
                Some(id) if !obsids.contains(&id) => obsids.push(id),
                Some(_) => {}
                None => {
                    return Err(Error::InvalidInput(format!(
                        "row {} has no obsid",
                        obsids.len() + 1
                    )));
                }
            }
        }
    }
    let mut products = Vec::new();
    for b in &mast_product_rows(client, &obsids, batch).await? {
        for row in 0..b.num_rows() {
            if !filter.keeps(b, row) {
                continue;
            }
            let cell = |name: &str| column_cell(b, name, row).filter(|v| !v.is_empty());
            let (Some(uri), Some(url)) = (cell("dataURI"), cell("access_url")) else {
                continue;
            };
            let url = Url::parse(&url).map_err(|e| Error::InvalidInput(format!("{url}: {e}")))?;
            let name = cell("productFilename")
                .map(|n| safe_file_name(&n))
                .unwrap_or_else(|| safe_file_name(uri.rsplit('/').next().unwrap_or(&uri)));
            products.push(Product {
                id: Some(uri),
                url,
                semantics: THIS.to_owned(),
                content_type: None,
                size: cell("size").and_then(|v| v.parse().ok()),
                collection: cell("obs_collection"),
                observation: cell("obs_id"),
                name,
            });
        }
    }
    Ok(products)
}

/// The `Mast.Caom.Products` rows of the observations `obsids`, asked for in batches of `batch`, as MAST
/// sends them with two columns more:
///
/// * `parent_obsid`, the observation each product was asked for. MAST sends it; an answer without it (older
///   ones) is attributed here: to the one observation asked for, or to the observation asked for whose
///   `obsID` the product carries — a product that could belong to several is an error, never a guess;
/// * `access_url`, the file at MAST's download endpoint (`/api/v0.1/Download/file?uri=dataURI`).
///
/// # Errors
/// A failed Mashup request, or a product whose observation cannot be told.
pub async fn mast_product_rows(
    client: &MastClient,
    obsids: &[String],
    batch: usize,
) -> Result<Vec<RecordBatch>> {
    let download = mast_download_url(client.url());
    let mut out = Vec::new();
    for ids in obsids.chunks(batch.max(1)) {
        let request = MashupRequest::new("Mast.Caom.Products").param("obsid", ids.join(","));
        let table = client.query_all(request).await?.collect().await?;
        for b in &table.batches {
            out.push(with_parent_and_url(b, ids, &download)?);
        }
    }
    Ok(out)
}

/// `batch` of `Mast.Caom.Products` rows (asked for the observations `asked`) with `parent_obsid` and
/// `access_url` (see [`mast_product_rows`]).
fn with_parent_and_url(
    batch: &RecordBatch,
    asked: &[String],
    download: &Url,
) -> Result<RecordBatch> {
    let has = |name: &str| batch.schema().index_of(name).is_ok();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    if !has("parent_obsid") {
        let mut parents = StringBuilder::new();
        for row in 0..batch.num_rows() {
            let own = column_cell(batch, "obsID", row);
            let parent = match asked {
                [one] => one.clone(),
                _ => match own.filter(|o| asked.contains(o)) {
                    Some(o) => o,
                    None => {
                        return Err(Error::InvalidInput(format!(
                            "MAST's product list for observations {} does not say which one product {} belongs to \
                             (no parent_obsid); ask for one observation at a time",
                            asked.join(","),
                            column_cell(batch, "dataURI", row).unwrap_or_default()
                        )));
                    }
                },
            };
            parents.append_value(parent);
        }
        fields.push(Field::new("parent_obsid", DataType::Utf8, true));
        columns.push(Arc::new(parents.finish()));
    }
    let mut urls = StringBuilder::new();
    for row in 0..batch.num_rows() {
        match column_cell(batch, "dataURI", row).filter(|u| !u.is_empty()) {
            Some(uri) => {
                let mut url = download.clone();
                url.query_pairs_mut().append_pair("uri", &uri);
                urls.append_value(url.as_str());
            }
            None => urls.append_null(),
        }
    }
    fields.retain(|f| f.name() != "access_url");
    let at = batch.schema().index_of("access_url").ok();
    if let Some(i) = at {
        columns.remove(i);
    }
    fields.push(Field::new("access_url", DataType::Utf8, true));
    columns.push(Arc::new(urls.finish()));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::InvalidInput(format!("MAST product list: {e}")))
}

/// How downloaded files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every file in the directory itself.
    Flat,
    /// `COLLECTION/OBSERVATION/NAME` (what astroquery's `download_products` does).
    ByObservation,
}

/// The files to fetch for `products`, laid out as asked; names that would collide get `-2`, `-3`, ….
pub fn file_requests(products: &[Product], layout: Layout) -> Vec<FileRequest> {
    let mut taken: BTreeMap<std::path::PathBuf, usize> = BTreeMap::new();
    products
        .iter()
        .map(|product| {
            let mut path = std::path::PathBuf::new();
            if layout == Layout::ByObservation {
                let part = |v: &Option<String>| safe_file_name(v.as_deref().unwrap_or("unknown"));
                path.push(part(&product.collection));
                path.push(part(&product.observation));
            }
            path.push(&product.name);
            let seen = taken.entry(path.clone()).or_insert(0);
            *seen += 1;
            if *seen > 1 {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let name = match path.extension() {
                    Some(ext) => format!("{stem}-{seen}.{}", ext.to_string_lossy()),
                    None => format!("{stem}-{seen}"),
                };
                path.set_file_name(name);
            }
            FileRequest {
                url: product.url.clone(),
                path,
                size: product.size,
                checksum: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn product(name: &str, collection: Option<&str>) -> Product {
        Product {
            id: None,
            url: Url::parse(&format!("http://h/{name}")).unwrap(),
            semantics: THIS.to_owned(),
            content_type: None,
            size: Some(10),
            collection: collection.map(str::to_owned),
            observation: Some("o1".to_owned()),
            name: name.to_owned(),
        }
    }

    #[test]
    fn mast_products_are_attributed_to_the_observation_asked_for() {
        let batch = |obsid: Vec<&str>| {
            let uris: Vec<String> = (0..obsid.len())
                .map(|i| format!("mast:HST/product/f{i}.fits"))
                .collect();
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![
                    Field::new("obsID", DataType::Utf8, true),
                    Field::new("dataURI", DataType::Utf8, true),
                ])),
                vec![
                    Arc::new(arrow_array::StringArray::from(obsid)) as ArrayRef,
                    Arc::new(arrow_array::StringArray::from(uris)),
                ],
            )
            .unwrap()
        };
        let download = Url::parse("https://mast.example/api/v0.1/Download/file").unwrap();
        // One observation asked for: every product is its.
        let one =
            with_parent_and_url(&batch(vec!["9", "8"]), &["1".to_owned()], &download).unwrap();
        assert_eq!(column_cell(&one, "parent_obsid", 1).as_deref(), Some("1"));
        assert_eq!(
            column_cell(&one, "access_url", 0).as_deref(),
            Some("https://mast.example/api/v0.1/Download/file?uri=mast%3AHST%2Fproduct%2Ff0.fits")
        );
        // Several: by the product's own obsID, and an error where that names none of them.
        let asked = ["1".to_owned(), "2".to_owned()];
        let two = with_parent_and_url(&batch(vec!["2", "1"]), &asked, &download).unwrap();
        assert_eq!(column_cell(&two, "parent_obsid", 0).as_deref(), Some("2"));
        let err = with_parent_and_url(&batch(vec!["2", "7"]), &asked, &download).unwrap_err();
        assert!(err.to_string().contains("f1.fits"), "{err}");
    }

    #[test]
    fn layouts_and_collisions() {
        let products = [
            product("a.fits", Some("JWST")),
            product("a.fits", Some("JWST")),
            product("b.fits", None),
        ];
        let by_obs: Vec<_> = file_requests(&products, Layout::ByObservation)
            .into_iter()
            .map(|f| f.path.display().to_string())
            .collect();
        assert_eq!(
            by_obs,
            ["JWST/o1/a.fits", "JWST/o1/a-2.fits", "unknown/o1/b.fits"]
        );
        let flat: Vec<_> = file_requests(&products, Layout::Flat)
            .into_iter()
            .map(|f| f.path.display().to_string())
            .collect();
        assert_eq!(flat, ["a.fits", "a-2.fits", "b.fits"]);
    }
}
