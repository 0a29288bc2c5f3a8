#!/usr/bin/env python3
"""Rewrites an Ethernet pcap (from `tcpdump -i lo`) into another link type of libpcap's list
(https://www.tcpdump.org/linktypes.html): each frame's 14-byte MAC header is replaced by that
link type's header for the IPv4 or IPv6 packet it carries. Timestamps and the IP packets are
kept byte for byte. tshark reads the result as it reads a capture of that link (the generator
checks it lists the same requests). Standard library only.

Usage: relink.py LINKTYPE-NAME in.pcap out.pcap
"""
import struct
import sys
import zlib  # noqa: F401  (kept for an FCS, should a link type need one)


def v6(ip):
    return ip[0] >> 4 == 6


def header(kind, ip):
    six = v6(ip)
    if kind == "null":       # DLT_NULL: address family, host order (x86: little); macOS AF_INET6 30
        return 0, struct.pack("<I", 30 if six else 2)
    if kind == "loop":       # DLT_LOOP: network order; OpenBSD AF_INET6 24
        return 108, struct.pack(">I", 24 if six else 2)
    if kind == "ppp":        # RFC 1662 address/control on IPv4, bare protocol on IPv6
        return 9, (b"\xff\x03\x00\x21" if not six else b"\x00\x57")
    if kind == "ppp-hdlc":   # PPP in HDLC framing (IPv4), Cisco PPP with HDLC framing (IPv6)
        return 50, (b"\xff\x03\x00\x21" if not six else b"\x0f\x00\x86\xdd")
    if kind == "pppoes":     # RFC 2516 session stage: ver/type, code 0, session id, length
        ppp = b"\x00\x57" if six else b"\x00\x21"
        return 51, struct.pack(">BBHH", 0x11, 0, 0x1234, len(ip) + 2) + ppp
    if kind == "chdlc":      # Cisco HDLC: unicast address, control, EtherType
        return 104, b"\x0f\x00" + (b"\x86\xdd" if six else b"\x08\x00")
    if kind == "atm-rfc1483":  # LLC/SNAP
        return 100, b"\xaa\xaa\x03\x00\x00\x00" + (b"\x86\xdd" if six else b"\x08\x00")
    if kind == "ipnet":      # Solaris dl_ipnetinfo: version 1, family (2 / 26), 24 bytes, big-endian
        return 226, struct.pack(">BBHIIIII", 1, 26 if six else 2, 0, len(ip), 1, 0, 0, 0)
    if kind == "ipoib":      # EtherType + 2 reserved bytes
        return 242, (b"\x86\xdd" if six else b"\x08\x00") + b"\x00\x00"
    if kind == "enc":        # OpenBSD enc: af (host order), spi, flags
        return 109, struct.pack("<III", 24 if six else 2, 0, 0)
    if kind == "pflog":      # OpenBSD pfloghdr: length 61, af (24 = AF_INET6), ... padded to 64
        h = struct.pack("<BBBB", 61, 24 if six else 2, 0, 0) + b"lo0".ljust(16, b"\0")
        return 117, h.ljust(64, b"\0")
    raise SystemExit(f"unknown link type {kind}")


def main():
    kind, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"{src}: not a pcap")
    vmaj, vmin, tz, sig, snap, lt = struct.unpack(e + "HHiIII", data[4:24])
    if lt != 1:
        raise SystemExit(f"{src}: link type {lt}, want Ethernet (1)")
    out = []
    linktype = None
    off = 24
    while off + 16 <= len(data):
        ts, us, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = frame[14:]
        linktype, h = header(kind, ip)
        rec = h + ip
        out.append(struct.pack(e + "IIII", ts, us, len(rec), len(rec) + orig - incl) + rec)
    with open(dst, "wb") as f:
        f.write(magic + struct.pack(e + "HHiIII", vmaj, vmin, tz, sig, snap, 1 if linktype is None else linktype))
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
