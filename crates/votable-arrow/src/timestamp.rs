//! ISO 8601 timestamps of DALI `xtype="timestamp"`, to and from microseconds since the
//! Unix epoch (UTC, proleptic Gregorian calendar).

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.i += n;
        Some(v)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
}

/// Parses `YYYY-MM-DD`, optionally followed by `T` (or a space) and `hh:mm[:ss[.fff…]]`,
/// optionally followed by `Z` or a `±hh:mm` offset. Returns microseconds since the epoch
/// (UTC), or `None` when the text is not such a timestamp.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let mut c = Cursor {
        s: text.trim().as_bytes(),
        i: 0,
    };
    let negative_year = c.eat(b'-');
    let year = i64::from(c.digits(4)?);
    let year = if negative_year { -year } else { year };
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * MICROS_PER_DAY;
    if c.eat(b'T') || c.eat(b' ') {
        let h = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        let mi = c.digits(2)?;
        let mut sec = 0u32;
        let mut frac = 0i64;
        if c.eat(b':') {
            sec = c.digits(2)?;
            if c.eat(b'.') {
                let mut scale = 100_000i64;
                let mut any = false;
                while let Some(b) = c.peek().filter(u8::is_ascii_digit) {
                    frac += i64::from(b - b'0') * scale;
                    scale /= 10;
                    c.i += 1;
                    any = true;
                }
                if !any {
                    return None;
                }
            }
        }
        if h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi, sec, frac) != (0, 0, 0)) {
            return None;
        }
        micros += (i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec)) * 1_000_000 + frac;
        if c.eat(b'Z') {
        } else if let Some(sign) = c.peek().filter(|b| *b == b'+' || *b == b'-') {
            c.i += 1;
            let oh = c.digits(2)?;
            c.eat(b':');
            let om = c.digits(2)?;
            let off = (i64::from(oh) * 60 + i64::from(om)) * 60_000_000;
            micros = if sign == b'+' {
                micros - off
            } else {
                micros + off
            };
        }
    } else {
        c.eat(b'Z');
    }
    (c.i == c.s.len()).then_some(micros)
}

/// Formats microseconds since the epoch as `YYYY-MM-DDThh:mm:ss[.ffffff]` (UTC, no zone
/// designator, as DALI writes it). Fractional digits appear only when non-zero.
pub fn format_timestamp(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rem = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000;
    let frac = rem % 1_000_000;
    let (h, mi, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let date = if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y}-{m:02}-{d:02}")
    };
    if frac == 0 {
        format!("{date}T{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{date}T{h:02}:{mi:02}:{s:02}.{frac:06}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_dali_forms() {
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_timestamp("1970-01-02"), Some(MICROS_PER_DAY));
        assert_eq!(
            parse_timestamp("2000-03-01T12:30:15.25"),
            Some(951_913_815_250_000)
        );
        assert_eq!(parse_timestamp("1969-12-31T23:59:59.999999"), Some(-1));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01 00:01"), Some(60_000_000));
        assert_eq!(parse_timestamp("2023-02-29"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2020-01-01T"), None);
    }

    #[test]
    fn formats_and_round_trips() {
        for v in [
            0i64,
            1,
            -1,
            951_913_815_250_000,
            -62_135_596_800_000_000,
            253_402_300_799_999_999,
        ] {
            assert_eq!(parse_timestamp(&format_timestamp(v)), Some(v), "{v}");
        }
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00");
    }
}
