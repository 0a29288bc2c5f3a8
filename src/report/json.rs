//! The fast writer of the report's JSON line: the same bytes as serialising
//! [`super::contract::JsonExchange`] with serde_json, written directly.

use std::ops::Range;

use serde::Serialize;

use super::contract::{to_json, JsonAuth, JsonExchange, JsonResponse};
use super::json_string::{json_bytes, json_str};
use crate::engine::{Analysis, DialectResult};
use crate::exchange::Exchange;
use crate::http::Header;

/// Equal bytes; dialects that computed the same string share one buffer, which is then not
/// compared byte by byte.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Whether two dialects' entries differ only by name.
fn same_rest(a: &DialectResult, b: &DialectResult) -> bool {
    let cr = match (&a.canonical_request, &b.canonical_request) {
        (Some(x), Some(y)) => same_bytes(x, y),
        (None, None) => true,
        _ => false,
    };
    cr && same_bytes(&a.string_to_sign, &b.string_to_sign)
        && a.signature == b.signature
        && a.matches == b.matches
        && a.rejects == b.rejects
        && a.unsupported == b.unsupported
        && a.chunks == b.chunks
}

/// `key!(out, "k")` appends `,"k":`, `key!(out, open "k")` appends `{"k":`: one copy of a
/// constant instead of a push per byte.
macro_rules! key {
    ($out:expr, open $k:literal) => {
        $out.extend_from_slice(concat!("{\"", $k, "\":").as_bytes())
    };
    ($out:expr, $k:literal) => {
        $out.extend_from_slice(concat!(",\"", $k, "\":").as_bytes())
    };
}

/// Appends `"key":` then `v` as JSON (`first` opens the object).
fn json_field<T: Serialize + ?Sized>(out: &mut Vec<u8>, first: bool, key: &str, v: &T) {
    json_key(out, first, key);
    // Serialising into a Vec cannot fail; our types have no fallible Serialize impls.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Appends `{"key":` or `,"key":` (keys here are plain identifiers: nothing to escape).
fn json_key(out: &mut Vec<u8>, first: bool, key: &str) {
    out.push(if first { b'{' } else { b',' });
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn json_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn json_uint(out: &mut Vec<u8>, n: u64) {
    // Integers are written the same way by serde_json and by Display.
    let _ = std::io::Write::write_fmt(out, format_args!("{n}"));
}

fn json_opt_bool(out: &mut Vec<u8>, b: Option<bool>) {
    out.extend_from_slice(match b {
        Some(true) => b"true",
        Some(false) => b"false",
        None => b"null",
    });
}

/// [`super::contract::JsonHeaders`], written directly.
fn json_headers(out: &mut Vec<u8>, headers: &[Header]) {
    out.push(b'[');
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        json_bytes(out, &h.name);
        out.push(b',');
        match crate::engine::auth::masked_header(&h.name, &h.value) {
            Some(m) => json_str(out, &m),
            None => json_bytes(out, &h.value),
        }
        out.push(b']');
    }
    out.push(b']');
}

fn json_str_list<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, s.as_ref());
    }
    out.push(b']');
}

/// Appends the JSON line of an exchange (without the newline): byte for byte what
/// `serde_json::to_writer(out, &to_json(x, a))` writes (tests/report_json.rs checks it), but
/// faster on the hot path of a large capture: the common structures are written directly,
/// strings are copied in runs between escapes, and since most requests compute the same
/// canonical request, string to sign and signature under all seven dialects, an entry that
/// differs from an earlier one only by its name is copied, and each distinct canonical
/// request and string to sign is escaped once.
pub fn write_json(out: &mut Vec<u8>, x: &Exchange, a: &Analysis) {
    let j = to_json(x, a);
    key!(out, open "index");
    json_uint(out, j.index as u64);
    key!(out, "source");
    json_str(out, j.source);
    key!(out, "time");
    json_opt_str(out, j.time.as_deref());
    key!(out, "client");
    json_opt_str(out, j.client.as_deref());
    key!(out, "server");
    json_opt_str(out, j.server.as_deref());
    if let Some(i) = j.interface {
        key!(out, "interface");
        json_str(out, i);
    }
    write_request(out, x, &j);
    key!(out, "response");
    write_response(out, j.response.as_ref());
    key!(out, "auth");
    write_auth(out, &j.auth);
    key!(out, "verifier");
    json_str(out, j.verifier);
    key!(out, "verdict");
    json_str(out, j.verdict.as_str());
    out.extend_from_slice(b",\"dialects\":[");
    write_dialects(out, j.dialects);
    out.push(b']');
    key!(out, "client_dialects");
    json_str_list(out, j.client_dialects);
    write_tail(out, &j);
    out.push(b'}');
}

/// `,"request":{…}`; the target is read from the exchange, as bytes.
fn write_request(out: &mut Vec<u8>, x: &Exchange, j: &JsonExchange<'_>) {
    let r = &j.request;
    key!(out, "request");
    key!(out, open "method");
    json_str(out, r.method);
    key!(out, "target");
    json_bytes(out, &crate::engine::auth::shown_target(&x.request.target));
    key!(out, "headers");
    json_headers(out, r.headers.0);
    key!(out, "body_len");
    json_uint(out, r.body_len);
    json_key(out, false, "body_sha256");
    json_str(out, r.body_sha256);
    out.push(b'}');
}

fn write_response(out: &mut Vec<u8>, response: Option<&JsonResponse<'_>>) {
    match response {
        None => out.extend_from_slice(b"null"),
        Some(p) => {
            key!(out, open "status");
            json_uint(out, p.status.into());
            key!(out, "reason");
            json_str(out, p.reason);
            key!(out, "headers");
            json_headers(out, p.headers.0);
            key!(out, "body_len");
            json_uint(out, p.body_len as u64);
            out.push(b'}');
        }
    }
}

fn write_auth(out: &mut Vec<u8>, au: &JsonAuth<'_>) {
    key!(out, open "mode");
    json_str(out, au.mode);
    key!(out, "access_key");
    json_opt_str(out, au.access_key.as_deref());
    key!(out, "signature");
    json_opt_str(out, au.signature.as_deref());
    key!(out, "date");
    json_opt_str(out, au.date.as_deref());
    key!(out, "region");
    json_opt_str(out, au.region.as_deref());
    key!(out, "service");
    json_opt_str(out, au.service.as_deref());
    key!(out, "signed_headers");
    match au.signed_headers {
        None => out.extend_from_slice(b"null"),
        Some(h) => json_str_list(out, h),
    }
    key!(out, "fields");
    out.push(b'[');
    for (i, (k, v)) in au.fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        json_str(out, k);
        out.push(b',');
        json_str(out, v);
        out.push(b']');
    }
    out.extend_from_slice(b"]}");
}

/// The entries of `"dialects"`, without the brackets. An entry equal to an earlier one but
/// for its name is copied from it; a canonical request or string to sign equal to an
/// earlier one is copied escaped.
fn write_dialects(out: &mut Vec<u8>, dialects: &[DialectResult]) {
    // Where, in `out`, each dialect's entry after its name, and its escaped canonical request
    // and string to sign, lie (None when copied from an earlier dialect's).
    let n = dialects.len();
    let mut rests: Vec<Range<usize>> = Vec::with_capacity(n);
    let mut crs: Vec<Option<Range<usize>>> = Vec::with_capacity(n);
    let mut stss: Vec<Option<Range<usize>>> = Vec::with_capacity(n);
    for (i, d) in dialects.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        key!(out, open "name");
        json_str(out, d.name);
        let start = out.len();
        if let Some(k) = (0..i).find(|&k| same_rest(&dialects[k], d)) {
            out.extend_from_within(rests[k].clone());
            rests.push(start..out.len());
            crs.push(None);
            stss.push(None);
            continue;
        }
        // The fields of DialectResult after `name`, in order, encoded as its Serialize does.
        key!(out, "canonical_request");
        let at = out.len();
        match &d.canonical_request {
            None => out.extend_from_slice(b"null"),
            Some(cr) => {
                let earlier = (0..i).find(|&k| {
                    crs[k].is_some()
                        && dialects[k]
                            .canonical_request
                            .as_deref()
                            .is_some_and(|c| same_bytes(c, cr))
                });
                match earlier.and_then(|k| crs[k].clone()) {
                    Some(r) => out.extend_from_within(r),
                    None => json_bytes(out, cr),
                }
            }
        }
        crs.push(d.canonical_request.is_some().then_some(at..out.len()));
        key!(out, "string_to_sign");
        let at = out.len();
        let earlier = (0..i).find(|&k| {
            stss[k].is_some() && same_bytes(&dialects[k].string_to_sign, &d.string_to_sign)
        });
        match earlier.and_then(|k| stss[k].clone()) {
            Some(r) => out.extend_from_within(r),
            None => json_bytes(out, &d.string_to_sign),
        }
        stss.push(Some(at..out.len()));
        write_dialect_verdict(out, d);
        out.push(b'}');
        rests.push(start..out.len());
    }
}

/// A dialect entry's fields after its strings.
fn write_dialect_verdict(out: &mut Vec<u8>, d: &DialectResult) {
    key!(out, "signature");
    json_opt_str(out, d.signature.as_deref());
    key!(out, "matches");
    json_opt_bool(out, d.matches);
    key!(out, "rejects");
    json_opt_str(out, d.rejects.as_ref().map(|r| r.to_string()).as_deref());
    key!(out, "unsupported");
    json_opt_bool(out, Some(d.unsupported));
    if !d.chunks.is_empty() {
        json_field(out, false, "chunks", &d.chunks);
    }
}

/// `findings` to the end of the object (`body_mismatch`), without its closing brace.
fn write_tail(out: &mut Vec<u8>, j: &JsonExchange<'_>) {
    key!(out, "findings");
    out.push(b'[');
    for (i, f) in j.findings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        key!(out, open "code");
        json_str(out, f.code.as_str());
        key!(out, "message");
        json_str(out, &f.message);
        out.push(b'}');
    }
    out.push(b']');
    key!(out, "signing_key");
    match j.signing_key {
        None => out.extend_from_slice(b"null"),
        Some(k) => {
            key!(out, open "k_date");
            json_str(out, &k.k_date);
            key!(out, "k_region");
            json_str(out, &k.k_region);
            key!(out, "k_service");
            json_str(out, &k.k_service);
            key!(out, "k_signing");
            json_str(out, &k.k_signing);
            out.push(b'}');
        }
    }
    if let Some(k) = j.public_key {
        key!(out, "public_key");
        key!(out, open "x");
        json_str(out, &k.x);
        key!(out, "y");
        json_str(out, &k.y);
        out.push(b'}');
    }
    if let Some(p) = j.post_policy {
        json_field(out, false, "post_policy", p);
    }
    json_field(out, false, "divergence", j.divergence);
    json_field(out, false, "server_expected", j.server_expected);
    key!(out, "body_mismatch");
    out.push(b'[');
    for (i, m) in j.body_mismatch.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, m.as_str());
    }
    out.push(b']');
}
