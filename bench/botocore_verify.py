#!/usr/bin/env python3
"""Verify one request with botocore's own SigV4 signer: the peer figure for benches/verify.rs.

The request is tests/vectors/real/botocore/s3-sigv4-put.http (an S3 PutObject botocore
1.43.11 signed: 7 signed headers, a 21-byte body). One operation does what benches/verify.rs
does per iteration: parse the Authorization header, check the body hash against
x-amz-content-sha256, rebuild the canonical request and string to sign with botocore's
S3SigV4Auth (the signer botocore uses for S3), sign, and compare in constant time.

botocore has no signing-key cache: SigV4Auth.signature() derives the key (four HMACs) on every
call, so this is the like-for-like peer of sigscope's `uncached_key` case.

The date is frozen by setting request.context['timestamp'] from the X-Amz-Date the request
carries, which is where SigV4Auth.add_auth() would have put datetime.utcnow().

Prints one JSON object: ns per operation, best of 5 repeats (timeit's convention), plus the
median of the 5 repeats.
"""

import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import timeit

import botocore
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTOR = os.path.join(ROOT, "tests/vectors/real/botocore/s3-sigv4-put")
REPEAT = 5
TARGET_SECONDS_PER_REPEAT = 0.4


def load():
    with open(VECTOR + ".http", "rb") as f:
        raw = f.read()
    with open(VECTOR + ".json") as f:
        meta = json.load(f)
    sep = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
    head, _, body = raw.partition(sep)
    lines = head.decode().splitlines()
    method, target, _version = lines[0].split(" ")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        # A server framework hands over a case-insensitive map; lower-case keys stand for it.
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    return method, target, headers, body[:length], meta


METHOD, TARGET, HEADERS, BODY, META = load()
URL = "http://" + HEADERS["host"] + TARGET
CREDS = Credentials(META["access_key"], META["secret_key"])


def parse_authorization(value):
    algorithm, _, rest = value.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return None
    fields = {}
    for part in rest.split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    _ak, date, region, service, _term = fields["Credential"].split("/")
    return date, region, service, fields["SignedHeaders"], fields["Signature"]


def verify(headers=HEADERS, body=BODY):
    date, region, service, signed_headers, claimed = parse_authorization(
        headers["authorization"]
    )
    amz_date = headers["x-amz-date"]
    if not amz_date.startswith(date):
        return False
    declared = headers.get("x-amz-content-sha256")
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        return False
    request = AWSRequest(
        method=METHOD,
        url=URL,
        headers={h: headers[h] for h in signed_headers.split(";")},
        data=body,
    )
    request.context["timestamp"] = amz_date
    signer = S3SigV4Auth(CREDS, service, region)
    canonical = signer.canonical_request(request)
    sig = signer.signature(signer.string_to_sign(request, canonical), request)
    return hmac.compare_digest(sig, claimed)


def check():
    """The operation must accept the request, reject a tampered one, and sign what botocore signed."""
    assert verify(), "botocore does not accept the fixture request"
    tampered = dict(HEADERS, **{"x-amz-meta-note": "a b c"})
    assert not verify(tampered), "botocore accepts a tampered request"
    request = AWSRequest(
        method=METHOD,
        url=URL,
        headers={
            h: HEADERS[h]
            for h in parse_authorization(HEADERS["authorization"])[3].split(";")
        },
        data=BODY,
    )
    request.context["timestamp"] = HEADERS["x-amz-date"]
    signer = S3SigV4Auth(CREDS, "s3", "us-east-1")
    assert signer.canonical_request(request) == META["client"]["canonical_request"]


def main():
    check()
    timer = timeit.Timer(verify)
    n, elapsed = timer.autorange()  # smallest 10**k * {1,2,5} taking >= 0.2 s
    number = max(n, int(n * TARGET_SECONDS_PER_REPEAT / elapsed))
    runs = timer.repeat(repeat=REPEAT, number=number)
    per_op = [t / number * 1e9 for t in runs]
    print(
        json.dumps(
            {
                "case": "botocore/S3SigV4Auth",
                "ns_per_op": min(per_op),
                "median_ns_per_op": statistics.median(per_op),
                "runs_ns_per_op": per_op,
                "number": number,
                "repeat": REPEAT,
                "botocore": botocore.__version__,
                "python": platform.python_version(),
                "python_implementation": platform.python_implementation(),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
