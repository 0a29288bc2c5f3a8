//! `botocore`: the signer behind boto3 and the AWS CLI, read in `boto/botocore`
//! `botocore/auth.py` (SigV4Auth, S3SigV4Auth, SigV4QueryAuth, HmacV1Auth, SigV2Auth) at
//! 0e6e2404b8 and checked against botocore 1.43.11 by the generators in `tests/vectors/real`.

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "botocore",
    summary: "boto3 / AWS CLI (botocore/auth.py)",
    sigv4: SigV4Rules {
        // S3SigV4Auth._normalize_url_path returns the path untouched.
        s3_path: PathRule { normalize: PathNormalize::None, encode: PathEncode::AsSent, plus: PathPlus::Plus },
        // botocore builds its URLs with percent_encode_sequence (quote(safe='-_.~')), and a
        // request's `params` dict is sent urlencoded (`+` for space) but signed with
        // `_canonical_query_string_params` (`%20`): decoding with `+` as space and re-encoding
        // reproduces both (tests/vectors/real/botocore/sigv4-path-encoding). Only a query
        // written raw into the endpoint URL is signed as sent (`_canonical_query_string_url`).
        query: QueryRule {
            style: QueryStyle::Reencode { tilde_in_names_escaped: false },
            plus: QueryPlus::Space,
            duplicates: DuplicateOrder::SortByValue,
        },
        session_token: SessionToken::Signed,
        required_signed: RequiredSigned { host: true, amz_headers: false, amz_headers_s3_only: false },
        // As the specification, read here too:
        // - form_post_query: Query-protocol POSTs carry params in the body;
        //   `canonical_query_string` then reads the (empty) URL query.
        // - path: `_normalize_url_path`: remove_dot_segments, then quote(path, safe='/~').
        // - header_values: `_header_value`: ' '.join(value.split()).
        // - host: `_host_from_url` drops the scheme's default port; the Host it sends matches.
        // - payload: canonical_request: X-Amz-Content-SHA256 header when present, else payload().
        ..super::aws::SIGV4
    },
    sigv2: Some(SigV2Rules {
        // HmacV1Auth.QSAOfInterest.
        subresources: &[
            "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
            "lifecycle", "location", "logging", "metrics", "notification", "object-lock",
            "partNumber", "policy", "replication", "requestPayment", "response-cache-control",
            "response-content-disposition", "response-content-encoding",
            "response-content-language", "response-content-type", "response-expires", "restore",
            "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
            "versionId", "versioning", "versions", "website",
        ],
        sort_subresources: true,
        // HmacV1Auth.canonical_standard_headers replaces any Date header with its own and signs
        // it on the Date line whatever else is sent: it never looks at x-amz-date
        // (botocore/auth.py @0e6e2404b8; tests/diagnosis scenario q, botocore 1.43.11).
        date_line: V2DateLine::DateWhenPresent,
        subresource_plus_is_space: false,
        // boto/boto3#4433: path-style bucket-level requests sign `/bucket/`.
        bucket_root_slash: true,
        virtual_hosted: true,
    }),
    query: Some(QueryRules {
        // SigV2Auth only; it signs `split.netloc` verbatim (case and port kept).
        versions: &[2],
        host_lowercase: false,
        drop_default_port: false,
        force_sha256: false,
        tilde_in_names_escaped: false,
    }),
    sources: &[
        "boto/botocore botocore/auth.py @0e6e2404b8 (SigV4Auth, S3SigV4Auth, SigV4QueryAuth, HmacV1Auth, SigV2Auth)",
        "boto/botocore botocore/utils.py normalize_url_path / remove_dot_segments",
    ],
};
