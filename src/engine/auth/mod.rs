//! Step 1, parse: which auth mode a request uses, and its decoded fields.

use serde::Serialize;

use super::encode::{decode_params, percent_decode, split_pairs};
use super::sigv4::{self, flavour};
use super::tokens;
use crate::escape::escape_str;
use crate::http::{Headers, Request};

/// Why the auth of a request could not be parsed. The text is a finding's message (golden
/// outputs hold it); untrusted parts are escaped here, when shown, not when stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Authorization `AWS` needs `AWS AccessKeyId:Signature`")]
    V2HeaderShape,
    #[error("unrecognised Authorization scheme `{}`", escape_str(.0))]
    UnknownScheme(String),
    #[error("Credential `{}` has no scope", escape_str(.0))]
    NoScope(String),
    /// The scope, and the terminator the flavour wants.
    #[error("credential scope `{scope}` must be date/region/service/{1}", scope = escape_str(.0))]
    ScopeShape(String, &'static str),
    /// SigV4A's scope has no region (the region set travels in its own header or parameter).
    #[error("credential scope `{scope}` must be date/service/{1} (SigV4A has no region in its scope)", scope = escape_str(.0))]
    ScopeShapeRegionless(String, &'static str),
    /// The flavour's region-set header or parameter.
    #[error("SigV4A request without {0}")]
    NoRegionSet(&'static str),
    #[error("Authorization component `{}` is not key=value", escape_str(.0))]
    NotKeyValue(String),
    #[error("unknown Authorization component `{}`", escape_str(.0))]
    UnknownComponent(String),
    /// The name is one of the three known components (never untrusted text).
    #[error("Authorization repeats `{0}=`")]
    RepeatedComponent(&'static str),
    #[error("Authorization has no {0}=")]
    MissingComponent(&'static str),
    /// The parameter's name, its value, and the flavour's algorithm.
    #[error("{0} `{value}` is not {2}", value = escape_str(.1))]
    PresignedAlgorithm(&'static str, String, &'static str),
    #[error("presigned URL has no {0}")]
    MissingPresigned(&'static str),
    #[error("unsupported SignatureVersion `{}`", escape_str(.0))]
    SignatureVersion(String),
    #[error("Query signature without {0}")]
    MissingQuery(&'static str),
    #[error("Basic credentials are not base64")]
    BasicNotBase64,
}

pub use super::mode::Mode;
pub use super::secret::{mask, masked_body, masked_header, secret_query_values, shown_target};

impl V4Auth {
    /// What its signing key is derived for: the flavour's prefix and the credential scope.
    pub fn key_scope(&self) -> super::crypto::KeyScope<'_> {
        super::crypto::KeyScope {
            signing: self.flavour.signing,
            access_key: &self.access_key,
            key_prefix: self.flavour.key_prefix,
            date: &self.scope_date,
            region: &self.region,
            service: &self.service,
            terminator: &self.terminator,
        }
    }
}

/// Decoded authentication fields, as the report shows them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuthInfo {
    pub mode: Mode,
    pub access_key: Option<String>,
    pub signature: Option<String>,
    pub date: Option<String>,
    pub region: Option<String>,
    pub service: Option<String>,
    pub signed_headers: Option<Vec<String>>,
    /// Other decoded fields for display (credential scope, expiry, token holder, JWT claims…).
    /// Secrets in them are already masked.
    pub fields: Vec<(String, String)>,
}

/// SigV4 parameters, from the Authorization header or the presigned query.
#[derive(Clone, Debug)]
pub struct V4Auth {
    /// The scheme's names (AWS's, or another flavour's).
    pub flavour: &'static flavour::Flavour,
    pub algorithm: String,
    pub access_key: String,
    /// Everything after the access key in `Credential=`: `date/region/service/aws4_request`.
    pub scope: String,
    pub scope_date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    /// `SignedHeaders` exactly as sent.
    pub signed_headers_raw: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date` (header or parameter), else `Date` converted to ISO 8601 basic form.
    pub amz_date: Option<String>,
    pub amz_date_from_date_header: bool,
    pub expires: Option<String>,
    pub session_token: Option<String>,
}

#[derive(Clone, Debug)]
pub struct V2Auth {
    pub access_key: String,
    pub signature: String,
    /// Presigned: the `Expires` parameter.
    pub expires: Option<String>,
}

#[derive(Clone, Debug)]
pub struct QueryAuth {
    pub version: u8,
    pub access_key: String,
    pub signature: String,
    pub method: Option<String>,
    /// Decoded parameters from the URL query and a form body, `Signature` excluded, in order.
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
    /// The signature contained a space: a `+` that was not percent-encoded was decoded.
    pub signature_had_space: bool,
}

#[derive(Clone, Debug)]
pub enum Parsed {
    V4(Box<V4Auth>),
    V2(V2Auth),
    Query(QueryAuth),
    /// A browser upload's form (issue 15).
    PostPolicy(Box<super::postpolicy::PostAuth>),
    /// Nothing to verify (anonymous, bearer, …), or malformed.
    Nothing,
}

#[derive(Clone, Debug)]
pub struct Detected {
    pub info: AuthInfo,
    pub parsed: Parsed,
    /// Why the auth could not be parsed (mode is known, fields are not).
    pub malformed: Option<String>,
}

pub(super) fn query_params_raw(req: &Request) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    req.query()
        .map(|q| {
            split_pairs(q)
                .into_iter()
                .map(|(k, v)| {
                    (
                        percent_decode(k, false),
                        v.map(|v| percent_decode(v, false)),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn param<'a>(params: &'a [(Vec<u8>, Option<Vec<u8>>)], name: &str) -> Option<&'a [u8]> {
    params
        .iter()
        .find(|(k, _)| k.as_slice() == name.as_bytes())
        .map(|(_, v)| v.as_deref().unwrap_or(b""))
}

pub(super) fn text(b: &[u8]) -> String {
    crate::http::text(b).into_owned()
}

pub fn detect(req: &Request) -> Detected {
    let authz = req.header_text("authorization");

    if let Some(a) = authz.as_deref() {
        let (scheme, rest) = a.split_once(' ').unwrap_or((a, ""));
        if let Some(f) = flavour::by_algorithm(scheme) {
            return sigv4::parse::detect_header(req, f, rest);
        }
        match scheme {
            "AWS" => {
                return match rest.trim().rsplit_once(':') {
                    Some((ak, sig)) if !ak.is_empty() && !sig.is_empty() => {
                        let v2 = V2Auth {
                            access_key: ak.trim().to_string(),
                            signature: sig.trim().to_string(),
                            expires: None,
                        };
                        v2_detected(Mode::Sigv2Header, v2)
                    }
                    _ => malformed(Mode::Sigv2Header, AuthError::V2HeaderShape),
                };
            }
            s if s.eq_ignore_ascii_case("basic") => {
                return match tokens::basic(rest) {
                    Some(t) => token_detected(t),
                    None => malformed(Mode::Basic, AuthError::BasicNotBase64),
                };
            }
            s if s.eq_ignore_ascii_case("bearer") => return token_detected(tokens::bearer(rest)),
            _ => {}
        }
    }

    // A browser upload: the form's fields carry the policy and its signature.
    if authz.is_none() {
        if let Some(d) = super::postpolicy::detect(req) {
            return d;
        }
    }

    let qp = query_params_raw(req);
    // AWS4 and AWS4A share `X-Amz-Algorithm`: the flavour its value names, else the first
    // flavour whose parameter is there (which then reports the value it does not know).
    let present = |f: &&&flavour::Flavour| param(&qp, f.query.algorithm).is_some();
    let named = flavour::FLAVOURS
        .iter()
        .filter(present)
        .find(|f| param(&qp, f.query.algorithm) == Some(f.algorithm.as_bytes()));
    if let Some(f) = named.or_else(|| flavour::FLAVOURS.iter().find(present)) {
        return sigv4::parse::detect_query(req, f, &qp);
    }

    // EC2/Query signatures: parameters in the URL and, for a form POST, in the body.
    let mut all = req.query().map(decode_params).unwrap_or_default();
    if req.is_form_urlencoded() {
        all.extend(decode_params(&req.body));
    }
    let has = |n: &str| all.iter().any(|(k, _)| k.as_slice() == n.as_bytes());
    if has("SignatureVersion") || (has("Signature") && has("AWSAccessKeyId") && !has("Expires")) {
        return parse_query_sig(all);
    }
    if param(&qp, "AWSAccessKeyId").is_some() && param(&qp, "Signature").is_some() {
        let v2 = V2Auth {
            access_key: text(param(&qp, "AWSAccessKeyId").unwrap_or_default()),
            // Decoded without `+`-as-space: base64 keeps its `+` when the client forgot to escape it.
            signature: text(param(&qp, "Signature").unwrap_or_default()),
            expires: param(&qp, "Expires").map(text),
        };
        return v2_detected(Mode::Sigv2Query, v2);
    }

    if let Some(a) = authz {
        let scheme = a.split(' ').next().unwrap_or("").to_string();
        return malformed(Mode::Unknown, AuthError::UnknownScheme(scheme));
    }
    if let Some(t) = req.header("x-auth-token") {
        return token_detected(tokens::x_auth_token(&t));
    }
    let mut info = AuthInfo {
        mode: Mode::Anonymous,
        ..Default::default()
    };
    if let Some(t) = req.header("x-amz-security-token") {
        info.fields.push(("X-Amz-Security-Token".into(), mask(&t)));
    }
    Detected {
        info,
        parsed: Parsed::Nothing,
        malformed: None,
    }
}

/// A credential decoded for display (Basic, Bearer, X-Auth-Token).
fn token_detected(t: tokens::Token) -> Detected {
    Detected {
        info: AuthInfo {
            mode: t.mode,
            access_key: t.access_key,
            fields: t.fields,
            ..Default::default()
        },
        parsed: Parsed::Nothing,
        malformed: None,
    }
}

pub(super) fn malformed(mode: Mode, why: AuthError) -> Detected {
    Detected {
        info: AuthInfo {
            mode,
            ..Default::default()
        },
        parsed: Parsed::Nothing,
        malformed: Some(why.to_string()),
    }
}

fn v2_detected(mode: Mode, v2: V2Auth) -> Detected {
    let mut fields = Vec::new();
    if let Some(e) = &v2.expires {
        fields.push(("Expires".into(), e.clone()));
    }
    Detected {
        info: AuthInfo {
            mode,
            access_key: Some(v2.access_key.clone()),
            signature: Some(v2.signature.clone()),
            date: v2.expires.clone(),
            fields,
            ..Default::default()
        },
        parsed: Parsed::V2(v2),
        malformed: None,
    }
}

fn parse_query_sig(mut all: Vec<(Vec<u8>, Vec<u8>)>) -> Detected {
    let get = |all: &[(Vec<u8>, Vec<u8>)], n: &str| {
        all.iter()
            .find(|(k, _)| k.as_slice() == n.as_bytes())
            .map(|(_, v)| text(v))
    };
    let version = match get(&all, "SignatureVersion").as_deref() {
        Some("0") => 0,
        Some("1") => 1,
        Some("2") | None => 2,
        Some(other) => {
            return malformed(
                Mode::Unknown,
                AuthError::SignatureVersion(other.to_string()),
            )
        }
    };
    let mode = [Mode::QueryV0, Mode::QueryV1, Mode::QueryV2][version as usize];
    let Some(ak) = get(&all, "AWSAccessKeyId") else {
        return malformed(mode, AuthError::MissingQuery("AWSAccessKeyId"));
    };
    let Some(mut sig) = get(&all, "Signature") else {
        return malformed(mode, AuthError::MissingQuery("Signature"));
    };
    // boto/boto#916: an unescaped `+` in the base64 signature arrives as a space.
    let had_space = sig.contains(' ');
    if had_space {
        sig = sig.replace(' ', "+");
    }
    all.retain(|(k, _)| k.as_slice() != b"Signature");
    let method = get(&all, "SignatureMethod");
    let date = get(&all, "Timestamp").or_else(|| get(&all, "Expires"));
    let mut fields = vec![("SignatureVersion".to_string(), version.to_string())];
    if let Some(m) = &method {
        fields.push(("SignatureMethod".into(), m.clone()));
    }
    if let Some(a) = get(&all, "Action") {
        fields.push(("Action".into(), a));
    }
    Detected {
        info: AuthInfo {
            mode,
            access_key: Some(ak.clone()),
            signature: Some(sig.clone()),
            date,
            fields,
            ..Default::default()
        },
        parsed: Parsed::Query(QueryAuth {
            version,
            access_key: ak,
            signature: sig,
            method,
            params: all,
            signature_had_space: had_space,
        }),
        malformed: None,
    }
}

#[cfg(test)]
mod tests;
