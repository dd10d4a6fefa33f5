//! Where a cone, an image search or a Mashup position points: a position written in decimal degrees or
//! sexagesimal ([`adql_geom::parse_position`]), or an object name resolved with MAST's name resolver.
//!
//! Positions are checked before anything is sent: a declination beyond ±90° or a radius outside
//! ]0, 180] is a usage error naming the value.

use adql_geom::PositionError;
use vo_client::mashup::MastClient;

use crate::commands::tap::http_client;
use crate::{Error, Result};

/// The (RA, Dec) in degrees of `text`: a position, or a name the resolver at `resolver_url` knows.
///
/// # Errors
/// A position with a field out of range, a name no resolver knows, or the resolver's failure.
pub(crate) async fn target(text: &str, resolver_url: &str) -> Result<(f64, f64)> {
    match adql_geom::parse_position(text) {
        Ok(position) => Ok(position),
        Err(error @ PositionError::Invalid { .. }) => {
            Err(Error::Usage(format!("position {error}")))
        }
        Err(PositionError::NotAPosition(name)) => {
            let found = MastClient::with_url(http_client()?, resolver_url)?
                .resolve(&name)
                .await?;
            let first = found.first().ok_or_else(|| {
                Error::Usage(format!("no resolver knows the object name '{name}'"))
            })?;
            say_resolved(&name, first.ra, first.dec);
            Ok((first.ra, first.dec))
        }
    }
}

/// Says where a name was resolved to (on stderr, only when it is a terminal: scripts get data only).
fn say_resolved(name: &str, ra: f64, dec: f64) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!("adql: {name} is at RA {ra:.6}, Dec {dec:.6} (MAST name resolver)");
    }
}

/// A search radius in degrees, in ]0, 180].
///
/// # Errors
/// Not a number, or out of range.
pub(crate) fn radius(text: &str) -> Result<f64> {
    match text.trim().parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 180.0 => Ok(r),
        _ => Err(Error::Usage(format!(
            "radius '{text}': expected degrees in ]0, 180]"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn radii_are_checked() {
        assert_eq!(radius("0.5").unwrap(), 0.5);
        for bad in ["0", "-1", "181", "x", "NaN"] {
            assert!(radius(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn positions_are_checked_before_any_request() {
        // The resolver URL is unreachable: a position never asks it.
        let unreachable = "http://127.0.0.1:1/api/v0/invoke";
        assert_eq!(target("10 20", unreachable).await.unwrap(), (10.0, 20.0));
        let err = target("10 95", unreachable).await.unwrap_err().to_string();
        assert!(err.contains("outside [-90, 90]"), "{err}");
        let err = target("25:00:00 +10:00:00", unreachable)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("hours"), "{err}");
    }
}
