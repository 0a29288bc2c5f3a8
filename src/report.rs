//! `sigscope report`: the non-interactive contract (JSON lines), and the same content as text
//! and markdown for people.

use std::fmt::Write;

use std::borrow::Cow;

use serde::ser::SerializeSeq;
use serde::Serialize;

use crate::engine::{Analysis, Verdict};
use crate::escape::{escape_bytes, escape_multiline, escape_str};
use crate::exchange::Exchange;
use crate::http::{text, Header};

/// Header pairs, serialised as `[name, value]` arrays; credentials in values masked.
struct JsonHeaders<'a>(&'a [Header]);

impl Serialize for JsonHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for h in self.0 {
            let value: Cow<'_, str> = match crate::engine::auth::masked_header(&h.name, &h.value) {
                Some(m) => Cow::Owned(m),
                None => text(&h.value),
            };
            seq.serialize_element(&(text(&h.name), value))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct JsonRequest<'a> {
    method: &'a str,
    target: Cow<'a, str>,
    headers: JsonHeaders<'a>,
    body_len: u64,
    body_sha256: &'a str,
}

#[derive(Serialize)]
struct JsonResponse<'a> {
    status: u16,
    reason: &'a str,
    headers: JsonHeaders<'a>,
    body_len: usize,
}

#[derive(Serialize)]
struct JsonAuth<'a> {
    mode: &'static str,
    access_key: &'a Option<String>,
    signature: &'a Option<String>,
    date: &'a Option<String>,
    region: &'a Option<String>,
    service: &'a Option<String>,
    signed_headers: &'a Option<Vec<String>>,
    fields: &'a [(String, String)],
}

/// One line of `report --format json`: serialised straight from the analysis (no
/// intermediate JSON tree; this is the hot path of a large capture).
#[derive(Serialize)]
pub struct JsonExchange<'a> {
    index: usize,
    source: &'a str,
    time: Option<String>,
    client: &'a Option<String>,
    server: &'a Option<String>,
    request: JsonRequest<'a>,
    response: Option<JsonResponse<'a>>,
    auth: JsonAuth<'a>,
    verifier: &'a str,
    verdict: Verdict,
    dialects: &'a [crate::engine::DialectResult],
    client_dialects: &'a [&'static str],
    findings: Vec<&'a crate::engine::Finding>,
    signing_key: &'a Option<crate::engine::KeyChainView>,
    divergence: &'a Option<crate::engine::diagnose::Divergence>,
    server_expected: &'a Option<crate::engine::server_error::ServerExpected>,
}

pub fn to_json<'a>(x: &'a Exchange, a: &'a Analysis) -> JsonExchange<'a> {
    let r = &x.request;
    JsonExchange {
        index: x.index,
        source: &x.source,
        time: x.time.map(crate::engine::time::format_rfc3339),
        client: &x.client,
        server: &x.server,
        request: JsonRequest {
            method: &r.method,
            target: text(&r.target),
            headers: JsonHeaders(&r.headers),
            body_len: r.body_len(),
            body_sha256: &a.body_sha256,
        },
        response: x.response.as_ref().map(|s| JsonResponse {
            status: s.status,
            reason: &s.reason,
            headers: JsonHeaders(&s.headers),
            body_len: s.body.len(),
        }),
        auth: JsonAuth {
            mode: a.auth.mode.map(|m| m.as_str()).unwrap_or("unknown"),
            access_key: &a.auth.access_key,
            signature: &a.auth.signature,
            date: &a.auth.date,
            region: &a.auth.region,
            service: &a.auth.service,
            signed_headers: &a.auth.signed_headers,
            fields: &a.auth.fields,
        },
        verifier: a.verifier,
        verdict: a.verdict,
        dialects: &a.dialects,
        client_dialects: &a.client_dialects,
        findings: x.notes.iter().chain(a.findings.iter()).collect(),
        signing_key: &a.signing_key,
        divergence: &a.divergence,
        server_expected: &a.server_expected,
    }
}

/// Equal bytes; dialects that computed the same string share one buffer, which is then not
/// compared byte by byte.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Whether two dialects' entries differ only by name.
fn same_rest(a: &crate::engine::DialectResult, b: &crate::engine::DialectResult) -> bool {
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

/// Whether JSON (as serde_json writes it) escapes this byte: control characters, `"`, `\`.
#[inline(always)]
fn json_escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any byte of `w` is below 0x20, `"` or `\` (exact, word at a time: a byte `x` is
/// below `n` when `x - n` borrows and `x`'s top bit is clear).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    (below(w, 0x20) | zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64))) != 0
}

/// The index of the first byte at or after `from` that JSON escapes (or, with `ASCII`, that
/// is not ASCII); `b.len()` if none. Sixteen bytes at a time with SSE2 (every x86-64 has
/// it), eight at a time elsewhere: the canonical strings of every exchange pass through here.
#[inline(always)]
fn next_special<const ASCII: bool>(b: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::*;
        while i + 16 <= b.len() {
            // SAFETY: `i + 16 <= b.len()`, so the unaligned 16-byte load stays inside `b`;
            // SSE2 is enabled for this target (the cfg above).
            #[allow(unsafe_code)]
            let mask = unsafe {
                let x = _mm_loadu_si128(b.as_ptr().add(i).cast());
                let lim = _mm_set1_epi8(0x1f);
                // x <= 0x1f, unsigned: max(x, 0x1f) == 0x1f.
                let ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, lim), lim);
                let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
                let bslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
                let m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ctl, quote), bslash)) as u32;
                if ASCII {
                    m | _mm_movemask_epi8(x) as u32
                } else {
                    m
                }
            };
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    while let Some(word) = b.get(i..i + 8) {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if word_needs_escape(w) || (ASCII && w & HIGH != 0) {
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if json_escaped(c) || (ASCII && c >= 0x80) {
            return i;
        }
        i += 1;
    }
    i
}

/// Appends `s` as a JSON string, byte for byte as serde_json writes it (`\"`, `\\`, `\b`,
/// `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`, everything else as is),
/// copying the runs between escapes whole.
fn json_str(out: &mut Vec<u8>, s: &str) {
    json_utf8(out, s.as_bytes())
}

/// Bytes as a JSON string the way `json_str(&text(b))` writes them: ASCII (the usual case)
/// is escaped in the same pass that finds it is ASCII.
fn json_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let at = out.len();
    if !json_escape::<true>(out, b) {
        out.truncate(at);
        json_escape::<false>(out, text(b).as_bytes());
    }
}

/// [`json_str`] on bytes known to be UTF-8 (escaping works byte by byte either way).
fn json_utf8(out: &mut Vec<u8>, b: &[u8]) {
    json_escape::<false>(out, b);
}

/// Appends `b` as a JSON string; with `ASCII`, gives up (returning false, `out` partly
/// written) at the first byte that is not ASCII.
#[inline(always)]
fn json_escape<const ASCII: bool>(out: &mut Vec<u8>, b: &[u8]) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    loop {
        i = next_special::<ASCII>(b, i);
        let Some(&c) = b.get(i) else { break };
        if ASCII && c >= 0x80 {
            return false;
        }
        out.extend_from_slice(&b[run..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ]),
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
    true
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

/// [`JsonHeaders`], written directly.
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
    let r = &j.request;
    key!(out, "request");
    key!(out, open "method");
    json_str(out, r.method);
    key!(out, "target");
    json_bytes(out, &x.request.target);
    key!(out, "headers");
    json_headers(out, r.headers.0);
    key!(out, "body_len");
    json_uint(out, r.body_len);
    json_key(out, false, "body_sha256");
    json_str(out, r.body_sha256);
    out.push(b'}');
    key!(out, "response");
    match &j.response {
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
    let au = &j.auth;
    key!(out, "auth");
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
    key!(out, "verifier");
    json_str(out, j.verifier);
    key!(out, "verdict");
    json_str(out, j.verdict.as_str());
    out.extend_from_slice(b",\"dialects\":[");
    // Where, in `out`, each dialect's entry after its name, and its escaped canonical request
    // and string to sign, lie (None when copied from an earlier dialect's).
    let n = j.dialects.len();
    let mut rests: Vec<std::ops::Range<usize>> = Vec::with_capacity(n);
    let mut crs: Vec<Option<std::ops::Range<usize>>> = Vec::with_capacity(n);
    let mut stss: Vec<Option<std::ops::Range<usize>>> = Vec::with_capacity(n);
    for (i, d) in j.dialects.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        key!(out, open "name");
        json_str(out, d.name);
        let start = out.len();
        if let Some(k) = (0..i).find(|&k| same_rest(&j.dialects[k], d)) {
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
                        && j.dialects[k]
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
            stss[k].is_some() && same_bytes(&j.dialects[k].string_to_sign, &d.string_to_sign)
        });
        match earlier.and_then(|k| stss[k].clone()) {
            Some(r) => out.extend_from_within(r),
            None => json_bytes(out, &d.string_to_sign),
        }
        stss.push(Some(at..out.len()));
        key!(out, "signature");
        json_opt_str(out, d.signature.as_deref());
        key!(out, "matches");
        json_opt_bool(out, d.matches);
        key!(out, "rejects");
        json_opt_str(out, d.rejects.as_deref());
        key!(out, "unsupported");
        json_opt_bool(out, Some(d.unsupported));
        if !d.chunks.is_empty() {
            json_field(out, false, "chunks", &d.chunks);
        }
        out.push(b'}');
        rests.push(start..out.len());
    }
    out.push(b']');
    key!(out, "client_dialects");
    json_str_list(out, j.client_dialects);
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
    json_field(out, false, "divergence", j.divergence);
    json_field(out, false, "server_expected", j.server_expected);
    out.push(b'}');
}

pub const TSV_HEADER: &str =
    "index\tsource\ttime\tclient\tserver\tmethod\ttarget\thost\tauth\taccess_key\tstatus\n";

/// One line of `--format tsv`: the request as listed, no verification (fields escaped, so a
/// tab or newline from the capture cannot break the table).
pub fn to_tsv(x: &Exchange) -> String {
    use crate::http::Headers;
    let r = &x.request;
    let d = crate::engine::auth::detect(r);
    let f = |s: &str| escape_str(s);
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        x.index,
        f(&x.source),
        x.time
            .map(crate::engine::time::format_rfc3339)
            .unwrap_or_default(),
        f(x.client.as_deref().unwrap_or("")),
        f(x.server.as_deref().unwrap_or("")),
        f(&r.method),
        escape_bytes(&r.target),
        f(&r.header("host").unwrap_or_default()),
        d.info.mode.map(|m| m.as_str()).unwrap_or("unknown"),
        f(d.info.access_key.as_deref().unwrap_or("")),
        x.response
            .as_ref()
            .map(|s| s.status.to_string())
            .unwrap_or_default()
    )
}

fn verdict_badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "VALID",
        Verdict::Invalid => "INVALID",
        Verdict::Unverified => "UNVERIFIED",
        Verdict::Anonymous => "ANONYMOUS",
        Verdict::Malformed => "MALFORMED",
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

pub fn to_text(x: &Exchange, a: &Analysis) -> String {
    let r = &x.request;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "#{} {} {} {}  [{}]",
        x.index,
        escape_str(&r.method),
        escape_bytes(&r.target),
        x.response
            .as_ref()
            .map(|p| format!("→ {}", p.status))
            .unwrap_or_default(),
        verdict_badge(a.verdict)
    );
    let _ = writeln!(s, "  source:   {}", escape_str(&x.source));
    if let Some(t) = x.time {
        let _ = writeln!(s, "  time:     {}", crate::engine::time::format_rfc3339(t));
    }
    if let (Some(c), Some(sv)) = (&x.client, &x.server) {
        let _ = writeln!(s, "  client:   {} → {}", escape_str(c), escape_str(sv));
    }
    let _ = writeln!(
        s,
        "  auth:     {}",
        a.auth.mode.map(|m| m.as_str()).unwrap_or("unknown")
    );
    if let Some(ak) = &a.auth.access_key {
        let _ = writeln!(s, "  key:      {}", escape_str(ak));
    }
    if let (Some(reg), Some(svc)) = (&a.auth.region, &a.auth.service) {
        let _ = writeln!(
            s,
            "  scope:    region {} service {}",
            escape_str(reg),
            escape_str(svc)
        );
    }
    for (k, v) in &a.auth.fields {
        let _ = writeln!(s, "  {}: {}", escape_str(k), escape_str(v));
    }
    let _ = writeln!(s, "  verifier: {}", a.verifier);
    if !a.client_dialects.is_empty() {
        let _ = writeln!(s, "  client dialect(s): {}", a.client_dialects.join(", "));
    }
    for f in x.notes.iter().chain(&a.findings) {
        let _ = writeln!(s, "  ! {}: {}", f.code, escape_str(&f.message));
    }
    if let Some(d) = &a.divergence {
        let _ = writeln!(
            s,
            "  diverges: {:?} line {} column {} against {}",
            d.step,
            d.line,
            d.column,
            escape_str(&d.against)
        );
        let _ = writeln!(s, "    client signed: {}", escape_str(&d.ours));
        let _ = writeln!(
            s,
            "    {:>13}: {}",
            escape_str(&d.against),
            escape_str(&d.theirs)
        );
        if let Some(k) = &d.knob {
            let _ = writeln!(s, "    knob: {}", escape_str(k));
        }
    }
    if let Some(d) = a.dialect(a.verifier).filter(|d| !d.unsupported) {
        if let Some(cr) = &d.canonical_request {
            let _ = write!(
                s,
                "  canonical request ({}):\n{}",
                d.name,
                indent(&escape_multiline(cr))
            );
        }
        let _ = write!(
            s,
            "  string to sign ({}):\n{}",
            d.name,
            indent(&escape_multiline(&d.string_to_sign))
        );
        if let Some(k) = &a.signing_key {
            let _ = writeln!(
                s,
                "  signing key: kDate {} → kRegion {} → kService {} → kSigning {}",
                k.k_date, k.k_region, k.k_service, k.k_signing
            );
        }
        if let Some(sig) = &d.signature {
            let _ = writeln!(
                s,
                "  signature: claimed  {}",
                escape_str(a.auth.signature.as_deref().unwrap_or(""))
            );
            let _ = writeln!(s, "             computed {sig}");
        }
        for c in &d.chunks {
            let _ = writeln!(
                s,
                "  chunk {} ({} bytes): {}",
                c.index,
                c.size,
                match c.matches {
                    Some(true) => "ok",
                    Some(false) => "MISMATCH",
                    None => "unverified",
                }
            );
        }
    }
    if let Some(resp) = &x.response {
        if resp.status >= 400 && !resp.body.is_empty() {
            let body = crate::http::decoded_body(resp, &resp.body, 1 << 20)
                .unwrap_or_else(|| resp.body.clone());
            let shown = &body[..body.len().min(2048)];
            let _ = write!(
                s,
                "  response {} body:\n{}",
                resp.status,
                indent(&escape_multiline(shown))
            );
            if body.len() > shown.len() {
                let _ = writeln!(s, "    … ({} more bytes)", body.len() - shown.len());
            }
        }
    }
    if !a.dialects.is_empty() {
        let _ = writeln!(s, "  dialects:");
        for d in &a.dialects {
            let state = if d.unsupported {
                "n/a".to_string()
            } else {
                match (d.matches, &d.rejects) {
                    (Some(true), None) => "match".into(),
                    (Some(true), Some(r)) => format!("match, but rejects: {}", escape_str(r)),
                    (Some(false), _) => "mismatch".into(),
                    (None, _) => "not checked (no secret)".into(),
                }
            };
            let _ = writeln!(s, "    {:<16} {state}", d.name);
        }
    }
    s
}

/// One cell of a markdown table: escaped, pipes and backticks neutralised, spaces visible.
fn cell(line: &str) -> String {
    let e = escape_str(line).replace('|', "\\|").replace('`', "'");
    if e.is_empty() {
        "*(empty)*".into()
    } else {
        format!("`{e}`")
    }
}

/// Both sides of the divergent step side by side, the first differing line marked.
fn markdown_divergence(s: &mut String, a: &Analysis, d: &crate::engine::diagnose::Divergence) {
    let client = a.client_dialects.first().and_then(|n| a.dialect(n));
    let theirs_text: Option<String> = if d.against == "server" {
        a.server_expected.as_ref().and_then(|se| match d.step {
            crate::engine::diagnose::Step::CanonicalRequest => se.canonical_request.clone(),
            _ => se.string_to_sign.clone(),
        })
    } else {
        a.dialect(&d.against).map(|v| match d.step {
            crate::engine::diagnose::Step::CanonicalRequest => v
                .canonical_request
                .as_deref()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .unwrap_or_default(),
            _ => String::from_utf8_lossy(&v.string_to_sign).into_owned(),
        })
    };
    let ours_text: Option<String> =
        client
            .or_else(|| a.dialect(a.verifier))
            .map(|c| match d.step {
                crate::engine::diagnose::Step::CanonicalRequest => c
                    .canonical_request
                    .as_deref()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .unwrap_or_default(),
                _ => String::from_utf8_lossy(&c.string_to_sign).into_owned(),
            });
    let step = match d.step {
        crate::engine::diagnose::Step::CanonicalRequest => "canonical request",
        crate::engine::diagnose::Step::StringToSign => "string to sign",
        crate::engine::diagnose::Step::SigningKey => "signing key",
        crate::engine::diagnose::Step::Signature => "signature",
    };
    let _ = writeln!(s, "\n### Where it diverges\n");
    let _ = writeln!(
        s,
        "The {step} differs at **line {}, column {}** (against `{}`).",
        d.line,
        d.column,
        escape_str(&d.against)
    );
    if let Some(k) = &d.knob {
        let _ = writeln!(s, "\nResponsible knob: {}", escape_str(k));
    }
    if let (Some(o), Some(t)) = (ours_text, theirs_text) {
        let who = client.map(|c| c.name).unwrap_or(a.verifier);
        let _ = writeln!(
            s,
            "\n| | client signed ({who}) | {} computed |\n|---|---|---|",
            escape_str(&d.against)
        );
        let (ol, tl): (Vec<&str>, Vec<&str>) = (o.split('\n').collect(), t.split('\n').collect());
        for i in 0..ol.len().max(tl.len()) {
            let mark = if i + 1 == d.line { "**→**" } else { "" };
            let _ = writeln!(
                s,
                "| {mark}{} | {} | {} |",
                i + 1,
                cell(ol.get(i).copied().unwrap_or("")),
                cell(tl.get(i).copied().unwrap_or(""))
            );
        }
    }
    if d.step == crate::engine::diagnose::Step::CanonicalRequest {
        if let Some(c) = client {
            let _ = writeln!(
                s,
                "\n**String to sign ({})**\n\n```\n{}\n```",
                c.name,
                escape_multiline(&c.string_to_sign)
            );
        }
    }
}

pub fn to_markdown(x: &Exchange, a: &Analysis) -> String {
    let r = &x.request;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## #{} `{} {}` — {}\n",
        x.index,
        escape_str(&r.method),
        escape_bytes(&r.target).replace('`', "\\`"),
        a.verdict.as_str()
    );
    let _ = writeln!(s, "| field | value |\n|---|---|");
    let _ = writeln!(s, "| source | `{}` |", escape_str(&x.source));
    let _ = writeln!(
        s,
        "| auth mode | {} |",
        a.auth.mode.map(|m| m.as_str()).unwrap_or("unknown")
    );
    if let Some(ak) = &a.auth.access_key {
        let _ = writeln!(s, "| access key | `{}` |", escape_str(ak));
    }
    let _ = writeln!(s, "| verifier | {} |", a.verifier);
    let _ = writeln!(
        s,
        "| client dialects | {} |",
        if a.client_dialects.is_empty() {
            "—".to_string()
        } else {
            a.client_dialects.join(", ")
        }
    );
    if let Some(p) = &x.response {
        let _ = writeln!(s, "| response | {} |", p.status);
    }
    if !a.findings.is_empty() || !x.notes.is_empty() {
        let _ = writeln!(s, "\n**Findings**\n");
        for f in x.notes.iter().chain(&a.findings) {
            let _ = writeln!(s, "- `{}`: {}", f.code, escape_str(&f.message));
        }
    }
    if let Some(div) = &a.divergence {
        markdown_divergence(&mut s, a, div);
    } else if let Some(d) = a.dialect(a.verifier).filter(|d| !d.unsupported) {
        if let Some(cr) = &d.canonical_request {
            let _ = writeln!(
                s,
                "\n**Canonical request ({})**\n\n```\n{}\n```",
                d.name,
                escape_multiline(cr)
            );
        }
        let _ = writeln!(
            s,
            "\n**String to sign ({})**\n\n```\n{}\n```",
            d.name,
            escape_multiline(&d.string_to_sign)
        );
    }
    if let Some(se) = &a.server_expected {
        let _ = writeln!(
            s,
            "\n**The server answered** `{}`{}",
            escape_str(&se.code),
            se.message
                .as_deref()
                .map(|m| format!(": {}", escape_str(m)))
                .unwrap_or_default()
        );
    }
    if !a.dialects.is_empty() {
        let _ = writeln!(
            s,
            "\n| dialect | signature matches | rejects |\n|---|---|---|"
        );
        for d in &a.dialects {
            let m = match (d.unsupported, d.matches) {
                (true, _) => "n/a",
                (_, Some(true)) => "yes",
                (_, Some(false)) => "no",
                (_, None) => "not checked",
            };
            let _ = writeln!(
                s,
                "| {} | {m} | {} |",
                d.name,
                d.rejects.as_deref().map(escape_str).unwrap_or_default()
            );
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_check_is_exact() {
        for fill in [b'a', 0x7f, 0x80, 0xff, b' ', b'!', b'#', b'[', b']'] {
            for pos in 0..8 {
                for c in 0u8..=255 {
                    let mut w = [fill; 8];
                    w[pos] = c;
                    assert_eq!(
                        word_needs_escape(u64::from_le_bytes(w)),
                        w.iter().any(|&b| json_escaped(b)),
                        "{w:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn special_byte_scan_is_exact() {
        // Every byte value at every position of a buffer longer than two SIMD blocks.
        for fill in [b'a', 0x7f, 0x80, 0xff, b' ', b'!', b'#', b'[', b']'] {
            for pos in 0..40 {
                for c in 0u8..=255 {
                    let mut b = vec![fill; 40];
                    b[pos] = c;
                    let first = |ascii: bool| {
                        b.iter()
                            .position(|&x| json_escaped(x) || (ascii && x >= 0x80))
                            .unwrap_or(b.len())
                    };
                    for from in [0, 3, pos.min(39)] {
                        let expect = |ascii: bool| {
                            b[from..]
                                .iter()
                                .position(|&x| json_escaped(x) || (ascii && x >= 0x80))
                                .map_or(b.len(), |p| p + from)
                        };
                        assert_eq!(
                            next_special::<false>(&b, from),
                            expect(false),
                            "{b:?} {from}"
                        );
                        assert_eq!(next_special::<true>(&b, from), expect(true), "{b:?} {from}");
                    }
                    assert_eq!(next_special::<true>(&b, 0), first(true));
                }
            }
        }
    }

    #[test]
    fn json_str_is_serde_json() {
        let mut all: Vec<String> = (0u32..=0x7f)
            .map(|c| char::from_u32(c).unwrap().to_string())
            .collect();
        all.push((0u8..0x80).map(char::from).collect());
        all.push("GET\n/a\tb\r\n\"q\"\\ é ✓ \u{7f}\u{1f}".into());
        all.push("x".repeat(40) + "\n" + &"y".repeat(17) + "\"" + &"z".repeat(33));
        all.push(String::new());
        for s in all {
            let mut got = Vec::new();
            json_str(&mut got, &s);
            assert_eq!(got, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
        for b in [&b"a\xffb\n\"c"[..], b"\xe2\x9c", b"plain ascii", b""] {
            let mut got = Vec::new();
            json_bytes(&mut got, b);
            assert_eq!(got, serde_json::to_vec(&text(b)).unwrap(), "{b:?}");
        }
    }
}
