//! The curl export: a bash command that re-sends the request. Every captured byte in it is
//! quoted ([`super::shell`]); secrets come from environment variables ([`super::secrets`]).

use std::fmt::Write as _;
use std::io::Write as _;

use super::secrets::secret_env;
use super::shell::{comment, printf_word, shell_quote};
use crate::engine::auth::{self, AuthInfo, Mode};
use crate::engine::encode::{percent_decode, split_pairs, uri_encode};
use crate::engine::Analysis;
use crate::exchange::Exchange;
use crate::exchange::{host_of, scheme_of};
use crate::http::{Headers, Request};

/// Bodies up to this size are written into the curl command; larger ones are read from
/// [`BODY_FILE`].
pub const INLINE_BODY_MAX: usize = 64 << 10;
/// The file a curl command reads a large or incomplete body from (see [`body_file`]).
pub const BODY_FILE: &str = "body.bin";

/// `--aws-sigv4` needs these in the environment; they are never written into the command.
const ENV_KEYS: &str = "\"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"";

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
    let detected;
    let info = match a {
        Some(a) => &a.auth,
        None => {
            detected = auth::detect(&x.request);
            &detected.info
        }
    };
    // Each step adds its notes (comments above the command) in the order they are printed.
    let mut d = Draft::new(x, info, base_url);
    let head = d.head_line();
    let target = d.target();
    let url = d.url(&target);
    let (pipe_from, data) = d.body();
    let headers = d.headers();
    let args = d.args(data, headers, &url);
    d.assemble(&head, pipe_from, &args)
}

/// A curl command being put together, and what it will say about itself.
struct Draft<'a> {
    x: &'a Exchange,
    r: &'a Request,
    info: &'a AuthInfo,
    mode: Mode,
    /// Whether curl re-signs the request (`--aws-sigv4`) rather than replaying it.
    resign: bool,
    base_url: Option<&'a str>,
    /// Comment lines above the command.
    notes: Vec<String>,
    /// The environment variables the command reads, in order of first use.
    env_vars: Vec<&'static str>,
}

impl<'a> Draft<'a> {
    fn new(x: &'a Exchange, info: &'a AuthInfo, base_url: Option<&'a str>) -> Self {
        let r = &x.request;
        let mode = info.mode;
        // Re-sign only what curl's signer can reproduce: a header-signed SigV4 request whose
        // scope names a plain region and service (curl splits the provider string on `:`).
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
        Draft {
            x,
            r,
            info,
            mode,
            resign,
            base_url,
            notes: Vec::new(),
            env_vars: Vec::new(),
        }
    }

    /// The first comment line: which request, and whether it is re-signed or replayed.
    fn head_line(&mut self) -> String {
        let (r, mode) = (self.r, self.mode);
        let mut head = format!(
            "# sigscope #{}: {} {} ({})",
            self.x.index,
            comment(r.method.as_bytes()),
            comment(&auth::shown_target(&r.target)),
            mode.as_str()
        );
        if self.resign {
            head.push_str(", re-signed by curl --aws-sigv4 with a fresh X-Amz-Date");
            if let Some(ak) = &self.info.access_key {
                self.notes.push(format!(
                    "signed by access key {} in the capture",
                    comment(ak.as_bytes())
                ));
            }
            self.env_vars
                .extend(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
        } else {
            head.push_str(", re-sent as captured");
            if mode == Mode::Sigv4Header {
                self.notes
                    .push("the credential scope is not one curl --aws-sigv4 can sign for".into());
            } else if mode == Mode::Sigv4Query || mode.is_streaming() || mode.is_sigv4a() {
                self.notes.push(format!(
                    "{}: curl cannot re-sign it, so it replays the captured signature and date",
                    mode.as_str()
                ));
            }
        }
        head
    }

    /// The origin-form target to send; when re-signing, with the query in canonical order,
    /// and notes where curl's signer and AWS may disagree.
    fn target(&mut self) -> Vec<u8> {
        let r = self.r;
        let mut target = origin_form(&r.target).to_vec();
        if !self.resign {
            return target;
        }
        // curl before 8.x signs the query as written; AWS signs it sorted and RFC 3986
        // encoded. Sending the canonical form makes both agree, and means the same to AWS.
        if let Some(q) = query_of(&target) {
            let canon = canonical_query(q);
            if canon != q {
                let path_len = target.len() - q.len() - 1;
                target.truncate(path_len + 1);
                target.extend_from_slice(&canon);
                self.notes.push("query rewritten in SigV4 canonical order and encoding (curl before 8.x signs it as written)".into());
            }
        }
        // curl before 8.x signs the path as written, where AWS encodes S3 keys once and other
        // services' paths twice after normalising them: say so where they differ.
        let path = target.split(|&b| b == b'?').next().unwrap_or(&[]);
        let s3 = self
            .info
            .service
            .as_deref()
            .is_some_and(crate::engine::sigv4::is_s3_service);
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
            self.notes.push("curl before 8.x signs this path as written, not as AWS canonicalises it: a SignatureDoesNotMatch may come from that".into());
        }
        if has_data_for(r) && !r.has_header("content-type") {
            self.notes.push("curl adds Content-Type: application/x-www-form-urlencoded to a body sent without one (its signer cannot sign the header's removal)".into());
        }
        target
    }

    /// `scheme://host` (or the base URL) and the target, made safe for a URL.
    fn url(&mut self, target: &[u8]) -> Vec<u8> {
        let (x, r) = (self.x, self.r);
        let mut url = Vec::new();
        match self.base_url {
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
        let (safe_target, reencoded) = url_safe(target);
        if reencoded {
            self.notes.push(
                "bytes a URL cannot carry raw (controls, spaces, non-ASCII, #) were percent-encoded"
                    .into(),
            );
        }
        url.extend_from_slice(&safe_target);
        url
    }

    /// How the body is sent: what curl's stdin is piped from, and the `--data…` argument.
    fn body(&mut self) -> (Option<String>, Option<String>) {
        let r = self.r;
        if !has_data_for(r) {
            return (None, None);
        }
        let b = &r.body;
        if body_file(self.x).is_some() {
            if r.body_complete() {
                self.notes.push(format!(
                    "the body ({} bytes) is not inlined: save it as {BODY_FILE} first",
                    b.len()
                ));
            } else {
                self.notes.push(format!(
                    "only the first {} of {} body bytes were captured: {BODY_FILE} must hold the whole body",
                    b.len(),
                    r.body_len()
                ));
            }
            (None, Some(format!("--data-binary @{BODY_FILE}")))
        } else if b.contains(&0) {
            // No argument can hold a NUL: printf writes the bytes, curl reads stdin.
            (
                Some(format!("printf %b {} |", printf_word(b))),
                Some("--data-binary @-".into()),
            )
        } else {
            // --data-raw: a leading `@` is data, not a file name to upload.
            (None, Some(format!("--data-raw {}", shell_quote(b))))
        }
    }

    /// The `-H` words (quoted, without `-H`): the captured headers curl does not compute
    /// itself, secrets from the environment, and curl's own defaults suppressed.
    fn headers(&mut self) -> Vec<String> {
        let (r, resign) = (self.r, self.resign);
        let mut hs: Vec<String> = Vec::new();
        for h in &r.headers {
            let n = &h.name;
            let is = |s: &str| n.eq_ignore_ascii_case(s.as_bytes());
            // curl frames the body itself.
            if is("content-length") {
                continue;
            }
            // curl computes these. x-amz-content-sha256 stays: curl 7.88 adds none of its own
            // and signs the value given as the payload hash (UNSIGNED-PAYLOAD and streaming
            // included), checked against a listener; a second X-Amz-Date would be sent twice.
            if resign && (is("authorization") || is("x-amz-date") || is("host")) {
                continue;
            }
            if !resign && is("host") && self.base_url.is_none() {
                continue; // the URL carries it
            }
            if let Some((var, keep)) = secret_env(h) {
                let mut word = shell_quote(&[n.as_slice(), b": ", keep.as_bytes()].concat());
                let _ = write!(word, "\"${var}\"");
                hs.push(word);
                if !self.env_vars.contains(&var) {
                    self.env_vars.push(var);
                }
                continue;
            }
            if h.value.is_empty() {
                if resign {
                    // curl's signer lists `name;` headers wrongly (a stray `;` in SignedHeaders).
                    self.notes.push(format!(
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
            // curl's own defaults would change what was captured (and what SigV2 signs). Not
            // when re-signing: curl 7.x signs a removed header as if it were sent.
            let mut suppress = vec!["User-Agent", "Accept"];
            if has_data_for(r) {
                suppress.extend(["Content-Type", "Expect"]);
            }
            for name in suppress {
                if !r.has_header(name) {
                    hs.push(shell_quote(format!("{name}:").as_bytes()));
                }
            }
        }
        hs
    }

    /// curl's arguments, one per output line.
    fn args(&mut self, data: Option<String>, headers: Vec<String>, url: &[u8]) -> Vec<String> {
        let r = self.r;
        let mut args: Vec<String> = Vec::new();
        args.push("--globoff --path-as-is".into());
        args.push(if r.version.eq_ignore_ascii_case("HTTP/1.0") {
            "--http1.0".into()
        } else {
            "--http1.1".into()
        });
        if r.method.eq_ignore_ascii_case("HEAD") {
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
        if self.resign {
            let region = self.info.region.as_deref().unwrap_or("");
            let service = self.info.service.as_deref().unwrap_or("");
            args.push(format!(
                "--aws-sigv4 {}",
                shell_quote(format!("aws:amz:{region}:{service}").as_bytes())
            ));
            args.push(format!("--user {ENV_KEYS}"));
        }
        args.extend(headers.into_iter().map(|h| format!("-H {h}")));
        args.extend(data);
        args.push(self.url_word(url));
        args
    }

    /// The URL, quoted, with a session token in its query (a presigned request's) read from
    /// `$AWS_SESSION_TOKEN_QUERY` rather than written into the command.
    fn url_word(&mut self, url: &[u8]) -> String {
        let ranges = auth::secret_query_values(url);
        if ranges.is_empty() {
            return shell_quote(url);
        }
        let mut word = String::new();
        let mut at = 0;
        for r in ranges {
            word.push_str(&shell_quote(&url[at..r.start]));
            word.push_str("\"$AWS_SESSION_TOKEN_QUERY\"");
            at = r.end;
        }
        word.push_str(&shell_quote(&url[at..]));
        if !self.env_vars.contains(&"AWS_SESSION_TOKEN_QUERY") {
            self.env_vars.push("AWS_SESSION_TOKEN_QUERY");
            self.notes.push(
                "the session token of the query is read from $AWS_SESSION_TOKEN_QUERY, written as the URL carries it (percent-encoded)".into(),
            );
        }
        word
    }

    /// The comment lines, then the (piped) curl command, one argument per line.
    fn assemble(&self, head: &str, pipe_from: Option<String>, args: &[String]) -> String {
        let mut out = String::new();
        out.push_str(head);
        out.push('\n');
        for n in &self.notes {
            let _ = writeln!(out, "# {n}");
        }
        if !self.env_vars.is_empty() {
            let _ = writeln!(
                out,
                "# reads {} from the environment",
                self.env_vars
                    .iter()
                    .map(|v| format!("${v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(p) = pipe_from {
            out.push_str(&p);
            out.push(' ');
        }
        out.push_str("curl");
        for a in args {
            out.push_str(" \\\n  ");
            out.push_str(a);
        }
        out.push('\n');
        out
    }
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

#[cfg(test)]
mod tests;
