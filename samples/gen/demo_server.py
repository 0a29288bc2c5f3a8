#!/usr/bin/env python3
"""The server that answers the requests of samples/demo.http for samples/demo.pcap.

usage: demo_server.py KEYSTONE_0_9_0_ROOT CREDENTIALS_FILE [--port 8003]

An HTTP/1.1 server on 127.0.0.1 (port 8003: the signed Host headers say
127.0.0.1:8003) with keep-alive, `Expect: 100-continue` and a Content-Length
on every response.  It stands in for two services:

* heat's CloudWatch / EC2-token style API (`POST /v1/`, `GET /v1/...`).
  The authentication is what an Icehouse-era deployment does:

  - heat's EC2Token middleware (heat/api/aws/ec2token.py) pulls the
    signature and access key out of the request and sends keystone
    ec2Credentials = {access, signature, host (Host header), verb, path,
    params (query + form body minus Signature), headers, body_hash
    (sha256 of the body)}.  That part is tests/vectors/real/gen/common.py's
    heat_ec2token_credentials(), which the fixtures' verifiers use too.
  - keystone's /v2.0/ec2tokens (keystone 2014.1, keystone/contrib/ec2/
    controllers.py Ec2Controller.authenticate / check_signature) looks the
    access key up and runs the REAL python-keystoneclient 0.9.0 Ec2Signer
    (keystoneclient/contrib/ec2/utils.py of the sdist, loaded standalone).
    Its check_signature is reproduced below as it was, quirks included.
  - heat maps keystone's error message to an AWS error (ec2token.py
    _authorize): "EC2 access key not found." -> InvalidClientTokenId,
    "EC2 signature not supplied." -> SignatureDoesNotMatch, anything else
    -> AccessDenied; the error is a HeatAPIException (heat/api/aws/
    exception.py), a webob HTTPError whose status line is "<code> <title>"
    (so "403 SignatureDoesNotMatch", not "403 Forbidden") and whose body is
    serializers.XMLResponseSerializer's
        <ErrorResponse><Error><Type>Sender</Type><Code>TITLE</Code>
        <Message>EXPLANATION</Message></Error></ErrorResponse>
    (no XML declaration, no RequestId), Content-Type
    application/xml; charset=UTF-8.
  Once authenticated, the application behind the middleware is a stub: it
  answers 200 with a small XML document (heat's CloudWatch API itself is
  not emulated).

* S3 for /examplebucket/... and /public-bucket/...: an in-memory bucket.
  PUT stores the object (checking x-amz-content-sha256 and
  x-amz-checksum-crc32 against the body as S3 does) and answers 200 with an
  empty body and an ETag; GET returns the object (206 + Content-Range for a
  Range request, as S3 does); a missing key is 404 NoSuchKey.  S3 signatures
  are NOT checked here (nor request dates: the fixtures are frozen at
  2015-08-30): the S3 requests of the demo are accepted.

Nothing here computes a signature itself.
"""

import argparse
import base64
import configparser
import copy
import email.utils
import hashlib
import hmac
import importlib.util
import os
import signal
import socket
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REAL_GEN = os.path.join(HERE, "..", "..", "tests", "vectors", "real", "gen")
sys.path.insert(0, os.path.abspath(REAL_GEN))
os.environ.setdefault("SIGSCOPE_PORT", "8003")
import common  # noqa: E402  (heat_ec2token_credentials)

Ec2Signer = None  # set by load_ec2signer()
SECRETS = {}      # access key -> secret (keystone's EC2 credential store)


def log(msg):
    sys.stderr.write("demo_server: %s\n" % msg)
    sys.stderr.flush()


def load_ec2signer(ks_root):
    """keystoneclient/contrib/ec2/utils.py of the 0.9.0 sdist, standalone
    (it needs only six), as tests/vectors/real/gen/common.py loads it."""
    global Ec2Signer
    path = os.path.join(ks_root, "keystoneclient", "contrib", "ec2",
                        "utils.py")
    spec = importlib.util.spec_from_file_location("ks_090_ec2_utils", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    Ec2Signer = mod.Ec2Signer
    log("keystone verifier: Ec2Signer from %s" % path)


def load_secrets(path):
    cp = configparser.ConfigParser()
    cp.read(path)
    for section in cp.sections():
        ak = cp.get(section, "aws_access_key_id", fallback=None)
        sk = cp.get(section, "aws_secret_access_key", fallback=None)
        if ak and sk:
            SECRETS[ak] = sk
    log("keystone EC2 credentials: %s" % ", ".join(sorted(SECRETS)))


# --------------------------------------------------------------------------
# keystone 2014.1 /v2.0/ec2tokens
# --------------------------------------------------------------------------

class KeystoneUnauthorized(Exception):
    pass


def auth_str_equal(provided, known):
    # keystone.common.utils.auth_str_equal: constant-time string compare
    return hmac.compare_digest(str(provided), str(known))


def keystone_check_signature(secret, credentials):
    # keystone 2014.1 Ec2Controller.check_signature, verbatim in logic.
    signer = Ec2Signer(secret)
    signature = signer.generate(credentials)
    log("keystone: Ec2Signer 0.9.0 computed %s, request says %s"
        % (signature, credentials["signature"]))
    if auth_str_equal(credentials["signature"], signature):
        return
    # NOTE(vish): Some libraries don't use the port when signing
    #             requests, so try again without port.
    # (sic: keystone of that era tests the *signature* for ':' here, not the
    # host, so the retry never runs for a hex/base64 signature and every
    # mismatch ends in the else branch below: "EC2 signature not supplied.")
    elif ":" in credentials["signature"]:
        hostname, _port = credentials["host"].split(":")
        credentials["host"] = hostname
        signature = signer.generate(credentials)
        if not auth_str_equal(credentials["signature"], signature):
            raise KeystoneUnauthorized("Invalid EC2 signature.")
    else:
        raise KeystoneUnauthorized("EC2 signature not supplied.")


def keystone_ec2tokens(ec2_credentials):
    """keystone 2014.1 Ec2Controller.authenticate, up to the signature check.
    Returns None when authenticated, else keystone's error message."""
    credentials = copy.deepcopy(ec2_credentials)
    try:
        if "access" not in credentials:
            raise KeystoneUnauthorized("EC2 signature not supplied.")
        secret = SECRETS.get(credentials["access"])
        if secret is None:
            raise KeystoneUnauthorized("EC2 access key not found.")
        keystone_check_signature(secret, credentials)
    except KeystoneUnauthorized as e:
        return str(e)
    except Exception as e:  # keystone answers 500; heat sees no token
        log("keystone: %s: %s" % (type(e).__name__, e))
        return "%s: %s" % (type(e).__name__, e)
    return None


# --------------------------------------------------------------------------
# heat's AWS errors (heat/api/aws/exception.py)
# --------------------------------------------------------------------------

HEAT_ERRORS = {
    # class: (code, title, explanation)
    "HeatIncompleteSignatureError": (
        400, "IncompleteSignature",
        "The request signature does not conform to AWS standards"),
    "HeatMissingAuthenticationTokenError": (
        403, "MissingAuthenticationToken",
        "Does not contain a valid AWS Access Key or certificate"),
    "HeatInvalidClientTokenIdError": (
        403, "InvalidClientTokenId",
        "The certificate or AWS Key ID provided does not exist"),
    "HeatSignatureError": (
        403, "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature "
        "you provided"),
    "HeatAccessDeniedError": (
        403, "AccessDenied", "User is not authorized to perform action"),
}


def xml_bytes(root_name, tree):
    """heat.common.serializers.XMLResponseSerializer.to_xml for a dict of
    dicts/strings: lxml etree.tostring, i.e. no XML declaration."""
    def fill(elem, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                fill(ET.SubElement(elem, k), v)
        else:
            elem.text = str(obj)
    root = ET.Element(root_name)
    fill(root, tree)
    return ET.tostring(root)


def heat_error(name):
    code, title, explanation = HEAT_ERRORS[name]
    body = xml_bytes("ErrorResponse", {"Error": {
        "Type": "Sender", "Code": title, "Message": explanation}})
    # webob HTTPError: status "<code> <title>"; the serializer sets
    # content_type application/xml, to which webob adds charset=UTF-8.
    return ("%d %s" % (code, title),
            [("Content-Type", "application/xml; charset=UTF-8")], body)


def heat_api(req):
    """heat EC2Token._authorize (Icehouse), then a stub application."""
    raw = req["raw"]
    ec2 = common.heat_ec2token_credentials(raw)
    if not ec2["signature"]:
        log("heat: no AWS Signature found")
        return heat_error("HeatIncompleteSignatureError")
    if not ec2["access"]:
        log("heat: no AWSAccessKeyId/Authorization Credential")
        return heat_error("HeatMissingAuthenticationTokenError")
    reason = keystone_ec2tokens(ec2)
    if reason is not None:
        log("heat: AWS authentication failure (keystone: %r)" % reason)
        if reason == "EC2 access key not found.":
            return heat_error("HeatInvalidClientTokenIdError")
        elif reason == "EC2 signature not supplied.":
            return heat_error("HeatSignatureError")
        return heat_error("HeatAccessDeniedError")
    log("heat: AWS authentication successful (access %s)" % ec2["access"])
    action = ec2["params"].get("Action")
    rid = request_id(raw)
    if action:
        body = xml_bytes(action + "Response", {
            action + "Result": "", "ResponseMetadata": {"RequestId": rid}})
    else:
        body = xml_bytes("Response", {
            "Authenticated": ec2["access"],
            "ResponseMetadata": {"RequestId": rid}})
    return ("200 OK", [("Content-Type", "application/xml; charset=UTF-8")],
            body)


# --------------------------------------------------------------------------
# S3 (in memory)
# --------------------------------------------------------------------------

def _seed_object(text):
    data = text.encode()
    return {"data": data, "type": "binary/octet-stream",
            "etag": '"%s"' % hashlib.md5(data).hexdigest()}


BUCKETS = {
    "examplebucket": {
        "photos/puppy.jpg": _seed_object(
            "sigscope demo object examplebucket/photos/puppy.jpg\n"),
        "photos/puppy 1.jpg": _seed_object(
            "sigscope demo object examplebucket/photos/puppy 1.jpg\n"),
    },
    "public-bucket": {
        "index.html": {
            "data": b"<!DOCTYPE html>\n<html><head><title>public-bucket"
                    b"</title></head>\n<body><p>Hello from public-bucket "
                    b"(anonymous GET, no signature).</p></body></html>\n",
            "type": "text/html"},
    },
}
BUCKETS["public-bucket"]["index.html"]["etag"] = '"%s"' % hashlib.md5(
    BUCKETS["public-bucket"]["index.html"]["data"]).hexdigest()
S3_LOCK = threading.Lock()
LAST_MODIFIED = email.utils.formatdate(usegmt=True)


def request_id(raw):
    return hashlib.sha256(raw).hexdigest()[:16].upper()


def s3_headers(raw):
    rid = request_id(raw)
    id2 = base64.b64encode(hashlib.sha256(b"id2" + raw).digest()).decode()
    return [("x-amz-id-2", id2), ("x-amz-request-id", rid)]


def s3_error(raw, status, code, message, extra=()):
    body = (b'<?xml version="1.0" encoding="UTF-8"?>\n' +
            xml_bytes("Error", dict([("Code", code), ("Message", message)] +
                                    list(extra) +
                                    [("RequestId", request_id(raw))])))
    return (status, s3_headers(raw) + [("Content-Type", "application/xml")],
            body)


def s3_api(req):
    raw, h = req["raw"], req["headers"]
    path = urllib.parse.unquote(req["target"].partition("?")[0])
    bucket, _, key = path.lstrip("/").partition("/")
    objects = BUCKETS.get(bucket)
    if objects is None:
        return s3_error(raw, "404 Not Found", "NoSuchBucket",
                        "The specified bucket does not exist",
                        [("BucketName", bucket)])
    if req["method"] == "PUT":
        body = req["body"]
        want = h.get("x-amz-content-sha256")
        if want and not want.startswith(("UNSIGNED", "STREAMING")) and \
                want != hashlib.sha256(body).hexdigest():
            return s3_error(raw, "400 Bad Request", "XAmzContentSHA256Mismatch",
                            "The provided 'x-amz-content-sha256' header does "
                            "not match what was computed.")
        crc = h.get("x-amz-checksum-crc32")
        if crc and crc != base64.b64encode(
                zlib.crc32(body).to_bytes(4, "big")).decode():
            return s3_error(raw, "400 Bad Request", "BadDigest",
                            "The CRC32 you specified did not match the "
                            "calculated checksum.")
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        with S3_LOCK:
            objects[key] = {"data": body, "etag": etag,
                            "type": h.get("content-type",
                                          "binary/octet-stream")}
        hdrs = s3_headers(raw)
        if crc:
            hdrs.append(("x-amz-checksum-crc32", crc))
        hdrs.append(("ETag", etag))
        sc = h.get("x-amz-storage-class")
        if sc and sc != "STANDARD":
            hdrs.append(("x-amz-storage-class", sc))
        return ("200 OK", hdrs, b"")
    if req["method"] in ("GET", "HEAD"):
        with S3_LOCK:
            obj = objects.get(key)
        if obj is None:
            return s3_error(raw, "404 Not Found", "NoSuchKey",
                            "The specified key does not exist.",
                            [("Key", key)])
        data = obj["data"]
        hdrs = s3_headers(raw) + [("Last-Modified", LAST_MODIFIED),
                                  ("ETag", obj["etag"]),
                                  ("Accept-Ranges", "bytes")]
        rng = h.get("range", "")
        if rng.startswith("bytes=") and "," not in rng:
            first, _, last = rng[6:].partition("-")
            n = len(data)
            if first:
                a = int(first)
                b = min(int(last), n - 1) if last else n - 1
            else:
                a, b = max(n - int(last), 0), n - 1
            if a < n and a <= b:
                return ("206 Partial Content", hdrs + [
                    ("Content-Range", "bytes %d-%d/%d" % (a, b, n)),
                    ("Content-Type", obj["type"])], data[a:b + 1])
        return ("200 OK", hdrs + [("Content-Type", obj["type"])], data)
    return s3_error(raw, "405 Method Not Allowed", "MethodNotAllowed",
                    "The specified method is not allowed against this "
                    "resource.")


def route(req):
    path = req["target"].partition("?")[0]
    if path == "/v1" or path.startswith("/v1/"):
        if req["method"] in ("GET", "POST"):
            return heat_api(req)
        return ("405 Method Not Allowed", [("Content-Type", "text/plain")],
                b"405 Method Not Allowed\n")
    return s3_api(req)


# --------------------------------------------------------------------------
# HTTP/1.1 on raw sockets (exact framing, keep-alive, 100-continue)
# --------------------------------------------------------------------------

class Conn(object):
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def take_head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n\r\n") + 4
        head, self.buf = self.buf[:i], self.buf[i:]
        return head

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def handle(sock, peer):
    c = Conn(sock)
    try:
        while True:
            try:
                head = c.take_head()
            except EOFError:
                return
            lines = head[:-4].decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            if headers.get("expect", "").lower() == "100-continue":
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            if "chunked" in headers.get("transfer-encoding", "").lower():
                status, hdrs, body = ("501 Not Implemented",
                                      [("Content-Type", "text/plain")],
                                      b"chunked request bodies are not "
                                      b"supported by the demo server\n")
                close = True
                req_body = b""
            else:
                req_body = c.take(int(headers.get("content-length") or 0))
                req = {"method": method, "target": target,
                       "headers": headers, "body": req_body,
                       "raw": head + req_body}
                status, hdrs, body = route(req)
                conn_tokens = headers.get("connection", "").lower()
                close = ("close" in conn_tokens or
                         (version == "HTTP/1.0" and
                          "keep-alive" not in conn_tokens))
            out = ["HTTP/1.1 %s" % status]
            out += ["%s: %s" % kv for kv in hdrs]
            out.append("Content-Length: %d" % len(body))
            out.append("Date: %s" % email.utils.formatdate(usegmt=True))
            if close:
                out.append("Connection: close")
            wire = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
            if method != "HEAD":
                wire += body
            sock.sendall(wire)
            log("%s:%d %s %s -> %s" % (peer[0], peer[1], method,
                                       target[:60], status))
            if close:
                return
    except (OSError, EOFError, ValueError) as e:
        log("%s:%d: %s: %s" % (peer[0], peer[1], type(e).__name__, e))
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("keystone_root",
                    help="extracted python-keystoneclient-0.9.0 sdist root")
    ap.add_argument("credentials", help="samples/demo.credentials")
    ap.add_argument("--port", type=int, default=8003)
    args = ap.parse_args()
    load_ec2signer(args.keystone_root)
    load_secrets(args.credentials)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    log("listening on 127.0.0.1:%d" % args.port)
    try:
        while True:
            sock, peer = srv.accept()
            threading.Thread(target=handle, args=(sock, peer),
                             daemon=True).start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.close()


if __name__ == "__main__":
    main()
