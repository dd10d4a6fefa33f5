//! [`HttpClient`]: sends a request with retries, redirects followed by hand, the MAST token.
//!
//! The `reqwest` client under it is made on first use.

use std::sync::{Arc, OnceLock};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use super::cap;
use super::config::ClientConfig;
use super::errors::transport_error;
use super::request::{Body, Part, Request};
use crate::error::{Error, Result};

/// A cheap-to-clone HTTP client shared by all service clients.
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// Made on the first request, not with the client: making it reads the system's root
    /// certificates (over a hundred files), which a run on local files alone should not pay for.
    inner: Arc<OnceLock<reqwest::Client>>,
    config: Arc<ClientConfig>,
    /// The bound on open connections of a client made by [`HttpClient::with_connection_cap`].
    cap: Option<Arc<cap::ConnectionCap>>,
}

impl HttpClient {
    /// Builds a client.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Self::build_client(config, None)
    }

    fn build_client(config: ClientConfig, cap: Option<Arc<cap::ConnectionCap>>) -> Result<Self> {
        // The proxy settings are checked now, so that a bad variable is reported before any request.
        let _checked = config.proxy.apply(reqwest::Client::builder())?;
        Ok(HttpClient {
            inner: Arc::default(),
            config: Arc::new(config),
            cap,
        })
    }

    /// The `reqwest` client, made on first use.
    fn client(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.inner.get() {
            return Ok(client);
        }
        let config = &self.config;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.max_idle_per_host)
            .gzip(true);
        if let Some(cap) = &self.cap {
            // Keep every allowed connection when idle: closing one only to dial it again
            // costs a handshake and buys nothing.
            builder = builder
                .pool_max_idle_per_host(config.max_idle_per_host.max(cap.limit()))
                .connector_layer(cap::CapLayer(cap.clone()));
        }
        let client = config
            .proxy
            .apply(builder)?
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        // Two first requests at once may both make one; the first stored is kept by all.
        Ok(self.inner.get_or_init(|| client))
    }

    /// A new client with the same configuration that never holds more than `limit`
    /// connections open at once (all hosts together), with its own connection pool.
    ///
    /// The bound is enforced where connections are made (see the `cap` module): a request
    /// that would need one connection more waits for the pool to hand back one that is
    /// finishing. The caller must not have more than `limit` requests in flight on this
    /// client (a request counts until its body has been read or dropped), as
    /// [`crate::scs::ConeSearch::search_many`] does; otherwise requests wait needlessly.
    pub fn with_connection_cap(&self, limit: usize) -> Result<Self> {
        Self::build_client((*self.config).clone(), Some(cap::ConnectionCap::new(limit)))
    }

    /// A client with [`ClientConfig::from_env`].
    pub fn from_env() -> Result<Self> {
        Self::new(ClientConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// GETs `url` and returns its whole body, of at most `limit` bytes (a longer body is an error, not a
    /// prefix); `service` names the source in errors. For documents given by URL, e.g. a TAP upload.
    ///
    /// # Errors
    /// Transport failures, an error status, a body over `limit`.
    pub async fn get_bytes(&self, service: &str, url: &Url, limit: usize) -> Result<bytes::Bytes> {
        let req = Request::get(service, url.clone());
        let resp = super::body::check_status(service, self.send(&req).await?).await?;
        super::body::read_body(service, url, resp, limit).await
    }

    /// Sends a request, retrying and following redirects as its settings allow, and returns
    /// the final response whatever its status (see [`check_status`](super::body::check_status)).
    pub(crate) async fn send(&self, req: &Request) -> Result<reqwest::Response> {
        let origin_host = req.url.host_str().map(str::to_owned);
        let mut url = req.url.clone();
        let mut method = req.method.clone();
        let mut body = req.body.clone();
        let mut redirects = 0usize;
        let mut retries = 0u32;
        let mut cap_retries = 0usize;
        let mut started = std::time::Instant::now();
        loop {
            let same_origin = url.host_str().map(str::to_owned) == origin_host;
            tracing::debug!("{}: {method} {url}", req.service);
            let builder = self.build(&method, &url, &body, req, same_origin)?;
            let sent = match req.headers_timeout {
                Some(limit) => match tokio::time::timeout(limit, builder.send()).await {
                    Ok(r) => r,
                    Err(_) => {
                        return Err(Error::Timeout {
                            service: req.service.clone(),
                            url,
                            what: format!("no response headers within {limit:?}"),
                        });
                    }
                },
                None => builder.send().await,
            };
            match sent {
                Ok(resp) => {
                    let status = resp.status();
                    if req.follow_redirects
                        && status.is_redirection()
                        && status != StatusCode::NOT_MODIFIED
                    {
                        let next = redirect_target(&resp, &url).ok_or_else(|| Error::Protocol {
                            service: req.service.clone(),
                            url: url.clone(),
                            message: format!(
                                "HTTP {} without a usable Location header",
                                status.as_u16()
                            ),
                        })?;
                        redirects += 1;
                        if redirects > self.config.max_redirects {
                            return Err(Error::Protocol {
                                service: req.service.clone(),
                                url,
                                message: format!(
                                    "more than {} redirects",
                                    self.config.max_redirects
                                ),
                            });
                        }
                        // 303, and 301/302 after a POST (what every browser does), turn into a GET.
                        let to_get = status == StatusCode::SEE_OTHER
                            || ((status == StatusCode::MOVED_PERMANENTLY
                                || status == StatusCode::FOUND)
                                && method == Method::POST);
                        if to_get {
                            method = Method::GET;
                            body = Body::Empty;
                        }
                        url = next;
                        continue;
                    }
                    tracing::info!(
                        "{}: {method} {url} -> HTTP {} ({:.2} s)",
                        req.service,
                        status.as_u16(),
                        started.elapsed().as_secs_f64()
                    );
                    if let Some(delay) = self.config.retry.delay_after_status(
                        req.idempotency,
                        status,
                        resp.headers(),
                        retries,
                    ) {
                        drop(resp);
                        tracing::info!("{}: retrying {url} in {delay:.1?}", req.service);
                        tokio::time::sleep(delay).await;
                        retries += 1;
                        started = std::time::Instant::now();
                        continue;
                    }
                    return Ok(resp);
                }
                Err(err) => {
                    if let Some(cap) = &self.cap {
                        if cap::is_cap_reached(&err) {
                            // No connection came back: one of those counted was closed by the
                            // server. Count it out and try again at once; the request never
                            // left, so this is safe for every method.
                            if cap_retries <= cap.limit() {
                                cap.release_one();
                                cap_retries += 1;
                                continue;
                            }
                        } else if !err.is_connect() {
                            // The request failed on its connection, which hyper now closes (a
                            // failed dial was already counted out by the connector).
                            cap.release_one();
                        }
                    }
                    if let Some(delay) =
                        self.config
                            .retry
                            .delay_after_error(req.idempotency, &err, retries)
                    {
                        tracing::info!(
                            "{}: {method} {url} failed ({err}); retrying in {delay:.1?}",
                            req.service
                        );
                        tokio::time::sleep(delay).await;
                        started = std::time::Instant::now();
                        retries += 1;
                        continue;
                    }
                    return Err(transport_error(&req.service, &url, &err));
                }
            }
        }
    }

    fn build(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
        req: &Request,
        same_origin: bool,
    ) -> Result<reqwest::RequestBuilder> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = req.accept {
            headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        }
        if let Some(from) = req.range_from
            && let Ok(value) = HeaderValue::from_str(&format!("bytes={from}-"))
        {
            headers.insert(header::RANGE, value);
        }
        // The token goes to listed hosts only, and never to a host a redirect led to.
        if same_origin
            && let Some(host) = url.host_str()
            && let Some((scheme, token)) = self.config.tokens.authorization_for(host)
            && let Ok(mut value) = HeaderValue::from_str(&format!("{scheme} {}", token.expose()))
        {
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        let builder = self
            .client()?
            .request(method.clone(), url.clone())
            .headers(headers);
        Ok(match body {
            Body::Empty => builder,
            Body::Form(pairs) => builder.form(pairs),
            Body::Multipart(parts) => {
                let mut form = reqwest::multipart::Form::new();
                for part in parts {
                    form = match part {
                        Part::Text { name, value } => form.text(name.clone(), value.clone()),
                        Part::File {
                            name,
                            file_name,
                            mime,
                            bytes,
                        } => {
                            let p = reqwest::multipart::Part::stream_with_length(
                                reqwest::Body::from(bytes.clone()),
                                bytes.len() as u64,
                            )
                            .file_name(file_name.clone());
                            // A static, valid MIME type: the fallback never triggers.
                            let p = match p.mime_str(mime) {
                                Ok(p) => p,
                                Err(_) => reqwest::multipart::Part::bytes(bytes.to_vec())
                                    .file_name(file_name.clone()),
                            };
                            form.part(name.clone(), p)
                        }
                    };
                }
                builder.multipart(form)
            }
        })
    }
}

/// Where a redirect leads: its `Location`, relative to the URL that answered.
fn redirect_target(resp: &reqwest::Response, base: &Url) -> Option<Url> {
    let location = resp.headers().get(header::LOCATION)?.to_str().ok()?;
    base.join(location.trim()).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn client_is_made_on_first_use_and_proxies_checked_at_once() {
        let client = HttpClient::new(ClientConfig::default()).unwrap();
        assert!(
            client.inner.get().is_none(),
            "no reqwest client before a request"
        );
        let copy = client.clone();
        let first: *const reqwest::Client = client.client().unwrap();
        // Clones share the one client (and so its connection pool).
        assert!(std::ptr::eq(first, copy.client().unwrap()));

        let mut config = ClientConfig::default();
        config.proxy.http = Some("http://[bad".to_owned());
        let err = HttpClient::new(config).unwrap_err();
        assert!(err.to_string().contains("invalid HTTP proxy URL"), "{err}");
    }
}
