//! HTTP/2 in captures (RFC 9113): the frames of one connection, both directions, read into
//! the same request and response events as the HTTP/1 reader's, so that every stream becomes
//! an ordinary exchange. Each direction has its own HPACK decoder (RFC 7541), whose dynamic
//! table lives as long as the connection; a SETTINGS_HEADER_TABLE_SIZE sent by one side
//! bounds the table of the other side's encoder once acknowledged (RFC 9113 §6.5.3).
//!
//! A capture that starts mid-connection has not seen the entries its header blocks refer to:
//! what cannot be decoded is said to be so (`decoder.rs`), never guessed. Gaps, truncated
//! and malformed frames never panic; what follows them is read where the framing allows.

pub(crate) mod decoder;
pub mod frame;
pub mod hpack;
#[cfg(test)]
mod hpack_tests;
mod huffman;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};

use super::httpstream::{Event, Origin};
use frame::Head;
pub use stream::request_of;

/// Open streams kept at once; a connection that opens more loses the oldest.
const MAX_OPEN: usize = 4096;
/// The largest header block kept while its CONTINUATION frames arrive.
const MAX_BLOCK: usize = 1 << 20;

/// How this connection was found to speak HTTP/2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// The client's first bytes were the preface (h2c with prior knowledge, or over TLS).
    Preface,
    /// TLS chose `h2` by ALPN: the client's first bytes will be the preface.
    Alpn,
    /// The server sent frames first on a connection whose start the capture has (its
    /// SETTINGS, before the client's preface).
    ServerFirst,
    /// An HTTP/1.1 request with `Upgrade: h2c` was answered `101 Switching Protocols`; its
    /// request is stream 1's.
    Upgrade,
    /// The capture started after the connection did: frames, no preface.
    MidConnection,
}

/// Why some of a connection's HTTP/2 could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// Header blocks referred to compression table entries sent before the capture began.
    MidConnection,
    /// Bytes missing from the TCP stream: the frames after them cannot be found.
    Gap,
    /// A header block was not valid HPACK, or was cut off.
    BadHeaders,
    /// A frame broke HTTP/2's rules (a bad length, a misplaced CONTINUATION).
    BadFrame,
    /// The client's first bytes were not the HTTP/2 preface.
    NoPreface,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Why::MidConnection => {
                "the capture started after the connection did, so header fields compressed \
                 against earlier ones cannot be decoded"
            }
            Why::Gap => "bytes missing from the TCP stream broke the HTTP/2 frames",
            Why::BadHeaders => "a header block could not be decoded",
            Why::BadFrame => "a frame broke the rules of HTTP/2",
            Why::NoPreface => "the client did not start with the HTTP/2 preface",
        })
    }
}

/// What was read of one connection, for the capture's counts.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub frames: u64,
    /// Header blocks (requests, responses, trailers, pushes) not decoded, wholly or partly.
    pub undecoded_blocks: u64,
    pub bad_frames: u64,
    /// DATA of streams whose headers the capture does not have.
    pub orphan_bytes: u64,
    /// The first reason something was not read.
    pub why: Option<Why>,
}

/// One direction's framing and header decoding.
struct Dir {
    buf: Vec<u8>,
    /// Bytes of the preface matched so far; `None` once frames are read (or none expected).
    preface: Option<usize>,
    table: hpack::Table,
    /// A header block awaiting its CONTINUATION frames.
    block: Option<stream::Block>,
    /// Header table sizes this side announced in SETTINGS frames not yet acknowledged (one
    /// entry per frame: `None` when it did not set the size).
    announced: VecDeque<Option<u32>>,
    /// Framing lost (a gap): nothing more of this direction is read.
    broken: bool,
    last: Origin,
}

impl Dir {
    fn new(mid_connection: bool) -> Self {
        Dir {
            buf: Vec::new(),
            preface: None,
            table: hpack::Table::new(mid_connection),
            block: None,
            announced: VecDeque::new(),
            broken: false,
            last: Origin::default(),
        }
    }
}

/// One HTTP/2 connection, both directions.
pub struct H2Conn {
    dirs: [Dir; 2],
    /// Which direction is the client's, once known.
    client: Option<usize>,
    streams: HashMap<u32, stream::Stream>,
    /// Stream ids in the order they opened (for [`MAX_OPEN`]).
    order: VecDeque<u32>,
    body_cap: usize,
    pub report: Report,
}

impl H2Conn {
    /// `client`: the client's direction when known (from the TCP handshake, or the side that
    /// sent the preface or the upgrade request).
    pub fn new(start: Start, client: Option<usize>, body_cap: usize) -> Self {
        let mid = start == Start::MidConnection;
        let mut c = H2Conn {
            dirs: [Dir::new(mid), Dir::new(mid)],
            client,
            streams: HashMap::new(),
            order: VecDeque::new(),
            body_cap,
            report: Report::default(),
        };
        if mid {
            c.fail(Why::MidConnection);
        } else {
            // The client's first bytes are the preface; the server's are frames. While the
            // client is unknown, each side is tried against the preface.
            for d in 0..2 {
                if client.is_none_or(|c| c == d) {
                    c.dirs[d].preface = Some(0);
                }
            }
        }
        c
    }

    /// An upgrade: stream 1's request was the HTTP/1.1 one, whose `HTTP2-Settings` header
    /// (base64url of a SETTINGS payload, RFC 7540 §3.2.1) the 101 acknowledged.
    pub fn upgraded(&mut self, http2_settings: Option<&[u8]>) {
        self.streams
            .insert(1, stream::Stream::upgraded(self.client.unwrap_or(0)));
        self.order.push_back(1);
        let Some(client) = self.client else { return };
        let payload = http2_settings.and_then(|v| {
            use base64::Engine;
            let mut v = v.trim_ascii();
            while let Some(rest) = v.strip_suffix(b"=") {
                v = rest;
            }
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
        });
        if let Some(Ok(settings)) = payload.as_deref().map(frame::settings) {
            for (id, v) in settings {
                if id == frame::SETTINGS_HEADER_TABLE_SIZE {
                    self.dirs[1 - client].table.set_allowed(v);
                }
            }
        }
    }

    fn fail(&mut self, why: Why) {
        if self.report.why.is_none() {
            self.report.why = Some(why);
        }
    }

    /// Reassembled bytes of direction `d`.
    pub fn feed(&mut self, d: usize, data: &[u8], origin: Origin, out: &mut Vec<Event>) {
        if self.dirs[d].broken {
            return;
        }
        if origin.frame != 0 {
            self.dirs[d].last = origin;
        }
        let data = self.preface(d, data);
        if data.is_empty() || self.dirs[d].broken {
            return;
        }
        let dir = &mut self.dirs[d];
        // Whole frames straight from `data` when nothing is buffered; the rest is kept.
        let mut rest = data;
        if dir.buf.is_empty() {
            while let Some(h) = Head::parse(rest) {
                if rest.len() < frame::HEADER_LEN + h.len {
                    break;
                }
                let (f, r) = rest.split_at(frame::HEADER_LEN + h.len);
                rest = r;
                self.frame(d, h, &f[frame::HEADER_LEN..], out);
                if self.dirs[d].broken {
                    return;
                }
            }
            self.dirs[d].buf.extend_from_slice(rest);
            return;
        }
        dir.buf.extend_from_slice(rest);
        let buf = std::mem::take(&mut self.dirs[d].buf);
        let mut at = 0;
        while let Some(h) = Head::parse(&buf[at..]) {
            let end = at + frame::HEADER_LEN + h.len;
            if buf.len() < end {
                break;
            }
            self.frame(d, h, &buf[at + frame::HEADER_LEN..end], out);
            at = end;
            if self.dirs[d].broken {
                return;
            }
        }
        let mut buf = buf;
        buf.drain(..at);
        self.dirs[d].buf = buf;
    }

    /// Matches the start of direction `d` against the preface; returns what follows it.
    fn preface<'b>(&mut self, d: usize, data: &'b [u8]) -> &'b [u8] {
        let Some(seen) = self.dirs[d].preface else {
            return data;
        };
        let want = &frame::PREFACE[seen..];
        let n = want.len().min(data.len());
        if data[..n] == want[..n] {
            if seen + n == frame::PREFACE.len() {
                self.dirs[d].preface = None;
                self.client = Some(d);
                if self.dirs[1 - d].preface.is_some() {
                    self.dirs[1 - d].preface = None;
                }
            } else {
                self.dirs[d].preface = Some(seen + n);
            }
            return &data[n..];
        }
        self.dirs[d].preface = None;
        match self.client {
            Some(c) if c == d => {
                self.fail(Why::NoPreface);
                self.dirs[d].broken = true;
                &[]
            }
            _ if seen > 0 => {
                // Began like the preface, then was not: neither side can be read as HTTP/2.
                self.fail(Why::NoPreface);
                self.dirs[d].broken = true;
                &[]
            }
            _ => {
                // Frames from the side that sent no preface: the server.
                if self.client.is_none() {
                    self.client = Some(1 - d);
                }
                data
            }
        }
    }

    /// Bytes of direction `d` were lost: its framing cannot be found again.
    pub fn gap(&mut self, d: usize, n: u64, out: &mut Vec<Event>) {
        if self.dirs[d].broken {
            return;
        }
        self.fail(Why::Gap);
        self.dirs[d].broken = true;
        self.dirs[d].buf.clear();
        let why = format!(
            "{} missing from the capture; the rest of this side of the connection was not read",
            crate::words::count_s(n, "byte")
        );
        self.end_dir(d, &why, out);
    }

    /// Direction `d` ended (FIN, RST, end of capture): what it had not finished is released,
    /// said to be incomplete.
    pub fn close(&mut self, d: usize, out: &mut Vec<Event>) {
        if !self.dirs[d].buf.is_empty() && !self.dirs[d].broken {
            self.note_bad(Why::BadFrame);
            self.dirs[d].buf.clear();
        }
        self.end_dir(
            d,
            "the connection ended before the end of this message",
            out,
        );
    }

    fn note_bad(&mut self, why: Why) {
        self.report.bad_frames += 1;
        self.fail(why);
    }

    /// One whole frame of direction `d`.
    fn frame(&mut self, d: usize, h: Head, p: &[u8], out: &mut Vec<Event>) {
        self.report.frames += 1;
        if self.dirs[d].block.is_some() && h.ty != frame::CONTINUATION {
            // A header block must be followed by its CONTINUATION frames and nothing else
            // (§6.10): the block is lost, and with it the decoder's table.
            let b = self.dirs[d].block.take();
            self.note_bad(Why::BadFrame);
            self.dirs[d].table.lose();
            if let Some(b) = b {
                self.undecodable(
                    d,
                    b,
                    "its header block was interrupted by another frame",
                    out,
                );
            }
        }
        let r = match h.ty {
            frame::DATA => frame::unpad(h.flags, p).map(|body| self.data(d, h, body, out)),
            frame::HEADERS => frame::headers_fragment(h.flags, p)
                .map(|frag| self.headers(d, h, h.ty, 0, frag, out)),
            frame::PUSH_PROMISE => frame::push_promise(h.flags, p)
                .map(|(promised, frag)| self.headers(d, h, h.ty, promised, frag, out)),
            frame::CONTINUATION => {
                self.continuation(d, h, p, out);
                Ok(())
            }
            frame::SETTINGS => self.settings(d, h, p),
            frame::RST_STREAM => frame::error_code("RST_STREAM", p).map(|code| {
                let who = if self.client == Some(d) {
                    "client"
                } else {
                    "server"
                };
                let why = format!("the {who} reset the stream ({})", frame::error_name(code));
                self.reset(h.stream, &why, out);
            }),
            frame::WINDOW_UPDATE if p.len() != 4 => {
                Err(frame::FrameError::Length("WINDOW_UPDATE", p.len(), "4"))
            }
            frame::PRIORITY if p.len() != 5 => {
                Err(frame::FrameError::Length("PRIORITY", p.len(), "5"))
            }
            frame::PING if p.len() != 8 => Err(frame::FrameError::Length("PING", p.len(), "8")),
            frame::GOAWAY if p.len() < 8 => {
                Err(frame::FrameError::Length("GOAWAY", p.len(), "at least 8"))
            }
            // PRIORITY, PING, GOAWAY, WINDOW_UPDATE carry nothing an exchange needs; unknown
            // types are ignored (§4.1).
            _ => Ok(()),
        };
        if r.is_err() {
            self.note_bad(Why::BadFrame);
        }
    }

    fn settings(&mut self, d: usize, h: Head, p: &[u8]) -> Result<(), frame::FrameError> {
        if h.flags & frame::ACK != 0 {
            // The peer acknowledges this side's oldest unacknowledged SETTINGS: from now on
            // this side's encoder may use the size the peer announced.
            if let Some(Some(size)) = self.dirs[1 - d].announced.pop_front() {
                self.dirs[d].table.set_allowed(size);
            }
            return Ok(());
        }
        let mut size = None;
        for (id, v) in frame::settings(p)? {
            if id == frame::SETTINGS_HEADER_TABLE_SIZE {
                size = Some(v);
            }
        }
        let a = &mut self.dirs[d].announced;
        if a.len() < 64 {
            a.push_back(size);
        }
        Ok(())
    }

    fn continuation(&mut self, d: usize, h: Head, p: &[u8], out: &mut Vec<Event>) {
        let Some(b) = self.dirs[d].block.as_mut() else {
            // A CONTINUATION of a block this capture does not have (mid-connection), or out
            // of place: the table may have missed entries.
            self.note_bad(Why::BadFrame);
            self.dirs[d].table.lose();
            return;
        };
        if b.stream != h.stream || b.fragment.len() + p.len() > MAX_BLOCK {
            let b = self.dirs[d].block.take();
            self.note_bad(Why::BadFrame);
            self.dirs[d].table.lose();
            if let Some(b) = b {
                self.undecodable(d, b, "its CONTINUATION frames were not valid", out);
            }
            return;
        }
        b.fragment.extend_from_slice(p);
        if h.flags & frame::END_HEADERS != 0 {
            if let Some(b) = self.dirs[d].block.take() {
                self.block(d, b, out);
            }
        }
    }
}
