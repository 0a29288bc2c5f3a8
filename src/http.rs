//! HTTP/1.x message model shared by every input format, and a tolerant parser for raw wire text.
//!
//! Everything is kept as bytes: signatures are computed over bytes, and a capture may hold
//! invalid UTF-8 that must reach the canonical request unchanged.

use std::fmt;

/// One header field as received. Obsolete line folding is already replaced by one space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

impl Header {
    pub fn new(name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Request target exactly as on the wire (origin form, or absolute form from a proxy client).
    pub target: Vec<u8>,
    pub version: String,
    pub headers: Vec<Header>,
    /// Body after transfer decoding (chunked framing removed).
    pub body: Vec<u8>,
    /// The body as framed on the wire when it was chunked: aws-chunked signatures need it.
    pub raw_chunked_body: Option<Vec<u8>>,
    /// Set when `body` holds only the first bytes of a larger body (capture body cap): the
    /// whole body's length and SHA-256, computed while streaming, so payload hashes still check.
    pub body_digest: Option<BodyDigest>,
    /// Hex SHA-256 of the whole body when a reader already computed it while streaming (the
    /// capture layer does), so it is not hashed again.
    pub body_sha256: Option<String>,
    /// SHA-256 of an aws-chunked body's decoded payload, when it was computed in one pass with
    /// the body's own (`engine::payload::keep_digests`, for a SHA256 checksum): not hashed again.
    pub payload_sha256: Option<[u8; 32]>,
    /// HTTP/2 (issue 13): the request's `:authority`, when it had one. A server that reads
    /// the Host of an HTTP/2 request takes this or nothing (the `sigv4.h2-host` knob).
    pub h2_authority: Option<Authority>,
}

/// An HTTP/2 request's `:authority` pseudo-header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    pub value: Vec<u8>,
    /// The request had no Host header: the one in `headers` was made from `value`.
    pub host_added: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyDigest {
    pub len: u64,
    pub sha256_hex: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub version: String,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

/// Case-insensitive header lookup helpers, shared by requests and responses.
pub trait Headers {
    fn header_list(&self) -> &[Header];

    /// All values of a header, in arrival order.
    fn header_values<'a>(&'a self, name: &str) -> Vec<&'a [u8]> {
        self.header_list()
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|h| h.value.as_slice())
            .collect()
    }

    /// First value of a header, as text (lossy), trimmed.
    fn header(&self, name: &str) -> Option<String> {
        self.header_text(name).map(std::borrow::Cow::into_owned)
    }

    /// [`Headers::header`] borrowed when it can be (valid UTF-8): for values only read.
    fn header_text(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let h = self
            .header_list()
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name.as_bytes()))?;
        Some(match text(&h.value) {
            std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim()),
            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.trim().to_string()),
        })
    }

    fn has_header(&self, name: &str) -> bool {
        self.header_list()
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name.as_bytes()))
    }
}

/// Bytes as text: borrowed when valid UTF-8 (the common case, checked by the fast validator),
/// with replacement characters otherwise.
pub fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

impl Headers for Request {
    fn header_list(&self) -> &[Header] {
        &self.headers
    }
}

impl Headers for Response {
    fn header_list(&self) -> &[Header] {
        &self.headers
    }
}

/// The body with `Content-Encoding: gzip`/`deflate` undone, for display only (signatures
/// cover the bytes as sent). `None` when not encoded or not decodable; output capped at
/// `limit` bytes so a compression bomb cannot exhaust memory.
pub fn decoded_body<H: Headers>(m: &H, body: &[u8], limit: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let enc = m.header("content-encoding")?.to_ascii_lowercase();
    let mut out = Vec::new();
    let res = match enc.as_str() {
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(body)
            .take(limit as u64)
            .read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body)
            .take(limit as u64)
            .read_to_end(&mut out),
        _ => return None,
    };
    res.ok().map(|_| out)
}

impl Request {
    /// Hex SHA-256 of the whole body: streamed digest when known, else computed now.
    pub fn body_sha256_hex(&self) -> String {
        match (&self.body_digest, &self.body_sha256) {
            (Some(d), _) => d.sha256_hex.clone(),
            (None, Some(h)) => h.clone(),
            (None, None) => {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&self.body))
            }
        }
    }

    /// Computes the body's SHA-256 once and keeps it ([`Request::body_sha256_hex`] then reads
    /// it), for a request whose digest is needed more than once: the capture context's and the
    /// engine's would otherwise each hash the whole body.
    pub fn keep_body_sha256(&mut self) {
        if self.body_digest.is_none() && self.body_sha256.is_none() {
            use sha2::Digest;
            self.body_sha256 = Some(hex::encode(sha2::Sha256::digest(&self.body)));
        }
    }

    /// Length of the whole body, even when only its head is kept.
    pub fn body_len(&self) -> u64 {
        self.body_digest
            .as_ref()
            .map(|d| d.len)
            .unwrap_or(self.body.len() as u64)
    }

    /// Whether `body` is the complete body.
    pub fn body_complete(&self) -> bool {
        self.body_digest.is_none()
    }

    /// Path part of the target (absolute-form targets lose scheme and authority).
    pub fn path(&self) -> &[u8] {
        let t = strip_absolute_form(&self.target);
        match memchr::memchr(b'?', t) {
            Some(i) => &t[..i],
            None => t,
        }
    }

    /// Raw query string (without `?`), if the target has one.
    pub fn query(&self) -> Option<&[u8]> {
        let t = strip_absolute_form(&self.target);
        memchr::memchr(b'?', t).map(|i| &t[i + 1..])
    }

    /// Host as the request names it: the Host header, else the authority of an absolute-form target.
    pub fn host(&self) -> Option<String> {
        if let Some(h) = self.header("host") {
            return Some(h);
        }
        let t = &self.target;
        let rest = t
            .windows(3)
            .position(|w| w == b"://")
            .map(|i| &t[i + 3..])?;
        let end = rest
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .unwrap_or(rest.len());
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    pub fn is_form_urlencoded(&self) -> bool {
        self.header_text("content-type")
            .map(|c| {
                c.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            })
            .unwrap_or(false)
    }

    pub fn target_lossy(&self) -> String {
        String::from_utf8_lossy(&self.target).into_owned()
    }

    /// The request in HTTP/1.1 wire form (body de-chunked, framing re-added if it was chunked).
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&self.target);
        out.push(b' ');
        out.extend_from_slice(if self.version.is_empty() {
            b"HTTP/1.1"
        } else {
            self.version.as_bytes()
        });
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            out.extend_from_slice(&h.name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&h.value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        match &self.raw_chunked_body {
            Some(raw) => out.extend_from_slice(raw),
            None => out.extend_from_slice(&self.body),
        }
        out
    }
}

impl Response {
    /// The response in HTTP/1.1 wire form, framed by a Content-Length of its (decoded) body:
    /// a chunked framing is not kept, and an HTTP/2 answer is written as HTTP/1.1. An empty
    /// body keeps the Content-Length the server sent (the answer to a HEAD).
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        let reason = match self.reason.as_str() {
            "" => "-",
            r => r,
        };
        out.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", self.status).as_bytes());
        let keep_length = self.body.is_empty() && self.has_header("content-length");
        for h in &self.headers {
            let framing = h.name.eq_ignore_ascii_case(b"transfer-encoding")
                || (!keep_length && h.name.eq_ignore_ascii_case(b"content-length"));
            if framing {
                continue;
            }
            out.extend_from_slice(&h.name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&h.value);
            out.extend_from_slice(b"\r\n");
        }
        if !keep_length {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

fn strip_absolute_form(t: &[u8]) -> &[u8] {
    if t.first() == Some(&b'/') {
        return t;
    }
    if let Some(i) = t.windows(3).position(|w| w == b"://") {
        let rest = &t[i + 3..];
        return match rest.iter().position(|&b| b == b'/' || b == b'?') {
            Some(j) if rest[j] == b'/' => &rest[j..],
            Some(j) => &rest[j..],
            None => b"/",
        };
    }
    t
}

/// A message found in a raw HTTP file.
#[derive(Clone, Debug)]
pub enum Message {
    Request(Box<Request>, usize),
    Response(Box<Response>, usize),
}

/// Why a part of the input could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("offset {offset}: {what}")]
    Malformed { offset: usize, what: String },
}

#[derive(Debug, Default)]
pub struct RawParse {
    pub messages: Vec<Message>,
    /// Problems met; parsing stops at the first one, everything before it is kept.
    pub errors: Vec<ParseError>,
}

impl fmt::Display for RawParse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} message(s)", self.messages.len())
    }
}

/// Upper bound on one header block; a larger one is reported rather than read.
pub const MAX_HEADER_BLOCK: usize = 1 << 20;

/// Parses one or more HTTP/1.x requests and responses in wire form.
///
/// Tolerant by design: LF or CRLF line ends, spaces inside the request target (the AWS suite
/// has `GET /example space/ HTTP/1.1`), raw UTF-8, obsolete line folding, and a body that
/// runs to the end of the file when no framing header says otherwise.
pub fn parse_raw(data: &[u8]) -> RawParse {
    let mut out = RawParse::default();
    let mut pos = 0;
    // A response to HEAD has no body whatever its Content-Length says (RFC 9110 §9.3.2).
    let mut last_method: Option<String> = None;
    loop {
        // Skip blank lines between messages.
        while pos < data.len() && (data[pos] == b'\r' || data[pos] == b'\n') {
            pos += 1;
        }
        if pos >= data.len() {
            break;
        }
        match parse_message(data, pos, last_method.as_deref()) {
            Ok((msg, next)) => {
                if let Message::Request(r, _) = &msg {
                    last_method = Some(r.method.clone());
                }
                out.messages.push(msg);
                if next <= pos {
                    break;
                }
                pos = next;
            }
            Err(e) => {
                out.errors.push(e);
                break;
            }
        }
    }
    out
}

struct Head<'a> {
    start_line: &'a [u8],
    headers: Vec<Header>,
    body_start: usize,
}

fn read_line(data: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rel = memchr::memchr(b'\n', &data[pos..])?;
    let mut line = &data[pos..pos + rel];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    Some((line, pos + rel + 1))
}

fn parse_head(data: &[u8], start: usize) -> Result<Head<'_>, ParseError> {
    let (start_line, mut pos) = match read_line(data, start) {
        Some(v) => v,
        // A lone start line without a newline (end of file).
        None => (&data[start..], data.len()),
    };
    // One allocation for the list: at most one header per line before the blank one.
    let mut lines = 0;
    let mut line_start = pos.min(data.len());
    for nl in memchr::memchr_iter(b'\n', &data[line_start..]).map(|i| i + pos) {
        if matches!(&data[line_start..nl], b"" | b"\r") {
            break;
        }
        lines += 1;
        line_start = nl + 1;
    }
    let mut headers: Vec<Header> = Vec::with_capacity(lines.min(256));
    loop {
        if pos - start > MAX_HEADER_BLOCK {
            return Err(ParseError::Malformed {
                offset: start,
                what: format!("header block larger than {MAX_HEADER_BLOCK} bytes"),
            });
        }
        let Some((line, next)) = read_line(data, pos) else {
            // Headers end at end of file without a blank line: accept what is there.
            if pos < data.len() {
                push_header_line(&mut headers, &data[pos..], pos)?;
            }
            pos = data.len();
            break;
        };
        pos = next;
        if line.is_empty() {
            break;
        }
        push_header_line(&mut headers, line, pos)?;
    }
    Ok(Head {
        start_line,
        headers,
        body_start: pos,
    })
}

fn push_header_line(
    headers: &mut Vec<Header>,
    line: &[u8],
    offset: usize,
) -> Result<(), ParseError> {
    if line[0] == b' ' || line[0] == b'\t' {
        // obs-fold: RFC 9112 §5.2 lets a recipient replace it with one SP.
        let Some(last) = headers.last_mut() else {
            return Err(ParseError::Malformed {
                offset,
                what: "continuation line before any header".into(),
            });
        };
        let cont = trim_bytes(line);
        last.value.push(b' ');
        last.value.extend_from_slice(cont);
        return Ok(());
    }
    let Some(colon) = memchr::memchr(b':', line) else {
        return Err(ParseError::Malformed {
            offset,
            what: format!(
                "header line without a colon: {}",
                crate::escape::escape_bytes(line)
            ),
        });
    };
    let name = &line[..colon];
    let value = trim_bytes(&line[colon + 1..]);
    headers.push(Header::new(name, value));
    Ok(())
}

pub fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| *c != b' ' && *c != b'\t')
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| *c != b' ' && *c != b'\t')
        .map(|i| i + 1)
        .unwrap_or(start);
    &b[start..end.max(start)]
}

/// Whether a request or status line starts at `pos`.
pub fn looks_like_start_line(data: &[u8], pos: usize) -> bool {
    let line = match read_line(data, pos) {
        Some((l, _)) => l,
        None => &data[pos..],
    };
    if line.starts_with(b"HTTP/") {
        return true;
    }
    let Some(sp) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let method = &line[..sp];
    !method.is_empty()
        && method.len() <= 20
        && method.iter().all(|b| b.is_ascii_uppercase() || *b == b'-')
        && (line.ends_with(b"HTTP/1.1") || line.ends_with(b"HTTP/1.0"))
}

/// A message head (start line and headers) without its body.
pub enum MessageHead {
    Request(Box<Request>),
    Response(Box<Response>),
}

/// Parses the head that starts at `start`; returns it and the offset where the body begins.
/// The head must be complete in `data` (callers streaming from TCP find its end first).
pub fn parse_message_head(data: &[u8], start: usize) -> Result<(MessageHead, usize), ParseError> {
    let head = parse_head(data, start)?;
    let line = text(head.start_line);
    if let Some(rest) = line.strip_prefix("HTTP/") {
        let mut parts = rest.splitn(3, ' ');
        let version = format!("HTTP/{}", parts.next().unwrap_or(""));
        let status: u16 = parts
            .next()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| ParseError::Malformed {
                offset: start,
                what: format!("bad status line: {}", crate::escape::escape_str(&line)),
            })?;
        let reason = parts.next().unwrap_or("").to_string();
        let resp = Response {
            status,
            reason,
            version,
            headers: head.headers,
            body: Vec::new(),
        };
        return Ok((MessageHead::Response(Box::new(resp)), head.body_start));
    }
    // Request line: METHOD SP target SP version, where the target may itself contain spaces.
    let bytes = head.start_line;
    let first_sp = bytes
        .iter()
        .position(|&b| b == b' ')
        .ok_or_else(|| ParseError::Malformed {
            offset: start,
            what: format!(
                "not an HTTP request line: {}",
                crate::escape::escape_bytes(bytes)
            ),
        })?;
    let method = text(&bytes[..first_sp]).into_owned();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ParseError::Malformed {
            offset: start,
            what: format!(
                "bad method in request line: {}",
                crate::escape::escape_bytes(bytes)
            ),
        });
    }
    let rest = &bytes[first_sp + 1..];
    let (target, version) = match rest.iter().rposition(|&b| b == b' ') {
        Some(i) if rest[i + 1..].starts_with(b"HTTP/") => {
            (rest[..i].to_vec(), text(&rest[i + 1..]).into_owned())
        }
        _ => (rest.to_vec(), String::from("HTTP/0.9")),
    };
    let req = Request {
        method,
        target,
        version,
        headers: head.headers,
        ..Default::default()
    };
    Ok((MessageHead::Request(Box::new(req)), head.body_start))
}

/// Whether a response to `method` with `status` carries no body whatever its headers say.
pub fn response_has_no_body(method: Option<&str>, status: u16) -> bool {
    status / 100 == 1
        || status == 204
        || status == 304
        || method.is_some_and(|m| m.eq_ignore_ascii_case("HEAD"))
}

fn parse_message(
    data: &[u8],
    start: usize,
    request_method: Option<&str>,
) -> Result<(Message, usize), ParseError> {
    let (head, body_start) = parse_message_head(data, start)?;
    match head {
        MessageHead::Response(mut resp) => {
            let (body, _, next) = if response_has_no_body(request_method, resp.status) {
                (Vec::new(), None, body_start)
            } else {
                read_body(data, body_start, &resp.headers)?
            };
            resp.body = body;
            Ok((Message::Response(resp, start), next))
        }
        MessageHead::Request(mut req) => {
            let (body, raw_chunked, next) = read_body(data, body_start, &req.headers)?;
            req.body = body;
            req.raw_chunked_body = raw_chunked;
            Ok((Message::Request(req, start), next))
        }
    }
}

type Body = (Vec<u8>, Option<Vec<u8>>, usize);

fn read_body(data: &[u8], pos: usize, headers: &[Header]) -> Result<Body, ParseError> {
    let find = |n: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(n.as_bytes()))
            .map(|h| {
                String::from_utf8_lossy(&h.value)
                    .trim()
                    .to_ascii_lowercase()
            })
    };
    if find("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
        let (body, end) = decode_chunked(data, pos)?;
        return Ok((body, Some(data[pos..end].to_vec()), end));
    }
    if let Some(cl) = find("content-length") {
        let n: usize = cl.parse().map_err(|_| ParseError::Malformed {
            offset: pos,
            what: format!("bad Content-Length: {}", crate::escape::escape_str(&cl)),
        })?;
        let avail = data.len() - pos;
        if n > avail {
            // Truncated body: keep what is there, and say so.
            return Err(ParseError::Malformed {
                offset: pos,
                what: format!("body truncated: Content-Length {n}, only {avail} bytes present"),
            });
        }
        return Ok((data[pos..pos + n].to_vec(), None, pos + n));
    }
    // No framing: the body runs to the next message or to the end of the file.
    let mut end = data.len();
    let mut p = pos;
    while p < data.len() {
        if looks_like_start_line(data, p) && (p == pos || data[p - 1] == b'\n') {
            end = p;
            break;
        }
        match data[p..].iter().position(|&b| b == b'\n') {
            Some(i) => p += i + 1,
            None => break,
        }
    }
    let mut body = &data[pos..end];
    if end < data.len() {
        // Blank separator lines before the next message are not body.
        while body.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            body = &body[..body.len() - 1];
        }
    }
    Ok((body.to_vec(), None, end))
}

/// Decodes a chunked body starting at `pos`; returns the payload and the offset after it.
pub fn decode_chunked(data: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), ParseError> {
    let mut body = Vec::new();
    loop {
        let Some((line, next)) = read_line(data, pos) else {
            return Err(ParseError::Malformed {
                offset: pos,
                what: "chunked body truncated (no chunk-size line)".into(),
            });
        };
        let size_txt = String::from_utf8_lossy(line);
        let size_hex = size_txt.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| ParseError::Malformed {
            offset: pos,
            what: format!("bad chunk size: {}", crate::escape::escape_str(&size_txt)),
        })?;
        pos = next;
        if size == 0 {
            // Trailers until an empty line.
            loop {
                match read_line(data, pos) {
                    Some((l, n)) => {
                        pos = n;
                        if l.is_empty() {
                            break;
                        }
                    }
                    None => {
                        pos = data.len();
                        break;
                    }
                }
            }
            return Ok((body, pos));
        }
        if size > data.len() - pos {
            return Err(ParseError::Malformed {
                offset: pos,
                what: format!("chunk of {size} bytes truncated"),
            });
        }
        body.extend_from_slice(&data[pos..pos + size]);
        pos += size;
        if data[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else if data[pos..].starts_with(b"\n") {
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_suite_style_request_with_space_and_unframed_body() {
        let raw = b"POST /a b/?x=1 HTTP/1.1\nHost:example.com\nMy:  v1\n  v2\n\nParam1=value1";
        let p = parse_raw(raw);
        assert!(p.errors.is_empty());
        let Message::Request(r, _) = &p.messages[0] else {
            panic!()
        };
        assert_eq!(r.method, "POST");
        assert_eq!(r.path(), b"/a b/");
        assert_eq!(r.query(), Some(&b"x=1"[..]));
        assert_eq!(r.header("my").unwrap(), "v1 v2");
        assert_eq!(r.body, b"Param1=value1");
    }

    #[test]
    fn splits_several_messages_and_decodes_chunked() {
        let raw = b"PUT /k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGET / HTTP/1.1\r\nHost: h\r\n\r\n";
        let p = parse_raw(raw);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.messages.len(), 3);
        let Message::Request(r, _) = &p.messages[0] else {
            panic!()
        };
        assert_eq!(r.body, b"abc");
        assert_eq!(
            r.raw_chunked_body.as_deref(),
            Some(&b"3\r\nabc\r\n0\r\n\r\n"[..])
        );
        let Message::Response(s, _) = &p.messages[1] else {
            panic!()
        };
        assert_eq!((s.status, s.body.as_slice()), (200, &b"ok"[..]));
    }

    #[test]
    fn truncated_body_keeps_earlier_messages() {
        let raw =
            b"GET / HTTP/1.1\r\nHost: h\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        let p = parse_raw(raw);
        assert_eq!(p.messages.len(), 1);
        assert!(p.errors[0].to_string().contains("truncated"));
    }

    #[test]
    fn gzip_bodies_decode_for_display_with_a_limit() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&[b'x'; 10_000]).unwrap();
        let gz = e.finish().unwrap();
        let resp = Response {
            status: 200,
            headers: vec![Header::new("Content-Encoding", "gzip")],
            ..Default::default()
        };
        assert_eq!(decoded_body(&resp, &gz, 1 << 20).unwrap().len(), 10_000);
        assert_eq!(decoded_body(&resp, &gz, 100).unwrap().len(), 100);
        assert!(decoded_body(&resp, b"not gzip", 100).is_none());
        let plain = Response::default();
        assert!(decoded_body(&plain, b"x", 100).is_none());
    }

    #[test]
    fn absolute_form_target() {
        let raw = b"GET http://h:8080/p?q=1 HTTP/1.1\r\n\r\n";
        let p = parse_raw(raw);
        let Message::Request(r, _) = &p.messages[0] else {
            panic!()
        };
        assert_eq!(r.path(), b"/p");
        assert_eq!(r.host().unwrap(), "h:8080");
    }
}
