//! A `Case` signed by aws-sigv4: the path and query as a client puts them on the wire, the
//! conversion to aws-sigv4's `SignableRequest` and `SigningSettings`, and the signed result as
//! wire bytes and as sigscope's `Request`.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;

use sigscope::credentials::Credentials;
use sigscope::http::{Header, Request};

use super::cases::Case;
use super::creds;

/// RFC 3986 unreserved.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn pct(out: &mut String, b: u8, lower: bool) {
    if lower {
        write!(out, "%{b:02x}").unwrap();
    } else {
        write!(out, "%{b:02X}").unwrap();
    }
}

/// Deterministic per-character choices (encode or not, hex case) from one generated seed.
struct Coins(u64);

impl Coins {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

/// The path as a client puts it on the wire (R5).
fn wire_path(c: &Case, coins: &mut Coins) -> String {
    let strict = c.s3();
    let mut out = String::new();
    for seg in &c.segments {
        out.push('/');
        for b in seg.bytes() {
            // Unreserved bytes literal (S3: always), sub-delims sometimes literal (non-S3).
            let literal = if unreserved(b) {
                strict || !coins.one_in(8)
            } else {
                !strict && b"!$&'()*+,;=:@".contains(&b) && coins.one_in(2)
            };
            if literal {
                out.push(b as char);
            } else {
                pct(&mut out, b, !strict && coins.one_in(4));
            }
        }
    }
    if c.trailing_slash {
        out.push('/');
    }
    out
}

/// A query name or value as a client puts it on the wire (R1): a space as a raw `+` (HTML forms,
/// `URLSearchParams`) or `%20` (the SDKs), a `+` always escaped, as `%2B` or `%2b`.
fn wire_query_part(s: &str, is_value: bool, coins: &mut Coins) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b == b' ' && coins.one_in(2) {
            out.push('+');
        } else if unreserved(b) {
            if coins.one_in(10) {
                pct(&mut out, b, coins.one_in(3));
            } else {
                out.push(b as char);
            }
        } else if (b"*/?:@$!,;'()".contains(&b) || (is_value && b == b'=')) && coins.one_in(2) {
            out.push(b as char);
        } else {
            pct(&mut out, b, coins.one_in(4));
        }
    }
    out
}

fn wire_query(c: &Case, coins: &mut Coins) -> Option<String> {
    if c.query.is_empty() {
        return c.empty_query_mark.then(String::new);
    }
    let parts: Vec<String> = c
        .query
        .iter()
        .map(|(k, v)| {
            let k = wire_query_part(k, false, coins);
            match v {
                None => k,
                Some(v) => format!("{k}={}", wire_query_part(v, true, coins)),
            }
        })
        .collect();
    Some(parts.join("&"))
}

/// A request signed by aws-sigv4, as bytes on the wire and as a `Request`.
pub(super) struct Signed {
    pub(super) wire: Vec<u8>,
    pub(super) req: Request,
    pub(super) signature: String,
    pub(super) keys: Credentials,
    pub(super) time: SystemTime,
}

pub(super) fn sign_case(c: &Case) -> Signed {
    let mut coins = Coins(c.seed);
    let (scheme, authority) = c.endpoint;
    let mut path_and_query = wire_path(c, &mut coins);
    if let Some(q) = wire_query(c, &mut coins) {
        path_and_query.push('?');
        path_and_query.push_str(&q);
    }
    let url = format!("{scheme}://{authority}{path_and_query}");
    // What aws-sigv4 signs as Host when it derives it from the URL: the default port dropped.
    let host = if c.pass_host {
        authority.to_string()
    } else {
        let default = if scheme == "https" { ":443" } else { ":80" };
        authority
            .strip_suffix(default)
            .unwrap_or(authority)
            .to_string()
    };
    let content_length = c.body.len().to_string();

    let mut signer_headers: Vec<(&str, &str)> = Vec::new();
    if c.pass_host {
        signer_headers.push(("Host", &host));
    }
    for (n, v) in &c.headers {
        signer_headers.push((n, v));
    }
    if c.sign_content_length {
        signer_headers.push(("Content-Length", &content_length));
    }

    let time = UNIX_EPOCH + Duration::from_secs(c.time);
    let identity = aws_credential_types::Credentials::new(
        c.access_key.clone(),
        c.secret.clone(),
        c.token.clone(),
        None,
        "oracle",
    )
    .into();
    let mut settings = SigningSettings::default();
    if c.s3() {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    } else if c.sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if let Some(expires) = c.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires));
        if c.token_excluded {
            settings.session_token_mode = SessionTokenMode::Exclude;
        }
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(c.region)
        .name(c.service)
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let body = if c.presign.is_some() && c.s3() {
        SignableBody::UnsignedPayload // R8
    } else {
        SignableBody::Bytes(&c.body)
    };
    let signable =
        SignableRequest::new(c.method, url.as_str(), signer_headers.iter().copied(), body)
            .unwrap_or_else(|e| panic!("aws-sigv4 refuses {url}: {e}"));
    let (instructions, signature) = sign(signable, &params)
        .unwrap_or_else(|e| panic!("aws-sigv4 cannot sign {url}: {e}"))
        .into_parts();

    let mut target = path_and_query.clone();
    let mut signing_headers: Vec<(String, String)> = Vec::new();
    if c.presign.is_some() {
        let mut r = http::Request::builder()
            .uri(url.as_str())
            .body(())
            .expect("http request");
        instructions.apply_to_request_http1x(&mut r);
        target = r
            .uri()
            .path_and_query()
            .expect("path and query")
            .as_str()
            .to_string();
    } else {
        let (hs, qs) = instructions.into_parts();
        assert!(qs.is_empty());
        for h in hs {
            signing_headers.push((h.name().to_string(), h.value().to_string()));
        }
    }

    let mut headers = vec![Header::new("Host", host.as_bytes())];
    for (n, v) in &c.headers {
        headers.push(Header::new(*n, v.as_bytes()));
    }
    for (n, v) in &signing_headers {
        headers.push(Header::new(n.as_bytes(), v.as_bytes()));
    }
    headers.push(Header::new("Content-Length", content_length.as_bytes()));

    let req = Request {
        method: c.method.to_string(),
        target: target.into_bytes(),
        version: "HTTP/1.1".into(),
        headers,
        body: c.body.clone(),
        ..Request::default()
    };
    Signed {
        wire: req.to_wire(),
        req,
        signature,
        keys: creds(&c.access_key, &c.secret),
        time,
    }
}
