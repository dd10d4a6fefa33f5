//! The parameters of a TAP request: from the query string, a form body or a multipart body (whose file parts
//! are inline uploads). Names are case-insensitive (DALI), values are kept as sent.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{Request, header};
use bytes::Bytes;

use crate::reply::Failure;

/// The parameters of one request, in the order sent, and its multipart file parts.
#[derive(Debug, Clone, Default)]
pub(crate) struct TapParams {
    /// `(name, value)`, names lowercased.
    entries: Vec<(String, String)>,
    /// Multipart parts sent as files: `(part name, content)`, for `UPLOAD=t,param:NAME`.
    pub(crate) parts: Vec<(String, Bytes)>,
}

impl TapParams {
    /// Parameters from `(name, value)` pairs.
    pub(crate) fn from_pairs<N: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        let mut params = Self::default();
        for (name, value) in pairs {
            params.push(name.as_ref(), value.into());
        }
        params
    }

    fn push(&mut self, name: &str, value: String) {
        self.entries.push((name.to_ascii_lowercase(), value));
    }

    /// The last value of `name` (any case).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` (any case), in order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)`, names lowercased.
    pub(crate) fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// The content of the multipart part `name`: a file part, else a text parameter of that name.
    pub(crate) fn part(&self, name: &str) -> Option<Bytes> {
        self.parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| Bytes::from(v.clone()))
            })
    }

    /// Reads the parameters of `request`: its query string, and for a POST its form or multipart body.
    pub(crate) async fn read(request: Request<Body>) -> Result<Self, Failure> {
        let mut params = Self::default();
        if let Some(query) = request.uri().query() {
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                params.push(&name, value.into_owned());
            }
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| Failure::bad_request(format!("multipart body: {e}")))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| Failure::multipart(&e))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                let is_file = field.file_name().is_some();
                let data = field.bytes().await.map_err(|e| Failure::multipart(&e))?;
                if is_file {
                    params.parts.push((name, data));
                } else {
                    let value = String::from_utf8(data.to_vec()).map_err(|_| {
                        Failure::bad_request(format!("parameter {name} is not UTF-8 text"))
                    })?;
                    params.push(&name, value);
                }
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded")
            || (request.method() == axum::http::Method::POST && content_type.is_empty())
        {
            let body = Bytes::from_request(request, &())
                .await
                .map_err(|e| Failure::bad_request(format!("request body: {e}")))?;
            for (name, value) in url::form_urlencoded::parse(&body) {
                params.push(&name, value.into_owned());
            }
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_ignore_case_and_the_last_value_wins() {
        let p = TapParams::from_pairs([("QUERY", "a"), ("lang", "ADQL"), ("Query", "b")]);
        assert_eq!(p.get("query"), Some("b"));
        assert_eq!(p.get("LANG"), Some("ADQL"));
        assert_eq!(p.all("query").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.get("maxrec"), None);
    }

    #[tokio::test]
    async fn form_bodies_and_query_strings_are_read() {
        let request = Request::post("/sync?LANG=ADQL")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("QUERY=SELECT+1&maxrec=5"))
            .unwrap();
        let p = TapParams::read(request).await.unwrap();
        assert_eq!(p.get("lang"), Some("ADQL"));
        assert_eq!(p.get("query"), Some("SELECT 1"));
        assert_eq!(p.get("MAXREC"), Some("5"));
    }

    #[tokio::test]
    async fn multipart_files_are_parts_and_texts_are_parameters() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"QUERY\"\r\n\r\nSELECT 1\r\n\
                    --XX\r\nContent-Disposition: form-data; name=\"t1\"; filename=\"t1.xml\"\r\n\r\n<VOTABLE/>\r\n\
                    --XX--\r\n";
        let request = Request::post("/sync")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XX")
            .body(Body::from(body))
            .unwrap();
        let p = TapParams::read(request).await.unwrap();
        assert_eq!(p.get("query"), Some("SELECT 1"));
        assert_eq!(p.part("t1").unwrap(), Bytes::from("<VOTABLE/>"));
        assert!(p.part("t2").is_none());
    }
}
