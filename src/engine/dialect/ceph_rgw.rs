//! `ceph-rgw`: Ceph RADOS Gateway, read in `ceph/ceph` src/rgw/rgw_auth_s3.cc @00997f57c6
//! (get_v4_canonical_qs, get_v4_canonical_uri, get_v4_canonical_headers, rgw_create_s3_canonical_header).

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "ceph-rgw",
    summary: "Ceph RGW S3 (rgw_auth_s3.cc)",
    sigv4: SigV4Rules {
        // get_v4_canonical_uri: url_decode then re-encode with '/' kept; no dot-segment removal.
        path: PathRule { normalize: PathNormalize::None, encode: PathEncode::DecodeReencode, plus: PathPlus::Plus },
        // The same for S3: url_decode outside a query keeps a `+` a plus.
        s3_path: PathRule { normalize: PathNormalize::None, encode: PathEncode::DecodeReencode, plus: PathPlus::Plus },
        // get_v4_canonical_qs: '+' replaced by %20 before parsing; a multimap keeps arrival order.
        query: QueryRule {
            style: QueryStyle::Reencode { tilde_in_names_escaped: false },
            plus: QueryPlus::Space,
            duplicates: DuplicateOrder::ArrivalOrder,
        },
        // boost::trim_all folds a whitespace run to its first character.
        header_values: HeaderTrim::FoldToFirstChar,
        // Values come from the CGI environment: a repeated header keeps its last value.
        duplicate_headers: DuplicateHeaders::LastWins,
        // "warning env var not available": the header is skipped.
        missing_signed_header: MissingHeader::Skip,
        // A missing x-amz-content-sha256 means UNSIGNED-PAYLOAD, even for header auth.
        payload: PayloadRule { from_header: true, when_absent: MissingPayload::UnsignedPayload, presigned_s3_unsigned: true },
        session_token: SessionToken::Signed,
        // Newer releases: host and every x-amz-* header present must be signed.
        required_signed: RequiredSigned { host: true, amz_headers: true, amz_headers_s3_only: false },
        // Ceph 16.2 (pacific), src/rgw/rgw_auth_s3.h: is_v4_payload_streamed() is
        // `boost::equals(exp_payload_hash, AWS4_STREAMING_PAYLOAD_HASH)`, so any other
        // x-amz-content-sha256 is a payload hash, and a trailer upload is answered
        // XAmzContentSHA256Mismatch (seen with 16.2.15, ../shared/servers/README.md). Later
        // releases test `starts_with("STREAMING-")` and read both trailer modes.
        // Nor does it know SigV4A (rgw_auth_s3.h: AWS4_HMAC_SHA256_STR is its only v4 algorithm).
        streaming: StreamingModes { signed_trailer: false, unsigned_trailer: false, sigv4a: false },
        // 16.2 has no flexible checksums: nothing in src/rgw reads x-amz-checksum-* or
        // x-amz-sdk-checksum-algorithm, so they are stored without being checked, and refused
        // never. (src/rgw/rgw_cksum.h, which reads CRC32, CRC32C, SHA1 and SHA256, came with a
        // later release.)
        checksums: ChecksumRules { read: None, full_object_crc_only: false },
        // h2_host as aws: RGW's frontends (beast, civetweb) speak HTTP/1.1 only, so an HTTP/2
        // request reaches it through a proxy, which writes `:authority` into the Host header
        // RGW reads (RFC 9113 §8.3.1).
        ..super::aws::SIGV4
    },
    sigv2: Some(SigV2Rules {
        // signed_subresources, appended in this (static) order, object-lock last.
        subresources: &[
            "acl", "cors", "delete", "encryption", "lifecycle", "location", "logging",
            "notification", "partNumber", "policy", "policyStatus", "publicAccessBlock",
            "requestPayment", "response-cache-control", "response-content-disposition",
            "response-content-encoding", "response-content-language", "response-content-type",
            "response-expires", "tagging", "torrent", "uploadId", "uploads", "versionId",
            "versioning", "versions", "website", "object-lock",
        ],
        sort_subresources: false,
        date_line: V2DateLine::EmptyIfAmzDate,
        subresource_plus_is_space: false,
        bucket_root_slash: false,
        // Without rgw_dns_name every request is path-style.
        virtual_hosted: false,
    }),
    query: None,
    sources: &[
        "ceph/ceph src/rgw/rgw_auth_s3.cc @00997f57c6 (get_v4_canonical_qs, get_v4_canonical_uri, get_v4_canonical_headers, signed_subresources)",
        "ceph/ceph src/rgw/rgw_rest_s3.cc (authorize_v2/v4)",
        "ceph/ceph v16.2 src/rgw/rgw_auth_s3.h (is_v4_payload_streamed: STREAMING-AWS4-HMAC-SHA256-PAYLOAD only)",
        "ceph/ceph src/rgw/rgw_cksum.h @077b062c77 (flexible checksums, absent from 16.2)",
    ],
};
