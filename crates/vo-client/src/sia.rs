//! Simple Image Access 2.0 queries (`POS`, `BAND`, `TIME`, …); answers are ObsCore-shaped
//! VOTables. Repeating a parameter means OR, different parameters mean AND.

use crate::dal::num;
pub use crate::dal::{DalQuery, DalService};
use crate::error::{Error, Result};

/// A `POS` constraint (ICRS degrees).
#[derive(Debug, Clone, PartialEq)]
pub enum SiaPos {
    /// `CIRCLE ra dec radius`.
    Circle {
        /// Right ascension.
        ra: f64,
        /// Declination.
        dec: f64,
        /// Radius.
        radius: f64,
    },
    /// `RANGE ra1 ra2 dec1 dec2` (infinite bounds allowed).
    Range {
        /// RA bounds.
        ra: (f64, f64),
        /// Dec bounds.
        dec: (f64, f64),
    },
    /// `POLYGON ra1 dec1 ra2 dec2 …` (at least three vertices).
    Polygon(Vec<(f64, f64)>),
}

/// DALI numbers: infinities spelled `+Inf`/`-Inf`.
fn dali(x: f64) -> String {
    if x == f64::INFINITY {
        "+Inf".to_owned()
    } else if x == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        num(x)
    }
}

impl SiaPos {
    fn render(&self) -> Result<String> {
        match self {
            SiaPos::Circle { ra, dec, radius } => {
                if ![*ra, *dec, *radius].iter().all(|v| v.is_finite()) || *radius < 0.0 {
                    return Err(Error::InvalidInput(
                        "SIA CIRCLE needs finite ra, dec and a radius ≥ 0".to_owned(),
                    ));
                }
                Ok(format!(
                    "CIRCLE {} {} {}",
                    num(*ra),
                    num(*dec),
                    num(*radius)
                ))
            }
            SiaPos::Range { ra, dec } => Ok(format!(
                "RANGE {} {} {} {}",
                dali(ra.0),
                dali(ra.1),
                dali(dec.0),
                dali(dec.1)
            )),
            SiaPos::Polygon(vertices) => {
                if vertices.len() < 3
                    || vertices
                        .iter()
                        .any(|(a, d)| !a.is_finite() || !d.is_finite())
                {
                    return Err(Error::InvalidInput(
                        "SIA POLYGON needs at least three finite vertices".to_owned(),
                    ));
                }
                let coords: Vec<String> = vertices
                    .iter()
                    .flat_map(|(a, d)| [num(*a), num(*d)])
                    .collect();
                Ok(format!("POLYGON {}", coords.join(" ")))
            }
        }
    }
}

/// An SIA 2.0 query. Every list is OR-ed; fields left empty are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiaQuery {
    /// `POS`.
    pub pos: Vec<SiaPos>,
    /// `BAND` intervals (wavelength in metres).
    pub band: Vec<(f64, f64)>,
    /// `TIME` intervals (MJD).
    pub time: Vec<(f64, f64)>,
    /// `POL` states (`I`, `Q`, …).
    pub pol: Vec<String>,
    /// `FOV` intervals (degrees).
    pub fov: Vec<(f64, f64)>,
    /// `SPATRES` intervals (degrees).
    pub spatres: Vec<(f64, f64)>,
    /// `EXPTIME` intervals (seconds).
    pub exptime: Vec<(f64, f64)>,
    /// `ID` (obs_publisher_did).
    pub id: Vec<String>,
    /// `COLLECTION`.
    pub collection: Vec<String>,
    /// `FACILITY`.
    pub facility: Vec<String>,
    /// `INSTRUMENT`.
    pub instrument: Vec<String>,
    /// `DPTYPE` (`image`, `cube`).
    pub dptype: Vec<String>,
    /// `CALIB` levels.
    pub calib: Vec<u8>,
    /// `TARGET`.
    pub target: Vec<String>,
    /// `MAXREC`.
    pub maxrec: Option<u64>,
    /// Further parameters sent verbatim.
    pub extra: Vec<(String, String)>,
}

impl DalQuery for SiaQuery {
    const KIND: &'static str = "SIA";

    fn maxrec(&self) -> Option<u64> {
        self.maxrec
    }

    fn params(&self) -> Result<Vec<(String, String)>> {
        let mut p = Vec::new();
        for pos in &self.pos {
            p.push(("POS".to_owned(), pos.render()?));
        }
        let intervals =
            |p: &mut Vec<(String, String)>, name: &str, list: &[(f64, f64)]| -> Result<()> {
                for (lo, hi) in list {
                    if lo.is_nan() || hi.is_nan() || lo > hi {
                        return Err(Error::InvalidInput(format!(
                            "SIA {name} interval {lo} {hi} is empty or not a number"
                        )));
                    }
                    p.push((name.to_owned(), format!("{} {}", dali(*lo), dali(*hi))));
                }
                Ok(())
            };
        intervals(&mut p, "BAND", &self.band)?;
        intervals(&mut p, "TIME", &self.time)?;
        intervals(&mut p, "FOV", &self.fov)?;
        intervals(&mut p, "SPATRES", &self.spatres)?;
        intervals(&mut p, "EXPTIME", &self.exptime)?;
        let strings = [
            ("POL", &self.pol),
            ("ID", &self.id),
            ("COLLECTION", &self.collection),
            ("FACILITY", &self.facility),
            ("INSTRUMENT", &self.instrument),
            ("DPTYPE", &self.dptype),
            ("TARGET", &self.target),
        ];
        for (name, list) in strings {
            p.extend(list.iter().map(|v| (name.to_owned(), v.clone())));
        }
        p.extend(
            self.calib
                .iter()
                .map(|c| ("CALIB".to_owned(), c.to_string())),
        );
        if let Some(m) = self.maxrec {
            p.push(("MAXREC".to_owned(), m.to_string()));
        }
        p.extend(self.extra.iter().cloned());
        Ok(p)
    }
}

/// An SIA 2.0 query endpoint.
/// An SIA 2.0 query endpoint (e.g. `…/sia2/query`).
pub type SiaService = DalService<SiaQuery>;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_params() {
        let q = SiaQuery {
            pos: vec![
                SiaPos::Circle {
                    ra: 10.0,
                    dec: 20.5,
                    radius: 0.1,
                },
                SiaPos::Range {
                    ra: (0.0, 1.0),
                    dec: (f64::NEG_INFINITY, 5.0),
                },
            ],
            band: vec![(5e-7, 6e-7)],
            dptype: vec!["image".into()],
            calib: vec![3],
            maxrec: Some(10),
            ..SiaQuery::default()
        };
        let p = q.params().unwrap();
        assert_eq!(p[0], ("POS".to_owned(), "CIRCLE 10 20.5 0.1".to_owned()));
        assert_eq!(p[1], ("POS".to_owned(), "RANGE 0 1 -Inf 5".to_owned()));
        assert_eq!(p[2], ("BAND".to_owned(), "0.0000005 0.0000006".to_owned()));
        assert!(p.contains(&("DPTYPE".to_owned(), "image".to_owned())));
        assert!(p.contains(&("CALIB".to_owned(), "3".to_owned())));
        assert!(p.contains(&("MAXREC".to_owned(), "10".to_owned())));
        let bad = SiaQuery {
            time: vec![(5.0, 1.0)],
            ..SiaQuery::default()
        };
        assert!(bad.params().is_err());
        let bad = SiaQuery {
            pos: vec![SiaPos::Polygon(vec![(0.0, 0.0), (1.0, 1.0)])],
            ..SiaQuery::default()
        };
        assert!(bad.params().is_err());
    }
}
