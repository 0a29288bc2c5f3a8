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
            || name.eq_ignore_ascii_case(b"x-amz-s3session-token")
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

/// Query parameters that carry a credential: a presigned request's session token (SigV4 and
/// SigV4A, `X-Amz-Security-Token`; botocore also puts it in SigV2 presigned URLs; S3 Express's
/// `X-Amz-S3session-Token`, botocore `S3ExpressQueryAuth`).
const SECRET_PARAMS: &[&[u8]] = &[b"x-amz-security-token", b"x-amz-s3session-token"];

/// XML elements of a response body that hold a credential: S3 Express's CreateSession result
/// (S3 API reference, "CreateSession": `Credentials/SecretAccessKey`, `SessionToken`) and STS's
/// results, which use the same names.
const SECRET_ELEMENTS: &[&[u8]] = &[b"SecretAccessKey", b"SessionToken"];

/// A response body as reports, the UI and exports show it: the text of each
/// [`SECRET_ELEMENTS`] element masked, its first 4 bytes kept and the rest `*`, so that the
/// body keeps its length (a raw export keeps its Content-Length framing). Borrowed when there
/// is none (almost always: one search per element name).
pub fn masked_body(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    for name in SECRET_ELEMENTS {
        let open = [b"<", *name, b">"].concat();
        let close = [b"</", *name, b">"].concat();
        for at in memchr::memmem::find_iter(body, &open) {
            let start = at + open.len();
            let end =
                memchr::memmem::find(&body[start..], &close).map_or(body.len(), |e| start + e);
            spans.push(start..end);
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(body);
    }
    spans.sort_by_key(|r| r.start);
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0;
    for r in spans {
        if r.start < at {
            continue;
        }
        let keep = (r.start + 4).min(r.end);
        out.extend_from_slice(&body[at..keep]);
        out.resize(out.len() + (r.end - keep), b'*');
        at = r.end;
    }
    out.extend_from_slice(&body[at..]);
    Cow::Owned(out)
}

/// Where, in a request target, the values of credential-bearing query parameters are (byte
/// ranges, in order). Empty for almost every request.
pub fn secret_query_values(target: &[u8]) -> Vec<std::ops::Range<usize>> {
    let Some(q) = target.iter().position(|&b| b == b'?') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = q + 1;
    for pair in target[q + 1..].split(|&b| b == b'&') {
        if let Some(eq) = pair.iter().position(|&b| b == b'=') {
            let name = super::encode::percent_decode(&pair[..eq], false);
            if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                out.push(start + eq + 1..start + pair.len());
            }
        }
        start += pair.len() + 1;
    }
    out
}

/// The request target as reports, the UI and exports show it: the value of a credential in
/// the query (a presigned session token) masked like [`mask`] (without spaces, so that the
/// target stays one word of a request line), the rest as sent. Borrowed when there is nothing
/// to mask (almost always). The canonical request, which must stay exact to be compared with
/// a server's, still carries it, as it carries a header token.
pub fn shown_target(target: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let ranges = secret_query_values(target);
    if ranges.is_empty() {
        return Cow::Borrowed(target);
    }
    let mut out = Vec::with_capacity(target.len());
    let mut at = 0;
    for r in ranges {
        out.extend_from_slice(&target[at..r.start]);
        let masked = mask(&String::from_utf8_lossy(&target[r.clone()]));
        out.extend_from_slice(masked.replacen(" (", "(", 1).replace(' ', "-").as_bytes());
        at = r.end;
    }
    out.extend_from_slice(&target[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_session_body_is_masked() {
        let body = b"<CreateSessionResult><Credentials><SessionToken>TOKENTOKENTOKEN</SessionToken><SecretAccessKey>sekritsekritsekrit</SecretAccessKey><AccessKeyId>ASIAX</AccessKeyId></Credentials></CreateSessionResult>";
        let m = masked_body(body);
        let t = String::from_utf8_lossy(&m);
        assert!(
            !t.contains("sekritsekritsekrit") && !t.contains("TOKENTOKENTOKEN"),
            "{t}"
        );
        assert!(t.contains("<AccessKeyId>ASIAX</AccessKeyId>"), "{t}");
        assert!(
            t.contains("<SecretAccessKey>sekr**************</SecretAccessKey>"),
            "{t}"
        );
        assert_eq!(m.len(), body.len());
        // Unterminated: masked to the end.
        let cut = masked_body(b"<SecretAccessKey>sekritsekritsekr");
        assert!(!String::from_utf8_lossy(&cut).contains("sekritsekr"));
        assert!(matches!(
            masked_body(b"<Error/>"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn s3express_tokens_are_masked() {
        assert!(
            masked_header(b"X-Amz-S3session-Token", b"S3XTOKEN0123456789")
                .is_some_and(|m| !m.contains("0123456789"))
        );
        let t = b"/b/k?X-Amz-S3session-Token=S3XTOKEN0123456789&X-Amz-Signature=ab";
        let shown = shown_target(t);
        assert!(!String::from_utf8_lossy(&shown).contains("0123456789"));
    }
}
