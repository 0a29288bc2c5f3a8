//! HTTP/2 streams: each direction's header block and body, released as a request or a
//! response event when its END_STREAM arrives (or when the stream or connection ends first,
//! said to be incomplete). Pseudo-header fields map onto the request as the listener and
//! HAR import map them (`live/h2.rs`, `ingest/har.rs`): `:authority` becomes the Host when
//! the request has none.

use sha2::{Digest, Sha256};

use super::super::httpstream::{Event, Origin};
use super::{frame, hpack, H2Conn, Why, MAX_OPEN};
use crate::http::{BodyDigest, Header, Request, Response};

/// A header block being assembled (HEADERS or PUSH_PROMISE, then CONTINUATION).
pub(super) struct Block {
    pub stream: u32,
    pub ty: u8,
    pub end_stream: bool,
    pub fragment: Vec<u8>,
    /// Where the block's first frame was.
    pub at: Origin,
}

/// One direction of a stream.
struct Half {
    fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// Why fields could not be decoded: all of them when `fields` is empty, else some.
    undecoded: Option<String>,
    body: Vec<u8>,
    len: u64,
    /// Requests only, and only once the body outgrows the cap (the digest is then the only
    /// record of all of it): a body kept whole is hashed by the workers that verify it.
    hasher: Option<Sha256>,
    origin: Origin,
    problems: Vec<String>,
    request: bool,
}

pub(super) struct Stream {
    halves: [Option<Half>; 2],
    done: [bool; 2],
}

impl Stream {
    fn new() -> Self {
        Stream {
            halves: [None, None],
            done: [false, false],
        }
    }

    /// Stream 1 after an upgrade: its request was read as HTTP/1.1.
    pub(super) fn upgraded(client: usize) -> Self {
        let mut s = Stream::new();
        s.done[client] = true;
        s
    }
}

fn has(fields: &[(Vec<u8>, Vec<u8>)], name: &[u8]) -> bool {
    fields.iter().any(|(n, _)| n == name)
}

impl H2Conn {
    /// A HEADERS or PUSH_PROMISE frame's fragment.
    pub(super) fn headers(
        &mut self,
        d: usize,
        h: frame::Head,
        ty: u8,
        _promised: u32,
        fragment: &[u8],
        out: &mut Vec<Event>,
    ) {
        let b = Block {
            stream: h.stream,
            ty,
            end_stream: ty == frame::HEADERS && h.flags & frame::END_STREAM != 0,
            fragment: fragment.to_vec(),
            at: self.dirs[d].last,
        };
        if h.flags & frame::END_HEADERS != 0 {
            self.block(d, b, out);
        } else {
            self.dirs[d].block = Some(b);
        }
    }

    /// A whole header block: decoded (always, for the table's sake), then placed.
    pub(super) fn block(&mut self, d: usize, b: Block, out: &mut Vec<Event>) {
        let decoded = self.dirs[d].table.decode(&b.fragment);
        self.place(d, b, decoded, out);
    }

    /// A block that could not be assembled: its stream is marked.
    pub(super) fn undecodable(&mut self, d: usize, b: Block, why: &str, out: &mut Vec<Event>) {
        self.place(d, b, hpack::Block::not_decoded(why.to_string()), out);
    }

    fn place(&mut self, d: usize, b: Block, decoded: hpack::Block, out: &mut Vec<Event>) {
        if decoded.undecoded.is_some() {
            self.report.undecoded_blocks += 1;
            let mid = self.dirs[d].table.mid_connection();
            self.fail(if mid {
                Why::MidConnection
            } else {
                Why::BadHeaders
            });
        }
        // Pushed streams (even ids) answer no request of the client's; stream 0 carries no
        // headers (a protocol error, noted). Their blocks were decoded for the table only.
        if b.ty == frame::PUSH_PROMISE || b.stream % 2 == 0 {
            if b.stream == 0 {
                self.note_bad(Why::BadFrame);
            }
            return;
        }
        let f = &decoded.fields;
        let request = if has(f, b":method") {
            true
        } else if has(f, b":status") {
            false
        } else if let Some(c) = self.client {
            c == d
        } else {
            // Not decoded, roles unknown: the side that opens a stream is the client's.
            !self.streams.contains_key(&b.stream)
        };
        if self.client.is_none() {
            self.client = Some(if request { d } else { 1 - d });
        }
        if !request
            && f.iter()
                .any(|(n, v)| n == b":status" && v.first() == Some(&b'1'))
        {
            // An interim response (100 Continue, 103): the final one follows.
            return;
        }
        let id = b.stream;
        let s = self.stream(id, out);
        match &mut s.halves[d] {
            Some(half) => {
                // A second block in the same direction: trailers.
                if let Some(why) = decoded.undecoded {
                    half.problems.push(format!(
                        "its trailer fields could not all be decoded: {why}"
                    ));
                }
                half.fields.extend(decoded.fields);
            }
            slot @ None => {
                let undecoded = decoded.undecoded.map(|why| match decoded.unknown {
                    0 => why,
                    n => format!(
                        "{} could not be decoded: {why}",
                        crate::words::count_s(n as u64, "header field")
                    ),
                });
                *slot = Some(Half {
                    fields: decoded.fields,
                    undecoded,
                    body: Vec::new(),
                    len: 0,
                    hasher: None,
                    origin: b.at,
                    problems: Vec::new(),
                    request,
                });
            }
        }
        if b.end_stream {
            self.finish(id, d, None, out);
        }
    }

    /// The stream `id`, opened if new; the oldest is released when too many are open.
    fn stream(&mut self, id: u32, out: &mut Vec<Event>) -> &mut Stream {
        if !self.streams.contains_key(&id) {
            while self.streams.len() >= MAX_OPEN {
                let Some(old) = self.order.pop_front() else {
                    break;
                };
                for d in 0..2 {
                    self.finish(old, d, Some("too many streams were open at once"), out);
                }
                self.streams.remove(&old);
            }
            if self.order.len() > 2 * MAX_OPEN {
                let streams = &self.streams;
                self.order.retain(|s| streams.contains_key(s));
            }
            self.order.push_back(id);
        }
        self.streams.entry(id).or_insert_with(Stream::new)
    }

    pub(super) fn data(&mut self, d: usize, h: frame::Head, body: &[u8], out: &mut Vec<Event>) {
        let cap = self.body_cap;
        let half = self
            .streams
            .get_mut(&h.stream)
            .and_then(|s| s.halves[d].as_mut());
        let Some(half) = half else {
            self.report.orphan_bytes += body.len() as u64;
            return;
        };
        half.len += body.len() as u64;
        let room = cap.saturating_sub(half.body.len());
        if half.request && half.hasher.is_none() && body.len() > room {
            let mut hs = Sha256::new();
            hs.update(&half.body);
            half.hasher = Some(hs);
        }
        if let Some(hs) = half.hasher.as_mut() {
            hs.update(body);
        }
        half.body.extend_from_slice(&body[..room.min(body.len())]);
        if h.flags & frame::END_STREAM != 0 {
            self.finish(h.stream, d, None, out);
        }
    }

    /// RST_STREAM: what the stream had not finished is released, and an exchange waiting
    /// for its response is told why none comes.
    pub(super) fn reset(&mut self, id: u32, why: &str, out: &mut Vec<Event>) {
        for d in 0..2 {
            self.finish(id, d, Some(why), out);
        }
        self.streams.remove(&id);
        out.push(Event::Reset {
            stream: id,
            why: why.to_string(),
        });
    }

    /// Releases every unfinished half of direction `d`.
    pub(super) fn end_dir(&mut self, d: usize, why: &str, out: &mut Vec<Event>) {
        if let Some(b) = self.dirs[d].block.take() {
            self.undecodable(d, b, "the capture ends inside its header block", out);
        }
        let mut ids: Vec<u32> = self
            .streams
            .iter()
            .filter(|(_, s)| s.halves[d].is_some() && !s.done[d])
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.finish(id, d, Some(why), out);
        }
    }

    /// Releases direction `d` of stream `id` (`unfinished`: why it is incomplete).
    fn finish(&mut self, id: u32, d: usize, unfinished: Option<&str>, out: &mut Vec<Event>) {
        let Some(s) = self.streams.get_mut(&id) else {
            return;
        };
        if s.done[d] {
            return;
        }
        let Some(mut half) = s.halves[d].take() else {
            return;
        };
        s.done[d] = true;
        let both = s.done[1 - d];
        if both {
            self.streams.remove(&id);
        }
        if let Some(why) = unfinished {
            half.problems.push(why.to_string());
        }
        out.push(emit(id, half));
    }
}

fn emit(id: u32, half: Half) -> Event {
    let mut problems = half.problems;
    if half.request {
        let (mut req, more) = match &half.undecoded {
            None => request_of(&half.fields),
            Some(why) if !half.fields.is_empty() => {
                let (r, mut more) = request_of(&half.fields);
                more.insert(0, why.clone());
                (r, more)
            }
            Some(why) => (
                Request {
                    version: "HTTP/2".into(),
                    ..Default::default()
                },
                vec![format!("its header fields could not be decoded: {why}")],
            ),
        };
        problems.extend(more);
        let sha = match half.hasher {
            _ if half.len == 0 => Some(crate::engine::crypto::EMPTY_SHA256.to_string()),
            Some(h) => Some(crate::engine::crypto::to_hex(&h.finalize())),
            None => None,
        };
        req.body_digest = match &sha {
            Some(h) if half.body.len() as u64 != half.len => Some(BodyDigest {
                len: half.len,
                sha256_hex: h.clone(),
            }),
            _ => None,
        };
        req.body = half.body;
        req.body_sha256 = sha;
        Event::Request {
            req: Box::new(req),
            origin: half.origin,
            end: half.origin,
            problems,
            h2_stream: Some(id),
        }
    } else {
        let mut resp = Response {
            version: "HTTP/2".into(),
            ..Default::default()
        };
        if let (Some(why), false) = (&half.undecoded, half.fields.is_empty()) {
            problems.push(why.clone());
        }
        match &half.undecoded {
            Some(why) if half.fields.is_empty() => {
                problems.push(format!("its header fields could not be decoded: {why}"))
            }
            _ => {
                for (n, v) in &half.fields {
                    if n == b":status" {
                        resp.status = std::str::from_utf8(v)
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                    } else if !n.starts_with(b":") {
                        resp.headers.push(Header::new(n.clone(), v.clone()));
                    }
                }
                if resp.status == 0 {
                    problems.push("the response has no valid :status".into());
                }
            }
        }
        resp.body = half.body;
        Event::Response {
            resp: Box::new(resp),
            origin: half.origin,
            end: half.origin,
            problems,
            h2_stream: Some(id),
        }
    }
}

/// A request from its decoded header fields: `:method`, `:path` (the target; `:authority`
/// for CONNECT), and `:authority` as the Host when there is no Host field, first, as
/// `live/h2.rs` and `ingest/har.rs` record it. `:scheme` has no place in the model (the
/// target stays in origin form, as signatures cover it). Returns what was missing.
pub fn request_of(fields: &[(Vec<u8>, Vec<u8>)]) -> (Request, Vec<String>) {
    let mut problems = Vec::new();
    let pseudo = |name: &[u8]| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let method = pseudo(b":method").map(|m| String::from_utf8_lossy(m).into_owned());
    let authority = pseudo(b":authority");
    let target = match (method.as_deref(), pseudo(b":path")) {
        (_, Some(p)) => p.clone(),
        (Some("CONNECT"), None) => authority.cloned().unwrap_or_default(),
        _ => {
            problems.push("the request has no :path".to_string());
            Vec::new()
        }
    };
    if method.is_none() {
        problems.push("the request has no :method".to_string());
    }
    let mut headers: Vec<Header> = Vec::with_capacity(fields.len());
    let has_host = fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(b"host"));
    if let (false, Some(a)) = (has_host, authority) {
        headers.push(Header::new("host", a.clone()));
    }
    headers.extend(
        fields
            .iter()
            .filter(|(n, _)| !n.starts_with(b":"))
            .map(|(n, v)| Header::new(n.clone(), v.clone())),
    );
    let req = Request {
        method: method.unwrap_or_default(),
        target,
        version: "HTTP/2".into(),
        headers,
        h2_authority: authority.map(|a| crate::http::Authority {
            value: a.clone(),
            host_added: !has_host,
        }),
        ..Default::default()
    };
    (req, problems)
}
