//! Link, IP and TCP decoding of one frame (etherparse), with IPv4/IPv6 fragment reassembly.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use etherparse::defrag::IpDefragPool;
use etherparse::{EtherType, IpNumber, NetSlice, SlicedPacket, TcpSlice, TransportSlice};

use super::link::Net;

/// One TCP segment, addresses included.
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: Cow<'a, [u8]>,
}

#[derive(Debug, PartialEq, Eq)]
// The segment is returned by value once per frame and matched at once: boxing it to keep the
// enum small cost an allocation per frame.
#[allow(clippy::large_enum_variant)]
pub enum Decoded<'a> {
    Tcp(SegmentBox<'a>),
    /// IP packet that is not TCP (UDP, ICMP…), or a non-IP frame (ARP…).
    NotTcp,
    /// A QUIC packet (HTTP/3 travels in it), over UDP: its flow, client and server as the
    /// packet goes. Not decrypted: counted and named.
    Quic(SocketAddr, SocketAddr),
    /// A fragment kept until the rest of its datagram arrives.
    Fragment,
    /// The frame could not be decoded; the reason.
    Bad(String),
    UnsupportedLink(i32),
}

/// A segment as decoded (no longer boxed; the name stays); compared by addresses and
/// sequence only.
pub struct SegmentBox<'a>(pub Segment<'a>);

impl PartialEq for SegmentBox<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.0.src == o.0.src && self.0.dst == o.0.dst && self.0.seq == o.0.seq
    }
}
impl Eq for SegmentBox<'_> {}
impl std::fmt::Debug for SegmentBox<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> {} seq {} len {}",
            self.0.src,
            self.0.dst,
            self.0.seq,
            self.0.payload.len()
        )
    }
}

fn segment<'a>(
    tcp: &TcpSlice<'_>,
    src_ip: IpAddr,
    dst_ip: IpAddr,
    payload: Cow<'a, [u8]>,
) -> Decoded<'a> {
    Decoded::Tcp(SegmentBox(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload,
    }))
}

/// The EtherType of a Linux cooked (SLL v1 or v2) frame's payload, from its ARPHRD hardware
/// type and protocol field; None when the payload is not an EtherType's (so not IP).
///
/// libpcap (`pcap/sll.h`) documents the field as "a 2-byte Ethernet protocol field" whatever
/// the hardware type, and Wireshark (`epan/dissectors/packet-sll.c`, `dissect_sll`) reads it
/// so, with two exceptions: values of 1536 (0x0600) and below are Linux's own pseudo-protocols
/// (`LINUX_SLL_P_*`: 0x0001 802.3 without LLC, 0x0004 802.2 LLC, 0x000c CAN…), not
/// EtherTypes, and on ARPHRD_IPGRE (778) it is a GRE protocol type, which for IPv4 and IPv6 is
/// their EtherType (RFC 2784 §2.4). On ARPHRD_NETLINK (824) it is the netlink family
/// (libpcap's `pcap-linux.c` captures netlink cooked for that reason): never IP. Every other
/// hardware type (loopback 772 on `tcpdump -i any`, Ethernet 1, none 0xfffe for tun
/// devices…) carries an EtherType. etherparse's own SLL reader refuses the hardware types it
/// does not list, loopback among them, hence this.
fn cooked_ether_type(hatype: u16, proto: u16) -> Option<EtherType> {
    const ARPHRD_IPGRE: u16 = 778;
    const ARPHRD_NETLINK: u16 = 824;
    match (hatype, EtherType(proto)) {
        (_, _) if proto <= 0x0600 => None,
        (ARPHRD_NETLINK, _) => None,
        (ARPHRD_IPGRE, e @ (EtherType::IPV4 | EtherType::IPV6)) => Some(e),
        (ARPHRD_IPGRE, _) => None,
        (_, e) => Some(e),
    }
}

pub struct Decoder {
    defrag: IpDefragPool<u64, ()>,
    defrag_frames: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            defrag: IpDefragPool::new(),
            defrag_frames: 0,
        }
    }
}

impl Decoder {
    pub fn decode<'a>(&mut self, linktype: i32, data: &'a [u8], frame: u64) -> Decoded<'a> {
        let sliced = match super::link::network(linktype, data) {
            Net::Ethernet(b) => SlicedPacket::from_ethernet(b),
            Net::Ether(e, b) => SlicedPacket::from_ether_type(e, b),
            Net::Ip(b) => SlicedPacket::from_ip(b),
            Net::NotIp => return Decoded::NotTcp,
            Net::Bad(why) => return Decoded::Bad(why.into()),
            // Linux cooked v1: packet type, ARPHRD type, address length, 8 bytes of address,
            // protocol = 16 bytes.
            Net::Unsupported if linktype == 113 => {
                if data.len() < 16 {
                    return Decoded::Bad("Linux cooked v1 header shorter than 16 bytes".into());
                }
                let hatype = u16::from_be_bytes([data[2], data[3]]);
                let proto = u16::from_be_bytes([data[14], data[15]]);
                match cooked_ether_type(hatype, proto) {
                    Some(e) => SlicedPacket::from_ether_type(e, &data[16..]),
                    None => return Decoded::NotTcp,
                }
            }
            // Linux cooked v2: protocol type, reserved, interface index, ARPHRD, packet type,
            // address length, 8 bytes of address = 20 bytes.
            Net::Unsupported if linktype == 276 => {
                if data.len() < 20 {
                    return Decoded::Bad("Linux cooked v2 header shorter than 20 bytes".into());
                }
                let proto = u16::from_be_bytes([data[0], data[1]]);
                let hatype = u16::from_be_bytes([data[8], data[9]]);
                match cooked_ether_type(hatype, proto) {
                    Some(e) => SlicedPacket::from_ether_type(e, &data[20..]),
                    None => return Decoded::NotTcp,
                }
            }
            Net::Unsupported => return Decoded::UnsupportedLink(linktype),
        };
        let sliced = match sliced {
            Ok(s) => s,
            Err(e) => return Decoded::Bad(e.to_string()),
        };
        let (src_ip, dst_ip): (IpAddr, IpAddr) = match &sliced.net {
            Some(NetSlice::Ipv4(v4)) => (
                v4.header().source_addr().into(),
                v4.header().destination_addr().into(),
            ),
            Some(NetSlice::Ipv6(v6)) => (
                v6.header().source_addr().into(),
                v6.header().destination_addr().into(),
            ),
            _ => return Decoded::NotTcp,
        };
        let fragmented = match &sliced.net {
            Some(NetSlice::Ipv4(v4)) => v4.payload().fragmented,
            Some(NetSlice::Ipv6(v6)) => v6.payload().fragmented,
            _ => false,
        };
        if fragmented {
            self.defrag_frames += 1;
            return match self.defrag.process_sliced_packet(&sliced, frame, ()) {
                Ok(Some(whole)) => {
                    if whole.ip_number != IpNumber::TCP {
                        return Decoded::NotTcp;
                    }
                    match TcpSlice::from_slice(&whole.payload) {
                        Ok(tcp) => {
                            segment(&tcp, src_ip, dst_ip, Cow::Owned(tcp.payload().to_vec()))
                        }
                        Err(e) => Decoded::Bad(format!("reassembled datagram: {e}")),
                    }
                }
                Ok(None) => Decoded::Fragment,
                Err(e) => Decoded::Bad(format!("IP fragment: {e}")),
            };
        }
        match sliced.transport {
            Some(TransportSlice::Tcp(tcp)) => {
                segment(&tcp, src_ip, dst_ip, Cow::Borrowed(tcp.payload()))
            }
            Some(TransportSlice::Udp(udp))
                if looks_like_quic(udp.payload(), udp.source_port(), udp.destination_port()) =>
            {
                Decoded::Quic(
                    SocketAddr::new(src_ip, udp.source_port()),
                    SocketAddr::new(dst_ip, udp.destination_port()),
                )
            }
            _ => Decoded::NotTcp,
        }
    }

    /// Fragments seen (reassembled or still waiting).
    pub fn fragment_frames(&self) -> u64 {
        self.defrag_frames
    }
}

/// Whether a UDP payload is a QUIC packet (RFC 9000 §17): a long header (form and fixed bits
/// set) with a version QUIC uses — 1 (RFC 9000), 2 (RFC 9369, `0x6b3343cf`), 0 (version
/// negotiation) or a draft (`0xff0000xx`) — or, on port 443, a short header (form bit clear,
/// fixed bit set), as Wireshark's QUIC heuristic takes them.
pub fn looks_like_quic(payload: &[u8], src_port: u16, dst_port: u16) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    if first & 0xc0 == 0xc0 {
        return match payload.get(1..5) {
            Some(v) => matches!(
                u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                0 | 1 | 0x6b33_43cf | 0xff00_0000..=0xff00_00ff
            ),
            None => false,
        };
    }
    first & 0xc0 == 0x40 && payload.len() >= 21 && (src_port == 443 || dst_port == 443)
}
