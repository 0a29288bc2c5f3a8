//! The payload as S3 reads it, whatever signs the request: which mode `x-amz-content-sha256`
//! announces, the aws-chunked framing of the streaming modes (with or without chunk
//! signatures, with or without a trailer), `x-amz-decoded-content-length`, and the flexible
//! checksums (`x-amz-checksum-*` as headers, trailers or presigned query parameters) recomputed
//! over the decoded body. Chunk and trailer signatures are the signing scheme's business
//! (`sigv4::chunked`); this module only frames and checks.
//!
//! The payload modes are S3's "Authenticating Requests: Using the Authorization Header"
//! (`x-amz-content-sha256` values) and aws-c-auth `include/aws/auth/signing_config.h`
//! (`g_aws_signed_body_value_*`).

pub mod checksum;
pub mod framing;
pub mod multipart;

use checksum::Algorithm;
pub use framing::{FrameError, Framed, Shape};

use super::{Code, Finding};
use crate::escape::escape_str;
use crate::http::{Headers, Request};

/// Who signs the chunks of a streaming payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkSigning {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`.
    HmacSha256,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` (SigV4A, verified in `sigv4::chunked`).
    EcdsaP256,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    Unsigned,
}

/// What `x-amz-content-sha256` announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadMode {
    /// A hex SHA-256 of the body (or no header at all).
    Hash,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// An aws-chunked body.
    Streaming { chunks: ChunkSigning, trailer: bool },
}

impl PayloadMode {
    pub const STREAMING: [PayloadMode; 5] = [
        Self::streaming(ChunkSigning::HmacSha256, false),
        Self::streaming(ChunkSigning::HmacSha256, true),
        Self::streaming(ChunkSigning::Unsigned, true),
        Self::streaming(ChunkSigning::EcdsaP256, false),
        Self::streaming(ChunkSigning::EcdsaP256, true),
    ];

    const fn streaming(chunks: ChunkSigning, trailer: bool) -> PayloadMode {
        PayloadMode::Streaming { chunks, trailer }
    }

    /// The mode of an `x-amz-content-sha256` value (exact, as S3 compares it).
    pub fn of(value: &str) -> PayloadMode {
        if value == "UNSIGNED-PAYLOAD" {
            return PayloadMode::Unsigned;
        }
        Self::STREAMING
            .into_iter()
            .find(|m| m.wire() == value)
            .unwrap_or(PayloadMode::Hash)
    }

    /// The mode of a request (its `x-amz-content-sha256` header).
    pub fn of_request(req: &Request) -> PayloadMode {
        req.header_text(CONTENT_SHA256)
            .map_or(PayloadMode::Hash, |v| Self::of(&v))
    }

    pub fn wire(self) -> &'static str {
        use ChunkSigning::*;
        match self {
            PayloadMode::Hash => "a SHA-256 of the body",
            PayloadMode::Unsigned => "UNSIGNED-PAYLOAD",
            PayloadMode::Streaming { chunks, trailer } => match (chunks, trailer) {
                (HmacSha256, false) => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                (HmacSha256, true) => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                (Unsigned, _) => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                (EcdsaP256, false) => "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
                (EcdsaP256, true) => "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
            },
        }
    }

    /// Whether a trailer follows the chunks.
    pub fn has_trailer(self) -> bool {
        matches!(self, PayloadMode::Streaming { trailer: true, .. })
    }

    pub fn is_streaming(self) -> bool {
        matches!(self, PayloadMode::Streaming { .. })
    }
}

pub const CONTENT_SHA256: &str = "x-amz-content-sha256";
pub const DECODED_LENGTH: &str = "x-amz-decoded-content-length";
pub const TRAILER: &str = "x-amz-trailer";

/// The payload as taken apart: the framing of a streaming body when it could be framed.
#[derive(Clone, Debug, Default)]
pub struct Payload {
    pub framed: Option<Framed>,
}

/// The framing an aws-chunked body of `mode` is read with (`declared`: its `x-amz-trailer`).
fn shape(chunks: ChunkSigning, trailer: bool, declared: &[String]) -> Shape {
    Shape {
        signed: chunks != ChunkSigning::Unsigned,
        trailer: trailer || !declared.is_empty(),
    }
}

/// The request's body SHA-256 (hex, the report's `body_sha256`) and, for a whole aws-chunked
/// body whose checksum is SHA256 (as header or announced trailer), its decoded payload's: both
/// in one pass over the bytes ([`crate::engine::crypto::sha256x2`]), or as already kept on the
/// request. Other bodies: the body's digest only.
pub fn digests(req: &Request) -> (String, Option<[u8; 32]>) {
    if req.body_sha256.is_some() || !req.body_complete() || req.payload_sha256.is_some() {
        return (req.body_sha256_hex(), req.payload_sha256);
    }
    if let PayloadMode::Streaming { chunks, trailer } = PayloadMode::of_request(req) {
        let declared = declared_trailers(req);
        let sha = Algorithm::Sha256.header();
        let wanted = declared.contains(&sha) || req.header(&sha).is_some();
        if wanted {
            if let Ok(f) = framing::parse(&req.body, shape(chunks, trailer, &declared)) {
                let pieces = f.frames.iter().map(|fr| &req.body[fr.data.clone()]);
                let (wire, payload) =
                    crate::engine::crypto::sha256x2::digest_two(&req.body, pieces);
                return (crate::engine::crypto::to_hex(&wire), Some(payload));
            }
        }
    }
    (req.body_sha256_hex(), None)
}

/// [`digests`], kept on the request: the report's workers call it once per request, before
/// the engine, the checksums and the output read them.
pub fn keep_digests(req: &mut Request) {
    if req.body_sha256.is_none() && req.body_complete() {
        let (wire, payload) = digests(req);
        req.body_sha256 = Some(wire);
        req.payload_sha256 = payload;
    }
}

/// Frames the body of a streaming request and checks what S3 checks of a payload: the framing,
/// the trailer against `x-amz-trailer`, the decoded length, and every checksum. Findings for
/// what does not match.
/// `digests` are the request's [`digests`], computed once by the caller: the SHA256 checksum of
/// a body sent whole is the body's own digest, and that of an aws-chunked payload was computed
/// with it; neither is hashed a second time.
pub fn examine(
    req: &Request,
    presigned: bool,
    digests: (&str, Option<[u8; 32]>),
    findings: &mut Vec<Finding>,
) -> Payload {
    let mode = PayloadMode::of_request(req);
    let mut payload = Payload::default();
    let declared = declared_trailers(req);
    if let PayloadMode::Streaming { chunks, trailer } = mode {
        if !req.body_complete() {
            findings.push(Finding::new(
                Code::BodyNotKept,
                format!(
                    "the body ({} bytes) is larger than the body cap: its aws-chunked framing, chunk signatures and checksums are not checked (raise --body-cap)",
                    req.body_len()
                ),
            ));
            return payload;
        }
        match framing::parse(&req.body, shape(chunks, trailer, &declared)) {
            Ok(f) => {
                trailer_against_header(&f, &declared, findings);
                decoded_length(req, &f, findings);
                payload.framed = Some(f);
            }
            Err(e) => findings.push(Finding::new(Code::AwsChunkedMalformed, e.to_string())),
        }
    }
    checksums(req, mode, &payload, presigned, digests, findings);
    payload
}

/// The trailing headers `x-amz-trailer` announces, lower-cased.
fn declared_trailers(req: &Request) -> Vec<String> {
    req.header_values(TRAILER)
        .iter()
        .flat_map(|v| {
            crate::http::text(v)
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every trailing header sent is announced by `x-amz-trailer` and every one announced is sent
/// (S3 answers `MalformedTrailerError` otherwise; MinIO `readTrailers` refuses both).
fn trailer_against_header(f: &Framed, declared: &[String], findings: &mut Vec<Finding>) {
    for t in &f.trailers {
        if !declared.contains(&t.name) {
            findings.push(Finding::new(
                Code::TrailerUndeclared,
                format!(
                    "the trailer sends {} (byte {}) but x-amz-trailer does not announce it",
                    escape_str(&t.name),
                    t.at
                ),
            ));
        }
    }
    for d in declared {
        if f.trailer(d).is_none() {
            findings.push(Finding::new(
                Code::TrailerUndeclared,
                format!(
                    "x-amz-trailer announces {} but the trailer does not carry it",
                    escape_str(d)
                ),
            ));
        }
    }
}

/// `x-amz-decoded-content-length` against the length of the data the chunks carry.
fn decoded_length(req: &Request, f: &Framed, findings: &mut Vec<Finding>) {
    let got = f.decoded_len();
    let msg = match req.header_text(DECODED_LENGTH) {
        None => format!(
            "the aws-chunked body decodes to {got} bytes and the request sends no {DECODED_LENGTH} (S3 requires it)"
        ),
        Some(v) if v.trim().parse::<u64>().ok() == Some(got as u64) => return,
        Some(v) => format!(
            "{DECODED_LENGTH} is {} but the chunks carry {got} bytes",
            escape_str(&v)
        ),
    };
    findings.push(Finding::new(Code::DecodedLengthMismatch, msg));
}

/// Where a claimed checksum came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Header,
    Trailer,
    Query,
}

impl Place {
    fn word(self) -> &'static str {
        match self {
            Place::Header => "header",
            Place::Trailer => "trailer",
            Place::Query => "query parameter",
        }
    }
}

/// Every `x-amz-checksum-*` the request claims (header, trailer, presigned query).
fn claimed(req: &Request, payload: &Payload) -> Vec<(Algorithm, Place, String)> {
    let mut out = Vec::new();
    // Every request passes here: the prefix is compared in place before any text is made.
    let prefixed = |b: &[u8]| {
        b.len() > PREFIX_BYTES.len() && b[..PREFIX_BYTES.len()].eq_ignore_ascii_case(PREFIX_BYTES)
    };
    for h in req.headers.iter().filter(|h| prefixed(&h.name)) {
        if let Some(a) = Algorithm::of_header(&crate::http::text(&h.name)) {
            out.push((
                a,
                Place::Header,
                crate::http::text(&h.value).trim().to_string(),
            ));
        }
    }
    if let Some(f) = &payload.framed {
        for t in &f.trailers {
            if let Some(a) = Algorithm::of_header(&t.name) {
                out.push((a, Place::Trailer, t.value.clone()));
            }
        }
    }
    for (k, v) in query_pairs(req) {
        if let Some(a) = Algorithm::of_header(&k) {
            out.push((a, Place::Query, v));
        }
    }
    out
}

const PREFIX_BYTES: &[u8] = checksum::PREFIX.as_bytes();

/// The raw names of the request's query parameters.
fn query_names(req: &Request) -> impl Iterator<Item = &[u8]> {
    req.query()
        .unwrap_or_default()
        .split(|&b| b == b'&')
        .map(|p| p.split(|&b| b == b'=').next().unwrap_or_default())
}

/// The decoded query pairs of a request whose query names a checksum (none for others: every
/// request passes here, and few carry one).
fn query_pairs(req: &Request) -> Vec<(String, String)> {
    let Some(q) = req.query() else {
        return Vec::new();
    };
    if !q
        .windows(b"checksum".len())
        .any(|w| w.eq_ignore_ascii_case(b"checksum"))
    {
        return Vec::new();
    }
    super::encode::split_pairs(q)
        .into_iter()
        .map(|(k, v)| {
            let dec =
                |b: &[u8]| crate::http::text(&super::encode::percent_decode(b, true)).into_owned();
            (dec(k), v.map(dec).unwrap_or_default())
        })
        .collect()
}

/// The checksums against the body they describe (decoded, for a streaming body), the algorithm
/// `x-amz-sdk-checksum-algorithm` names, and a presigned URL's checksum parameters.
fn checksums(
    req: &Request,
    mode: PayloadMode,
    payload: &Payload,
    presigned: bool,
    (body_sha256, payload_sha256): (&str, Option<[u8; 32]>),
    findings: &mut Vec<Finding>,
) {
    let claims = claimed(req, payload);
    if presigned {
        presigned_checksums(req, &claims, findings);
    }
    // CompleteMultipartUpload (`POST ?uploadId=`) carries the whole object's checksum
    // (`ChecksumCRC32` … as x-amz-checksum-*, S3 API Reference), not its XML body's.
    let completes_multipart = req.method.eq_ignore_ascii_case("POST")
        && query_names(req).any(|n| n.eq_ignore_ascii_case(b"uploadId"));
    if completes_multipart {
        return;
    }
    sdk_algorithm(req, &claims, findings);
    // The body the checksums describe, as the parts it lies in: the chunks' data of an
    // aws-chunked body (no decoded copy), else the body.
    let parts: Vec<std::ops::Range<usize>> = match (&payload.framed, mode.is_streaming()) {
        (Some(f), true) => f.frames.iter().map(|fr| fr.data.clone()).collect(),
        (None, true) => return,
        (_, false) if !req.body_complete() => return,
        (_, false) => std::iter::once(0..req.body.len()).collect(),
    };
    let body_len: usize = parts.iter().map(|r| r.len()).sum();
    let pieces = || parts.iter().map(|r| &req.body[r.clone()]);
    let mut computed: Vec<(Algorithm, String)> = Vec::new();
    // A body sent whole (not aws-chunked): its SHA256 checksum is the body's SHA-256, which
    // the caller has already computed (the report's `body_sha256`); an aws-chunked payload's
    // may have been computed with it.
    if !mode.is_streaming() {
        if let Ok(d) = hex::decode(body_sha256) {
            computed.push((Algorithm::Sha256, checksum::base64(&d)));
        }
    } else if let Some(d) = payload_sha256 {
        computed.push((Algorithm::Sha256, checksum::base64(&d)));
    }
    for (a, place, value) in &claims {
        // A presigned URL's checksum describes the body of an upload only.
        if *place == Place::Query && !matches!(req.method.as_str(), "PUT" | "POST") {
            continue;
        }
        let ours = match computed.iter().find(|(c, _)| c == a) {
            Some((_, v)) => v.clone(),
            None => {
                let v = a.compute_parts(pieces());
                computed.push((*a, v.clone()));
                v
            }
        };
        if *value != ours {
            findings.push(Finding::new(
                Code::ChecksumMismatch,
                format!(
                    "the {} {} is {} but the {}body received ({} bytes) has {} {ours}",
                    a.header(),
                    place.word(),
                    escape_str(value),
                    if mode.is_streaming() { "decoded " } else { "" },
                    body_len,
                    a.name(),
                ),
            ));
        }
    }
}

/// `x-amz-sdk-checksum-algorithm` names an algorithm whose checksum is nowhere (S3:
/// `InvalidRequest`, "x-amz-sdk-checksum-algorithm specified, but no corresponding
/// x-amz-checksum-* or x-amz-trailer headers were found").
fn sdk_algorithm(req: &Request, claims: &[(Algorithm, Place, String)], out: &mut Vec<Finding>) {
    let Some(name) = req.header_text(checksum::SDK_ALGORITHM) else {
        return;
    };
    let Some(a) = Algorithm::of_name(&name) else {
        out.push(Finding::new(
            Code::ChecksumAbsent,
            format!(
                "{} names {}, which is not one of S3's checksum algorithms (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)",
                checksum::SDK_ALGORITHM,
                escape_str(&name)
            ),
        ));
        return;
    };
    let announced = declared_trailers(req).contains(&a.header());
    if !announced && !claims.iter().any(|(c, _, _)| *c == a) {
        out.push(Finding::new(
            Code::ChecksumAbsent,
            format!(
                "{} says {} but no {} header or trailer is sent",
                checksum::SDK_ALGORITHM,
                a.name(),
                a.header()
            ),
        ));
    }
}

/// A presigned URL that carries checksum parameters: the checksum was fixed when the URL was
/// signed, so only that exact body can be uploaded with it.
fn presigned_checksums(
    req: &Request,
    claims: &[(Algorithm, Place, String)],
    out: &mut Vec<Finding>,
) {
    for (a, place, v) in claims {
        if *place != Place::Query {
            continue;
        }
        let msg = if *a == Algorithm::Crc32 && v == checksum::EMPTY_CRC32 {
            format!(
                "the presigned URL carries {}={} in its query, the CRC32 of an empty body: the SDK signed it before the body was known, so S3 refuses any non-empty upload to it (BadDigest) and servers that do not read the parameter ignore it (presign without one: request_checksum_calculation = when_required for boto3, requestChecksumCalculation: \"WHEN_REQUIRED\" on the S3Client for JavaScript v3)",
                a.header(),
                v
            )
        } else {
            format!(
                "the presigned URL carries {}={} in its query: only a body with that {} can be uploaded to it",
                a.header(),
                escape_str(v),
                a.name()
            )
        };
        out.push(Finding::new(Code::PresignedChecksum, msg));
    }
    let sdk = query_pairs(req)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(checksum::SDK_ALGORITHM));
    if let (Some((_, v)), true) = (sdk, claims.iter().all(|(_, p, _)| *p != Place::Query)) {
        out.push(Finding::new(
            Code::PresignedChecksum,
            format!(
                "the presigned URL carries {}={} in its query but no checksum: S3 then expects the checksum as a header of the upload",
                checksum::SDK_ALGORITHM,
                escape_str(&v)
            ),
        ));
    }
}
