"""A cleartext HTTP/2 server, with prior knowledge (the connection starts with the preface) or
through HTTP/1.1 `Upgrade: h2c` (RFC 7540 §3.2), built on
python-hyper's h2 (pip install h2): the upgrade request is stream 1's request, answered after
the 101 in HTTP/2, and the connection goes on in HTTP/2. Answers every request with 200 and a
short body (inbound header validation off: make.sh sends a Host that differs from
:authority on purpose). Used by make.sh only: nghttpd does not take the upgrade, and curl 7.88 fails
to reuse an h2c connection to nghttpd.

    python3 h2c_upgrade_server.py HOST PORT
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def answer(conn, stream_id):
    body = b"ok stream %d\n" % stream_id
    conn.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(body))),
                                  ("content-type", "text/plain")])
    conn.send_data(stream_id, body, end_stream=True)


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def serve(sock):
    first = sock.recv(65536, socket.MSG_PEEK)
    if first.startswith(PREFACE[: len(first)]):
        # Prior knowledge: the connection starts with the preface.
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, validate_inbound_headers=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        pump(sock, conn, b"")
        return
    head, rest = read_head(sock)
    if head is None:
        return
    lines = head.split(b"\r\n")
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        headers[k.strip().lower()] = v.strip()
    settings = headers.get(b"http2-settings")
    if headers.get(b"upgrade", b"").lower() != b"h2c" or settings is None:
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        return
    length = int(headers.get(b"content-length", b"0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    rest = rest[length:]
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, validate_inbound_headers=False))
    conn.initiate_upgrade_connection(settings)
    answer(conn, 1)
    sock.sendall(conn.data_to_send())
    pump(sock, conn, rest)


def pump(sock, conn, data):
    while True:
        if data:
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.StreamEnded):
                    answer(conn, ev.stream_id)
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
        data = sock.recv(65536)
        if not data:
            return


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(8)
    print("listening", file=sys.stderr, flush=True)
    while True:
        s, _ = srv.accept()
        threading.Thread(target=lambda: (serve(s), s.close()), daemon=True).start()


if __name__ == "__main__":
    main()
