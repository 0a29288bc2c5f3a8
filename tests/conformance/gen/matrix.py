"""The request matrix of the conformance corpus (issue 20): one case per knob value.

Each case is built by botocore's signer (`sign`, see conformance.py) and, where the knob is
about a client or a proxy changing the request after signing, altered afterwards. The case
names are the corpus's keys: tests/engine/conformance.rs reads them from answers.tsv.
"""

import hashlib
import zlib
import base64

SPECIAL = [
    # (name, as sent, as an AWS client encodes it: RFC 3986, upper-case hex)
    ("plus", "a+b", "a%2Bb"),
    ("pct20", "a%20b", "a%20b"),
    ("pct2b", "a%2Bb", "a%2Bb"),
    ("tilde", "a~b", "a~b"),
    ("pct7e", "a%7Eb", "a~b"),
    ("bang-star", "a!*'()b", "a%21%2A%27%28%29b"),
    ("equals", "a=b", "a%3Db"),
    ("pct3d", "a%3Db", "a%3Db"),
    ("at", "a@b", "a%40b"),
    ("pct40", "a%40b", "a%40b"),
    ("lower-hex", "a%3db", "a%3Db"),
]


class Case:
    def __init__(self, name, build):
        self.name, self.build = name, build


def resend(wire, **change):
    """The signed request with its request target (or headers) changed after signing."""
    if "target" in change:
        wire.target = change["target"]
    return wire


def md5_b64(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def crc32_b64(body):
    return base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()


def chunked_trailer(body, trailer):
    """aws-chunked framing without chunk signatures, as botocore's AwsChunkedWrapper writes it."""
    out = b"%x\r\n" % len(body) + body + b"\r\n" if body else b""
    return out + b"0\r\n" + trailer.encode() + b"\r\n\r\n"


def cases(server):
    out = []

    def add(name, build):
        out.append(Case(name, build))

    # Set-up, and the plain requests every server must accept.
    add("create-bucket", lambda t, s, a: s(t, "PUT", f"/{t.bucket}"))
    add("put-object", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/obj", body=b"hello"))
    add("put-public-object", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/pub", [("x-amz-acl", "public-read")], b"public"))
    add("get-object", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj"))
    add("head-object", lambda t, s, a: s(t, "HEAD", f"/{t.bucket}/obj"))
    add("list-v2", lambda t, s, a: s(t, "GET", f"/{t.bucket}?list-type=2"))
    add("list-buckets", lambda t, s, a: s(t, "GET", "/"))

    # The canonical URI: each special character signed as sent, and signed the AWS way
    # (encoded) but sent as is.
    for name, sent, enc in SPECIAL:
        add(f"path-{name}-signed-as-sent", lambda t, s, a, sent=sent: s(t, "GET", f"/{t.bucket}/{sent}"))
        if enc != sent:
            add(f"path-{name}-signed-encoded",
                lambda t, s, a, sent=sent, enc=enc: resend(s(t, "GET", f"/{t.bucket}/{enc}"), target=f"/{t.bucket}/{sent}"))
    add("path-double-slash", lambda t, s, a: s(t, "GET", f"/{t.bucket}//obj"))
    add("path-dot-segment", lambda t, s, a: s(t, "GET", f"/{t.bucket}/./obj"))
    add("path-double-slash-signed-collapsed",
        lambda t, s, a: resend(s(t, "GET", f"/{t.bucket}/obj"), target=f"/{t.bucket}//obj"))

    # The canonical query string: a value with each special character, signed as sent and
    # signed encoded.
    for name, sent, enc in SPECIAL:
        add(f"query-{name}-signed-as-sent",
            lambda t, s, a, sent=sent: s(t, "GET", f"/{t.bucket}?list-type=2&prefix={sent}"))
        if enc != sent:
            add(f"query-{name}-signed-encoded",
                lambda t, s, a, sent=sent, enc=enc: resend(s(t, "GET", f"/{t.bucket}?list-type=2&prefix={enc}"),
                                                          target=f"/{t.bucket}?list-type=2&prefix={sent}"))
    add("query-space-as-plus-signed-pct20",
        lambda t, s, a: resend(s(t, "GET", f"/{t.bucket}?list-type=2&prefix=a%20b"), target=f"/{t.bucket}?list-type=2&prefix=a+b"))
    # Repeated names: botocore sorts by name then value; the wire keeps either order.
    add("query-repeated-sorted", lambda t, s, a: s(t, "GET", f"/{t.bucket}?list-type=2&prefix=a&prefix=b"))
    add("query-repeated-unsorted", lambda t, s, a: s(t, "GET", f"/{t.bucket}?list-type=2&prefix=b&prefix=a"))
    # A parameter without a value.
    add("query-acl-bare", lambda t, s, a: s(t, "GET", f"/{t.bucket}?acl"))
    add("query-acl-equals", lambda t, s, a: s(t, "GET", f"/{t.bucket}?acl="))
    add("query-acl-signed-equals-sent-bare",
        lambda t, s, a: resend(s(t, "GET", f"/{t.bucket}?acl="), target=f"/{t.bucket}?acl"))
    add("query-acl-signed-bare-sent-equals",
        lambda t, s, a: resend(s(t, "GET", f"/{t.bucket}?acl"), target=f"/{t.bucket}?acl="))

    # Header values: botocore folds runs of whitespace to one space (auth.py _header_value).
    add("header-spaces", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/meta", [("x-amz-meta-a", "a   b")], b"m"))
    add("header-tabs", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/meta", [("x-amz-meta-a", "a\t\tb")], b"m"))
    add("header-leading-trailing", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/meta", [("x-amz-meta-a", "  a b  ")], b"m"))

    def repeated(t, s, a):
        # Signed as one value "1,2" (what a client joining repeats signs), sent as two lines.
        w = s(t, "PUT", f"/{t.bucket}/meta", [("x-amz-meta-r", "1,2")], b"m")
        w.drop("x-amz-meta-r")
        w.headers += [("x-amz-meta-r", "1"), ("x-amz-meta-r", "2")]
        return w

    add("header-repeated-signed", repeated)

    # Host and its port.
    def host_no_port(t, s, a):
        w = s(t, "GET", f"/{t.bucket}/obj")
        w.set("Host", t.host)
        return w

    def host_signed_without_port(t, s, a):
        w = s(t, "GET", f"/{t.bucket}/obj", [("Host", t.host)])
        w.set("Host", t.netloc)
        return w

    add("host-port-dropped-after-signing", host_no_port)
    add("host-signed-without-port", host_signed_without_port)

    # Signed headers.
    def unsigned_amz(t, s, a):
        w = s(t, "PUT", f"/{t.bucket}/meta", body=b"m")
        w.headers.append(("x-amz-meta-unsigned", "1"))
        return w

    def signed_removed(t, s, a):
        w = s(t, "PUT", f"/{t.bucket}/meta", [("x-amz-meta-s", "1")], b"m")
        w.drop("x-amz-meta-s")
        return w

    def unsigned_plain(t, s, a):
        w = s(t, "GET", f"/{t.bucket}/obj")
        w.headers.append(("X-Unsigned", "1"))
        return w

    add("header-unsigned-amz", unsigned_amz)
    add("header-signed-removed", signed_removed)
    add("header-unsigned-plain", unsigned_plain)

    # The payload hash.
    add("payload-no-content-sha256", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/p", body=b"payload", scheme="v4-plain"))
    add("payload-unsigned", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/p", body=b"payload", scheme="v4-unsigned"))

    def wrong_payload_hash(t, s, a):
        w = s(t, "PUT", f"/{t.bucket}/p", body=b"payload")
        w.body = b"PAYLOAD"
        return w

    add("payload-body-changed", wrong_payload_hash)
    add("checksum-crc32-header", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/c", [("x-amz-checksum-crc32", crc32_b64(b"data")), ("x-amz-sdk-checksum-algorithm", "CRC32")], b"data"))
    add("checksum-crc32-header-wrong", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/c", [("x-amz-checksum-crc32", crc32_b64(b"other")), ("x-amz-sdk-checksum-algorithm", "CRC32")], b"data"))
    add("content-md5-right", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/c", [("Content-MD5", md5_b64(b"data"))], b"data"))
    add("content-md5-wrong", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/c", [("Content-MD5", md5_b64(b"other"))], b"data"))

    def trailer(t, s, a):
        data = b"trailer upload"
        body = chunked_trailer(data, f"x-amz-checksum-crc32:{crc32_b64(data)}")
        return s(t, "PUT", f"/{t.bucket}/t", [
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", str(len(data))),
            ("x-amz-trailer", "x-amz-checksum-crc32"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ], body, scheme="v4-trailer")

    add("payload-unsigned-trailer", trailer)

    # Credentials, dates, scope.
    add("wrong-secret", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", secret="not-the-secret"))
    add("unknown-key", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", access="AKIDUNKNOWN00000000", secret="x"))
    add("skew-16-minutes", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", skew=-16 * 60))
    add("skew-25-hours", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", skew=-25 * 3600))
    add("skew-10-minutes", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", skew=-10 * 60))
    add("scope-other-region", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", region="eu-west-9"))

    # Presigned SigV4.
    add("presigned-v4", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", scheme="v4-query"))
    add("presigned-v4-tampered", lambda t, s, a: tamper_presigned(s(t, "GET", f"/{t.bucket}/obj", scheme="v4-query")))
    add("presigned-v4-expired", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", scheme="v4-query", skew=-3600, expires=60))

    # SigV2, header and presigned, with the sub-resources.
    add("v2-get-object", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", scheme="v2"))
    add("v2-put-object", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/v2", [("Content-Type", "text/plain")], b"v2", scheme="v2"))
    add("v2-wrong-secret", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", scheme="v2", secret="not-the-secret"))
    add("v2-amz-meta", lambda t, s, a: s(t, "PUT", f"/{t.bucket}/v2", [("x-amz-meta-a", "a   b")], b"v2", scheme="v2"))
    for sub in ["acl", "cors", "lifecycle", "location", "logging", "policy", "tagging", "versioning",
                "versions", "uploads", "website", "requestPayment", "notification", "encryption",
                "object-lock", "policyStatus", "publicAccessBlock"]:
        add(f"v2-subresource-{sub}", lambda t, s, a, sub=sub: s(t, "GET", f"/{t.bucket}?{sub}", scheme="v2"))
    add("v2-response-content-type", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj?response-content-type=text/plain", scheme="v2"))
    add("v2-list-prefix", lambda t, s, a: s(t, "GET", f"/{t.bucket}?prefix=o", scheme="v2"))
    add("v2-presigned", lambda t, s, a: s(t, "GET", f"/{t.bucket}/obj", scheme="v2-query"))
    add("v2-presigned-tampered", lambda t, s, a: tamper_presigned(s(t, "GET", f"/{t.bucket}/obj", scheme="v2-query")))

    # Anonymous reads.
    add("anonymous-public", lambda t, s, a: a(t, "GET", f"/{t.bucket}/pub"))
    add("anonymous-private", lambda t, s, a: a(t, "GET", f"/{t.bucket}/obj"))
    return out


def tamper_presigned(w):
    """The presigned URL with one character of its object key changed after signing."""
    w.target = w.target.replace("/obj?", "/obk?", 1)
    return w
