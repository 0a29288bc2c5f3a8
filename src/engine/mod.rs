//! The signature engine: pure and synchronous (no IO), parse → canonicalize → derive → compare.
//!
//! [`analyze`] takes one request and returns, for every dialect, the strings it would sign and
//! the signature it would expect, plus the verdict under the chosen verifier dialect.

pub mod auth;
pub mod crypto;
pub mod diagnose;
pub mod dialect;
pub mod diff;
pub mod encode;
pub mod finding;
pub mod mark;
pub mod mode;
pub mod payload;
pub mod postpolicy;
pub mod querysig;
pub mod rejection;
pub mod resign;
pub mod s3express;
pub mod secret;
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
pub use mark::{BodyMismatch, Mark};
pub use mode::Family;
pub use rejection::Rejection;

use crate::http::{Headers, Request};
use auth::Parsed;
use sigv4::ChunkResult;

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

#[derive(Clone, Copy)]
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

/// SigV4A's public key, derived from the access key and the secret: the affine coordinates of
/// the point, in hex, as SDKs log them (aws-c-auth's test suite `public-key.json` has `X`, `Y`).
/// The private scalar is never kept, so it cannot be shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicKeyView {
    pub x: String,
    pub y: String,
}

impl PublicKeyView {
    fn new(k: &crypto::ecdsa::PublicKey) -> Self {
        PublicKeyView {
            x: crypto::to_hex(&k.x),
            y: crypto::to_hex(&k.y),
        }
    }
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
    pub rejects: Option<Rejection>,
    /// The dialect has no verifier for this auth mode.
    pub unsupported: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<ChunkResult>,
}

impl DialectResult {
    /// A scheme that signs one string (SigV2, Query): its string to sign, the signature the
    /// dialect computes (`None` without the secret), compared with the claimed one.
    pub(crate) fn string_signed(
        name: &'static str,
        string_to_sign: bytes::Bytes,
        signature: Option<String>,
        claimed: &str,
    ) -> DialectResult {
        DialectResult {
            name,
            canonical_request: None,
            matches: signature
                .as_ref()
                .map(|s| crypto::signatures_equal(claimed, s)),
            string_to_sign,
            signature,
            rejects: None,
            unsupported: false,
            chunks: Vec::new(),
        }
    }

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
    /// SigV4A only, with the secret: the derived public key its signature is verified with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyView>,
    /// A browser upload (`post-policy`): the form, the decoded policy, each condition's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_policy: Option<Box<postpolicy::View>>,
    /// Where the client's signing and the verifier's (or the server's) part; set by
    /// [`analyze_observed`].
    pub divergence: Option<diagnose::Divergence>,
    /// What the server's error body says it computed.
    pub server_expected: Option<server_error::ServerExpected>,
    /// What the body received does not match (its signed payload hash, its Content-MD5), as
    /// the engine computed from the capture; empty when it matches or nothing says.
    pub body_mismatch: Vec<BodyMismatch>,
    #[serde(skip)]
    pub body_sha256: String,
    /// The parsed auth parameters, for the diagnosis.
    #[serde(skip)]
    pub parsed: auth::Parsed,
    /// The diagnosis found that the server answered other bytes than these (the request was
    /// changed between this capture point and the server): its answer says nothing of the
    /// server's rules for this request.
    #[serde(skip)]
    pub answered_other_request: bool,
}

impl Analysis {
    pub fn dialect(&self, name: &str) -> Option<&DialectResult> {
        self.dialects.iter().find(|d| d.name == name)
    }
}

pub fn analyze(req: &Request, v: &Verifier) -> Analysis {
    let detected = auth::detect(req);
    // The body's SHA-256 and, for an aws-chunked SHA256 checksum, the payload's: one pass.
    let (body_sha256, payload_sha256) = payload::digests(req);
    let mut findings = Vec::new();
    let mut signing_key = None;
    let mut public_key = None;
    let mut post_policy = None;
    let mode = detected.info.mode;

    if let Some(why) = &detected.malformed {
        findings.push(Finding::new(Code::MalformedAuth, why.clone()));
    }
    content_md5(req, &mut findings);
    // The framing, decoded length and checksums: S3's payload rules, whatever the scheme.
    let payload = payload::examine(
        req,
        mode.is_presigned(),
        (&body_sha256, payload_sha256),
        &mut findings,
    );
    let secret = detected
        .info
        .access_key
        .as_deref()
        .and_then(|ak| v.keys.secret(ak));

    // Each scheme computes every dialect's strings and signature in its own module.
    let dialects = match &detected.parsed {
        Parsed::V4(a) => {
            let chain = secret.map(|s| v.cache.chain(s, &a.key_scope()));
            match chain.as_ref() {
                Some(k) if a.flavour.signing == crypto::Signing::EcdsaP256 => {
                    public_key = k.public_key.as_ref().map(PublicKeyView::new);
                }
                k => signing_key = k.map(|k| KeyChainView::new(k, v.reveal_keys)),
            }
            let ctx = sigv4::Analyse {
                req,
                auth: a,
                mode,
                chain: chain.as_ref(),
                verifier: v.dialect,
                body_sha256: &body_sha256,
                framed: payload.framed.as_ref(),
            };
            sigv4::analyze(&ctx, &mut findings)
        }
        Parsed::V2(a) => {
            if mode.is_presigned() && sigv2::signature_plus_unescaped(req) {
                findings.push(Finding::new(
                    Code::SignaturePlusUnescaped,
                    "the Signature parameter holds a raw `+`: the client (or something on the way) did not percent-encode it (`%2B`), and servers that decode the query as a form read a space there, so they compare another signature (boto/boto#916); compared here as `+`",
                ));
            }
            sigv2::analyze(req, a, mode.is_presigned(), secret)
        }
        Parsed::Query(q) => querysig::analyze(req, q, mode, secret, &mut findings),
        Parsed::PostPolicy(p) => {
            let view = postpolicy::examine(req, p, &mut findings);
            let signed = secret.and_then(|s| postpolicy::sign(p, s, v.cache));
            if let Some((_, Some(chain))) = &signed {
                signing_key = Some(KeyChainView::new(chain, v.reveal_keys));
            }
            let results = postpolicy::analyze(p, &view, signed.as_ref().map(|(s, _)| s.as_str()));
            post_policy = Some(Box::new(view));
            results
        }
        Parsed::Nothing => Vec::new(),
    };

    // From the codes the body checks above raised (the diagnosis, later, may add the
    // server's own word for it; that is not a computation of the body).
    let body_mismatch = BodyMismatch::from_findings(&findings);
    let client_dialects: Vec<&'static str> = dialects
        .iter()
        .filter(|d| d.matches == Some(true))
        .map(|d| d.name)
        .collect();
    let verdict = verdict(
        &detected,
        mode,
        secret.is_some(),
        &dialects,
        v,
        &mut findings,
    );

    Analysis {
        auth: detected.info,
        verifier: v.dialect.name,
        verdict,
        dialects,
        client_dialects,
        findings,
        signing_key,
        public_key,
        post_policy,
        divergence: None,
        server_expected: None,
        body_mismatch,
        body_sha256,
        parsed: detected.parsed,
        answered_other_request: false,
    }
}

/// Content-MD5 is signed by SigV2 and checked by S3 whatever the scheme.
fn content_md5(req: &Request, findings: &mut Vec<Finding>) {
    let (Some(md5), true) = (req.header_text("content-md5"), req.body_complete()) else {
        return;
    };
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

/// The verdict under the verifier dialect, with the finding that says why when it is not a
/// plain match or mismatch.
fn verdict(
    detected: &auth::Detected,
    mode: Mode,
    have_secret: bool,
    dialects: &[DialectResult],
    v: &Verifier,
    findings: &mut Vec<Finding>,
) -> Verdict {
    if detected.malformed.is_some() {
        return Verdict::Malformed;
    }
    match mode.family() {
        Family::Anonymous => Verdict::Anonymous,
        Family::Token | Family::Unknown => {
            findings.push(Finding::new(
                Code::DecodedOnly,
                format!(
                    "{} credentials are decoded for display, not verified",
                    mode.as_str()
                ),
            ));
            Verdict::Unverified
        }
        Family::SigV4 | Family::SigV2 | Family::Query | Family::PostPolicy if !have_secret => {
            findings.push(Finding::new(
                Code::NoSecret,
                format!(
                    "no secret for access key {}: canonical strings are shown, the signature is not checked",
                    crate::escape::escape_str(detected.info.access_key.as_deref().unwrap_or("?"))
                ),
            ));
            Verdict::Unverified
        }
        Family::SigV4 | Family::SigV2 | Family::Query | Family::PostPolicy => {
            verifier_verdict(dialects, v, mode, findings)
        }
    }
}

/// The verifier dialect's verdict on a signed request whose secret is known.
fn verifier_verdict(
    dialects: &[DialectResult],
    v: &Verifier,
    mode: Mode,
    findings: &mut Vec<Finding>,
) -> Verdict {
    match dialects.iter().find(|d| d.name == v.dialect.name) {
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
    }
}

/// [`analyze`] plus the diagnosis, which also reads the response and the capture time.
pub fn analyze_observed(o: &diagnose::Observed, v: &Verifier) -> Analysis {
    // S3 Express sessions learned earlier in the capture verify the requests that use them.
    let keys;
    let with_sessions;
    let v = if o.context.sessions.is_empty() {
        v
    } else {
        keys = s3express::SessionKeys {
            base: v.keys,
            sessions: o.context.sessions,
        };
        with_sessions = Verifier { keys: &keys, ..*v };
        &with_sessions
    };
    let mut a = analyze(o.request, v);
    diagnose::diagnose(o, &mut a, v);
    a
}

/// The result of a dialect that has no verifier for the request's scheme.
pub(crate) fn unsupported(d: &'static Dialect, what: &'static str) -> DialectResult {
    DialectResult {
        name: d.name,
        canonical_request: None,
        string_to_sign: bytes::Bytes::new(),
        signature: None,
        matches: None,
        rejects: Some(Rejection::NoVerifier {
            dialect: d.name,
            scheme: what,
        }),
        unsupported: true,
        chunks: Vec::new(),
    }
}
