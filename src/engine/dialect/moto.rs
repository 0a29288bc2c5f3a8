//! `moto`: moto's S3 server (`moto[server]` 5.2.6), read in `getmoto/moto`
//! `moto/core/authorization.py` (`_authenticate_and_authorize_action`) and
//! `moto/iam/access_control.py` (`IAMRequestBase`, `S3IAMRequest`), and judged in the
//! conformance corpus `tests/conformance/moto-5.2.6`. moto does not verify a signature of its
//! own: it rebuilds a botocore `AWSRequest` from the raw path, the raw query, the headers named
//! in SignedHeaders and the body, and signs it again with botocore's `S3SigV4Auth`, so its rules
//! are botocore's applied to the request as received.

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "moto",
    summary: "moto S3 server (botocore's S3SigV4Auth over the raw request)",
    sigv4: SigV4Rules {
        // `path = self.raw_path` (+ "?" + the raw query): the path as sent (S3SigV4Auth keeps it).
        s3_path: PathRule { normalize: PathNormalize::None, encode: PathEncode::AsSent, plus: PathPlus::Plus },
        // botocore's `_canonical_query_string_url` over the raw query: pairs split on `&` and
        // `=`, sorted, not re-encoded (cases query-*-signed-as-sent accepted, -signed-encoded
        // refused; query-space-as-plus-signed-pct20 refused).
        query: QueryRule {
            style: QueryStyle::RawPairs,
            plus: QueryPlus::AsSent,
            duplicates: DuplicateOrder::SortByValue,
        },
        session_token: SessionToken::Signed,
        // `_create_headers_for_aws_request` keeps only the signed headers: an unsigned x-amz-*
        // header is never looked at (case header-unsigned-amz accepted).
        required_signed: RequiredSigned { host: true, amz_headers: false, amz_headers_s3_only: false },
        // Nothing in moto/s3 refuses a trailer upload or an x-amz-checksum-* value that does not
        // match (cases payload-unsigned-trailer and checksum-crc32-header-wrong: 200).
        checksums: ChecksumRules { read: None, full_object_crc_only: false },
        ..super::botocore::DIALECT.sigv4
    },
    // SigV2 headers and presigned URLs of either version make moto 5.2.6 answer 500
    // (`_get_string_between("Credential=", …)` finds no scope: cases v2-*, presigned-v4*).
    sigv2: None,
    query: None,
    sources: &[
        "getmoto/moto 5.2.6 moto/core/authorization.py (_authenticate_and_authorize_action: raw_path + query)",
        "getmoto/moto 5.2.6 moto/iam/access_control.py (IAMRequestBase._create_aws_request, S3IAMRequest._create_auth: S3SigV4Auth)",
        "judged in tests/conformance/moto-5.2.6 (answers.tsv)",
    ],
};
