//! Positions as astronomers write them: decimal degrees or sexagesimal.
//!
//! [`parse_position`] reads `10.684 41.269`, `10.684,41.269`, `00:42:44.3 +41:16:09`,
//! `00h42m44.3s +41d16m09s` and `00 42 44.3 +41 16 09`. A sexagesimal right ascension is in hours (15° per
//! hour), a sexagesimal declination in degrees; a decimal one is degrees. The declination is checked
//! ([`Point::new`]: at most 90°, floating-point noise at a pole tolerated). Text that is not a position at
//! all (`M31`, `TIC 307210830`) is [`PositionError::NotAPosition`], so that a caller can try it as an object
//! name.

use crate::point::Point;

/// Why a text is not a position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PositionError {
    /// The text has no numbers where a position has them: perhaps an object name.
    #[error("'{0}' is not a position")]
    NotAPosition(String),
    /// It looks like a position but something in it is wrong (a field out of range, a missing
    /// declination).
    #[error("'{text}': {reason}")]
    Invalid {
        /// The text.
        text: String,
        /// What is wrong.
        reason: String,
    },
}

/// The (RA, Dec) in degrees that `text` writes.
///
/// # Errors
/// [`PositionError::NotAPosition`] for text that is no position (a name); [`PositionError::Invalid`] for a
/// position with a field out of range or a declination beyond ±90°.
pub fn parse_position(text: &str) -> Result<(f64, f64), PositionError> {
    let trimmed = text.trim();
    let invalid = |reason: String| PositionError::Invalid {
        text: trimmed.to_owned(),
        reason,
    };
    let looks_numeric = trimmed
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    if !looks_numeric
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " \t,:+-.hmsdHMSD°'\"".contains(c))
    {
        return Err(PositionError::NotAPosition(trimmed.to_owned()));
    }
    let (ra_text, dec_text) = split_ra_dec(trimmed)
        .ok_or_else(|| invalid("expected RA and Dec (degrees, or h:m:s and d:m:s)".to_owned()))?;
    let ra = angle(ra_text, true).map_err(|r| invalid(format!("right ascension: {r}")))?;
    let dec = angle(dec_text, false).map_err(|r| invalid(format!("declination: {r}")))?;
    let point = Point::new(ra, dec).map_err(|e| invalid(e.to_string()))?;
    Ok((point.lon(), point.lat()))
}

/// Splits at the comma, or at the sign of the declination, or in the middle of the numbers.
fn split_ra_dec(text: &str) -> Option<(&str, &str)> {
    if let Some((ra, dec)) = text.split_once(',') {
        return Some((ra.trim(), dec.trim()));
    }
    // A signed declination starts at its sign (after the first character).
    if let Some(i) = text
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '+' || c == '-')
        .map(|(i, _)| i)
    {
        return Some((text[..i].trim(), text[i..].trim()));
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.len() {
        2 => Some((words[0], words[1])),
        6 => {
            // `hh mm ss dd mm ss`: the first three words are the RA.
            let cut = text.find(words[3])?;
            Some((text[..cut].trim(), text[cut..].trim()))
        }
        _ => None,
    }
}

/// One angle in degrees: decimal degrees, or sexagesimal (hours for a right ascension).
fn angle(text: &str, hours: bool) -> Result<f64, String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let fields: Vec<&str> = body
        .split(|c: char| c.is_whitespace() || ":hmsdHMSD°'\"".contains(c))
        .filter(|f| !f.is_empty())
        .collect();
    let numbers: Vec<f64> = fields
        .iter()
        .map(|f| {
            f.parse::<f64>()
                .map_err(|_| format!("'{f}' is not a number"))
        })
        .collect::<Result<_, _>>()?;
    let sexagesimal = numbers.len() > 1 || body.chars().any(|c| ":hmsdHMSD°'\"".contains(c));
    let value = match numbers[..] {
        [] => return Err("missing".to_owned()),
        [degrees] if !sexagesimal => degrees,
        [a] => a * if hours { 15.0 } else { 1.0 },
        [_, m] | [_, m, _] if !(0.0..60.0).contains(&m) => {
            return Err(format!("minutes {m} are not in [0, 60)"));
        }
        [_, _, s] if !(0.0..60.0).contains(&s) => {
            return Err(format!("seconds {s} are not in [0, 60)"));
        }
        [a, m] => (a + m / 60.0) * if hours { 15.0 } else { 1.0 },
        [a, m, s] => (a + m / 60.0 + s / 3600.0) * if hours { 15.0 } else { 1.0 },
        _ => return Err("more than three fields".to_owned()),
    };
    if hours && sexagesimal && !(0.0..24.0).contains(&(value / 15.0)) {
        return Err(format!("{} hours are not in [0, 24)", value / 15.0));
    }
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn close(text: &str, ra: f64, dec: f64) {
        let (r, d) = parse_position(text).unwrap();
        assert!(
            (r - ra).abs() < 1e-9 && (d - dec).abs() < 1e-9,
            "{text}: {r} {d}"
        );
    }

    #[test]
    fn decimal_and_sexagesimal_forms() {
        close("10.684 41.269", 10.684, 41.269);
        close("10.684,41.269", 10.684, 41.269);
        close("10.684, -41.269", 10.684, -41.269);
        close("10.684 -41.269", 10.684, -41.269);
        let m31 = (10.684_583_333_333_333, 41.269_166_666_666_67);
        close("00:42:44.3 +41:16:09", m31.0, m31.1);
        close("00h42m44.3s +41d16m09s", m31.0, m31.1);
        close("00 42 44.3 +41 16 09", m31.0, m31.1);
        close("00:42:44.3, 41:16:09", m31.0, m31.1);
        // A negative declination above -1°: the sign is kept.
        close("12:00:00 -00:30:00", 180.0, -0.5);
        // A decimal right ascension is kept as written (a service may check its range).
        close("-10 20", -10.0, 20.0);
    }

    #[test]
    fn names_and_mistakes() {
        assert!(matches!(
            parse_position("M31"),
            Err(PositionError::NotAPosition(_))
        ));
        assert!(matches!(
            parse_position("TIC 307210830"),
            Err(PositionError::NotAPosition(_))
        ));
        for bad in [
            "10 95",
            "10",
            "00:61:00 +10:00:00",
            "25:00:00 +10:00:00",
            "10 20 30 40",
        ] {
            assert!(
                matches!(parse_position(bad), Err(PositionError::Invalid { .. })),
                "{bad}: {:?}",
                parse_position(bad)
            );
        }
        let message = parse_position("10 95").unwrap_err().to_string();
        assert!(message.contains("outside [-90, 90]"), "{message}");
    }
}
