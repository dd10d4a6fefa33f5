//! Retries: which failures are tried again, and after how long (backoff, `Retry-After`).

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

/// When and how often a failed request is tried again.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; doubles with every further retry.
    pub base_delay: Duration,
    /// Upper bound of the exponential delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a service asking for more gets its error
    /// returned instead of a silent long sleep.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The jittered delay before retry number `retry` (0-based): a uniformly random value
    /// between half and all of `min(max_delay, base_delay · 2^retry)`, so that many clients
    /// failing together do not come back together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        let factor: f64 = rand::random_range(0.5..=1.0);
        capped.mul_f64(factor)
    }

    /// The wait before sending again a request answered with `status` after `retries`
    /// retries, or `None` when the answer stands. Only 429 and 5xx answers to idempotent
    /// requests are retried; a `Retry-After` longer than [`RetryPolicy::max_retry_after`]
    /// lets the answer stand.
    pub(crate) fn delay_after_status(
        &self,
        idempotency: Idempotency,
        status: StatusCode,
        headers: &HeaderMap,
        retries: u32,
    ) -> Option<Duration> {
        let retryable_status = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        if !(retryable_status
            && idempotency == Idempotency::Idempotent
            && retries < self.max_retries)
        {
            return None;
        }
        match retry_after(headers, SystemTime::now()) {
            Some(d) if d > self.max_retry_after => None,
            Some(d) => Some(d),
            None => Some(self.backoff(retries)),
        }
    }

    /// The wait before sending again a request that failed with `err` after `retries`
    /// retries, or `None` when the failure is reported.
    pub(crate) fn delay_after_error(
        &self,
        idempotency: Idempotency,
        err: &reqwest::Error,
        retries: u32,
    ) -> Option<Duration> {
        // A host that does not resolve or refuses connections is reported at once: waiting
        // and asking again rarely changes that, and the user waits for nothing (5xx answers and
        // connections that break are what retries are for).
        if err.is_connect() {
            return None;
        }
        let may_retry = match idempotency {
            // Only a request that provably never left may be repeated, and connection failures
            // are not retried: nothing is.
            Idempotency::NotIdempotent => false,
            // A timeout is reported, not repeated: the caller may prefer another
            // route (sync → async) over waiting the same time again.
            Idempotency::Idempotent => !err.is_timeout() && !err.is_builder(),
        };
        (may_retry && retries < self.max_retries).then(|| self.backoff(retries))
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Repeating it is harmless (GET, DELETE, a sync query, a phase change to RUN).
    Idempotent,
    /// Repeating it could do the work twice (creating a UWS job): retried only when the
    /// request provably never reached the server (the connection could not be made).
    NotIdempotent,
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses the three HTTP date formats of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime).
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = s.split([' ', ',']).filter(|p| !p.is_empty()).collect();
    let (day, month, year, time) = match parts.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_, d, m, y, t, "GMT"] if d.len() <= 2 && y.len() == 4 => {
            (*d, *m, y.parse::<i64>().ok()?, *t)
        }
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            let y: i64 = y.parse().ok()?;
            // RFC 9110: two-digit years more than 50 years in the future are in the past century.
            let y = if y < 100 {
                if y < 70 { 2000 + y } else { 1900 + y }
            } else {
                y
            };
            (d, m, y, *t)
        }
        // Sun Nov  6 08:49:37 1994
        [_, m, d, t, y] => (*d, *m, y.parse::<i64>().ok()?, *t),
        _ => return None,
    };
    let day: i64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|name| *name == month)? as i64
        + 1;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(h * 3600 + mi * 60 + se)?;
    let secs = u64::try_from(secs).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("soon"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        // A date in the past means "now".
        assert_eq!(
            retry_after(&h, now + Duration::from_secs(100)),
            Some(Duration::ZERO)
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("later"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d0 = p.backoff(0);
            assert!(
                d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100),
                "{d0:?}"
            );
            let d5 = p.backoff(5);
            assert!(
                d5 >= Duration::from_millis(175) && d5 <= Duration::from_millis(350),
                "{d5:?}"
            );
        }
        assert!(p.backoff(200) <= Duration::from_millis(350));
    }
}
