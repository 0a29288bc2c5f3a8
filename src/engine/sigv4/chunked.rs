//! Chunk and trailer signatures of the signed streaming payloads
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`). The framing is
//! [`crate::engine::payload::framing`], shared with every streaming mode.
//!
//! A chunk's string to sign is `<algorithm>-PAYLOAD`, the date, the scope, the previous
//! signature, the empty string's SHA-256 and the chunk data's SHA-256 (S3 sigv4-streaming.html);
//! the trailer's is `<algorithm>-TRAILER`, the date, the scope, the previous signature (the
//! zero-size chunk's) and the SHA-256 of the canonical trailer (S3 sigv4-streaming-trailers.html;
//! aws-c-auth `source/aws_signing.c`, `s_build_canonical_request_trailing_headers`; MinIO
//! `cmd/streaming-signature-v4.go`, `readTrailers`).

use super::*;
use crate::engine::payload::Framed;

/// One aws-chunked chunk (or the trailer) and its verification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChunkResult {
    pub index: usize,
    /// The chunk's data length; for the trailer, the canonical trailer's length.
    pub size: usize,
    pub claimed_signature: String,
    pub string_to_sign: String,
    pub signature: Option<String>,
    pub matches: Option<bool>,
    /// This entry is the trailer's signature (`x-amz-trailer-signature`), not a chunk's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub trailer: bool,
}

/// The string to sign of one chunk.
pub fn chunk_string_to_sign(auth: &V4Auth, prev: &str, data_sha256: &str) -> String {
    let date = auth.amz_date.as_deref().unwrap_or_default();
    format!(
        "{}-PAYLOAD\n{date}\n{}\n{prev}\n{EMPTY_SHA256}\n{data_sha256}",
        auth.flavour.algorithm, auth.scope
    )
}

/// The string to sign of the trailer.
pub fn trailer_string_to_sign(auth: &V4Auth, prev: &str, canonical_trailer: &str) -> String {
    let date = auth.amz_date.as_deref().unwrap_or_default();
    format!(
        "{}-TRAILER\n{date}\n{}\n{prev}\n{}",
        auth.flavour.algorithm,
        auth.scope,
        sha256_hex(canonical_trailer.as_bytes())
    )
}

/// Verifies the chain of chunk signatures that starts from the seed signature, then the
/// trailer's signature when the mode signs one (`with_trailer`).
pub fn verify_chunks(
    framed: &Framed,
    body: &[u8],
    auth: &V4Auth,
    chain: Option<&KeyChain>,
    with_trailer: bool,
) -> Vec<ChunkResult> {
    let mut prev = auth.signature.clone();
    let mut out: Vec<ChunkResult> = framed
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let claimed = f.signature.clone().unwrap_or_default();
            let sts = chunk_string_to_sign(auth, &prev, &sha256_hex(&body[f.data.clone()]));
            let Checked { computed, matches } = check(chain, sts.as_bytes(), &claimed);
            // The chain continues from the signature the client sent, so one bad chunk does
            // not hide whether the following ones are consistent.
            prev = claimed.clone();
            ChunkResult {
                index: i,
                size: f.size,
                claimed_signature: claimed,
                string_to_sign: sts,
                signature: computed,
                matches,
                trailer: false,
            }
        })
        .collect();
    if with_trailer {
        let canonical = framed.canonical_trailer();
        let claimed = framed
            .trailer_signature
            .as_ref()
            .map(|(s, _)| s.clone())
            .unwrap_or_default();
        let sts = trailer_string_to_sign(auth, &prev, &canonical);
        let Checked { computed, matches } = check(chain, sts.as_bytes(), &claimed);
        out.push(ChunkResult {
            index: out.len(),
            size: canonical.len(),
            claimed_signature: claimed,
            string_to_sign: sts,
            signature: computed,
            matches,
            trailer: true,
        });
    }
    out
}
