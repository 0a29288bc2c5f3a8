//! SigV4 (`AWS4-HMAC-SHA256`): header, presigned query and aws-chunked streaming payloads.
//! Step 2, canonicalize, is done here under one dialect's rules.

use super::auth::V4Auth;
use super::crypto::{hmac_sha256, sha256_hex, signatures_equal, KeyChain, EMPTY_SHA256};
use super::dialect::*;
use super::encode::{
    encode_with, is_unreserved, percent_decode, split_pairs, uri_encode, uri_encode_path,
};
use crate::http::{Headers, Request};

/// What a dialect computes before any secret is involved.
#[derive(Clone, Debug)]
pub struct V4Canonical {
    pub canonical_request: Vec<u8>,
    pub string_to_sign: Vec<u8>,
    /// Why the dialect would refuse the request whatever the signature.
    pub rejects: Option<String>,
}

pub struct V4Context<'a> {
    pub req: &'a Request,
    pub auth: &'a V4Auth,
    pub presigned: bool,
    /// Hex SHA-256 of the received body, computed once per request.
    pub body_sha256: &'a str,
    /// Presigned: leave `X-Amz-Security-Token` out, as added after signing.
    pub token_appended: bool,
}

pub fn canonicalize(ctx: &V4Context, rules: &SigV4Rules) -> V4Canonical {
    let p = canonical_parts(ctx, rules);
    let sts = string_to_sign(
        &ctx.auth.algorithm,
        &p.date,
        &ctx.auth.scope,
        &p.canonical_request,
    );
    V4Canonical {
        canonical_request: p.canonical_request,
        string_to_sign: sts,
        rejects: p.rejects,
    }
}

/// The canonical request and what the string to sign needs besides its hash.
pub struct V4Parts {
    pub canonical_request: Vec<u8>,
    pub date: String,
    pub rejects: Option<String>,
}

pub fn canonical_parts(ctx: &V4Context, rules: &SigV4Rules) -> V4Parts {
    canonical_parts_memo(ctx, rules, &mut V4Memo::default())
}

/// The knobs the canonical headers depend on.
type HeaderKnobs = (HeaderTrim, DuplicateHeaders, MissingHeader, HostRule);
/// Canonical header lines, and the first signed header the request lacks.
type HeaderBlock = (Vec<u8>, Option<String>);

/// Canonical-request components already built for one request, by the knobs they depend on:
/// dialects share most knobs, so each distinct component is built once per request.
#[derive(Default)]
pub struct V4Memo {
    uri: Vec<(PathRule, String)>,
    query: Vec<((FormPostQuery, QueryRule, bool), String)>,
    headers: Vec<(HeaderKnobs, HeaderBlock)>,
    payload: Vec<(PayloadRule, String)>,
    /// Per request: whether every path / query / header knob gives the same component.
    plain: Option<Plain>,
    /// Per request: whether `host` is signed, and the first unsigned `x-amz-*` header.
    host_signed: Option<bool>,
    unsigned_amz: Option<Option<String>>,
}

/// Which components of this request come out the same under every knob, so that they are
/// built once instead of once per distinct knob combination (the usual case: a plain path,
/// no query, single-valued signed headers without whitespace runs).
#[derive(Clone, Copy)]
struct Plain {
    path: bool,
    query: bool,
    headers: bool,
}

impl Plain {
    fn of(ctx: &V4Context) -> Plain {
        let req = ctx.req;
        Plain {
            path: plain_path(req.path()),
            query: !req.method.eq_ignore_ascii_case("POST") && req.query().is_none_or(plain_query),
            headers: plain_headers(req, ctx.auth),
        }
    }
}

/// A path that every normalisation and encoding leaves as it is: starts with `/`, only
/// unreserved characters and `/`, no empty, `.` or `..` segment (nothing to remove, decode
/// or encode).
fn plain_path(path: &[u8]) -> bool {
    if path.first() != Some(&b'/') || !path.iter().all(|&b| is_unreserved(b) || b == b'/') {
        return false;
    }
    if path == b"/" {
        return true;
    }
    // Every rule keeps one trailing slash; any other empty segment is a `//`.
    let inner = &path[1..];
    let inner = inner.strip_suffix(b"/").unwrap_or(inner);
    inner
        .split(|&b| b == b'/')
        .all(|seg| !matches!(seg, b"" | b"." | b".."))
}

/// A query that every query rule signs the same (decoding then re-encoding gives it back,
/// and the raw and encoded sort orders agree): unreserved bytes and upper-case `%XX` escapes
/// of other bytes only, at most one `=` per pair, no `+`, no `~` in a name, no name twice.
fn plain_query(q: &[u8]) -> bool {
    // As split_pairs splits, without collecting: this runs for every request.
    let pairs = || {
        q.split(|&b| b == b'&')
            .filter(|p| !p.is_empty())
            .map(|p| match memchr::memchr(b'=', p) {
                Some(i) => (&p[..i], Some(&p[i + 1..])),
                None => (p, None),
            })
    };
    pairs().enumerate().all(|(i, (name, value))| {
        canonically_encoded(name)
            && value.is_none_or(canonically_encoded)
            && !name.contains(&b'~')
            && !pairs().take(i).any(|(earlier, _)| earlier == name)
    })
}

/// Whether `uri_encode(percent_decode(s))` is `s`.
fn canonically_encoded(s: &[u8]) -> bool {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            ) else {
                return false;
            };
            if is_unreserved(h << 4 | l) {
                return false;
            }
            i += 3;
        } else if is_unreserved(s[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Signed headers for which every header knob gives the same lines: each present exactly
/// once, values without leading, trailing or repeated whitespace nor any whitespace other than
/// a single space, and no Host port rule in play.
fn plain_headers(req: &Request, auth: &V4Auth) -> bool {
    let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    auth.signed_headers.iter().all(|name| {
        let mut found = req
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name.as_bytes()));
        let (Some(h), None) = (found.next(), found.next()) else {
            return false;
        };
        let v = &h.value;
        // One pass: no whitespace but single spaces between other bytes.
        let mut after_space = true;
        for &b in v {
            if b == b' ' {
                if after_space {
                    return false;
                }
                after_space = true;
            } else if is_ws(b) {
                return false;
            } else {
                after_space = false;
            }
        }
        v.last() != Some(&b' ') && !(name.eq_ignore_ascii_case("host") && is_old_boto2(req))
    })
}

/// The index of the cached component for `key`, built on first use.
fn memo<K: PartialEq + Copy, V>(
    cache: &mut Vec<(K, V)>,
    key: K,
    make: impl FnOnce() -> V,
) -> usize {
    match cache.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            cache.push((key, make()));
            cache.len() - 1
        }
    }
}

/// Which cached components (by index in [`V4Memo`]) make up a canonical request: equal keys,
/// equal canonical requests (the method and signed-header list are the request's own).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct CrKey {
    uri: usize,
    query: usize,
    headers: usize,
    payload: usize,
}

pub fn canonical_parts_memo(ctx: &V4Context, rules: &SigV4Rules, m: &mut V4Memo) -> V4Parts {
    let (key, rejects) = canonical_key(ctx, rules, m);
    V4Parts {
        canonical_request: canonical_bytes(ctx, m, key),
        date: ctx.auth.amz_date.clone().unwrap_or_default(),
        rejects,
    }
}

/// `parts` joined by newlines, the way the canonical request and the string to sign are.
fn lines(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(p);
    }
    out
}

/// The canonical request of `key`, assembled from the cached components.
pub(crate) fn canonical_bytes(ctx: &V4Context, m: &V4Memo, key: CrKey) -> Vec<u8> {
    lines(&[
        ctx.req.method.as_bytes(),
        m.uri[key.uri].1.as_bytes(),
        m.query[key.query].1.as_bytes(),
        &m.headers[key.headers].1 .0,
        ctx.auth.signed_headers_raw.as_bytes(),
        m.payload[key.payload].1.as_bytes(),
    ])
}

/// The components a dialect's canonical request is made of (built and cached in `m` on first
/// use), and the rule of the dialect that refuses the request, if any.
pub(crate) fn canonical_key(
    ctx: &V4Context,
    rules: &SigV4Rules,
    m: &mut V4Memo,
) -> (CrKey, Option<String>) {
    let mut rejects: Option<String> = None;
    let req = ctx.req;
    let auth = ctx.auth;
    let s3 = auth.service == "s3";
    let plain = *m.plain.get_or_insert_with(|| Plain::of(ctx));
    // The rules a plain component is built and cached under: any dialect's would do.
    let base = &super::dialect::ALL[0].sigv4;

    let path_rule = match (plain.path, s3) {
        (true, _) => base.path,
        (false, true) => rules.s3_path,
        (false, false) => rules.path,
    };
    let uri = memo(&mut m.uri, path_rule, || {
        canonical_uri(req.path(), path_rule)
    });
    // Whether X-Amz-Signature stays in a presigned query is not an encoding matter: kept.
    // Decoding and re-encoding a plain query gives it back, so it is built from the raw pairs
    // (no per-pair decoding and encoding).
    let qrules = if plain.query {
        &SigV4Rules {
            presigned_keeps_signature: rules.presigned_keeps_signature,
            query: QueryRule {
                style: QueryStyle::RawPairs,
                ..base.query
            },
            ..*base
        }
    } else {
        rules
    };
    let qkey = (
        qrules.form_post_query,
        qrules.query,
        qrules.presigned_keeps_signature,
    );
    let query = memo(&mut m.query, qkey, || {
        canonical_query(req, qrules, ctx.presigned, ctx.token_appended)
    });

    let hrules = if plain.headers { base } else { rules };
    let hkey = (
        hrules.header_values,
        hrules.duplicate_headers,
        hrules.missing_signed_header,
        hrules.host,
    );
    let headers = memo(&mut m.headers, hkey, || {
        canonical_headers(req, auth, hrules)
    });
    let payload = memo(&mut m.payload, rules.payload, || payload_hash(ctx, rules));
    let key = CrKey {
        uri,
        query,
        headers,
        payload,
    };

    if let Some(missing) = &m.headers[headers].1 .1 {
        if rules.missing_signed_header == MissingHeader::Reject {
            rejects = Some(format!("signed header `{missing}` is not in the request"));
        }
    }
    if rules.required_signed.host
        && !*m.host_signed.get_or_insert_with(|| {
            auth.signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("host"))
        })
    {
        rejects.get_or_insert_with(|| "`host` is not among the signed headers".into());
    }
    if rejects.is_none()
        && rules.required_signed.amz_headers
        && (s3 || !rules.required_signed.amz_headers_s3_only)
    {
        // The same for every dialect that checks: found once per request.
        let unsigned = m
            .unsigned_amz
            .get_or_insert_with(|| unsigned_amz_header(ctx));
        if let Some(n) = unsigned {
            rejects = Some(format!("header `{n}` is present but not signed"));
        }
    }

    match (&auth.amz_date, rules.date) {
        (Some(_), DateSource::AmzDateOnly) if auth.amz_date_from_date_header => {
            rejects.get_or_insert_with(|| "no X-Amz-Date (this dialect does not read Date)".into());
        }
        (Some(_), _) => {}
        (None, _) => {
            rejects.get_or_insert_with(|| "no X-Amz-Date or Date to sign".into());
        }
    }
    (key, rejects)
}

/// The first `x-amz-*` header of the request, lower-cased, that is not signed (nor exempt:
/// `x-amz-content-sha256`, and a presigned URL's `x-amz-security-token`).
fn unsigned_amz_header(ctx: &V4Context) -> Option<String> {
    let auth = ctx.auth;
    let amz =
        |h: &&crate::http::Header| h.name.len() >= 6 && h.name[..6].eq_ignore_ascii_case(b"x-amz-");
    for h in ctx.req.headers.iter().filter(amz) {
        if h.name.is_ascii() {
            // The same tests on the bytes, without lowercasing a copy of every name.
            let is = |s: &str| h.name.eq_ignore_ascii_case(s.as_bytes());
            let exempt = is("x-amz-content-sha256")
                || (ctx.presigned && is("x-amz-security-token"))
                || auth.signed_headers.iter().any(|s| is(s));
            if !exempt {
                return Some(crate::http::text(&h.name).to_ascii_lowercase());
            }
            continue;
        }
        let n = crate::http::text(&h.name).to_ascii_lowercase();
        if n != "x-amz-content-sha256"
            && !(ctx.presigned && n == "x-amz-security-token")
            && !auth
                .signed_headers
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&n))
        {
            return Some(n);
        }
    }
    None
}

pub fn string_to_sign(
    algorithm: &str,
    date: &str,
    scope: &str,
    canonical_request: &[u8],
) -> Vec<u8> {
    let hash = sha256_hex(canonical_request);
    lines(&[
        algorithm.as_bytes(),
        date.as_bytes(),
        scope.as_bytes(),
        hash.as_bytes(),
    ])
}

pub fn sign(chain: &KeyChain, string_to_sign: &[u8]) -> String {
    super::crypto::to_hex(&hmac_sha256(&chain.k_signing, string_to_sign))
}

pub fn canonical_uri(path: &[u8], rule: PathRule) -> String {
    let normalized: Vec<u8> = match rule.normalize {
        PathNormalize::None => path.to_vec(),
        PathNormalize::RemoveDotSegments => remove_dot_segments(path),
        PathNormalize::PosixNormpath => posix_normpath(path),
    };
    let out = match rule.encode {
        PathEncode::AsSent => String::from_utf8_lossy(&normalized).into_owned(),
        PathEncode::EncodeAgain => uri_encode_path(&normalized),
        PathEncode::DecodeReencode => uri_encode_path(&percent_decode(&normalized, false)),
        PathEncode::DecodeRequoteLenient => encode_with(&percent_decode(&normalized, false), |b| {
            is_unreserved(b) || b"/!$&'()*+,;=:@".contains(&b)
        }),
    };
    if out.is_empty() {
        "/".into()
    } else {
        out
    }
}

/// RFC 3986 §5.2.4 with empty segments dropped, as botocore's `normalize_url_path`.
fn remove_dot_segments(path: &[u8]) -> Vec<u8> {
    let mut out: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut r = Vec::with_capacity(path.len());
    r.push(b'/');
    r.extend_from_slice(&out.join(&b'/'));
    if path.ends_with(b"/") && !out.is_empty() {
        r.push(b'/');
    }
    r
}

/// Python's `posixpath.normpath` (one or three-plus leading slashes become one, exactly two
/// stay two), plus boto 2's trailing slash.
fn posix_normpath(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let lead = if path.starts_with(b"//") && !path.starts_with(b"///") {
        2
    } else if path.starts_with(b"/") {
        1
    } else {
        0
    };
    let mut out: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if out.last().is_some_and(|l| *l != b"..") {
                    out.pop();
                } else if lead == 0 {
                    out.push(seg);
                }
            }
            s => out.push(s),
        }
    }
    let mut r = vec![b'/'; lead];
    r.extend_from_slice(&out.join(&b'/'));
    if r.is_empty() {
        r.push(b'.');
    }
    // boto 2 appends the slash whatever normpath returned: `/./` signs as `//`.
    if path.len() > 1 && path.ends_with(b"/") {
        r.push(b'/');
    }
    r
}

fn canonical_query(
    req: &Request,
    rules: &SigV4Rules,
    presigned: bool,
    token_appended: bool,
) -> String {
    let is_post = req.method.eq_ignore_ascii_case("POST");
    let url_q = req.query().unwrap_or(b"");
    let mut raw: Vec<(&[u8], Option<&[u8]>)> = match (rules.form_post_query, is_post) {
        (FormPostQuery::EmptyForPost, true) => Vec::new(),
        (FormPostQuery::MergeFormBody, true) if req.is_form_urlencoded() => {
            let mut v = split_pairs(url_q);
            v.extend(split_pairs(&req.body));
            v
        }
        _ => split_pairs(url_q),
    };
    if presigned && !rules.presigned_keeps_signature {
        raw.retain(|(k, _)| *k != b"X-Amz-Signature");
    }
    if token_appended {
        raw.retain(|(k, _)| *k != b"X-Amz-Security-Token");
    }
    match rules.query.style {
        QueryStyle::RawPairs => {
            let mut pairs: Vec<(&[u8], &[u8])> =
                raw.iter().map(|(k, v)| (*k, v.unwrap_or(b""))).collect();
            pairs.sort();
            join_pairs(
                pairs
                    .iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
        }
        QueryStyle::Reencode {
            plus_is_space,
            tilde_in_names_escaped,
        } => {
            let mut decoded: Vec<(Vec<u8>, Vec<u8>)> = raw
                .iter()
                .map(|(k, v)| {
                    (
                        percent_decode(k, plus_is_space),
                        v.map(|v| percent_decode(v, plus_is_space))
                            .unwrap_or_default(),
                    )
                })
                .collect();
            if rules.query.duplicates == DuplicateOrder::LastWins {
                let mut kept: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
                for (k, v) in decoded {
                    kept.retain(|(kk, _)| *kk != k);
                    kept.push((k, v));
                }
                decoded = kept;
            }
            let mut enc: Vec<(String, String)> = decoded
                .iter()
                .map(|(k, v)| {
                    let name = if tilde_in_names_escaped {
                        encode_with(k, |b| is_unreserved(b) && b != b'~')
                    } else {
                        uri_encode(k)
                    };
                    (name, uri_encode(v))
                })
                .collect();
            match rules.query.duplicates {
                DuplicateOrder::SortByValue => enc.sort(),
                DuplicateOrder::ArrivalOrder | DuplicateOrder::LastWins => {
                    enc.sort_by(|a, b| a.0.cmp(&b.0))
                }
            }
            join_pairs(enc.into_iter())
        }
    }
}

fn join_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: impl Iterator<Item = (K, V)>) -> String {
    let mut s = String::new();
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(k.as_ref());
        s.push('=');
        s.push_str(v.as_ref());
    }
    s
}

/// Canonical header lines (each ending in `\n`), and the first signed header the request lacks.
fn canonical_headers(
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
        if values.is_empty() && lname == "host" {
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
        let joined = match rules.duplicate_headers {
            DuplicateHeaders::JoinComma => values.join(&b','),
            DuplicateHeaders::LastWins => values.pop().unwrap_or_default(),
        };
        out.extend_from_slice(lname.as_bytes());
        out.push(b':');
        out.extend_from_slice(&joined);
        out.push(b'\n');
    }
    (out, missing)
}

/// keystoneclient: `re.match('Boto/2\.[0-9]\.[0-2]', user_agent)`.
fn is_old_boto2(req: &Request) -> bool {
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

fn payload_hash(ctx: &V4Context, rules: &SigV4Rules) -> String {
    let header = ctx.req.header_text("x-amz-content-sha256");
    if rules.payload.from_header {
        if let Some(h) = header {
            return h.into_owned();
        }
    }
    if ctx.presigned {
        return if ctx.auth.service == "s3" && rules.payload.presigned_s3_unsigned {
            "UNSIGNED-PAYLOAD".into()
        } else {
            ctx.body_sha256.to_string()
        };
    }
    match rules.payload.when_absent {
        MissingPayload::BodyHash => ctx.body_sha256.to_string(),
        MissingPayload::EmptyHash => EMPTY_SHA256.to_string(),
        MissingPayload::UnsignedPayload => "UNSIGNED-PAYLOAD".into(),
    }
}

/// One aws-chunked chunk and its verification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChunkResult {
    pub index: usize,
    pub size: usize,
    pub claimed_signature: String,
    pub string_to_sign: String,
    pub signature: Option<String>,
    pub matches: Option<bool>,
}

/// An aws-chunked body split into chunks: (size, claimed signature, data hash).
#[derive(Clone, Debug)]
pub struct AwsChunk {
    pub size: usize,
    pub signature: String,
    pub sha256: String,
}

/// Parses `hex-size;chunk-signature=sig\r\n data \r\n` frames, final zero-size chunk included.
pub fn parse_aws_chunked(body: &[u8]) -> Result<Vec<AwsChunk>, String> {
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        let rel = body[pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| format!("aws-chunked: no chunk header at byte {pos}"))?;
        let line = String::from_utf8_lossy(&body[pos..pos + rel]).into_owned();
        let (size_hex, ext) = line.split_once(';').unwrap_or((&line, ""));
        let size = usize::from_str_radix(size_hex.trim(), 16).map_err(|_| {
            format!(
                "aws-chunked: bad chunk size `{}` at byte {pos}",
                crate::escape::escape_str(size_hex)
            )
        })?;
        let signature = ext
            .trim()
            .strip_prefix("chunk-signature=")
            .ok_or_else(|| format!("aws-chunked: chunk {} has no chunk-signature", out.len()))?
            .to_string();
        pos += rel + 2;
        if size > body.len() - pos {
            return Err(format!(
                "aws-chunked: chunk {} declares {size} bytes, only {} remain",
                out.len(),
                body.len() - pos
            ));
        }
        out.push(AwsChunk {
            size,
            signature,
            sha256: sha256_hex(&body[pos..pos + size]),
        });
        pos += size;
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        }
        if size == 0 {
            return Ok(out);
        }
    }
}

/// Verifies the chain of chunk signatures that starts from the seed signature.
pub fn verify_chunks(
    chunks: &[AwsChunk],
    auth: &V4Auth,
    seed: &str,
    chain: Option<&KeyChain>,
) -> Vec<ChunkResult> {
    let date = auth.amz_date.clone().unwrap_or_default();
    let mut prev = seed.to_string();
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{}\n{prev}\n{EMPTY_SHA256}\n{}",
                auth.scope, c.sha256
            );
            let sig = chain.map(|k| sign(k, sts.as_bytes()));
            let matches = sig.as_ref().map(|s| signatures_equal(&c.signature, s));
            // The chain continues from the signature the client sent, so one bad chunk does
            // not hide whether the following ones are consistent.
            prev = c.signature.clone();
            ChunkResult {
                index: i,
                size: c.size,
                claimed_signature: c.signature.clone(),
                string_to_sign: sts,
                signature: sig,
                matches,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dot_segments(b"/example/.."), b"/");
        assert_eq!(remove_dot_segments(b"//example//"), b"/example/");
        assert_eq!(remove_dot_segments(b"/./"), b"/");
        assert_eq!(remove_dot_segments(b"/a/b/../c/"), b"/a/c/");
        assert_eq!(remove_dot_segments(b""), b"/");
    }

    #[test]
    fn python_normpath() {
        // posixpath.normpath('//example//') == '//example'; boto 2 re-adds the slash.
        assert_eq!(posix_normpath(b"//example//"), b"//example/");
        assert_eq!(posix_normpath(b"/./"), b"//");
        assert_eq!(posix_normpath(b"/"), b"/");
        assert_eq!(posix_normpath(b"///a/./b/.."), b"/a");
        assert_eq!(posix_normpath(b"/a/../../b"), b"/b");
    }

    #[test]
    fn trims_per_dialect() {
        let v = b"  a \t b   \"c  d\" ";
        assert_eq!(trim_value(v, HeaderTrim::TrimAll), b"a b \"c d\"");
        assert_eq!(
            trim_value(v, HeaderTrim::TrimAllUnlessQuoted),
            b"a \t b   \"c  d\""
        );
        assert_eq!(trim_value(v, HeaderTrim::StripOnly), b"a \t b   \"c  d\"");
        assert_eq!(trim_value(v, HeaderTrim::FoldToFirstChar), b"a b \"c d\"");
        assert_eq!(trim_value(b"a\t  b", HeaderTrim::FoldToFirstChar), b"a\tb");
    }

    /// Strings from an alphabet of the bytes the plain checks look at (xorshift, fixed seed).
    fn samples(alphabet: &[&str], n: usize, max_len: usize) -> Vec<String> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|_| {
                let len = (next() % max_len as u64) as usize;
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn plain_paths_are_the_same_under_every_rule() {
        let alphabet = [
            "/", "a", "b", ".", "..", "~", "-", "%2F", "%41", "%2f", " ", "+", "é",
        ];
        let rules: Vec<PathRule> = crate::engine::dialect::ALL
            .iter()
            .flat_map(|d| [d.sigv4.path, d.sigv4.s3_path])
            .collect();
        let mut plain = 0;
        for p in samples(&alphabet, 20_000, 9) {
            let p = p.as_bytes();
            if !plain_path(p) {
                continue;
            }
            plain += 1;
            for r in &rules {
                assert_eq!(canonical_uri(p, *r).as_bytes(), p, "{r:?}");
            }
        }
        assert!(plain > 200, "{plain}");
    }

    #[test]
    fn plain_queries_are_the_same_under_every_rule() {
        let alphabet = [
            "a", "b", "=", "&", "~", ".", "%2F", "%41", "%2f", "%3", "+", " ", "-",
        ];
        let mut plain = 0;
        for q in samples(&alphabet, 20_000, 8) {
            if !plain_query(q.as_bytes()) {
                continue;
            }
            plain += 1;
            let req = Request {
                method: "GET".into(),
                target: format!("/?{q}").into_bytes(),
                ..Default::default()
            };
            for presigned in [false, true] {
                let want = |keeps: bool| {
                    canonical_query(
                        &req,
                        &SigV4Rules {
                            presigned_keeps_signature: keeps,
                            ..crate::engine::dialect::ALL[0].sigv4
                        },
                        presigned,
                        false,
                    )
                };
                let raw = |keeps: bool| {
                    let base = crate::engine::dialect::ALL[0].sigv4;
                    canonical_query(
                        &req,
                        &SigV4Rules {
                            presigned_keeps_signature: keeps,
                            query: QueryRule {
                                style: QueryStyle::RawPairs,
                                ..base.query
                            },
                            ..base
                        },
                        presigned,
                        false,
                    )
                };
                for d in crate::engine::dialect::ALL {
                    let got = canonical_query(&req, &d.sigv4, presigned, false);
                    let keeps = d.sigv4.presigned_keeps_signature;
                    assert_eq!(got, want(keeps), "{q} {}", d.name);
                    assert_eq!(got, raw(keeps), "{q} {} raw pairs", d.name);
                }
            }
        }
        assert!(plain > 500, "{plain}");
    }

    #[test]
    fn plain_headers_are_the_same_under_every_rule() {
        let alphabet = ["a", " ", "  ", "\t", "\"", "b", ":", "1"];
        let values = samples(&alphabet, 3_000, 6);
        let mut plain = 0;
        for (i, v) in values.iter().enumerate() {
            let mut headers = vec![
                crate::http::Header::new("Host", format!("h{v}")),
                crate::http::Header::new("X-Amz-Date", "20150830T123600Z"),
                crate::http::Header::new("X-A", v.as_bytes()),
            ];
            if i % 7 == 0 {
                headers.push(crate::http::Header::new("x-a", "again"));
            }
            if i % 11 == 0 {
                headers.push(crate::http::Header::new("User-Agent", "Boto/2.0.1"));
            }
            let req = Request {
                method: "GET".into(),
                target: b"/".to_vec(),
                headers,
                ..Default::default()
            };
            let mut signed: Vec<String> = vec!["host".into(), "x-a".into(), "x-amz-date".into()];
            if i % 5 == 0 {
                signed.push("x-missing".into());
            }
            let auth = V4Auth {
                algorithm: "AWS4-HMAC-SHA256".into(),
                access_key: "AK".into(),
                scope: "20150830/us-east-1/s3/aws4_request".into(),
                scope_date: "20150830".into(),
                region: "us-east-1".into(),
                service: "s3".into(),
                terminator: "aws4_request".into(),
                signed_headers_raw: signed.join(";"),
                signed_headers: signed,
                signature: String::new(),
                amz_date: Some("20150830T123600Z".into()),
                amz_date_from_date_header: false,
                expires: None,
                session_token: None,
            };
            if !plain_headers(&req, &auth) {
                continue;
            }
            plain += 1;
            let want = canonical_headers(&req, &auth, &crate::engine::dialect::ALL[0].sigv4);
            assert_eq!(want.1, None);
            for d in crate::engine::dialect::ALL {
                assert_eq!(
                    canonical_headers(&req, &auth, &d.sigv4),
                    want,
                    "{v:?} {}",
                    d.name
                );
            }
        }
        assert!(plain > 100, "{plain}");
    }

    #[test]
    fn aws_chunked_parse_errors_are_messages() {
        assert!(parse_aws_chunked(b"zz;chunk-signature=a\r\n").is_err());
        assert!(parse_aws_chunked(b"10;chunk-signature=a\r\nabc").is_err());
        assert!(parse_aws_chunked(b"3\r\nabc\r\n").is_err());
        let ok = parse_aws_chunked(b"3;chunk-signature=a\r\nabc\r\n0;chunk-signature=b\r\n\r\n")
            .unwrap();
        assert_eq!(ok.len(), 2);
    }
}
