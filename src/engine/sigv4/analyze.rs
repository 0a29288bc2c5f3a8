//! The SigV4 step of [`crate::engine::analyze`]: every dialect's result for one request.

use super::*;
use crate::engine::auth::{self, Mode};
use crate::engine::crypto;
use crate::engine::payload::PayloadMode;
use crate::engine::{dialect, encode, Code, Dialect, DialectResult, Finding};

/// What the SigV4 analysis of one request reads.
#[derive(Clone, Copy)]
pub struct Analyse<'r> {
    pub req: &'r Request,
    pub auth: &'r auth::V4Auth,
    pub mode: Mode,
    /// The signing-key chain, when the secret is known.
    pub chain: Option<&'r crypto::KeyChain>,
    /// The verifier dialect (it alone reports a token appended after signing).
    pub verifier: &'static Dialect,
    pub body_sha256: &'r str,
    /// The aws-chunked framing of a streaming body, when it could be framed.
    pub framed: Option<&'r crate::engine::payload::Framed>,
}

/// Every dialect's canonical request, string to sign and signature for a SigV4 request, and
/// its chunk signatures when it is streamed.
pub fn analyze(x: &Analyse, findings: &mut Vec<Finding>) -> Vec<DialectResult> {
    let Analyse {
        req,
        auth: a,
        mode,
        chain,
        verifier,
        body_sha256,
        ..
    } = *x;
    let ctx = V4Context {
        req,
        auth: a,
        presigned: mode.is_presigned(),
        body_sha256,
        token_appended: false,
    };
    let token_in_query = ctx.presigned
        && req.query().is_some_and(|q| {
            encode::split_pairs(q)
                .iter()
                .any(|(k, _)| *k == a.flavour.query.token.as_bytes())
        });
    let chunk_results = payload_and_chunks(x, findings);
    let mut out = Vec::with_capacity(dialect::ALL.len());
    // Most dialects agree on most requests: each distinct canonical request (known by the
    // components it is made of) is assembled, hashed and signed once.
    struct Signed {
        key: CrKey,
        // Shared by every dialect that computes them (a reference count, not a copy).
        canonical_request: bytes::Bytes,
        string_to_sign: bytes::Bytes,
        signature: Option<String>,
        matches: Option<bool>,
    }
    let date = a.amz_date.as_deref().unwrap_or("");
    let mut seen: Vec<Signed> = Vec::with_capacity(4);
    let mut memo = V4Memo::default();
    for d in dialect::ALL {
        let (key, rejects) = canonical_key(&ctx, &d.sigv4, &mut memo);
        let i = match seen.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                let canonical_request = bytes::Bytes::from(canonical_bytes(&ctx, &memo, key));
                // Other components can still give the same bytes.
                let same = seen
                    .iter()
                    .find(|s| s.canonical_request == canonical_request);
                let (string_to_sign, signature, matches) = match same {
                    Some(s) => (s.string_to_sign.clone(), s.signature.clone(), s.matches),
                    None => {
                        let sts = string_to_sign(&a.algorithm, date, &a.scope, &canonical_request);
                        // Constant-time, so checked once per distinct string to sign.
                        let c = check(chain, &sts, &a.signature);
                        (sts.into(), c.computed, c.matches)
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
            let alt = canonicalize(&alt_ctx, &d.sigv4);
            let alt_check = check(chain, &alt.string_to_sign, &a.signature);
            if alt_check.matches == Some(true) {
                canonical_request = alt.canonical_request.into();
                string_to_sign = alt.string_to_sign.into();
                rejects = alt.rejects;
                sig = alt_check.computed;
                matches = Some(true);
                if d.name == verifier.name {
                    findings.push(Finding::new(
                        Code::SessionTokenAppended,
                        format!(
                            "{} was added to the URL after signing (accepted by services that want it that way)",
                            a.flavour.query.token
                        ),
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
    if let Some(vr) = out.iter().find(|d| d.name == verifier.name) {
        chunk_findings(vr, findings);
    }
    out
}

/// What the verifier makes of a signature it found wrong: the one it computes (HMAC), or,
/// for SigV4A's randomised ECDSA, that it does not verify with the derived public key.
fn verdict_words(c: &ChunkResult, verifier: &str) -> String {
    match c.signature.as_deref() {
        Some(s) => format!("but {verifier} computes {s}"),
        None => format!(
            "which does not verify, under {verifier}'s string to sign, with the public key derived from the secret"
        ),
    }
}

/// The verifier's first bad chunk signature and a bad trailer signature, in words.
fn chunk_findings(vr: &DialectResult, findings: &mut Vec<Finding>) {
    let bad = |c: &&ChunkResult| c.matches == Some(false);
    if let Some(c) = vr.chunks.iter().filter(|c| !c.trailer).find(bad) {
        findings.push(Finding::new(
            Code::ChunkSignatureMismatch,
            format!(
                "chunk {} ({} bytes) carries signature {} {}",
                c.index,
                c.size,
                crate::escape::escape_str(&c.claimed_signature),
                verdict_words(c, vr.name)
            ),
        ));
    }
    if let Some(t) = vr.chunks.iter().filter(|c| c.trailer).find(bad) {
        let claimed = if t.claimed_signature.is_empty() {
            "no x-amz-trailer-signature".to_string()
        } else {
            format!(
                "x-amz-trailer-signature {}",
                crate::escape::escape_str(&t.claimed_signature)
            )
        };
        findings.push(Finding::new(
            Code::TrailerSignatureMismatch,
            format!(
                "the trailer ({} bytes signed) carries {claimed} {}",
                t.size,
                verdict_words(t, vr.name)
            ),
        ));
    }
}

/// The payload hash against the body, and the chunk signatures of a streamed body. Chunk
/// signatures chain from the claimed seed, so a chunk is judged on its own and the result is
/// the same under every dialect: computed once.
fn payload_and_chunks(x: &Analyse, findings: &mut Vec<Finding>) -> Vec<ChunkResult> {
    let Analyse {
        req,
        auth: a,
        mode,
        chain,
        body_sha256,
        ..
    } = *x;
    let payload_header = a.flavour.content_sha256_header;
    if let Some(h) = req.header_text(payload_header) {
        if h.len() == 64
            && h.bytes().all(|b| b.is_ascii_hexdigit())
            && !h.eq_ignore_ascii_case(body_sha256)
        {
            findings.push(Finding::new(
                Code::PayloadHashMismatch,
                format!(
                    "{payload_header} is {h} but the body received ({} bytes) hashes to {body_sha256}",
                    req.body_len()
                ),
            ));
        }
    }
    // The framing (and its errors, and a body over the cap) is the payload module's.
    match x.framed {
        Some(f) if a.flavour.streaming_mode == Some(mode) => {
            let trailer = PayloadMode::of_request(req).has_trailer();
            verify_chunks(f, &req.body, a, chain, trailer)
        }
        _ => Vec::new(),
    }
}
