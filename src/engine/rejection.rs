//! Why a dialect, as a server, refuses a request whatever its signature.

/// A rule of a dialect that refuses the request before the signature is compared
/// ([`super::DialectResult::rejects`]). Its `Display` is the sentence reports print.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The dialect has no verifier for the request's scheme.
    #[error("{dialect} has no {scheme} verifier")]
    NoVerifier {
        dialect: &'static str,
        scheme: &'static str,
    },
    /// A header named in SignedHeaders is missing and the dialect refuses that.
    #[error("signed header `{0}` is not in the request")]
    SignedHeaderMissing(String),
    #[error("`host` is not among the signed headers")]
    HostNotSigned,
    /// An `x-amz-*` header the dialect requires signed is sent unsigned.
    #[error("header `{0}` is present but not signed")]
    HeaderNotSigned(String),
    /// The dialect reads only X-Amz-Date, and the request has none.
    #[error("no X-Amz-Date (this dialect does not read Date)")]
    NoAmzDate,
    #[error("no X-Amz-Date or Date to sign")]
    NoDate,
    /// The dialect does not read this aws-chunked payload mode (issue 14).
    #[error("x-amz-content-sha256 {0} is a payload mode this server does not read")]
    PayloadModeUnsupported(&'static str),
    /// The algorithm the request names for its checksum is not one the server computes.
    #[error("{0} is not a checksum algorithm this server computes")]
    ChecksumUnsupported(String),
    /// A query parameter name appears twice and the dialect refuses that (Garage).
    #[error("the query parameter `{0}` is repeated, which this server refuses")]
    RepeatedQueryParameter(String),
    /// `x-amz-content-sha256` is required and absent (Garage).
    #[error("x-amz-content-sha256 is missing, which this server requires")]
    PayloadHashMissing,
    /// A full-object checksum asked for with an algorithm that has none.
    #[error("x-amz-checksum-type FULL_OBJECT with {0}: this server makes full-object checksums of CRC32, CRC32C and CRC64NVME only")]
    FullObjectUnsupported(&'static str),
    /// A POST policy's condition the form does not meet, in S3's words (issue 15).
    #[error("{0}")]
    PostPolicy(String),
}

impl serde::Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_the_report_text() {
        let cases = [
            (
                Rejection::NoVerifier {
                    dialect: "minio",
                    scheme: "query-v2",
                },
                "minio has no query-v2 verifier",
            ),
            (
                Rejection::SignedHeaderMissing("x-amz-meta-a".into()),
                "signed header `x-amz-meta-a` is not in the request",
            ),
            (
                Rejection::HostNotSigned,
                "`host` is not among the signed headers",
            ),
            (
                Rejection::HeaderNotSigned("x-amz-acl".into()),
                "header `x-amz-acl` is present but not signed",
            ),
            (
                Rejection::NoAmzDate,
                "no X-Amz-Date (this dialect does not read Date)",
            ),
            (Rejection::NoDate, "no X-Amz-Date or Date to sign"),
            (
                Rejection::ChecksumUnsupported("MD5".into()),
                "MD5 is not a checksum algorithm this server computes",
            ),
            (
                Rejection::FullObjectUnsupported("SHA256"),
                "x-amz-checksum-type FULL_OBJECT with SHA256: this server makes full-object checksums of CRC32, CRC32C and CRC64NVME only",
            ),
            (
                Rejection::PayloadModeUnsupported("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                "x-amz-content-sha256 STREAMING-UNSIGNED-PAYLOAD-TRAILER is a payload mode this server does not read",
            ),
        ];
        for (r, text) in cases {
            assert_eq!(r.to_string(), text);
            assert_eq!(serde_json::to_value(&r).unwrap(), text);
        }
    }
}
