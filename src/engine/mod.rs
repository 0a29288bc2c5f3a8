//! The signature engine: pure and synchronous (no IO), parse → canonicalize → derive → compare.
//!
//! [`analyze`] takes one request and returns, for every dialect, the strings it would sign and
//! the signature it would expect, plus the verdict under the chosen verifier dialect.

pub mod auth;
pub mod crypto;
pub mod diagnose;
pub mod dialect;
pub mod encode;
pub mod finding;
pub mod querysig;
pub mod server_error;
pub mod sigv2;
pub mod sigv4;
pub mod time;
pub mod tokens;

use serde::Serialize;

pub use auth::{AuthInfo, Mode};
pub use crypto::KeyCache;
pub use dialect::Dialect;
pub use finding::{Code, Finding, Kind};

use crate::http::{Headers, Request};
use auth::Parsed;
use crypto::signatures_equal;
use sigv4::{ChunkResult, V4Context};

/// Where secrets come from; implemented by the credentials file and by the TUI's key prompt.
pub trait KeyStore {
    fn secret(&self, access_key: &str) -> Option<&str>;
}

/// No secrets at all: everything signed is `unverified`, canonical strings are still computed.
pub struct NoKeys;

impl KeyStore for NoKeys {
    fn secret(&self, _: &str) -> Option<&str> {
        None
    }
}

pub struct Verifier<'a> {
    pub keys: &'a (dyn KeyStore + Sync),
    pub dialect: &'static Dialect,
    pub cache: &'a KeyCache,
    /// Show derived signing keys in full (they sign anything in their scope for a day).
    pub reveal_keys: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    Invalid,
    Unverified,
    Anonymous,
    Malformed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unverified => "unverified",
            Verdict::Anonymous => "anonymous",
            Verdict::Malformed => "malformed",
        }
    }
}

/// The signing-key chain as shown: hex, masked unless the user asked to reveal it.
#[derive(Clone, Debug, Serialize)]
pub struct KeyChainView {
    pub k_date: String,
    pub k_region: String,
    pub k_service: String,
    pub k_signing: String,
}

impl KeyChainView {
    fn new(c: &crypto::KeyChain, reveal: bool) -> Self {
        let show = |k: &[u8; 32]| {
            if reveal {
                crypto::to_hex(k)
            } else {
                // The first 8 hex digits: only the first 4 bytes need formatting.
                let mut s = String::with_capacity(8 + '…'.len_utf8());
                crypto::push_hex(&mut s, &k[..4]);
                s.push('…');
                s
            }
        };
        KeyChainView {
            k_date: show(&c.k_date),
            k_region: show(&c.k_region),
            k_service: show(&c.k_service),
            k_signing: show(&c.k_signing),
        }
    }
}

/// One dialect's computation for one request.
#[derive(Clone, Debug, Serialize)]
pub struct DialectResult {
    pub name: &'static str,
    /// SigV4 only; SigV2 and Query signatures have just a string to sign.
    #[serde(serialize_with = "ser_opt_bytes")]
    pub canonical_request: Option<bytes::Bytes>,
    #[serde(serialize_with = "ser_bytes")]
    pub string_to_sign: bytes::Bytes,
    /// `null` without a secret.
    pub signature: Option<String>,
    /// Whether `signature` equals the client's; `null` without a secret or when unsupported.
    pub matches: Option<bool>,
    /// A rule of this dialect that refuses the request whatever the signature.
    pub rejects: Option<String>,
    /// The dialect has no verifier for this auth mode.
    pub unsupported: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<ChunkResult>,
}

impl DialectResult {
    /// Whether this dialect, as a server, would accept the request.
    pub fn accepts(&self) -> Option<bool> {
        let m = self.matches?;
        let chunks_ok = self.chunks.iter().all(|c| c.matches != Some(false));
        Some(m && chunks_ok && self.rejects.is_none())
    }
}

fn ser_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::http::text(b))
}

fn ser_opt_bytes<S: serde::Serializer>(b: &Option<bytes::Bytes>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => ser_bytes(b, s),
        None => s.serialize_none(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub auth: AuthInfo,
    pub verifier: &'static str,
    pub verdict: Verdict,
    pub dialects: Vec<DialectResult>,
    pub client_dialects: Vec<&'static str>,
    pub findings: Vec<Finding>,
    /// SigV4 only: derived from the secret and the scope, the same for every dialect.
    pub signing_key: Option<KeyChainView>,
    /// Where the client's signing and the verifier's (or the server's) part; set by
    /// [`analyze_observed`].
    pub divergence: Option<diagnose::Divergence>,
    /// What the server's error body says it computed.
    pub server_expected: Option<server_error::ServerExpected>,
    #[serde(skip)]
    pub body_sha256: String,
    /// The parsed auth parameters, for the diagnosis.
    #[serde(skip)]
    pub parsed: auth::Parsed,
}

impl Analysis {
    pub fn dialect(&self, name: &str) -> Option<&DialectResult> {
        self.dialects.iter().find(|d| d.name == name)
    }
}

pub fn analyze(req: &Request, v: &Verifier) -> Analysis {
    let detected = auth::detect(req);
    let body_sha256 = req.body_sha256_hex();
    let mut findings = Vec::new();
    let mut dialects = Vec::new();
    let mut signing_key = None;
    let mode = detected.info.mode.unwrap_or(Mode::Unknown);

    if let Some(why) = &detected.malformed {
        findings.push(Finding::new(Code::MalformedAuth, why.clone()));
    }
    // Content-MD5 is signed by SigV2 and checked by S3 whatever the scheme.
    if let (Some(md5), true) = (req.header_text("content-md5"), req.body_complete()) {
        use base64::Engine;
        use md5::Digest;
        let ours = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&req.body));
        if md5 != ours {
            findings.push(Finding::new(
                Code::ContentMd5Mismatch,
                format!(
                    "Content-MD5 is {} but the body received hashes to {ours}",
                    crate::escape::escape_str(&md5)
                ),
            ));
        }
    }
    let secret = detected
        .info
        .access_key
        .as_deref()
        .and_then(|ak| v.keys.secret(ak));

    match &detected.parsed {
        Parsed::V4(a) => {
            let chain = secret.map(|s| {
                v.cache
                    .chain(s, &a.scope_date, &a.region, &a.service, &a.terminator)
            });
            signing_key = chain.as_ref().map(|k| KeyChainView::new(k, v.reveal_keys));
            dialects = analyze_v4(req, a, mode, chain.as_ref(), v, &body_sha256, &mut findings);
        }
        Parsed::V2(a) => {
            let presigned = mode == Mode::Sigv2Query;
            // Dialects sharing rules compute the same string; equal strings, the same HMAC.
            let mut done: Vec<(&dialect::SigV2Rules, bytes::Bytes, Option<String>)> = Vec::new();
            for d in dialect::ALL {
                let Some(rules) = &d.sigv2 else {
                    dialects.push(unsupported(d, "S3 SigV2"));
                    continue;
                };
                let (sts, sig) = match done.iter().find(|(r, _, _)| *r == rules) {
                    Some((_, sts, sig)) => (sts.clone(), sig.clone()),
                    None => {
                        let sts =
                            bytes::Bytes::from(sigv2::string_to_sign(req, a, rules, presigned));
                        let sig = match done.iter().find(|(_, s, _)| *s == sts) {
                            Some((_, _, sig)) => sig.clone(),
                            None => secret.map(|s| sigv2::sign(s, &sts)),
                        };
                        done.push((rules, sts.clone(), sig.clone()));
                        (sts, sig)
                    }
                };
                dialects.push(DialectResult {
                    name: d.name,
                    canonical_request: None,
                    matches: sig.as_ref().map(|s| signatures_equal(&a.signature, s)),
                    string_to_sign: sts,
                    signature: sig,
                    rejects: None,
                    unsupported: false,
                    chunks: Vec::new(),
                });
            }
        }
        Parsed::Query(q) => {
            if q.signature_had_space {
                findings.push(Finding::new(
                    Code::SignaturePlusUnescaped,
                    "the Signature parameter holds a space: the client sent a `+` without percent-encoding it, which form decoding reads as a space (boto/boto#916); compared as `+`",
                ));
            }
            // Dialects sharing rules compute the same string and signature.
            let mut done: Vec<(&dialect::QueryRules, bytes::Bytes, Option<String>)> = Vec::new();
            for d in dialect::ALL {
                let Some(rules) = d.query.as_ref().filter(|r| r.versions.contains(&q.version))
                else {
                    dialects.push(unsupported(d, mode.as_str()));
                    continue;
                };
                let (sts, sig) = match done.iter().find(|(r, _, _)| *r == rules) {
                    Some((_, sts, sig)) => (sts.clone(), sig.clone()),
                    None => {
                        let (sts, hmac) = querysig::string_to_sign(req, q, rules);
                        let sig = secret.map(|s| querysig::sign(s, &sts, hmac));
                        let sts = bytes::Bytes::from(sts);
                        done.push((rules, sts.clone(), sig.clone()));
                        (sts, sig)
                    }
                };
                dialects.push(DialectResult {
                    name: d.name,
                    canonical_request: None,
                    matches: sig.as_ref().map(|s| signatures_equal(&q.signature, s)),
                    string_to_sign: sts,
                    signature: sig,
                    rejects: None,
                    unsupported: false,
                    chunks: Vec::new(),
                });
            }
        }
        Parsed::Nothing => {}
    }

    let client_dialects: Vec<&'static str> = dialects
        .iter()
        .filter(|d| d.matches == Some(true))
        .map(|d| d.name)
        .collect();

    let verdict = if detected.malformed.is_some() {
        Verdict::Malformed
    } else {
        match mode {
            Mode::Anonymous => Verdict::Anonymous,
            Mode::Basic | Mode::Bearer | Mode::XAuthToken | Mode::Unknown => {
                findings.push(Finding::new(
                    Code::DecodedOnly,
                    format!(
                        "{} credentials are decoded for display, not verified",
                        mode.as_str()
                    ),
                ));
                Verdict::Unverified
            }
            _ if secret.is_none() => {
                findings.push(Finding::new(
                    Code::NoSecret,
                    format!(
                        "no secret for access key {}: canonical strings are shown, the signature is not checked",
                        crate::escape::escape_str(detected.info.access_key.as_deref().unwrap_or("?"))
                    ),
                ));
                Verdict::Unverified
            }
            _ => match dialects.iter().find(|d| d.name == v.dialect.name) {
                Some(d) if d.unsupported => {
                    findings.push(Finding::new(
                        Code::ModeUnsupported,
                        format!("verifier {} has no {} verifier", d.name, mode.as_str()),
                    ));
                    Verdict::Unverified
                }
                Some(d) => {
                    if let Some(r) = &d.rejects {
                        findings.push(Finding::new(
                            Code::VerifierRejects,
                            format!("{}: {r}", d.name),
                        ));
                    }
                    if d.accepts() == Some(true) {
                        Verdict::Valid
                    } else {
                        Verdict::Invalid
                    }
                }
                None => Verdict::Unverified,
            },
        }
    };

    Analysis {
        auth: detected.info,
        verifier: v.dialect.name,
        verdict,
        dialects,
        client_dialects,
        findings,
        signing_key,
        divergence: None,
        server_expected: None,
        body_sha256,
        parsed: detected.parsed,
    }
}

/// [`analyze`] plus the diagnosis, which also reads the response and the capture time.
pub fn analyze_observed(o: &diagnose::Observed, v: &Verifier) -> Analysis {
    let mut a = analyze(o.request, v);
    diagnose::diagnose(o, &mut a, v);
    a
}

fn unsupported(d: &'static Dialect, what: &str) -> DialectResult {
    DialectResult {
        name: d.name,
        canonical_request: None,
        string_to_sign: bytes::Bytes::new(),
        signature: None,
        matches: None,
        rejects: Some(format!("{} has no {what} verifier", d.name)),
        unsupported: true,
        chunks: Vec::new(),
    }
}

fn analyze_v4<'r>(
    req: &'r Request,
    a: &'r auth::V4Auth,
    mode: Mode,
    chain: Option<&crypto::KeyChain>,
    v: &Verifier,
    body_sha256: &'r str,
    findings: &mut Vec<Finding>,
) -> Vec<DialectResult> {
    let ctx = V4Context {
        req,
        auth: a,
        presigned: mode == Mode::Sigv4Query,
        body_sha256,
        token_appended: false,
    };
    let token_in_query = ctx.presigned
        && req.query().is_some_and(|q| {
            encode::split_pairs(q)
                .iter()
                .any(|(k, _)| *k == b"X-Amz-Security-Token")
        });
    if let Some(h) = req.header_text("x-amz-content-sha256") {
        if h.len() == 64
            && h.bytes().all(|b| b.is_ascii_hexdigit())
            && !h.eq_ignore_ascii_case(body_sha256)
        {
            findings.push(Finding::new(
                Code::PayloadHashMismatch,
                format!(
                    "x-amz-content-sha256 is {h} but the body received ({} bytes) hashes to {body_sha256}",
                    req.body_len()
                ),
            ));
        }
    }
    let chunks = if mode == Mode::Sigv4Streaming && !req.body_complete() {
        findings.push(Finding::new(
            Code::BodyNotKept,
            format!(
                "the body ({} bytes) is larger than the body cap: chunk signatures are not checked (raise --body-cap)",
                req.body_len()
            ),
        ));
        Vec::new()
    } else if mode == Mode::Sigv4Streaming {
        match sigv4::parse_aws_chunked(&req.body) {
            Ok(c) => c,
            Err(e) => {
                findings.push(Finding::new(Code::AwsChunkedMalformed, e.to_string()));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    // Chunk signatures chain from the claimed seed, so a chunk is judged on its own and the
    // result is the same under every dialect: computed once.
    let chunk_results = if chunks.is_empty() {
        Vec::new()
    } else {
        sigv4::verify_chunks(&chunks, a, &a.signature, chain)
    };
    let mut out = Vec::with_capacity(dialect::ALL.len());
    // Most dialects agree on most requests: each distinct canonical request (known by the
    // components it is made of) is assembled, hashed and signed once.
    struct Signed {
        key: sigv4::CrKey,
        // Shared by every dialect that computes them (a reference count, not a copy).
        canonical_request: bytes::Bytes,
        string_to_sign: bytes::Bytes,
        signature: Option<String>,
        matches: Option<bool>,
    }
    let date = a.amz_date.as_deref().unwrap_or("");
    let mut seen: Vec<Signed> = Vec::with_capacity(4);
    let mut memo = sigv4::V4Memo::default();
    for d in dialect::ALL {
        let (key, rejects) = sigv4::canonical_key(&ctx, &d.sigv4, &mut memo);
        let i = match seen.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                let canonical_request =
                    bytes::Bytes::from(sigv4::canonical_bytes(&ctx, &memo, key));
                // Other components can still give the same bytes.
                let same = seen
                    .iter()
                    .find(|s| s.canonical_request == canonical_request);
                let (string_to_sign, signature, matches) = match same {
                    Some(s) => (s.string_to_sign.clone(), s.signature.clone(), s.matches),
                    None => {
                        let sts =
                            sigv4::string_to_sign(&a.algorithm, date, &a.scope, &canonical_request);
                        let sig = chain.map(|k| sigv4::sign(k, &sts));
                        // Constant-time, so compared once per distinct signature.
                        let matches = sig.as_ref().map(|s| signatures_equal(&a.signature, s));
                        (sts.into(), sig, matches)
                    }
                };
                seen.push(Signed {
                    key,
                    canonical_request,
                    string_to_sign,
                    signature,
                    matches,
                });
                seen.len() - 1
            }
        };
        let s = &seen[i];
        let (mut canonical_request, mut string_to_sign) =
            (s.canonical_request.clone(), s.string_to_sign.clone());
        let mut rejects = rejects;
        let (mut sig, mut matches) = (s.signature.clone(), s.matches);
        if matches == Some(false)
            && token_in_query
            && d.sigv4.session_token == dialect::SessionToken::SignedOrAppended
        {
            let alt_ctx = V4Context {
                token_appended: true,
                ..ctx
            };
            let alt = sigv4::canonicalize(&alt_ctx, &d.sigv4);
            let alt_sig = chain.map(|k| sigv4::sign(k, &alt.string_to_sign));
            if alt_sig
                .as_ref()
                .is_some_and(|s| signatures_equal(&a.signature, s))
            {
                canonical_request = alt.canonical_request.into();
                string_to_sign = alt.string_to_sign.into();
                rejects = alt.rejects;
                sig = alt_sig;
                matches = Some(true);
                if d.name == v.dialect.name {
                    findings.push(Finding::new(
                        Code::SessionTokenAppended,
                        "X-Amz-Security-Token was added to the URL after signing (accepted by services that want it that way)",
                    ));
                }
            }
        }
        out.push(DialectResult {
            name: d.name,
            canonical_request: Some(canonical_request),
            string_to_sign,
            signature: sig,
            matches,
            rejects,
            unsupported: false,
            chunks: chunk_results.clone(),
        });
    }
    if let Some(vr) = out.iter().find(|d| d.name == v.dialect.name) {
        if let Some(bad) = vr.chunks.iter().find(|c| c.matches == Some(false)) {
            findings.push(Finding::new(
                Code::ChunkSignatureMismatch,
                format!(
                    "chunk {} ({} bytes) carries signature {} but {} computes {}",
                    bad.index,
                    bad.size,
                    bad.claimed_signature,
                    vr.name,
                    bad.signature.as_deref().unwrap_or("?")
                ),
            ));
        }
    }
    out
}
