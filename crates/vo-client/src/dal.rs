//! Shared plumbing of the parameter-based DAL services (cone search, SIA, SSA): a GET with
//! query parameters whose answer is a VOTable.

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
