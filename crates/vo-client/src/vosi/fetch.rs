//! Getting a VOSI document: one bounded GET, parsed into an element tree.

use url::Url;

use crate::error::{Error, Result};
use crate::http::{HttpClient, Request, check_status, read_body};

/// Largest VOSI document accepted (Gaia's `/tables` is tens of MB at full detail).
pub(crate) const VOSI_DOC_LIMIT: usize = 256 << 20;

/// GETs a VOSI document and parses it into an element tree.
pub(crate) async fn fetch_xml(
    http: &HttpClient,
    service: &str,
    url: Url,
) -> Result<crate::xml::Element> {
    let req = Request::get(service, url.clone()).accept("application/xml, text/xml");
    let resp = check_status(service, http.send(&req).await?).await?;
    let url = resp.url().clone();
    let body = read_body(service, &url, resp, VOSI_DOC_LIMIT).await?;
    crate::xml::parse(&body).map_err(|message| Error::Protocol {
        service: service.to_owned(),
        url,
        message,
    })
}

/// GETs a VOSI document and interprets it with `from_element`; a document of the wrong shape
/// is a protocol error naming the service and the URL.
pub(crate) async fn fetch_doc<T>(
    http: &HttpClient,
    service: &str,
    url: Url,
    from_element: impl FnOnce(&crate::xml::Element) -> std::result::Result<T, String>,
) -> Result<T> {
    let root = fetch_xml(http, service, url.clone()).await?;
    from_element(&root).map_err(|message| Error::Protocol {
        service: service.to_owned(),
        url,
        message,
    })
}
