#!/usr/bin/env python3
"""A tiny HTTP/1.1 reverse proxy that alters requests after they were signed.

usage: proxy.py {host,content-type,date,path,add-header} --port N --upstream-port 9100

Listens on 127.0.0.1:N and forwards every request, over one upstream
connection per client connection (keep-alive), to 127.0.0.1:UPSTREAM; the
response is relayed back unchanged.  Only the header lines are touched, and
only this way:

  host          rewrites the Host header to "127.0.0.1" (drops the port), as
                a proxy that rebuilds Host from its upstream's name does.
  content-type  sets "Content-Type: application/octet-stream": it replaces
                any other Content-Type and adds the header when it is absent,
                as a proxy "defaulting" the media type does.
  date          moves X-Amz-Date (or, when there is none, Date) SHIFT seconds
                later (7), as a proxy that re-stamps requests with its own
                clock does.
  path          re-encodes the path (never the query): `%3D` and `%40` decoded
                to `=` and `@`, a raw `~` encoded as `%7E`, as a proxy that
                normalises URLs does.
  add-header    adds `x-amz-meta-via: sigscope-proxy` (unsigned), as a proxy
                tagging what it forwards does.

Expect: 100-continue is answered by the proxy itself (and the upstream's own
interim 100 is swallowed).  Bodies are framed by Content-Length only.
"""

import argparse
import datetime
import email.utils
import signal
import socket
import sys
import threading

NEW_CTYPE = "application/octet-stream"
SHIFT = datetime.timedelta(seconds=7)
ADDED = b"x-amz-meta-via: sigscope-proxy"


def shifted(lk, value):
    """X-Amz-Date (ISO 8601 basic) or Date (RFC 7231) moved SHIFT later."""
    if lk == b"x-amz-date":
        t = datetime.datetime.strptime(value.decode(), "%Y%m%dT%H%M%SZ") + SHIFT
        return t.strftime("%Y%m%dT%H%M%SZ").encode()
    t = email.utils.parsedate_to_datetime(value.decode()) + SHIFT
    return email.utils.format_datetime(t, usegmt=True).encode()


def reencode_path(request_line):
    method, target, version = request_line.split(b" ", 2)
    path, q, query = target.partition(b"?")
    path = path.replace(b"%3D", b"=").replace(b"%40", b"@").replace(b"~", b"%7E")
    return b" ".join((method, path + q + query, version))


def log(msg):
    sys.stderr.write("proxy: %s\n" % msg)
    sys.stderr.flush()


class Reader(object):
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        h, self.buf = self.buf[:i], self.buf[i:]
        return h

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def header(lines, name):
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def alter(mode, head):
    lines = head[:-4].split(b"\r\n")
    out = [reencode_path(lines[0]) if mode == "path" else lines[0]]
    seen_ct = False
    date_header = b"x-amz-date" if header(lines, b"x-amz-date") is not None else b"date"
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        lk = k.strip().lower()
        if mode == "host" and lk == b"host":
            line = k + b": 127.0.0.1"
        elif mode == "content-type" and lk == b"content-type":
            seen_ct = True
            line = k + b": " + NEW_CTYPE.encode()
        elif mode == "date" and lk == date_header:
            line = k + b": " + shifted(lk, v.strip())
        out.append(line)
    if mode == "add-header":
        out.append(ADDED)
    if mode == "content-type" and not seen_ct:
        out.append(b"Content-Type: " + NEW_CTYPE.encode())
    return b"\r\n".join(out) + b"\r\n\r\n"


def handle(mode, upstream_port, csock, peer):
    up = None
    try:
        cr = Reader(csock)
        while True:
            try:
                head = cr.head()
            except EOFError:
                return
            lines = head[:-4].split(b"\r\n")
            if (header(lines, b"expect") or b"").lower() == b"100-continue":
                csock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = cr.take(int(header(lines, b"content-length") or b"0"))
            new_head = alter(mode, head)
            if up is None:
                up = socket.create_connection(("127.0.0.1", upstream_port))
                ur = Reader(up)
            up.sendall(new_head + body)
            while True:  # skip interim 1xx responses
                rhead = ur.head()
                if not rhead.split(b" ", 2)[1].startswith(b"1"):
                    break
            rlines = rhead[:-4].split(b"\r\n")
            method = lines[0].split(b" ")[0]
            n = 0 if method == b"HEAD" else int(header(rlines, b"content-length") or b"0")
            rbody = ur.take(n)
            csock.sendall(rhead + rbody)
            log("%s %s -> %s" % (mode, lines[0].decode("latin-1")[:80],
                                 rlines[0].decode("latin-1")))
            if b"close" in (header(rlines, b"connection") or b"").lower():
                return
    except (OSError, EOFError, ValueError) as e:
        log("%s:%d: %s: %s" % (peer[0], peer[1], type(e).__name__, e))
    finally:
        for s in (csock, up):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("host", "content-type", "date", "path", "add-header"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream-port", type=int, default=9100)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    log("listening on 127.0.0.1:%d (%s) -> 127.0.0.1:%d"
        % (args.port, args.mode, args.upstream_port))
    try:
        while True:
            sock, peer = srv.accept()
            threading.Thread(target=handle, args=(args.mode, args.upstream_port, sock, peer),
                             daemon=True).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.close()


if __name__ == "__main__":
    main()
