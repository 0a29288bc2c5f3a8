#!/usr/bin/env python3
"""Runs a client command against a one-shot loopback listener and prints the raw request it sent.
Usage: record_one.py -- CMD ARGS... ({port} in the arguments is replaced by the listener's port)."""
import socket, subprocess, sys, threading

args = sys.argv[sys.argv.index("--") + 1:]
srv = socket.socket()
# Port 8003 as in tests/vectors/real, so regenerating gives the same bytes.
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8003))
srv.listen(1)
port = srv.getsockname()[1]
got = []

def serve():
    conn, _ = srv.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    got.append(data)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    conn.close()

t = threading.Thread(target=serve)
t.start()
subprocess.run([a.replace("{port}", str(port)) for a in args], check=True)
t.join(timeout=10)
sys.stdout.buffer.write(got[0])
