#!/usr/bin/env python3
"""Real botocore uploads in STREAMING-UNSIGNED-PAYLOAD-TRAILER, over HTTPS to `sigscope listen`
(run by generate.sh, which starts the listener and keeps what it saves).

botocore (httpchecksum.py, resolve_request_checksum_algorithm) puts the checksum of an
operation with streaming input into a trailer only over https: this is why the listener runs
with --tls-cert. Each upload's body is read at most 1000 bytes at a time, so AwsChunkedWrapper
writes several chunks (1000, 1000, 500, then the zero-size chunk and the trailer).

The uploads, in order (their keys say which; the manifest lists them with what botocore sent):
  clean-crc32, clean-crc32c, clean-sha1, clean-sha256, clean-crc64nvme
      PutObject with ChecksumAlgorithm=<alg>, untouched.
  bad-trailer      CRC32; a before-send hook changes the trailer's checksum value on the wire
                   (its first base64 character), so it no longer matches the body.
  bad-chunk        CRC32; a before-send hook changes one byte of the second chunk's data
                   (`a` to `A` at data offset 1501), after the trailer's checksum was computed.
  bad-length       CRC32; a before-sign hook sets X-Amz-Decoded-Content-Length to the length
                   plus one (signed, so the signature still verifies).

Usage: gen_trailers.py ENDPOINT CA_FILE MANIFEST_OUT
"""
import hashlib
import io
import json
import sys

import botocore.config
import botocore.session

ENDPOINT, CA_FILE, MANIFEST = sys.argv[1:4]
AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DATA = (b"sigscope issue 14: aws-chunked with a trailing checksum. " * 50)[:2500]


class Trickle(io.BytesIO):
    """At most 1000 bytes a read: several aws-chunked chunks from one small body."""

    def read(self, n=-1):
        if n is None or n < 0 or n > 1000:
            n = 1000
        return super().read(n)


def client():
    cfg = botocore.config.Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        request_checksum_calculation="when_supported",
    )
    return botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        verify=CA_FILE,
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        config=cfg,
    )


def mutate_body(change):
    """A before-send hook that reads the encoded body and sends `change(body)` instead."""

    def hook(request, **_):
        body = request.body.read()
        request.body = io.BytesIO(change(body))

    return hook


def bad_trailer(body):
    head, sep, value = body.rpartition(b"x-amz-checksum-crc32:")
    first = b"B" if value[:1] != b"B" else b"C"
    return head + sep + first + value[1:]


def bad_chunk(body):
    # Data offset 1501 is in the second chunk (after "3e8\r\n" + 1000 bytes + "\r\n3e8\r\n").
    at = len(b"3e8\r\n") + 1000 + len(b"\r\n3e8\r\n") + 501
    assert body[at:at + 1] == DATA[1501:1502] == b"a", body[at - 5:at + 5]
    return body[:at] + b"A" + body[at + 1:]


def bad_length(request, **_):
    n = int(request.headers["X-Amz-Decoded-Content-Length"])
    request.headers.replace_header("X-Amz-Decoded-Content-Length", str(n + 1))


def main():
    manifest = []
    for alg in ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]:
        key = f"clean-{alg.lower()}"
        c = client()
        c.put_object(Bucket="payload", Key=key, Body=Trickle(DATA), ChecksumAlgorithm=alg)
        manifest.append({"key": key, "algorithm": alg, "mutation": None})
    for key, event, hook in [
        ("bad-trailer", "before-send.s3.PutObject", mutate_body(bad_trailer)),
        ("bad-chunk", "before-send.s3.PutObject", mutate_body(bad_chunk)),
        ("bad-length", "before-sign.s3.PutObject", bad_length),
    ]:
        c = client()
        c.meta.events.register(event, hook)
        try:
            c.put_object(Bucket="payload", Key=key, Body=Trickle(DATA), ChecksumAlgorithm="CRC32")
        except Exception as e:  # the listener may refuse it: the capture is what matters
            print(f"{key}: {e}", file=sys.stderr)
        manifest.append({"key": key, "algorithm": "CRC32", "mutation": key})
    out = {
        "botocore": botocore.__version__,
        "decoded_length": len(DATA),
        "decoded_sha256": hashlib.sha256(DATA).hexdigest(),
        "uploads": manifest,
    }
    with open(MANIFEST, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


main()
