//! SigV4 (`AWS4-HMAC-SHA256`): header, presigned query and aws-chunked streaming payloads.
//! Step 2, canonicalize, is done here under one dialect's rules.

use super::auth::V4Auth;
use super::crypto::{hmac_sha256, sha256_hex, signatures_equal, KeyChain, EMPTY_SHA256};
use super::dialect::*;
use super::encode::{encode_with, is_unreserved, percent_decode, split_pairs, uri_encode_path};
use super::payload::PayloadMode;
use super::Rejection;
use crate::http::{Headers, Request};

mod analyze;
mod chunked;
pub mod flavour;
mod headers;
pub mod parse;
mod query;
#[cfg(test)]
mod tests;
mod uri;

pub use analyze::{analyze, Analyse};
pub use chunked::*;
pub use headers::*;
use query::*;
pub use uri::*;

/// What a dialect computes before any secret is involved.
#[derive(Clone, Debug)]
pub struct V4Canonical {
    pub canonical_request: Vec<u8>,
    pub string_to_sign: Vec<u8>,
    /// Why the dialect would refuse the request whatever the signature.
    pub rejects: Option<Rejection>,
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
    pub rejects: Option<Rejection>,
}

pub fn canonical_parts(ctx: &V4Context, rules: &SigV4Rules) -> V4Parts {
    canonical_parts_memo(ctx, rules, &mut V4Memo::default())
}

/// The knobs the canonical headers depend on.
type HeaderKnobs = (
    HeaderTrim,
    DuplicateHeaders,
    MissingHeader,
    HostRule,
    H2Host,
    bool,
);
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
    /// Per request: the payload mode `x-amz-content-sha256` announces.
    payload_mode: Option<PayloadMode>,
    /// Per request: what it asks of the flexible checksums.
    checksum_ask: Option<ChecksumAsk>,
}

/// Every trailer mode read: the rule under which nothing is refused for its payload mode.
const ALL_STREAMING: StreamingModes = StreamingModes {
    signed_trailer: true,
    unsigned_trailer: true,
    sigv4a: true,
};

/// Why a server with `modes` refuses a request whose payload mode is `mode`.
fn streaming_refused(mode: PayloadMode, modes: StreamingModes) -> Option<Rejection> {
    use super::payload::ChunkSigning;
    let read = match mode {
        PayloadMode::Streaming {
            chunks: ChunkSigning::HmacSha256,
            trailer: true,
        } => modes.signed_trailer,
        PayloadMode::Streaming {
            chunks: ChunkSigning::Unsigned,
            ..
        } => modes.unsigned_trailer,
        PayloadMode::Streaming {
            chunks: ChunkSigning::EcdsaP256,
            ..
        } => modes.sigv4a,
        _ => true,
    };
    (!read).then(|| Rejection::PayloadModeUnsupported(mode.wire()))
}

/// What a request asks of the server's flexible checksums: the algorithm it names
/// (`x-amz-sdk-checksum-algorithm`, or CreateMultipartUpload's `x-amz-checksum-algorithm`) and
/// the `x-amz-checksum-type` it asks for. Found once per request.
#[derive(Clone, Debug, Default)]
struct ChecksumAsk {
    named: Option<String>,
    full_object: bool,
}

impl ChecksumAsk {
    fn of(req: &Request) -> ChecksumAsk {
        use super::payload::checksum::SDK_ALGORITHM;
        let named = req
            .header_text(SDK_ALGORITHM)
            .or_else(|| req.header_text("x-amz-checksum-algorithm"))
            .map(|v| v.trim().to_string());
        let full_object = req
            .header_text(super::payload::multipart::CHECKSUM_TYPE)
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("FULL_OBJECT"));
        ChecksumAsk { named, full_object }
    }

    /// Why a server with `rules` refuses it (MinIO internal/hash/checksum.go NewChecksumType;
    /// S3's InvalidArgument for the same).
    fn refused(&self, rules: ChecksumRules) -> Option<Rejection> {
        use super::payload::checksum::Algorithm;
        let read = rules.read?;
        let named = self.named.as_deref()?;
        let Some(a) = Algorithm::of_name(named).filter(|a| read.contains(a)) else {
            return Some(Rejection::ChecksumUnsupported(crate::escape::escape_str(
                named,
            )));
        };
        let crc = matches!(
            a,
            Algorithm::Crc32 | Algorithm::Crc32c | Algorithm::Crc64Nvme
        );
        (self.full_object && rules.full_object_crc_only && !crc)
            .then(|| Rejection::FullObjectUnsupported(a.name()))
    }
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
        // A write's Accept-Encoding depends on `sigv4.gfe_accept_encoding`.
        if name.eq_ignore_ascii_case("accept-encoding") && headers::gfe_rewrites(req) {
            return false;
        }
        // An HTTP/2 request's host depends on `sigv4.h2_host`.
        let h2_host = name.eq_ignore_ascii_case("host") && req.h2_authority.is_some();
        v.last() != Some(&b' ')
            && !(name.eq_ignore_ascii_case("host") && (is_old_boto2(req) || h2_host))
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

/// S3's signing name, or S3 Express One Zone's (`s3express`: the same object API, the same
/// path and presigned-payload rules; botocore's `S3ExpressAuth` is an `S3SigV4Auth`).
pub fn is_s3_service(service: &str) -> bool {
    service == "s3" || service == "s3express"
}

/// An object store's request, signed under S3's path and presigned-payload rules: S3's and S3
/// Express's, and every GOOG4 request (Cloud Storage's XML API, signing name `storage`: the
/// path as sent, and `UNSIGNED-PAYLOAD` in a signed URL unless `x-goog-content-sha256` is
/// signed, `googleapis/python-storage` `google/cloud/storage/_signing.py`
/// `generate_signed_url_v4`).
pub fn is_storage(auth: &V4Auth) -> bool {
    is_s3_service(&auth.service)
        || auth.flavour.terminator == super::sigv4::flavour::GOOG4.terminator
}

/// The components a dialect's canonical request is made of (built and cached in `m` on first
/// use), and the rule of the dialect that refuses the request, if any.
pub(crate) fn canonical_key(
    ctx: &V4Context,
    rules: &SigV4Rules,
    m: &mut V4Memo,
) -> (CrKey, Option<Rejection>) {
    let mut rejects: Option<Rejection> = None;
    let req = ctx.req;
    let auth = ctx.auth;
    let s3 = is_storage(auth);
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
        canonical_query(
            req,
            qrules,
            ctx.presigned,
            ctx.token_appended,
            &ctx.auth.flavour.query,
        )
    });

    let hrules = if plain.headers { base } else { rules };
    let hkey = (
        hrules.header_values,
        hrules.duplicate_headers,
        hrules.missing_signed_header,
        hrules.host,
        hrules.h2_host,
        hrules.gfe_accept_encoding,
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
            rejects = Some(Rejection::SignedHeaderMissing(missing.to_string()));
        }
    }
    if rules.required_signed.host
        && !*m.host_signed.get_or_insert_with(|| {
            auth.signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("host"))
        })
    {
        rejects.get_or_insert(Rejection::HostNotSigned);
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
            rejects = Some(Rejection::HeaderNotSigned(n.to_string()));
        }
    }

    if rules.query.duplicates == DuplicateOrder::Refuse {
        if let Some(name) = repeated_query_name(req) {
            rejects.get_or_insert(Rejection::RepeatedQueryParameter(name));
        }
    }
    if rules.payload.when_absent == MissingPayload::Refuse
        && !ctx.presigned
        && !req.has_header("x-amz-content-sha256")
    {
        rejects.get_or_insert(Rejection::PayloadHashMissing);
    }
    if rules.streaming != ALL_STREAMING {
        let mode = *m
            .payload_mode
            .get_or_insert_with(|| PayloadMode::of_request(req));
        if let Some(why) = streaming_refused(mode, rules.streaming) {
            rejects.get_or_insert(why);
        }
    }
    if rules.checksums.read.is_some() {
        let ask = m.checksum_ask.get_or_insert_with(|| ChecksumAsk::of(req));
        if let Some(why) = ask.refused(rules.checksums) {
            rejects.get_or_insert(why);
        }
    }
    match (&auth.amz_date, rules.date) {
        (Some(_), DateSource::AmzDateOnly) if auth.amz_date_from_date_header => {
            rejects.get_or_insert(Rejection::NoAmzDate);
        }
        (Some(_), _) => {}
        (None, _) => {
            rejects.get_or_insert(Rejection::NoDate);
        }
    }
    (key, rejects)
}

/// The first query parameter name that appears more than once, decoded as a server reads it
/// (escaped for display).
fn repeated_query_name(req: &crate::http::Request) -> Option<String> {
    let q = req.query()?;
    let names: Vec<Vec<u8>> = split_pairs(q)
        .into_iter()
        .map(|(k, _)| percent_decode(k, true))
        .collect();
    names.iter().enumerate().find_map(|(i, n)| {
        names[..i]
            .contains(n)
            .then(|| crate::escape::escape_str(&String::from_utf8_lossy(n)))
    })
}

/// The first `x-amz-*` (the flavour's prefix) header of the request, lower-cased, that is not
/// signed (nor exempt: `x-amz-content-sha256`, and a presigned URL's `x-amz-security-token`).
fn unsigned_amz_header(ctx: &V4Context) -> Option<String> {
    let auth = ctx.auth;
    let f = auth.flavour;
    let prefix = f.header_prefix.as_bytes();
    let amz = |h: &&crate::http::Header| {
        h.name.len() >= prefix.len() && h.name[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    for h in ctx.req.headers.iter().filter(amz) {
        if h.name.is_ascii() {
            // The same tests on the bytes, without lowercasing a copy of every name.
            let is = |s: &str| h.name.eq_ignore_ascii_case(s.as_bytes());
            let exempt = is(f.content_sha256_header)
                || (ctx.presigned && is(f.token_header))
                || auth.signed_headers.iter().any(|s| is(s));
            if !exempt {
                return Some(crate::http::text(&h.name).to_ascii_lowercase());
            }
            continue;
        }
        let n = crate::http::text(&h.name).to_ascii_lowercase();
        if n != f.content_sha256_header
            && !(ctx.presigned && n == f.token_header)
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

/// A signature checked against a string to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The signature the verifier computes, when it computes one (`None` without the key).
    pub computed: Option<String>,
    /// Whether the claimed signature is right (`None` without the key).
    pub matches: Option<bool>,
}

/// The verification seam of every SigV4 flavour: the seed signature, each chunk's and the
/// session-token retry all go through here. The HMAC flavours recompute the signature from the
/// derived key and compare it with the claimed one in constant time. SigV4A's ECDSA
/// signatures are randomised and cannot be recomputed: the claimed one is verified with the
/// public key derived from the secret ([`super::crypto::ecdsa`]), and `computed` stays `None`.
pub fn check(chain: Option<&KeyChain>, string_to_sign: &[u8], claimed: &str) -> Checked {
    if let Some(pk) = chain.and_then(|k| k.public_key.as_ref()) {
        return Checked {
            computed: None,
            matches: Some(super::crypto::ecdsa::verify(pk, string_to_sign, claimed)),
        };
    }
    let computed = chain.map(|k| sign(k, string_to_sign));
    let matches = computed.as_ref().map(|s| signatures_equal(claimed, s));
    Checked { computed, matches }
}
