//! The widened search (issue 12 §3): with the secret, when no dialect and no alteration of
//! [`super::alterations`] reproduces the signature, try what the strings the dialects built
//! would have been under two more kinds of cause before blaming the secret:
//!
//! * a date moved on the way: X-Amz-Date (SigV4) or the Date line (SigV2) re-stamped by a
//!   proxy, up to [`MAX_SHIFT_SECS`] either way (beyond, servers refuse the skew anyway);
//! * a rule of the client that no dialect has: the query signed as sent (the raw pairs,
//!   sorted or not, a `+` left a `+`), or the path signed as sent.
//!
//! It works on the strings the analysis already built (it edits one line of each distinct
//! canonical request or string to sign, and signs it again), so it costs hashes and HMACs,
//! not canonicalisations; and it runs only when everything else failed, once per request
//! shape (the search memo of [`crate::engine::KeyCache`]).

use super::*;
use crate::engine::auth::{V2Auth, V4Auth};
use crate::engine::{crypto, sigv2, sigv4, time as t};

/// How far a date is moved back and forth, one second at a time.
pub(super) const MAX_SHIFT_SECS: i64 = 15 * 60;

/// What the widened search found.
pub(super) enum Widened {
    /// The date was changed after signing (a `request-altered` finding).
    DateShifted(String),
    /// The client signs by a rule no dialect has (a `dialect-mismatch` finding).
    ClientRule(String),
}

/// The widened search for one request; `None` when nothing reproduces the signature.
pub(super) fn widen(req: &Request, a: &Analysis, parsed: &Parsed, v: &Verifier) -> Option<Widened> {
    let shape = format!("widen|{}", super::alterations::shape(req, a));
    if let Some(None) = v.cache.search_outcome(&shape) {
        return None;
    }
    let found = match parsed {
        Parsed::V4(auth) if !a.auth.mode.is_presigned() => v4(req, a, auth, v),
        Parsed::V2(auth) if !a.auth.mode.is_presigned() => v2(req, a, auth, v),
        _ => None,
    };
    if found.is_none() {
        v.cache.remember_search(shape, None);
    }
    found
}

/// The distinct strings the dialects built (canonical requests for SigV4, strings to sign for
/// SigV2), each with the first dialect that built it.
fn distinct(a: &Analysis, v4: bool) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for d in a.dialects.iter().filter(|d| !d.unsupported) {
        let s = if v4 {
            match &d.canonical_request {
                Some(c) => text(c),
                None => continue,
            }
        } else {
            text(&d.string_to_sign)
        };
        if !out.iter().any(|(_, o)| *o == s) {
            out.push((d.name, s));
        }
    }
    out
}

fn replace_line(s: &str, line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = s.split('\n').collect();
    if let Some(l) = lines.get_mut(line) {
        *l = with;
    }
    lines.join("\n")
}

/// Seconds in the order they are tried: nearest first, later before earlier.
fn shifts() -> impl Iterator<Item = i64> {
    (1..=MAX_SHIFT_SECS).flat_map(|s| [-s, s])
}

fn v4(req: &Request, a: &Analysis, auth: &V4Auth, v: &Verifier) -> Option<Widened> {
    let secret = v.keys.secret(&auth.access_key)?;
    let chain = v.cache.chain(secret, &auth.key_scope());
    let date = auth.amz_date.clone()?;
    // SigV4A: an ECDSA verification per try would cost about half a millisecond; the search
    // prepares the signature once and pays a fixed-base multiplication per try.
    let ecdsa = chain
        .public_key
        .as_ref()
        .map(|pk| crypto::ecdsa_search::SignatureSearch::new(pk, &auth.signature));
    let verifies = |cr: &str, date: &str| {
        let sts = sigv4::string_to_sign(&auth.algorithm, date, &auth.scope, cr.as_bytes());
        match &ecdsa {
            Some(search) => search.as_ref().is_some_and(|s| s.signs(&sts)),
            None => sigv4::check(Some(&chain), &sts, &auth.signature).matches == Some(true),
        }
    };
    let crs = distinct(a, true);
    // A rule of the client first: it needs no date.
    for (name, cr) in &crs {
        for (line, alt, what) in v4_rules(req) {
            let alt_cr = replace_line(cr, line, &alt);
            if alt_cr != *cr && verifies(&alt_cr, &date) {
                let ours = cr.split('\n').nth(line).unwrap_or("");
                return Some(Widened::ClientRule(format!(
                    "the client signed {what}: canonical request line {} `{}` where {name} signs `{}`; no dialect sigscope knows signs that way, and with it the signature verifies",
                    line + 1,
                    crate::escape::escape_str(&alt),
                    crate::escape::escape_str(ours),
                )));
            }
        }
    }
    // X-Amz-Date moved on the way: the client signed another date, in the canonical request
    // (when the header is signed) and on line 2 of the string to sign.
    let signed_at = t::parse_amz(&date)?;
    let header = format!("x-amz-date:{date}");
    for s in shifts() {
        let d2 = t::format_amz(signed_at - ::time::Duration::seconds(s));
        for (name, cr) in &crs {
            let cr2 = cr.replace(&header, &format!("x-amz-date:{d2}"));
            if verifies(&cr2, &d2) {
                return Some(Widened::DateShifted(format!(
                    "the client signed X-Amz-Date {d2}; the request carries {date}, {} {}: something between the client and this capture point re-stamped the date, and with the date the client signed the signature verifies under {name}",
                    super::fmt_secs(s),
                    if s > 0 { "later" } else { "earlier" }
                )));
            }
        }
    }
    None
}

/// Lines of a SigV4 canonical request as clients with rules of their own sign them: (0-based
/// line, the line, the rule in words).
fn v4_rules(req: &Request) -> Vec<(usize, String, &'static str)> {
    let mut out = Vec::new();
    if let Some(q) = req.query().filter(|q| !q.is_empty()) {
        let raw = String::from_utf8_lossy(q).into_owned();
        let mut pairs: Vec<&str> = raw.split('&').filter(|p| !p.is_empty()).collect();
        // aws-requests-auth 0.4.3 (aws_requests_auth/aws_auth.py get_canonical_querystring):
        // the pairs as sent, sorted, never decoded or encoded again.
        pairs.sort_unstable();
        let sorted = pairs
            .iter()
            .map(|p| {
                if p.contains('=') {
                    p.to_string()
                } else {
                    format!("{p}=")
                }
            })
            .collect::<Vec<_>>()
            .join("&");
        out.push((
            2,
            sorted,
            "the query as sent, pairs sorted but not encoded again (a `+` left a `+`)",
        ));
        // curl 7.88 (lib/http_aws_sigv4.c before canon_query): the query string as sent.
        out.push((
            2,
            raw,
            "the query string exactly as sent, not sorted and not encoded again",
        ));
    }
    // A path signed as sent, for services whose dialects all encode it again.
    let path = String::from_utf8_lossy(req.path()).into_owned();
    // The path as sent encoded once more (`%` → `%25`): the rule of services other than S3,
    // applied to an S3 request. Seen on the wire: botocore 1.43.11 with awscrt 0.32.2, an S3
    // client given `signature_version='v4a'` signs with CrtSigV4AsymAuth, whose
    // `_USE_DOUBLE_URI_ENCODE = True` (botocore/crt/auth.py), not CrtS3SigV4AsymAuth
    // (tests/vectors/sigv4a/s3-get-object.http).
    let twice = crate::engine::encode::uri_encode_path(path.as_bytes());
    out.push((1, path, "the path exactly as sent"));
    out.push((
        1,
        twice,
        "the path encoded twice, as for services other than S3",
    ));
    out
}

fn v2(req: &Request, a: &Analysis, auth: &V2Auth, v: &Verifier) -> Option<Widened> {
    let secret = v.keys.secret(&auth.access_key)?;
    let verifies =
        |sts: &str| crypto::signatures_equal(&auth.signature, &sigv2::sign(secret, sts.as_bytes()));
    // The Date line is the Date header as sent; a proxy that moved Date changed it.
    let date = req.header("date")?;
    let signed_at = t::parse_http_date(&date)?;
    let stss = distinct(a, false);
    for s in shifts() {
        let d2 = t::format_http_date(signed_at - ::time::Duration::seconds(s));
        for (name, sts) in &stss {
            let lines: Vec<&str> = sts.split('\n').collect();
            // Method, Content-MD5, Content-Type, then the Date line.
            if lines.get(3) != Some(&date.trim()) {
                continue;
            }
            if verifies(&replace_line(sts, 3, &d2)) {
                return Some(Widened::DateShifted(format!(
                    "the client signed the Date line `{d2}`; the request carries `{}`, {} {}: something between the client and this capture point re-stamped the date, and with the date the client signed the signature verifies under {name}",
                    crate::escape::escape_str(date.trim()),
                    super::fmt_secs(s),
                    if s > 0 { "later" } else { "earlier" }
                )));
            }
        }
    }
    None
}
