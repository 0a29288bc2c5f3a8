//! Edits of a copy of a request that re-signing needs: a header's value, one query or form
//! parameter's value, the body. Everything else stays byte for byte as captured.

use crate::engine::encode::percent_decode;
use crate::http::{Header, Request};

/// Sets every `name` header's value to `value` (case-insensitive), or appends one header
/// when there is none.
pub fn set_header(req: &mut Request, name: &str, value: &str) {
    let mut found = false;
    for h in &mut req.headers {
        if h.name.eq_ignore_ascii_case(name.as_bytes()) {
            h.value = value.as_bytes().to_vec();
            found = true;
        }
    }
    if !found {
        req.headers.push(Header::new(name, value));
    }
}

/// Sets the value of every `name` header that is present; none is added.
pub fn replace_header(req: &mut Request, name: &str, value: &str) -> bool {
    let mut found = false;
    for h in &mut req.headers {
        if h.name.eq_ignore_ascii_case(name.as_bytes()) {
            h.value = value.as_bytes().to_vec();
            found = true;
        }
    }
    found
}

/// `raw` (a query or a form body, `&`-separated) with the value of each pair whose decoded
/// name is `name` set to `encoded` (already percent-encoded); the pair's name keeps its
/// spelling, other pairs are untouched. `None` when no pair has that name.
pub fn set_pair(raw: &[u8], name: &str, encoded: &str, plus_is_space: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() + encoded.len());
    let mut found = false;
    for (i, pair) in raw.split(|&b| b == b'&').enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        let key = match memchr::memchr(b'=', pair) {
            Some(j) => &pair[..j],
            None => pair,
        };
        if !pair.is_empty() && percent_decode(key, plus_is_space) == name.as_bytes() {
            out.extend_from_slice(key);
            out.push(b'=');
            out.extend_from_slice(encoded.as_bytes());
            found = true;
        } else {
            out.extend_from_slice(pair);
        }
    }
    found.then_some(out)
}

/// Sets the query parameter `name` of the request target to `encoded`; appended when absent.
pub fn set_query_param(req: &mut Request, name: &str, encoded: &str) {
    let t = &req.target;
    let (base, query) = match memchr::memchr(b'?', t) {
        Some(i) => (t[..i].to_vec(), Some(&t[i + 1..])),
        None => (t.clone(), None),
    };
    let query = match query {
        Some(q) => set_pair(q, name, encoded, false).unwrap_or_else(|| {
            let mut q = q.to_vec();
            if !q.is_empty() && !q.ends_with(b"&") {
                q.push(b'&');
            }
            q.extend_from_slice(format!("{name}={encoded}").as_bytes());
            q
        }),
        None => format!("{name}={encoded}").into_bytes(),
    };
    let mut target = base;
    target.push(b'?');
    target.extend_from_slice(&query);
    req.target = target;
}

/// Whether the query of the request has a parameter whose decoded name is `name`.
pub fn query_has(req: &Request, name: &str) -> bool {
    req.query().is_some_and(|q| {
        q.split(|&b| b == b'&').any(|p| {
            let key = match memchr::memchr(b'=', p) {
                Some(j) => &p[..j],
                None => p,
            };
            !p.is_empty() && percent_decode(key, false) == name.as_bytes()
        })
    })
}

/// Replaces the body (a form whose parameters changed): the framing becomes a
/// Content-Length, and the digests kept for the old body are dropped.
pub fn set_body(req: &mut Request, body: Vec<u8>) {
    req.headers
        .retain(|h| !h.name.eq_ignore_ascii_case(b"transfer-encoding"));
    set_header(req, "Content-Length", &body.len().to_string());
    req.body = body;
    req.raw_chunked_body = None;
    req.body_digest = None;
    req.body_sha256 = None;
    req.payload_sha256 = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_pair_keeps_other_pairs_and_the_name_spelling() {
        let q = b"a=1&X-Amz-Date=old&b&&c=%2F";
        let out = set_pair(q, "X-Amz-Date", "new", false).unwrap();
        assert_eq!(out, b"a=1&X-Amz-Date=new&b&&c=%2F");
        let out = set_pair(b"X%2DAmz%2DDate=1", "X-Amz-Date", "2", false).unwrap();
        assert_eq!(out, b"X%2DAmz%2DDate=2");
        assert!(set_pair(b"a=1", "b", "2", false).is_none());
    }

    #[test]
    fn query_param_is_set_or_appended() {
        let mut r = Request {
            target: b"http://h/p?x=1".to_vec(),
            ..Default::default()
        };
        set_query_param(&mut r, "x", "2");
        assert_eq!(r.target, b"http://h/p?x=2");
        set_query_param(&mut r, "y", "3");
        assert_eq!(r.target, b"http://h/p?x=2&y=3");
        let mut r = Request {
            target: b"/p".to_vec(),
            ..Default::default()
        };
        set_query_param(&mut r, "y", "3");
        assert_eq!(r.target, b"/p?y=3");
        assert!(query_has(&r, "y") && !query_has(&r, "x"));
    }

    #[test]
    fn body_replacement_reframes() {
        let mut r = Request {
            headers: vec![
                Header::new("Transfer-Encoding", "chunked"),
                Header::new("Host", "h"),
            ],
            body: b"a=1".to_vec(),
            raw_chunked_body: Some(b"3\r\na=1\r\n0\r\n\r\n".to_vec()),
            ..Default::default()
        };
        set_body(&mut r, b"a=22".to_vec());
        assert_eq!(r.raw_chunked_body, None);
        assert_eq!(
            r.headers,
            vec![Header::new("Host", "h"), Header::new("Content-Length", "4")]
        );
    }
}
