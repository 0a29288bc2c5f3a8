use super::*;
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
