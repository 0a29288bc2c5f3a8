//! EC2 / Query API signatures, versions 0, 1 and 2 (`SignatureVersion=`), GET query or POST form.

use base64::Engine;

use super::auth::{Mode, QueryAuth};
use super::crypto::{hmac_sha1, hmac_sha256};
use super::dialect::{self, QueryRules};
use super::encode::{encode_with, is_unreserved, uri_encode};
use super::{Code, DialectResult, Finding};
use crate::http::Request;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hmac {
    Sha1,
    Sha256,
}

/// The string to sign and the HMAC it is signed with.
pub fn string_to_sign(req: &Request, q: &QueryAuth, rules: &QueryRules) -> (Vec<u8>, Hmac) {
    match q.version {
        0 => {
            let get = |n: &str| {
                q.params
                    .iter()
                    .find(|(k, _)| k.as_slice() == n.as_bytes())
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let mut s = get("Action");
            s.extend_from_slice(&get("Timestamp"));
            (s, Hmac::Sha1)
        }
        1 => {
            let mut params: Vec<&(Vec<u8>, Vec<u8>)> = q.params.iter().collect();
            // Case-insensitive, stable: Python's sorted(key=str.lower).
            params.sort_by_key(|(k, _)| k.to_ascii_lowercase());
            let mut s = Vec::new();
            for (k, v) in params {
                s.extend_from_slice(k);
                s.extend_from_slice(v);
            }
            (s, Hmac::Sha1)
        }
        _ => {
            let mut host = crate::http::Headers::header(req, "host")
                .or_else(|| req.host())
                .unwrap_or_default();
            if rules.host_lowercase {
                host = host.to_ascii_lowercase();
            }
            if rules.drop_default_port {
                for p in [":80", ":443"] {
                    if let Some(h) = host.strip_suffix(p) {
                        host = h.to_string();
                    }
                }
            }
            let path = String::from_utf8_lossy(req.path()).into_owned();
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            let mut enc: Vec<(String, String)> = q
                .params
                .iter()
                .map(|(k, v)| {
                    // keystoneclient `_calc_signature_2` sets params['SignatureMethod'] = 'HmacSHA256'.
                    if rules.force_sha256 && k.as_slice() == b"SignatureMethod" {
                        return (uri_encode(k), "HmacSHA256".to_string());
                    }
                    let name = if rules.tilde_in_names_escaped {
                        encode_with(k, |b| is_unreserved(b) && b != b'~')
                    } else {
                        uri_encode(k)
                    };
                    (name, uri_encode(v))
                })
                .collect();
            enc.sort();
            let mut s = format!("{}\n{}\n{}\n", req.method.to_ascii_uppercase(), host, path);
            for (i, (k, v)) in enc.iter().enumerate() {
                if i > 0 {
                    s.push('&');
                }
                s.push_str(k);
                s.push('=');
                s.push_str(v);
            }
            let hmac = if rules.force_sha256 || q.method.as_deref() != Some("HmacSHA1") {
                Hmac::Sha256
            } else {
                Hmac::Sha1
            };
            (s.into_bytes(), hmac)
        }
    }
}

pub fn sign(secret: &str, sts: &[u8], hmac: Hmac) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    match hmac {
        Hmac::Sha1 => b64.encode(hmac_sha1(secret.as_bytes(), sts)),
        Hmac::Sha256 => b64.encode(hmac_sha256(secret.as_bytes(), sts)),
    }
}

/// Every dialect's string to sign and signature for an EC2/Query signature.
pub fn analyze(
    req: &Request,
    q: &QueryAuth,
    mode: Mode,
    secret: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Vec<DialectResult> {
    let mut dialects = Vec::with_capacity(dialect::ALL.len());
    if q.signature_had_space {
        findings.push(Finding::new(
            Code::SignaturePlusUnescaped,
            "the Signature parameter holds a space: the client sent a `+` without percent-encoding it, which form decoding reads as a space (boto/boto#916); compared as `+`",
        ));
    }
    // Dialects sharing rules compute the same string and signature.
    let mut done: Vec<(&dialect::QueryRules, bytes::Bytes, Option<String>)> = Vec::new();
    for d in dialect::ALL {
        let Some(rules) = d.query.as_ref().filter(|r| r.versions.contains(&q.version)) else {
            dialects.push(super::unsupported(d, mode.as_str()));
            continue;
        };
        let (sts, sig) = match done.iter().find(|(r, _, _)| *r == rules) {
            Some((_, sts, sig)) => (sts.clone(), sig.clone()),
            None => {
                let (sts, hmac) = string_to_sign(req, q, rules);
                let sig = secret.map(|s| sign(s, &sts, hmac));
                let sts = bytes::Bytes::from(sts);
                done.push((rules, sts.clone(), sig.clone()));
                (sts, sig)
            }
        };
        dialects.push(DialectResult::string_signed(d.name, sts, sig, &q.signature));
    }
    dialects
}
