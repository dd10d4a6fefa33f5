//! Settings of the HTTP client ([`ClientConfig`], [`ProxyConfig`]), read from the environment.

use std::time::Duration;

use super::retry::RetryPolicy;
use crate::auth::TokenPolicy;
use crate::error::{Error, Result};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!(
    "adql/",
    env!("CARGO_PKG_VERSION"),
    " (vo-client; +https://example.invalid/adql)"
);

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

    /// `builder` with these proxies.
    pub(super) fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder> {
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

/// Settings of an [`HttpClient`](crate::HttpClient).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Time allowed to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest silence allowed while waiting for response headers or body bytes. Must
    /// exceed the UWS `WAIT` long-poll ([`crate::tap::PollOptions::max_wait`]).
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_names_project_and_version() {
        assert!(USER_AGENT.starts_with("adql/0.1.0"));
    }
}
