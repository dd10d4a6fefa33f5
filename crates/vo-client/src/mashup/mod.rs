//! The MAST Mashup API (`POST https://mast.stsci.edu/api/v0/invoke`, form field `request`
//! holding a JSON request object).
//!
//! While the server answers `"status": "EXECUTING"` the identical request is posted again;
//! once it is `COMPLETE`, every page (`paging.pagesFiltered`) is fetched in turn:
//! [`MastClient::query`] streams the pages lazily with the first page's column types (for
//! consumers with a schema of their own that may stop early), [`MastClient::query_all`] reads
//! them all and reconciles the column types across pages (see [`response`]).

pub mod filters;
pub mod request;
pub mod response;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use url::Url;

use crate::error::{Error, Result};
use crate::http::{HttpClient, Request, check_status, read_body};
use crate::result::{Chunk, Completeness, QueryResult};
pub use filters::{Filter, FilterValues};
pub use request::MashupRequest;
pub use response::{Page, Paging, Status};

/// The Mashup endpoint.
pub const DEFAULT_MASHUP_URL: &str = "https://mast.stsci.edu/api/v0/invoke";

/// Largest answer page accepted.
const PAGE_LIMIT: usize = 1 << 30;

const SERVICE: &str = "MAST Mashup";

/// Settings of a [`MastClient`].
#[derive(Debug, Clone, PartialEq)]
pub struct MashupOptions {
    /// Pause between re-posts of a request the server reports as still executing (the
    /// server's own `timeout` already makes each post a long poll).
    pub poll_delay: Duration,
    /// Give up on one request after this long.
    pub deadline: Duration,
    /// Rows per record batch.
    pub batch_size: usize,
}

impl Default for MashupOptions {
    fn default() -> Self {
        MashupOptions {
            poll_delay: Duration::from_millis(500),
            deadline: Duration::from_secs(600),
            batch_size: 8192,
        }
    }
}

/// A Mashup client.
#[derive(Debug, Clone)]
pub struct MastClient {
    http: HttpClient,
    url: Url,
    options: MashupOptions,
}

/// One answer of the name resolver.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedName {
    /// The name asked for.
    pub search_string: String,
    /// Which resolver answered (`SIMBAD`, `NED`, `TIC`, …).
    pub resolver: String,
    /// The resolver's name for the object.
    pub canonical_name: Option<String>,
    /// Right ascension (degrees).
    pub ra: f64,
    /// Declination (degrees).
    pub dec: f64,
    /// Object type, when given.
    pub object_type: Option<String>,
    /// Search radius used by the resolver (degrees; negative when not applicable).
    pub search_radius: Option<f64>,
}

impl MastClient {
    /// A client of the public MAST endpoint.
    pub fn new(http: HttpClient) -> Result<Self> {
        Self::with_url(http, DEFAULT_MASHUP_URL)
    }

    /// A client of another endpoint (a mirror, or a test server).
    pub fn with_url(http: HttpClient, url: &str) -> Result<Self> {
        let url = crate::dal::parse_base("Mashup", url)?;
        Ok(MastClient {
            http,
            url,
            options: MashupOptions::default(),
        })
    }

    /// The endpoint.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: MashupOptions) -> Self {
        self.options = options;
        self
    }

    /// Posts a request until its status is no longer `EXECUTING`; returns the answer object.
    pub async fn invoke_raw(&self, request: &MashupRequest) -> Result<Value> {
        let start = Instant::now();
        let form = request.form();
        loop {
            let req = Request::post_form(SERVICE, self.url.clone(), form.clone())
                .accept("application/json, text/plain");
            let resp = check_status(SERVICE, self.http.send(&req).await?).await?;
            let body = read_body(SERVICE, &self.url, resp, PAGE_LIMIT).await?;
            let doc: Value = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
                service: SERVICE.to_owned(),
                url: self.url.clone(),
                message: format!("{} answered with invalid JSON: {e}", request.service),
            })?;
            match response::status_of(&doc) {
                Status::Executing => {
                    if start.elapsed() >= self.options.deadline {
                        return Err(Error::Deadline {
                            service: format!("{SERVICE} {}", request.service),
                            url: self.url.clone(),
                            waited: start.elapsed(),
                        });
                    }
                    tokio::time::sleep(self.options.poll_delay).await;
                }
                Status::Error => {
                    let msg = doc
                        .get("msg")
                        .and_then(Value::as_str)
                        .filter(|m| !m.is_empty())
                        .unwrap_or("the service reported an error without a message");
                    return Err(Error::Service {
                        service: format!("{SERVICE} {}", request.service),
                        url: self.url.clone(),
                        message: msg.to_owned(),
                    });
                }
                Status::Complete | Status::Other(_) => return Ok(doc),
            }
        }
    }

    async fn page(&self, request: &MashupRequest) -> Result<Page> {
        let doc = self.invoke_raw(request).await?;
        response::parse_page(doc).map_err(|message| Error::Protocol {
            service: format!("{SERVICE} {}", request.service),
            url: self.url.clone(),
            message,
        })
    }

    /// How many rows `request` selects: one page of one row is asked for, and its paging says (an answer
    /// without paging holds every row).
    pub async fn count(&self, request: MashupRequest) -> Result<u64> {
        let request = MashupRequest {
            pagesize: 1,
            page: 1,
            ..request
        };
        let page = self.page(&request).await?;
        Ok(match page.paging {
            Some(paging) => paging.rows_filtered,
            None => page.data.len() as u64,
        })
    }

    /// Runs a request and streams every page as record batches, fetching each page only when
    /// the stream has used up the previous one (so a consumer that stops early, such as a
    /// query with `TOP`, asks for no more pages).
    ///
    /// The schema is that of the first page; a later page whose values do not fit it is an
    /// error. [`MastClient::query_all`] reconciles the types of all pages instead.
    pub async fn query(&self, request: MashupRequest) -> Result<QueryResult> {
        let first = self.page(&request).await?;
        let schema = response::infer_schema(&first.fields, &first.data);
        let pages = first.paging.map_or(1, |p| p.pages_filtered.max(1));
        let initial: VecDeque<_> = self.convert(&request, &schema, &first.data)?.into();
        struct State {
            client: MastClient,
            request: MashupRequest,
            fields: Vec<response::MashupField>,
            schema: arrow_schema::SchemaRef,
            next_page: u64,
            pages: u64,
            pending: VecDeque<arrow_array::RecordBatch>,
            done: bool,
        }
        let state = State {
            client: self.clone(),
            next_page: request.page + 1,
            pages,
            request,
            fields: first.fields,
            schema: schema.clone(),
            pending: initial,
            done: false,
        };
        let stream = futures::stream::unfold(state, |mut st| async move {
            loop {
                if st.done {
                    return None;
                }
                if let Some(b) = st.pending.pop_front() {
                    return Some((Ok(Chunk::Batch(b)), st));
                }
                if st.next_page > st.pages {
                    st.done = true;
                    return Some((Ok(Chunk::End(Completeness::Complete)), st));
                }
                let page = match st.client.page(&st.request.with_page(st.next_page)).await {
                    Ok(p) => p,
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                };
                st.next_page += 1;
                match st
                    .client
                    .convert_into(&st.request, &st.fields, &st.schema, &page)
                {
                    Ok(batches) => st.pending.extend(batches),
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                }
            }
        });
        Ok(QueryResult::new(schema, stream.boxed()))
    }

    /// Runs a request, reads every page, and returns the rows with column types reconciled
    /// across pages (see [`response`]): a column all null on page 1 and holding floats on
    /// page 2 is Float64.
    ///
    /// The answer is returned once every page has arrived: a column's type depends on the
    /// values of all pages, and the schema must be known before the first batch. Pages are
    /// kept as Arrow batches meanwhile, never as JSON. [`MastClient::query`] streams page by
    /// page instead, with the first page's types.
    pub async fn query_all(&self, request: MashupRequest) -> Result<QueryResult> {
        let first = self.page(&request).await?;
        let last_page = first.paging.map_or(1, |p| p.pages_filtered.max(1));
        if last_page <= request.page {
            let schema = response::infer_schema(&first.fields, &first.data);
            let batches = self.convert(&request, &schema, &first.data)?;
            return Ok(QueryResult::from_batches(
                schema,
                batches,
                Completeness::Complete,
            ));
        }
        let fields = first.fields.clone();
        let mut stats = response::column_stats(&fields, &first.data);
        let mut parts = vec![self.convert(
            &request,
            &response::infer_schema(&fields, &first.data),
            &first.data,
        )?];
        drop(first);
        for page_number in request.page + 1..=last_page {
            let page = self.page(&request.with_page(page_number)).await?;
            // Later pages are read with the first page's fields: the request asks MAST to
            // keep all-null columns, so the fields do not change from page to page.
            let page_stats = response::column_stats(&fields, &page.data);
            for (total, more) in stats.iter_mut().zip(&page_stats) {
                total.merge(more);
            }
            let page_schema = response::schema_from_stats(&fields, &page_stats);
            parts.push(self.convert(&request, &page_schema, &page.data)?);
        }
        let schema = response::schema_from_stats(&fields, &stats);
        let batches = parts
            .iter()
            .flatten()
            .map(|b| {
                response::widen_batch(b, &schema).map_err(|message| Error::Protocol {
                    service: format!("{SERVICE} {}", request.service),
                    url: self.url.clone(),
                    message: format!("cannot combine the pages: {message}"),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(QueryResult::from_batches(
            schema,
            batches,
            Completeness::Complete,
        ))
    }

    /// Runs a request and streams its rows page by page: a page is requested only once the
    /// previous one has been read, so a consumer that stops early (a query's `TOP`) saves the
    /// remaining requests. Unlike [`MastClient::query`], types are not reconciled across pages:
    /// each page's batches have the types of that page's values, and a caller that needs one
    /// schema conforms them itself (the federation's Mashup table casts by column name to its
    /// declared schema).
    pub fn query_pages(
        &self,
        request: MashupRequest,
    ) -> futures::stream::BoxStream<'static, Result<arrow_array::RecordBatch>> {
        use futures::StreamExt;
        struct State {
            client: MastClient,
            request: MashupRequest,
            next: u64,
            last: Option<u64>,
            pending: std::collections::VecDeque<arrow_array::RecordBatch>,
            failed: bool,
        }
        let state = State {
            client: self.clone(),
            next: request.page,
            request,
            last: None,
            pending: std::collections::VecDeque::new(),
            failed: false,
        };
        futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(batch) = st.pending.pop_front() {
                    return Some((Ok(batch), st));
                }
                if st.failed || st.last.is_some_and(|last| st.next > last) {
                    return None;
                }
                let request = st.request.with_page(st.next);
                let converted = match st.client.page(&request).await {
                    Ok(page) => {
                        // The first page says how many there are.
                        if st.last.is_none() {
                            st.last = Some(page.paging.map_or(1, |p| p.pages_filtered.max(1)));
                        }
                        let schema = response::infer_schema(&page.fields, &page.data);
                        st.client.convert(&request, &schema, &page.data)
                    }
                    Err(e) => Err(e),
                };
                st.next += 1;
                match converted {
                    Ok(batches) => st.pending.extend(batches),
                    Err(e) => {
                        st.failed = true;
                        return Some((Err(e), st));
                    }
                }
            }
        })
        .boxed()
    }

    /// Converts a later page of a streamed answer to the first page's `schema`: with its own
    /// types, then widened; a column whose values do not fit the first page's type (a float
    /// where page 1 had integers) is an error, never a rounded value.
    fn convert_into(
        &self,
        request: &MashupRequest,
        fields: &[response::MashupField],
        schema: &arrow_schema::SchemaRef,
        page: &Page,
    ) -> Result<Vec<arrow_array::RecordBatch>> {
        let protocol = |message: String| Error::Protocol {
            service: format!("{SERVICE} {}", request.service),
            url: self.url.clone(),
            message,
        };
        let stats = response::column_stats(fields, &page.data);
        let page_schema = response::schema_from_stats(fields, &stats);
        for ((st, have), want) in stats.iter().zip(page_schema.fields()).zip(schema.fields()) {
            if !st.is_empty() && !response::widens_to(have.data_type(), want.data_type()) {
                return Err(protocol(format!(
                    "page {}: column {} holds {} values where the first page made it {}; read the whole answer with reconciled types instead (MastClient::query_all)",
                    page.paging.map_or(0, |p| p.page),
                    want.name(),
                    have.data_type(),
                    want.data_type()
                )));
            }
        }
        self.convert(request, &page_schema, &page.data)?
            .iter()
            .map(|b| response::widen_batch(b, schema).map_err(protocol))
            .collect()
    }

    /// Converts one page's rows with `schema`.
    fn convert(
        &self,
        request: &MashupRequest,
        schema: &arrow_schema::SchemaRef,
        rows: &[Value],
    ) -> Result<Vec<arrow_array::RecordBatch>> {
        response::to_batches(schema, rows, self.options.batch_size).map_err(|message| {
            Error::Protocol {
                service: format!("{SERVICE} {}", request.service),
                url: self.url.clone(),
                message: format!("cannot convert the rows to Arrow: {message}"),
            }
        })
    }

    /// Resolves an object name to coordinates with `Mast.Name.Lookup`.
    pub async fn resolve(&self, name: &str) -> Result<Vec<ResolvedName>> {
        let request = MashupRequest::new("Mast.Name.Lookup")
            .param("input", name)
            .param("format", "json");
        let doc = self.invoke_raw(&request).await?;
        parse_resolved(&doc).map_err(|message| Error::Protocol {
            service: format!("{SERVICE} Mast.Name.Lookup"),
            url: self.url.clone(),
            message,
        })
    }
}

/// Interprets a `Mast.Name.Lookup` answer.
pub fn parse_resolved(doc: &Value) -> std::result::Result<Vec<ResolvedName>, String> {
    let list = match doc.get("resolvedCoordinate") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err("`resolvedCoordinate` is not a list".to_owned()),
    };
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    list.iter()
        .map(|c| {
            let ra = c
                .get("ra")
                .and_then(Value::as_f64)
                .ok_or("a resolved coordinate without ra")?;
            let dec = c
                .get("decl")
                .or_else(|| c.get("dec"))
                .and_then(Value::as_f64)
                .ok_or("a resolved coordinate without decl")?;
            Ok(ResolvedName {
                search_string: s(c, "searchString").unwrap_or_default(),
                resolver: s(c, "resolver").unwrap_or_default(),
                canonical_name: s(c, "canonicalName"),
                ra,
                dec,
                object_type: s(c, "objectType"),
                search_radius: c.get("searchRadius").and_then(Value::as_f64),
            })
        })
        .collect()
}
