//! Whether a captured request's date is stale now: servers refuse a signature more than 15
//! minutes from their clock (S3's `RequestTimeTooSkewed`, "Authenticating Requests (AWS
//! Signature Version 4)"), and a presigned URL after its expiry. A replay sends it anyway —
//! the server's answer is the point — and says so.

use std::fmt;

use time::OffsetDateTime;

use crate::engine::auth::{self, Parsed};
use crate::engine::time::{parse_amz, parse_http_date, parse_iso};
use crate::http::{Headers, Request};

/// How far from its clock a server accepts a signature's date.
pub const SKEW_LIMIT_SECS: i64 = 15 * 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// The signed date is this many seconds away from now (positive: in the past).
    Skewed { signed: String, secs: i64 },
    /// A presigned URL (or a Query request with `Expires`) past its expiry.
    Expired { at: String },
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Staleness::Skewed { signed, secs } if *secs >= 0 => write!(
                f,
                "the date is stale: signed at {signed}, {} before now (servers allow 15 minutes)",
                span(*secs)
            ),
            Staleness::Skewed { signed, secs } => write!(
                f,
                "the date is in the future: signed at {signed}, {} after now (servers allow 15 minutes)",
                span(-secs)
            ),
            Staleness::Expired { at } => write!(f, "the date is stale: the URL expired at {at}"),
        }
    }
}

fn span(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} seconds"),
        s if s < 7200 => format!("{} minutes", s / 60),
        s if s < 2 * 86400 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86400),
    }
}

fn skew(t: OffsetDateTime, now: OffsetDateTime, shown: &str) -> Option<Staleness> {
    let secs = (now - t).whole_seconds();
    (secs.abs() > SKEW_LIMIT_SECS).then(|| Staleness::Skewed {
        signed: crate::escape::escape_str(shown),
        secs,
    })
}

fn expired(at: OffsetDateTime, now: OffsetDateTime) -> Option<Staleness> {
    (at < now).then(|| Staleness::Expired {
        at: crate::engine::time::format_http_date(at),
    })
}

/// Why the request's date is stale at `now`, if it is.
pub fn staleness(req: &Request, now: OffsetDateTime) -> Option<Staleness> {
    let d = auth::detect(req);
    match d.parsed {
        Parsed::V4(a) => {
            let date = a.amz_date.as_deref()?;
            let t = parse_amz(date)?;
            if d.info.mode.is_presigned() {
                let secs: i64 = a.expires.as_deref()?.trim().parse().ok()?;
                expired(t + time::Duration::seconds(secs), now)
            } else {
                skew(t, now, date)
            }
        }
        Parsed::V2(a) => match &a.expires {
            Some(e) => {
                let at = OffsetDateTime::from_unix_timestamp(e.trim().parse().ok()?).ok()?;
                expired(at, now)
            }
            None => {
                let date = req.header("x-amz-date").or_else(|| req.header("date"))?;
                skew(parse_http_date(&date)?, now, &date)
            }
        },
        Parsed::Query(q) => {
            let get = |n: &str| {
                q.params
                    .iter()
                    .find(|(k, _)| k.as_slice() == n.as_bytes())
                    .map(|(_, v)| crate::http::text(v).into_owned())
            };
            if let Some(ts) = get("Timestamp") {
                skew(parse_iso(&ts)?, now, &ts)
            } else {
                expired(parse_iso(&get("Expires")?)?, now)
            }
        }
        // A form is used long after it is signed: its policy's expiration is what counts.
        Parsed::PostPolicy(_) | Parsed::Nothing => None,
    }
}
