//! `boto2`: boto 2.49.0 (`boto/boto` `boto/auth.py`: HmacAuthV4Handler, S3HmacAuthV4Handler,
//! QuerySignatureV0/V1/V2AuthHandler, HmacAuthV1Handler), what heat-cfntools' cfn-push-stats
//! uses. Checked against boto 2.49.0 by the generators in `tests/vectors/real`.

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "boto2",
    summary: "boto 2.x (boto/auth.py), as used by heat-cfntools",
    sigv4: SigV4Rules {
        // HmacAuthV4Handler.canonical_query_string returns "" for every POST (commit 4fb722fe, 2.7.0).
        form_post_query: FormPostQuery::EmptyForPost,
        // canonical_uri: quote(posixpath.normpath(auth_path)) + '/' when the path ended in '/'.
        path: PathRule { normalize: PathNormalize::PosixNormpath, encode: PathEncode::EncodeAgain, plus: PathPlus::Plus },
        // S3HmacAuthV4Handler.canonical_uri: unquote (a `+` stays a plus), then quote(safe='/~');
        // no normalisation.
        s3_path: PathRule { normalize: PathNormalize::None, encode: PathEncode::DecodeReencode, plus: PathPlus::Plus },
        // quote(param, safe='-_.~') over its params dict: a plus in a value is quoted `%2B`.
        query: QueryRule {
            style: QueryStyle::Reencode { tilde_in_names_escaped: false },
            plus: QueryPlus::Plus,
            duplicates: DuplicateOrder::SortByValue,
        },
        // canonical_headers: values containing '"' are only stripped (0b310ba8).
        header_values: HeaderTrim::TrimAllUnlessQuoted,
        session_token: SessionToken::Signed,
        required_signed: RequiredSigned { host: true, amz_headers: false, amz_headers_s3_only: false },
        ..super::aws::SIGV4
    },
    sigv2: Some(SigV2Rules {
        // boto/utils.py qsa_of_interest (with Google Cloud Storage additions).
        subresources: &[
            "acl", "billing", "compose", "cors", "defaultObjectAcl", "delete",
            "encryptionConfig", "lifecycle", "location", "logging", "partNumber", "policy",
            "requestPayment", "response-cache-control", "response-content-disposition",
            "response-content-encoding", "response-content-language", "response-content-type",
            "response-expires", "restore", "storageClass", "tagging", "torrent", "uploadId",
            "uploads", "userProject", "versionId", "versioning", "versions", "website",
            "websiteConfig",
        ],
        sort_subresources: true,
        date_line: V2DateLine::EmptyIfAmzDate,
        subresource_plus_is_space: false,
        bucket_root_slash: false,
        virtual_hosted: true,
    }),
    query: Some(QueryRules {
        versions: &[0, 1, 2],
        // QuerySignatureV2AuthHandler lower-cases the host; server_name keeps a non-default port.
        host_lowercase: true,
        drop_default_port: true,
        force_sha256: false,
        tilde_in_names_escaped: false,
    }),
    sources: &[
        "boto/boto boto/auth.py @70c65b4f67 (2.49.0): HmacAuthV4Handler, S3HmacAuthV4Handler, QuerySignatureV*AuthHandler, HmacAuthV1Handler",
        "boto/boto boto/utils.py canonical_string, qsa_of_interest",
    ],
};
