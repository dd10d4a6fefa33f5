//! Simple Cone Search 1.03 (`RA`, `DEC`, `SR`, `VERB`).
//!
//! Errors come back as VOTables with an `INFO` or `PARAM` named `Error`, at the document or
//! the resource level or in `DEFINITIONS`; all four forms become [`Error::Service`]
//! carrying the service's message.

use futures::StreamExt;
use url::Url;
use votable_arrow::ReaderOptions;

use crate::dal::{get_votable, num, parse_base};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::result::{QueryResult, Table};

/// One cone of a batch: centre and radius in ICRS degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cone {
    /// Right ascension of the centre.
    pub ra: f64,
    /// Declination of the centre.
    pub dec: f64,
    /// Search radius.
    pub sr: f64,
}

/// A cone search service.
#[derive(Debug, Clone)]
pub struct ConeSearch {
    http: HttpClient,
    base: Url,
    service: String,
    batch_size: usize,
}

/// The verbosity of a cone search answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `VERB=1`: the fewest columns (id and position).
    Minimal,
    /// `VERB=2`: the service's default columns.
    Default,
    /// `VERB=3`: every column.
    Full,
}

impl ConeSearch {
    /// A service at `url` (which may end with `?` or `&` and carry its own parameters).
    pub fn new(http: HttpClient, url: &str) -> Result<Self> {
        Ok(ConeSearch {
            http,
            base: parse_base("cone search", url)?,
            service: "cone search".to_owned(),
            batch_size: 8192,
        })
    }

    /// Names the service in errors.
    pub fn with_name(mut self, name: &str) -> Self {
        self.service = format!("cone search {name}");
        self
    }

    /// The request parameters (checked: RA in [0, 360], DEC in [-90, 90], SR ≥ 0, finite).
    pub fn params(
        ra: f64,
        dec: f64,
        sr: f64,
        verb: Option<Verbosity>,
    ) -> Result<Vec<(String, String)>> {
        if !ra.is_finite() || !(0.0..=360.0).contains(&ra) {
            return Err(Error::InvalidInput(format!(
                "RA {ra} is not in [0, 360] degrees"
            )));
        }
        if !dec.is_finite() || !(-90.0..=90.0).contains(&dec) {
            return Err(Error::InvalidInput(format!(
                "DEC {dec} is not in [-90, 90] degrees"
            )));
        }
        if !sr.is_finite() || !(0.0..=180.0).contains(&sr) {
            return Err(Error::InvalidInput(format!(
                "SR {sr} is not in [0, 180] degrees"
            )));
        }
        let mut p = vec![
            ("RA".to_owned(), num(ra)),
            ("DEC".to_owned(), num(dec)),
            ("SR".to_owned(), num(sr)),
        ];
        if let Some(v) = verb {
            let v = match v {
                Verbosity::Minimal => "1",
                Verbosity::Default => "2",
                Verbosity::Full => "3",
            };
            p.push(("VERB".to_owned(), v.to_owned()));
        }
        Ok(p)
    }

    /// Searches the cone of radius `sr` degrees around (`ra`, `dec`) (ICRS degrees).
    pub async fn search(
        &self,
        ra: f64,
        dec: f64,
        sr: f64,
        verb: Option<Verbosity>,
    ) -> Result<QueryResult> {
        let params = Self::params(ra, dec, sr, verb)?;
        get_votable(
            &self.http,
            &self.service,
            &self.base,
            &params,
            None,
            ReaderOptions::default().with_batch_size(self.batch_size),
        )
        .await
    }
}

impl ConeSearch {
    /// Runs many cone searches with at most `max_connections` (at least 1) connections open
    /// to the service at any moment, and returns the answers in the order of `cones`.
    ///
    /// The bound is hard: the searches run on a client of their own whose connector never
    /// holds more than `max_connections` connections ([`HttpClient::with_connection_cap`]),
    /// and at most that many searches are in flight, each until its answer has been read.
    /// One failed cone does not stop the others; its entry is the error.
    pub async fn search_many(
        &self,
        cones: &[Cone],
        verb: Option<Verbosity>,
        max_connections: usize,
    ) -> Result<Vec<Result<Table>>> {
        let limit = max_connections.max(1);
        let capped = ConeSearch {
            http: self.http.with_connection_cap(limit)?,
            ..self.clone()
        };
        let mut answers: Vec<(usize, Result<Table>)> =
            futures::stream::iter(cones.iter().enumerate())
                .map(|(i, cone)| {
                    let capped = &capped;
                    async move {
                        let table = match capped.search(cone.ra, cone.dec, cone.sr, verb).await {
                            Ok(result) => result.collect().await,
                            Err(e) => Err(e),
                        };
                        (i, table)
                    }
                })
                .buffer_unordered(limit)
                .collect()
                .await;
        answers.sort_by_key(|(i, _)| *i);
        Ok(answers.into_iter().map(|(_, t)| t).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn params_checked() {
        let p = ConeSearch::params(10.0, -5.5, 0.1, Some(Verbosity::Full)).unwrap();
        assert_eq!(p[0], ("RA".to_owned(), "10".to_owned()));
        assert_eq!(p[3], ("VERB".to_owned(), "3".to_owned()));
        assert!(ConeSearch::params(400.0, 0.0, 0.1, None).is_err());
        assert!(ConeSearch::params(0.0, 91.0, 0.1, None).is_err());
        assert!(ConeSearch::params(0.0, 0.0, -1.0, None).is_err());
        assert!(ConeSearch::params(f64::NAN, 0.0, 1.0, None).is_err());
    }
}
