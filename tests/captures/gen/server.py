#!/usr/bin/env python3
"""Tiny HTTP/1.1 test server used to generate sigscope capture fixtures.

* threaded, persistent connections (HTTP/1.1 keep-alive)
* reads request bodies framed by Content-Length or Transfer-Encoding: chunked
  (chunk extensions and trailers are accepted and discarded)
* answers `Expect: 100-continue` with an interim 100 response
* paths containing `/deny/` get 403 with an S3-style SignatureDoesNotMatch body;
  everything else gets 200 with a small body (XML shaped so botocore parses it).

It never checks signatures: it only has to produce realistic traffic.

With --head-body it is a broken server: it answers every HEAD with `200` and
`Content-Length: 5` and then writes the 5 bytes `<ok/>` anyway, as a server that
answers HEAD like GET does (issue #12: those bytes must not become a request).

Usage: server.py HOST PORT [--head-body]     (HOST may be 127.0.0.1 or ::1)
"""
import hashlib
import socket
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DENY_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>SignatureDoesNotMatch</Code>"
    "<Message>The request signature we calculated does not match the signature "
    "you provided. Check your key and signing method.</Message>"
    "<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>"
    "<RequestId>{rid}</RequestId></Error>"
)

LIST_BUCKETS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<Owner><ID>sigscope</ID><DisplayName>sigscope</DisplayName></Owner>"
    "<Buckets><Bucket><Name>examplebucket</Name>"
    "<CreationDate>2013-05-24T00:00:00.000Z</CreationDate></Bucket></Buckets>"
    "</ListAllMyBucketsResult>"
)

LIST_OBJECTS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<Name>examplebucket</Name><Prefix></Prefix><KeyCount>0</KeyCount>"
    "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"
)

CALLER_IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/sigscope</Arn>"
    "<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>{rid}</RequestId>"
    "</ResponseMetadata></GetCallerIdentityResponse>"
)

GENERIC_QUERY = (
    "<{action}Response><ResponseMetadata><RequestId>{rid}</RequestId>"
    "</ResponseMetadata></{action}Response>"
)

OBJECT_BODY = b"hello from the sigscope test server\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sigscope-testsrv/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):  # one line per request on stderr
        sys.stderr.write("srv: %s %s\n" % (self.address_string(), fmt % args))

    # ---- body reading -------------------------------------------------
    def _read_chunked(self):
        data = bytearray()
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise ConnectionError("EOF in chunk size")
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            data += self.rfile.read(size)
            self.rfile.readline(65537)  # CRLF after chunk data
        # trailer section, terminated by an empty line
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
        return bytes(data)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            return self._read_chunked()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ---- responses ----------------------------------------------------
    def _send(self, code, body=b"", ctype="application/xml", extra=None):
        rid = uuid.uuid4().hex[:16].upper()
        self.send_response(code)
        self.send_header("x-amz-request-id", rid)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if (self.command != "HEAD" or self.server.head_body) and body:
            self.wfile.write(body)

    def _handle(self):
        body = self._read_body()
        if self.command == "HEAD" and self.server.head_body:
            self._send(200, b"<ok/>")
            return
        rid = uuid.uuid4().hex[:16].upper()
        parts = urlsplit(self.path)
        path = parts.path
        if "/deny/" in path:
            self._send(403, DENY_BODY.format(rid=rid).encode())
            return
        form = {}
        if self.command == "POST" and "x-www-form-urlencoded" in (
            self.headers.get("Content-Type") or ""
        ):
            form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or parse_qs(parts.query).get("Action") or [""])[0]
        ctype = self.headers.get("Content-Type") or ""
        if "amz-json" in ctype:  # JSON-protocol services (X-Amz-Target)
            self._send(200, b"{}", ctype.split(";")[0])
        elif action == "GetCallerIdentity":
            self._send(200, CALLER_IDENTITY.format(rid=rid).encode(), "text/xml")
        elif action:
            self._send(200, GENERIC_QUERY.format(action=action, rid=rid).encode(), "text/xml")
        elif self.command == "GET" and path == "/":
            self._send(200, LIST_BUCKETS.encode())
        elif self.command == "GET" and "/" not in path.strip("/"):  # /bucket or /bucket/
            self._send(200, LIST_OBJECTS.encode())
        elif self.command in ("GET", "HEAD"):
            self._send(200, OBJECT_BODY, "text/plain",
                       {"ETag": '"%s"' % hashlib.md5(OBJECT_BODY).hexdigest()})
        elif self.command == "PUT":
            self._send(200, b"", "application/xml",
                       {"ETag": '"%s"' % hashlib.md5(body).hexdigest()})
        else:
            self._send(200, b"<ok/>")

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    head_body = False


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = Server((host, port), Handler)
    srv.head_body = "--head-body" in sys.argv[3:]
    sys.stderr.write("srv: listening on %s %d\n" % (host, port))
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
