//! aws-chunked bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`): framing and chunk signatures.

use super::*;

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
