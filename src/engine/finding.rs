//! Findings: what sigscope says about a request, each with a typed code.
//!
//! Every code is declared once, in [`codes!`] below, with its wire name (kebab-case, part of
//! the JSON contract), its kind and a title in plain words. Code that reads findings matches
//! on [`Code`], never on message text; data other code needs (the rule that separates two
//! dialects) travels in [`Finding::rules`].

use serde::Serialize;

/// How strong a finding's claim is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Observed or computed: true of the request whatever the cause of a failure.
    Fact,
    /// A cause sigscope infers from the evidence (a dialect, an alteration, the secret).
    Diagnosis,
    /// Something to check: a trait of the request that implementations treat differently.
    Hint,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fact => "fact",
            Kind::Diagnosis => "diagnosis",
            Kind::Hint => "hint",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $wire:literal, $kind:ident, $title:literal;)*) => {
        /// A finding's code; [`Code::as_str`] is its name on the wire.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name used in reports, filters and the JSON contract.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)*
                }
            }

            pub const fn kind(self) -> Kind {
                match self {
                    $(Code::$variant => Kind::$kind,)*
                }
            }

            /// What the code means, in a few plain words (the UI's help lists these).
            pub const fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }
        }
    };
}

codes! {
    MalformedAuth = "malformed-auth", Fact, "the credentials could not be parsed";
    NoSecret = "no-secret", Fact, "no secret is known for the access key";
    DecodedOnly = "decoded-only", Fact, "the credentials are decoded, not verified";
    ModeUnsupported = "mode-unsupported", Fact, "the verifier has no verifier for this scheme";
    VerifierRejects = "verifier-rejects", Fact, "the verifier refuses it whatever its signature";
    ContentMd5Mismatch = "content-md5-mismatch", Fact, "the body does not match its Content-MD5";
    PayloadHashMismatch = "payload-hash-mismatch", Fact, "the body does not match its signed payload hash";
    AwsChunkedMalformed = "aws-chunked-malformed", Fact, "the aws-chunked body is not framed correctly";
    ChunkSignatureMismatch = "chunk-signature-mismatch", Fact, "a chunk's signature does not match";
    DecodedLengthMismatch = "decoded-length-mismatch", Fact, "the chunks do not add up to the decoded length";
    TrailerUndeclared = "trailer-undeclared", Fact, "the trailer and x-amz-trailer disagree";
    TrailerSignatureMismatch = "trailer-signature-mismatch", Fact, "the trailer's signature does not match";
    ChecksumMismatch = "checksum-mismatch", Fact, "the body does not match its x-amz-checksum";
    ChecksumAbsent = "checksum-absent", Fact, "the checksum algorithm named has no checksum";
    PresignedChecksum = "presigned-checksum", Fact, "the presigned URL fixes the body's checksum";
    ResponseChecksumMismatch = "response-checksum-mismatch", Fact, "the response body does not match its checksum";
    MultipartChecksumMismatch = "multipart-checksum-mismatch", Fact, "multipart checksums disagree with the parts";
    BodyNotKept = "body-not-kept", Fact, "the body was larger than the body cap";
    SessionTokenAppended = "session-token-appended", Fact, "the session token was added after signing";
    SignaturePlusUnescaped = "signature-plus-unescaped", Fact, "the signature holds an unescaped plus";
    CaptureIncomplete = "capture-incomplete", Fact, "the capture misses part of the exchange";
    NoResponse = "no-response", Fact, "the capture holds no response";
    H2Host = "h2-host", Fact, "the signed host is not the server's HTTP/2 host";
    UpstreamDisagrees = "upstream-disagrees", Fact, "the upstream's answer disagrees with the verdict";
    ClockSkew = "clock-skew", Fact, "the request's date is far from the capture's clock";
    PresignedExpired = "presigned-expired", Fact, "the presigned URL had expired";
    PresignedExpiresInvalid = "presigned-expires-invalid", Fact, "the presigned URL's expiry is out of range";
    ScopeDateMismatch = "scope-date-mismatch", Fact, "the scope's date is not the request's date";
    ScopeTerminator = "scope-terminator", Fact, "the scope does not end in aws4_request";
    RegionMismatch = "region-mismatch", Fact, "the scope's region is not the endpoint's";
    RegionSetExcludesEndpoint = "region-set-excludes-endpoint", Fact, "the SigV4A region set leaves out the endpoint's region";
    AlgorithmMismatch = "algorithm-mismatch", Fact, "the server wants SigV4A, not SigV4 (or the reverse)";
    ServiceMismatch = "service-mismatch", Fact, "the scope's service is not the endpoint's";
    SignedHeaderAbsent = "signed-header-absent", Fact, "a signed header is missing from the request";
    AccessKeyUnknown = "access-key-unknown", Fact, "the server does not know the access key";
    SessionTokenExpired = "session-token-expired", Fact, "the server says the session token expired";
    PolicyExpired = "policy-expired", Fact, "the POST policy had expired";
    PolicyConditionFailed = "policy-condition-failed", Fact, "a form field fails its POST policy condition";
    PolicyLengthRange = "policy-length-range", Fact, "the file is outside content-length-range";
    PolicyFieldUncovered = "policy-field-uncovered", Fact, "a form field is named by no policy condition";
    PolicyMalformed = "policy-malformed", Fact, "the POST policy could not be read";
    FormMalformed = "form-malformed", Fact, "the multipart/form-data body could not be read";
    S3ExpressCreateSession = "s3express-create-session", Fact, "a CreateSession handed out S3 Express session keys";
    S3ExpressSessionLearned = "s3express-session-learned", Fact, "verified with a session key learned from the capture";
    S3ExpressSessionExpired = "s3express-session-expired", Diagnosis, "the S3 Express session had expired";
    S3ExpressSecurityToken = "s3express-security-token", Diagnosis, "S3 Express token sent as X-Amz-Security-Token";
    S3ExpressIamCredentials = "s3express-iam-credentials", Diagnosis, "a session request signed with other credentials";
    GcsAcceptEncodingGfe = "gcs-accept-encoding-gfe", Diagnosis, "GCS's front end changed a signed Accept-Encoding";
    DialectMismatch = "dialect-mismatch", Diagnosis, "client and verifier sign by different rules";
    ServerLikelyDialect = "server-likely-dialect", Diagnosis, "the server refused a request other rules accept";
    ServerDialect = "server-dialect", Diagnosis, "the server's own strings match a known dialect";
    RequestAltered = "request-altered", Diagnosis, "the request was changed after it was signed";
    SignatureUnexplained = "signature-unexplained", Diagnosis, "no alteration explains it: likely another secret";
    StringsAgreeKeyDiffers = "strings-agree-key-differs", Diagnosis, "the server's strings match, the key does not";
    ServerStringsDiffer = "server-strings-differ", Diagnosis, "the server's strings differ from the client's";
    PayloadModeUnsupported = "payload-mode-unsupported", Diagnosis, "the server does not read this payload mode";
    AwsChunkedStored = "aws-chunked-stored", Diagnosis, "the object stored its aws-chunked framing";
    Sigv2SubresourceDisputed = "sigv2-subresource-disputed", Hint, "SigV2 sub-resource lists disagree here";
    SessionTokenUnsigned = "session-token-unsigned", Hint, "the session token is sent but not signed";
    ProxySensitiveHeaderSigned = "proxy-sensitive-header-signed", Hint, "a header proxies often rewrite is signed";
    ProxySensitiveHeaderUnsigned = "proxy-sensitive-header-unsigned", Hint, "Content-Type is sent but not signed";
    DuplicateHeader = "duplicate-header", Hint, "a signed header appears more than once";
    HeaderWhitespace = "header-whitespace", Hint, "a signed header has runs of whitespace";
    QueryPlus = "query-plus", Hint, "the query holds a literal plus";
    QueryLowercaseHex = "query-lowercase-hex", Hint, "the query has lower-case percent escapes";
    QueryUnescapedReserved = "query-unescaped-reserved", Hint, "the query holds reserved characters unescaped";
    PathNotNormalised = "path-not-normalised", Hint, "the path has empty, dot or dot-dot segments";
}

impl Code {
    /// Whether a finding of this code explains a failure on its own, so that the diagnosis
    /// does not add hints (causes to check) beside it.
    pub fn explains_failure(self) -> bool {
        matches!(
            self,
            Code::DialectMismatch
                | Code::ServerLikelyDialect
                | Code::RequestAltered
                | Code::StringsAgreeKeyDiffers
                | Code::ServerStringsDiffer
                | Code::ClockSkew
                | Code::PresignedExpired
                | Code::PolicyExpired
                | Code::PolicyConditionFailed
                | Code::PolicyLengthRange
                | Code::PolicyFieldUncovered
                // A server that form-decodes the query compares another signature.
                | Code::SignaturePlusUnescaped
                | Code::PayloadModeUnsupported
                | Code::AlgorithmMismatch
                | Code::H2Host
                | Code::S3ExpressSessionExpired
                | Code::S3ExpressSecurityToken
                | Code::S3ExpressIamCredentials
                | Code::GcsAcceptEncodingGfe
        )
    }

    pub fn from_wire(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// For one dialect, the rule of its that parts from what the client signed (`None` when
/// sigscope can name no single rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialectRule {
    pub dialect: &'static str,
    pub rule: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub message: String,
    /// The dialects a `dialect-mismatch` or `server-likely-dialect` finding names, each with
    /// the rule that separates it from the client; read by the UI's Diff tab.
    #[serde(skip)]
    pub rules: Vec<DialectRule>,
}

impl Finding {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Finding {
            code,
            message: message.into(),
            rules: Vec::new(),
        }
    }

    pub fn with_rules(mut self, rules: Vec<DialectRule>) -> Self {
        self.rules = rules;
        self
    }

    pub fn kind(&self) -> Kind {
        self.code.kind()
    }

    /// The rule this finding names for `dialect`, if it names one.
    pub fn rule_for(&self, dialect: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.dialect == dialect)
            .and_then(|r| r.rule.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for &c in Code::ALL {
            let w = c.as_str();
            assert!(seen.insert(w), "{w} declared twice");
            assert!(
                w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{w} is not kebab-case"
            );
            assert_eq!(Code::from_wire(w), Some(c));
            assert!(!c.title().is_empty() && !c.title().ends_with('.'));
            // The help popup gives a code 32 columns and its kind and title 60.
            assert!(w.len() <= 31, "{w}");
            assert!(c.kind().as_str().len() + 2 + c.title().len() <= 60, "{w}");
        }
        assert_eq!(Code::from_wire("no-such-code"), None);
    }

    #[test]
    fn rules_are_found_by_dialect() {
        let f = Finding::new(Code::ServerLikelyDialect, "m").with_rules(vec![
            DialectRule {
                dialect: "keystone-legacy",
                rule: Some("form body".into()),
            },
            DialectRule {
                dialect: "minio",
                rule: None,
            },
        ]);
        assert_eq!(f.rule_for("keystone-legacy"), Some("form body"));
        assert_eq!(f.rule_for("minio"), None);
        assert_eq!(f.rule_for("aws"), None);
    }
}
