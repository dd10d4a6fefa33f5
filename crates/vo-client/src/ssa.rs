//! Simple Spectral Access 1.1 queries (`REQUEST=queryData`, `POS`, `SIZE`, `BAND`, `TIME`,
//! `FORMAT`).

use crate::dal::num;
pub use crate::dal::{DalQuery, DalService};
use crate::error::{Error, Result};

/// An SSA query. Fields left `None` are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SsaQuery {
    /// `POS=ra,dec` (ICRS degrees).
    pub pos: Option<(f64, f64)>,
    /// `SIZE`: diameter of the search region in degrees.
    pub size: Option<f64>,
    /// `BAND=lo/hi` in metres; either bound may be open.
    pub band: Option<(Option<f64>, Option<f64>)>,
    /// `TIME=start/end` (ISO 8601); either bound may be open.
    pub time: Option<(Option<String>, Option<String>)>,
    /// `FORMAT` (`votable`, `fits`, `all`, `compliant`, `native`, a MIME type…).
    pub format: Option<String>,
    /// `MAXREC`.
    pub maxrec: Option<u64>,
    /// Further parameters sent verbatim.
    pub extra: Vec<(String, String)>,
}

impl DalQuery for SsaQuery {
    const KIND: &'static str = "SSA";

    fn maxrec(&self) -> Option<u64> {
        self.maxrec
    }

    fn params(&self) -> Result<Vec<(String, String)>> {
        let mut p = vec![("REQUEST".to_owned(), "queryData".to_owned())];
        if let Some((ra, dec)) = self.pos {
            if !ra.is_finite() || !dec.is_finite() || !(-90.0..=90.0).contains(&dec) {
                return Err(Error::InvalidInput(format!(
                    "SSA POS {ra},{dec} is not a valid position"
                )));
            }
            p.push(("POS".to_owned(), format!("{},{}", num(ra), num(dec))));
        }
        if let Some(size) = self.size {
            if !size.is_finite() || size < 0.0 {
                return Err(Error::InvalidInput(format!(
                    "SSA SIZE {size} must be a finite number ≥ 0"
                )));
            }
            p.push(("SIZE".to_owned(), num(size)));
        }
        if let Some((lo, hi)) = self.band {
            if let (Some(l), Some(h)) = (lo, hi)
                && l > h
            {
                return Err(Error::InvalidInput(format!("SSA BAND {l}/{h} is empty")));
            }
            p.push((
                "BAND".to_owned(),
                format!(
                    "{}/{}",
                    lo.map(num).unwrap_or_default(),
                    hi.map(num).unwrap_or_default()
                ),
            ));
        }
        if let Some((start, end)) = &self.time {
            p.push((
                "TIME".to_owned(),
                format!(
                    "{}/{}",
                    start.as_deref().unwrap_or(""),
                    end.as_deref().unwrap_or("")
                ),
            ));
        }
        if let Some(f) = &self.format {
            p.push(("FORMAT".to_owned(), f.clone()));
        }
        if let Some(m) = self.maxrec {
            p.push(("MAXREC".to_owned(), m.to_string()));
        }
        p.extend(self.extra.iter().cloned());
        Ok(p)
    }
}

/// An SSA service.
/// An SSA service.
pub type SsaService = DalService<SsaQuery>;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_params() {
        let q = SsaQuery {
            pos: Some((187.25, 2.05)),
            size: Some(0.05),
            band: Some((Some(1e-7), None)),
            time: Some((Some("2000-01-01".into()), None)),
            format: Some("votable".into()),
            ..SsaQuery::default()
        };
        let p = q.params().unwrap();
        assert_eq!(p[0], ("REQUEST".to_owned(), "queryData".to_owned()));
        assert_eq!(p[1], ("POS".to_owned(), "187.25,2.05".to_owned()));
        assert_eq!(p[3], ("BAND".to_owned(), "0.0000001/".to_owned()));
        assert_eq!(p[4], ("TIME".to_owned(), "2000-01-01/".to_owned()));
        assert!(
            SsaQuery {
                size: Some(-1.0),
                ..SsaQuery::default()
            }
            .params()
            .is_err()
        );
    }
}
