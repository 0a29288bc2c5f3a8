//! Exports of an exchange for the TUI's copy and save actions: a curl command that re-sends
//! the request, the raw HTTP, HAR 1.2, the report's JSON line and markdown, and the OSC 52
//! escape that puts text on the terminal's clipboard.
//!
//! Everything here is pure. Captured bytes are hostile until proven otherwise: the curl command
//! quotes every one of them (no capture can make it run anything but curl, nor read a local
//! file), and no export writes a secret (Basic passwords, bearer and session tokens are masked
//! or replaced by environment variables; SigV4/SigV2 signatures are not secrets and stay, so
//! what is exported still verifies).

use std::fmt::Write as _;
use std::io::Write as _;

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::engine::auth::{self, Mode};
use crate::engine::encode::{decode_params, percent_decode, split_pairs, uri_encode};
use crate::engine::Analysis;
use crate::exchange::Exchange;
use crate::http::{text, Header, Headers, Request};
use crate::tui::filter::{host_of, scheme_of, write_url};

/// Bodies up to this size are written into the curl command; larger ones are read from
/// [`BODY_FILE`].
pub const INLINE_BODY_MAX: usize = 64 << 10;
/// The file a curl command reads a large or incomplete body from (see [`body_file`]).
pub const BODY_FILE: &str = "body.bin";
/// OSC 52 payloads longer than this are refused: xterm, tmux and most terminals cap the
/// sequence near 100 KB and silently drop longer ones.
pub const OSC52_MAX_BASE64: usize = 100_000;

/// `--aws-sigv4` needs these in the environment; they are never written into the command.
const ENV_KEYS: &str = "\"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"";

// ---------------------------------------------------------------------------------------------
// Shell quoting

/// One shell word holding exactly `b`: `'…'` when every byte is printable ASCII, else bash's
/// `$'…'` with every other byte as `\xNN` (so no control byte, and no bidi or look-alike
/// character, reaches the terminal the command is pasted into). A NUL cannot be passed in an
/// argument at all; bodies that hold one go through [`printf_word`].
pub fn shell_quote(b: &[u8]) -> String {
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        let mut s = String::with_capacity(b.len() + 2);
        s.push('\'');
        for &c in b {
            if c == b'\'' {
                s.push_str("'\\''");
            } else {
                s.push(c as char);
            }
        }
        s.push('\'');
        return s;
    }
    let mut s = String::with_capacity(b.len() * 2 + 3);
    s.push_str("$'");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\'"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(c as char),
            // Always two digits: `\x1` followed by `a` would read as `\x1a`.
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('\'');
    s
}

/// A `'…'` argument for `printf %b` that prints exactly `b`, NUL bytes included.
fn printf_word(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2 + 2);
    s.push('\'');
    for &c in b {
        match c {
            // `\c` would stop printf; a single quote would end the word.
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\x27"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('\'');
    s
}

/// Comment text: ASCII only, escaped, never a line break (which would end the comment).
fn comment(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// What replaces a secret header in an export: masked as the report masks it. `None` for
/// headers that are not secret (SigV4/SigV2 Authorization included: signatures are not
/// secrets, and the export must still verify).
fn masked(h: &Header) -> Option<Vec<u8>> {
    auth::masked_header(&h.name, &h.value).map(String::into_bytes)
}

/// For the curl command: the environment variable a secret header's value comes from, and
/// the part of the value kept before it (the scheme).
fn secret_env(h: &Header) -> Option<(&'static str, String)> {
    let n = &h.name;
    if n.eq_ignore_ascii_case(b"authorization") || n.eq_ignore_ascii_case(b"proxy-authorization") {
        let v = text(&h.value);
        let scheme = v.split(' ').next().unwrap_or("").to_string();
        if scheme.len() >= 3 && scheme[..3].eq_ignore_ascii_case("aws") {
            return None;
        }
        let var = if n.eq_ignore_ascii_case(b"proxy-authorization") {
            "PROXY_CREDENTIALS"
        } else if scheme.eq_ignore_ascii_case("basic") {
            "BASIC_CREDENTIALS"
        } else if scheme.eq_ignore_ascii_case("bearer") {
            "BEARER_TOKEN"
        } else {
            "AUTH_CREDENTIALS"
        };
        return Some((var, format!("{scheme} ")));
    }
    if n.eq_ignore_ascii_case(b"x-amz-security-token") {
        return Some(("AWS_SESSION_TOKEN", String::new()));
    }
    if n.eq_ignore_ascii_case(b"x-auth-token") {
        return Some(("AUTH_TOKEN", String::new()));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// curl

/// A curl command (bash) that re-sends the request to where it was sent.
pub fn curl(x: &Exchange, a: Option<&Analysis>) -> String {
    curl_to(x, a, None)
}

/// The body a curl command reads from [`BODY_FILE`], when it does: save these bytes there
/// before running it. `None` when the body is inline.
pub fn body_file(x: &Exchange) -> Option<&[u8]> {
    let r = &x.request;
    (!r.body.is_empty() && (r.body.len() > INLINE_BODY_MAX || !r.body_complete()))
        .then_some(r.body.as_slice())
}

/// [`curl`] with `scheme://host[:port]` replaced by `base_url` (a test server, a staging
/// endpoint). SigV4 requests are then signed for the new host; other requests keep their
/// original `Host` header, which their signature may cover.
///
/// SigV4 header-signed requests are re-signed by curl itself (`--aws-sigv4`, curl ≥ 7.75) with
/// the keys from `$AWS_ACCESS_KEY_ID`/`$AWS_SECRET_ACCESS_KEY`: curl adds a fresh
/// `X-Amz-Date` and `Authorization`, so the captured ones are dropped. Everything else
/// (SigV2, presigned and streaming SigV4, Query, anonymous, Basic/Bearer/X-Auth-Token) is
/// re-sent exactly as captured, secrets taken from environment variables named in a comment.
pub fn curl_to(x: &Exchange, a: Option<&Analysis>, base_url: Option<&str>) -> String {
    let r = &x.request;
    let detected;
    let info = match a {
        Some(a) => &a.auth,
        None => {
            detected = auth::detect(r);
            &detected.info
        }
    };
    let mode = info.mode.unwrap_or(Mode::Unknown);
    let mut notes: Vec<String> = Vec::new();
    let mut env_vars: Vec<&'static str> = Vec::new();

    // Re-sign only what curl's signer can reproduce: a header-signed SigV4 request whose scope
    // names a plain region and service (curl splits the provider string on `:`).
    let plain = |s: &Option<String>| {
        s.as_deref().is_some_and(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
    };
    let resign = mode == Mode::Sigv4Header
        && plain(&info.region)
        && plain(&info.service)
        && r.header("authorization")
            .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "));
    let mut head = format!(
        "# sigscope #{}: {} {} ({})",
        x.index,
        comment(r.method.as_bytes()),
        comment(&r.target),
        mode.as_str()
    );
    if resign {
        head.push_str(", re-signed by curl --aws-sigv4 with a fresh X-Amz-Date");
        if let Some(ak) = &info.access_key {
            notes.push(format!(
                "signed by access key {} in the capture",
                comment(ak.as_bytes())
            ));
        }
        env_vars.extend(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    } else {
        head.push_str(", re-sent as captured");
        if mode == Mode::Sigv4Header {
            notes.push("the credential scope is not one curl --aws-sigv4 can sign for".into());
        } else if matches!(mode, Mode::Sigv4Query | Mode::Sigv4Streaming) {
            notes.push(format!(
                "{}: curl cannot re-sign it, so it replays the captured signature and date",
                mode.as_str()
            ));
        }
    }

    // URL: origin-form target after `scheme://host` (or the override).
    let mut target = origin_form(&r.target).to_vec();
    if resign {
        // curl before 8.x signs the query as written; AWS signs it sorted and RFC 3986
        // encoded. Sending the canonical form makes both agree, and means the same to AWS.
        if let Some(q) = query_of(&target) {
            let canon = canonical_query(q);
            if canon != q {
                let path_len = target.len() - q.len() - 1;
                target.truncate(path_len + 1);
                target.extend_from_slice(&canon);
                notes.push("query rewritten in SigV4 canonical order and encoding (curl before 8.x signs it as written)".into());
            }
        }
    }
    if resign {
        // curl before 8.x signs the path as written, where AWS encodes S3 keys once and other
        // services' paths twice after normalising them: say so where they differ.
        let path = target.split(|&b| b == b'?').next().unwrap_or(&[]);
        let s3 = info.service.as_deref() == Some("s3");
        let differs = if s3 {
            crate::engine::encode::uri_encode_path(&percent_decode(path, false)).as_bytes() != path
        } else {
            path.contains(&b'%')
                || path.windows(2).any(|w| w == b"//")
                || path
                    .split(|&b| b == b'/')
                    .any(|seg| seg == b"." || seg == b"..")
        };
        if differs {
            notes.push("curl before 8.x signs this path as written, not as AWS canonicalises it: a SignatureDoesNotMatch may come from that".into());
        }
        if has_data_for(r) && !r.has_header("content-type") {
            notes.push("curl adds Content-Type: application/x-www-form-urlencoded to a body sent without one (its signer cannot sign the header's removal)".into());
        }
    }
    let mut url = Vec::new();
    match base_url {
        Some(b) => url.extend_from_slice(b.trim_end_matches('/').as_bytes()),
        None => {
            url.extend_from_slice(scheme_of(x).as_bytes());
            url.extend_from_slice(b"://");
            match host_of(r).filter(|h| !h.is_empty()) {
                Some(h) => url.extend_from_slice(h),
                None => {
                    url.extend_from_slice(x.server.as_deref().unwrap_or("localhost").as_bytes())
                }
            }
        }
    }
    let (safe_target, reencoded) = url_safe(&target);
    if reencoded {
        notes.push(
            "bytes a URL cannot carry raw (controls, spaces, non-ASCII, #) were percent-encoded"
                .into(),
        );
    }
    url.extend_from_slice(&safe_target);

    // Body.
    let has_data = has_data_for(r);
    let head_method = r.method.eq_ignore_ascii_case("HEAD");
    let mut pipe_from: Option<String> = None;
    let mut data: Option<String> = None;
    if has_data {
        let b = &r.body;
        if body_file(x).is_some() {
            if r.body_complete() {
                notes.push(format!(
                    "the body ({} bytes) is not inlined: save it as {BODY_FILE} first",
                    b.len()
                ));
            } else {
                notes.push(format!(
                    "only the first {} of {} body bytes were captured: {BODY_FILE} must hold the whole body",
                    b.len(),
                    r.body_len()
                ));
            }
            data = Some(format!("--data-binary @{BODY_FILE}"));
        } else if b.contains(&0) {
            // No argument can hold a NUL: printf writes the bytes, curl reads stdin.
            pipe_from = Some(format!("printf %b {} |", printf_word(b)));
            data = Some("--data-binary @-".into());
        } else {
            // --data-raw: a leading `@` is data, not a file name to upload.
            data = Some(format!("--data-raw {}", shell_quote(b)));
        }
    }

    // Headers.
    let mut hs: Vec<String> = Vec::new();
    for h in &r.headers {
        let n = &h.name;
        let is = |s: &str| n.eq_ignore_ascii_case(s.as_bytes());
        // curl frames the body itself.
        if is("content-length") {
            continue;
        }
        // curl computes these. x-amz-content-sha256 stays: curl 7.88 adds none of its own and
        // signs the value given as the payload hash (UNSIGNED-PAYLOAD and streaming included),
        // checked against a listener; a second X-Amz-Date would be sent twice.
        if resign && (is("authorization") || is("x-amz-date") || is("host")) {
            continue;
        }
        if !resign && is("host") && base_url.is_none() {
            continue; // the URL carries it
        }
        if let Some((var, keep)) = secret_env(h) {
            let mut word = shell_quote(&[n.as_slice(), b": ", keep.as_bytes()].concat());
            let _ = write!(word, "\"${var}\"");
            hs.push(word);
            if !env_vars.contains(&var) {
                env_vars.push(var);
            }
            continue;
        }
        if h.value.is_empty() {
            if resign {
                // curl's signer lists `name;` headers wrongly (a stray `;` in SignedHeaders).
                notes.push(format!(
                    "empty header {} dropped: curl's SigV4 signer mishandles empty values",
                    comment(n)
                ));
                continue;
            }
            // `Name:` would remove the header; `Name;` sends it empty.
            hs.push(shell_quote(&[n.as_slice(), b";"].concat()));
            continue;
        }
        hs.push(shell_quote(
            &[n.as_slice(), b": ", h.value.as_slice()].concat(),
        ));
    }
    if !resign {
        // curl's own defaults would change what was captured (and what SigV2 signs). Not when
        // re-signing: curl 7.x signs a removed header as if it were sent.
        let mut suppress = vec!["User-Agent", "Accept"];
        if has_data {
            suppress.extend(["Content-Type", "Expect"]);
        }
        for name in suppress {
            if !r.has_header(name) {
                hs.push(shell_quote(format!("{name}:").as_bytes()));
            }
        }
    }

    // Assemble.
    let mut out = String::new();
    out.push_str(&head);
    out.push('\n');
    for n in &notes {
        let _ = writeln!(out, "# {n}");
    }
    if !env_vars.is_empty() {
        let _ = writeln!(
            out,
            "# reads {} from the environment",
            env_vars
                .iter()
                .map(|v| format!("${v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut args: Vec<String> = Vec::new();
    args.push("--globoff --path-as-is".into());
    args.push(if r.version.eq_ignore_ascii_case("HTTP/1.0") {
        "--http1.0".into()
    } else {
        "--http1.1".into()
    });
    if head_method {
        args.push("--head".into());
    } else if r.method != if data.is_some() { "POST" } else { "GET" } {
        let m = r.method.as_bytes();
        args.push(
            if !m.is_empty() && m.iter().all(u8::is_ascii_alphanumeric) {
                format!("-X {}", r.method)
            } else {
                format!("-X {}", shell_quote(m))
            },
        );
    }
    if resign {
        let region = info.region.as_deref().unwrap_or("");
        let service = info.service.as_deref().unwrap_or("");
        args.push(format!(
            "--aws-sigv4 {}",
            shell_quote(format!("aws:amz:{region}:{service}").as_bytes())
        ));
        args.push(format!("--user {ENV_KEYS}"));
    }
    args.extend(hs.into_iter().map(|h| format!("-H {h}")));
    args.extend(data);
    args.push(shell_quote(&url));
    if let Some(p) = pipe_from {
        out.push_str(&p);
        out.push(' ');
    }
    out.push_str("curl");
    for a in &args {
        out.push_str(" \\\n  ");
        out.push_str(a);
    }
    out.push('\n');
    out
}

/// Whether the request carries a body, even an empty one with `Content-Length: 0` (HEAD
/// excluded: curl sends none).
fn has_data_for(r: &Request) -> bool {
    !r.method.eq_ignore_ascii_case("HEAD")
        && (!r.body.is_empty()
            || r.has_header("content-length")
            || r.header("transfer-encoding")
                .is_some_and(|t| t.to_ascii_lowercase().contains("chunked")))
}

/// The target from its path on: absolute-form loses scheme and authority.
fn origin_form(t: &[u8]) -> &[u8] {
    if t.first() == Some(&b'/') {
        return t;
    }
    if let Some(i) = t.windows(3).position(|w| w == b"://") {
        let rest = &t[i + 3..];
        return match rest.iter().position(|&b| b == b'/' || b == b'?') {
            Some(j) => &rest[j..],
            None => b"/",
        };
    }
    t
}

fn query_of(target: &[u8]) -> Option<&[u8]> {
    target
        .iter()
        .position(|&b| b == b'?')
        .map(|i| &target[i + 1..])
}

/// The query as the `aws` dialect canonicalises it: pairs decoded (`+` kept), RFC 3986
/// encoded, sorted by name then value.
fn canonical_query(q: &[u8]) -> Vec<u8> {
    let mut pairs: Vec<(String, String)> = split_pairs(q)
        .into_iter()
        .map(|(k, v)| {
            (
                uri_encode(&percent_decode(k, false)),
                uri_encode(&percent_decode(v.unwrap_or(b""), false)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Percent-encodes what curl would refuse or reinterpret in a URL (controls, space, non-ASCII,
/// `#` which would start a fragment); whether anything changed.
fn url_safe(t: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(t.len());
    let mut changed = false;
    for &b in t {
        if b <= 0x20 || b >= 0x7f || b == b'#' {
            let _ = write!(out, "%{b:02X}");
            changed = true;
        } else {
            out.push(b);
        }
    }
    if out.first() != Some(&b'/') {
        out.insert(0, b'/');
    }
    (out, changed)
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

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
    for &b in &r.target {
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
        write_body(&mut out, s, &s.body);
    }
    out
}

fn version(v: &str) -> &str {
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

// ---------------------------------------------------------------------------------------------
// HAR

/// HAR 1.2 of the given exchanges, as sigscope's HAR reader and browsers' importers read it.
/// Bodies that are not UTF-8 are base64 (`encoding`, which sigscope reads for requests too);
/// Basic/Bearer/token secrets are masked, signatures kept. Each entry carries a `_sigscope`
/// object (source; mode, verdict and finding codes when analysed). Exchanges without a capture
/// time get the Unix epoch, as HAR requires a start time.
pub fn har(items: &[(&Exchange, Option<&Analysis>)]) -> String {
    let entries: Vec<Value> = items.iter().map(|(x, a)| har_entry(x, *a)).collect();
    let doc = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "sigscope", "version": env!("CARGO_PKG_VERSION")},
            "entries": entries,
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn har_headers(hs: &[Header]) -> Value {
    Value::Array(
        hs.iter()
            .map(|h| {
                let v = masked(h).unwrap_or_else(|| h.value.clone());
                json!({"name": text(&h.name), "value": text(&v)})
            })
            .collect(),
    )
}

/// `text` when the bytes are UTF-8, else base64 with `encoding`.
fn har_text(obj: &mut Map<String, Value>, body: &[u8]) {
    match std::str::from_utf8(body) {
        Ok(s) => {
            obj.insert("text".into(), Value::String(s.into()));
        }
        Err(_) => {
            obj.insert(
                "text".into(),
                base64::engine::general_purpose::STANDARD
                    .encode(body)
                    .into(),
            );
            obj.insert("encoding".into(), "base64".into());
        }
    }
}

fn head_size(r: &Request) -> usize {
    r.method.len()
        + 1
        + r.target.len()
        + 1
        + version(&r.version).len()
        + 2
        + r.headers
            .iter()
            .map(|h| h.name.len() + 2 + h.value.len() + 2)
            .sum::<usize>()
        + 2
}

fn har_entry(x: &Exchange, a: Option<&Analysis>) -> Value {
    let r = &x.request;
    let mut url = Vec::new();
    write_url(x, &mut url);
    let query: Vec<Value> = r
        .query()
        .map(decode_params)
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| json!({"name": text(k), "value": text(v)}))
        .collect();
    let mut request = json!({
        "method": r.method,
        "url": text(&url),
        "httpVersion": version(&r.version),
        "cookies": [],
        "headers": har_headers(&r.headers),
        "queryString": query,
        "headersSize": head_size(r),
        "bodySize": r.body_len(),
    });
    if !r.body.is_empty() || r.has_header("content-length") {
        let mut post = Map::new();
        post.insert(
            "mimeType".into(),
            r.header("content-type").unwrap_or_default().into(),
        );
        har_text(&mut post, &r.body);
        if !r.body_complete() {
            post.insert(
                "comment".into(),
                format!(
                    "sigscope kept the first {} of {} bytes",
                    r.body.len(),
                    r.body_len()
                )
                .into(),
            );
        }
        request["postData"] = Value::Object(post);
    }
    let response = match &x.response {
        Some(s) => {
            let mut content = Map::new();
            content.insert("size".into(), s.body.len().into());
            content.insert(
                "mimeType".into(),
                s.header("content-type").unwrap_or_default().into(),
            );
            har_text(&mut content, &s.body);
            let head = version(&s.version).len()
                + 5
                + s.reason.len()
                + 2
                + s.headers
                    .iter()
                    .map(|h| h.name.len() + h.value.len() + 4)
                    .sum::<usize>()
                + 2;
            json!({
                "status": s.status,
                "statusText": s.reason,
                "httpVersion": version(&s.version),
                "cookies": [],
                "headers": har_headers(&s.headers),
                "content": Value::Object(content),
                "redirectURL": s.header("location").unwrap_or_default(),
                "headersSize": head,
                "bodySize": s.body.len(),
            })
        }
        // HAR has no "no response"; devtools write status 0, which sigscope reads back as none.
        None => json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
            "content": {"size": 0, "mimeType": ""}, "redirectURL": "",
            "headersSize": -1, "bodySize": -1,
        }),
    };
    // Full precision: pcapng timestamps have nanoseconds, and the HAR reads back the same.
    let started = x
        .time
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut ext = json!({"source": x.source});
    if let Some(a) = a {
        ext["mode"] = a.auth.mode.unwrap_or(Mode::Unknown).as_str().into();
        ext["verdict"] = a.verdict.as_str().into();
        ext["findings"] = x
            .notes
            .iter()
            .chain(&a.findings)
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
            .into();
    }
    let mut entry = json!({
        "startedDateTime": started,
        "time": 0,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    });
    if let Some((ip, port)) = x.server.as_deref().and_then(|s| s.rsplit_once(':')) {
        entry["serverIPAddress"] = ip.trim_matches(['[', ']']).into();
        entry["connection"] = port.into();
    }
    entry["_sigscope"] = ext;
    entry
}

// ---------------------------------------------------------------------------------------------
// Report formats and the clipboard

/// The exchange's line of `sigscope report --format json` (no trailing newline).
pub fn json(x: &Exchange, a: &Analysis) -> String {
    serde_json::to_string(&crate::report::to_json(x, a))
        .unwrap_or_else(|e| json!({"index": x.index, "error": e.to_string()}).to_string())
}

/// The exchange as `sigscope report --format markdown` writes it (a bug report section).
pub fn markdown(x: &Exchange, a: &Analysis) -> String {
    crate::report::to_markdown(x, a)
}

/// The URL of the request (`scheme://Host` + target), escaped for display.
pub fn url(x: &Exchange) -> String {
    let mut u = Vec::new();
    write_url(x, &mut u);
    crate::escape::escape_bytes(&u)
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes of base64 are more than the {max} a terminal clipboard (OSC 52) takes: save to a file instead")]
pub struct Osc52TooLarge {
    pub len: usize,
    pub max: usize,
}

/// The OSC 52 sequence that sets the clipboard (`c`) to `text`: `ESC ] 52 ; c ; BASE64 BEL`.
/// Refused above [`OSC52_MAX_BASE64`] bytes of base64 (about 73 KB of text). Inside tmux the
/// caller must wrap it in tmux's passthrough or enable `set-clipboard`.
pub fn osc52(text: &str) -> Result<String, Osc52TooLarge> {
    let len = text.len().div_ceil(3) * 4;
    if len > OSC52_MAX_BASE64 {
        return Err(Osc52TooLarge {
            len,
            max: OSC52_MAX_BASE64,
        });
    }
    let mut s = String::with_capacity(len + 8);
    s.push_str("\x1b]52;c;");
    base64::engine::general_purpose::STANDARD.encode_string(text, &mut s);
    s.push('\x07');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn have_bash() -> bool {
        let ok = Command::new("bash").arg("-c").arg("true").status().is_ok();
        if !ok {
            eprintln!("SKIPPED: bash is not installed; shell quoting is not checked against it");
        }
        ok
    }

    /// What bash makes of a command line: the words are checked by bash itself, not by a
    /// re-implementation of its rules.
    fn bash_stdout(script: &str) -> Vec<u8> {
        let o = Command::new("bash").arg("-c").arg(script).output().unwrap();
        assert!(
            o.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    }

    fn printable(s: &str) -> bool {
        s.bytes().all(|b| (0x20..0x7f).contains(&b))
    }

    #[test]
    fn shell_words_are_what_bash_reads() {
        if !have_bash() {
            return;
        }
        let all: Vec<u8> = (1..=255).collect();
        let cases: Vec<&[u8]> = vec![
            b"",
            b"plain",
            b"it's",
            b"'",
            b"''\\'",
            b"a\nb\r\tc",
            b"\x1b[31mred\x1b]52;c;AAAA\x07",
            b"$(touch pwned) `id` ${HOME} $HOME \\ \" ! * ? [a] ~ # ;|&<>",
            "é \u{202e}rtl".as_bytes(),
            b"\x01a\x1fb\x7f\x80\xff",
            &all,
        ];
        for c in cases {
            let w = shell_quote(c);
            assert!(printable(&w), "{w}");
            assert_eq!(bash_stdout(&format!("printf %s {w}")), c, "{w}");
        }
    }

    #[test]
    fn printf_words_carry_nul_bytes() {
        if !have_bash() {
            return;
        }
        let all: Vec<u8> = (0..=255).chain([b'\\', b'c', 0, b'%', b's']).collect();
        for c in [&all[..], b"\\c stop?", b"%s%d%%", b"\x00", b"'$(touch x)'"] {
            let w = printf_word(c);
            assert!(printable(&w), "{w}");
            assert_eq!(bash_stdout(&format!("printf %b {w}")), c, "{w}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn random_bytes_survive_quoting(b in proptest::collection::vec(1u8..=255, 0..48)) {
            if have_bash() {
                let w = shell_quote(&b);
                proptest::prop_assert!(printable(&w));
                proptest::prop_assert_eq!(bash_stdout(&format!("printf %s {w}")), b);
            }
        }
    }

    #[test]
    fn comments_cannot_end_early() {
        let c = comment(b"/a\nrm -rf ~\r\x1b[2J\xc3\xa9");
        assert!(printable(&c) && !c.contains('\n'), "{c}");
        assert!(c.contains("\\n") && c.contains("\\x1b") && c.contains("\\xc3\\xa9"));
    }

    #[test]
    fn secrets_are_masked_signatures_kept() {
        let h = |n: &str, v: &str| Header::new(n, v);
        let m = |n: &str, v: &str| masked(&h(n, v)).map(|b| String::from_utf8(b).unwrap());
        let basic = m("Authorization", "Basic dXNlcjpodW50ZXIy").unwrap();
        assert!(
            basic.starts_with("Basic ") && !basic.contains("dXNlcjpodW50ZXIy"),
            "{basic}"
        );
        let bearer = m("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig").unwrap();
        assert!(bearer.starts_with("Bearer ") && !bearer.contains("e30.sig"));
        assert!(!m("Proxy-Authorization", "Basic c2VjcmV0OnNlY3JldA==")
            .unwrap()
            .contains("c2VjcmV0OnNlY3JldA"));
        assert!(!m("X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN")
            .unwrap()
            .contains("EXAMPLETOKEN"));
        assert!(!m("X-Auth-Token", "gAAAAABexampletoken")
            .unwrap()
            .contains("exampletoken"));
        let v4 = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(m("Authorization", v4), None);
        assert_eq!(m("Authorization", "AWS AKID:c2lnbmF0dXJl"), None);
        assert_eq!(m("X-Amz-Date", "20150830T123600Z"), None);
        assert_eq!(
            secret_env(&h("Authorization", "Basic x")),
            Some(("BASIC_CREDENTIALS", "Basic ".to_string()))
        );
        assert_eq!(secret_env(&h("Authorization", v4)), None);
    }

    #[test]
    fn osc52_round_trips_and_is_capped() {
        let text = "curl 'http://h/' é\n\x1b";
        let s = osc52(text).unwrap();
        let b64 = s
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        assert!(b64
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(back, text.as_bytes());
        // 75,000 bytes are exactly 100,000 of base64: the last size accepted.
        assert!(osc52(&"x".repeat(75_000)).is_ok());
        let e = osc52(&"x".repeat(75_001)).unwrap_err();
        assert_eq!((e.len, e.max), (100_004, OSC52_MAX_BASE64));
        assert_eq!(osc52("").unwrap(), "\x1b]52;c;\x07");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query(b"b=2&a=1&a=0"), b"a=0&a=1&b=2");
        assert_eq!(canonical_query(b"acl"), b"acl=");
        assert_eq!(
            canonical_query(b"prefix=photos%2F2024%20summer%2F&delimiter=/&x=a+b&y=%7e"),
            b"delimiter=%2F&prefix=photos%2F2024%20summer%2F&x=a%2Bb&y=~"
        );
    }

    #[test]
    fn url_safety() {
        assert_eq!(
            url_safe(b"/a b#c\x1b\xc3\xa9"),
            (b"/a%20b%23c%1B%C3%A9".to_vec(), true)
        );
        assert_eq!(url_safe(b"/a?b=[1]{2}"), (b"/a?b=[1]{2}".to_vec(), false));
        assert_eq!(url_safe(b"*").0, b"/*");
        assert_eq!(origin_form(b"http://h:1/p?q"), b"/p?q");
        assert_eq!(origin_form(b"http://h?q"), b"?q");
        assert_eq!(origin_form(b"http://h"), b"/");
    }

    fn exchange(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Exchange {
        Exchange {
            server: Some("10.0.0.1:80".into()),
            request: Request {
                method: method.into(),
                target: target.as_bytes().to_vec(),
                version: "HTTP/1.1".into(),
                headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
                body: body.to_vec(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    const V4: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

    fn lines(c: &str) -> Vec<&str> {
        c.lines()
            .map(|l| l.trim().trim_end_matches(" \\"))
            .collect()
    }

    #[test]
    fn curl_methods_and_bodies() {
        let c = curl(&exchange("HEAD", "/k", &[("Host", "h")], b""), None);
        assert!(lines(&c).contains(&"--head") && !c.contains("-X"), "{c}");
        let c = curl(
            &exchange("GET", "/k", &[("Host", "h"), ("Content-Length", "0")], b""),
            None,
        );
        assert!(
            lines(&c).contains(&"-X GET") && lines(&c).contains(&"--data-raw ''"),
            "{c}"
        );
        let c = curl(&exchange("POST", "/k", &[("Host", "h")], b""), None);
        assert!(
            lines(&c).contains(&"-X POST") && !c.contains("--data"),
            "{c}"
        );
        let c = curl(&exchange("POST", "/k", &[("Host", "h")], b"a=1"), None);
        assert!(
            !c.contains("-X") && lines(&c).contains(&"--data-raw 'a=1'"),
            "{c}"
        );
        assert!(
            lines(&c).contains(&"-H 'Content-Type:'"),
            "curl's default suppressed: {c}"
        );
        let c = curl(&exchange("PUT", "/k", &[("Host", "h")], b"\x00\x01"), None);
        assert!(
            c.starts_with("# ") && c.contains("\nprintf %b '\\x00\\x01' | curl"),
            "{c}"
        );
        assert!(lines(&c).contains(&"--data-binary @-"), "{c}");
        let mut x = exchange("GET", "/k", &[("Host", "h")], b"");
        x.request.version = "HTTP/1.0".into();
        x.server = Some("[2001:db8::1]:443".into());
        let c = curl(&x, None);
        assert!(lines(&c).contains(&"--http1.0"), "{c}");
        assert!(c.trim_end().ends_with("'https://h/k'"), "{c}");
        let c = curl(&exchange("GET", "/k", &[], b""), None);
        assert!(
            c.trim_end().ends_with("'http://10.0.0.1:80/k'"),
            "no Host: the server: {c}"
        );
    }

    #[test]
    fn curl_headers_by_mode() {
        let hs = [
            ("Host", "b.s3.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("X-Empty", ""),
            ("Authorization", V4),
            ("Content-Length", "3"),
        ];
        let x = exchange("PUT", "/b/a$b?z=1&a=2", &hs, b"abc");
        let c = curl(&x, None);
        let l = lines(&c);
        assert!(l.contains(&"--aws-sigv4 'aws:amz:us-east-1:s3'"), "{c}");
        assert!(
            l.contains(&"--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\""),
            "{c}"
        );
        for gone in [
            "X-Amz-Date",
            "Authorization",
            "Host:",
            "Content-Length",
            "X-Empty",
        ] {
            assert!(
                !l.iter().any(|l| l.starts_with("-H") && l.contains(gone)),
                "{gone}: {c}"
            );
        }
        assert!(c.contains("# empty header X-Empty dropped"), "{c}");
        assert!(c.contains("# curl adds Content-Type"), "{c}");
        assert!(
            c.contains("# curl before 8.x signs this path as written"),
            "`$` is %24 to AWS: {c}"
        );
        assert!(c.contains("# query rewritten"), "{c}");
        assert!(
            c.trim_end()
                .ends_with("'http://b.s3.amazonaws.com/b/a$b?a=2&z=1'"),
            "{c}"
        );
        // The same request re-sent as captured when the scope cannot be given to curl.
        let odd = V4.replace("us-east-1", "us:east");
        let hs2 = [
            ("Host", "h"),
            ("X-Empty", ""),
            ("Authorization", odd.as_str()),
        ];
        let c = curl(&exchange("GET", "/?z=1&a=2", &hs2, b""), None);
        let l = lines(&c);
        assert!(
            !l.iter().any(|l| l.starts_with("--aws-sigv4"))
                && c.contains("not one curl --aws-sigv4 can sign"),
            "{c}"
        );
        assert!(l.contains(&"-H 'X-Empty;'"), "sent empty, not removed: {c}");
        assert!(
            l.contains(&"-H 'User-Agent:'") && l.contains(&"-H 'Accept:'"),
            "{c}"
        );
        assert!(
            c.trim_end().ends_with("'http://h/?z=1&a=2'"),
            "query as captured: {c}"
        );
        // Presigned and streaming requests cannot be re-signed.
        let c = curl(&exchange("GET", "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00", &[("Host", "h")], b""), None);
        assert!(c.contains("sigv4-query: curl cannot re-sign it"), "{c}");
    }

    #[test]
    fn curl_secrets_become_environment_variables() {
        let hs = [
            ("Host", "h"),
            ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"),
            ("Proxy-Authorization", "Basic cHJveHk6cHc="),
            ("X-Amz-Security-Token", "FQoTOKEN"),
        ];
        let c = curl(&exchange("GET", "/", &hs, b""), None);
        for secret in ["e30.sig", "cHJveHk6cHc", "FQoTOKEN"] {
            assert!(!c.contains(secret), "{secret}: {c}");
        }
        let l = lines(&c);
        assert!(
            l.contains(&"-H 'Authorization: Bearer '\"$BEARER_TOKEN\""),
            "{c}"
        );
        assert!(
            l.contains(&"-H 'Proxy-Authorization: Basic '\"$PROXY_CREDENTIALS\""),
            "{c}"
        );
        assert!(
            l.contains(&"-H 'X-Amz-Security-Token: '\"$AWS_SESSION_TOKEN\""),
            "{c}"
        );
        assert!(c.contains("# reads $BEARER_TOKEN, $PROXY_CREDENTIALS, $AWS_SESSION_TOKEN from the environment"), "{c}");
    }
}
