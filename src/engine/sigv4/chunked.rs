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

/// Why an aws-chunked body could not be framed. The text is a finding's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("aws-chunked: no chunk header at byte {at}")]
    NoHeader { at: usize },
    #[error("aws-chunked: bad chunk size `{}` at byte {at}", crate::escape::escape_str(.size))]
    BadSize { size: String, at: usize },
    #[error("aws-chunked: chunk {index} has no chunk-signature")]
    NoSignature { index: usize },
    #[error("aws-chunked: chunk {index} declares {size} bytes, only {remain} remain")]
    Truncated {
        index: usize,
        size: usize,
        remain: usize,
    },
}

/// Parses `hex-size;chunk-signature=sig\r\n data \r\n` frames, final zero-size chunk included.
pub fn parse_aws_chunked(body: &[u8]) -> Result<Vec<AwsChunk>, ChunkError> {
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        let rel = body[pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(ChunkError::NoHeader { at: pos })?;
        let line = String::from_utf8_lossy(&body[pos..pos + rel]).into_owned();
        let (size_hex, ext) = line.split_once(';').unwrap_or((&line, ""));
        let size = usize::from_str_radix(size_hex.trim(), 16).map_err(|_| ChunkError::BadSize {
            size: size_hex.to_string(),
            at: pos,
        })?;
        let signature = ext
            .trim()
            .strip_prefix("chunk-signature=")
            .ok_or(ChunkError::NoSignature { index: out.len() })?
            .to_string();
        pos += rel + 2;
        if size > body.len() - pos {
            return Err(ChunkError::Truncated {
                index: out.len(),
                size,
                remain: body.len() - pos,
            });
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
                "{}-PAYLOAD\n{date}\n{}\n{prev}\n{EMPTY_SHA256}\n{}",
                auth.flavour.algorithm, auth.scope, c.sha256
            );
            let Checked {
                computed: sig,
                matches,
            } = check(chain, sts.as_bytes(), &c.signature);
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
    use super::parse_aws_chunked;

    #[test]
    fn framing_errors_keep_their_text() {
        let why = |b: &[u8]| parse_aws_chunked(b).unwrap_err().to_string();
        assert_eq!(why(b"abc"), "aws-chunked: no chunk header at byte 0");
        assert_eq!(
            why(b"z\x1b;chunk-signature=a\r\n"),
            "aws-chunked: bad chunk size `z\\x1b` at byte 0"
        );
        assert_eq!(
            why(b"3\r\nabc\r\n"),
            "aws-chunked: chunk 0 has no chunk-signature"
        );
        assert_eq!(
            why(b"10;chunk-signature=a\r\nabc"),
            "aws-chunked: chunk 0 declares 16 bytes, only 3 remain"
        );
    }
}
