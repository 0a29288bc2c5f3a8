//! Canonical headers (lines 4 and on) and the payload hash (last line).

use super::*;

/// Canonical header lines (each ending in `\n`), and the first signed header the request lacks.
pub(crate) fn canonical_headers(
    req: &Request,
    auth: &V4Auth,
    rules: &SigV4Rules,
) -> (Vec<u8>, Option<String>) {
    let mut out = Vec::with_capacity(256);
    let mut missing = None;
    for name in &auth.signed_headers {
        let lname = name.to_ascii_lowercase();
        let mut values: Vec<Vec<u8>> = req
            .header_values(&lname)
            .into_iter()
            .map(|v| trim_value(v, rules.header_values))
            .collect();
        if let (Some(a), "host") = (&req.h2_authority, lname.as_str()) {
            // HTTP/2: what the server takes as the host (issue 13).
            match rules.h2_host {
                H2Host::Authority => values = vec![a.value.clone()],
                H2Host::HostHeader if a.host_added => values.clear(),
                H2Host::HostHeader | H2Host::HostHeaderElseAuthority => {}
            }
        } else if values.is_empty() && lname == "host" {
            if let Some(h) = req.host() {
                values.push(h.into_bytes());
            }
        }
        if values.is_empty() {
            missing.get_or_insert_with(|| lname.clone());
            if rules.missing_signed_header == MissingHeader::Skip {
                continue;
            }
        }
        if lname == "host" && rules.host == HostRule::StripPortForOldBoto2 && is_old_boto2(req) {
            for v in &mut values {
                if let Some(i) = v.iter().rposition(|&b| b == b':') {
                    if v[i + 1..].iter().all(u8::is_ascii_digit) {
                        v.truncate(i);
                    }
                }
            }
        }
        let mut joined = match rules.duplicate_headers {
            DuplicateHeaders::JoinComma => values.join(&b','),
            DuplicateHeaders::LastWins => values.pop().unwrap_or_default(),
        };
        if rules.gfe_accept_encoding && lname == "accept-encoding" && gfe_rewrites(req) {
            // What Google's front end hands Cloud Storage: the client's value and its own
            // (siderolabs/talos-backup#64: `accept-encoding:identity,gzip(gfe)` in GCS's
            // CanonicalRequest on PutObject, reads unaffected; rclone/rclone#6670 on a PUT).
            joined.extend_from_slice(GFE_SUFFIX);
        }
        out.extend_from_slice(lname.as_bytes());
        out.push(b':');
        out.extend_from_slice(&joined);
        out.push(b'\n');
    }
    (out, missing)
}

/// What Google's front end appends to a request's Accept-Encoding.
pub const GFE_SUFFIX: &[u8] = b",gzip(gfe)";

/// The requests whose Accept-Encoding Google's front end extends: writes (talos-backup#64:
/// PutObject and CreateMultipartUpload were refused, ListObjects and GetObject were not).
pub fn gfe_rewrites(req: &Request) -> bool {
    !(req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD"))
}

/// keystoneclient: `re.match('Boto/2\.[0-9]\.[0-2]', user_agent)`.
pub(crate) fn is_old_boto2(req: &Request) -> bool {
    req.header_text("user-agent").is_some_and(|ua| {
        let b = ua.as_bytes();
        b.len() >= 10
            && b.starts_with(b"Boto/2.")
            && b[7].is_ascii_digit()
            && b[8] == b'.'
            && (b'0'..=b'2').contains(&b[9])
    })
}

pub fn trim_value(v: &[u8], rule: HeaderTrim) -> Vec<u8> {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let strip = |v: &[u8]| -> Vec<u8> {
        let s = v.iter().position(|b| !is_ws(b)).unwrap_or(v.len());
        let e = v
            .iter()
            .rposition(|b| !is_ws(b))
            .map(|i| i + 1)
            .unwrap_or(s);
        v[s..e.max(s)].to_vec()
    };
    match rule {
        HeaderTrim::StripOnly => strip(v),
        HeaderTrim::TrimAllUnlessQuoted if v.contains(&b'"') => strip(v),
        HeaderTrim::TrimAll | HeaderTrim::TrimAllUnlessQuoted => {
            let parts: Vec<&[u8]> = v.split(is_ws).filter(|p| !p.is_empty()).collect();
            parts.join(&b' ')
        }
        HeaderTrim::FoldToFirstChar => {
            let t = strip(v);
            let mut out = Vec::with_capacity(t.len());
            let mut prev_ws = false;
            for &b in &t {
                let ws = is_ws(&b);
                if !(ws && prev_ws) {
                    out.push(b);
                }
                prev_ws = ws;
            }
            out
        }
    }
}

pub(crate) fn payload_hash(ctx: &V4Context, rules: &SigV4Rules) -> String {
    let header = ctx.req.header_text(ctx.auth.flavour.content_sha256_header);
    if rules.payload.from_header {
        if let Some(h) = header {
            return h.into_owned();
        }
    }
    if ctx.presigned {
        return if super::is_storage(ctx.auth) && rules.payload.presigned_s3_unsigned {
            "UNSIGNED-PAYLOAD".into()
        } else {
            ctx.body_sha256.to_string()
        };
    }
    match rules.payload.when_absent {
        MissingPayload::BodyHash | MissingPayload::Refuse => ctx.body_sha256.to_string(),
        MissingPayload::EmptyHash => EMPTY_SHA256.to_string(),
        MissingPayload::UnsignedPayload => "UNSIGNED-PAYLOAD".into(),
    }
}
