//! Decoded but never verified: Basic, Bearer (JWT) and OpenStack X-Auth-Token.

use base64::Engine;

use super::mode::Mode;
use super::secret::mask;
use crate::escape::escape_str;

/// A credential decoded for display: its mode, its fields (secrets masked) and who it names.
pub struct Token {
    pub mode: Mode,
    pub fields: Vec<(String, String)>,
    pub access_key: Option<String>,
}

fn decoded(mode: Mode, fields: Vec<(String, String)>, access_key: Option<String>) -> Token {
    Token {
        mode,
        fields,
        access_key,
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

/// `None` when the credentials are not base64.
pub fn basic(rest: &str) -> Option<Token> {
    let raw = b64_any(rest)?;
    let text = String::from_utf8_lossy(&raw);
    let (user, pw) = text.split_once(':').unwrap_or((&text, ""));
    let user = escape_str(user);
    Some(decoded(
        Mode::Basic,
        vec![("User".into(), user.clone()), ("Password".into(), mask(pw))],
        Some(user),
    ))
}

pub fn bearer(rest: &str) -> Token {
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

pub fn x_auth_token(token: &str) -> Token {
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
        let d = basic("dXNlcjpzM2NyZXQ=").unwrap(); // user:s3cret
        assert_eq!(d.access_key.as_deref(), Some("user"));
        let all = format!("{:?}", d.fields);
        assert!(!all.contains("s3cret"), "{all}");
        assert!(basic("%%%").is_none());
    }

    #[test]
    fn bearer_decodes_jwt_claims() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"alice","exp":1} . sig
        let d = bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2ln");
        let claims = d.fields.iter().find(|(k, _)| k == "JWT claims").unwrap();
        assert!(claims.1.contains("alice"));
        let d = bearer("opaque");
        assert!(d.fields.iter().any(|(_, v)| v.contains("not a JWT")));
    }

    #[test]
    fn x_auth_token_kind() {
        let d = x_auth_token("gAAAAABfakefernet");
        assert!(d.fields.iter().any(|(_, v)| v == "Keystone Fernet token"));
        assert!(!format!("{:?}", d.fields).contains("fakefernet"));
    }
}
