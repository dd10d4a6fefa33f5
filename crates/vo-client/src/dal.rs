//! Shared plumbing of the parameter-based DAL services (cone search, SIA, SSA): a GET with
//! query parameters whose answer is a VOTable. [`DalService`] is the SIA and SSA client;
//! each protocol only says how its query becomes parameters ([`DalQuery`]).

use url::Url;
use votable_arrow::ReaderOptions;

use crate::error::{Error, Result};
use crate::http::{HttpClient, Request, check_status};
use crate::result::QueryResult;

/// Parses a service URL, which may already carry parameters (`…?CAT=GSC23&`).
pub(crate) fn parse_base(kind: &str, url: &str) -> Result<Url> {
    let base = Url::parse(url.trim())
        .map_err(|e| Error::InvalidInput(format!("{kind} URL {url:?}: {e}")))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(Error::InvalidInput(format!(
            "{kind} URL {url:?}: only http and https are supported"
        )));
    }
    Ok(base)
}

/// Appends parameters to a base URL, keeping the parameters it already has (and dropping the
/// empty ones a trailing `&` produces).
pub(crate) fn with_params(base: &Url, params: &[(String, String)]) -> Url {
    let existing: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = base.clone();
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in existing.iter().chain(params) {
            q.append_pair(k, v);
        }
    }
    url
}

/// GETs `base` with `params` and streams the VOTable answer.
pub(crate) async fn get_votable(
    http: &HttpClient,
    service: &str,
    base: &Url,
    params: &[(String, String)],
    maxrec: Option<u64>,
    options: ReaderOptions,
) -> Result<QueryResult> {
    let url = with_params(base, params);
    let req = Request::get(service, url);
    let resp = check_status(service, http.send(&req).await?).await?;
    crate::votable::stream_response(service, resp, options, maxrec).await
}

/// A parameter-based DAL service: where it is, what it is called in errors, and the client
/// that reaches it. SIA and SSA are this plus their own parameters.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) http: HttpClient,
    pub(crate) base: Url,
    pub(crate) service: String,
}

impl Endpoint {
    /// The service `kind` (`"SIA"`, `"SSA"`, …) at `url`, named `kind` in errors.
    pub(crate) fn new(http: HttpClient, kind: &str, url: &str) -> Result<Self> {
        Ok(Endpoint {
            http,
            base: parse_base(kind, url)?,
            service: kind.to_owned(),
        })
    }

    /// GETs the endpoint with `params` and streams the VOTable answer; `maxrec` is the limit
    /// asked for, reported if the service says it truncated the answer.
    pub(crate) async fn query(
        &self,
        params: &[(String, String)],
        maxrec: Option<u64>,
        options: ReaderOptions,
    ) -> Result<QueryResult> {
        get_votable(
            &self.http,
            &self.service,
            &self.base,
            params,
            maxrec,
            options,
        )
        .await
    }
}

/// A query of a parameter-based DAL service ([`crate::sia::SiaQuery`],
/// [`crate::ssa::SsaQuery`]).
pub trait DalQuery {
    /// The protocol's name, used in errors (`"SIA"`, `"SSA"`).
    const KIND: &'static str;
    /// The request parameters (checked).
    fn params(&self) -> Result<Vec<(String, String)>>;
    /// The `MAXREC` asked for, if any.
    fn maxrec(&self) -> Option<u64>;
}

/// A service answering queries of type `Q` with VOTables (`SiaService`, `SsaService`).
#[derive(Debug, Clone)]
pub struct DalService<Q> {
    endpoint: Endpoint,
    query: std::marker::PhantomData<fn(&Q)>,
}

impl<Q: DalQuery> DalService<Q> {
    /// The service whose query endpoint is `url` (it may carry parameters of its own).
    pub fn new(http: HttpClient, url: &str) -> Result<Self> {
        Ok(DalService {
            endpoint: Endpoint::new(http, Q::KIND, url)?,
            query: std::marker::PhantomData,
        })
    }

    /// Runs a query.
    pub async fn search(&self, query: &Q) -> Result<QueryResult> {
        self.endpoint
            .query(&query.params()?, query.maxrec(), ReaderOptions::default())
            .await
    }
}

/// Formats a number for a DAL parameter (shortest round-trip form, no exponent surprises for
/// ordinary values).
pub(crate) fn num(x: f64) -> String {
    format!("{x}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn params_appended() {
        let base = Url::parse("http://gsss.stsci.edu/ConeSearch.aspx?CAT=GSC23&").unwrap();
        let u = with_params(
            &base,
            &[("RA".into(), "10.5".into()), ("DEC".into(), "-3".into())],
        );
        assert_eq!(
            u.as_str(),
            "http://gsss.stsci.edu/ConeSearch.aspx?CAT=GSC23&RA=10.5&DEC=-3"
        );
        let u = with_params(
            &Url::parse("http://h/scs").unwrap(),
            &[("SR".into(), "0.1".into())],
        );
        assert_eq!(u.as_str(), "http://h/scs?SR=0.1");
    }
}
