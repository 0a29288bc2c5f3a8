#!/usr/bin/env python3
"""An S3-like verifier for tests/diagnosis/scenarios.pcap.

usage: s3_server.py [--port 9100] [--sigv2 {botocore,boto2}]

HTTP/1.1 on 127.0.0.1 (keep-alive, 100-continue, Content-Length framing: the
socket loop of samples/gen/demo_server.py, imported).  Every request is
authenticated the way S3 does, with botocore's OWN signer classes doing the
server-side computation:

* SigV4 header auth  -> botocore.auth.S3SigV4Auth
* SigV4 presigned    -> botocore.auth.S3SigV4QueryAuth
* SigV2 header auth  -> botocore.auth.HmacV1Auth
* SigV2 presigned    -> botocore.auth.HmacV1QueryAuth
* with --sigv2 boto2, SigV2 header auth -> boto 2.49's boto.utils.canonical_string
  (the Date line is left empty when the request carries x-amz-date, as S3's
  documentation says and boto 2, RGW and the AWS SDKs sign it; botocore's
  HmacV1Auth signs the Date header whatever else is sent)

The server rebuilds a botocore AWSRequest from what it received (method,
http://<Host header><request-target>, headers, body), sets
request.context['timestamp'] to the request's X-Amz-Date, picks exactly the
headers named in SignedHeaders (a server signs what the client says it
signed, not botocore's own choice), and calls canonical_request() /
string_to_sign() / signature() (SigV2: canonical_string() / sign_string()),
with the server's own secret table (SECRETS below) and region us-east-1.

Checks, in S3's order, and the S3 errors they produce (real S3 XML shapes):
  unknown access key           403 InvalidAccessKeyId
  scope region != us-east-1    400 AuthorizationHeaderMalformed (+ <Region>)
  date more than 15 min off    403 RequestTimeTooSkewed
  an x-amz-* header not signed 403 AccessDenied "There were headers present in the
                               request which were not signed" (+ <HeadersNotSigned>);
                               S3's rule (SigV4 header auth): "x-amz-* headers that you
                               plan to add to the request are also required" to be signed
                               (S3 API Reference, "Signature Calculations for the
                               Authorization Header"); RustFS and Garage answer the same
  presigned URL past expiry    403 AccessDenied "Request has expired"
  signature differs            403 SignatureDoesNotMatch with StringToSign(+Bytes),
                               CanonicalRequest(+Bytes) (SigV4), SignatureProvided
  x-amz-content-sha256 wrong   400 XAmzContentSHA256Mismatch
otherwise 200: PUT stores the object in memory, GET returns it (or a small
generated body for a key never PUT), anything else 200 with an empty body.
"""

import argparse
import base64
import datetime
import hashlib
import os
import signal
import socket
import sys
import threading
import urllib.parse
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES_GEN = os.path.abspath(os.path.join(HERE, "..", "..", "..", "samples", "gen"))
sys.path.insert(0, SAMPLES_GEN)
import demo_server  # noqa: E402  (raw-socket HTTP/1.1 loop: handle())

from botocore.auth import (HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth,  # noqa: E402
                           S3SigV4QueryAuth)
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.compat import HTTPHeaders  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

REGION = "us-east-1"
MAX_SKEW = datetime.timedelta(minutes=15)
# The server's own secret table (what IAM knows), not the clients' config.
SECRETS = {
    "AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AKIDOTHER": "Zm9vYmFyL3NpZ3Njb3BlL290aGVyL3NlY3JldDAwMQ",
}
OBJECTS = {}
SIGV2_RULES = "botocore"   # --sigv2
LOCK = threading.Lock()


def log(msg):
    sys.stderr.write("s3_server: %s\n" % msg)
    sys.stderr.flush()


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- responses

def ids(raw):
    rid = hashlib.sha256(raw).hexdigest()[:16].upper()
    hid = base64.b64encode(hashlib.sha256(b"host-id" + raw).digest() * 2).decode()
    return rid, hid


def hexbytes(s):
    return " ".join("%02x" % b for b in s.encode("utf-8"))


def error(raw, status, code, message, fields=()):
    rid, hid = ids(raw)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
             "<Code>%s</Code>" % escape(code),
             "<Message>%s</Message>" % escape(message)]
    for k, v in fields:
        parts.append("<%s>%s</%s>" % (k, escape(str(v)), k))
    parts.append("<RequestId>%s</RequestId><HostId>%s</HostId></Error>" % (rid, hid))
    body = "".join(parts).encode("utf-8")
    log("-> %s %s" % (status, code))
    return (status, [("x-amz-request-id", rid), ("x-amz-id-2", hid),
                     ("Content-Type", "application/xml"), ("Server", "AmazonS3")], body)


def signature_mismatch(raw, access, sts, provided, cr=None):
    fields = [("AWSAccessKeyId", access), ("StringToSign", sts),
              ("SignatureProvided", provided), ("StringToSignBytes", hexbytes(sts))]
    if cr is not None:
        fields += [("CanonicalRequest", cr), ("CanonicalRequestBytes", hexbytes(cr))]
    return error(raw, "403 Forbidden", "SignatureDoesNotMatch",
                 "The request signature we calculated does not match the signature "
                 "you provided. Check your key and signing method.", fields)


def unknown_key(raw, access):
    return error(raw, "403 Forbidden", "InvalidAccessKeyId",
                 "The AWS Access Key Id you provided does not exist in our records.",
                 [("AWSAccessKeyId", access)])


def skewed(raw, request_time, now):
    return error(raw, "403 Forbidden", "RequestTimeTooSkewed",
                 "The difference between the request time and the current time is too large.",
                 [("RequestTime", request_time), ("ServerTime", iso(now)),
                  ("MaxAllowedSkewMilliseconds", "900000")])


def expired(raw, expires_field, expires_at, now):
    return error(raw, "403 Forbidden", "AccessDenied", "Request has expired",
                 list(expires_field) + [("Expires", iso(expires_at)),
                                        ("ServerTime", iso(now))])


# ---------------------------------------------------------------- botocore verifiers

class ServerSigV4(S3SigV4Auth):
    """S3SigV4Auth signing exactly the headers the request names."""

    def __init__(self, credentials, region, signed):
        S3SigV4Auth.__init__(self, credentials, "s3", region)
        self._signed = signed

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            vals = request.headers.get_all(name) or [""]
            for v in vals:
                hm[name] = v
        return hm


class ServerSigV4Query(S3SigV4QueryAuth):
    def __init__(self, credentials, region, signed, expires):
        S3SigV4QueryAuth.__init__(self, credentials, "s3", region, expires=expires)
        self._signed = signed

    headers_to_sign = ServerSigV4.headers_to_sign


class ServerSigV2(HmacV1Auth):
    """HmacV1Auth whose Date line is the request's own Date header."""

    def __init__(self, credentials, date):
        HmacV1Auth.__init__(self, credentials)
        self._date = date

    def _get_date(self):
        return self._date


class ServerSigV2Query(HmacV1QueryAuth):
    def __init__(self, credentials, expires):
        HmacV1QueryAuth.__init__(self, credentials, expires=0)
        self._expires_param = expires

    def _get_date(self):
        return self._expires_param


def aws_request(req, target=None):
    """The received request as a botocore AWSRequest (header names as sent)."""
    hdrs = HTTPHeaders()
    head = req["raw"][: len(req["raw"]) - len(req["body"])].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            hdrs[k.strip()] = v.strip()
    host = req["headers"].get("host", "")
    r = AWSRequest(method=req["method"], url="http://%s%s" % (host, target or req["target"]),
                   headers=hdrs, data=req["body"])
    return r


def parse_amz_date(s):
    return datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)


def check_v4_scope(raw, credential):
    try:
        access, date, region, service, term = credential.split("/")
    except ValueError:
        return None, error(raw, "400 Bad Request", "AuthorizationHeaderMalformed",
                           "The authorization header is malformed; the Credential is "
                           "mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
                           "aws4_request\".")
    if access not in SECRETS:
        return None, unknown_key(raw, access)
    if region != REGION:
        return None, error(raw, "400 Bad Request", "AuthorizationHeaderMalformed",
                           "The authorization header is malformed; the region '%s' is "
                           "wrong; expecting '%s'" % (region, REGION),
                           [("Region", REGION)])
    return (access, date, region, service), None


def verify_v4_header(req, auth, now):
    raw = req["raw"]
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256"):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    scope, err = check_v4_scope(raw, fields.get("Credential", ""))
    if err:
        return err
    access, _date, region, _service = scope
    amz_date = req["headers"].get("x-amz-date", "")
    try:
        t = parse_amz_date(amz_date)
    except ValueError:
        return error(raw, "403 Forbidden", "AccessDenied",
                     "AWS authentication requires a valid Date or x-amz-date header")
    if abs(now - t) > MAX_SKEW:
        return skewed(raw, amz_date, now)
    signed = fields.get("SignedHeaders", "").split(";")
    unsigned = sorted(k for k in req["headers"] if k.startswith("x-amz-") and k not in signed)
    if unsigned:
        return error(raw, "403 Forbidden", "AccessDenied",
                     "There were headers present in the request which were not signed",
                     [("HeadersNotSigned", ", ".join(unsigned))])
    r = aws_request(req)
    r.context["timestamp"] = amz_date
    signer = ServerSigV4(Credentials(access, SECRETS[access]), region, signed)
    cr = signer.canonical_request(r)
    sts = signer.string_to_sign(r, cr)
    sig = signer.signature(sts, r)
    provided = fields.get("Signature", "")
    log("SigV4 header %s: computed %s, provided %s" % (access, sig, provided))
    if sig != provided:
        return signature_mismatch(raw, access, sts, provided, cr)
    want = req["headers"].get("x-amz-content-sha256", "")
    if want and not want.startswith(("UNSIGNED-PAYLOAD", "STREAMING-")):
        got = hashlib.sha256(req["body"]).hexdigest()
        if got != want:
            return error(raw, "400 Bad Request", "XAmzContentSHA256Mismatch",
                         "The provided 'x-amz-content-sha256' header does not match "
                         "what was computed.",
                         [("ClientComputedContentSHA256", want),
                          ("S3ComputedContentSHA256", got)])
    return None


def verify_v4_query(req, q, now):
    raw = req["raw"]
    scope, err = check_v4_scope(raw, q.get("X-Amz-Credential", ""))
    if err:
        return err
    access, _date, region, _service = scope
    amz_date = q.get("X-Amz-Date", "")
    t = parse_amz_date(amz_date)
    exp = int(q.get("X-Amz-Expires", "0"))
    if now > t + datetime.timedelta(seconds=exp):
        return expired(raw, [("X-Amz-Expires", exp)],
                       t + datetime.timedelta(seconds=exp), now)
    path, _, query = req["target"].partition("?")
    kept = "&".join(p for p in query.split("&")
                    if p.partition("=")[0] != "X-Amz-Signature")
    r = aws_request(req, path + ("?" + kept if kept else ""))
    r.context["timestamp"] = amz_date
    signed = q.get("X-Amz-SignedHeaders", "host").split(";")
    signer = ServerSigV4Query(Credentials(access, SECRETS[access]), region, signed, exp)
    cr = signer.canonical_request(r)
    sts = signer.string_to_sign(r, cr)
    sig = signer.signature(sts, r)
    provided = q.get("X-Amz-Signature", "")
    log("SigV4 query %s: computed %s, provided %s" % (access, sig, provided))
    if sig != provided:
        return signature_mismatch(raw, access, sts, provided, cr)
    return None


def verify_v2_header(req, auth, now):
    raw = req["raw"]
    access, _, provided = auth[len("AWS "):].partition(":")
    if access not in SECRETS:
        return unknown_key(raw, access)
    date = req["headers"].get("x-amz-date") or req["headers"].get("date", "")
    try:
        t = datetime.datetime.strptime(date, "%a, %d %b %Y %H:%M:%S GMT").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return error(raw, "403 Forbidden", "AccessDenied",
                     "AWS authentication requires a valid Date or x-amz-date header")
    if abs(now - t) > MAX_SKEW:
        return skewed(raw, date, now)
    r = aws_request(req)
    signer = ServerSigV2(Credentials(access, SECRETS[access]),
                         req["headers"].get("date", ""))
    headers = HTTPHeaders()
    for k, v in r.headers.items():
        headers[k] = v
    if SIGV2_RULES == "boto2":
        import boto.utils  # boto 2.49 (the venv's pin)
        sts = boto.utils.canonical_string(r.method, req["target"], dict(r.headers.items()))
    else:
        sts = signer.canonical_string(r.method, urllib.parse.urlsplit(r.url), headers)
    sig = signer.sign_string(sts)
    log("SigV2 header %s: computed %s, provided %s" % (access, sig, provided))
    if sig != provided:
        return signature_mismatch(raw, access, sts, provided)
    return None


def verify_v2_query(req, q, now):
    raw = req["raw"]
    access = q.get("AWSAccessKeyId", "")
    if access not in SECRETS:
        return unknown_key(raw, access)
    expires = q.get("Expires", "0")
    exp_at = datetime.datetime.fromtimestamp(int(expires), datetime.timezone.utc)
    if now > exp_at:
        return expired(raw, [], exp_at, now)
    r = aws_request(req)
    signer = ServerSigV2Query(Credentials(access, SECRETS[access]), expires)
    headers = HTTPHeaders()
    for k, v in r.headers.items():
        headers[k] = v
    sts = signer.canonical_string(r.method, urllib.parse.urlsplit(r.url), headers)
    sig = signer.sign_string(sts)
    provided = q.get("Signature", "")
    log("SigV2 query %s: computed %s, provided %s" % (access, sig, provided))
    if sig != provided:
        return signature_mismatch(raw, access, sts, provided)
    return None


# ---------------------------------------------------------------- the service

def route(req):
    raw, h = req["raw"], req["headers"]
    now = now_utc()
    log("%s %s (Host: %s)" % (req["method"], req["target"][:100], h.get("host")))
    query = req["target"].partition("?")[2]
    q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    auth = h.get("authorization", "")
    if auth.startswith("AWS4-HMAC-SHA256 "):
        err = verify_v4_header(req, auth, now)
    elif "X-Amz-Algorithm" in q:
        err = verify_v4_query(req, q, now)
    elif auth.startswith("AWS "):
        err = verify_v2_header(req, auth, now)
    elif "Signature" in q and "AWSAccessKeyId" in q:
        err = verify_v2_query(req, q, now)
    else:
        err = error(raw, "403 Forbidden", "AccessDenied", "Access Denied")
    if err:
        return err
    rid, hid = ids(raw)
    hdrs = [("x-amz-request-id", rid), ("x-amz-id-2", hid), ("Server", "AmazonS3")]
    path = urllib.parse.unquote(req["target"].partition("?")[0])
    if req["method"] == "PUT":
        with LOCK:
            OBJECTS[path] = (req["body"], h.get("content-type", "binary/octet-stream"))
        log("-> 200 stored %s (%d bytes)" % (path, len(req["body"])))
        return ("200 OK", hdrs + [("ETag", '"%s"' % hashlib.md5(req["body"]).hexdigest())],
                b"")
    if req["method"] in ("GET", "HEAD"):
        with LOCK:
            data, ctype = OBJECTS.get(path, (("sigscope diagnosis object %s\n" % path)
                                             .encode(), "text/plain"))
        log("-> 200 %s" % path)
        return ("200 OK", hdrs + [("ETag", '"%s"' % hashlib.md5(data).hexdigest()),
                                  ("Content-Type", ctype)], data)
    return ("200 OK", hdrs, b"")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--sigv2", choices=("botocore", "boto2"), default="botocore")
    args = ap.parse_args()
    global SIGV2_RULES
    SIGV2_RULES = args.sigv2
    demo_server.route = route          # handle() dispatches through it
    demo_server.log = log
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    log("listening on 127.0.0.1:%d (region %s, keys %s, SigV2 rules of %s)"
        % (args.port, REGION, ", ".join(sorted(SECRETS)), SIGV2_RULES))
    try:
        while True:
            sock, peer = srv.accept()
            threading.Thread(target=demo_server.handle, args=(sock, peer),
                             daemon=True).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.close()


if __name__ == "__main__":
    main()
