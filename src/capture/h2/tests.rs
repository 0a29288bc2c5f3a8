//! Synthetic HTTP/2 connections: header blocks from `fluke-hpack`'s encoder (or written out
//! by hand from RFC 7541 where the encoder would not produce them), frames from RFC 9113 §4.

use super::frame::{self, encode, PREFACE};
use super::{H2Conn, Start, Why};
use crate::capture::httpstream::{Event, Origin};
use crate::http::Headers;

const C: usize = 0;
const S: usize = 1;

fn hpack(enc: &mut fluke_hpack::Encoder<'_>, fields: &[(&str, &str)]) -> Vec<u8> {
    enc.encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
}

fn settings(table_size: Option<u32>) -> Vec<u8> {
    let mut p = Vec::new();
    if let Some(v) = table_size {
        p.extend_from_slice(&frame::SETTINGS_HEADER_TABLE_SIZE.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    let mut f = Vec::new();
    encode(frame::SETTINGS, 0, 0, &p, &mut f);
    f
}

fn ack() -> Vec<u8> {
    let mut f = Vec::new();
    encode(frame::SETTINGS, frame::ACK, 0, &[], &mut f);
    f
}

const REQ: &[(&str, &str)] = &[
    (":method", "PUT"),
    (":scheme", "https"),
    (":authority", "bucket.example:9000"),
    (":path", "/bucket/key?x=1"),
    (
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request",
    ),
    ("x-amz-date", "20240101T000000Z"),
];

/// A client's bytes: the preface, SETTINGS, a PUT whose header block is split over HEADERS
/// (padded, with priority) and two CONTINUATION frames, and its body in two DATA frames,
/// the first padded. Then a GET reusing the table.
fn client_bytes() -> Vec<u8> {
    let mut enc = fluke_hpack::Encoder::new();
    let mut b = PREFACE.to_vec();
    b.extend(settings(None));
    let block = hpack(&mut enc, REQ);
    let (one, rest) = block.split_at(5);
    let (two, three) = rest.split_at(rest.len() / 2);
    let mut p = vec![3]; // pad length
    p.extend_from_slice(&[0x80, 0, 0, 0, 15]); // exclusive dependency on 0, weight 16
    p.extend_from_slice(one);
    p.extend_from_slice(&[0; 3]);
    encode(
        frame::HEADERS,
        frame::PADDED | frame::PRIORITY_FLAG,
        1,
        &p,
        &mut b,
    );
    encode(frame::CONTINUATION, 0, 1, two, &mut b);
    encode(frame::CONTINUATION, frame::END_HEADERS, 1, three, &mut b);
    let mut p = vec![2];
    p.extend_from_slice(b"hello ");
    p.extend_from_slice(&[0, 0]);
    encode(frame::DATA, frame::PADDED, 1, &p, &mut b);
    encode(frame::DATA, frame::END_STREAM, 1, b"world", &mut b);
    let block = hpack(
        &mut enc,
        &[
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "bucket.example:9000"),
            (":path", "/bucket/other"),
        ],
    );
    encode(
        frame::HEADERS,
        frame::END_HEADERS | frame::END_STREAM,
        3,
        &block,
        &mut b,
    );
    b
}

fn server_bytes() -> Vec<u8> {
    let mut enc = fluke_hpack::Encoder::new();
    let mut b = settings(None);
    b.extend(ack());
    for (stream, body) in [(1u32, &b"stored"[..]), (3, b"")] {
        let block = hpack(&mut enc, &[(":status", "200"), ("server", "test")]);
        let flags = frame::END_HEADERS
            | if body.is_empty() {
                frame::END_STREAM
            } else {
                0
            };
        encode(frame::HEADERS, flags, stream, &block, &mut b);
        if !body.is_empty() {
            encode(frame::DATA, frame::END_STREAM, stream, body, &mut b);
        }
    }
    b
}

/// Each event in a line.
fn describe(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::Request {
                req,
                problems,
                h2_stream,
                ..
            } => format!(
                "request {} {} {} host={} body={} {problems:?}",
                h2_stream.unwrap_or(0),
                req.method,
                String::from_utf8_lossy(&req.target),
                req.header("host").unwrap_or_default(),
                String::from_utf8_lossy(&req.body)
            ),
            Event::Response {
                resp,
                problems,
                h2_stream,
                ..
            } => format!(
                "response {} {} body={} {problems:?}",
                h2_stream.unwrap_or(0),
                resp.status,
                String::from_utf8_lossy(&resp.body)
            ),
            Event::Reset { stream, why } => format!("reset {stream} {why}"),
            Event::Skipped { .. } | Event::RequestHead { .. } => "other".into(),
        })
        .collect()
}

/// Feeds the client's bytes, then the server's, each in pieces cut at `cuts`.
fn run(start: Start, client: &[u8], server: &[u8], cut: usize) -> (Vec<String>, H2Conn) {
    let mut h = H2Conn::new(start, None, 1 << 20);
    let mut ev = Vec::new();
    let o = Origin {
        frame: 1,
        ts_nanos: 0,
    };
    for (d, bytes) in [(C, client), (S, server)] {
        let cut = cut.min(bytes.len());
        h.feed(d, &bytes[..cut], o, &mut ev);
        h.feed(d, &bytes[cut..], o, &mut ev);
    }
    h.close(C, &mut ev);
    h.close(S, &mut ev);
    (describe(&ev), h)
}

const EXPECTED: [&str; 4] = [
    "request 1 PUT /bucket/key?x=1 host=bucket.example:9000 body=hello world []",
    "request 3 GET /bucket/other host=bucket.example:9000 body= []",
    "response 1 200 body=stored []",
    "response 3 200 body= []",
];

#[test]
fn continuation_padding_priority_and_the_table_across_requests() {
    let (ev, h) = run(Start::Preface, &client_bytes(), &server_bytes(), 0);
    assert_eq!(ev, EXPECTED);
    assert_eq!(h.report.why, None);
    assert_eq!(h.client, Some(C));
}

#[test]
fn frames_split_at_every_byte_read_the_same() {
    let (c, s) = (client_bytes(), server_bytes());
    for cut in 0..=c.len().max(s.len()) {
        let (ev, h) = run(Start::Preface, &c, &s, cut);
        assert_eq!(ev, EXPECTED, "cut at {cut}");
        assert_eq!(h.report.why, None, "cut at {cut}");
    }
    // One byte at a time.
    let mut h = H2Conn::new(Start::Alpn, None, 1 << 20);
    let mut ev = Vec::new();
    for (d, bytes) in [(S, &s), (C, &c)] {
        for b in bytes.chunks(1) {
            h.feed(d, b, Origin::default(), &mut ev);
        }
    }
    let mut got = describe(&ev);
    got.sort();
    let mut want = EXPECTED.map(String::from).to_vec();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn the_interleaved_streams_and_the_pseudo_headers_map() {
    let (req, problems) = super::request_of(&[
        (b":method".to_vec(), b"GET".to_vec()),
        (b":authority".to_vec(), b"a.example".to_vec()),
        (b":path".to_vec(), b"/k".to_vec()),
        (b"x-amz-date".to_vec(), b"d".to_vec()),
    ]);
    assert!(problems.is_empty());
    assert_eq!(req.headers[0].name, b"host");
    assert_eq!(req.header("host").as_deref(), Some("a.example"));
    assert_eq!(req.h2_authority.as_ref().map(|a| a.host_added), Some(true));
    let (req, problems) = super::request_of(&[
        (b":method".to_vec(), b"GET".to_vec()),
        (b":authority".to_vec(), b"a.example".to_vec()),
        (b"host".to_vec(), b"b.example".to_vec()),
    ]);
    assert_eq!(problems, ["the request has no :path"]);
    assert_eq!(req.header("host").as_deref(), Some("b.example"));
    assert_eq!(req.h2_authority.map(|a| a.host_added), Some(false));
}

/// A header block written out by hand (RFC 7541 §6): a literal with incremental indexing
/// and a new name.
fn literal_indexed(name: &str, value: &str, out: &mut Vec<u8>) {
    out.push(0x40);
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    out.push(value.len() as u8);
    out.extend_from_slice(value.as_bytes());
}

fn response_with(block: &[u8], stream: u32, out: &mut Vec<u8>) {
    encode(
        frame::HEADERS,
        frame::END_HEADERS | frame::END_STREAM,
        stream,
        block,
        out,
    );
}

fn get(stream: u32, enc: &mut fluke_hpack::Encoder<'_>, out: &mut Vec<u8>) {
    let block = hpack(
        enc,
        &[(":method", "GET"), (":path", "/"), (":authority", "h")],
    );
    response_with(&block, stream, out);
}

#[test]
fn eviction_and_table_size_updates_follow_acknowledged_settings() {
    // The client allows the server's encoder a 100-byte table; the server acknowledges.
    let mut enc = fluke_hpack::Encoder::new();
    let mut c = PREFACE.to_vec();
    c.extend(settings(Some(100)));
    for stream in [1, 3, 5, 7] {
        get(stream, &mut enc, &mut c);
    }
    let mut s = settings(None);
    s.extend(ack());
    // Stream 1: size update to 100 (0x3f 0x45 = 31 + 69), then ":status 200" and an entry
    // of 32 + 4 + 40 = 76 bytes.
    let mut b = vec![0x3f, 0x45, 0x88];
    literal_indexed("x-aa", &"a".repeat(40), &mut b);
    response_with(&b, 1, &mut s);
    // Stream 3: a second 76-byte entry evicts the first; index 62 is the new one.
    let mut b = vec![0x88];
    literal_indexed("x-bb", &"b".repeat(40), &mut b);
    b.push(0x80 | 62);
    response_with(&b, 3, &mut s);
    // Stream 5: index 63 (the evicted entry) does not exist.
    response_with(&[0x88, 0x80 | 63], 5, &mut s);
    // Stream 7: only ":status 200" (static).
    response_with(&[0x88], 7, &mut s);
    let (ev, h) = run(Start::Preface, &c, &s, 0);
    assert_eq!(ev[4], "response 1 200 body= []");
    assert_eq!(ev[5], "response 3 200 body= []");
    assert!(
        ev[6].starts_with("response 5 0 body= [\"its header fields could not be decoded: their compression is not valid (a reference to a table entry that does not exist)"),
        "{ev:?}"
    );
    // Once a block failed, the table is unknown: later blocks are not read against it.
    assert!(
        ev[7].contains("an earlier header block of this connection was not valid"),
        "{ev:?}"
    );
    assert_eq!(h.report.undecoded_blocks, 2);
    assert_eq!(h.report.why, Some(Why::BadHeaders));

    // A size update above what was acknowledged is refused: here the client announced 100
    // but the server's block asks for 4096... without the ACK, 4096 (the default) stands,
    // and 8192 is too large.
    let mut s = settings(None);
    response_with(&[0x3f, 0xe1, 0x3f, 0x88], 1, &mut s); // 31 + 0x61 + (0x3f << 7) = 8192
    let (ev, _) = run(Start::Preface, &c, &s, 0);
    assert!(
        ev[4].contains("a table size larger than the peer allowed"),
        "{ev:?}"
    );
    // Once the client announces 8192 and the server acknowledges it, 8192 is allowed; the
    // SETTINGS a side sends bound the other side's encoder, not its own.
    let mut c2 = PREFACE.to_vec();
    c2.extend(settings(Some(8192)));
    c2.extend_from_slice(&c[PREFACE.len() + 15..]);
    let mut s = settings(Some(64));
    s.extend(ack());
    response_with(&[0x3f, 0xe1, 0x3f, 0x88], 1, &mut s);
    let (ev, h) = run(Start::Preface, &c2, &s, 0);
    assert_eq!(ev[4], "response 1 200 body= []", "{ev:?}");
    assert_eq!(h.report.why, None);
}

#[test]
fn a_bad_frame_length_is_noted_and_the_rest_is_read() {
    let mut c = client_bytes();
    let at = PREFACE.len() + 9; // after the client's SETTINGS
    let mut bad = Vec::new();
    encode(frame::WINDOW_UPDATE, 0, 0, &[0, 0, 1], &mut bad);
    encode(frame::SETTINGS, 0, 0, &[0, 1, 0], &mut bad);
    encode(frame::RST_STREAM, 0, 9, &[0, 0], &mut bad);
    encode(0xfe, 0, 0, b"an unknown type is ignored", &mut bad);
    c.splice(at..at, bad);
    let (ev, h) = run(Start::Preface, &c, &server_bytes(), 0);
    assert_eq!(ev, EXPECTED);
    assert_eq!(h.report.bad_frames, 3);
    assert_eq!(h.report.why, Some(Why::BadFrame));
    // Padding longer than its frame.
    let mut c = PREFACE.to_vec();
    encode(frame::DATA, frame::PADDED, 1, &[9, 1], &mut c);
    let (_, h) = run(Start::Preface, &c, &[], 0);
    assert_eq!(h.report.bad_frames, 1);
}

#[test]
fn a_reset_stream_and_a_cut_connection_are_said_incomplete() {
    let mut enc = fluke_hpack::Encoder::new();
    let mut c = PREFACE.to_vec();
    let block = hpack(&mut enc, REQ);
    encode(frame::HEADERS, frame::END_HEADERS, 1, &block, &mut c);
    encode(frame::DATA, 0, 1, b"part", &mut c);
    let mut s = Vec::new();
    encode(frame::RST_STREAM, 0, 1, &0x8u32.to_be_bytes(), &mut s);
    let (ev, _) = run(Start::Preface, &c, &s, 0);
    assert_eq!(
        ev,
        [
            "request 1 PUT /bucket/key?x=1 host=bucket.example:9000 body=part [\"the server reset the stream (CANCEL)\"]",
            "reset 1 the server reset the stream (CANCEL)",
        ]
    );
    // Cut inside the DATA frame: the request is released, incomplete; nothing panics.
    let (ev, h) = run(Start::Preface, &c[..c.len() - 2], &[], usize::MAX);
    assert_eq!(
        ev,
        ["request 1 PUT /bucket/key?x=1 host=bucket.example:9000 body= [\"the connection ended before the end of this message\"]"]
    );
    assert_eq!(h.report.why, Some(Why::BadFrame));
}

#[test]
fn mid_connection_decodes_what_it_can_and_names_the_rest() {
    // The encoder's table already holds the first request's fields; the capture starts
    // with the second.
    let mut enc = fluke_hpack::Encoder::new();
    hpack(&mut enc, REQ);
    let mut c = Vec::new();
    // (fluke-hpack's encoder adds a field to its table only when its name is in neither.)
    let block = hpack(
        &mut enc,
        &[
            (":method", "GET"),
            ("x-amz-date", "20240101T000000Z"), // in the table: unknown here
            (":path", "/bucket/next"),
            ("x-new", "1"), // new: decoded, and added
        ],
    );
    encode(
        frame::HEADERS,
        frame::END_HEADERS | frame::END_STREAM,
        3,
        &block,
        &mut c,
    );
    // The third refers to an entry added during the capture: decoded.
    let block = hpack(&mut enc, &[(":method", "GET"), ("x-new", "1")]);
    encode(
        frame::HEADERS,
        frame::END_HEADERS | frame::END_STREAM,
        5,
        &block,
        &mut c,
    );
    assert!(frame::looks_like_frames(&c));
    let (ev, h) = run(Start::MidConnection, &c, &[], 0);
    assert_eq!(
        ev,
        [
            "request 3 GET /bucket/next host= body= [\"1 header field could not be decoded: they refer to header fields sent before the capture started\"]",
            "request 5 GET  host= body= [\"the request has no :path\"]",
        ]
    );
    assert_eq!(h.report.undecoded_blocks, 1);
    assert_eq!(h.report.why, Some(Why::MidConnection));
}

#[test]
fn the_static_table_is_rfc_7541s() {
    // fluke-hpack's encoder writes a field found in its static table as its index.
    for (i, (n, v)) in super::decoder::STATIC.iter().enumerate() {
        let mut enc = fluke_hpack::Encoder::new();
        let b = enc.encode([(n.as_bytes(), v.as_bytes())]);
        if v.is_empty() && !matches!(*n, ":authority") {
            // Names with an empty value: a literal whose name is the index.
            assert_eq!(b[0] & 0x3f, (i + 1) as u8, "{n}");
        } else {
            assert_eq!(b, [0x80 | (i + 1) as u8], "{n}: {v}");
        }
    }
}

#[test]
fn garbage_never_panics() {
    // A fixed pseudo-random sequence, cut into frames of every shape.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..300 {
        let mut bytes = Vec::new();
        for _ in 0..(round % 40 + 1) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ty = (x % 11) as u8;
            let len = ((x >> 8) % 40) as usize;
            let payload: Vec<u8> = (0..len).map(|i| (x >> (i % 56)) as u8).collect();
            encode(
                ty,
                (x >> 16) as u8,
                (x >> 24) as u32 % 8,
                &payload,
                &mut bytes,
            );
        }
        for start in [Start::Preface, Start::MidConnection, Start::Alpn] {
            let mut client = PREFACE.to_vec();
            client.extend_from_slice(&bytes);
            let _ = run(start, &client, &bytes, round);
            let _ = run(start, &bytes, &client, round / 2);
        }
    }
}

#[test]
fn an_upgrade_applies_the_http2_settings_header_and_answers_stream_1() {
    // HTTP2-Settings `AAEAACAA`: SETTINGS_HEADER_TABLE_SIZE 8192, acknowledged by the 101.
    let mut s = settings(None);
    response_with(&[0x3f, 0xe1, 0x3f, 0x88], 1, &mut s);
    let mut c = PREFACE.to_vec();
    c.extend(settings(None));
    for (header, ok) in [(&b"AAEAACAA"[..], true), (b"AAEAABAA", false)] {
        let mut h = H2Conn::new(Start::Upgrade, Some(C), 1 << 20);
        h.upgraded(Some(header));
        let mut ev = Vec::new();
        h.feed(C, &c, Origin::default(), &mut ev);
        h.feed(S, &s, Origin::default(), &mut ev);
        let got = describe(&ev);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0] == "response 1 200 body= []", ok, "{got:?}");
    }
}
