#!/usr/bin/env python3
"""Sends the requests of samples/demo.http, byte for byte, to the demo server.

usage: send_demo.py DEMO_HTTP [--host 127.0.0.1] [--port 8003]

demo.http is the requests one after another, each signed one followed by a
CRLF separator (see make_demo.sh).  Each request is written exactly as it is
in the file; the framing is read from its own head (Content-Length).
Consecutive S3 requests (/examplebucket/...) share one keep-alive
connection; every other request gets a connection of its own.  A request
with `Expect: 100-continue` is sent the way botocore sends it: the head,
then (after the interim 100 Continue, or a 1 s timeout) the body.  Each
response is read in full (interim 1xx responses skipped, then
Content-Length) before the next request goes out.  Prints one line per
exchange; exits non-zero if a response is missing.
"""

import argparse
import socket
import sys


def split_requests(data):
    reqs, pos = [], 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            sys.exit("send_demo: trailing bytes after request %d" % len(reqs))
        head = data[pos:end + 4]
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v.strip())
            if k.strip().lower() == b"transfer-encoding":
                sys.exit("send_demo: chunked requests are not supported")
        reqs.append((head, data[end + 4:end + 4 + n]))
        pos = end + 4 + n
        if data[pos:pos + 2] == b"\r\n":  # make_demo.sh's separator
            pos += 2
    return reqs


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip().decode("latin-1")
    return None


class Reader(object):
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by the server")
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

    def response(self, method):
        while True:
            h = self.head()
            status = h.split(b"\r\n", 1)[0].decode("latin-1")
            code = int(status.split(" ")[1])
            if 100 <= code < 200:
                continue
            n = 0 if method == b"HEAD" else int(header(h, b"content-length")
                                                 or 0)
            return status, self.take(n)


def send(sock, reader, head, body):
    method = head.split(b" ", 1)[0]
    if body and (header(head, b"expect") or "").lower() == "100-continue":
        sock.sendall(head)
        sock.settimeout(1.0)
        try:
            ih = reader.head()
            code = int(ih.split(b" ", 2)[1])
            if code >= 200:  # a final answer instead of 100 Continue
                reader.buf = ih + reader.buf
        except socket.timeout:
            pass
        sock.settimeout(None)
        sock.sendall(body)
    else:
        sock.sendall(head + body)
    return reader.response(method)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("demo_http")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8003)
    args = ap.parse_args()
    with open(args.demo_http, "rb") as f:
        reqs = split_requests(f.read())

    # group: consecutive S3 requests on one connection, others alone
    groups = []
    for head, body in reqs:
        target = head.split(b" ", 2)[1]
        s3 = target.startswith(b"/examplebucket/")
        if s3 and groups and groups[-1][0]:
            groups[-1][1].append((head, body))
        else:
            groups.append((s3, [(head, body)]))

    n, failed = 0, 0
    for ci, (_, group) in enumerate(groups, 1):
        sock = socket.create_connection((args.host, args.port))
        reader = Reader(sock)
        try:
            for head, body in group:
                n += 1
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                try:
                    status, rbody = send(sock, reader, head, body)
                except (OSError, EOFError, ValueError) as e:
                    failed += 1
                    print("conn %d  #%d  %s\n    -> NO RESPONSE (%s)" %
                          (ci, n, line[:100], e))
                    break
                print("conn %d  #%d  %s\n    -> %s (%d body bytes)" %
                      (ci, n, line[:100], status, len(rbody)))
        finally:
            sock.close()
    print("%d requests on %d connections, %d without a response" %
          (n, len(groups), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
