//! The two timestamp formats OSS signing uses: ISO 8601 basic (`20231216T162057Z`, V4) and
//! RFC 1123 (`Wed, 28 Dec 2022 10:27:41 GMT`, the `Date` header and V1).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};

/// Appends `value` as exactly `width` decimal digits (zero-padded, truncated to the width).
fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        out.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
    }
}

/// Formats `t` as ISO 8601 basic, `yyyymmddTHHMMSSZ` (16 characters).
pub fn iso8601_basic(t: DateTime<Utc>) -> String {
    let t = t.naive_utc();
    let mut s = String::with_capacity(16);
    push_digits(&mut s, t.year().clamp(0, 9999) as u32, 4);
    push_digits(&mut s, t.month(), 2);
    push_digits(&mut s, t.day(), 2);
    s.push('T');
    push_digits(&mut s, t.hour(), 2);
    push_digits(&mut s, t.minute(), 2);
    push_digits(&mut s, t.second(), 2);
    s.push('Z');
    s
}

/// Parses ISO 8601 basic `yyyymmddTHHMMSSZ`; `None` when the text is not exactly that form.
pub fn parse_iso8601_basic(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(4..6)?, digits(6..8)?)?;
    let time = NaiveTime::from_hms_opt(digits(9..11)?, digits(11..13)?, digits(13..15)?)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats `t` as an RFC 1123 HTTP date in GMT, e.g. `Wed, 28 Dec 2022 10:27:41 GMT`.
pub fn http_date(t: DateTime<Utc>) -> String {
    let t = t.naive_utc();
    let mut s = String::with_capacity(29);
    let weekday: Weekday = t.weekday();
    s.push_str(DAYS[weekday.num_days_from_monday() as usize]);
    s.push_str(", ");
    push_digits(&mut s, t.day(), 2);
    s.push(' ');
    s.push_str(MONTHS[t.month0() as usize]);
    s.push(' ');
    push_digits(&mut s, t.year().clamp(0, 9999) as u32, 4);
    s.push(' ');
    push_digits(&mut s, t.hour(), 2);
    s.push(':');
    push_digits(&mut s, t.minute(), 2);
    s.push(':');
    push_digits(&mut s, t.second(), 2);
    s.push_str(" GMT");
    s
}

/// Parses an HTTP date (RFC 1123, and the obsolete RFC 850 / asctime forms).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let system = httpdate::parse_http_date(s.trim()).ok()?;
    Some(DateTime::<Utc>::from(system))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_and_parses_both_forms() {
        let t = Utc.timestamp_opt(1702743657, 0).unwrap();
        assert_eq!(iso8601_basic(t), "20231216T162057Z");
        assert_eq!(parse_iso8601_basic("20231216T162057Z"), Some(t));
        let d = Utc.timestamp_opt(1672223261, 0).unwrap();
        assert_eq!(http_date(d), "Wed, 28 Dec 2022 10:27:41 GMT");
        assert_eq!(parse_http_date("Wed, 28 Dec 2022 10:27:41 GMT"), Some(d));
        assert_eq!(parse_iso8601_basic("20231216T162057"), None);
        assert_eq!(parse_iso8601_basic("2023121xT162057Z"), None);
        assert_eq!(parse_iso8601_basic("20231332T162057Z"), None);
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
