//! Date formats used by the signing schemes.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses SigV4's `YYYYMMDDTHHMMSSZ`.
pub fn parse_amz(s: &str) -> Option<OffsetDateTime> {
    let f = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(s, f).ok().map(|p| p.assume_utc())
}

/// Parses an HTTP `Date` (RFC 7231 IMF-fixdate, or RFC 2822 as S3 examples use).
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc2822) {
        return Some(t);
    }
    let f = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(s, f).ok().map(|p| p.assume_utc())
}

/// Parses the ISO 8601 timestamps of Query signatures (`2011-10-03T15:19:30`, with or without `Z`).
pub fn parse_iso(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(s.trim_end_matches('Z'), f)
        .ok()
        .map(|p| p.assume_utc())
}

pub fn format_amz(t: OffsetDateTime) -> String {
    let f = format_description!("[year][month][day]T[hour][minute][second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(f)
        .unwrap_or_default()
}

/// An HTTP `Date` in RFC 7231's IMF-fixdate form (`Mon, 07 Dec 2026 19:42:31 GMT`), as
/// clients write the Date header that SigV2 signs.
pub fn format_http_date(t: OffsetDateTime) -> String {
    let f = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(f)
        .unwrap_or_default()
}

/// RFC 3339 in UTC with microseconds, fixed width (`2015-08-30T12:36:01.019838Z`).
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(0..=9999).contains(&t.year()) {
        let f = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        return t.format(f).unwrap_or_default();
    }
    // The same text, written directly: once per exchange of a capture report.
    let mut s = String::with_capacity(27);
    let mut put = |n: u32, width: u32, sep: char| {
        for i in (0..width).rev() {
            s.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
        }
        s.push(sep);
    };
    put(t.year() as u32, 4, '-');
    put(u8::from(t.month()).into(), 2, '-');
    put(t.day().into(), 2, 'T');
    put(t.hour().into(), 2, ':');
    put(t.minute().into(), 2, ':');
    put(t.second().into(), 2, '.');
    put(t.microsecond(), 6, 'Z');
    s
}

/// A `Date` header in SigV4's basic form, as signers that fall back to it use it.
pub fn http_date_to_amz(s: &str) -> Option<String> {
    parse_http_date(s).map(format_amz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        let s = "Mon, 07 Dec 2026 19:42:31 GMT";
        assert_eq!(format_http_date(parse_http_date(s).unwrap()), s);
    }

    #[test]
    fn rfc3339_as_the_time_crate_writes_it() {
        let f = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        for nanos in [
            0i128,
            1,
            999,
            1_000,
            1_440_938_160_033_898_123,
            253_402_300_799_999_999_999,
            -1,
            -62_135_596_800_000_000_000,
            -62_135_596_800_000_000_001,
        ] {
            let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
            assert_eq!(format_rfc3339(t), t.format(f).unwrap(), "{nanos}");
        }
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_000_000_000)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(5, 30, 0).unwrap());
        assert_eq!(format_rfc3339(t), "1970-01-01T00:00:01.000000Z");
    }

    #[test]
    fn converts_http_dates() {
        assert_eq!(
            http_date_to_amz("Fri, 24 May 2013 00:00:00 GMT").unwrap(),
            "20130524T000000Z"
        );
        assert_eq!(
            http_date_to_amz("Tue, 27 Mar 2007 19:36:42 +0000").unwrap(),
            "20070327T193642Z"
        );
        assert!(parse_amz("20150830T123600Z").is_some());
        assert!(parse_amz("2015-08-30").is_none());
        assert!(parse_iso("2011-10-03T15:19:30").is_some());
        assert!(parse_iso("2012-11-27T11:47:02Z").is_some());
        let t = parse_amz("20150830T123600Z").unwrap();
        assert_eq!(format_rfc3339(t), "2015-08-30T12:36:00.000000Z");
    }
}
