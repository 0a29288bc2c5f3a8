//! What the list, the reports and `--check` show beside the verdict (issue #12 §3, §5). The
//! verdict says whether the signature verifies under the verifier dialect, and the oracle
//! tests hold it to exactly that; a request can verify and still fail, and the mark says how:
//! the server refused it for its signature, or its body is not the one its headers describe.

use serde::Serialize;

use super::{Analysis, Code, Finding, Verdict};

/// A body check that failed: what the body received does not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyMismatch {
    /// The signed `x-amz-content-sha256` (or the flavour's payload hash header).
    PayloadHash,
    /// The `Content-MD5` header, signed by SigV2 and checked by S3 whatever the scheme.
    ContentMd5,
    /// An `x-amz-checksum-*` header, trailer or presigned parameter (issue #14).
    Checksum,
    /// `x-amz-decoded-content-length`, against what the aws-chunked chunks carry.
    DecodedLength,
    /// The aws-chunked framing itself.
    Framing,
}

impl BodyMismatch {
    /// The wire name, as in the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyMismatch::PayloadHash => "payload-hash",
            BodyMismatch::ContentMd5 => "content-md5",
            BodyMismatch::Checksum => "checksum",
            BodyMismatch::DecodedLength => "decoded-length",
            BodyMismatch::Framing => "aws-chunked",
        }
    }

    /// What the body does not match, in words.
    pub fn describe(self) -> &'static str {
        match self {
            BodyMismatch::PayloadHash => "its signed payload hash",
            BodyMismatch::ContentMd5 => "its Content-MD5",
            BodyMismatch::Checksum => "its x-amz-checksum",
            BodyMismatch::DecodedLength => "its x-amz-decoded-content-length",
            BodyMismatch::Framing => "the aws-chunked framing its headers announce",
        }
    }

    /// The mismatches the engine's body checks raised, each once, in the order of this enum
    /// (the signed payload hash first).
    pub fn from_findings(findings: &[Finding]) -> Vec<BodyMismatch> {
        let mut v = Vec::new();
        for f in findings {
            let m = match f.code {
                Code::PayloadHashMismatch => BodyMismatch::PayloadHash,
                Code::ContentMd5Mismatch => BodyMismatch::ContentMd5,
                Code::ChecksumMismatch => BodyMismatch::Checksum,
                Code::DecodedLengthMismatch => BodyMismatch::DecodedLength,
                Code::AwsChunkedMalformed | Code::TrailerUndeclared => BodyMismatch::Framing,
                _ => continue,
            };
            if !v.contains(&m) {
                v.push(m);
            }
        }
        v.sort();
        v
    }
}

/// The mark beside a verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mark {
    /// The verdict says it all.
    #[default]
    Plain,
    /// Valid under the verifier, refused by the server for its signature: the server's rules
    /// differ from the verifier's.
    Refused,
    /// The signature verifies but the body does not match what its headers say of it: a
    /// failed request (a server answers 400 `XAmzContentSHA256Mismatch` or `BadDigest`).
    BodyMismatch,
}

impl Mark {
    /// The mark of a request whose response has `status`. A body mismatch comes first: it is
    /// a failure whatever the server's rules, found in the capture itself.
    pub fn of(status: Option<u16>, a: &Analysis) -> Mark {
        if a.verdict != Verdict::Valid {
            Mark::Plain
        } else if !a.body_mismatch.is_empty() {
            Mark::BodyMismatch
        } else if super::diagnose::servers::refused_though_valid(status, a) {
            Mark::Refused
        } else {
            Mark::Plain
        }
    }

    /// Whether `--check` counts it as a failure (a refusal is the server's rules, which the
    /// verifier dialect may not be; a body that does not match fails under any).
    pub fn is_failure(self) -> bool {
        self == Mark::BodyMismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{analyze, dialect, KeyCache, KeyStore, Verifier};
    use crate::http::{Header, Request};

    struct OneKey;
    impl KeyStore for OneKey {
        fn secret(&self, ak: &str) -> Option<&str> {
            (ak == "AKIDEXAMPLE").then_some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        }
    }

    /// A SigV2 request (it signs Content-MD5) with `md5` for the body `body`, signed by the
    /// engine itself under aws (the signature is taken from a first, unsigned analysis).
    fn sigv2(md5: &str, body: &[u8], with_key: bool) -> crate::engine::Analysis {
        let mk = |sig: &str| Request {
            method: "PUT".into(),
            target: b"/bucket/key".to_vec(),
            version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("Host", "s3.amazonaws.com"),
                Header::new("Date", "Tue, 27 Mar 2007 21:15:45 +0000"),
                Header::new("Content-MD5", md5),
                Header::new("Authorization", format!("AWS AKIDEXAMPLE:{sig}")),
            ],
            body: body.to_vec(),
            ..Request::default()
        };
        let cache = KeyCache::default();
        let v = Verifier {
            keys: &OneKey,
            dialect: &dialect::aws::DIALECT,
            cache: &cache,
            reveal_keys: false,
        };
        let first = analyze(&mk("AAAAAAAAAAAAAAAAAAAAAAAAAAA="), &v);
        let sig = first.dialect("aws").and_then(|d| d.signature.clone());
        let sig = sig.expect("the engine signs with the key");
        if with_key {
            analyze(&mk(&sig), &v)
        } else {
            let nokeys = Verifier {
                keys: &crate::engine::NoKeys,
                ..v
            };
            analyze(&mk(&sig), &nokeys)
        }
    }

    // md5("hello") in base64.
    const HELLO_MD5: &str = "XUFAKrxLKna5cZ2REBfFkg==";

    #[test]
    fn a_valid_request_whose_body_does_not_match_is_marked_and_fails() {
        let a = sigv2(HELLO_MD5, b"hellO", true);
        assert_eq!(a.verdict, Verdict::Valid, "{:?}", a.findings);
        assert_eq!(a.body_mismatch, vec![BodyMismatch::ContentMd5]);
        // Whatever the server answered: 400 BadDigest, or nothing at all.
        for status in [Some(400), Some(403), Some(200), None] {
            assert_eq!(Mark::of(status, &a), Mark::BodyMismatch, "{status:?}");
        }
        assert!(Mark::BodyMismatch.is_failure());
    }

    #[test]
    fn a_matching_body_leaves_the_verdict_alone() {
        let a = sigv2(HELLO_MD5, b"hello", true);
        assert_eq!(a.verdict, Verdict::Valid);
        assert!(a.body_mismatch.is_empty());
        assert_eq!(Mark::of(Some(200), &a), Mark::Plain);
        // A 403 with no error body is a refusal for the signature.
        assert_eq!(Mark::of(Some(403), &a), Mark::Refused);
        assert!(!Mark::Refused.is_failure() && !Mark::Plain.is_failure());
    }

    #[test]
    fn only_a_valid_verdict_is_marked() {
        // Without the secret the mismatch is still a fact, but the verdict is not "valid".
        let a = sigv2(HELLO_MD5, b"hellO", false);
        assert_eq!(a.verdict, Verdict::Unverified);
        assert_eq!(a.body_mismatch, vec![BodyMismatch::ContentMd5]);
        assert_eq!(Mark::of(Some(400), &a), Mark::Plain);
    }

    #[test]
    fn the_mismatch_comes_from_the_codes_not_the_words() {
        let f = |code, msg: &str| Finding::new(code, msg.to_string());
        let found = BodyMismatch::from_findings(&[
            f(Code::NoSecret, "payload hash"),
            f(Code::PayloadHashMismatch, "anything"),
            f(Code::ContentMd5Mismatch, ""),
            f(Code::PayloadHashMismatch, "again"),
            f(Code::ChecksumMismatch, ""),
            f(Code::DecodedLengthMismatch, ""),
            f(Code::TrailerUndeclared, ""),
            f(Code::AwsChunkedMalformed, ""),
            f(Code::TrailerSignatureMismatch, "a signature, not the body"),
        ]);
        assert_eq!(
            found,
            vec![
                BodyMismatch::PayloadHash,
                BodyMismatch::ContentMd5,
                BodyMismatch::Checksum,
                BodyMismatch::DecodedLength,
                BodyMismatch::Framing,
            ]
        );
        assert!(BodyMismatch::from_findings(&[f(Code::ClockSkew, "Content-MD5")]).is_empty());
    }
}
