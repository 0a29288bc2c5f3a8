//! `aws`: the published specification, with S3's rules when the scope's service is `s3`.
//!
//! Sources: AWS General Reference "Create a canonical request for Signature Version 4"; S3 API
//! Reference "Authenticating Requests (AWS Signature Version 4)" and "Signing and
//! Authenticating REST Requests" (SigV2); EC2 "Query API request signing" (v2). The AWS SigV4
//! test suite (`tests/vectors/aws-sigv4-testsuite`) pins every rule below that it covers.

use super::*;

/// The specification's SigV4 rules: the base other dialects spread (`..aws::SIGV4`) and
/// differ from.
pub const SIGV4: SigV4Rules = SigV4Rules {
    // Suite cases post-x-www-form-urlencoded(-parameters): creq line 3 is empty.
    form_post_query: FormPostQuery::UrlQuery,
    // Suite normalize-path/*: dot segments removed, `//` collapsed, encoded twice.
    path: PathRule {
        normalize: PathNormalize::RemoveDotSegments,
        encode: PathEncode::EncodeAgain,
        plus: PathPlus::Plus,
    },
    // Suite note normalize-path.txt and the `*-unnormalized` cases: S3 keys used as they are,
    // encoded once (`/example space/` signs as `/example%20space/`).
    s3_path: PathRule {
        normalize: PathNormalize::None,
        encode: PathEncode::DecodeReencode,
        // S3 reads a raw `+` in a key as a space: boto commit 98651e86 (boto/boto#2849), S3's
        // echoed canonical requests in curl/curl#13754 and nginx/nginx-s3-gateway#77, envoy
        // issue #42165 (PR #42218). MinIO and RGW decode it as a plus.
        plus: PathPlus::Space,
    },
    // Suite get-vanilla-query-order-{key,value,encoded}, get-vanilla-query-unreserved.
    query: QueryRule {
        style: QueryStyle::Reencode { tilde_in_names_escaped: false },
        // AWS reads a raw `+` as a space: the aws-sigv4 crate parses the query with
        // form_urlencoded::parse (http_request/canonical_request.rs, params()); curl PR #20550
        // and envoy PR #40619 match it.
        plus: QueryPlus::Space,
        duplicates: DuplicateOrder::SortByValue,
    },
    // Suite get-header-value-trim, get-header-value-multiline.
    header_values: HeaderTrim::TrimAll,
    // Suite get-header-key-duplicate: `value2,value2,value1`.
    duplicate_headers: DuplicateHeaders::JoinComma,
    missing_signed_header: MissingHeader::EmptyValue,
    host: HostRule::AsSent,
    payload: PayloadRule {
        from_header: true,
        when_absent: MissingPayload::BodyHash,
        presigned_s3_unsigned: true,
    },
    date: DateSource::AmzDateThenDate,
    presigned_keeps_signature: false,
    // Suite post-sts-token/readme.txt: some services sign the token, others want it added after.
    session_token: SessionToken::SignedOrAppended,
    // S3: "x-amz-* headers that you plan to add to the request are also required" to be signed.
    required_signed: RequiredSigned {
        host: true,
        amz_headers: true,
        amz_headers_s3_only: true,
    },
    // S3 API Reference, "Authenticating Requests: Using the Authorization Header": the
    // x-amz-content-sha256 values, both trailer modes among them.
    streaming: StreamingModes {
        signed_trailer: true,
        unsigned_trailer: true,
        // aws-c-auth source/aws_signing.c, g_aws_signed_body_value_streaming_aws4_ecdsa_p256_*.
        sigv4a: true,
    },
    // S3 "Checking object integrity": CRC32, CRC32C, CRC64NVME, SHA1, SHA256; FULL_OBJECT for
    // the CRCs only (API Reference CreateMultipartUpload, x-amz-checksum-type).
    checksums: ChecksumRules {
        read: Some(&crate::engine::payload::checksum::Algorithm::ALL),
        full_object_crc_only: true,
    },
    // IAM User Guide, "Elements of an AWS API request signature": sign "the host header
    // (HTTP/1.1) or the :authority header (HTTP/2)"; RFC 9113 §8.3.1: a server must not take
    // the target from Host when `:authority` is present.
    h2_host: H2Host::Authority,
    // AWS's endpoints verify the Accept-Encoding they are sent.
    gfe_accept_encoding: false,
};

pub static DIALECT: Dialect = Dialect {
    name: "aws",
    summary: "AWS published specification (S3 rules when the service is s3)",
    sigv4: SIGV4,
    sigv2: Some(SigV2Rules {
        subresources: &[
            "acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
            "partNumber", "policy", "requestPayment", "response-cache-control",
            "response-content-disposition", "response-content-encoding",
            "response-content-language", "response-content-type", "response-expires",
            "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions",
            "website",
        ],
        sort_subresources: true,
        date_line: V2DateLine::EmptyIfAmzDate,
        subresource_plus_is_space: false,
        bucket_root_slash: false,
        virtual_hosted: true,
    }),
    query: Some(QueryRules {
        versions: &[0, 1, 2],
        host_lowercase: true,
        drop_default_port: true,
        force_sha256: false,
        tilde_in_names_escaped: false,
    }),
    sources: &[
        "AWS General Reference: Create a canonical request for Signature Version 4",
        "Amazon S3 API Reference: Authenticating Requests (AWS Signature Version 4); Signing and Authenticating REST Requests (SigV2)",
        "AWS SigV4 test suite (aws-c-auth tests/aws-signing-test-suite, botocore tests/unit/auth/aws4_testsuite)",
    ],
};
