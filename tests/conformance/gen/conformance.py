#!/usr/bin/env python3
"""The conformance corpus of issue 20: a matrix of signed requests sent to a real S3-compatible
server, captured on the wire, with what the server answered to each.

Every request is signed by botocore's own signers (S3SigV4Auth, SigV4Auth, S3SigV4QueryAuth,
HmacV1Auth, HmacV1QueryAuth) and some are altered after signing, byte for byte, before they are
written to a socket, so each probes one knob on which servers differ (README.md of the corpus
lists them). Nothing here computes a signature by hand: the client is botocore, the judge is the
server, the wire is captured by tcpdump.

    conformance.py --server rgw --endpoint http://127.0.0.1:7480 --out DIR [--rgw-log FILE]

writes DIR/requests.pcap (tcpdump on lo, the server's port), DIR/answers.tsv (one line per
request: number, case, method, target, status, error code, message) and, with --rgw-log,
DIR/strings.tsv (the canonical request and string to sign RGW logged at `debug rgw = 20`, base64).
`--only CASE` sends one case and prints the answer (for exploring a server by hand).
"""

import argparse
import base64
import datetime
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zlib
from urllib.parse import urlsplit

import botocore.auth as bauth
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from matrix import cases

# The moment every SigV4 request is signed at, shifted by a case's `skew`. botocore reads the
# clock through botocore.compat.get_current_datetime (botocore/auth.py SigV4Auth.add_auth).
NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
_shift = [datetime.timedelta(0)]
bauth.get_current_datetime = lambda remove_tzinfo=True: NOW + _shift[0]


class Target:
    """Where the matrix goes: the server's endpoint, region, key pair and bucket."""

    def __init__(self, endpoint, region, access, secret, bucket):
        u = urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port or 80
        self.netloc = u.netloc
        self.region, self.access, self.secret = region, access, secret
        self.bucket = bucket

    def url(self, target):
        return f"http://{self.netloc}{target}"


class Wire:
    """One request as it goes on the wire: request line, ordered headers, body."""

    def __init__(self, method, target, headers, body=b""):
        self.method, self.target, self.headers, self.body = method, target, list(headers), body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set(self, name, value):
        self.drop(name)
        self.headers.append((name, value))

    def drop(self, name):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]

    def bytes(self):
        head = [f"{self.method} {self.target} HTTP/1.1"]
        head += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method in ("PUT", "POST"):
            if self.header("content-length") is None and self.header("transfer-encoding") is None:
                head.append(f"Content-Length: {len(self.body)}")
        head.append("Connection: close")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


class UnsignedPayloadAuth(S3SigV4Auth):
    """botocore signs UNSIGNED-PAYLOAD itself over HTTPS (S3SigV4Auth._should_sha256_sign_payload);
    on plain HTTP it would hash the body, so the case asks for what it does over TLS."""

    payload_value = "UNSIGNED-PAYLOAD"

    def payload(self, request):
        return self.payload_value

    def _modify_request_before_signing(self, request):
        super()._modify_request_before_signing(request)
        request.headers.replace_header("X-Amz-Content-SHA256", self.payload_value)


class TrailerAuth(UnsignedPayloadAuth):
    """The header signature of botocore's aws-chunked upload with a trailing checksum
    (botocore/httpchecksum.py AwsChunkedWrapper, x-amz-content-sha256 as below)."""

    payload_value = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def sign(t, method, target, headers=(), body=b"", *, scheme="v4", region=None, secret=None,
         access=None, skew=0, expires=900):
    """Signs with botocore and returns the Wire. `target` is the path and query as sent (botocore
    signs S3 paths and URL queries as they are: S3SigV4Auth._normalize_url_path, and
    SigV4Auth._canonical_query_string_url)."""
    creds = Credentials(access or t.access, secret or t.secret)
    hdrs = {"Host": t.netloc}
    hdrs.update(dict(headers))
    req = AWSRequest(method=method, url=t.url(target), data=body, headers=hdrs)
    _shift[0] = datetime.timedelta(seconds=skew)
    region = region or t.region
    signer = {
        "v4": lambda: S3SigV4Auth(creds, "s3", region),
        "v4-plain": lambda: SigV4Auth(creds, "s3", region),
        "v4-unsigned": lambda: UnsignedPayloadAuth(creds, "s3", region),
        "v4-trailer": lambda: TrailerAuth(creds, "s3", region),
        "v4-query": lambda: S3SigV4QueryAuth(creds, "s3", region, expires=expires),
        "v2": lambda: HmacV1Auth(creds),
        "v2-query": lambda: HmacV1QueryAuth(creds, expires=expires),
    }[scheme]()
    signer.add_auth(req)
    _shift[0] = datetime.timedelta(0)
    p = req.prepare()
    u = urlsplit(p.url)
    sent = u.path + ("?" + u.query if u.query else "")
    # The header order botocore's HTTP layer would use; Host first, as urllib3 writes it.
    out = [("Host", p.headers.get("Host", t.netloc))]
    out += [(k, v) for k, v in p.headers.items() if k.lower() not in ("host", "content-length")]
    return Wire(method, sent, out, body)


def anonymous(t, method, target, headers=(), body=b""):
    return Wire(method, target, [("Host", t.netloc)] + list(headers), body)


def exchange(t, wire, timeout=10):
    """Sends one request on its own connection and reads the answer to the end."""
    s = socket.create_connection((t.host, t.port), timeout=timeout)
    try:
        s.sendall(wire.bytes())
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    return answer_of(data)


def answer_of(data):
    head, _, body = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    status = int(line.split()[1]) if len(line.split()) > 1 else 0
    code = re.search(rb"<Code>([^<]*)</Code>", body)
    msg = re.search(rb"<Message>([^<]*)</Message>", body)
    clean = lambda m: m.group(1).decode("utf-8", "replace").replace("\t", " ").replace("\n", " ") if m else ""
    return status, clean(code), clean(msg)[:200]


class RgwLog:
    """A server's log of its canonical strings. RGW at `debug rgw = 20` logs `canonical request = …` and `string to sign = …`, each a
    multi-line block ended by the next time-stamped line (rgw_auth_s3.cc
    rgw_assemble_s3_v4_canonical_request / rgw_create_s3_v4_string_to_sign, ldpp_dout 10)."""

    STAMP = re.compile(r"^\d{4}-\d\d-\d\dT")

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path) if path and os.path.exists(path) else 0

    def strings(self):
        if not self.path:
            return None, None
        time.sleep(0.05)
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
            self.offset = f.tell()
        sts = self.block(text, "string to sign = ")
        if sts is None:
            # SigV2 (rgw_auth_s3.cc rgw_create_s3_canonical_header, ldpp_dout 10): the string
            # to sign starts on the line after "string_to_sign:"; Garage (trace level,
            # garage_api_common::signature::payload) writes "string to sign:" the same way.
            sts = self.block(text, "string_to_sign:\n") or self.block(text, "string to sign:\n")
        cr = self.block(text, "canonical request = ") or self.block(text, "canonical request:\n")
        return cr, sts

    def block(self, text, marker):
        if marker.endswith("\n"):
            at = text.find(marker)
            if at < 0:
                return None
            out = []
            for nxt in text[at + len(marker):].split("\n"):
                if self.STAMP.match(nxt):
                    break
                out.append(nxt)
            # The block ends with the newline before the next time-stamped line.
            return "\n".join(out[:-1]) if out and out[-1] == "" else "\n".join(out)
        lines = text.split("\n")
        for i, line in enumerate(lines):
            at = line.find(marker)
            if at < 0:
                continue
            out = [line[at + len(marker):]]
            for nxt in lines[i + 1:]:
                if self.STAMP.match(nxt):
                    break
                out.append(nxt)
            return "\n".join(out)
        return None


def b64(s):
    return "" if s is None else base64.b64encode(s.encode("utf-8")).decode()


def start_tcpdump(port, out):
    p = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "--immediate-mode", "-w", out, f"tcp port {port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # tcpdump says "listening on lo" once the capture is open.
    line = p.stderr.readline()
    if b"listening" not in line:
        sys.exit(f"tcpdump did not start: {line!r}")
    return p


def stop_tcpdump(p):
    # Immediate mode hands each packet over at once; the pause lets the last ones be written.
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access", default="AKIDEXAMPLE")
    ap.add_argument("--secret", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    ap.add_argument("--bucket", default="conformance")
    ap.add_argument("--out")
    ap.add_argument("--rgw-log", help="RGW's log at debug rgw = 20")
    ap.add_argument("--garage-log", help="Garage's log with garage_api_common::signature=trace")
    ap.add_argument("--only")
    a = ap.parse_args()
    t = Target(a.endpoint, a.region, a.access, a.secret, a.bucket)
    todo = [c for c in cases(a.server) if not a.only or c.name == a.only]
    if a.only or not a.out:
        for c in todo:
            w = c.build(t, sign, anonymous)
            print(c.name, exchange(t, w))
        return
    os.makedirs(a.out, exist_ok=True)
    server_log = a.rgw_log or a.garage_log
    log = RgwLog(server_log)
    pcap = os.path.join(a.out, "requests.pcap")
    dump = start_tcpdump(t.port, pcap)
    rows, strings = [], []
    try:
        for n, c in enumerate(todo):
            w = c.build(t, sign, anonymous)
            status, code, msg = exchange(t, w)
            rows.append([str(n), c.name, w.method, w.target, str(status), code, msg])
            cr, sts = log.strings()
            strings.append([str(n), c.name, b64(cr), b64(sts)])
            print(f"{n:3} {c.name:40} {status} {code}", file=sys.stderr)
    finally:
        stop_tcpdump(dump)
    with open(os.path.join(a.out, "answers.tsv"), "w") as f:
        f.write("# n\tcase\tmethod\ttarget\tstatus\tcode\tmessage\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    if server_log:
        with open(os.path.join(a.out, "strings.tsv"), "w") as f:
            f.write("# n\tcase\tcanonical request (base64)\tstring to sign (base64)\n")
            for r in strings:
                f.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
