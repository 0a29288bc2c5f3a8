//! Step 1 for SigV4 and its flavours: the Authorization header or the presigned query,
//! parsed into [`V4Auth`].

use super::flavour::Flavour;
use crate::engine::auth::{
    malformed, mask, param, text, AuthError, AuthInfo, Detected, Mode, Parsed, V4Auth,
};
use crate::engine::time;
use crate::http::{Headers, Request};

/// A request whose Authorization scheme is `f`'s algorithm.
pub fn detect_header(req: &Request, f: &'static Flavour, rest: &str) -> Detected {
    let f = super::flavour::refine(f, req, &[]);
    let streaming = f.streaming_payload.is_some_and(|p| {
        req.header_text(f.content_sha256_header)
            .is_some_and(|v| v.starts_with(p))
    });
    let mode = match f.streaming_mode {
        Some(m) if streaming => m,
        _ => f.header_mode,
    };
    match parse_header(req, f, rest) {
        Ok(v4) => detected(mode, v4),
        Err(e) => malformed(mode, e),
    }
}

/// A presigned URL carrying `f`'s algorithm parameter.
pub fn detect_query(
    req: &Request,
    f: &'static Flavour,
    qp: &[(Vec<u8>, Option<Vec<u8>>)],
) -> Detected {
    let f = super::flavour::refine(f, req, qp);
    match parse_query(req, f, qp) {
        Ok(v4) => detected(f.query_mode, v4),
        Err(e) => malformed(f.query_mode, e),
    }
}

fn detected(mode: Mode, v4: V4Auth) -> Detected {
    let mut fields = vec![
        ("Algorithm".to_string(), v4.algorithm.clone()),
        ("Credential scope".to_string(), v4.scope.clone()),
    ];
    if v4.amz_date_from_date_header {
        fields.push(("Date source".into(), "Date header (no X-Amz-Date)".into()));
    }
    if let Some(e) = &v4.expires {
        fields.push((v4.flavour.query.expires.into(), e.clone()));
    }
    if let Some(h) = v4.flavour.query.region_set {
        fields.push((h.into(), v4.region.clone()));
    }
    if let Some(t) = &v4.session_token {
        fields.push((v4.flavour.query.token.into(), mask(t)));
    }
    Detected {
        info: AuthInfo {
            mode,
            access_key: Some(v4.access_key.clone()),
            signature: Some(v4.signature.clone()),
            date: v4.amz_date.clone(),
            region: Some(v4.region.clone()),
            service: Some(v4.service.clone()),
            signed_headers: Some(v4.signed_headers.clone()),
            fields,
        },
        parsed: Parsed::V4(Box::new(v4)),
        malformed: None,
    }
}

fn split_scope(v4: &mut V4Auth, credential: &str) -> Result<(), AuthError> {
    let (ak, scope) = credential
        .split_once('/')
        .ok_or_else(|| AuthError::NoScope(credential.to_string()))?;
    let parts: Vec<&str> = scope.split('/').collect();
    v4.access_key = ak.to_string();
    v4.scope = scope.to_string();
    if v4.flavour.region_set_header.is_some() {
        // SigV4A: `date/service/aws4_request`; the region set is read by the caller.
        let [date, service, terminator] = parts[..] else {
            return Err(AuthError::ScopeShapeRegionless(
                scope.to_string(),
                v4.flavour.terminator,
            ));
        };
        v4.scope_date = date.to_string();
        v4.service = service.to_string();
        v4.terminator = terminator.to_string();
        return Ok(());
    }
    let [date, region, service, terminator] = parts[..] else {
        return Err(AuthError::ScopeShape(
            scope.to_string(),
            v4.flavour.terminator,
        ));
    };
    v4.scope_date = date.to_string();
    v4.region = region.to_string();
    v4.service = service.to_string();
    v4.terminator = terminator.to_string();
    Ok(())
}

fn empty_v4(flavour: &'static Flavour, algorithm: &str) -> V4Auth {
    V4Auth {
        flavour,
        algorithm: algorithm.to_string(),
        access_key: String::new(),
        scope: String::new(),
        scope_date: String::new(),
        region: String::new(),
        service: String::new(),
        terminator: String::new(),
        signed_headers_raw: String::new(),
        signed_headers: Vec::new(),
        signature: String::new(),
        amz_date: None,
        amz_date_from_date_header: false,
        expires: None,
        session_token: None,
    }
}

fn parse_header(req: &Request, f: &'static Flavour, rest: &str) -> Result<V4Auth, AuthError> {
    let mut v4 = empty_v4(f, f.algorithm);
    let (mut cred, mut sh, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| AuthError::NotKeyValue(part.to_string()))?;
        let (name, slot) = match k.trim() {
            "Credential" => ("Credential", &mut cred),
            "SignedHeaders" => ("SignedHeaders", &mut sh),
            "Signature" => ("Signature", &mut sig),
            other => return Err(AuthError::UnknownComponent(other.to_string())),
        };
        // AWS documents exactly three components and MinIO refuses anything else: a repeated
        // one is ambiguous, not "the last wins".
        if slot.is_some() {
            return Err(AuthError::RepeatedComponent(name));
        }
        *slot = Some(v.trim().to_string());
    }
    let cred = cred.ok_or(AuthError::MissingComponent("Credential"))?;
    split_scope(&mut v4, &cred)?;
    v4.signed_headers_raw = sh.ok_or(AuthError::MissingComponent("SignedHeaders"))?;
    v4.signed_headers = v4
        .signed_headers_raw
        .split(';')
        .map(|s| s.to_string())
        .collect();
    v4.signature = sig.ok_or(AuthError::MissingComponent("Signature"))?;
    if let Some(d) = req.header(f.date_header) {
        v4.amz_date = Some(d);
    } else if let Some(d) = req.header("date") {
        v4.amz_date = Some(time::http_date_to_amz(&d).unwrap_or(d));
        v4.amz_date_from_date_header = true;
    }
    v4.session_token = req.header(f.token_header);
    if let Some(h) = f.region_set_header {
        v4.region = req.header(h).ok_or(AuthError::NoRegionSet(h))?;
    }
    Ok(v4)
}

fn parse_query(
    req: &Request,
    f: &'static Flavour,
    qp: &[(Vec<u8>, Option<Vec<u8>>)],
) -> Result<V4Auth, AuthError> {
    let get = |n: &str| param(qp, n).map(text);
    // A required parameter: its name is the error's.
    let need = |n: &'static str| get(n).ok_or(AuthError::MissingPresigned(n));
    let q = &f.query;
    let alg = get(q.algorithm).unwrap_or_default();
    if alg != f.algorithm {
        return Err(AuthError::PresignedAlgorithm(q.algorithm, alg, f.algorithm));
    }
    let mut v4 = empty_v4(f, &alg);
    let cred = need(q.credential)?;
    split_scope(&mut v4, &cred)?;
    v4.signed_headers_raw = need(q.signed_headers)?;
    v4.signed_headers = v4
        .signed_headers_raw
        .split(';')
        .map(|s| s.to_string())
        .collect();
    v4.signature = need(q.signature)?;
    v4.amz_date = Some(need(q.date)?);
    v4.expires = get(q.expires);
    v4.session_token = get(q.token).or_else(|| req.header(f.token_header));
    if let Some(p) = q.region_set {
        v4.region = need(p)?;
    }
    Ok(v4)
}
