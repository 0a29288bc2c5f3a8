//! Hints: traits of a failed request that implementations treat differently. Causes to check,
//! not facts; given only when nothing else explains the failure.

use super::*;

/// Likely causes worth checking when verification failed; silent on valid requests.
pub(super) fn hint_findings(req: &Request, a: &mut Analysis, mode: Mode, s3: bool) {
    let signed = a.auth.signed_headers.clone().unwrap_or_default();
    if mode == Mode::Sigv4Header
        && req.has_header("x-amz-security-token")
        && !signed.iter().any(|h| h == "x-amz-security-token")
    {
        finding(
            a,
            Code::SessionTokenUnsigned,
            "X-Amz-Security-Token is sent but not signed: most services require it signed (a few want it added after signing)".into(),
        );
    }
    for h in [
        "content-type",
        "content-length",
        "expect",
        "user-agent",
        "accept-encoding",
        "transfer-encoding",
        "x-forwarded-for",
    ] {
        if signed.iter().any(|s| s == h) {
            finding(a, Code::ProxySensitiveHeaderSigned, format!("`{h}` is signed; proxies and HTTP libraries often add, drop or rewrite it after signing"));
            break;
        }
    }
    if mode.is_sigv4()
        && req.has_header("content-type")
        && !signed.iter().any(|s| s == "content-type")
        && req.method != "GET"
    {
        finding(a, Code::ProxySensitiveHeaderUnsigned, "Content-Type is sent but not signed: a verifier that requires it (or a proxy that adds it) changes the canonical request".into());
    }
    for h in &signed {
        let vals = req.header_values(h);
        if vals.len() > 1 {
            finding(a, Code::DuplicateHeader, format!("signed header `{h}` appears {} times: implementations join or pick its values differently", vals.len()));
        }
        if vals.iter().any(|v| {
            v.windows(2).any(|w| w == b"  ")
                || v.contains(&b'\t')
                || v.starts_with(b" ")
                || v.ends_with(b" ")
        }) {
            finding(a, Code::HeaderWhitespace, format!("signed header `{h}` has runs of whitespace or tabs: implementations trim and fold them differently"));
        }
    }
    if let Some(q) = req.query() {
        if q.contains(&b'+') {
            finding(a, Code::QueryPlus, "the query holds a raw `+`: AWS, RGW, MinIO and form decoders read it as a space (`%20`), boto 2 and some signers as a plus (`%2B`)".into());
        }
        let lower_hex = q.windows(3).any(|w| {
            w[0] == b'%'
                && w[1..]
                    .iter()
                    .any(|c| c.is_ascii_lowercase() && c.is_ascii_hexdigit())
                && w[1..].iter().all(|c| c.is_ascii_hexdigit())
        });
        if lower_hex {
            finding(
                a,
                Code::QueryLowercaseHex,
                "the query has lower-case percent escapes; the canonical form uses upper-case hex"
                    .into(),
            );
        }
        if q.iter().any(|c| b"!*'();:@$,[]|^`{}\"<> ".contains(c)) {
            finding(a, Code::QueryUnescapedReserved, "the query holds reserved characters sent unescaped; signers and verifiers encode them differently".into());
        }
    }
    let path = req.path();
    if !s3
        && mode.is_sigv4()
        && (path.windows(2).any(|w| w == b"//")
            || path.windows(3).any(|w| w == b"/./")
            || path.windows(4).any(|w| w == b"/../")
            || path.ends_with(b"/.")
            || path.ends_with(b"/.."))
    {
        finding(a, Code::PathNotNormalised, "the path has `//`, `.` or `..` segments: non-S3 services sign it normalised, S3 and some servers as sent".into());
    }
    if mode.family() == Family::SigV2 {
        let names: Vec<String> = crate::engine::encode::split_pairs(req.query().unwrap_or(b""))
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
        let disputed: Vec<&String> = names
            .iter()
            .filter(|n| {
                let signed_by: Vec<bool> = dialect::ALL
                    .iter()
                    .filter_map(|d| d.sigv2.as_ref())
                    .map(|r| r.subresources.contains(&n.as_str()))
                    .collect();
                signed_by.iter().any(|b| *b) && signed_by.iter().any(|b| !*b)
            })
            .collect();
        if !disputed.is_empty() {
            let list: Vec<&str> = disputed.iter().map(|s| s.as_str()).collect();
            finding(
                a,
                Code::Sigv2SubresourceDisputed,
                format!(
                    "sub-resource(s) {} are signed by some implementations and not others",
                    list.join(", ")
                ),
            );
        }
    }
}
