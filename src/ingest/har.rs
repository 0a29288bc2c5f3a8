//! HAR 1.2 (browser devtools, mitmproxy, Charles exports) to exchanges.

use base64::Engine;
use serde_json::Value;

use crate::exchange::Exchange;
use crate::http::{Header, Request, Response};

fn headers(v: &Value) -> Vec<Header> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| {
                    let n = h.get("name")?.as_str()?;
                    let val = h.get("value").and_then(Value::as_str).unwrap_or("");
                    Some(Header::new(n, val))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn body_of(text: Option<&str>, encoding: Option<&str>) -> Vec<u8> {
    match (text, encoding) {
        (Some(t), Some(e)) if e.eq_ignore_ascii_case("base64") => {
            base64::engine::general_purpose::STANDARD
                .decode(t.trim())
                .unwrap_or_else(|_| t.as_bytes().to_vec())
        }
        (Some(t), _) => t.as_bytes().to_vec(),
        (None, _) => Vec::new(),
    }
}

/// Splits an absolute URL into authority and origin-form target.
fn split_url(url: &str) -> (Option<String>, String) {
    match url.split_once("://") {
        Some((_, rest)) => {
            let cut = rest.find(['/', '?']).unwrap_or(rest.len());
            let authority = rest[..cut].to_string();
            let mut target = rest[cut..].to_string();
            if let Some(h) = target.find('#') {
                target.truncate(h);
            }
            if !target.starts_with('/') {
                target.insert(0, '/');
            }
            (Some(authority), target)
        }
        None => (None, url.to_string()),
    }
}

pub fn parse(data: &[u8], name: &str, first_index: usize) -> (Vec<Exchange>, Vec<String>) {
    let mut errors = Vec::new();
    let v: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => return (Vec::new(), vec![format!("{name}: not valid HAR JSON: {e}")]),
    };
    let Some(entries) = v.pointer("/log/entries").and_then(Value::as_array) else {
        return (Vec::new(), vec![format!("{name}: HAR has no log.entries")]);
    };
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(rq) = e.get("request") else {
            errors.push(format!("{name}: entry {i} has no request"));
            continue;
        };
        let method = rq
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_string();
        let url = rq.get("url").and_then(Value::as_str).unwrap_or("/");
        let (authority, target) = split_url(url);
        let mut hs = headers(rq.get("headers").unwrap_or(&Value::Null));
        // HTTP/2 exports name the authority as a pseudo-header; signing uses it as Host.
        let pseudo_auth = hs
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(b":authority"))
            .map(|h| h.value.clone());
        hs.retain(|h| !h.name.starts_with(b":"));
        if !hs.iter().any(|h| h.name.eq_ignore_ascii_case(b"host")) {
            if let Some(a) = pseudo_auth.or(authority.map(String::into_bytes)) {
                hs.insert(0, Header::new("Host", a));
            }
        }
        let post = rq.get("postData");
        let body = body_of(
            post.and_then(|p| p.get("text")).and_then(Value::as_str),
            post.and_then(|p| p.get("encoding")).and_then(Value::as_str),
        );
        let request = Request {
            method,
            target: target.into_bytes(),
            version: rq
                .get("httpVersion")
                .and_then(Value::as_str)
                .unwrap_or("HTTP/1.1")
                .to_string(),
            headers: hs,
            body,
            ..Default::default()
        };
        let response = e.get("response").and_then(|rs| {
            let status = rs.get("status").and_then(Value::as_u64)? as u16;
            if status == 0 {
                // Devtools write status 0 for requests that never got an answer.
                return None;
            }
            let content = rs.get("content");
            Some(Response {
                status,
                reason: rs
                    .get("statusText")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                version: rs
                    .get("httpVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("HTTP/1.1")
                    .to_string(),
                headers: headers(rs.get("headers").unwrap_or(&Value::Null)),
                body: body_of(
                    content.and_then(|c| c.get("text")).and_then(Value::as_str),
                    content
                        .and_then(|c| c.get("encoding"))
                        .and_then(Value::as_str),
                ),
            })
        });
        let time = e
            .get("startedDateTime")
            .and_then(Value::as_str)
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            });
        let server = e
            .get("serverIPAddress")
            .and_then(Value::as_str)
            .map(|ip| ip.trim_matches(['[', ']']).to_string());
        out.push(Exchange {
            index: first_index + out.len(),
            source: format!("{name}:entry {i}"),
            time,
            client: None,
            server,
            interface: None,
            request,
            response,
            notes: Vec::new(),
            replay: None,
        });
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_with_pseudo_headers_and_base64() {
        let har = br#"{"log":{"version":"1.2","entries":[
          {"startedDateTime":"2024-05-01T10:00:00.123Z","request":{"method":"PUT","url":"https://b.s3.amazonaws.com/k%20x?acl#frag","httpVersion":"HTTP/2",
            "headers":[{"name":":authority","value":"b.s3.amazonaws.com"},{"name":"x-amz-date","value":"20240501T100000Z"}],
            "postData":{"mimeType":"application/octet-stream","text":"aGk=","encoding":"base64"}},
           "response":{"status":403,"statusText":"Forbidden","headers":[],"content":{"text":"<Error/>"}}},
          {"request":{"method":"GET","url":"http://h:8080/","headers":[]},"response":{"status":0}}]}}"#;
        let (x, errs) = parse(har, "f.har", 0);
        assert!(errs.is_empty());
        assert_eq!(x.len(), 2);
        let r = &x[0].request;
        assert_eq!(r.target, b"/k%20x?acl");
        assert_eq!(r.body, b"hi");
        assert_eq!(
            crate::http::Headers::header(r, "host").unwrap(),
            "b.s3.amazonaws.com"
        );
        assert!(!r.headers.iter().any(|h| h.name.starts_with(b":")));
        assert_eq!(x[0].response.as_ref().unwrap().status, 403);
        assert!(x[0].time.is_some());
        assert_eq!(
            crate::http::Headers::header(&x[1].request, "host").unwrap(),
            "h:8080"
        );
        assert!(x[1].response.is_none());
        let (_, errs) = parse(b"{\"log\":{}}", "g.har", 0);
        assert!(errs[0].contains("no log.entries"));
    }
}
