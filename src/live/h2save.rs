//! The saved session's form of an HTTP/2 connection (issue 13): real HTTP/2 frames on the
//! synthesised TCP connection, as a client with prior knowledge would send them — the
//! preface, SETTINGS both ways and their acknowledgements, then per exchange the request's
//! HEADERS (HPACK-encoded by `fluke-hpack`, one encoder per direction whose table lives as
//! long as the connection, so later blocks refer to earlier ones) and DATA, and the
//! response's. Streams are numbered in the order exchanges complete. Capture replay reads it
//! back with `capture/h2`, and Wireshark with "Decode As HTTP2" on the listener's port.

use crate::capture::h2::frame::{self, encode, PREFACE};
use crate::http::{Request, Response};

/// The default SETTINGS_MAX_FRAME_SIZE: no frame written is larger.
const MAX_FRAME: usize = 16_384;

pub struct H2Save {
    client: fluke_hpack::Encoder<'static>,
    server: fluke_hpack::Encoder<'static>,
    next_stream: u32,
    scheme: &'static str,
}

impl H2Save {
    /// The connection's opening: (client bytes, server bytes).
    pub fn open(tls: bool) -> (Self, Vec<u8>, Vec<u8>) {
        let mut c = PREFACE.to_vec();
        encode(frame::SETTINGS, 0, 0, &[], &mut c);
        encode(frame::SETTINGS, frame::ACK, 0, &[], &mut c);
        let mut s = Vec::new();
        encode(frame::SETTINGS, 0, 0, &[], &mut s);
        encode(frame::SETTINGS, frame::ACK, 0, &[], &mut s);
        let save = H2Save {
            client: fluke_hpack::Encoder::new(),
            server: fluke_hpack::Encoder::new(),
            next_stream: 1,
            scheme: if tls { "https" } else { "http" },
        };
        (save, c, s)
    }

    /// One exchange on the next stream: (client bytes, server bytes).
    pub fn exchange(&mut self, req: &Request, resp: Option<&Response>) -> (Vec<u8>, Vec<u8>) {
        let stream = self.next_stream;
        self.next_stream = self.next_stream.saturating_add(2);
        let authority = req
            .h2_authority
            .as_ref()
            .map(|a| a.value.clone())
            .or_else(|| {
                req.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(b"host"))
                    .map(|h| h.value.clone())
            })
            .unwrap_or_default();
        let host_added = req.h2_authority.as_ref().is_none_or(|a| a.host_added);
        let mut fields: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b":method".to_vec(), req.method.as_bytes().to_vec()),
            (b":scheme".to_vec(), self.scheme.as_bytes().to_vec()),
            (b":authority".to_vec(), authority),
            (b":path".to_vec(), req.target.clone()),
        ];
        fields.extend(
            req.headers
                .iter()
                .filter(|h| !(host_added && h.name.eq_ignore_ascii_case(b"host")))
                .map(|h| (h.name.to_ascii_lowercase(), h.value.clone())),
        );
        let mut c = Vec::new();
        let block = encode_block(&mut self.client, &fields);
        headers(stream, &block, req.body.is_empty(), &mut c);
        data(stream, &req.body, &mut c);
        let mut s = Vec::new();
        if let Some(r) = resp {
            let mut fields = vec![(b":status".to_vec(), r.status.to_string().into_bytes())];
            fields.extend(
                r.headers
                    .iter()
                    .map(|h| (h.name.to_ascii_lowercase(), h.value.clone())),
            );
            let body: &[u8] = if req.method == "HEAD" { &[] } else { &r.body };
            let block = encode_block(&mut self.server, &fields);
            headers(stream, &block, body.is_empty(), &mut s);
            data(stream, body, &mut s);
        }
        (c, s)
    }
}

fn encode_block(enc: &mut fluke_hpack::Encoder<'_>, fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    enc.encode(fields.iter().map(|(n, v)| (&n[..], &v[..])))
}

/// HEADERS, then CONTINUATION frames when the block is larger than a frame.
fn headers(stream: u32, block: &[u8], end_stream: bool, out: &mut Vec<u8>) {
    let mut parts = block.chunks(MAX_FRAME).peekable();
    let first = parts.next().unwrap_or_default();
    let last = parts.peek().is_none();
    let flags =
        if end_stream { frame::END_STREAM } else { 0 } | if last { frame::END_HEADERS } else { 0 };
    encode(frame::HEADERS, flags, stream, first, out);
    while let Some(p) = parts.next() {
        let flags = if parts.peek().is_none() {
            frame::END_HEADERS
        } else {
            0
        };
        encode(frame::CONTINUATION, flags, stream, p, out);
    }
}

/// DATA frames, the last with END_STREAM (none for an empty body: HEADERS ended it).
fn data(stream: u32, body: &[u8], out: &mut Vec<u8>) {
    let mut parts = body.chunks(MAX_FRAME).peekable();
    while let Some(p) = parts.next() {
        let flags = if parts.peek().is_none() {
            frame::END_STREAM
        } else {
            0
        };
        encode(frame::DATA, flags, stream, p, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::h2::{H2Conn, Start};
    use crate::capture::httpstream::{Event, Origin};
    use crate::http::{Authority, Header, Headers};

    #[test]
    fn saved_frames_read_back_as_the_same_exchanges() {
        let (mut save, mut c, mut s) = H2Save::open(false);
        let mut reqs = Vec::new();
        for (i, body) in [vec![], vec![7u8; 40_000]].into_iter().enumerate() {
            let req = Request {
                method: if body.is_empty() { "GET" } else { "PUT" }.into(),
                target: format!("/bucket/k{i}?a=b").into_bytes(),
                version: "HTTP/2".into(),
                headers: vec![
                    Header::new("host", "h.example:9000"),
                    Header::new("x-amz-date", "20240101T000000Z"),
                    Header::new("x-long", "v".repeat(20_000)),
                ],
                body,
                h2_authority: Some(Authority {
                    value: b"h.example:9000".to_vec(),
                    host_added: true,
                }),
                ..Default::default()
            };
            let resp = Response {
                status: 200,
                version: "HTTP/2".into(),
                headers: vec![Header::new("server", "sigscope")],
                body: b"ok".to_vec(),
                ..Default::default()
            };
            let (rc, rs) = save.exchange(&req, Some(&resp));
            c.extend(rc);
            s.extend(rs);
            reqs.push(req);
        }
        let mut h = H2Conn::new(Start::Preface, Some(0), 1 << 20);
        let mut ev = Vec::new();
        h.feed(0, &c, Origin::default(), &mut ev);
        h.feed(1, &s, Origin::default(), &mut ev);
        let got: Vec<_> = ev
            .into_iter()
            .filter_map(|e| match e {
                Event::Request { req, .. } => Some(*req),
                _ => None,
            })
            .collect();
        assert_eq!(got.len(), 2);
        for (g, r) in got.iter().zip(&reqs) {
            assert_eq!(
                (&g.method, &g.target, &g.body),
                (&r.method, &r.target, &r.body)
            );
            assert_eq!(g.headers, r.headers);
            assert_eq!(g.h2_authority, r.h2_authority);
            assert_eq!(g.header("x-long").map(|v| v.len()), Some(20_000));
        }
        assert_eq!(h.report.why, None);
    }
}
