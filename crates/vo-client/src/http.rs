//! The HTTP layer every service client goes through: one `reqwest` client with connect and
//! read timeouts, a `User-Agent`, gzip, proxies from the environment (loopback never
//! proxied), retries with jittered exponential backoff (honouring `Retry-After`),
//! redirects followed by hand (so the MAST token can be dropped when the host changes), and
//! streaming access to bodies.

use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::io::AsyncBufRead;
use url::Url;

mod cap;

use crate::auth::TokenPolicy;
use crate::error::{Error, Result, excerpt};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!(
    "adql/",
    env!("CARGO_PKG_VERSION"),
    " (vo-client; +https://example.invalid/adql)"
);

/// How many bytes of an error body are read to find a message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// When and how often a failed request is tried again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; doubles with every further retry.
    pub base_delay: Duration,
    /// Upper bound of the exponential delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a service asking for more gets its error
    /// returned instead of a silent long sleep.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The jittered delay before retry number `retry` (0-based): a uniformly random value
    /// between half and all of `min(max_delay, base_delay · 2^retry)`, so that many clients
    /// failing together do not come back together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        let factor: f64 = rand::random_range(0.5..=1.0);
        capped.mul_f64(factor)
    }
}

/// Proxy settings. [`ProxyConfig::from_env`] reads the usual variables; loopback addresses
/// and `localhost` always bypass the proxy, whatever `NO_PROXY` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Proxy for `http://` URLs (`HTTP_PROXY`/`http_proxy`).
    pub http: Option<String>,
    /// Proxy for `https://` URLs (`HTTPS_PROXY`/`https_proxy`).
    pub https: Option<String>,
    /// Proxy for both (`ALL_PROXY`/`all_proxy`), used when the specific one is unset.
    pub all: Option<String>,
    /// Hosts that bypass the proxies (`NO_PROXY`/`no_proxy` syntax).
    pub no_proxy: Option<String>,
}

/// Hosts never sent through a proxy: a proxy cannot reach the caller's own loopback.
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

impl ProxyConfig {
    /// Reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper or lower case).
    pub fn from_env() -> Self {
        fn var(upper: &str, lower: &str) -> Option<String> {
            std::env::var(upper)
                .or_else(|_| std::env::var(lower))
                .ok()
                .filter(|v| !v.trim().is_empty())
        }
        ProxyConfig {
            http: var("HTTP_PROXY", "http_proxy"),
            https: var("HTTPS_PROXY", "https_proxy"),
            all: var("ALL_PROXY", "all_proxy"),
            no_proxy: var("NO_PROXY", "no_proxy"),
        }
    }

    fn apply(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        // Disable reqwest's own environment lookup: it would proxy loopback too.
        builder = builder.no_proxy();
        let no_proxy = match &self.no_proxy {
            Some(list) => format!("{list},{LOOPBACK_NO_PROXY}"),
            None => LOOPBACK_NO_PROXY.to_owned(),
        };
        let bad = |which: &str, err: reqwest::Error| {
            Error::Config(format!("invalid {which} proxy URL: {err}"))
        };
        if let Some(p) = self.http.as_ref().or(self.all.as_ref()) {
            let proxy = reqwest::Proxy::http(p.as_str()).map_err(|e| bad("HTTP", e))?;
            builder = builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
        }
        if let Some(p) = self.https.as_ref().or(self.all.as_ref()) {
            let proxy = reqwest::Proxy::https(p.as_str()).map_err(|e| bad("HTTPS", e))?;
            builder = builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
        }
        Ok(builder)
    }
}

/// Settings of an [`HttpClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Time allowed to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest silence allowed while waiting for response headers or body bytes. Must
    /// exceed the UWS `WAIT` long-poll ([`crate::tap::TapOptions::max_wait`]).
    pub read_timeout: Duration,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Proxies.
    pub proxy: ProxyConfig,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Which hosts get the MAST token.
    pub tokens: TokenPolicy,
    /// Most redirects followed for one request.
    pub max_redirects: usize,
    /// Idle keep-alive connections kept per host.
    pub max_idle_per_host: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            proxy: ProxyConfig::default(),
            user_agent: USER_AGENT.to_owned(),
            tokens: TokenPolicy::default(),
            max_redirects: 10,
            max_idle_per_host: 8,
        }
    }
}

impl ClientConfig {
    /// The defaults, with proxies from the environment and the MAST token from
    /// `MAST_API_TOKEN` or the configuration file (see [`crate::auth`]).
    pub fn from_env() -> Result<Self> {
        Ok(ClientConfig {
            proxy: ProxyConfig::from_env(),
            tokens: TokenPolicy::from_env_and_config()?,
            ..ClientConfig::default()
        })
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Repeating it is harmless (GET, DELETE, a sync query, a phase change to RUN).
    Idempotent,
    /// Repeating it could do the work twice (creating a UWS job): retried only when the
    /// request provably never reached the server (the connection could not be made).
    NotIdempotent,
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        file_name: String,
        mime: &'static str,
        bytes: Bytes,
    },
}

/// A request body that can be rebuilt for every attempt.
#[derive(Debug, Clone, Default)]
pub(crate) enum Body {
    #[default]
    Empty,
    Form(Vec<(String, String)>),
    Multipart(Vec<Part>),
}

/// Everything needed to (re)send a request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) service: String,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Body,
    pub(crate) accept: Option<&'static str>,
    pub(crate) idempotency: Idempotency,
    pub(crate) follow_redirects: bool,
    /// Upper bound for the arrival of the response headers (per attempt).
    pub(crate) headers_timeout: Option<Duration>,
}

impl Request {
    pub(crate) fn new(service: &str, method: Method, url: Url) -> Self {
        Request {
            service: service.to_owned(),
            method,
            url,
            body: Body::Empty,
            accept: None,
            idempotency: Idempotency::Idempotent,
            follow_redirects: true,
            headers_timeout: None,
        }
    }

    pub(crate) fn get(service: &str, url: Url) -> Self {
        Self::new(service, Method::GET, url)
    }

    pub(crate) fn post_form(service: &str, url: Url, form: Vec<(String, String)>) -> Self {
        let mut r = Self::new(service, Method::POST, url);
        r.body = Body::Form(form);
        r
    }

    pub(crate) fn accept(mut self, accept: &'static str) -> Self {
        self.accept = Some(accept);
        self
    }
}

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

    /// Sends a request, retrying and following redirects as its settings allow, and returns
    /// the final response whatever its status (see [`check_status`]).
    pub(crate) async fn send(&self, req: &Request) -> Result<reqwest::Response> {
        let origin_host = req.url.host_str().map(str::to_owned);
        let mut url = req.url.clone();
        let mut method = req.method.clone();
        let mut body = req.body.clone();
        let mut redirects = 0usize;
        let mut retries = 0u32;
        let mut cap_retries = 0usize;
        loop {
            let same_origin = url.host_str().map(str::to_owned) == origin_host;
            let builder = self.build(&method, &url, &body, req.accept, same_origin)?;
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
                    let retryable_status =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if retryable_status
                        && req.idempotency == Idempotency::Idempotent
                        && retries < self.config.retry.max_retries
                    {
                        let delay = match retry_after(resp.headers(), SystemTime::now()) {
                            Some(d) if d > self.config.retry.max_retry_after => return Ok(resp),
                            Some(d) => d,
                            None => self.config.retry.backoff(retries),
                        };
                        drop(resp);
                        tokio::time::sleep(delay).await;
                        retries += 1;
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
                    let may_retry = match req.idempotency {
                        // A refused or failed connection never carried the request.
                        Idempotency::NotIdempotent => err.is_connect(),
                        // A timeout is reported, not repeated: the caller may prefer another
                        // route (sync → async) over waiting the same time again.
                        Idempotency::Idempotent => !err.is_timeout() && !err.is_builder(),
                    };
                    if may_retry && retries < self.config.retry.max_retries {
                        tokio::time::sleep(self.config.retry.backoff(retries)).await;
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
        accept: Option<&'static str>,
        same_origin: bool,
    ) -> Result<reqwest::RequestBuilder> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        }
        // The token goes to listed hosts only, and never to a host a redirect led to.
        if same_origin
            && let Some(host) = url.host_str()
            && let Some(token) = self.config.tokens.token_for(host)
            && let Ok(mut value) = HeaderValue::from_str(&format!("token {}", token.expose()))
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

fn redirect_target(resp: &reqwest::Response, base: &Url) -> Option<Url> {
    let location = resp.headers().get(header::LOCATION)?.to_str().ok()?;
    base.join(location.trim()).ok()
}

/// Maps a `reqwest` error to ours (the URL is given separately: reqwest's own message would
/// repeat it).
pub(crate) fn transport_error(service: &str, url: &Url, err: &reqwest::Error) -> Error {
    if err.is_timeout() {
        let what = if err.is_connect() {
            "connect timeout"
        } else {
            "read timeout"
        };
        return Error::Timeout {
            service: service.to_owned(),
            url: url.clone(),
            what: what.to_owned(),
        };
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest prints "error sending request for url (…)"; keep it but it never holds a token.
    Error::Transport {
        service: service.to_owned(),
        url: url.clone(),
        message,
    }
}

/// Maps an I/O error raised while streaming a body (it may wrap a `reqwest` error).
pub(crate) fn io_error(service: &str, url: &Url, err: &io::Error) -> Error {
    if let Some(inner) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<reqwest::Error>())
    {
        return transport_error(service, url, inner);
    }
    if err.kind() == io::ErrorKind::TimedOut {
        return Error::Timeout {
            service: service.to_owned(),
            url: url.clone(),
            what: "read timeout".to_owned(),
        };
    }
    Error::Transport {
        service: service.to_owned(),
        url: url.clone(),
        message: err.to_string(),
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses the three HTTP date formats of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime).
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = s.split([' ', ',']).filter(|p| !p.is_empty()).collect();
    let (day, month, year, time) = match parts.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_, d, m, y, t, "GMT"] if d.len() <= 2 && y.len() == 4 => {
            (*d, *m, y.parse::<i64>().ok()?, *t)
        }
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            let y: i64 = y.parse().ok()?;
            // RFC 9110: two-digit years more than 50 years in the future are in the past century.
            let y = if y < 100 {
                if y < 70 { 2000 + y } else { 1900 + y }
            } else {
                y
            };
            (d, m, y, *t)
        }
        // Sun Nov  6 08:49:37 1994
        [_, m, d, t, y] => (*d, *m, y.parse::<i64>().ok()?, *t),
        _ => return None,
    };
    let day: i64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|name| *name == month)? as i64
        + 1;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(h * 3600 + mi * 60 + se)?;
    let secs = u64::try_from(secs).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads at most `limit` bytes of a body (the rest is dropped with the connection).
pub(crate) async fn read_prefix(
    resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Reads a whole (small, bounded) body, e.g. a UWS job document or a VOSI document.
pub(crate) async fn read_body(
    service: &str,
    url: &Url,
    resp: reqwest::Response,
    limit: usize,
) -> Result<Bytes> {
    if let Some(len) = resp.content_length()
        && len > limit as u64
    {
        return Err(Error::Protocol {
            service: service.to_owned(),
            url: url.clone(),
            message: format!("answer of {len} bytes exceeds the limit of {limit} bytes"),
        });
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(service, url, &e))?;
        if out.len() + chunk.len() > limit {
            return Err(Error::Protocol {
                service: service.to_owned(),
                url: url.clone(),
                message: format!("answer exceeds the limit of {limit} bytes"),
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// Turns a non-success response into an error carrying the service's own message when the
/// body is an error document we understand (DALI/TAP VOTable, SCS `Error`, plain text).
pub(crate) async fn check_status(
    service: &str,
    resp: reqwest::Response,
) -> Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let url = resp.url().clone();
    let body = read_prefix(resp, ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    if let Some(message) = crate::xml::error_document_message(&body) {
        return Err(Error::Service {
            service: service.to_owned(),
            url,
            message: format!("HTTP {}: {message}", status.as_u16()),
        });
    }
    Err(Error::Status {
        service: service.to_owned(),
        url,
        status: status.as_u16(),
        excerpt: excerpt(&body, 300),
    })
}

/// The body as a stream of bytes whose errors are `io::Error`s wrapping `reqwest::Error`s.
pub(crate) fn byte_stream(
    resp: reqwest::Response,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static {
    resp.bytes_stream().map_err(io::Error::other)
}

type BodyStream = std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A body stream that, when dropped, hands what is left of the body to its [`BodyRest`]:
/// a decoder stops at the end of its document, and the bytes after it (a final newline)
/// must still be read for the connection to go back to the pool.
struct Tracked {
    inner: Option<BodyStream>,
    rest: Arc<std::sync::Mutex<Option<BodyStream>>>,
}

impl Stream for Tracked {
    type Item = io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        match self.inner.as_mut() {
            Some(s) => s.as_mut().poll_next(cx),
            None => std::task::Poll::Ready(None),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let (Some(inner), Ok(mut slot)) = (self.inner.take(), self.rest.lock()) {
            *slot = Some(inner);
        }
    }
}

/// The unread end of a body (see [`body_reader`]).
pub(crate) struct BodyRest(Arc<std::sync::Mutex<Option<BodyStream>>>);

impl BodyRest {
    /// Reads and discards at most `limit` remaining bytes, so that the connection can be
    /// reused; a longer or failing tail just closes the connection.
    pub(crate) async fn drain(self, limit: usize) {
        let stream = self.0.lock().ok().and_then(|mut s| s.take());
        let Some(mut stream) = stream else { return };
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > limit {
                return;
            }
        }
    }
}

/// The body as an `AsyncBufRead` (for the streaming VOTable reader), and the handle that
/// drains what the reader leaves unread once it is dropped.
pub(crate) fn body_reader(
    resp: reqwest::Response,
) -> (impl AsyncBufRead + Send + Unpin + 'static, BodyRest) {
    let rest = Arc::new(std::sync::Mutex::new(None));
    let tracked = Tracked {
        inner: Some(Box::pin(byte_stream(resp))),
        rest: rest.clone(),
    };
    (tokio_util::io::StreamReader::new(tracked), BodyRest(rest))
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

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("soon"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        // A date in the past means "now".
        assert_eq!(
            retry_after(&h, now + Duration::from_secs(100)),
            Some(Duration::ZERO)
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("later"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d0 = p.backoff(0);
            assert!(
                d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100),
                "{d0:?}"
            );
            let d5 = p.backoff(5);
            assert!(
                d5 >= Duration::from_millis(175) && d5 <= Duration::from_millis(350),
                "{d5:?}"
            );
        }
        assert!(p.backoff(200) <= Duration::from_millis(350));
    }

    #[test]
    fn user_agent_names_project_and_version() {
        assert!(USER_AGENT.starts_with("adql/0.1.0"));
    }
}
