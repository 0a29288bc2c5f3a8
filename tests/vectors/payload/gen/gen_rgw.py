#!/usr/bin/env python3
"""botocore against a real Ceph RGW 16.2 through `sigscope listen --upstream` (TLS on the
listener, so botocore uses the trailer mode; run by generate_rgw.sh).

In order: CreateBucket; PutObject `trailer` (CRC32 in a STREAMING-UNSIGNED-PAYLOAD-TRAILER
trailer, the SDK default since January 2025, which botocore streams with Transfer-Encoding:
chunked: RGW 16.2 answers 411 MissingContentLength); PutObject `trailer-content-length` (the
same, but a before-send hook sends the aws-chunked body with a Content-Length instead of
Transfer-Encoding: chunked, as SDKs do for bodies of known length; neither header is signed:
RGW 16.2 answers XAmzContentSHA256Mismatch);
PutObject `when-required` (the fix on the client: request_checksum_calculation=when_required,
a signed payload hash, accepted); GetObject `when-required`.

Usage: gen_rgw.py ENDPOINT CA_FILE MANIFEST_OUT
"""
import json
import sys

import botocore.config
import botocore.session

ENDPOINT, CA_FILE, MANIFEST = sys.argv[1:4]
DATA = b"sigscope issue 14 against Ceph RGW 16.2\n" * 20


def client(when):
    cfg = botocore.config.Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        request_checksum_calculation=when,
        response_checksum_validation=when,
    )
    return botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        verify=CA_FILE,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=cfg,
    )


answers = []
c = client("when_supported")
c.create_bucket(Bucket="payload")
try:
    c.put_object(Bucket="payload", Key="trailer", Body=DATA, ChecksumAlgorithm="CRC32")
    answers.append({"key": "trailer", "error": None})
except c.exceptions.ClientError as e:
    answers.append({"key": "trailer", "error": e.response["Error"]["Code"]})
def with_content_length(request, **_):
    body = request.body.read()
    del request.headers["Transfer-Encoding"]
    request.headers["Content-Length"] = str(len(body))
    request.body = body


c2 = client("when_supported")
c2.meta.events.register("before-send.s3.PutObject", with_content_length)
try:
    c2.put_object(Bucket="payload", Key="trailer-content-length", Body=DATA, ChecksumAlgorithm="CRC32")
    answers.append({"key": "trailer-content-length", "error": None})
except c2.exceptions.ClientError as e:
    answers.append({"key": "trailer-content-length", "error": e.response["Error"]["Code"]})
fixed = client("when_required")
fixed.put_object(Bucket="payload", Key="when-required", Body=DATA)
got = fixed.get_object(Bucket="payload", Key="when-required")["Body"].read()
assert got == DATA
answers.append({"key": "when-required", "error": None})
with open(MANIFEST, "w") as f:
    json.dump({"botocore": botocore.__version__, "answers": answers}, f, indent=1)
    f.write("\n")
