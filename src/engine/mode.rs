//! Auth modes, and their families: the code that treats every SigV4 mode alike matches on
//! [`Family`], so a new mode is classified once, here, and the compiler then finds every
//! `match` on a family that has to learn about a new family.

use serde::Serialize;

/// How a request is authenticated: the scheme and where its credentials travel. Its
/// kebab-case name ([`Mode::as_str`]) is `auth.mode` in the JSON contract.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Sigv4Header,
    Sigv4Query,
    Sigv4Streaming,
    Goog4Header,
    Goog4Query,
    Sigv4aHeader,
    Sigv4aQuery,
    Sigv4aStreaming,
    /// S3 Express One Zone: SigV4 (service `s3express`) signed with a CreateSession session's
    /// secret, its token in `x-amz-s3session-token`.
    S3Express,
    /// The same, presigned (`X-Amz-S3session-Token` in the URL).
    S3ExpressQuery,
    Sigv2Header,
    Sigv2Query,
    QueryV0,
    QueryV1,
    QueryV2,
    Anonymous,
    Basic,
    Bearer,
    XAuthToken,
    /// A browser upload: a `multipart/form-data` POST whose form carries a policy and its
    /// signature (SigV4 or SigV2).
    PostPolicy,
    /// Credentials of no scheme sigscope knows (and the default before detection).
    #[default]
    Unknown,
}

/// The scheme a mode belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// AWS Signature Version 4 and the schemes built like it.
    SigV4,
    /// S3 Signature Version 2 (`AWS AK:sig`).
    SigV2,
    /// EC2/Query signatures, versions 0 to 2.
    Query,
    /// Credentials that are decoded, never verified (Basic, Bearer, X-Auth-Token).
    Token,
    /// A POST policy form (issue 15): the base64 policy is the string to sign, and its
    /// conditions are checked against the form.
    PostPolicy,
    /// No credentials.
    Anonymous,
    /// Credentials of a scheme sigscope does not know.
    Unknown,
}

impl Family {
    /// A signature scheme: a secret would let it be verified.
    pub fn is_signature(self) -> bool {
        match self {
            Family::SigV4 | Family::SigV2 | Family::Query | Family::PostPolicy => true,
            Family::Token | Family::Anonymous | Family::Unknown => false,
        }
    }
}

impl Mode {
    /// Every mode, in the order the JSON contract documents them.
    pub const ALL: &'static [Mode] = &[
        Mode::Sigv4Header,
        Mode::Sigv4Query,
        Mode::Sigv4Streaming,
        Mode::Goog4Header,
        Mode::Goog4Query,
        Mode::Sigv4aHeader,
        Mode::Sigv4aQuery,
        Mode::Sigv4aStreaming,
        Mode::S3Express,
        Mode::S3ExpressQuery,
        Mode::Sigv2Header,
        Mode::Sigv2Query,
        Mode::QueryV0,
        Mode::QueryV1,
        Mode::QueryV2,
        Mode::Anonymous,
        Mode::Basic,
        Mode::Bearer,
        Mode::XAuthToken,
        Mode::PostPolicy,
        Mode::Unknown,
    ];

    pub fn family(self) -> Family {
        match self {
            Mode::Sigv4Header
            | Mode::Sigv4Query
            | Mode::Sigv4Streaming
            | Mode::Goog4Header
            | Mode::Goog4Query
            | Mode::Sigv4aHeader
            | Mode::Sigv4aQuery
            | Mode::Sigv4aStreaming
            | Mode::S3Express
            | Mode::S3ExpressQuery => Family::SigV4,
            Mode::Sigv2Header | Mode::Sigv2Query => Family::SigV2,
            Mode::QueryV0 | Mode::QueryV1 | Mode::QueryV2 => Family::Query,
            Mode::Basic | Mode::Bearer | Mode::XAuthToken => Family::Token,
            Mode::Anonymous => Family::Anonymous,
            Mode::PostPolicy => Family::PostPolicy,
            Mode::Unknown => Family::Unknown,
        }
    }

    /// Signed in the URL (a presigned URL) rather than in a header.
    pub fn is_presigned(self) -> bool {
        match self {
            Mode::Sigv4Query
            | Mode::Goog4Query
            | Mode::Sigv4aQuery
            | Mode::S3ExpressQuery
            | Mode::Sigv2Query => true,
            Mode::Sigv4Header
            | Mode::Sigv4aHeader
            | Mode::Sigv4Streaming
            | Mode::Sigv4aStreaming
            | Mode::Goog4Header
            | Mode::S3Express
            | Mode::Sigv2Header
            | Mode::QueryV0
            | Mode::QueryV1
            | Mode::QueryV2
            | Mode::Anonymous
            | Mode::Basic
            | Mode::Bearer
            | Mode::XAuthToken
            | Mode::PostPolicy
            | Mode::Unknown => false,
        }
    }

    /// A signature scheme (a secret would let it be verified), as opposed to an unsigned
    /// request or a credential that is only decoded.
    pub fn is_signature(self) -> bool {
        self.family().is_signature()
    }

    /// SigV4A (ECDSA): verified with a public key, never recomputed.
    pub fn is_sigv4a(self) -> bool {
        matches!(
            self,
            Mode::Sigv4aHeader | Mode::Sigv4aQuery | Mode::Sigv4aStreaming
        )
    }

    /// An aws-chunked upload whose chunks the scheme signs (SigV4's or SigV4A's).
    pub fn is_streaming(self) -> bool {
        matches!(self, Mode::Sigv4Streaming | Mode::Sigv4aStreaming)
    }

    /// S3 Express One Zone session auth (header or presigned).
    pub fn is_s3express(self) -> bool {
        matches!(self, Mode::S3Express | Mode::S3ExpressQuery)
    }

    pub fn is_sigv4(self) -> bool {
        self.family() == Family::SigV4
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sigv4Header => "sigv4-header",
            Mode::Sigv4Query => "sigv4-query",
            Mode::Sigv4Streaming => "sigv4-streaming",
            Mode::Goog4Header => "goog4-header",
            Mode::Goog4Query => "goog4-query",
            Mode::Sigv4aHeader => "sigv4a-header",
            Mode::Sigv4aQuery => "sigv4a-query",
            Mode::Sigv4aStreaming => "sigv4a-streaming",
            Mode::S3Express => "s3express",
            Mode::S3ExpressQuery => "s3express-query",
            Mode::Sigv2Header => "sigv2-header",
            Mode::Sigv2Query => "sigv2-query",
            Mode::QueryV0 => "query-v0",
            Mode::QueryV1 => "query-v1",
            Mode::QueryV2 => "query-v2",
            Mode::Anonymous => "anonymous",
            Mode::Basic => "basic",
            Mode::Bearer => "bearer",
            Mode::XAuthToken => "x-auth-token",
            Mode::PostPolicy => "post-policy",
            Mode::Unknown => "unknown",
        }
    }

    /// A few characters for the exchange list's auth column.
    pub fn short_name(self) -> &'static str {
        match self {
            Mode::Sigv4Header => "v4",
            Mode::Sigv4Query => "v4-query",
            Mode::Sigv4Streaming => "v4-stream",
            Mode::Goog4Header => "goog4",
            Mode::Goog4Query => "goog4-query",
            Mode::Sigv4aHeader => "v4a",
            Mode::Sigv4aQuery => "v4a-query",
            Mode::Sigv4aStreaming => "v4a-stream",
            Mode::S3Express => "s3x",
            Mode::S3ExpressQuery => "s3x-query",
            Mode::Sigv2Header => "v2",
            Mode::Sigv2Query => "v2-query",
            Mode::QueryV0 => "query-v0",
            Mode::QueryV1 => "query-v1",
            Mode::QueryV2 => "query-v2",
            Mode::Anonymous => "anon",
            Mode::Basic => "basic",
            Mode::Bearer => "bearer",
            Mode::XAuthToken => "x-auth",
            Mode::PostPolicy => "post",
            Mode::Unknown => "?",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Does not compile when a mode is added without being placed here, as a reminder that
    /// [`Mode::ALL`] needs it too; the test then checks the positions.
    fn position(m: Mode) -> usize {
        match m {
            Mode::Sigv4Header => 0,
            Mode::Sigv4Query => 1,
            Mode::Sigv4Streaming => 2,
            Mode::Goog4Header => 3,
            Mode::Goog4Query => 4,
            Mode::Sigv4aHeader => 5,
            Mode::Sigv4aQuery => 6,
            Mode::Sigv4aStreaming => 7,
            Mode::S3Express => 8,
            Mode::S3ExpressQuery => 9,
            Mode::Sigv2Header => 10,
            Mode::Sigv2Query => 11,
            Mode::QueryV0 => 12,
            Mode::QueryV1 => 13,
            Mode::QueryV2 => 14,
            Mode::Anonymous => 15,
            Mode::Basic => 16,
            Mode::Bearer => 17,
            Mode::XAuthToken => 18,
            Mode::PostPolicy => 19,
            Mode::Unknown => 20,
        }
    }

    #[test]
    fn all_lists_every_mode() {
        for (i, m) in Mode::ALL.iter().enumerate() {
            assert_eq!(position(*m), i, "{}", m.as_str());
        }
        assert_eq!(Mode::ALL.len(), 21);
    }

    #[test]
    fn every_mode_is_listed_once_with_a_unique_name() {
        let mut names: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Mode::ALL.len());
        for m in Mode::ALL {
            assert_eq!(
                m.family().is_signature(),
                m.is_signature(),
                "{}",
                m.as_str()
            );
            assert_eq!(m.is_sigv4(), m.family() == Family::SigV4, "{}", m.as_str());
        }
    }
}
