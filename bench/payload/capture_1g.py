#!/usr/bin/env python3
"""Sends a raw HTTP stream of uploads (make_uploads_1g.py's) to a sink server on 127.0.0.1, one
connection, each request answered 200 before the next is sent; run under tcpdump by
capture_1g.sh, which turns it into a 1 GiB pcap of aws-chunked uploads.

Usage: capture_1g.py PORT FILE"""
import socket, sys, threading

port, path = int(sys.argv[1]), sys.argv[2]


def sink(listener):
    conn, _ = listener.accept()
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = conn.recv(1 << 20)
            if not d:
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        n = int([l.split(b":", 1)[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
        while len(buf) < n:
            d = conn.recv(1 << 20)
            if not d:
                return
            buf += d
        buf = buf[n:]
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(1)
t = threading.Thread(target=sink, args=(listener,), daemon=True)
t.start()
data = open(path, "rb").read()
c = socket.create_connection(("127.0.0.1", port))
pos = 0
while pos < len(data):
    end = data.index(b"\r\n\r\n", pos) + 4
    head = data[pos:end]
    n = int([l.split(b":", 1)[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    c.sendall(data[pos:end + n])
    pos = end + n
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += c.recv(4096)
c.close()
