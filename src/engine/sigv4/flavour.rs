//! Flavours of SigV4: schemes that sign exactly as AWS Signature Version 4 does but give its
//! parts other names (Google Cloud Storage's HMAC keys sign `GOOG4-HMAC-SHA256` with
//! `goog4_request`, `x-goog-date` and `X-Goog-*` parameters). A flavour is data: detection,
//! canonicalisation and key derivation read the names from it, so adding one is a constant
//! here, its line in [`FLAVOURS`] and the auth modes it is reported as.
//!
//! The names of the AWS flavour are those of the AWS General Reference ("Create a signed AWS
//! API request") and S3's "Authenticating Requests (AWS Signature Version 4)".

use super::super::auth::Mode;
use super::super::crypto::Signing;

/// The query parameters of a presigned URL.
#[derive(Debug, PartialEq, Eq)]
pub struct QueryNames {
    pub algorithm: &'static str,
    pub credential: &'static str,
    pub date: &'static str,
    pub expires: &'static str,
    pub signed_headers: &'static str,
    pub signature: &'static str,
    pub token: &'static str,
    /// SigV4A's region set (`X-Amz-Region-Set`); `None` where the region is in the scope.
    pub region_set: Option<&'static str>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Flavour {
    /// The `Authorization` scheme and the first line of the string to sign.
    pub algorithm: &'static str,
    /// HMAC over the key chain, or SigV4A's ECDSA.
    pub signing: Signing,
    /// Prefixed to the secret to key the first HMAC of the signing-key chain.
    pub key_prefix: &'static str,
    /// The last element of the credential scope.
    pub terminator: &'static str,
    /// Headers of this prefix are the scheme's own (`x-amz-`); S3 requires them signed.
    pub header_prefix: &'static str,
    pub date_header: &'static str,
    pub content_sha256_header: &'static str,
    pub token_header: &'static str,
    /// SigV4A: the header carrying the region set, whose scope is then `date/service/terminator`
    /// (no region). `None`: the scope is `date/region/service/terminator`.
    pub region_set_header: Option<&'static str>,
    pub query: QueryNames,
    /// The payload-hash value that announces an aws-chunked body with chunk signatures.
    pub streaming_payload: Option<&'static str>,
    /// How a request signed in each place is reported.
    pub header_mode: Mode,
    pub query_mode: Mode,
    pub streaming_mode: Option<Mode>,
}

pub const AWS4: Flavour = Flavour {
    algorithm: "AWS4-HMAC-SHA256",
    signing: Signing::HmacSha256,
    key_prefix: "AWS4",
    terminator: "aws4_request",
    header_prefix: "x-amz-",
    date_header: "x-amz-date",
    content_sha256_header: "x-amz-content-sha256",
    token_header: "x-amz-security-token",
    region_set_header: None,
    query: QueryNames {
        algorithm: "X-Amz-Algorithm",
        credential: "X-Amz-Credential",
        date: "X-Amz-Date",
        expires: "X-Amz-Expires",
        signed_headers: "X-Amz-SignedHeaders",
        signature: "X-Amz-Signature",
        token: "X-Amz-Security-Token",
        region_set: None,
    },
    streaming_payload: Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    header_mode: Mode::Sigv4Header,
    query_mode: Mode::Sigv4Query,
    streaming_mode: Some(Mode::Sigv4Streaming),
};

/// Google Cloud Storage HMAC keys (cloud.google.com/storage/docs/authentication/signatures).
pub const GOOG4: Flavour = Flavour {
    algorithm: "GOOG4-HMAC-SHA256",
    signing: Signing::HmacSha256,
    key_prefix: "GOOG4",
    terminator: "goog4_request",
    header_prefix: "x-goog-",
    date_header: "x-goog-date",
    content_sha256_header: "x-goog-content-sha256",
    token_header: "x-goog-security-token",
    region_set_header: None,
    query: QueryNames {
        algorithm: "X-Goog-Algorithm",
        credential: "X-Goog-Credential",
        date: "X-Goog-Date",
        expires: "X-Goog-Expires",
        signed_headers: "X-Goog-SignedHeaders",
        signature: "X-Goog-Signature",
        token: "X-Goog-Security-Token",
        region_set: None,
    },
    streaming_payload: None,
    header_mode: Mode::Goog4Header,
    query_mode: Mode::Goog4Query,
    streaming_mode: None,
};

/// SigV4A: the canonical request of SigV4, a region-less scope with the region set in
/// `X-Amz-Region-Set`, signed with ECDSA P-256 (`awslabs/aws-c-auth` `source/aws_signing.c`:
/// `g_signature_type_sigv4a_http_request`, `g_aws_signing_region_set_name`; the test suite's
/// `v4a/*/header-string-to-sign.txt`). Streaming SigV4A signs each chunk and the trailer with
/// ECDSA as SigV4 does with HMAC (`AWS4-ECDSA-P256-SHA256-PAYLOAD`/`-TRAILER`, same lines):
/// [`super::chunked`].
pub const AWS4A: Flavour = Flavour {
    algorithm: "AWS4-ECDSA-P256-SHA256",
    signing: Signing::EcdsaP256,
    key_prefix: "AWS4A",
    region_set_header: Some("x-amz-region-set"),
    query: QueryNames {
        region_set: Some("X-Amz-Region-Set"),
        ..AWS4.query
    },
    streaming_payload: Some("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
    header_mode: Mode::Sigv4aHeader,
    query_mode: Mode::Sigv4aQuery,
    streaming_mode: Some(Mode::Sigv4aStreaming),
    // Every other name is SigV4's.
    ..AWS4
};

/// S3 Express One Zone session auth: SigV4 whose session token travels in
/// `x-amz-s3session-token` (`X-Amz-S3session-Token` presigned), signed with the secret a
/// CreateSession returned (botocore `botocore/auth.py`: `S3ExpressAuth`, which also deletes
/// `X-Amz-Security-Token`; `S3ExpressQueryAuth`). Same algorithm as [`AWS4`], so it is not in
/// [`FLAVOURS`] (found by the algorithm): [`refine`] picks it by the token's name.
pub const S3EXPRESS: Flavour = Flavour {
    token_header: "x-amz-s3session-token",
    query: QueryNames {
        token: "X-Amz-S3session-Token",
        ..AWS4.query
    },
    header_mode: Mode::S3Express,
    query_mode: Mode::S3ExpressQuery,
    // An aws-chunked upload keeps its streaming mode (its chunks are what is checked there).
    ..AWS4
};

/// The flavour a request found as `f` is really signed under: AWS4 carrying an S3 Express
/// session token (header, or the presigned parameter in `query`) is [`S3EXPRESS`].
pub fn refine(
    f: &'static Flavour,
    req: &crate::http::Request,
    query: &[(Vec<u8>, Option<Vec<u8>>)],
) -> &'static Flavour {
    use crate::http::Headers;
    if f.header_mode != Mode::Sigv4Header {
        return f;
    }
    let header = req.has_header(S3EXPRESS.token_header);
    let param = query
        .iter()
        .any(|(k, _)| k.as_slice() == S3EXPRESS.query.token.as_bytes());
    if header || param {
        &S3EXPRESS
    } else {
        f
    }
}

/// Every flavour, AWS's first.
pub static FLAVOURS: &[&Flavour] = &[&AWS4, &GOOG4, &AWS4A];

/// The flavour whose `Authorization` scheme is `scheme`.
pub fn by_algorithm(scheme: &str) -> Option<&'static Flavour> {
    FLAVOURS.iter().copied().find(|f| f.algorithm == scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_consistent() {
        for f in FLAVOURS {
            assert_eq!(by_algorithm(f.algorithm), Some(*f));
            for h in [f.date_header, f.content_sha256_header, f.token_header] {
                assert!(h.starts_with(f.header_prefix), "{h}");
                assert_eq!(h, h.to_ascii_lowercase());
            }
            assert!(f.query.algorithm.ends_with("-Algorithm"));
            assert_eq!(f.header_mode.family(), super::super::super::Family::SigV4);
            assert_eq!(f.query_mode.family(), super::super::super::Family::SigV4);
        }
        assert_eq!(S3EXPRESS.algorithm, AWS4.algorithm);
        assert!(S3EXPRESS.token_header.starts_with(S3EXPRESS.header_prefix));
        assert!(S3EXPRESS.header_mode.is_s3express() && S3EXPRESS.query_mode.is_presigned());
    }
}
