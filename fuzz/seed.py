#!/usr/bin/env python3
"""Derives the fuzz targets' seed corpora from the committed fixtures (issue 19).

Run by seed.sh: `seed.py OUT_DIR` writes OUT_DIR/<target>/<name> for every target, in the
layouts fuzz/src/lib.rs reads (a control byte; records of tag, 16-bit big-endian length,
bytes). Only seeds of at most MAX_SEED bytes are written, and at most PER_TARGET a target:
the committed corpus stays small. Standard library only.
"""
import hashlib
import json
import os
import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_SEED = 8 << 10
PER_TARGET = 24
# The link types of fuzz_targets/link_ip_tcp.rs, in its order (the tag picks by index).
LINKTYPES = [0, 1, 9, 12, 14, 50, 51, 100, 101, 104, 108, 109, 113, 117, 226, 228, 229,
             239, 240, 241, 242, 276, 147]


def rec(tag, data):
    data = data[:0xFFFF]
    return bytes([tag]) + struct.pack(">H", len(data)) + data


def frames(path):
    """(linktype, frame bytes) of a pcap or pcapng file (interface link types per section)."""
    d = path.read_bytes()
    out = []
    if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        lt = struct.unpack(e + "I", d[20:24])[0] & 0x0FFFFFFF
        i = 24
        while i + 16 <= len(d):
            incl = struct.unpack(e + "I", d[i + 8:i + 12])[0]
            out.append((lt, d[i + 16:i + 16 + incl]))
            i += 16 + incl
    elif d[:4] == b"\x0a\x0d\x0d\x0a":
        e, i, ifaces = "<", 0, []
        while i + 12 <= len(d):
            if d[i:i + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if d[i + 8:i + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            ty, ln = struct.unpack(e + "II", d[i:i + 8])
            if ln < 12:
                break
            body = d[i + 8:i + ln - 4]
            if ty == 1:
                ifaces.append(struct.unpack(e + "H", body[:2])[0])
            elif ty == 6 and len(body) >= 20:
                iface, _, _, incl = struct.unpack(e + "IIII", body[:16])
                if iface < len(ifaces):
                    out.append((ifaces[iface], body[20:20 + incl]))
            i += ln
    return out


def tcp_of(lt, f):
    """(src, dst, seq, flags, payload) of an IPv4/IPv6 TCP frame on the common link types."""
    if lt == 1:
        if len(f) < 14:
            return None
        et, ip = struct.unpack(">H", f[12:14])[0], f[14:]
        if et == 0x8100 and len(f) >= 18:
            et, ip = struct.unpack(">H", f[16:18])[0], f[18:]
    elif lt in (101, 228, 229, 12, 14):
        ip = f
    elif lt in (0, 108):
        ip = f[4:]
    elif lt == 113:
        ip = f[16:]
    elif lt == 276:
        ip = f[20:]
    else:
        return None
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4 and len(ip) >= 20 and ip[9] == 6:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        src, dst, tcp = ip[12:16], ip[16:20], ip[ihl:total]
    elif v == 6 and len(ip) >= 40 and ip[6] == 6:
        plen = struct.unpack(">H", ip[4:6])[0]
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if len(tcp) < 20:
        return None
    sp, dp, seq = struct.unpack(">HHI", tcp[:8])
    off = (tcp[12] >> 4) * 4
    return (src, sp), (dst, dp), seq, tcp[13], tcp[off:]


def connections(path):
    """Each TCP connection's segments, in order: (direction 0 = client, seq, flags, payload)."""
    conns = {}
    for lt, f in frames(path):
        t = tcp_of(lt, f)
        if not t:
            continue
        a, b, seq, flags, payload = t
        key = tuple(sorted([a, b]))
        c = conns.setdefault(key, {"client": None, "segs": []})
        if c["client"] is None and (flags & 0x12 == 0x02 or payload):
            c["client"] = a
        d = 0 if a == c["client"] else 1
        c["segs"].append((d, seq, flags, payload))
    return [c["segs"] for c in conns.values()]


def stream(segs, d):
    return b"".join(p for dd, _, _, p in segs if dd == d)


def fixtures(*globs):
    seen = []
    for g in globs:
        seen.extend(sorted(ROOT.glob(g)))
    return [p for p in seen if p.is_file() and "/gen/" not in str(p) and "/target/" not in str(p)]


class Corpus:
    def __init__(self, out):
        self.out = Path(out)
        self.count = {}

    def add(self, target, data):
        if not data or len(data) > MAX_SEED or self.count.get(target, 0) >= PER_TARGET:
            return
        d = self.out / target
        d.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()[:16]
        if not (d / name).exists():
            (d / name).write_bytes(data)
            self.count[target] = self.count.get(target, 0) + 1


def http_messages(data):
    """Heads and bodies of the messages in a raw stream, split on blank lines (roughly)."""
    out = []
    for m in re.split(rb"(?=(?:^|\r?\n)(?:HTTP/1\.[01] \d{3}|[A-Z]{3,7} \S+ HTTP/1\.[01])\r?\n)", data):
        m = m.lstrip(b"\r\n")
        head, sep, body = m.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = m.partition(b"\n\n")
        if head:
            out.append((head, body))
    return out


def main():
    c = Corpus(sys.argv[1])
    pcaps = fixtures("samples/*.pcap", "tests/captures/**/*.pcap", "tests/captures/**/*.pcapng",
                     "tests/vectors/**/*.pcapng", "tests/vectors/**/*.pcap",
                     "tests/conformance/**/*.pcap")
    raws = fixtures("samples/*.http", "tests/**/*.http")
    small = [p for p in pcaps if p.stat().st_size <= MAX_SEED]
    # The whole pipeline and the raw reader take the files as they are.
    for p in small + raws:
        c.add("pipeline", p.read_bytes())
    for p in raws:
        d = p.read_bytes()
        c.add("raw_http", d)
        c.add("http1", bytes([11]) + d)
        c.add("http1", bytes([3]) + d)
        c.add("auth", bytes([5]) + d)
        for head, body in http_messages(d):
            m = re.search(rb"(?im)^authorization:\s*(.*?)\r?$", head)
            if m:
                c.add("auth", bytes([6 << 3]) + m.group(1))
            m = re.match(rb"[A-Z]+ [^?\s]*\?(\S*)", head)
            if m:
                c.add("auth", bytes([(7 << 3) | 1]) + m.group(1))
            if b"aws-chunked" in head.lower() or b"streaming-" in head.lower():
                trailer = b"x-amz-trailer" in head.lower()
                signed = b"chunk-signature=" in body
                c.add("aws_chunked", bytes([(2 if trailer else 0) | (1 if signed else 0) | (0x80 if trailer else 0)]) + body)
            if head.startswith(b"HTTP/") and body.lstrip().startswith((b"<", b"{")):
                c.add("server_error", bytes([0]) + body)
        # A HAR of the same exchanges: HAR fixtures are made by tests, none is committed.
        entries = []
        for head, body in http_messages(d):
            lines = head.decode("latin-1").split("\r\n" if b"\r\n" in head else "\n")
            parts = lines[0].split(" ")
            if len(parts) < 3 or parts[0].startswith("HTTP/"):
                continue
            hs = [dict(zip(("name", "value"), (x.strip() for x in l.split(":", 1)))) for l in lines[1:] if ":" in l]
            host = next((h["value"] for h in hs if h["name"].lower() == "host"), "example.com")
            req = {"method": parts[0], "url": "http://" + host + parts[1], "httpVersion": parts[2],
                   "headers": hs, "queryString": []}
            if body:
                req["postData"] = {"mimeType": "application/octet-stream", "text": body.decode("latin-1")}
            entries.append({"startedDateTime": "2015-08-30T12:36:00Z", "request": req,
                            "response": {"status": 403, "statusText": "Forbidden", "httpVersion": "HTTP/1.1",
                                         "headers": [], "content": {"size": 0, "text": ""}}})
        if entries:
            c.add("har", json.dumps({"log": {"version": "1.2", "entries": entries[:4]}}).encode())
    for p in pcaps:
        fr = frames(p)
        lt_seed = b""
        for lt, f in fr[:12]:
            if lt in LINKTYPES:
                lt_seed += rec(LINKTYPES.index(lt), f)
        c.add("link_ip_tcp", lt_seed)
        keys = Path(str(p) + ".keys")
        for segs in connections(p)[:3]:
            reas = b"".join(rec(f & 0x02 and 1, struct.pack(">I", s) + pl) for d, s, f, pl in segs if d == 0)
            c.add("tcp_reassembly", reas)
            client, server = stream(segs, 0), stream(segs, 1)
            c.add("http1", bytes([10]) + client)
            c.add("http1", bytes([0x40 | 10]) + server)
            for head, body in http_messages(server):
                if body.lstrip().startswith((b"<", b"{")):
                    c.add("server_error", bytes([0]) + body[:4096])
            both = b"".join(rec(d, pl) for d, _, _, pl in segs if pl)
            if client[:1] in (b"\x16", b"\x17"):
                k = rec(0xFF, keys.read_bytes()) if keys.exists() else b""
                c.add("tls", k + both)
            if client.startswith(b"PRI * HTTP/2.0"):
                c.add("h2_frames", bytes([1 << 3]) + both)
                blocks = b""
                for data in (client[24:], server):
                    i = 0
                    while i + 9 <= len(data):
                        ln = int.from_bytes(data[i:i + 3], "big")
                        ty, fl = data[i + 3], data[i + 4]
                        pl = data[i + 9:i + 9 + ln]
                        if ty == 1:
                            if fl & 0x08 and pl:
                                pl = pl[1:len(pl) - pl[0]]
                            if fl & 0x20:
                                pl = pl[5:]
                            blocks += rec(0, pl)
                        i += 9 + ln
                    c.add("hpack", bytes([0]) + blocks)
            for head, body in http_messages(client):
                if b"aws-chunked" in head.lower() or b"streaming-" in head.lower():
                    trailer = b"x-amz-trailer" in head.lower()
                    signed = b"chunk-signature=" in body
                    ctl = (2 if trailer else 0) | (1 if signed else 0) | (0x80 if trailer else 0)
                    c.add("aws_chunked", bytes([ctl]) + body[:MAX_SEED - 1])
            if b"multipart/form-data" in client:
                for head, body in http_messages(client):
                    m = re.search(rb"boundary=([^\r\n;]+)", head)
                    if m and body:
                        c.add("postpolicy", bytes([0]) + body)
    # Credentials files, the filters of the UI's tests, the config of the README.
    for p in fixtures("samples/*.credentials", "tests/**/credentials", "tests/**/*.credentials"):
        c.add("credentials", p.read_bytes())
    filt = (ROOT / "tests/tui/filter.rs").read_text()
    for m in re.finditer(r'\("(~[^"]*|![^"]*|[a-z-]+)", &\[', filt):
        c.add("filter", m.group(1).replace("\\\\", "\\").encode())
    readme = (ROOT / "README.md").read_text()
    for m in re.finditer(r"```toml\n(.*?)```", readme, re.S):
        c.add("config", m.group(1).encode())
    for t, n in sorted(c.count.items()):
        print(f"{t}: {n} seeds")


if __name__ == "__main__":
    main()
