//! aws-chunked framing, shared by every streaming payload mode (SigV4 now, SigV4A later):
//!
//! ```text
//! hex-size[;chunk-signature=sig] CRLF data CRLF      (repeated; the last chunk has size 0)
//! [name:value CRLF ...]                               (the trailer, when x-amz-trailer is sent)
//! [x-amz-trailer-signature:sig CRLF]                  (signed trailer modes)
//! CRLF
//! ```
//!
//! The grammar is S3's "Signature Calculations for the Authorization Header: Transferring
//! Payload in Multiple Chunks" and "… Including Trailing Headers" (sigv4-streaming.html,
//! sigv4-streaming-trailers.html), as read by MinIO (`cmd/streaming-signature-v4.go`,
//! `parseS3ChunkExtension` and `readTrailers`; `cmd/streaming-v4-unsigned.go` for the unsigned
//! framing) and written by botocore (`awsrequest.py`, `AwsChunkedWrapper`: `%x\r\n%s\r\n`, then
//! `0\r\n`, the trailer lines and `\r\n`).

use std::ops::Range;

/// The header in the trailer that carries the trailer's own signature.
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// What the framing of a mode carries besides the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Each size line carries `;chunk-signature=…`.
    pub signed: bool,
    /// A trailer section follows the zero-size chunk.
    pub trailer: bool,
}

/// One chunk as framed on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Where its size line starts in the body.
    pub at: usize,
    pub size: usize,
    /// Its data in the body.
    pub data: Range<usize>,
    /// The `chunk-signature` extension (signed modes).
    pub signature: Option<String>,
}

/// One trailing header, its name lower-cased and its value trimmed (as signed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trailer {
    pub at: usize,
    pub name: String,
    pub value: String,
}

/// An aws-chunked body taken apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Framed {
    pub frames: Vec<Frame>,
    /// The trailing headers, `x-amz-trailer-signature` excepted, in the order sent.
    pub trailers: Vec<Trailer>,
    /// `x-amz-trailer-signature` and where it starts.
    pub trailer_signature: Option<(String, usize)>,
}

impl Framed {
    /// The payload without its framing.
    pub fn decoded(&self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.decoded_len());
        for f in &self.frames {
            out.extend_from_slice(&body[f.data.clone()]);
        }
        out
    }

    pub fn decoded_len(&self) -> usize {
        self.frames.iter().map(|f| f.size).sum()
    }

    /// The canonical trailer that `AWS4-HMAC-SHA256-TRAILER` hashes: each trailing header as
    /// `name:value\n`, sorted by name (aws-c-auth `source/aws_signing.c`,
    /// `s_build_canonical_request_trailing_headers` through `s_canonicalize_headers`; MinIO
    /// `readTrailers`).
    pub fn canonical_trailer(&self) -> String {
        let mut t: Vec<&Trailer> = self.trailers.iter().collect();
        t.sort_by(|a, b| a.name.cmp(&b.name));
        t.iter()
            .map(|t| format!("{}:{}\n", t.name, t.value))
            .collect()
    }

    pub fn trailer(&self, name: &str) -> Option<&Trailer> {
        self.trailers.iter().find(|t| t.name == name)
    }
}

/// Why an aws-chunked body could not be taken apart; each names the byte it stopped at. The
/// text is a finding's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("aws-chunked: no chunk header at byte {at}")]
    NoHeader { at: usize },
    #[error("aws-chunked: bad chunk size `{}` at byte {at}", crate::escape::escape_str(.size))]
    BadSize { size: String, at: usize },
    #[error("aws-chunked: chunk {index} has no chunk-signature (size line at byte {at})")]
    NoSignature { index: usize, at: usize },
    #[error("aws-chunked: chunk {index} has the extension `{}` at byte {at}, where only chunk-signature is defined", crate::escape::escape_str(.extension))]
    UnknownExtension {
        index: usize,
        extension: String,
        at: usize,
    },
    #[error("aws-chunked: chunk {index} declares {size} bytes, only {remain} remain")]
    Truncated {
        index: usize,
        size: usize,
        remain: usize,
    },
    #[error("aws-chunked: chunk {index}'s data is not followed by CRLF at byte {at}")]
    MissingCrlf { index: usize, at: usize },
    #[error("aws-chunked: trailing header at byte {at} is not `name:value` ending in CRLF")]
    BadTrailer { at: usize },
    #[error(
        "aws-chunked: the body does not end with the blank line after the trailer (byte {at})"
    )]
    Unterminated { at: usize },
    #[error("aws-chunked: a trailer follows the last chunk at byte {at} but the request announces none (no x-amz-trailer header, no -TRAILER payload mode)")]
    UndeclaredTrailer { at: usize },
    #[error("aws-chunked: {extra} bytes after the end of the body at byte {at}")]
    TrailingBytes { extra: usize, at: usize },
}

/// The index of the next CRLF at or after `from`.
fn crlf(body: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(&body[from..], b"\r\n").map(|i| from + i)
}

/// Takes an aws-chunked body apart, the zero-size chunk and the trailer included.
pub fn parse(body: &[u8], shape: Shape) -> Result<Framed, FrameError> {
    let mut pos = 0;
    let mut out = Framed::default();
    loop {
        let (frame, next) = size_line(body, pos, out.frames.len(), shape.signed)?;
        pos = next;
        let index = out.frames.len();
        let size = frame.size;
        out.frames.push(frame);
        if size == 0 {
            break;
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err(FrameError::MissingCrlf { index, at: pos });
        }
        pos += 2;
    }
    if shape.trailer {
        pos = trailer(body, pos, &mut out)?;
    } else if body[pos..].starts_with(b"\r\n") {
        pos += 2;
    } else if pos < body.len() {
        // Trailing headers where none was announced.
        return Err(FrameError::UndeclaredTrailer { at: pos });
    }
    if pos < body.len() {
        return Err(FrameError::TrailingBytes {
            extra: body.len() - pos,
            at: pos,
        });
    }
    Ok(out)
}

/// One `hex-size[;ext] CRLF data` at `pos`; the position after its data.
fn size_line(
    body: &[u8],
    pos: usize,
    index: usize,
    signed: bool,
) -> Result<(Frame, usize), FrameError> {
    let end = crlf(body, pos).ok_or(FrameError::NoHeader { at: pos })?;
    let line = String::from_utf8_lossy(&body[pos..end]).into_owned();
    let (size_hex, ext) = match line.split_once(';') {
        Some((s, e)) => (s, Some(e)),
        None => (line.as_str(), None),
    };
    let bad_size = || FrameError::BadSize {
        size: size_hex.to_string(),
        at: pos,
    };
    // Hex digits only (`from_str_radix` would also take a sign), at most 16 of them.
    if size_hex.is_empty()
        || size_hex.len() > 16
        || !size_hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(bad_size());
    }
    let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad_size())?;
    let ext_at = pos + size_hex.len() + 1;
    let signature = match (ext, signed) {
        (None, false) => None,
        (None, true) => return Err(FrameError::NoSignature { index, at: pos }),
        (Some(e), _) => match e.strip_prefix("chunk-signature=") {
            Some(sig) if signed => Some(sig.to_string()),
            _ => {
                return Err(FrameError::UnknownExtension {
                    index,
                    extension: e.to_string(),
                    at: ext_at,
                })
            }
        },
    };
    let start = end + 2;
    if size > body.len() - start {
        return Err(FrameError::Truncated {
            index,
            size,
            remain: body.len() - start,
        });
    }
    let frame = Frame {
        at: pos,
        size,
        data: start..start + size,
        signature,
    };
    Ok((frame, start + size))
}

/// The trailer section at `pos` up to its blank line; the position after it.
fn trailer(body: &[u8], mut pos: usize, out: &mut Framed) -> Result<usize, FrameError> {
    loop {
        let Some(end) = crlf(body, pos) else {
            return Err(if pos == body.len() {
                FrameError::Unterminated { at: pos }
            } else {
                FrameError::BadTrailer { at: pos }
            });
        };
        if end == pos {
            return Ok(pos + 2);
        }
        let line = String::from_utf8_lossy(&body[pos..end]);
        let (name, value) = line
            .split_once(':')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or(FrameError::BadTrailer { at: pos })?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name == TRAILER_SIGNATURE {
            out.trailer_signature = Some((value, pos));
        } else {
            out.trailers.push(Trailer {
                at: pos,
                name,
                value,
            });
        }
        pos = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNSIGNED: Shape = Shape {
        signed: false,
        trailer: true,
    };
    const SIGNED: Shape = Shape {
        signed: true,
        trailer: false,
    };

    #[test]
    fn botocore_unsigned_trailer_framing() {
        // As botocore's AwsChunkedWrapper writes "hello" with a CRC32 trailer.
        let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        let f = parse(body, UNSIGNED).unwrap();
        assert_eq!(f.frames.len(), 2);
        assert_eq!(f.decoded(body), b"hello");
        assert_eq!(f.trailers[0].name, "x-amz-checksum-crc32");
        assert_eq!(f.trailers[0].value, "NhCmhg==");
        assert_eq!(f.trailers[0].at, 13);
        assert_eq!(f.canonical_trailer(), "x-amz-checksum-crc32:NhCmhg==\n");
        assert_eq!(f.trailer_signature, None);
    }

    #[test]
    fn errors_name_the_byte() {
        let why = |b: &[u8], s: Shape| parse(b, s).unwrap_err().to_string();
        assert_eq!(
            why(b"abc", SIGNED),
            "aws-chunked: no chunk header at byte 0"
        );
        assert_eq!(
            why(b"z\x1b;chunk-signature=a\r\n", SIGNED),
            "aws-chunked: bad chunk size `z\\x1b` at byte 0"
        );
        assert_eq!(
            why(b"3\r\nabc\r\n", SIGNED),
            "aws-chunked: chunk 0 has no chunk-signature (size line at byte 0)"
        );
        assert_eq!(
            why(b"10;chunk-signature=a\r\nabc", SIGNED),
            "aws-chunked: chunk 0 declares 16 bytes, only 3 remain"
        );
        assert_eq!(
            why(b"3\r\nabcXX0\r\n\r\n", UNSIGNED),
            "aws-chunked: chunk 0's data is not followed by CRLF at byte 6"
        );
        assert_eq!(
            why(b"3\r\nabc\r\n3;foo=bar\r\nabc\r\n", UNSIGNED),
            "aws-chunked: chunk 1 has the extension `foo=bar` at byte 10, where only chunk-signature is defined"
        );
        assert_eq!(
            why(b"0\r\nx-amz-checksum-crc32 AAAAAA==\r\n\r\n", UNSIGNED),
            "aws-chunked: trailing header at byte 3 is not `name:value` ending in CRLF"
        );
        assert_eq!(
            why(b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", UNSIGNED),
            "aws-chunked: the body does not end with the blank line after the trailer (byte 34)"
        );
        assert_eq!(
            why(b"0;chunk-signature=a\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", SIGNED),
            "aws-chunked: a trailer follows the last chunk at byte 21 but the request announces none (no x-amz-trailer header, no -TRAILER payload mode)"
        );
        assert_eq!(
            why(b"0;chunk-signature=a\r\n\r\nxyz", SIGNED),
            "aws-chunked: 3 bytes after the end of the body at byte 23"
        );
        assert_eq!(
            why(b"+5\r\nhello\r\n0\r\n\r\n", SIGNED),
            "aws-chunked: bad chunk size `+5` at byte 0"
        );
        // A 17-digit size would overflow: refused as a bad size, not a panic.
        assert!(why(b"11111111111111111\r\n", UNSIGNED).contains("bad chunk size"));
    }

    #[test]
    fn the_trailer_signature_is_kept_apart_and_names_are_sorted() {
        let body = b"0;chunk-signature=ab\r\nsecond:2nd\r\nFirst: 1st \r\nx-amz-trailer-signature:cd\r\n\r\n";
        let f = parse(
            body,
            Shape {
                signed: true,
                trailer: true,
            },
        )
        .unwrap();
        assert_eq!(f.trailer_signature, Some(("cd".to_string(), 47)));
        assert_eq!(f.canonical_trailer(), "first:1st\nsecond:2nd\n");
        assert_eq!(f.decoded_len(), 0);
    }

    #[test]
    fn garbage_never_panics() {
        let samples: [&[u8]; 6] = [
            b"",
            b"\r\n",
            b"0",
            b"ffffffffffffffff\r\n",
            b"1;chunk-signature=\r\n\xff\r\n0;chunk-signature=\r\n:\r\n",
            b"0\r\n\r\n\r\n",
        ];
        for b in samples {
            for signed in [false, true] {
                for trailer in [false, true] {
                    let _ = parse(b, Shape { signed, trailer });
                }
            }
        }
    }
}
