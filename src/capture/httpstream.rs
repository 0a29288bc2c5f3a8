//! Incremental HTTP/1.x parsing of one reassembled TCP direction: requests from the client,
//! responses from the server. Only the first `body_cap` bytes of a body are kept; a request
//! body that outgrows them is hashed as it streams (a body kept whole is hashed later, by the
//! workers that verify it).

use sha2::{Digest, Sha256};

use crate::http::{
    looks_like_start_line, parse_message_head, BodyDigest, Headers, MessageHead, Request, Response,
};

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Largest header block accepted; a larger one is reported and the stream resynchronised.
pub const MAX_HEAD: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Requests,
    Responses,
    /// Not HTTP (TLS, another protocol): ignored.
    Other,
}

/// Where a message started in the capture.
#[derive(Clone, Copy, Debug, Default)]
pub struct Origin {
    pub frame: u64,
    pub ts_nanos: i128,
}

pub enum Event {
    /// A request head was read (its method decides how the matching response is framed).
    RequestHead { method: String },
    /// `origin`: where the message started; `end`: the frame that completed it (the frame
    /// Wireshark and tshark show the message at).
    Request {
        req: Box<Request>,
        origin: Origin,
        end: Origin,
        problems: Vec<String>,
        /// The HTTP/2 stream (`capture/h2`): responses pair with requests by stream, not
        /// by order.
        h2_stream: Option<u32>,
    },
    Response {
        resp: Box<Response>,
        origin: Origin,
        end: Origin,
        problems: Vec<String>,
        h2_stream: Option<u32>,
    },
    /// An HTTP/2 stream was reset: its request gets no response.
    Reset { stream: u32, why: String },
    /// Bytes that could not be read as HTTP were skipped.
    Skipped { bytes: u64, why: String },
}

enum Framing {
    Length(u64),
    Chunked(ChunkState),
    UntilClose,
}

enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

struct Body {
    kept: Vec<u8>,
    raw_chunked: Option<Vec<u8>>,
    /// Requests only: nothing reads a response body's digest (payload hashes are the
    /// request's), and hashing response bodies was a third of the reader thread's work.
    hash: bool,
    /// Started once a request body outgrows the cap (its SHA-256 is then the only record of
    /// the whole body) or `hash_from` bytes. A smaller body is hashed later, by the workers
    /// that verify it, not on this thread, which every byte of the capture goes through in
    /// order: many small bodies then hash in parallel. A large one is hashed here as it
    /// arrives, its bytes still in cache (hashed later, 128 MiB bodies cost a third more CPU
    /// time), unless it is an aws-chunked upload with a SHA256 checksum, whose two digests
    /// the workers compute in one pass (`engine::payload::keep_digests`).
    hasher: Option<Sha256>,
    hash_from: usize,
    len: u64,
}

/// A request body this large is hashed as it arrives (see `Body::hasher`).
const HASH_WHILE_STREAMING: usize = 8 << 20;

/// From how many kept bytes a request's body is hashed as it arrives: never (up to the cap)
/// for an aws-chunked upload with a SHA256 checksum, as header or announced trailer.
fn hash_from(r: &Request) -> usize {
    let streaming = r
        .header_text("x-amz-content-sha256")
        .is_some_and(|v| v.trim().starts_with("STREAMING-"));
    let sha256 = r.header_text("x-amz-checksum-sha256").is_some()
        || r.header_values("x-amz-trailer").iter().any(|v| {
            crate::http::text(v)
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("x-amz-checksum-sha256"))
        });
    if streaming && sha256 {
        usize::MAX
    } else {
        HASH_WHILE_STREAMING
    }
}

enum Pending {
    Request(Box<Request>),
    Response(Box<Response>),
}

pub struct HttpStream {
    pub role: Option<Role>,
    buf: Vec<u8>,
    body_cap: usize,
    current: Option<(Pending, Framing, Body, Origin, Vec<String>)>,
    /// Start of the bytes now in `buf`.
    buf_origin: Origin,
    /// Methods of the requests whose responses are awaited (for HEAD).
    pub awaiting_methods: std::collections::VecDeque<String>,
    /// After a gap or an unreadable head: skip to the next start line.
    resync_pending: bool,
    /// The frame of the data fed last.
    last: Origin,
    /// Bytes looked at without finding HTTP before the role was known.
    sniffed: u64,
    /// This is the server's side of the connection (see [`HttpStream::set_server`]).
    server: bool,
    /// Of the bytes skipped, those of a server that were not an HTTP response (a body written
    /// after a HEAD response, stray text before a status line).
    pub not_response_bytes: u64,
    /// HTTP/2 follows (issue 13): the server answered `101 Switching Protocols` to
    /// `Upgrade: h2c`, or the client sent the HTTP/2 preface. What follows is held in `buf`
    /// for the HTTP/2 reader ([`HttpStream::take_held`]).
    pub switched: bool,
}

impl HttpStream {
    pub fn new(body_cap: usize) -> Self {
        HttpStream {
            role: None,
            buf: Vec::new(),
            body_cap,
            current: None,
            buf_origin: Origin::default(),
            awaiting_methods: Default::default(),
            resync_pending: false,
            last: Origin::default(),
            sniffed: 0,
            server: false,
            not_response_bytes: 0,
            switched: false,
        }
    }

    /// The bytes after the switch to HTTP/2.
    pub fn take_held(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Marks this as the server's side of its connection (known from the handshake, else from
    /// the other side sending the first request line): it never yields requests, so a server's
    /// stray bytes can never pass for a request from the server.
    pub fn set_server(&mut self) {
        self.server = true;
        if self.role == Some(Role::Requests) {
            self.role = Some(Role::Responses);
        }
    }

    /// The role sniffed from the first bytes, except that the server's side is never read as
    /// requests.
    fn settle(&mut self, role: Role) {
        self.role = Some(match role {
            Role::Requests if self.server => Role::Responses,
            role => role,
        });
    }

    pub fn buffered(&self) -> usize {
        self.buf.len() + self.current.as_ref().map(|c| c.2.kept.len()).unwrap_or(0)
    }

    /// Feeds bytes delivered by reassembly.
    pub fn feed(&mut self, data: &[u8], origin: Origin, out: &mut Vec<Event>) {
        if self.role == Some(Role::Other) {
            return;
        }
        if self.switched {
            self.buf.extend_from_slice(data);
            return;
        }
        if origin.frame != 0 {
            self.last = origin;
        }
        if self.buf.is_empty() && self.current.is_none() {
            self.buf_origin = origin;
        }
        if self.role.is_none() {
            self.buf.extend_from_slice(data);
            if self.buf.len() < 5 && !self.buf.contains(&b' ') {
                return;
            }
            match sniff_role(&self.buf) {
                Role::Other if self.buf.starts_with(&[0x16, 0x03]) => {
                    // A TLS handshake: nothing here is readable.
                    self.role = Some(Role::Other);
                    self.buf.clear();
                    return;
                }
                Role::Other => {
                    // The capture may have started inside a message: look for the next one.
                    match find_start(&self.buf) {
                        Some(i) => {
                            out.push(Event::Skipped {
                                bytes: i as u64,
                                why: "the capture starts inside a message".into(),
                            });
                            self.buf.drain(..i);
                            self.settle(sniff_role(&self.buf));
                        }
                        None => {
                            self.sniffed += self.buf.len().saturating_sub(4096) as u64;
                            if self.buf.len() > 4096 {
                                let keep = self.buf.split_off(self.buf.len() - 4096);
                                self.buf = keep;
                            }
                            if self.sniffed > (1 << 20) {
                                self.role = Some(Role::Other);
                                self.buf.clear();
                            }
                            return;
                        }
                    }
                }
                role => self.settle(role),
            }
            self.run(origin, out);
            return;
        }
        // Large bodies go straight to the body without passing through `buf`.
        if self.buf.is_empty() {
            if let Some((consumed, finished)) = self.feed_body(data, out) {
                if consumed < data.len() {
                    self.buf.extend_from_slice(&data[consumed..]);
                    self.buf_origin = origin;
                    if finished {
                        self.run(origin, out);
                    }
                }
                return;
            }
        }
        self.buf.extend_from_slice(data);
        self.run(origin, out);
    }

    /// Bytes were lost: the message in progress is incomplete.
    pub fn gap(&mut self, n: u64, out: &mut Vec<Event>) {
        if let Some((_, Framing::Length(rem), body, _, problems)) = &mut self.current {
            if n <= *rem {
                // Keep the framing: the body goes on after the hole.
                *rem -= n;
                body.len += n;
                problems.push(format!(
                    "{} of this body {} not captured",
                    crate::words::count_s(n, "byte"),
                    if n == 1 { "was" } else { "were" }
                ));
                return;
            }
        }
        if let Some((p, _, body, origin, mut problems)) = self.current.take() {
            problems.push(format!(
                "{} missing from the capture; message incomplete",
                crate::words::count_s(n, "byte")
            ));
            self.emit(p, body, origin, problems, out);
        }
        if !self.buf.is_empty() {
            out.push(Event::Skipped {
                bytes: self.buf.len() as u64,
                why: "incomplete message before a capture gap".into(),
            });
            self.buf.clear();
        }
        // Next data will be scanned for a start line.
        self.resync_pending = true;
    }

    /// The direction ended (FIN, RST, end of capture).
    pub fn close(&mut self, out: &mut Vec<Event>) {
        if let Some((p, framing, body, origin, mut problems)) = self.current.take() {
            match framing {
                Framing::UntilClose => {}
                Framing::Length(rem) => problems.push(format!(
                    "connection ended {} before the end of the body",
                    crate::words::count_s(rem, "byte")
                )),
                Framing::Chunked(_) => {
                    problems.push("connection ended inside a chunked body".into())
                }
            }
            self.emit(p, body, origin, problems, out);
        }
        if !self.buf.is_empty() && self.role != Some(Role::Other) {
            out.push(Event::Skipped {
                bytes: self.buf.len() as u64,
                why: "incomplete message at the end of the connection".into(),
            });
            self.buf.clear();
        }
    }

    fn emit(
        &mut self,
        p: Pending,
        body: Body,
        origin: Origin,
        problems: Vec<String>,
        out: &mut Vec<Event>,
    ) {
        let complete = body.len == body.kept.len() as u64;
        match p {
            Pending::Request(mut r) => {
                // Most requests have no body: the empty string's digest is known.
                // Most requests have no body: the empty string's digest is known. A body kept
                // whole is hashed when it is verified.
                let sha256_hex = match body.hasher {
                    _ if body.len == 0 => Some(crate::engine::crypto::EMPTY_SHA256.to_string()),
                    Some(h) => Some(crate::engine::crypto::to_hex(&h.finalize())),
                    None => None,
                };
                let digest = match (&sha256_hex, complete) {
                    (Some(h), false) => Some(BodyDigest {
                        len: body.len,
                        sha256_hex: h.clone(),
                    }),
                    _ => None,
                };
                r.body = body.kept;
                r.raw_chunked_body = body.raw_chunked;
                r.body_digest = digest;
                r.body_sha256 = sha256_hex;
                out.push(Event::Request {
                    req: r,
                    origin,
                    end: self.last,
                    problems,
                    h2_stream: None,
                });
            }
            Pending::Response(mut r) => {
                r.body = body.kept;
                out.push(Event::Response {
                    resp: r,
                    origin,
                    end: self.last,
                    problems,
                    h2_stream: None,
                });
            }
        }
    }

    /// Parses as many messages as `buf` holds.
    fn run(&mut self, origin: Origin, out: &mut Vec<Event>) {
        loop {
            if self.current.is_some() {
                // Taken to lend it to feed_body, then put back: its allocation is reused.
                let mut buf = std::mem::take(&mut self.buf);
                match self.feed_body(&buf, out) {
                    Some((n, finished)) if n < buf.len() => {
                        buf.drain(..n);
                        self.buf = buf;
                        self.buf_origin = origin;
                        if finished {
                            continue;
                        }
                        // A partial chunk-size line: wait for the next segment.
                        return;
                    }
                    _ => {
                        buf.clear();
                        self.buf = buf;
                        return;
                    }
                }
            }
            if self.buf.is_empty() {
                return;
            }
            if self.resync_pending && !self.resync(out) {
                return;
            }
            // Blank lines between messages are allowed.
            let lead = self
                .buf
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            if lead > 0 {
                self.buf.drain(..lead);
                continue;
            }
            if !self.server && self.buf.len() >= 4 {
                let n = self.buf.len().min(H2_PREFACE.len());
                if self.buf[..n] == H2_PREFACE[..n] {
                    // The client goes on in HTTP/2 (after an upgrade).
                    self.switched = true;
                    return;
                }
            }
            if self.role == Some(Role::Responses) {
                // A server's next message starts at a status line: what comes before one is
                // not a response (a body sent after a HEAD response, say), and is skipped
                // rather than read as the head of something else.
                let junk = status_line_start(&self.buf);
                if junk > 0 {
                    self.not_response(junk, out);
                    self.buf.drain(..junk);
                    continue;
                }
            }
            let Some(head_end) = head_end(&self.buf) else {
                if self.buf.len() > MAX_HEAD {
                    out.push(Event::Skipped {
                        bytes: self.buf.len() as u64,
                        why: format!("header block larger than {MAX_HEAD} bytes"),
                    });
                    self.buf.clear();
                    self.resync_pending = true;
                }
                return;
            };
            let start_origin = self.buf_origin;
            let parsed = parse_message_head(&self.buf[..head_end], 0);
            let (head, body_start) = match parsed {
                Ok(v) => v,
                Err(e) => {
                    out.push(Event::Skipped {
                        bytes: head_end as u64,
                        why: e.to_string(),
                    });
                    self.buf.drain(..head_end);
                    self.resync_pending = true;
                    continue;
                }
            };
            self.buf.drain(..body_start.min(self.buf.len()));
            self.buf_origin = origin;
            let new_body = |cap: usize, framing: &Framing, hash_from: Option<usize>| Body {
                // A body of known length is kept in one allocation, not regrown (and copied)
                // as it arrives; at most 1 MiB is reserved before the bytes are seen.
                kept: match framing {
                    Framing::Length(n) => Vec::with_capacity(
                        usize::try_from(*n)
                            .unwrap_or(usize::MAX)
                            .min(cap)
                            .min(1 << 20),
                    ),
                    _ => Vec::new(),
                },
                raw_chunked: matches!(framing, Framing::Chunked(_))
                    .then(Vec::new)
                    .filter(|_| cap > 0),
                hash: hash_from.is_some(),
                hasher: None,
                hash_from: hash_from.unwrap_or(usize::MAX),
                len: 0,
            };
            match head {
                MessageHead::Request(_) if self.role == Some(Role::Responses) => {
                    // Never a request from the server (status_line_start keeps this from
                    // happening; this says it does not).
                    // (Its head is already out of `buf`.)
                    self.not_response(body_start, out);
                    self.resync_pending = true;
                }
                MessageHead::Request(r) => {
                    out.push(Event::RequestHead {
                        method: r.method.clone(),
                    });
                    let framing = framing_of(&*r, true);
                    let body = new_body(self.body_cap, &framing, Some(hash_from(&r)));
                    let done = matches!(framing, Framing::Length(0));
                    self.current =
                        Some((Pending::Request(r), framing, body, start_origin, Vec::new()));
                    if done {
                        self.finish(out);
                    }
                }
                MessageHead::Response(r) => {
                    let interim = r.status / 100 == 1;
                    let to_h2 = r.status == 101
                        && r.header("upgrade")
                            .is_some_and(|u| u.eq_ignore_ascii_case("h2c"));
                    let method = if interim {
                        None
                    } else {
                        self.awaiting_methods.pop_front()
                    };
                    let framing = if crate::http::response_has_no_body(method.as_deref(), r.status)
                    {
                        Framing::Length(0)
                    } else {
                        framing_of(&*r, false)
                    };
                    let body = new_body(self.body_cap, &framing, None);
                    let done = matches!(framing, Framing::Length(0));
                    self.current = Some((
                        Pending::Response(r),
                        framing,
                        body,
                        start_origin,
                        Vec::new(),
                    ));
                    if done {
                        self.finish(out);
                    }
                    if to_h2 {
                        self.switched = true;
                        return;
                    }
                }
            }
        }
    }

    /// After a gap or an unreadable head: drops what precedes the next start line. Returns
    /// whether one is in `buf` (else it waits for more bytes).
    fn resync(&mut self, out: &mut Vec<Event>) -> bool {
        match find_start(&self.buf) {
            Some(0) => {}
            Some(i) => {
                out.push(Event::Skipped {
                    bytes: i as u64,
                    why: "bytes before the next HTTP message".into(),
                });
                self.buf.drain(..i);
            }
            None => {
                // Keep a tail in case a start line straddles the next segment.
                if self.buf.len() > 4096 {
                    let drop = self.buf.len() - 4096;
                    out.push(Event::Skipped {
                        bytes: drop as u64,
                        why: "bytes that are not an HTTP message".into(),
                    });
                    self.buf.drain(..drop);
                }
                return false;
            }
        }
        self.resync_pending = false;
        true
    }

    fn not_response(&mut self, bytes: usize, out: &mut Vec<Event>) {
        self.not_response_bytes += bytes as u64;
        out.push(Event::Skipped {
            bytes: bytes as u64,
            why: "not an HTTP response from the server".into(),
        });
    }

    fn finish(&mut self, out: &mut Vec<Event>) {
        if let Some((p, _, body, origin, problems)) = self.current.take() {
            self.emit(p, body, origin, problems, out);
        }
    }

    /// Feeds body bytes to the message in progress; returns how many were consumed and whether
    /// the message is finished, or None when there is no message in progress.
    fn feed_body(&mut self, data: &[u8], out: &mut Vec<Event>) -> Option<(usize, bool)> {
        let cap = self.body_cap;
        let (_, framing, body, _, problems) = self.current.as_mut()?;
        let mut i = 0;
        let take = |body: &mut Body, bytes: &[u8]| {
            let room = cap.saturating_sub(body.kept.len());
            let large = body.kept.len() + bytes.len() > body.hash_from;
            if body.hash && body.hasher.is_none() && (bytes.len() > room || large) {
                // The body outgrows the cap (from here on only its digest records all of it),
                // or is large: hashed from here, what was kept first.
                let mut h = Sha256::new();
                h.update(&body.kept);
                body.hasher = Some(h);
            }
            if let Some(h) = &mut body.hasher {
                h.update(bytes);
            }
            body.len += bytes.len() as u64;
            body.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        };
        let raw = |body: &mut Body, bytes: &[u8]| {
            if let Some(r) = &mut body.raw_chunked {
                if r.len() + bytes.len() <= cap {
                    r.extend_from_slice(bytes);
                } else {
                    body.raw_chunked = None;
                }
            }
        };
        let mut done = false;
        match framing {
            Framing::Length(rem) => {
                let n = (*rem).min(data.len() as u64) as usize;
                take(body, &data[..n]);
                *rem -= n as u64;
                i = n;
                done = *rem == 0;
            }
            Framing::UntilClose => {
                take(body, data);
                i = data.len();
            }
            Framing::Chunked(st) => {
                while i < data.len() && !done {
                    match st {
                        ChunkState::Size | ChunkState::Trailers | ChunkState::DataEnd => {
                            let Some(nl) = data[i..].iter().position(|&b| b == b'\n') else {
                                // Incomplete line: wait for more (returned unconsumed).
                                if data.len() - i > 4096 {
                                    problems.push("chunk-size line longer than 4096 bytes".into());
                                    done = true;
                                    i = data.len();
                                }
                                break;
                            };
                            let line = &data[i..i + nl + 1];
                            raw(body, line);
                            i += nl + 1;
                            let text = String::from_utf8_lossy(line);
                            let text = text.trim();
                            match st {
                                ChunkState::DataEnd => *st = ChunkState::Size,
                                ChunkState::Trailers => {
                                    if text.is_empty() {
                                        done = true;
                                    }
                                }
                                _ => {
                                    let hex = text.split(';').next().unwrap_or("").trim();
                                    match u64::from_str_radix(hex, 16) {
                                        Ok(0) => *st = ChunkState::Trailers,
                                        Ok(n) => *st = ChunkState::Data(n),
                                        Err(_) => {
                                            problems.push(format!(
                                                "bad chunk size `{}`",
                                                crate::escape::escape_str(text)
                                            ));
                                            done = true;
                                        }
                                    }
                                }
                            }
                        }
                        ChunkState::Data(rem) => {
                            let n = (*rem).min((data.len() - i) as u64) as usize;
                            take(body, &data[i..i + n]);
                            raw(body, &data[i..i + n]);
                            i += n;
                            *rem -= n as u64;
                            if *rem == 0 {
                                *st = ChunkState::DataEnd;
                            }
                        }
                    }
                }
            }
        }
        if done {
            self.finish(out);
        }
        Some((i, done))
    }
}

fn framing_of<H: Headers>(m: &H, is_request: bool) -> Framing {
    // As `header(..)` reads the first such header, without copying it (this runs for every
    // message): "chunked" anywhere in it, case-insensitively; a Content-Length number.
    let first = |name: &[u8]| {
        m.header_list()
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    };
    if first(b"transfer-encoding").is_some_and(|h| {
        h.value
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"chunked"))
    }) {
        return Framing::Chunked(ChunkState::Size);
    }
    if let Some(h) = first(b"content-length") {
        if let Ok(n) = crate::http::text(&h.value).trim().parse::<u64>() {
            return Framing::Length(n);
        }
    }
    if is_request {
        Framing::Length(0)
    } else {
        Framing::UntilClose
    }
}

fn sniff_role(b: &[u8]) -> Role {
    if b.starts_with(b"HTTP/") {
        return Role::Responses;
    }
    if looks_like_start_line(b, 0) {
        return Role::Requests;
    }
    // A request line not yet complete: a method token followed by a space.
    if let Some(sp) = b.iter().position(|&c| c == b' ') {
        if sp > 0 && sp <= 20 && b[..sp].iter().all(|c| c.is_ascii_uppercase()) {
            return Role::Requests;
        }
    }
    Role::Other
}

/// Where the first status line (`HTTP/d.d ddd`) starts in `b`, or where a start of one runs
/// into the end of `b` (the rest may come with the next segment); `b.len()` when there is
/// neither.
fn status_line_start(b: &[u8]) -> usize {
    const SHAPE: &[u8] = b"HTTP/0.0 000";
    let fits = |i: usize| {
        b[i..].iter().zip(SHAPE).all(|(&c, &want)| match want {
            b'0' => c.is_ascii_digit(),
            want => c == want,
        })
    };
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'H', &b[i..]) {
        if fits(i + p) {
            return i + p;
        }
        i += p + 1;
    }
    b.len()
}

/// Offset just past the blank line that ends a header block (CRLF or bare LF).
fn head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'\n', &b[i..]) {
        let at = i + p;
        if b[at + 1..].starts_with(b"\r\n") {
            return Some(at + 3);
        }
        if b[at + 1..].starts_with(b"\n") {
            return Some(at + 2);
        }
        i = at + 1;
    }
    None
}

/// The first offset (at a line start) where a request or status line begins.
fn find_start(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        if looks_like_start_line(b, i) {
            return Some(i);
        }
        let nl = b[i..].iter().position(|&c| c == b'\n')?;
        i += nl + 1;
        if i >= b.len() {
            return None;
        }
    }
}
