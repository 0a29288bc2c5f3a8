//! `garage`: Garage 2.5.0's S3 API, read in crates.io `garage_api_common` 2.5.0
//! `signature/payload.rs` (parse_query_map, canonical_request, verify_v4 and the header and
//! presigned parsers) and `signature/mod.rs`, and judged by a real Garage 2.5.0 in the
//! conformance corpus `tests/conformance/garage-2.5.0`, whose `strings.tsv` holds the
//! canonical request and string to sign Garage logged (trace level) for every request.

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "garage",
    summary: "Garage S3 API (garage_api_common signature/payload.rs)",
    sigv4: SigV4Rules {
        // canonical_request: for s3, percent_decode_str(path) then uri_encode(key, false):
        // decoded once and encoded with `/` kept; a `+` is a plus (path-plus-signed-encoded
        // accepted, path-plus-signed-as-sent refused); no normalisation (path-double-slash).
        path: PathRule { normalize: PathNormalize::None, encode: PathEncode::DecodeReencode, plus: PathPlus::Plus },
        s3_path: PathRule { normalize: PathNormalize::None, encode: PathEncode::DecodeReencode, plus: PathPlus::Plus },
        // parse_query_map: url::form_urlencoded::parse (a `+` is a space), each pair
        // uri_encode'd and sorted; a repeated name is refused ("duplicate query parameter").
        query: QueryRule {
            style: QueryStyle::Reencode { tilde_in_names_escaped: false },
            plus: QueryPlus::Space,
            duplicates: DuplicateOrder::Refuse,
        },
        // canonical_request: a signed header that is absent is refused ("signed header … is
        // not present", case header-signed-removed).
        missing_signed_header: MissingHeader::Reject,
        // verify_v4 (header auth): `Missing X-Amz-Content-Sha256 field` (case
        // payload-no-content-sha256).
        payload: PayloadRule { from_header: true, when_absent: MissingPayload::Refuse, presigned_s3_unsigned: true },
        session_token: SessionToken::Signed,
        // "Header `x-amz-…` should be signed" for every x-amz-* header (case header-unsigned-amz).
        required_signed: RequiredSigned { host: true, amz_headers: true, amz_headers_s3_only: false },
        // signature/mod.rs: AWS4-HMAC-SHA256 is its only algorithm; ContentSha256Header reads
        // both streaming modes with and without trailer.
        streaming: StreamingModes { signed_trailer: true, unsigned_trailer: true, sigv4a: false },
        // signature/checksum.rs: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, checked
        // (case checksum-crc32-header-wrong: InvalidDigest).
        ..super::aws::SIGV4
    },
    // "Unsupported authorization method" (cases v2-*); a SigV2 presigned URL is taken for an
    // anonymous request.
    sigv2: None,
    query: None,
    sources: &[
        "crates.io garage_api_common 2.5.0 signature/payload.rs (parse_query_map, canonical_request, verify_v4)",
        "crates.io garage_api_common 2.5.0 signature/mod.rs, signature/checksum.rs",
        "judged in tests/conformance/garage-2.5.0 (answers.tsv, strings.tsv)",
    ],
};
