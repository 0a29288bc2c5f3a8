//! `minio`: MinIO server, read in `minio/minio` cmd/signature-v4.go, signature-v4-utils.go,
//! signature-v2.go and streaming-signature-v4.go @7aac2a2c5b.

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "minio",
    summary: "MinIO server (cmd/signature-v4.go, signature-v2.go)",
    sigv4: SigV4Rules {
        // s3utils.EncodePath(req.URL.Path): decoded by Go's URL parser, re-encoded; no normalisation.
        path: PathRule {
            normalize: PathNormalize::None,
            encode: PathEncode::DecodeReencode,
            plus: PathPlus::Plus,
        },
        // The same for S3 paths: Go's path unescaping keeps a `+` a plus.
        s3_path: PathRule {
            normalize: PathNormalize::None,
            encode: PathEncode::DecodeReencode,
            plus: PathPlus::Plus,
        },
        // req.Form.Encode() with '+' replaced by %20: keys sorted, values in arrival order.
        query: QueryRule {
            style: QueryStyle::Reencode { tilde_in_names_escaped: false },
            plus: QueryPlus::Space,
            duplicates: DuplicateOrder::ArrivalOrder,
        },
        // extractSignedHeaders: ErrUnsignedHeaders (except expect/content-length, rebuilt).
        missing_signed_header: MissingHeader::Reject,
        // getContentSha256Cksum: the empty-body hash when the header is missing (header auth).
        payload: PayloadRule {
            from_header: true,
            when_absent: MissingPayload::EmptyHash,
            presigned_s3_unsigned: true,
        },
        session_token: SessionToken::Signed,
        required_signed: RequiredSigned {
            host: true,
            amz_headers: false,
            amz_headers_s3_only: false,
        },
        // cmd/signature-v4-utils.go extractSignedHeaders reads each signed header from
        // r.Header first and takes `host` from r.Host only when absent there; Go's HTTP/2
        // server (golang.org/x/net/http2 server.go newWriterAndRequest) puts an HTTP/2
        // request's regular `host` field in r.Header and `:authority` in r.Host.
        h2_host: H2Host::HostHeaderElseAuthority,
        // As the specification, read here too:
        // - streaming: cmd/streaming-signature-v4.go reads STREAMING-AWS4-HMAC-SHA256-PAYLOAD
        //   and -TRAILER (streamingContentSHA256Trailer), cmd/streaming-v4-unsigned.go
        //   STREAMING-UNSIGNED-PAYLOAD-TRAILER (newUnsignedV4ChunkedReader); no SigV4A
        //   (cmd/signature-v4.go: signV4Algorithm = "AWS4-HMAC-SHA256" only), so no ECDSA
        //   chunk signatures.
        // - checksums: internal/hash/checksum.go BaseChecksumTypes (SHA256, SHA1, CRC32,
        //   CRC64NVME, CRC32C) and NewChecksumType (FULL_OBJECT with SHA1/SHA256, or an
        //   unknown algorithm, is ChecksumInvalid: refused).
        // - form_post_query: STS verifies before parseForm merges the body (sts-handlers.go).
        // - header_values: strings.Fields joined by one space.
        streaming: StreamingModes { signed_trailer: true, unsigned_trailer: true, sigv4a: false },
        ..super::aws::SIGV4
    },
    sigv2: Some(SigV2Rules {
        // cmd/signature-v2.go resourceList.
        subresources: &[
            "acl",
            "cors",
            "delete",
            "encryption",
            "legal-hold",
            "lifecycle",
            "location",
            "logging",
            "notification",
            "partNumber",
            "policy",
            "requestPayment",
            "response-cache-control",
            "response-content-disposition",
            "response-content-encoding",
            "response-content-language",
            "response-content-type",
            "response-expires",
            "retention",
            "select",
            "select-type",
            "tagging",
            "torrent",
            "uploadId",
            "uploads",
            "versionId",
            "versioning",
            "versions",
            "website",
        ],
        sort_subresources: true,
        // The Date header is signed whenever present, even beside x-amz-date.
        date_line: V2DateLine::DateWhenPresent,
        // url.QueryUnescape: '+' becomes a space.
        subresource_plus_is_space: true,
        bucket_root_slash: false,
        // Without MINIO_DOMAIN every request is path-style.
        virtual_hosted: false,
    }),
    query: None,
    sources: &[
        "minio/minio cmd/signature-v4.go, cmd/signature-v4-utils.go @7aac2a2c5b",
        "minio/minio cmd/signature-v2.go, cmd/streaming-signature-v4.go @7aac2a2c5b",
        "minio/minio internal/hash/checksum.go, cmd/signature-v4.go @7aac2a2c5b",
    ],
};
