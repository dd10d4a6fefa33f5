//! Small helpers of the XML documents the server writes: escaping, and ISO 8601 timestamps.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDateTime, Utc};

/// `text` escaped for XML content or attribute values.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// Milliseconds since the Unix epoch of `time`.
pub(crate) fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The current time in milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> i64 {
    millis(SystemTime::now())
}

/// `ms` (since the Unix epoch) as ISO 8601 UTC with milliseconds: `2026-12-08T01:02:03.456Z`.
pub(crate) fn iso8601(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Parses an ISO 8601 timestamp as UWS clients send it (`2026-12-08T01:02:03Z`, with or without fraction,
/// zone or time) into milliseconds since the Unix epoch.
pub(crate) fn parse_iso8601(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let naive = text.trim_end_matches('Z');
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// `duration` in milliseconds, saturating.
pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn timestamps_round_trip_in_the_forms_clients_send() {
        let ms = parse_iso8601("2026-12-08T01:02:03.456Z").unwrap();
        assert_eq!(iso8601(ms), "2026-12-08T01:02:03.456Z");
        assert_eq!(parse_iso8601("2026-12-08T01:02:03Z"), Some(ms - 456));
        assert_eq!(parse_iso8601("2026-12-08T01:02:03"), Some(ms - 456));
        assert_eq!(
            parse_iso8601("2026-12-08T01:02:03+01:00"),
            Some(ms - 456 - 3_600_000)
        );
        assert_eq!(parse_iso8601("2026-12-08"), Some(ms - 3_723_456));
        assert_eq!(parse_iso8601("yesterday"), None);
    }
}
