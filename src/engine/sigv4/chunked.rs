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
//!
//! SigV4A streaming (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`) builds the same
//! strings with its own algorithm (`AWS4-ECDSA-P256-SHA256-PAYLOAD`/`-TRAILER`) and region-less
//! scope, and signs them with ECDSA (aws-c-auth `source/aws_signing.c`:
//! `s_signature_type_sigv4a_s3_chunked_payload`, `s_build_canonical_request_body_chunk`,
//! `s_build_canonical_request_trailing_headers`). Its chunk and trailer signatures are hex DER
//! of varying length, padded on the right with `*` to 144 characters
//! (`s_add_signature_property_to_result_set`, `AWS_SIGV4A_SIGNATURE_PADDING_BYTE`,
//! `MAX_ECDSA_P256_SIGNATURE_AS_HEX_LENGTH`); the previous signature enters the next string to
//! sign with that padding stripped (`aws_trim_padded_sigv4a_signature`, which trims `*` at
//! both ends). ECDSA signatures are randomised: each one is verified with the public key, over
//! the string to sign built from the signature the client sent before it.

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

/// The padding byte of SigV4A chunk and trailer signatures (aws-c-auth `aws_signing.c`).
const SIGV4A_PADDING: char = '*';

/// A chunk or trailer signature as it enters a string to sign, or is verified: SigV4A's
/// without its `*` padding, SigV4's as sent.
fn unpadded<'a>(auth: &V4Auth, sig: &'a str) -> &'a str {
    if auth.flavour.signing == crate::engine::crypto::Signing::EcdsaP256 {
        sig.trim_matches(SIGV4A_PADDING)
    } else {
        sig
    }
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
            let Checked { computed, matches } =
                check(chain, sts.as_bytes(), unpadded(auth, &claimed));
            // The chain continues from the signature the client sent, so one bad chunk does
            // not hide whether the following ones are consistent.
            prev = unpadded(auth, &claimed).to_string();
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
        let Checked { computed, matches } = check(chain, sts.as_bytes(), unpadded(auth, &claimed));
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
