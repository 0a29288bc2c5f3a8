//! Decoded but never verified: Basic, Bearer (JWT) and OpenStack X-Auth-Token.

use base64::Engine;

use super::auth::{malformed, mask, AuthError, AuthInfo, Detected, Mode, Parsed};
use crate::escape::escape_str;

fn decoded(mode: Mode, fields: Vec<(String, String)>, access_key: Option<String>) -> Detected {
    Detected {
        info: AuthInfo {
            mode: Some(mode),
            access_key,
            fields,
            ..Default::default()
        },
        parsed: Parsed::Nothing,
        malformed: None,
    }
}

fn b64_any(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let t = s.trim();
    STANDARD
        .decode(t)
        .ok()
        .or_else(|| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')).ok())
}

pub fn basic(rest: &str) -> Detected {
    let Some(raw) = b64_any(rest) else {
        return malformed(Mode::Basic, AuthError::BasicNotBase64);
    };
    let text = String::from_utf8_lossy(&raw);
    let (user, pw) = text.split_once(':').unwrap_or((&text, ""));
    let user = escape_str(user);
    decoded(
        Mode::Basic,
        vec![("User".into(), user.clone()), ("Password".into(), mask(pw))],
        Some(user),
    )
}

pub fn bearer(rest: &str) -> Detected {
    let token = rest.trim();
    let mut fields = vec![("Token".to_string(), mask(token))];
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() == 3 {
        for (label, part) in [("JWT header", parts[0]), ("JWT claims", parts[1])] {
            match b64_any(part).and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()) {
                Some(v) => fields.push((label.into(), escape_str(&v.to_string()))),
                None => fields.push((label.into(), "(not base64url JSON)".into())),
            }
        }
        fields.push(("JWT signature".into(), "(not verified)".into()));
    } else {
        fields.push(("Format".into(), "opaque token (not a JWT)".into()));
    }
    decoded(Mode::Bearer, fields, None)
}

pub fn x_auth_token(token: &str) -> Detected {
    let kind = if token.starts_with("gAAAAA") {
        "Keystone Fernet token"
    } else if token.starts_with("MII") {
        "Keystone PKI/PKIZ token"
    } else {
        "opaque token"
    };
    decoded(
        Mode::XAuthToken,
        vec![("Token".into(), mask(token)), ("Kind".into(), kind.into())],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_masks_password() {
        let d = basic("dXNlcjpzM2NyZXQ="); // user:s3cret
        assert_eq!(d.info.access_key.as_deref(), Some("user"));
        let all = format!("{:?}", d.info.fields);
        assert!(!all.contains("s3cret"), "{all}");
        assert!(basic("%%%").malformed.is_some());
    }

    #[test]
    fn bearer_decodes_jwt_claims() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"alice","exp":1} . sig
        let d = bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2ln");
        let claims = d
            .info
            .fields
            .iter()
            .find(|(k, _)| k == "JWT claims")
            .unwrap();
        assert!(claims.1.contains("alice"));
        let d = bearer("opaque");
        assert!(d.info.fields.iter().any(|(_, v)| v.contains("not a JWT")));
    }

    #[test]
    fn x_auth_token_kind() {
        let d = x_auth_token("gAAAAABfakefernet");
        assert!(d
            .info
            .fields
            .iter()
            .any(|(_, v)| v == "Keystone Fernet token"));
        assert!(!format!("{:?}", d.info).contains("fakefernet"));
    }
}
