use super::*;
use crate::exchange::ReplayOf;
use etherparse::{NetSlice, SlicedPacket, TransportSlice};

/// Checksums as an independent implementation (etherparse) computes them.
fn check(frame: &[u8]) -> (u32, usize) {
    let p = SlicedPacket::from_ethernet(frame).unwrap();
    let Some(TransportSlice::Tcp(t)) = p.transport else {
        panic!("no TCP")
    };
    match p.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header().to_header();
            assert_eq!(h.calc_header_checksum(), ip.header().header_checksum());
            let want = t
                .calc_checksum_ipv4(ip.header().source(), ip.header().destination())
                .unwrap();
            assert_eq!(want, t.checksum());
        }
        Some(NetSlice::Ipv6(ip)) => {
            let want = t
                .calc_checksum_ipv6(ip.header().source(), ip.header().destination())
                .unwrap();
            assert_eq!(want, t.checksum());
        }
        _ => panic!("no IP"),
    }
    (t.sequence_number(), t.payload().len())
}

#[test]
fn frames_have_valid_checksums_v4_v6_and_odd_lengths() {
    let c4: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let s4: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let c6: SocketAddr = "[::1]:50000".parse().unwrap();
    let s6: SocketAddr = "[::1]:8080".parse().unwrap();
    for payload in [
        &b""[..],
        b"x",
        b"GET / HTTP/1.1\r\n\r\n",
        &[0xffu8; SEGMENT],
    ] {
        assert_eq!(
            check(&tcp_frame(c4, s4, 7, 9, PSH | ACK, payload)),
            (7, payload.len())
        );
        assert_eq!(
            check(&tcp_frame(c6, s6, 7, 9, PSH | ACK, payload)),
            (7, payload.len())
        );
    }
}

#[test]
fn sequence_numbers_follow_the_bytes_and_segments_are_bounded() {
    let mut s = Session::new(Vec::new()).unwrap();
    let c: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let v: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    s.handle(SaveMsg::Open {
        conn: 3,
        client: c,
        server: v,
        ts_nanos: 1,
    })
    .unwrap();
    let big = vec![b'a'; 3 * SEGMENT + 5];
    s.handle(SaveMsg::Data {
        conn: 3,
        dir: Dir::ClientToServer,
        bytes: big,
        ts_nanos: 2,
    })
    .unwrap();
    s.handle(SaveMsg::Close {
        conn: 3,
        ts_nanos: 3,
    })
    .unwrap();
    // 3 handshake + 4 data + 3 close packets.
    assert_eq!(s.packets, 10);
    let out = s.w.out;
    // Walk the EPBs: data segments continue each other's sequence numbers.
    let mut at = 28 + 32;
    let mut segs = Vec::new();
    while at < out.len() {
        let len = u32::from_le_bytes(out[at + 4..at + 8].try_into().unwrap()) as usize;
        let cap = u32::from_le_bytes(out[at + 20..at + 24].try_into().unwrap()) as usize;
        segs.push(check(&out[at + 28..at + 28 + cap]));
        at += len;
    }
    assert_eq!(at, out.len());
    let data: Vec<_> = segs.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(data.len(), 4);
    for w in data.windows(2) {
        assert_eq!(w[1].0, w[0].0.wrapping_add(w[0].1 as u32));
        assert!(w[0].1 <= SEGMENT);
    }
    // SYN consumes one sequence number: data starts right after it.
    assert_eq!(data[0].0, segs[0].0.wrapping_add(1));
}

/// A session with one exchange of the listener's and one replay of it (issue 17), read back
/// as a capture: the replay is an exchange marked as a replay of #0, with what was sent and
/// the answer; the listener's is no replay.
#[test]
fn a_replay_is_saved_and_read_back_marked_as_a_replay_of_its_original() {
    let mut s = Session::new(Vec::new()).unwrap();
    let (c, srv): (SocketAddr, SocketAddr) = (
        "127.0.0.1:50000".parse().unwrap(),
        "127.0.0.1:8080".parse().unwrap(),
    );
    let req = b"GET /b/k HTTP/1.1\r\nHost: h\r\nAuthorization: AWS AK:c2lnbmF0dXJl\r\n\r\n";
    let resp = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno";
    s.handle(SaveMsg::Open {
        conn: 1,
        client: c,
        server: srv,
        ts_nanos: 1_000,
    })
    .unwrap();
    for (dir, bytes) in [(Dir::ClientToServer, &req[..]), (Dir::ServerToClient, resp)] {
        s.handle(SaveMsg::Data {
            conn: 1,
            dir,
            bytes: bytes.to_vec(),
            ts_nanos: 2_000,
        })
        .unwrap();
    }
    s.handle(SaveMsg::Close {
        conn: 1,
        ts_nanos: 3_000,
    })
    .unwrap();
    let parsed = crate::http::parse_raw(req);
    let Some(crate::http::Message::Request(r, _)) = parsed.messages.into_iter().next() else {
        panic!("request");
    };
    let mut edited = *r;
    edited
        .headers
        .push(crate::http::Header::new("X-Edited", "yes"));
    let replay = Exchange {
        index: 1,
        server: Some("127.0.0.1:8080".into()),
        time: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).ok(),
        request: edited.clone(),
        response: Some(crate::http::Response {
            status: 200,
            reason: "OK".into(),
            version: "HTTP/2".into(),
            headers: vec![crate::http::Header::new("transfer-encoding", "chunked")],
            body: b"yes".to_vec(),
        }),
        replay: Some(ReplayOf {
            original: 0,
            edited: true,
            resigned: None,
        }),
        ..Default::default()
    };
    s.handle(SaveMsg::Replay(Box::new(
        ReplaySave::of(&replay, 1).unwrap(),
    )))
    .unwrap();
    // The listener's exchange is no replay: nothing to save.
    assert!(ReplaySave::of(&Exchange::default(), 2).is_none());
    s.flush().unwrap();
    let bytes = std::mem::take(&mut s.w.out);
    let mut got = Vec::new();
    let sum =
        crate::ingest::stream_bytes(&bytes, "saved.pcapng", 0, &Default::default(), &mut |x| {
            got.push(x)
        });
    assert!(sum.errors.is_empty(), "{:?}", sum.errors);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].replay, None);
    assert_eq!(got[0].response.as_ref().map(|r| r.status), Some(403));
    let back = &got[1];
    assert_eq!(
        back.replay.as_ref().map(ReplayOf::describe).as_deref(),
        Some("replay of #0 edited, not re-signed")
    );
    assert_eq!(back.request.headers, edited.headers);
    let r = back.response.as_ref().unwrap();
    assert_eq!((r.status, &r.body[..]), (200, &b"yes"[..]));
    assert_eq!(back.server.as_deref(), Some("127.0.0.1:8080"));
    assert_eq!(back.time.map(|t| t.unix_timestamp()), Some(1_800_000_000));
}

#[test]
fn replay_interface_names_round_trip() {
    for (edited, resigned) in [
        (false, None),
        (false, Some("aws")),
        (true, Some("keystone-legacy")),
        (true, None),
    ] {
        let r = ReplayOf {
            original: 7,
            edited,
            resigned: resigned.map(str::to_string),
        };
        assert_eq!(ReplayOf::from_interface(&r.interface_name()), Some(r));
    }
    for other in [
        "eth0",
        "sigscope replay of #x as captured",
        "sigscope replay of #1 edited, as captured",
        "sigscope replay of #1 not re-signed",
        "sigscope replay of #1 re-signed as",
    ] {
        assert_eq!(ReplayOf::from_interface(other), None, "{other}");
    }
}
