//! Masking of secret-bearing values: what reports, the UI and exports show of a credential.

/// Masks a secret-bearing value: a short prefix and the length, never the whole.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    if n <= 8 {
        return format!("•••• ({n} chars)");
    }
    let head: String = s.chars().take(4).collect();
    format!("{head}•••• ({n} chars)")
}

/// The masked form of a header value that carries a credential, `None` for a header that is
/// not secret. An AWS Authorization (SigV4, SigV2) is not: a signature proves nothing without
/// the secret, and reports and exports must still verify.
pub fn masked_header(name: &[u8], value: &[u8]) -> Option<String> {
    // Names first: this runs for every header of every exchange reported, and most are not
    // secret (no need to decode their values).
    let authz = name.eq_ignore_ascii_case(b"authorization")
        || name.eq_ignore_ascii_case(b"proxy-authorization");
    let token = !authz
        && (name.eq_ignore_ascii_case(b"x-amz-security-token")
            || name.eq_ignore_ascii_case(b"x-auth-token")
            || name.eq_ignore_ascii_case(b"x-subject-token"));
    if !authz && !token {
        return None;
    }
    let v = String::from_utf8_lossy(value);
    if authz {
        let scheme = v.split(' ').next().unwrap_or("");
        if scheme.starts_with("AWS") {
            return None;
        }
        return Some(format!("{scheme} {}", mask(v[scheme.len()..].trim())));
    }
    Some(mask(&v))
}
