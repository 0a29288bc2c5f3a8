//! What no export writes: Basic passwords, bearer and session tokens are masked (raw HTTP,
//! HAR) or taken from environment variables (curl). SigV4/SigV2 signatures are not secrets and
//! stay, so that what is exported still verifies.

use crate::engine::auth;
use crate::http::{text, Header};

/// What replaces a secret header in an export: masked as the report masks it. `None` for
/// headers that are not secret (SigV4/SigV2 Authorization included: signatures are not
/// secrets, and the export must still verify).
pub(super) fn masked(h: &Header) -> Option<Vec<u8>> {
    auth::masked_header(&h.name, &h.value).map(String::into_bytes)
}

/// For the curl command: the environment variable a secret header's value comes from, and
/// the part of the value kept before it (the scheme).
pub(super) fn secret_env(h: &Header) -> Option<(&'static str, String)> {
    let n = &h.name;
    if n.eq_ignore_ascii_case(b"authorization") || n.eq_ignore_ascii_case(b"proxy-authorization") {
        let v = text(&h.value);
        let scheme = v.split(' ').next().unwrap_or("").to_string();
        if scheme.len() >= 3 && scheme[..3].eq_ignore_ascii_case("aws") {
            return None;
        }
        let var = if n.eq_ignore_ascii_case(b"proxy-authorization") {
            "PROXY_CREDENTIALS"
        } else if scheme.eq_ignore_ascii_case("basic") {
            "BASIC_CREDENTIALS"
        } else if scheme.eq_ignore_ascii_case("bearer") {
            "BEARER_TOKEN"
        } else {
            "AUTH_CREDENTIALS"
        };
        return Some((var, format!("{scheme} ")));
    }
    if n.eq_ignore_ascii_case(b"x-amz-security-token") {
        return Some(("AWS_SESSION_TOKEN", String::new()));
    }
    if n.eq_ignore_ascii_case(b"x-amz-s3session-token") {
        return Some(("AWS_S3SESSION_TOKEN", String::new()));
    }
    if n.eq_ignore_ascii_case(b"x-auth-token") {
        return Some(("AUTH_TOKEN", String::new()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_signatures_kept() {
        let h = |n: &str, v: &str| Header::new(n, v);
        let m = |n: &str, v: &str| masked(&h(n, v)).map(|b| String::from_utf8(b).unwrap());
        let basic = m("Authorization", "Basic dXNlcjpodW50ZXIy").unwrap();
        assert!(
            basic.starts_with("Basic ") && !basic.contains("dXNlcjpodW50ZXIy"),
            "{basic}"
        );
        let bearer = m("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig").unwrap();
        assert!(bearer.starts_with("Bearer ") && !bearer.contains("e30.sig"));
        assert!(!m("Proxy-Authorization", "Basic c2VjcmV0OnNlY3JldA==")
            .unwrap()
            .contains("c2VjcmV0OnNlY3JldA"));
        assert!(!m("X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN")
            .unwrap()
            .contains("EXAMPLETOKEN"));
        assert!(!m("X-Auth-Token", "gAAAAABexampletoken")
            .unwrap()
            .contains("exampletoken"));
        let v4 = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(m("Authorization", v4), None);
        assert_eq!(m("Authorization", "AWS AKID:c2lnbmF0dXJl"), None);
        assert_eq!(m("X-Amz-Date", "20150830T123600Z"), None);
        assert_eq!(
            secret_env(&h("Authorization", "Basic x")),
            Some(("BASIC_CREDENTIALS", "Basic ".to_string()))
        );
        assert_eq!(secret_env(&h("Authorization", v4)), None);
    }
}
