//! Synthetic captures built packet by packet with etherparse: the TCP and HTTP cases real
//! tools rarely produce on demand (reordering, duplicates, overlaps, holes, sequence wrap,
//! fragments, cut files, every link type).

use std::io::Cursor;

use etherparse::PacketBuilder;
use sigscope::capture::{replay, Options, Stats};
use sigscope::exchange::Exchange;
use sigscope::http::Headers;

pub(crate) const C: [u8; 4] = [10, 0, 0, 1];
pub(crate) const S: [u8; 4] = [10, 0, 0, 2];

#[derive(Clone, Copy)]
pub(crate) enum Flag {
    Syn,
    SynAck,
    Ack,
    Fin,
    Rst,
}

/// One Ethernet/IPv4/TCP frame from the client (to_server) or the server.
pub(crate) fn frame(to_server: bool, seq: u32, flag: Flag, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sp, dp) = if to_server {
        (C, S, 40000, 80)
    } else {
        (S, C, 80, 40000)
    };
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(src, dst, 64)
        .tcp(sp, dp, seq, 65535);
    let b = match flag {
        Flag::Syn => b.syn(),
        Flag::SynAck => b.syn().ack(1),
        Flag::Ack => b.ack(1),
        Flag::Fin => b.fin().ack(1),
        Flag::Rst => b.rst(),
    };
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

pub(crate) fn pcap(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        v.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v
}

pub(crate) fn run(bytes: &[u8]) -> (Vec<Exchange>, Stats) {
    let mut out = Vec::new();
    let stats = replay(
        Cursor::new(bytes.to_vec()),
        "t.pcap",
        0,
        Options::default(),
        &mut |x| out.push(x),
    );
    (out, stats)
}

pub(crate) const REQ: &[u8] =
    b"PUT /bucket/key HTTP/1.1\r\nHost: s\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz";
pub(crate) const RESP: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// Handshake, then the client's stream cut into pieces at `cuts`, sent in `order`.
fn conversation(isn: u32, pieces: &[(usize, usize)], order: &[usize], req: &[u8]) -> Vec<Vec<u8>> {
    let mut f = vec![
        frame(true, isn, Flag::Syn, b""),
        frame(false, 5000, Flag::SynAck, b""),
    ];
    for &i in order {
        let (a, b) = pieces[i];
        f.push(frame(
            true,
            isn.wrapping_add(1).wrapping_add(a as u32),
            Flag::Ack,
            &req[a..b],
        ));
    }
    f.push(frame(false, 5001, Flag::Ack, RESP));
    f.push(frame(
        true,
        isn.wrapping_add(1 + req.len() as u32),
        Flag::Fin,
        b"",
    ));
    f.push(frame(false, 5001 + RESP.len() as u32, Flag::Fin, b""));
    f
}

fn assert_one_intact(x: &[Exchange]) {
    assert_eq!(
        x.len(),
        1,
        "{:?}",
        x.iter().map(|e| &e.notes).collect::<Vec<_>>()
    );
    let r = &x[0].request;
    assert_eq!(r.method, "PUT");
    assert_eq!(r.body, b"abcdefghijklmnopqrstuvwxyz");
    assert!(x[0].notes.is_empty(), "{:?}", x[0].notes);
    let resp = x[0].response.as_ref().expect("response matched");
    assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));
    assert_eq!(x[0].client.as_deref(), Some("10.0.0.1:40000"));
    assert_eq!(x[0].server.as_deref(), Some("10.0.0.2:80"));
}

#[test]
fn in_order_baseline() {
    let n = REQ.len();
    let (x, s) = run(&pcap(
        1,
        &conversation(1000, &[(0, 20), (20, 50), (50, n)], &[0, 1, 2], REQ),
    ));
    assert_one_intact(&x);
    assert_eq!(s.connections, 1);
    assert!(s.error.is_none());
}

#[test]
fn reordered_duplicated_and_overlapping_segments() {
    let n = REQ.len();
    // Pieces overlap (10..30 and 25..60); 2 arrives before 1; 1 is sent twice.
    let pieces = [(0, 10), (10, 30), (25, 60), (60, n)];
    let (x, s) = run(&pcap(1, &conversation(7, &pieces, &[0, 2, 1, 1, 3], REQ)));
    assert_one_intact(&x);
    assert!(s.retransmitted_bytes >= 20, "{}", s.retransmitted_bytes);
}

#[test]
fn overlap_keeps_the_first_copy() {
    // The retransmission carries different bytes for the same range: tshark keeps the first.
    let n = REQ.len();
    let mut f = conversation(1, &[(0, n)], &[0], REQ);
    let mut forged = REQ.to_vec();
    forged[n - 26..].copy_from_slice(b"ZZZZZZZZZZZZZZZZZZZZZZZZZZ");
    f.insert(
        3,
        frame(true, 2 + (n - 26) as u32, Flag::Ack, &forged[n - 26..]),
    );
    let (x, _) = run(&pcap(1, &f));
    assert_one_intact(&x);
}

#[test]
fn sequence_number_wraps() {
    let n = REQ.len();
    let (x, _) = run(&pcap(
        1,
        &conversation(
            u32::MAX - 30,
            &[(0, 20), (20, 50), (50, n)],
            &[0, 2, 1],
            REQ,
        ),
    ));
    assert_one_intact(&x);
}

#[test]
fn missing_segment_marks_the_exchange_and_parsing_goes_on() {
    let second = b"GET /next HTTP/1.1\r\nHost: s\r\n\r\n";
    let mut stream = REQ.to_vec();
    stream.extend_from_slice(second);
    let n = REQ.len();
    // Piece 1 (bytes 60..70 of the body) is never captured.
    let pieces = [(0, 60), (60, 70), (70, n), (n, stream.len())];
    let mut f = vec![
        frame(true, 99, Flag::Syn, b""),
        frame(false, 5000, Flag::SynAck, b""),
    ];
    for i in [0, 2, 3] {
        let (a, b) = pieces[i];
        f.push(frame(true, 100 + a as u32, Flag::Ack, &stream[a..b]));
    }
    f.push(frame(false, 5001, Flag::Ack, &[RESP, RESP].concat()));
    f.push(frame(true, 100 + stream.len() as u32, Flag::Fin, b""));
    f.push(frame(false, 5001 + 2 * RESP.len() as u32, Flag::Fin, b""));
    let (x, s) = run(&pcap(1, &f));
    assert_eq!(
        x.len(),
        2,
        "{:?}",
        x.iter()
            .map(|e| e.request.target_lossy())
            .collect::<Vec<_>>()
    );
    assert!(
        x[0].notes.iter().any(|n| n.code == "capture-incomplete"),
        "{:?}",
        x[0].notes
    );
    assert!(!x[0].request.body_complete() || x[0].request.body.len() < 26);
    assert_eq!(x[1].request.target, b"/next");
    assert!(x[1].response.is_some());
    assert_eq!(s.gap_bytes, 10);
}

#[test]
fn capture_cut_inside_a_packet_keeps_what_was_read() {
    let mut f = conversation(1, &[(0, REQ.len())], &[0], REQ);
    // A second request that the cut destroys.
    f.insert(
        4,
        frame(
            true,
            1 + REQ.len() as u32,
            Flag::Ack,
            b"GET /lost HTTP/1.1\r\nHost: s\r\n\r\n",
        ),
    );
    let bytes = pcap(1, &f[..5]);
    let cut = &bytes[..bytes.len() - 20];
    let (x, s) = run(cut);
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].request.method, "PUT");
    assert!(s.error.unwrap().contains("truncated"));
    // The header alone, or nothing at all: a clear error, no panic.
    assert!(run(&bytes[..10]).1.error.is_some());
    assert!(run(b"").1.error.is_some());
}

#[test]
fn ipv4_fragments_are_reassembled() {
    // One TCP segment carrying the whole request, split into two IPv4 fragments by hand.
    let mut whole = Vec::new();
    PacketBuilder::ipv4(C, S, 64)
        .tcp(40000, 80, 2, 65535)
        .ack(1)
        .write(&mut whole, REQ)
        .unwrap();
    let ihl = ((whole[0] & 0x0f) * 4) as usize;
    let payload = &whole[ihl..];
    let split = 40; // multiple of 8
    let frag = |data: &[u8], offset: usize, more: bool| {
        let mut h = whole[..ihl].to_vec();
        let total = (ihl + data.len()) as u16;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
        let fo = ((offset / 8) as u16) | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        h[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(&h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut v = h;
        v.extend_from_slice(data);
        v
    };
    let frames = vec![
        raw(
            PacketBuilder::ipv4(C, S, 64).tcp(40000, 80, 1, 65535).syn(),
            b"",
        ),
        frag(&payload[split..], split, false),
        frag(&payload[..split], 0, true),
        raw(
            PacketBuilder::ipv4(S, C, 64)
                .tcp(80, 40000, 5001, 65535)
                .ack(1),
            RESP,
        ),
    ];
    let (x, s) = run(&pcap(101, &frames));
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].request.body, b"abcdefghijklmnopqrstuvwxyz");
    assert!(s.ip_fragments >= 1);
}

fn checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in h.chunks(2) {
        sum += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub(crate) fn raw(
    b: etherparse::PacketBuilderStep<etherparse::TcpHeader>,
    payload: &[u8],
) -> Vec<u8> {
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

#[test]
fn every_link_type() {
    let ip_frames = |wrap: &dyn Fn(Vec<u8>) -> Vec<u8>| {
        vec![
            wrap(raw(
                PacketBuilder::ipv4(C, S, 64).tcp(40000, 80, 1, 65535).syn(),
                b"",
            )),
            wrap(raw(
                PacketBuilder::ipv4(C, S, 64)
                    .tcp(40000, 80, 2, 65535)
                    .ack(1),
                REQ,
            )),
            wrap(raw(
                PacketBuilder::ipv4(S, C, 64)
                    .tcp(80, 40000, 5001, 65535)
                    .ack(1),
                RESP,
            )),
        ]
    };
    // BSD loopback (DLT_NULL, host order family) and OpenBSD DLT_LOOP (network order).
    let null = ip_frames(&|ip| [2u32.to_le_bytes().to_vec(), ip].concat());
    let lp = ip_frames(&|ip| [2u32.to_be_bytes().to_vec(), ip].concat());
    // Linux cooked v1 (16 bytes, protocol last) and v2 (20 bytes, protocol first).
    let sll = ip_frames(&|ip| {
        let mut h = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        h.extend(ip);
        h
    });
    let sll2 = ip_frames(&|ip| {
        let mut h = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        h.extend(ip);
        h
    });
    for (lt, frames) in [(0u32, null), (108, lp), (113, sll), (276, sll2)] {
        let (x, s) = run(&pcap(lt, &frames));
        assert_eq!(x.len(), 1, "link type {lt}: {s:?}");
        assert!(x[0].response.is_some(), "link type {lt}");
    }
    // 802.1Q and QinQ VLAN tags, and IPv6.
    let vlan = |double: bool| {
        let mk = |to_server: bool, seq: u32, payload: &[u8], syn: bool| {
            let (src, dst, sp, dp) = if to_server {
                (C, S, 40000, 80)
            } else {
                (S, C, 80, 40000)
            };
            let e = PacketBuilder::ethernet2([1; 6], [2; 6]);
            let mut v = Vec::new();
            if double {
                let b = e
                    .double_vlan(
                        etherparse::VlanId::try_new(100).unwrap(),
                        etherparse::VlanId::try_new(200).unwrap(),
                    )
                    .ipv4(src, dst, 64)
                    .tcp(sp, dp, seq, 65535);
                if syn {
                    b.syn().write(&mut v, payload)
                } else {
                    b.ack(1).write(&mut v, payload)
                }
                .unwrap();
            } else {
                let b = e
                    .single_vlan(etherparse::VlanId::try_new(100).unwrap())
                    .ipv4(src, dst, 64)
                    .tcp(sp, dp, seq, 65535);
                if syn {
                    b.syn().write(&mut v, payload)
                } else {
                    b.ack(1).write(&mut v, payload)
                }
                .unwrap();
            }
            v
        };
        vec![
            mk(true, 1, b"", true),
            mk(true, 2, REQ, false),
            mk(false, 5001, RESP, false),
        ]
    };
    for double in [false, true] {
        let (x, _) = run(&pcap(1, &vlan(double)));
        assert_eq!(x.len(), 1, "vlan double={double}");
    }
    let c6 = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut s6 = c6;
    s6[15] = 2;
    let v6 = vec![
        raw(
            PacketBuilder::ipv6(c6, s6, 64)
                .tcp(40000, 80, 1, 65535)
                .syn(),
            b"",
        ),
        raw(
            PacketBuilder::ipv6(c6, s6, 64)
                .tcp(40000, 80, 2, 65535)
                .ack(1),
            REQ,
        ),
        raw(
            PacketBuilder::ipv6(s6, c6, 64)
                .tcp(80, 40000, 5001, 65535)
                .ack(1),
            RESP,
        ),
    ];
    let (x, _) = run(&pcap(101, &v6));
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].client.as_deref(), Some("[::1]:40000"));
}

#[test]
fn keepalive_pipelining_head_204_and_close_delimited() {
    let reqs: &[u8] = b"GET /a HTTP/1.1\r\nHost: s\r\n\r\nHEAD /b HTTP/1.1\r\nHost: s\r\n\r\nDELETE /c HTTP/1.1\r\nHost: s\r\n\r\nGET /d HTTP/1.1\r\nHost: s\r\n\r\n";
    let resps: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil the connection closes";
    let f = vec![
        frame(true, 0, Flag::Syn, b""),
        frame(false, 5000, Flag::SynAck, b""),
        frame(true, 1, Flag::Ack, reqs),
        frame(false, 5001, Flag::Ack, resps),
        frame(false, 5001 + resps.len() as u32, Flag::Fin, b""),
        frame(true, 1 + reqs.len() as u32, Flag::Fin, b""),
    ];
    let (x, _) = run(&pcap(1, &f));
    let got: Vec<(String, u16, Vec<u8>)> = x
        .iter()
        .map(|e| {
            let r = e.response.as_ref().unwrap();
            (e.request.target_lossy(), r.status, r.body.clone())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("/a".into(), 200, b"A".to_vec()),
            ("/b".into(), 200, vec![]),
            ("/c".into(), 204, vec![]),
            ("/d".into(), 200, b"until the connection closes".to_vec()),
        ]
    );
}

#[test]
fn expect_continue_and_chunked_upload_with_trailers() {
    let head =
        b"PUT /k HTTP/1.1\r\nHost: s\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n";
    let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-amz-checksum-crc32: AAAAAA==\r\n\r\n";
    let cont = b"HTTP/1.1 100 Continue\r\n\r\n";
    let f = vec![
        frame(true, 0, Flag::Syn, b""),
        frame(true, 1, Flag::Ack, head),
        frame(false, 5001, Flag::Ack, cont),
        // The chunked body split inside a chunk-size line.
        frame(true, 1 + head.len() as u32, Flag::Ack, &body[..9]),
        frame(true, 1 + head.len() as u32 + 9, Flag::Ack, &body[9..]),
        frame(false, 5001 + cont.len() as u32, Flag::Ack, RESP),
        frame(true, 1 + (head.len() + body.len()) as u32, Flag::Rst, b""),
    ];
    let (x, _) = run(&pcap(1, &f));
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].request.body, b"hello world");
    assert_eq!(x[0].request.raw_chunked_body.as_deref(), Some(&body[..]));
    assert_eq!(x[0].response.as_ref().unwrap().status, 200);
}

#[test]
fn mid_connection_start_tls_and_garbage_are_skipped_with_counts() {
    // The capture starts inside a request body, then a whole request follows.
    let tail = b"rest of an earlier body\r\nGET /after HTTP/1.1\r\nHost: s\r\n\r\n";
    let tls = [0x16u8, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5];
    let mut f = vec![
        frame(true, 777, Flag::Ack, tail),
        frame(false, 9000, Flag::Ack, RESP),
    ];
    let other = |seq: u32, p: &[u8]| {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(C, S, 64)
            .tcp(40001, 443, seq, 100)
            .ack(1)
            .write(&mut v, p)
            .unwrap();
        v
    };
    f.push(other(1, &tls));
    f.push(b"\x00\x01 not even ethernet".to_vec());
    let (x, s) = run(&pcap(1, &f));
    assert_eq!(x.len(), 1, "{s:?}");
    assert_eq!(x[0].request.target, b"/after");
    assert_eq!(x[0].request.header("host").as_deref(), Some("s"));
    // The TLS stream is counted as one, never read as HTTP, and says why nothing was read.
    assert_eq!(s.non_http_connections, 0);
    assert_eq!((s.tls_connections, s.tls_decrypted), (1, 0));
    assert_eq!(s.tls_encrypted.values().sum::<u64>(), 1, "{s:?}");
    assert!(s.undecodable_frames + s.not_tcp_frames >= 1);
}

#[test]
fn large_body_is_capped_but_hashed_whole() {
    let body = vec![b'x'; 300_000];
    let mut req = format!(
        "PUT /big HTTP/1.1\r\nHost: s\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let pieces: Vec<(usize, usize)> = (0..req.len())
        .step_by(1400)
        .map(|a| (a, (a + 1400).min(req.len())))
        .collect();
    let order: Vec<usize> = (0..pieces.len()).collect();
    let frames = conversation(42, &pieces, &order, &req);
    let mut out = Vec::new();
    let opts = Options {
        body_cap: 1000,
        ..Default::default()
    };
    replay(Cursor::new(pcap(1, &frames)), "t", 0, opts, &mut |x| {
        out.push(x)
    });
    assert_eq!(out.len(), 1);
    let r = &out[0].request;
    assert_eq!(r.body.len(), 1000);
    assert_eq!(r.body_len(), 300_000);
    let d = r.body_digest.as_ref().unwrap();
    assert_eq!(d.sha256_hex, sigscope::engine::crypto::sha256_hex(&body));
}

/// Request bodies under the cap: one of 9 MiB is hashed as it arrives (from the first byte,
/// what was kept before the hasher started included), a small one and an aws-chunked upload
/// with a SHA256 trailer are left for the workers (no digest yet); the engine's digests of all
/// three are the bodies' SHA-256.
#[test]
fn large_bodies_are_hashed_as_they_arrive_and_small_ones_later() {
    let big: Vec<u8> = (0..9 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut wire = Vec::new();
    let mut put = |extra: &str, body: &[u8]| {
        wire.extend_from_slice(
            format!(
                "PUT /b/k HTTP/1.1\r\nHost: s\r\n{extra}Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        wire.extend_from_slice(body);
    };
    put("", &big);
    put("", b"small");
    let mut chunked = format!("{:x}\r\n", big.len()).into_bytes();
    chunked.extend_from_slice(&big);
    chunked.extend_from_slice(b"\r\n0\r\nx-amz-checksum-sha256:AAAA\r\n\r\n");
    put(
        "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nContent-Encoding: aws-chunked\r\nx-amz-trailer: x-amz-checksum-sha256\r\n",
        &chunked,
    );
    let pieces: Vec<(usize, usize)> = (0..wire.len())
        .step_by(60_000)
        .map(|a| (a, (a + 60_000).min(wire.len())))
        .collect();
    let order: Vec<usize> = (0..pieces.len()).collect();
    let frames = conversation(43, &pieces, &order, &wire);
    let mut out = Vec::new();
    let opts = Options {
        body_cap: 32 << 20,
        ..Default::default()
    };
    replay(Cursor::new(pcap(1, &frames)), "t", 0, opts, &mut |x| {
        out.push(x)
    });
    assert_eq!(out.len(), 3);
    let sha = sigscope::engine::crypto::sha256_hex;
    let r: Vec<&sigscope::http::Request> = out.iter().map(|x| &x.request).collect();
    assert!(r.iter().all(|r| r.body_complete()));
    assert_eq!(r[0].body_sha256.as_deref(), Some(sha(&big).as_str()));
    assert_eq!((&r[1].body_sha256, &r[2].body_sha256), (&None, &None));
    for (r, body) in r.iter().zip([&big[..], b"small", &chunked]) {
        assert_eq!(sigscope::engine::payload::digests(r).0, sha(body));
    }
    // The upload's decoded payload digest comes with its wire one.
    let payload = sigscope::engine::payload::digests(r[2])
        .1
        .expect("one pass");
    assert_eq!(sigscope::engine::crypto::to_hex(&payload), sha(&big));
}

/// A pcapng file written by hand: two sections, the second with two interfaces of different
/// link types and timestamp resolutions, in big-endian byte order.
/// An interface: link type, `if_tsresol` (power of ten), its frames.
type Iface = (u32, u8, Vec<Vec<u8>>);

fn pcapng(big_endian: bool, sections: &[Vec<Iface>]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let block = |out: &mut Vec<u8>, ty: u32, body: &[u8]| {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = 12 + body.len() as u32;
        out.extend_from_slice(&u32b(ty));
        out.extend_from_slice(&u32b(len));
        out.extend_from_slice(&body);
        out.extend_from_slice(&u32b(len));
    };
    let mut out = Vec::new();
    for ifaces in sections {
        let mut shb = Vec::new();
        shb.extend_from_slice(&u32b(0x1a2b3c4d));
        shb.extend_from_slice(&u16b(1));
        shb.extend_from_slice(&u16b(0));
        shb.extend_from_slice(&[0xff; 8]);
        block(&mut out, 0x0a0d0d0a, &shb);
        for (linktype, tsresol, _) in ifaces {
            let mut idb = Vec::new();
            idb.extend_from_slice(&u16b(*linktype as u16));
            idb.extend_from_slice(&u16b(0));
            idb.extend_from_slice(&u32b(0));
            // if_tsresol option (code 9, length 1), then opt_endofopt.
            idb.extend_from_slice(&u16b(9));
            idb.extend_from_slice(&u16b(1));
            idb.extend_from_slice(&[*tsresol, 0, 0, 0]);
            idb.extend_from_slice(&u16b(0));
            idb.extend_from_slice(&u16b(0));
            block(&mut out, 1, &idb);
        }
        for (id, (_, tsresol, frames)) in ifaces.iter().enumerate() {
            for f in frames {
                let units: u64 = 1_700_000_000 * 10u64.pow(*tsresol as u32);
                let mut epb = Vec::new();
                epb.extend_from_slice(&u32b(id as u32));
                epb.extend_from_slice(&u32b((units >> 32) as u32));
                epb.extend_from_slice(&u32b(units as u32));
                epb.extend_from_slice(&u32b(f.len() as u32));
                epb.extend_from_slice(&u32b(f.len() as u32));
                epb.extend_from_slice(f);
                block(&mut out, 6, &epb);
            }
        }
    }
    out
}

#[test]
fn pcapng_sections_interfaces_and_byte_orders() {
    let n = REQ.len();
    let eth = conversation(1, &[(0, n)], &[0], REQ);
    let raw_ip = vec![
        raw(
            PacketBuilder::ipv4([10, 9, 9, 1], S, 64)
                .tcp(41000, 80, 1, 65535)
                .syn(),
            b"",
        ),
        raw(
            PacketBuilder::ipv4([10, 9, 9, 1], S, 64)
                .tcp(41000, 80, 2, 65535)
                .ack(1),
            b"GET /raw HTTP/1.1\r\nHost: s\r\n\r\n",
        ),
    ];
    for big in [false, true] {
        let file = pcapng(
            big,
            &[
                vec![(1, 6, eth.clone())],
                vec![(1, 9, eth.clone()), (101, 6, raw_ip.clone())],
            ],
        );
        let (x, s) = run(&file);
        assert!(s.error.is_none(), "big={big}: {:?}", s.error);
        assert_eq!(s.frames as usize, eth.len() * 2 + raw_ip.len());
        let targets: Vec<String> = x.iter().map(|e| e.request.target_lossy()).collect();
        assert_eq!(
            targets.iter().filter(|t| *t == "/bucket/key").count(),
            2,
            "big={big}: {targets:?}"
        );
        assert!(targets.contains(&"/raw".to_string()));
        // Microsecond and nanosecond interfaces give the same wall-clock time.
        let t = x[0].time.unwrap();
        assert_eq!(t.unix_timestamp(), 1_700_000_000);
    }
}

#[test]
fn big_endian_and_nanosecond_pcap() {
    let frames = conversation(1, &[(0, REQ.len())], &[0], REQ);
    let le = pcap(1, &frames);
    // Rewrite the file big-endian with the nanosecond magic.
    let mut be = Vec::new();
    be.extend_from_slice(&0xa1b23c4du32.to_be_bytes());
    be.extend_from_slice(&2u16.to_be_bytes());
    be.extend_from_slice(&4u16.to_be_bytes());
    be.extend_from_slice(&[0; 8]);
    be.extend_from_slice(&65535u32.to_be_bytes());
    be.extend_from_slice(&1u32.to_be_bytes());
    let mut pos = 24;
    while pos < le.len() {
        let word = |i: usize| u32::from_le_bytes(le[pos + i..pos + i + 4].try_into().unwrap());
        let caplen = word(8) as usize;
        be.extend_from_slice(&word(0).to_be_bytes());
        be.extend_from_slice(&123_456_789u32.to_be_bytes());
        be.extend_from_slice(&word(8).to_be_bytes());
        be.extend_from_slice(&word(12).to_be_bytes());
        be.extend_from_slice(&le[pos + 16..pos + 16 + caplen]);
        pos += 16 + caplen;
    }
    let (x, s) = run(&be);
    assert!(s.error.is_none());
    assert_one_intact(&x);
    assert_eq!(x[0].time.unwrap().nanosecond(), 123_456_789);
}

/// QUIC (HTTP/3 over UDP) is named, not read (issue 13): a long-header Initial (version 1)
/// and a short-header packet of the same flow on port 443 count as one QUIC flow, whose note
/// says why and what to do; a DNS datagram stays a non-TCP frame; a UDP payload that only
/// starts like a long header with an unknown version is not QUIC.
#[test]
fn quic_flows_are_counted_and_named() {
    let mut initial = vec![0xc3, 0, 0, 0, 1, 8];
    initial.extend_from_slice(&[0x11; 8]);
    initial.extend_from_slice(&[0; 1200]);
    let mut short = vec![0x41];
    short.extend_from_slice(&[0x22; 40]);
    let mut odd = vec![0xc3, 0x12, 0x34, 0x56, 0x78];
    odd.extend_from_slice(&[0; 30]);
    let udp = |from: [u8; 4], to: [u8; 4], sp: u16, dp: u16, payload: &[u8]| {
        let mut v = Vec::new();
        PacketBuilder::ipv4(from, to, 64)
            .udp(sp, dp)
            .write(&mut v, payload)
            .unwrap();
        v
    };
    let frames = vec![
        udp(C, S, 50000, 443, &initial),
        udp(S, C, 443, 50000, &short),
        udp(
            C,
            S,
            50001,
            53,
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00",
        ),
        udp(C, S, 50002, 9999, &odd),
    ];
    let (x, s) = run(&pcap(101, &frames));
    assert!(x.is_empty());
    assert_eq!((s.quic_flows, s.quic_packets), (1, 2));
    assert_eq!(s.not_tcp_frames, 2);
    let summary = s.summary();
    assert!(
        summary.contains("1 QUIC flow not read (HTTP/3 over UDP"),
        "{summary}"
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.starts_with("10.0.0.1:50000 → 10.0.0.2:443: QUIC")),
        "{:?}",
        s.notes
    );
}
