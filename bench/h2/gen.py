#!/usr/bin/env python3
"""HTTP/2 capture benchmark input (issue 13): N exchanges on one h2c connection (prior
knowledge), or the same traffic as HTTP/1.1, as a classic pcap (Ethernet, IPv4, TCP).

Usage: gen.py h2|h1 OUT.pcap N

Header blocks come from python-hyper's `hpack` encoder (Huffman strings, a dynamic table),
so the capture reads as a real client's would; the `Authorization` header is SigV4-shaped
with a different signature per request (its values are made up: the benchmark times reading,
not verifying). Requests go in batches of 50, then their responses (200, 1 KiB body); TCP
segments of at most 60,000 bytes. tshark reads the h2 file (`-Y http2.headers.method`) and
lists the same requests as sigscope (bench/h2/run.sh checks it).
"""
import struct
import sys

import hpack

mode, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
assert mode in ("h1", "h2")


def frame(ty, flags, sid, p):
    return struct.pack(">I", len(p))[1:] + bytes([ty, flags]) + struct.pack(">I", sid) + p


AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=%064x")
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
body = b"x" * 1024
ce, se = hpack.Encoder(), hpack.Encoder()
if mode == "h2":
    c_open = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"")
    s_open = frame(4, 0, 0, b"") + frame(4, 1, 0, b"")
else:
    c_open = s_open = b""
cs, ss = [], []
for i in range(n):
    sid = 2 * i + 1
    if mode == "h2":
        hb = ce.encode([(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:9000"),
                        (":path", "/bucket/k%d" % i), ("x-amz-date", "20261207T000000Z"),
                        ("x-amz-content-sha256", SHA), ("authorization", AUTH % i)])
        cs.append(frame(1, 5, sid, hb))
        rb = se.encode([(":status", "200"), ("content-length", "1024"), ("server", "x")])
        ss.append(frame(1, 4, sid, rb) + frame(0, 1, sid, body))
    else:
        cs.append(("GET /bucket/k%d HTTP/1.1\r\nhost: 127.0.0.1:9000\r\n"
                   "x-amz-date: 20261207T000000Z\r\nx-amz-content-sha256: %s\r\n"
                   "authorization: %s\r\n\r\n" % (i, SHA, AUTH % i)).encode())
        ss.append(b"HTTP/1.1 200 OK\r\ncontent-length: 1024\r\nserver: x\r\n\r\n" + body)


def ip_tcp(src, dst, sp, dp, seq, ack, flags, payload):
    tcp = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                      65535, 0, 0)
    tot = 20 + len(tcp) + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    return b"\x02" * 6 + b"\x01" * 6 + b"\x08\x00" + ip + tcp + payload


C, S = [127, 0, 0, 1], [127, 0, 0, 2]
f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))


def pkt(b):
    f.write(struct.pack("<IIII", 1700000000, 0, len(b), len(b)))
    f.write(b)


seq = {True: 1000, False: 5000}
pkt(ip_tcp(C, S, 40000, 9000, seq[True] - 1, 0, 0x02, b""))
pkt(ip_tcp(S, C, 9000, 40000, seq[False] - 1, seq[True], 0x12, b""))


def send(to_server, data):
    for i in range(0, len(data), 60000):
        p = bytes(data[i:i + 60000])
        if to_server:
            pkt(ip_tcp(C, S, 40000, 9000, seq[True], seq[False], 0x18, p))
        else:
            pkt(ip_tcp(S, C, 9000, 40000, seq[False], seq[True], 0x18, p))
        seq[to_server] += len(p)


send(True, c_open)
send(False, s_open)
for i in range(0, n, 50):
    send(True, b"".join(cs[i:i + 50]))
    send(False, b"".join(ss[i:i + 50]))
pkt(ip_tcp(C, S, 40000, 9000, seq[True], seq[False], 0x11, b""))
pkt(ip_tcp(S, C, 9000, 40000, seq[False], seq[True] + 1, 0x11, b""))
f.close()
