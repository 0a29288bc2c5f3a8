//! S3 SigV2 (`AWS AK:base64(HMAC-SHA1)`), header and presigned query.

use base64::Engine;

use super::auth::V2Auth;
use super::crypto::hmac_sha1;
use super::dialect::{self, SigV2Rules, V2DateLine};
use super::encode::{percent_decode, split_pairs};
use super::DialectResult;
use crate::http::{Headers, Request};

pub fn string_to_sign(
    req: &Request,
    auth: &V2Auth,
    rules: &SigV2Rules,
    presigned: bool,
) -> Vec<u8> {
    let mut s: Vec<u8> = Vec::with_capacity(256);
    s.extend_from_slice(req.method.as_bytes());
    s.push(b'\n');
    s.extend_from_slice(
        req.header_text("content-md5")
            .unwrap_or_default()
            .as_bytes(),
    );
    s.push(b'\n');
    s.extend_from_slice(
        req.header_text("content-type")
            .unwrap_or_default()
            .as_bytes(),
    );
    s.push(b'\n');
    let date = if presigned {
        auth.expires.clone().unwrap_or_default()
    } else {
        match rules.date_line {
            V2DateLine::EmptyIfAmzDate if req.has_header("x-amz-date") => String::new(),
            _ => req.header("date").unwrap_or_default(),
        }
    };
    s.extend_from_slice(date.as_bytes());
    s.push(b'\n');
    s.extend_from_slice(&amz_headers(req));
    s.extend_from_slice(canonical_resource(req, rules).as_bytes());
    s
}

fn amz_headers(req: &Request) -> Vec<u8> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|h| String::from_utf8_lossy(&h.name).to_ascii_lowercase())
        .filter(|n| n.starts_with("x-amz-"))
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for n in names {
        // Values arrive without surrounding whitespace (HTTP parsers strip it, ours too), so
        // the implementations' differences in trimming them are not observable here.
        let values: Vec<&[u8]> = req.header_values(&n);
        out.extend_from_slice(n.as_bytes());
        out.push(b':');
        out.extend_from_slice(&values.join(&b','));
        out.push(b'\n');
    }
    out
}

/// Bucket named by a virtual-hosted Host header, per the S3 SigV2 documentation.
pub fn virtual_host_bucket(host: &str) -> Option<String> {
    let h = host.to_ascii_lowercase();
    let h = match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_string(),
        _ => h,
    };
    if h.is_empty()
        || !h.contains('.')
        || h.parse::<std::net::IpAddr>().is_ok()
        || h.starts_with('[')
    {
        return None;
    }
    if let Some(i) = h.find(".s3.").or_else(|| h.find(".s3-")) {
        if h.ends_with(".amazonaws.com") || h.ends_with(".amazonaws.com.cn") {
            return Some(h[..i].to_string());
        }
    }
    let path_style_endpoint = (h.starts_with("s3.") || h.starts_with("s3-"))
        && (h.ends_with(".amazonaws.com") || h.ends_with(".amazonaws.com.cn"));
    if path_style_endpoint || h.ends_with(".amazonaws.com") {
        return None;
    }
    // Any other name is a CNAME for a bucket of the same name.
    Some(h)
}

pub fn canonical_resource(req: &Request, rules: &SigV2Rules) -> String {
    let path = String::from_utf8_lossy(req.path()).into_owned();
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let bucket = if rules.virtual_hosted {
        req.host().and_then(|h| virtual_host_bucket(&h))
    } else {
        None
    };
    let mut res = match &bucket {
        Some(b) => format!("/{b}{path}"),
        None => path,
    };
    if bucket.is_none()
        && rules.bucket_root_slash
        && res.starts_with('/')
        && res.len() > 1
        && !res.as_bytes()[1..].contains(&b'/')
    {
        res.push('/');
    }
    let mut subs: Vec<(usize, String, Option<String>)> = Vec::new();
    for (k, v) in split_pairs(req.query().unwrap_or(b"")) {
        let name = String::from_utf8_lossy(&percent_decode(k, false)).into_owned();
        if let Some(pos) = rules.subresources.iter().position(|s| *s == name) {
            let val = v.filter(|v| !v.is_empty()).map(|v| {
                String::from_utf8_lossy(&percent_decode(v, rules.subresource_plus_is_space))
                    .into_owned()
            });
            subs.push((pos, name, val));
        }
    }
    if rules.sort_subresources {
        subs.sort_by(|a, b| a.1.cmp(&b.1));
    } else {
        subs.sort_by_key(|s| s.0);
    }
    for (i, (_, name, val)) in subs.iter().enumerate() {
        res.push(if i == 0 { '?' } else { '&' });
        res.push_str(name);
        if let Some(v) = val {
            res.push('=');
            res.push_str(v);
        }
    }
    res
}

pub fn sign(secret: &str, string_to_sign: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(secret.as_bytes(), string_to_sign))
}

/// A presigned SigV2 URL whose `Signature` holds a raw `+`: base64 has `+`, and a client (or
/// proxy) that does not escape it (`%2B`) sends a value that servers decoding the query as a
/// form read with a space (boto/boto#916).
pub fn signature_plus_unescaped(req: &Request) -> bool {
    req.query().is_some_and(|q| {
        q.split(|b| *b == b'&')
            .any(|p| p.starts_with(b"Signature=") && p.contains(&b'+'))
    })
}

/// Every dialect's string to sign and signature for an S3 SigV2 request (`secret`, when known,
/// signs them).
pub fn analyze(
    req: &Request,
    a: &V2Auth,
    presigned: bool,
    secret: Option<&str>,
) -> Vec<DialectResult> {
    let mut dialects = Vec::with_capacity(dialect::ALL.len());
    // Dialects sharing rules compute the same string; equal strings, the same HMAC.
    let mut done: Vec<(&dialect::SigV2Rules, bytes::Bytes, Option<String>)> = Vec::new();
    for d in dialect::ALL {
        let Some(rules) = &d.sigv2 else {
            dialects.push(super::unsupported(d, "S3 SigV2"));
            continue;
        };
        let (sts, sig) = match done.iter().find(|(r, _, _)| *r == rules) {
            Some((_, sts, sig)) => (sts.clone(), sig.clone()),
            None => {
                let sts = bytes::Bytes::from(string_to_sign(req, a, rules, presigned));
                let sig = match done.iter().find(|(_, s, _)| *s == sts) {
                    Some((_, _, sig)) => sig.clone(),
                    None => secret.map(|s| sign(s, &sts)),
                };
                done.push((rules, sts.clone(), sig.clone()));
                (sts, sig)
            }
        };
        dialects.push(DialectResult::string_signed(d.name, sts, sig, &a.signature));
    }
    dialects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosts() {
        assert_eq!(
            virtual_host_bucket("johnsmith.s3.amazonaws.com").as_deref(),
            Some("johnsmith")
        );
        assert_eq!(
            virtual_host_bucket("b.s3.eu-west-1.amazonaws.com").as_deref(),
            Some("b")
        );
        assert_eq!(
            virtual_host_bucket("static.johnsmith.net:8080").as_deref(),
            Some("static.johnsmith.net")
        );
        assert_eq!(virtual_host_bucket("s3.amazonaws.com"), None);
        assert_eq!(virtual_host_bucket("s3.us-west-2.amazonaws.com"), None);
        assert_eq!(virtual_host_bucket("127.0.0.1:9000"), None);
        assert_eq!(virtual_host_bucket("localhost:9000"), None);
    }
}
