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

use arrow_array::RecordBatch;
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
    let download = mast_download_url(client.url());
    let mut products = Vec::new();
    for ids in obsids.chunks(batch.max(1)) {
        let request = MashupRequest::new("Mast.Caom.Products").param("obsid", ids.join(","));
        let table = client.query_all(request).await?.collect().await?;
        for b in &table.batches {
            for row in 0..b.num_rows() {
                if !filter.keeps(b, row) {
                    continue;
                }
                let cell = |name: &str| column_cell(b, name, row).filter(|v| !v.is_empty());
                let Some(uri) = cell("dataURI") else {
                    continue;
                };
                let mut url = download.clone();
                url.query_pairs_mut().append_pair("uri", &uri);
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
    }
    Ok(products)
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
