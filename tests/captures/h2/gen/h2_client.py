"""An HTTP/2 client with prior knowledge over cleartext (h2c), built on python-hyper's h2
(pip install h2) and botocore's S3 SigV4 signer: every request is signed with the fixture
credentials (tests/captures/credentials) for the host it names in `:authority`, and sent with
no Host header (as curl and browsers do over HTTP/2). curl 7.88 cannot reuse an h2c
connection, so this one sends several requests on one connection:

    python3 h2_client.py HOST:PORT sequence   # GET, GET with a query, PUT, one after another
    python3 h2_client.py HOST:PORT interleave # two PUTs whose DATA frames interleave, then a GET
    python3 h2_client.py HOST:PORT slow       # five GETs a second apart
    python3 h2_client.py HOST:PORT host       # a GET signed for, and with, Host: s3.example.com
                                              # beside :authority HOST:PORT (RFC 9113 forbids
                                              # the mismatch; servers differ on which they use)
"""
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def signed(authority, method, path, body=b"", host=None):
    req = AWSRequest(method=method, url="http://%s%s" % (host or authority, path), data=body)
    S3SigV4Auth(CREDS, "s3", "us-east-1").add_auth(req)
    p = req.prepare()
    hs = [(":method", method), (":scheme", "http"), (":authority", authority),
          (":path", path)]
    if host:
        hs.append(("host", host))
    hs += [(k.lower(), v) for k, v in p.headers.items() if k.lower() != "host"]
    if body:
        hs.append(("content-length", str(len(body))))
    return hs


class Client:
    def __init__(self, authority):
        host, port = authority.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        # Outbound validation off: the "host" mode sends a Host that differs from :authority.
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, validate_outbound_headers=False))
        self.conn.initiate_connection()
        self.flush()
        self.open = set()

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def wait(self):
        """Reads until every open stream has ended."""
        while self.open:
            data = self.sock.recv(65536)
            if not data:
                raise SystemExit("connection closed with streams open")
            for ev in self.conn.receive_data(data):
                if isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                    self.open.discard(ev.stream_id)
                elif isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            self.flush()

    def request(self, authority, method, path, body=b"", end=True, host=None):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, signed(authority, method, path, body, host),
                               end_stream=not body and end)
        self.open.add(sid)
        self.flush()
        return sid


def main():
    authority, mode = sys.argv[1], sys.argv[2]
    c = Client(authority)
    if mode == "sequence":
        for method, path, body in [("GET", "/examplebucket/a.txt", b""),
                                   ("GET", "/examplebucket/b.txt?x-id=GetObject&part=1", b""),
                                   ("PUT", "/examplebucket/put.txt", b"hello over h2c")]:
            sid = c.request(authority, method, path, body)
            if body:
                c.conn.send_data(sid, body, end_stream=True)
                c.flush()
            c.wait()
    elif mode == "interleave":
        one, two = b"first body " * 300, b"second body " * 20
        s1 = c.request(authority, "PUT", "/examplebucket/one.txt", one)
        s2 = c.request(authority, "PUT", "/examplebucket/two.txt", two)
        # Stream 1's body in two frames around all of stream 3's: stream 3 completes first.
        c.conn.send_data(s1, one[:1000])
        c.flush()
        time.sleep(0.2)
        c.conn.send_data(s2, two, end_stream=True)
        c.flush()
        time.sleep(0.2)
        c.conn.send_data(s1, one[1000:], end_stream=True)
        c.flush()
        c.wait()
        c.request(authority, "GET", "/examplebucket/a.txt")
        c.wait()
    elif mode == "host":
        c.request(authority, "GET", "/examplebucket/a.txt", host="s3.example.com")
        c.wait()
    elif mode == "slow":
        for f in "abcde":
            c.request(authority, "GET", "/examplebucket/%s.txt" % f)
            c.wait()
            time.sleep(1)
    c.conn.close_connection()
    c.flush()
    time.sleep(0.2)
    c.sock.close()


if __name__ == "__main__":
    main()
