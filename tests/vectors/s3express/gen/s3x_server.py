"""A loopback stand-in for an S3 Express One Zone zonal endpoint, for the fixture generator.

It checks no signature (sigscope does that, from the capture). It answers:
- CreateSession (`GET /<bucket>?session`, or `GET /?session` on a virtual host): 200 with the
  `CreateSessionResult` body of the S3 API reference ("CreateSession", Response Syntax):
  `<Credentials><SessionToken/><SecretAccessKey/><AccessKeyId/><Expiration/></Credentials>`.
  Sessions last `SESSION_SECONDS` (300, as S3 Express's do), except for buckets whose name
  starts with `short`, whose sessions last 2 seconds (to capture a request on an expired one).
- anything else: 200, with a small body for a GET.

    python3 s3x_server.py PORT     # serves on 127.0.0.1:PORT until killed
"""

import datetime
import http.server
import sys

SESSION_SECONDS = 300
SHORT_SECONDS = 2

# The session credentials handed out, (access key, secret, token): fixed, so the tests can name
# them (the secrets are what they search every output for); a short session has its own.
SESSION = ("ASIAS3XSESSIONEXAMPL", "s3xSessionSecret/EXAMPLE+k7MDENG0bPxRfiCY",
           "S3XSessionTokenEXAMPLE0123456789abcdefABCDEF/+==")
SHORT_SESSION = ("ASIAS3XSHORTSESSION1", "s3xShortSessionSecret/EXAMPLE+MDENG0bPxRf",
                 "S3XShortSessionTokenEXAMPLE9876543210zyxwvuZYX/+==")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body=b"", ctype="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "0123456789ABCDEF")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if "session" in query.split("&"):
            bucket = path.strip("/") or self.headers.get("Host", "").split(".")[0]
            short = bucket.startswith("short")
            secs = SHORT_SECONDS if short else SESSION_SECONDS
            ak, secret, token = SHORT_SESSION if short else SESSION
            exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=secs)
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                "<Credentials>"
                f"<SessionToken>{token}</SessionToken>"
                f"<SecretAccessKey>{secret}</SecretAccessKey>"
                f"<AccessKeyId>{ak}</AccessKeyId>"
                f"<Expiration>{exp.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration>"
                "</Credentials></CreateSessionResult>"
            ).encode()
            self._send(200, body)
            return
        self._send(200, b"hello from a directory bucket\n", "text/plain")

    def do_HEAD(self):
        self._send(200)

    def do_PUT(self):
        self._body()
        self.send_response(200)
        self.send_header("ETag", '"d41d8cd98f00b204e9800998ecf8427e"')
        self.send_header("Content-Length", "0")
        self.end_headers()


if __name__ == "__main__":
    port = int(sys.argv[1])
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
