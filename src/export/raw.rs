//! Raw HTTP: the exchange in wire form, as [`crate::ingest::from_raw`] reads it back.

use std::io::Write as _;

use super::secrets::masked;
use crate::exchange::Exchange;
use crate::http::{Header, Headers};

/// The request in HTTP/1.1 wire form, then the response if there is one, as `sigscope report`
/// reads raw files back. Secret headers are masked as in the report (so a session-token
/// request saved this way no longer verifies); CR and LF inside a captured header (possible
/// in a HAR import) become spaces so they cannot forge a header line; a chunked body is
/// re-framed as it was.
pub fn raw_http(x: &Exchange) -> Vec<u8> {
    let r = &x.request;
    let mut out = Vec::new();
    out.extend_from_slice(one_line(r.method.as_bytes()).as_slice());
    out.push(b' ');
    for &b in crate::engine::auth::shown_target(&r.target).iter() {
        match b {
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            _ => out.push(b),
        }
    }
    out.push(b' ');
    out.extend_from_slice(version(&r.version).as_bytes());
    out.extend_from_slice(b"\r\n");
    write_headers(&mut out, &r.headers);
    let framed = match &r.raw_chunked_body {
        Some(raw) => {
            out.extend_from_slice(raw);
            true
        }
        None => write_body(&mut out, r, &r.body),
    };
    if let Some(s) = &x.response {
        // An unframed body runs to the next start line, which must begin a line.
        if !framed && !r.body.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(version(&s.version).as_bytes());
        let _ = write!(out, " {} ", s.status);
        out.extend_from_slice(&one_line(s.reason.as_bytes()));
        out.extend_from_slice(b"\r\n");
        write_headers(&mut out, &s.headers);
        write_body(&mut out, s, &crate::engine::auth::masked_body(&s.body));
    }
    out
}

pub(super) fn version(v: &str) -> &str {
    if v.starts_with("HTTP/") && !v.contains(['\r', '\n', ' ']) {
        v
    } else {
        "HTTP/1.1"
    }
}

fn one_line(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect()
}

fn write_headers(out: &mut Vec<u8>, headers: &[Header]) {
    for h in headers {
        out.extend_from_slice(&one_line(&h.name));
        out.extend_from_slice(b": ");
        match masked(h) {
            Some(m) => out.extend_from_slice(&m),
            None => out.extend_from_slice(&one_line(&h.value)),
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes a body, chunk-framed when the headers say chunked (bodies are kept de-chunked);
/// whether the reader can find its end from the headers.
fn write_body<H: Headers>(out: &mut Vec<u8>, m: &H, body: &[u8]) -> bool {
    let chunked = m
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    if chunked {
        if !body.is_empty() {
            let _ = write!(out, "{:x}\r\n", body.len());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        return true;
    }
    out.extend_from_slice(body);
    m.has_header("content-length")
}
