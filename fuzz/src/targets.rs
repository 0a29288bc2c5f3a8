//! The bodies of the fuzz targets (issue 19), one function a target, with the helpers they
//! share: how an input is cut into the pieces a streaming parser is fed, and the check that no
//! control byte reaches a text report raw. `seed.sh` writes its seeds in these layouts.
//!
//! This file needs only `sigscope` and its dependencies: `fuzz_targets/*.rs` call it under
//! libFuzzer, and the normal test suite includes it (`tests/engine/fuzz_regressions.rs`) to
//! run every committed crash input through the very same code.

/// Cuts `data` into `(tag, bytes)` records: one tag byte, a big-endian 16-bit length, that
/// many bytes (fewer when the input ends first). What a target does with the tag (a
/// direction, a link type, a gap) is its own.
pub fn records(mut data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 3 {
        let tag = data[0];
        let len = usize::from(u16::from_be_bytes([data[1], data[2]]));
        let end = (3 + len).min(data.len());
        out.push((tag, &data[3..end]));
        data = &data[end..];
    }
    out
}

/// Cuts `data` into pieces of `1 << (ctl % 12)` bytes (1 to 2048): the same stream fed in
/// pieces of every size, so that each parser's resumption at a piece boundary is exercised.
pub fn pieces(ctl: u8, data: &[u8]) -> std::slice::Chunks<'_, u8> {
    data.chunks(1usize << (ctl % 12))
}

/// The first control character of `s` that is neither a newline nor a tab: what no text or
/// markdown report may carry from its input (README, "Hostile input"; `escape.rs`).
pub fn raw_control(s: &str) -> Option<(usize, char)> {
    s.char_indices()
        .find(|&(_, c)| c.is_control() && c != '\n' && c != '\t')
}

/// Link, IP and TCP decoding with IP defragmentation (`capture/link.rs`, `capture/decode.rs`).
/// Input: records (tag, frame); the tag picks the link type, one decoder sees every frame so
/// that fragments of one datagram meet.
pub fn link_ip_tcp(data: &[u8]) {
    link_ip_tcp::run(data)
}

/// TCP reassembly of one direction (`capture/tcp.rs`) driven by segments decoded from the
/// input: records whose tag's low bit is SYN and whose first four bytes are the sequence
/// number; what is delivered goes on to the HTTP/1 reader, as in a capture.
pub fn tcp_reassembly(data: &[u8]) {
    tcp_reassembly::run(data)
}

/// The HTTP/1 message reader of captures (`capture/httpstream.rs`: heads, Content-Length,
/// chunked bodies and trailers, HEAD, 1xx, the switch to HTTP/2) and the raw parser of
/// `http.rs` (`parse_raw`, `decode_chunked`). Input: a control byte (piece size, side, body
/// cap), then the stream.
pub fn http1(data: &[u8]) {
    http1::run(data)
}

/// aws-chunked bodies with and without chunk signatures and trailers
/// (`engine::payload::framing`), then the payload checks of a request carrying the body
/// (`engine::payload::examine`: the mode from `x-amz-content-sha256`, the trailer against
/// `x-amz-trailer`, the checksums). Input: a control byte (shape, payload mode, trailer
/// name), then the body.
pub fn aws_chunked(data: &[u8]) {
    aws_chunked::run(data)
}

/// Auth mode detection (`engine::auth::detect`) and each mode's parser behind it: SigV4
/// header and presigned (AWS4, AWS4A, GOOG4: `sigv4/parse.rs`), SigV2 header and presigned,
/// EC2/Query v0–v2 in the URL or a form body, Basic/Bearer/JWT/X-Auth-Token
/// (`engine/tokens.rs`), and the POST policy form's detection. Input: a control byte that
/// picks where the rest goes (and which scheme prefix it gets, so every parser is one byte
/// away), then the bytes.
pub fn auth(data: &[u8]) {
    auth::run(data)
}

/// HAR files (`ingest/har.rs`): JSON, entries, base64 and text bodies, headers, times.
pub fn har(data: &[u8]) {
    har::run(data)
}

/// Raw HTTP files (`ingest/raw.rs` over `http.rs`'s tolerant parser): requests, responses,
/// bodies by Content-Length or chunked, pairing.
pub fn raw_http(data: &[u8]) {
    raw_http::run(data)
}

/// Server error bodies (`engine::server_error::parse`): S3/MinIO/RGW XML, Query
/// `ErrorResponse`, JSON, Keystone. Input: a control byte (status, content type), the body.
pub fn server_error(data: &[u8]) {
    server_error::run(data)
}

/// The filter grammar of the UI (`tui/filter/`): parsed, and when it parses, evaluated on the
/// exchanges of `samples/demo.http`.
pub fn filter(data: &[u8]) {
    filter::run(data)
}

/// The TOML configuration file of the UI (`tui/config.rs`: keymap, colours, dialect…).
pub fn config(data: &[u8]) {
    config::run(data)
}

/// The shared-credentials file (`credentials.rs`): sections, keys, comments. Every access key
/// it read is looked up again.
pub fn credentials(data: &[u8]) {
    credentials::run(data)
}

/// TLS records and handshakes (`capture/tls/`): record reassembly, hellos, epochs, KeyUpdate,
/// and, with a key log, decryption (TLS 1.3 and 1.2: AES-GCM, ChaCha20-Poly1305, CBC).
/// Input: records (tag, bytes): tag 0xff is key log text (as a pcapng Decryption Secrets
/// Block adds it), else bit 0 is the direction and bit 1 makes it a gap of `len` bytes.
pub fn tls(data: &[u8]) {
    tls::run(data)
}

/// HTTP/2 connections (`capture/h2/`): the preface, frame headers and layouts (padding,
/// priority, CONTINUATION), SETTINGS and their acknowledgement, streams to requests and
/// responses, HPACK through it. Input: a control byte (how the connection started, which
/// side is the client, body cap), then records: bit 0 of the tag is the direction, bit 1
/// makes it a gap of `len` bytes.
pub fn h2_frames(data: &[u8]) {
    h2_frames::run(data)
}

/// HPACK decoding (`capture/h2/decoder.rs`, `huffman.rs`): integers, literals, Huffman
/// strings, the dynamic table and its size updates, a table seen from a connection's start
/// or from its middle. Input: a control byte (table kind and size), then header blocks as
/// records, decoded in turn by one decoder.
pub fn hpack(data: &[u8]) {
    hpack::run(data)
}

/// Browser uploads (`engine/postpolicy/`): the bounded multipart reader, the policy's base64
/// JSON, its conditions against the form, and the signature under each dialect. Input: a
/// control byte, then the body of a `multipart/form-data` POST; the boundary is the body's
/// first line when it starts with `--`, else one of a list the control byte picks.
pub fn postpolicy(data: &[u8]) {
    postpolicy::run(data)
}

/// The whole pipeline on one thread: bytes in as a pcap, pcapng, raw HTTP or HAR file (told
/// apart by `ingest::sniff`, as `sigscope report` does), the capture context, the analysis
/// with its diagnosis under the `aws` dialect with the demo keys, then every report format
/// out. Asserts the hostile-input guarantees on the outputs: no control byte of the input
/// reaches the text, markdown or TSV report raw, and every JSON line is JSON.
pub fn pipeline(data: &[u8]) {
    pipeline::run(data)
}

mod link_ip_tcp {
    use sigscope::capture::decode::{looks_like_quic, Decoded, Decoder};

    /// Every link type `capture/link.rs` and `decode.rs` read, and one they do not (147).
    const LINKTYPES: &[i32] = &[
        0, 1, 9, 12, 14, 50, 51, 100, 101, 104, 108, 109, 113, 117, 226, 228, 229, 239, 240, 241,
        242, 276, 147,
    ];

    pub fn run(data: &[u8]) {
        let mut decoder = Decoder::default();
        for (n, (tag, frame)) in super::records(data).into_iter().enumerate() {
            let linktype = LINKTYPES[usize::from(tag) % LINKTYPES.len()];
            let _ = sigscope::capture::link::network(linktype, frame);
            if let Decoded::Tcp(seg) = decoder.decode(linktype, frame, n as u64 + 1) {
                assert!(seg.0.payload.len() <= 65_535 + frame.len());
            }
            let _ = looks_like_quic(frame, u16::from(tag) * 257, 443);
        }
        let _ = decoder.fragment_frames();
    }
}

mod tcp_reassembly {
    use sigscope::capture::httpstream::{HttpStream, Origin};
    use sigscope::capture::tcp::{Direction, Piece, MAX_PENDING};

    pub fn run(data: &[u8]) {
        let mut dir = Direction::default();
        let mut http = HttpStream::new(1 << 16);
        let mut events = Vec::new();
        let (mut pushed, mut delivered) = (0u64, 0u64);
        let mut take = |p: Piece<'_>, http: &mut HttpStream, events: &mut Vec<_>| match p {
            Piece::Data(b) => {
                delivered += b.len() as u64;
                http.feed(b, Origin::default(), events);
            }
            Piece::Gap(n) => http.gap(n, events),
        };
        for (tag, rec) in super::records(data) {
            let Some((seq, payload)) = rec.split_first_chunk::<4>() else {
                continue;
            };
            pushed += payload.len() as u64;
            dir.push(u32::from_be_bytes(*seq), tag & 1 == 1, payload, &mut |p| {
                take(p, &mut http, &mut events)
            });
            assert!(dir.pending_bytes() <= MAX_PENDING + payload.len());
        }
        dir.flush(&mut |p| take(p, &mut http, &mut events));
        http.close(&mut events);
        // Reassembly never invents bytes: what it delivered was pushed.
        assert!(
            delivered <= pushed,
            "{delivered} bytes delivered of {pushed} pushed"
        );
    }
}

mod http1 {
    use sigscope::capture::httpstream::{HttpStream, Origin};

    pub fn run(data: &[u8]) {
        let Some((&ctl, stream)) = data.split_first() else {
            return;
        };
        let cap = if ctl & 0x80 != 0 { 64 } else { 1 << 20 };
        let mut http = HttpStream::new(cap);
        if ctl & 0x40 != 0 {
            http.set_server();
        }
        let mut events = Vec::new();
        for (i, piece) in super::pieces(ctl, stream).enumerate() {
            let origin = Origin {
                frame: i as u64 + 1,
                ts_nanos: i as i128,
            };
            http.feed(piece, origin, &mut events);
            if ctl & 0x20 != 0 && i == 1 {
                http.gap(7, &mut events);
            }
        }
        http.close(&mut events);
        let _ = http.take_held();
        let _ = sigscope::http::parse_raw(stream);
        if let Ok((body, end)) = sigscope::http::decode_chunked(stream, 0) {
            assert!(end <= stream.len() && body.len() <= stream.len());
        }
    }
}

mod aws_chunked {
    use sigscope::engine::payload::{self, framing, Shape};
    use sigscope::http::{Header, Request};

    const MODES: &[&str] = &[
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        "UNSIGNED-PAYLOAD",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ];
    const TRAILERS: &[&str] = &[
        "x-amz-checksum-crc32",
        "x-amz-checksum-crc32c",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha1",
        "x-amz-checksum-sha256",
    ];

    pub fn run(data: &[u8]) {
        let Some((&ctl, body)) = data.split_first() else {
            return;
        };
        let shape = Shape {
            signed: ctl & 1 != 0,
            trailer: ctl & 2 != 0,
        };
        if let Ok(f) = framing::parse(body, shape) {
            let decoded = f.decoded(body);
            assert_eq!(decoded.len(), f.decoded_len());
            assert!(decoded.len() <= body.len());
            let _ = f.canonical_trailer();
        }
        let mode = MODES[usize::from(ctl >> 2) % MODES.len()];
        let mut headers = vec![
            Header::new("host", "bucket.s3.amazonaws.com"),
            Header::new("x-amz-content-sha256", mode),
            Header::new("content-encoding", "aws-chunked"),
            Header::new("x-amz-decoded-content-length", "66560"),
        ];
        if ctl & 0x80 != 0 {
            headers.push(Header::new(
                "x-amz-trailer",
                TRAILERS[usize::from(ctl >> 5) % TRAILERS.len()],
            ));
        }
        let req = Request {
            method: "PUT".into(),
            target: b"/bucket/key".to_vec(),
            version: "HTTP/1.1".into(),
            headers,
            body: body.to_vec(),
            ..Default::default()
        };
        let mut findings = Vec::new();
        let (sha, payload_sha) = payload::digests(&req);
        let _ = payload::examine(&req, ctl & 0x10 != 0, (&sha, payload_sha), &mut findings);
    }
}

mod auth {
    use sigscope::engine::{auth, tokens};
    use sigscope::http::{Header, Request};

    /// Authorization header schemes, each with its parser.
    const SCHEMES: &[&str] = &[
        "AWS4-HMAC-SHA256 ",
        "AWS4-ECDSA-P256-SHA256 ",
        "GOOG4-HMAC-SHA256 ",
        "AWS ",
        "Basic ",
        "Bearer ",
        "",
    ];
    /// Query strings that select a query parser.
    const QUERIES: &[&str] = &[
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&",
        "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&",
        "X-Goog-Algorithm=GOOG4-HMAC-SHA256&",
        "AWSAccessKeyId=AKIDEXAMPLE&Expires=1&",
        "SignatureVersion=2&SignatureMethod=HmacSHA256&",
        "SignatureVersion=1&",
        "SignatureVersion=0&",
        "",
    ];

    fn request(method: &str, target: Vec<u8>, headers: Vec<Header>, body: &[u8]) -> Request {
        let mut h = vec![Header::new("host", "examplebucket.s3.amazonaws.com")];
        h.extend(headers);
        Request {
            method: method.into(),
            target,
            version: "HTTP/1.1".into(),
            headers: h,
            body: body.to_vec(),
            ..Default::default()
        }
    }

    pub fn run(data: &[u8]) {
        let Some((&ctl, rest)) = data.split_first() else {
            return;
        };
        let text = String::from_utf8_lossy(rest);
        let req = match ctl % 6 {
            0 => {
                let scheme = SCHEMES[usize::from(ctl >> 3) % SCHEMES.len()];
                let value = [scheme.as_bytes(), rest].concat();
                request(
                    "GET",
                    b"/".to_vec(),
                    vec![Header::new("authorization", value)],
                    b"",
                )
            }
            1 => {
                let q = QUERIES[usize::from(ctl >> 3) % QUERIES.len()];
                request("GET", [b"/key?", q.as_bytes(), rest].concat(), vec![], b"")
            }
            2 => {
                let q = QUERIES[usize::from(ctl >> 3) % QUERIES.len()];
                let ct = Header::new("content-type", "application/x-www-form-urlencoded");
                request(
                    "POST",
                    b"/".to_vec(),
                    vec![ct],
                    &[q.as_bytes(), rest].concat(),
                )
            }
            3 => request(
                "GET",
                b"/".to_vec(),
                vec![Header::new("x-auth-token", rest)],
                b"",
            ),
            4 => {
                let ct = Header::new("content-type", "multipart/form-data; boundary=b");
                request("POST", b"/bucket".to_vec(), vec![ct], rest)
            }
            _ => {
                // A whole request head in the input: every header the parsers read.
                for m in sigscope::http::parse_raw(rest).messages {
                    if let sigscope::http::Message::Request(r, _) = m {
                        let _ = auth::detect(&r);
                    }
                }
                return;
            }
        };
        let d = auth::detect(&req);
        if let auth::Parsed::V4(a) = &d.parsed {
            let _ = a.key_scope();
        }
        let _ = tokens::basic(&text);
        let _ = tokens::bearer(&text);
        let _ = tokens::x_auth_token(&text);
    }
}

mod har {

    pub fn run(data: &[u8]) {
        let (exchanges, _errors) = sigscope::ingest::har::parse(data, "fuzz.har", 0);
        for x in &exchanges {
            let _ = x.request.to_wire();
        }
    }
}

mod raw_http {

    pub fn run(data: &[u8]) {
        let loaded = sigscope::ingest::from_raw(data, "fuzz.http", 0);
        for x in &loaded.exchanges {
            let _ = x.request.to_wire();
            if let Some(r) = &x.response {
                let _ = r.to_wire();
            }
        }
    }
}

mod server_error {
    use sigscope::http::{Header, Response};

    const TYPES: &[&str] = &[
        "application/xml",
        "text/xml",
        "application/json",
        "text/plain",
        "",
    ];
    const STATUSES: &[u16] = &[403, 400, 401, 301, 200, 500, 404, 412];

    pub fn run(data: &[u8]) {
        let Some((&ctl, body)) = data.split_first() else {
            return;
        };
        let ty = TYPES[usize::from(ctl) % TYPES.len()];
        let mut headers = Vec::new();
        if !ty.is_empty() {
            headers.push(Header::new("content-type", ty));
        }
        let resp = Response {
            status: STATUSES[usize::from(ctl >> 3) % STATUSES.len()],
            reason: "Forbidden".into(),
            version: "HTTP/1.1".into(),
            headers,
            body: body.to_vec(),
        };
        let _ = sigscope::engine::server_error::parse(&resp);
    }
}

mod filter {
    use std::sync::OnceLock;

    static DEMO: OnceLock<Vec<sigscope::exchange::Exchange>> = OnceLock::new();

    pub fn run(data: &[u8]) {
        let Ok(src) = std::str::from_utf8(data) else {
            return;
        };
        let demo = DEMO.get_or_init(|| {
            sigscope::ingest::from_raw(include_bytes!("../../samples/demo.http"), "demo.http", 0)
                .exchanges
        });
        if let Ok(f) = sigscope::tui::filter::parse(src) {
            let _ = f.is_empty();
            for x in demo {
                let _ = f.matches(x, None);
            }
        }
    }
}

mod config {

    pub fn run(data: &[u8]) {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = sigscope::tui::config::parse(text, "fuzz.toml");
        }
    }
}

mod credentials {
    use sigscope::engine::KeyStore;

    pub fn run(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let creds = sigscope::credentials::Credentials::parse(&text);
        for line in text.lines() {
            if let Some((_, v)) = line.split_once('=') {
                let _ = creds.secret(v.trim());
            }
        }
        let _ = format!("{creds:?}");
    }
}

mod tls {
    use sigscope::capture::tcp::Piece;
    use sigscope::capture::tls::{Keyring, TlsConn};

    pub fn run(data: &[u8]) {
        let mut keys = Keyring::new(Default::default(), false);
        let mut conn = TlsConn::new();
        let mut out_bytes = 0usize;
        for (tag, rec) in super::records(data) {
            if tag == 0xff {
                keys.add_bytes(rec);
                continue;
            }
            let d = usize::from(tag & 1);
            let piece = if tag & 2 != 0 {
                Piece::Gap(rec.len() as u64)
            } else {
                Piece::Data(rec)
            };
            conn.piece(d, piece, &mut keys, &mut |o| {
                if let sigscope::capture::tls::Out::Data(b) = o {
                    out_bytes += b.len();
                }
            });
        }
        // Decryption never yields more than came in.
        assert!(out_bytes <= data.len());
    }
}

mod h2_frames {
    use sigscope::capture::h2::{H2Conn, Start};
    use sigscope::capture::httpstream::Origin;

    const STARTS: &[Start] = &[
        Start::Preface,
        Start::Alpn,
        Start::ServerFirst,
        Start::Upgrade,
        Start::MidConnection,
    ];

    pub fn run(data: &[u8]) {
        let Some((&ctl, rest)) = data.split_first() else {
            return;
        };
        let start = STARTS[usize::from(ctl) % STARTS.len()];
        let client = [None, Some(0), Some(1)][usize::from(ctl >> 3) % 3];
        let cap = if ctl & 0x80 != 0 { 16 } else { 1 << 20 };
        let mut conn = H2Conn::new(start, client, cap);
        if start == Start::Upgrade {
            conn.upgraded(Some(&b"AAMAAABkAARAAAAAAAIAAAAA"[..]));
        }
        let mut events = Vec::new();
        for (i, (tag, rec)) in super::records(rest).into_iter().enumerate() {
            let d = usize::from(tag & 1);
            if tag & 2 != 0 {
                conn.gap(d, rec.len() as u64, &mut events);
            } else {
                let origin = Origin {
                    frame: i as u64 + 1,
                    ts_nanos: 0,
                };
                conn.feed(d, rec, origin, &mut events);
            }
        }
        conn.close(0, &mut events);
        conn.close(1, &mut events);
    }
}

mod hpack {
    use sigscope::fuzz_api::HpackDecoder;

    pub fn run(data: &[u8]) {
        let Some((&ctl, rest)) = data.split_first() else {
            return;
        };
        let mut dec = if ctl & 1 != 0 {
            HpackDecoder::partial()
        } else {
            HpackDecoder::whole(4096)
        };
        if ctl & 2 != 0 {
            dec.set_allowed(usize::from(ctl) << 6);
        }
        for (_, block) in super::records(rest) {
            if let Ok(d) = dec.decode(block) {
                // Each field decoded costs at least one byte of its block.
                assert!(d.fields.len() <= block.len());
            }
        }
    }
}

mod postpolicy {
    use sigscope::engine::auth::Parsed;
    use sigscope::engine::postpolicy::{self, form, policy};
    use sigscope::http::{Header, Request};

    const BOUNDARIES: &[&str] = &[
        "b",
        "----WebKitFormBoundary7MA4YWxkTrZu0gW",
        "\"q uoted\"",
        "x",
    ];

    pub fn run(data: &[u8]) {
        let Some((&ctl, body)) = data.split_first() else {
            return;
        };
        let first = body
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or_default();
        let boundary = match first.strip_prefix(b"--").map(std::str::from_utf8) {
            Some(Ok(b)) if !b.is_empty() => b,
            _ => BOUNDARIES[usize::from(ctl) % BOUNDARIES.len()],
        };
        let f = form::parse(body, boundary.trim_matches('"'));
        assert!(f.parts.len() <= body.len());
        let _ = policy::decode(body);
        let req = Request {
            method: "POST".into(),
            target: b"/".to_vec(),
            version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("host", "examplebucket.s3.amazonaws.com"),
                Header::new(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ),
            ],
            body: body.to_vec(),
            ..Default::default()
        };
        if let Some(d) = postpolicy::detect(&req) {
            if let Parsed::PostPolicy(a) = &d.parsed {
                let mut findings = Vec::new();
                let view = postpolicy::examine(&req, a, &mut findings);
                let _ = postpolicy::analyze(a, &view, a.signature.as_deref());
            }
        }
    }
}

mod pipeline {
    use sigscope::credentials::Credentials;
    use sigscope::engine::{dialect, KeyCache, Verifier};
    use sigscope::exchange::Exchange;
    use sigscope::ingest::{self, Format};
    use sigscope::pipeline::{analyze as analyze_exchange, CaptureContext};
    use sigscope::report;
    use std::sync::OnceLock;

    /// At most this many exchanges of one input are analysed (each runs every dialect).
    const MAX_EXCHANGES: usize = 16;

    static CREDS: OnceLock<Credentials> = OnceLock::new();

    fn exchanges(data: &[u8]) -> Vec<Exchange> {
        let mut out = Vec::new();
        match ingest::sniff(data) {
            Format::RawHttp => out = ingest::from_raw(data, "fuzz", 0).exchanges,
            Format::Har => out = ingest::har::parse(data, "fuzz", 0).0,
            Format::Pcap | Format::Pcapng => {
                let opts = sigscope::capture::Options {
                    body_cap: 1 << 16,
                    ..Default::default()
                };
                let _ =
                    sigscope::fuzz_api::replay_on_this_thread(data, "fuzz", 0, opts, &mut |x| {
                        if out.len() < MAX_EXCHANGES {
                            out.push(x)
                        }
                    });
            }
            Format::Unknown => {}
        }
        out.truncate(MAX_EXCHANGES);
        out
    }

    fn check_text(what: &str, s: &str) {
        if let Some((at, c)) = super::raw_control(s) {
            panic!("{what} report carries the raw control character {c:?} at byte {at}:\n{s}");
        }
    }

    pub fn run(data: &[u8]) {
        let creds = CREDS
            .get_or_init(|| Credentials::parse(include_str!("../../samples/demo.credentials")));
        let cache = KeyCache::default();
        let v = Verifier {
            keys: creds,
            dialect: dialect::by_name("aws").expect("the aws dialect"),
            cache: &cache,
            reveal_keys: false,
        };
        let mut ctx = CaptureContext::default();
        for mut x in exchanges(data) {
            let c = ctx.next_exchange(&mut x);
            let a = analyze_exchange(&x, c.as_context(), &v);
            let mut json = Vec::new();
            report::write_json(&mut json, &x, &a);
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&json) {
                panic!(
                    "the JSON report is not JSON ({e}): {}",
                    String::from_utf8_lossy(&json)
                );
            }
            check_text("text", &report::to_text(&x, &a));
            check_text("markdown", &report::to_markdown(&x, &a));
            check_text("TSV", &report::to_tsv(&x));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_cut_and_truncate() {
        let d = [1, 0, 2, b'a', b'b', 7, 0, 5, b'x'];
        assert_eq!(records(&d), vec![(1, &b"ab"[..]), (7, &b"x"[..])]);
    }

    #[test]
    fn raw_control_finds_escape() {
        assert_eq!(raw_control("a\tb\nc"), None);
        assert_eq!(raw_control("a\x1b[2J"), Some((1, '\x1b')));
        assert_eq!(raw_control("a\u{9b}"), Some((1, '\u{9b}')));
    }
}
