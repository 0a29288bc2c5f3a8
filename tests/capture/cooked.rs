//! Linux cooked captures (`tcpdump -i any`): SLL v1 (DLT 113) and SLL v2 (DLT 276) frames of
//! every ARPHRD hardware type carry an EtherType in their protocol field, except the few
//! where libpcap and Wireshark say otherwise (netlink, GRE, the LINUX_SLL_P_* pseudo-protocols
//! below 0x0600). Issue #12 §6: loopback (ARPHRD_LOOPBACK, 772) frames were "not decodable".

use etherparse::PacketBuilder;

use crate::synthetic::{pcap, raw, run, C, REQ, RESP, S};

const ARPHRD_ETHER: u16 = 1;
const ARPHRD_IPGRE: u16 = 778;
const ARPHRD_LOOPBACK: u16 = 772;
const ARPHRD_NETLINK: u16 = 824;
const ARPHRD_NONE: u16 = 0xfffe;

/// SYN, request, response: three IPv4 packets of one exchange.
fn ip_packets() -> Vec<Vec<u8>> {
    vec![
        raw(
            PacketBuilder::ipv4(C, S, 64).tcp(40000, 80, 1, 65535).syn(),
            b"",
        ),
        raw(
            PacketBuilder::ipv4(C, S, 64)
                .tcp(40000, 80, 2, 65535)
                .ack(1),
            REQ,
        ),
        raw(
            PacketBuilder::ipv4(S, C, 64)
                .tcp(80, 40000, 5001, 65535)
                .ack(1),
            RESP,
        ),
    ]
}

/// SLL v1: packet type, ARPHRD type, address length, 8 address bytes, protocol (16 bytes).
fn sll1(hatype: u16, protocol: u16, ip: &[u8]) -> Vec<u8> {
    let mut h = vec![0, 0];
    h.extend_from_slice(&hatype.to_be_bytes());
    h.extend_from_slice(&[0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.extend_from_slice(&protocol.to_be_bytes());
    h.extend_from_slice(ip);
    h
}

/// SLL v2: protocol, reserved, interface index, ARPHRD type, packet type, address length,
/// 8 address bytes (20 bytes).
fn sll2(hatype: u16, protocol: u16, ip: &[u8]) -> Vec<u8> {
    let mut h = protocol.to_be_bytes().to_vec();
    h.extend_from_slice(&[0, 0, 0, 0, 0, 1]);
    h.extend_from_slice(&hatype.to_be_bytes());
    h.extend_from_slice(&[0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.extend_from_slice(ip);
    h
}

type Wrap = fn(u16, u16, &[u8]) -> Vec<u8>;
const VERSIONS: [(u32, Wrap); 2] = [(113, sll1), (276, sll2)];

#[test]
fn every_hardware_type_carries_an_ethertype() {
    for (linktype, wrap) in VERSIONS {
        for hatype in [
            ARPHRD_LOOPBACK,
            ARPHRD_ETHER,
            ARPHRD_NONE,
            776, /* SIT */
        ] {
            let frames: Vec<Vec<u8>> = ip_packets()
                .iter()
                .map(|ip| wrap(hatype, 0x0800, ip))
                .collect();
            let (x, s) = run(&pcap(linktype, &frames));
            assert_eq!(x.len(), 1, "DLT {linktype}, ARPHRD {hatype}: {s:?}");
            assert!(x[0].response.is_some(), "DLT {linktype}, ARPHRD {hatype}");
            assert_eq!(s.undecodable_frames, 0, "DLT {linktype}, ARPHRD {hatype}");
            assert!(
                !s.summary().contains("not decodable"),
                "DLT {linktype}, ARPHRD {hatype}: {}",
                s.summary()
            );
        }
    }
}

#[test]
fn gre_protocol_types_of_ip_are_decoded() {
    // On ARPHRD_IPGRE the field is a GRE protocol type; for IPv4 that is 0x0800 as well.
    for (linktype, wrap) in VERSIONS {
        let frames: Vec<Vec<u8>> = ip_packets()
            .iter()
            .map(|ip| wrap(ARPHRD_IPGRE, 0x0800, ip))
            .collect();
        let (x, s) = run(&pcap(linktype, &frames));
        assert_eq!(x.len(), 1, "DLT {linktype}: {s:?}");
    }
}

#[test]
fn netlink_and_pseudo_protocols_are_not_ip() {
    for (linktype, wrap) in VERSIONS {
        // Netlink (its protocol field is a netlink family, whatever its value), 802.3,
        // 802.2 LLC and CAN pseudo-protocols: none is read as IP, none is an error.
        for (hatype, protocol) in [
            (ARPHRD_NETLINK, 0x0800),
            (ARPHRD_LOOPBACK, 0x0001),
            (ARPHRD_ETHER, 0x0004),
            (280 /* ARPHRD_CAN */, 0x000c),
        ] {
            let frames: Vec<Vec<u8>> = ip_packets()
                .iter()
                .map(|ip| wrap(hatype, protocol, ip))
                .collect();
            let (x, s) = run(&pcap(linktype, &frames));
            assert!(
                x.is_empty(),
                "DLT {linktype}, ARPHRD {hatype}, {protocol:#06x}"
            );
            assert_eq!(
                (s.not_tcp_frames, s.undecodable_frames),
                (3, 0),
                "DLT {linktype}, ARPHRD {hatype}, {protocol:#06x}: {s:?}"
            );
        }
    }
}

#[test]
fn short_cooked_headers_are_reported() {
    for (linktype, len) in [(113u32, 15usize), (276, 19)] {
        let (_, s) = run(&pcap(linktype, &[vec![0; len]]));
        assert_eq!(s.undecodable_frames, 1, "DLT {linktype}");
        assert!(
            s.notes.iter().any(|n| n.contains("Linux cooked")),
            "{:?}",
            s.notes
        );
    }
}
