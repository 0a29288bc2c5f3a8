//! Link layers: where a frame's network packet starts, for every link type of libpcap's list
//! (<https://www.tcpdump.org/linktypes.html>, `pcap/dlt.h`) whose frames carry IP without
//! encryption or radio headers in front of it.
//!
//! | LINKTYPE | value | header before the packet |
//! |---|---|---|
//! | NULL / LOOP | 0 / 108 | 4-byte address family (host / network order) |
//! | ETHERNET | 1 | MAC header (VLAN tags read by etherparse) |
//! | PPP | 9 | optional `ff 03`, then a 1- or 2-byte PPP protocol (RFC 1661 §2, RFC 1662) |
//! | RAW (and BSD's 12, 14) / IPV4 / IPV6 | 101 / 228 / 229 | none |
//! | PPP_HDLC | 50 | `ff 03` + PPP protocol, or Cisco HDLC (`0f`/`8f`) + EtherType |
//! | PPP_ETHER | 51 | 6-byte PPPoE session header, then a PPP protocol (RFC 2516 §4) |
//! | ATM_RFC1483 | 100 | LLC/SNAP `aa aa 03 00 00 00` + EtherType |
//! | C_HDLC | 104 | address, control, EtherType |
//! | ENC | 109 | 12 bytes: address family (host order), SPI, flags (OpenBSD `if_enc.h`) |
//! | LINUX_SLL / SLL2 | 113 / 276 | 16 / 20 bytes, EtherType by hardware type (`decode.rs`) |
//! | PFLOG | 117 | its own length in byte 0, padded to 4 bytes (OpenBSD `if_pflog.h`) |
//! | IPNET | 226 | 24 bytes, address family in byte 1 (2 IPv4, 26 IPv6; Solaris `inet/ipnet.h`) |
//! | NFLOG | 239 | 4 bytes, then TLVs; the packet is the `NFULA_PAYLOAD` (9) TLV's value |
//! | NETANALYZER / _TRANSPARENT | 240 / 241 | 4 / 12 bytes, then an Ethernet frame |
//! | IPOIB | 242 | 2-byte EtherType, 2 reserved bytes |
//!
//! Not read (said as an unsupported link type): 802.11 and other radio headers (the payload is
//! almost always encrypted by the link), token ring, FDDI, ARCNET, and vendor encapsulations.

use etherparse::EtherType;

/// What a frame holds once its link header is taken off.
pub enum Net<'a> {
    /// An Ethernet frame, MAC header first.
    Ethernet(&'a [u8]),
    /// A packet of this EtherType.
    Ether(EtherType, &'a [u8]),
    /// An IPv4 or IPv6 packet (told apart by its version nibble).
    Ip(&'a [u8]),
    /// Not an IP packet (LCP, ARP, netlink…).
    NotIp,
    /// The link header is cut short or malformed.
    Bad(&'static str),
    Unsupported,
}

const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

/// A PPP protocol field and what follows: the field is one byte when protocol-field
/// compression made it so (its first byte is then odd: RFC 1661 §2).
fn ppp(b: &[u8]) -> Net<'_> {
    let (proto, rest) = match b {
        [p, rest @ ..] if p & 1 == 1 => (u16::from(*p), rest),
        [a, c, rest @ ..] => (u16::from_be_bytes([*a, *c]), rest),
        _ => return Net::Bad("PPP header cut short"),
    };
    match proto {
        PPP_IPV4 | PPP_IPV6 => Net::Ip(rest),
        _ => Net::NotIp,
    }
}

fn ether(b: &[u8]) -> Net<'_> {
    match b {
        [a, c, rest @ ..] => Net::Ether(EtherType(u16::from_be_bytes([*a, *c])), rest),
        _ => Net::Bad("EtherType cut short"),
    }
}

/// A BSD address family: AF_INET is 2 everywhere, AF_INET6 is 24, 28 or 30 by system
/// (libpcap's `LINKTYPE_NULL` page); the version nibble decides anyway.
fn by_family(af: u32, rest: &[u8]) -> Net<'_> {
    match af {
        2 | 24 | 28 | 30 => Net::Ip(rest),
        _ => Net::NotIp,
    }
}

/// The NFLOG TLV lengths and types are in the capturing host's byte order (libpcap's
/// `pcap/nflog.h`; Wireshark's `packet-nflog.c` reads them host-endian, libpcap swaps them when
/// the file's byte order differs). The order is read from the first TLV: the one in which its
/// length fits the frame and its type is a small attribute number.
fn nflog(b: &[u8]) -> Net<'_> {
    const NFULA_PAYLOAD: u16 = 9;
    let Some(tlvs) = b.get(4..) else {
        return Net::Bad("NFLOG header cut short");
    };
    let little = match tlvs {
        [l0, l1, t0, t1, ..] => {
            let fits = |len: u16, ty: u16| len >= 4 && usize::from(len) <= tlvs.len() && ty < 0x100;
            fits(
                u16::from_le_bytes([*l0, *l1]),
                u16::from_le_bytes([*t0, *t1]) & 0x7fff,
            ) || !fits(
                u16::from_be_bytes([*l0, *l1]),
                u16::from_be_bytes([*t0, *t1]) & 0x7fff,
            )
        }
        _ => return Net::NotIp,
    };
    let u16_at = |s: &[u8]| match little {
        true => u16::from_le_bytes([s[0], s[1]]),
        false => u16::from_be_bytes([s[0], s[1]]),
    };
    let mut rest = tlvs;
    while rest.len() >= 4 {
        let len = usize::from(u16_at(&rest[0..2]));
        let ty = u16_at(&rest[2..4]) & 0x7fff;
        if len < 4 || len > rest.len() {
            return Net::Bad("NFLOG attribute longer than the frame");
        }
        if ty == NFULA_PAYLOAD {
            return match b[0] {
                2 | 10 => Net::Ip(&rest[4..len]),
                _ => Net::NotIp,
            };
        }
        // Each attribute is padded to a multiple of 4 bytes.
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    Net::NotIp
}

/// Takes `linktype`'s header off `data`.
pub fn network(linktype: i32, data: &[u8]) -> Net<'_> {
    let cut = |n: usize, what: &'static str| data.get(n..).ok_or(Net::Bad(what));
    let r = (|| -> Result<Net<'_>, Net<'_>> {
        Ok(match linktype {
            1 => Net::Ethernet(data),
            0 | 108 => {
                let rest = cut(4, "loopback header shorter than 4 bytes")?;
                Net::Ip(rest)
            }
            101 | 12 | 14 | 228 | 229 => Net::Ip(data),
            9 => ppp(data.strip_prefix(&[0xff, 0x03]).unwrap_or(data)),
            50 => match data {
                [0xff, 0x03, rest @ ..] => ppp(rest),
                [0x0f | 0x8f, _, rest @ ..] => ether(rest),
                _ => Net::Bad("PPP in HDLC framing without its address byte"),
            },
            51 => ppp(cut(6, "PPPoE header shorter than 6 bytes")?),
            100 => match data {
                [0xaa, 0xaa, 0x03, 0, 0, 0, rest @ ..] => ether(rest),
                _ => Net::NotIp,
            },
            104 => ether(cut(2, "Cisco HDLC header shorter than 4 bytes")?),
            109 => {
                let rest = cut(12, "enc header shorter than 12 bytes")?;
                let af = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]);
                match by_family(af, rest) {
                    Net::NotIp => by_family(af.swap_bytes(), rest),
                    n => n,
                }
            }
            117 => {
                let len = usize::from(*data.first().ok_or(Net::Bad("empty pflog frame"))?);
                let af = *data.get(1).ok_or(Net::Bad("pflog header cut short"))?;
                by_family(
                    af.into(),
                    cut(len.next_multiple_of(4), "pflog header cut short")?,
                )
            }
            226 => {
                let rest = cut(24, "ipnet header shorter than 24 bytes")?;
                match data[1] {
                    2 | 26 => Net::Ip(rest),
                    _ => Net::NotIp,
                }
            }
            239 => nflog(data),
            240 => Net::Ethernet(cut(4, "netANALYZER header shorter than 4 bytes")?),
            241 => Net::Ethernet(cut(12, "netANALYZER header shorter than 12 bytes")?),
            242 => ether(data),
            _ => Net::Unsupported,
        })
    })();
    r.unwrap_or_else(|e| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: Net<'_>) -> Option<&[u8]> {
        match n {
            Net::Ip(b) => Some(b),
            _ => None,
        }
    }

    #[test]
    fn ppp_protocol_field_may_be_compressed() {
        assert_eq!(ip(network(9, &[0x00, 0x21, 0x45])), Some(&[0x45][..]));
        assert_eq!(
            ip(network(9, &[0xff, 0x03, 0x00, 0x57, 0x60])),
            Some(&[0x60][..])
        );
        assert_eq!(ip(network(9, &[0x21, 0x45])), Some(&[0x45][..]));
        assert!(matches!(network(9, &[0xc0, 0x21, 1]), Net::NotIp));
        assert!(matches!(network(9, &[0xc0]), Net::Bad(_)));
    }

    #[test]
    fn nflog_payload_either_byte_order() {
        // A prefix TLV of 5 bytes (padded to 8), then the payload.
        let le = [
            2, 0, 0, 5, 5, 0, 10, 0, b'x', 0, 0, 0, 6, 0, 9, 0, 0x45, 0x00,
        ];
        assert_eq!(ip(network(239, &le)), Some(&[0x45, 0x00][..]));
        let be = [
            10, 0, 0, 5, 0, 5, 0, 10, b'x', 0, 0, 0, 0, 6, 0, 9, 0x60, 0x00,
        ];
        assert_eq!(ip(network(239, &be)), Some(&[0x60, 0x00][..]));
        let over = [2, 0, 0, 5, 40, 0, 9, 0, 0x45];
        assert!(matches!(network(239, &over), Net::Bad(_)));
        assert!(matches!(
            network(239, &[7, 0, 0, 0, 5, 0, 9, 0, 1]),
            Net::NotIp
        ));
    }

    #[test]
    fn headers_in_front_of_ethernet_and_ethertypes() {
        let eth = [0u8; 14];
        let mut a = vec![1, 2, 3, 4];
        a.extend_from_slice(&eth);
        assert!(matches!(network(240, &a), Net::Ethernet(b) if b.len() == 14));
        let mut t = vec![0; 12];
        t.extend_from_slice(&eth);
        assert!(matches!(network(241, &t), Net::Ethernet(b) if b.len() == 14));
        assert!(
            matches!(network(242, &[0x86, 0xdd, 0, 0, 0x60]), Net::Ether(EtherType::IPV6, b) if b == [0, 0, 0x60])
        );
    }

    #[test]
    fn short_headers_are_bad_not_panics() {
        for lt in [
            0, 9, 50, 51, 100, 104, 108, 109, 117, 226, 239, 240, 241, 242,
        ] {
            for n in 0..4 {
                let _ = network(lt, &vec![0xff; n]);
            }
        }
        assert!(matches!(network(147, &[0; 40]), Net::Unsupported));
    }
}
