#!/usr/bin/env python3
"""Writes 1 GiB captures of aws-chunked uploads for `sigscope report` (bench/payload/run_1g.sh):
for each of CRC32C, SHA256 and CRC32, one raw HTTP stream of eight 128 MiB
STREAMING-UNSIGNED-PAYLOAD-TRAILER PUTs (64 KiB chunks, as botocore's AwsChunkedWrapper sends
with its default read size), each trailer's checksum computed by botocore's own checksum class
(awscrt for the CRCs, hashlib for SHA256), each upload with its own (unverifiable, no secret
is given) signature as a capture's uploads have; prints botocore's throughput for each checksum over
the same bytes, which is the peer figure of the run."""
import base64, sys, time
from botocore.httpchecksum import CrtCrc32cChecksum, Sha256Checksum, CrtCrc32Checksum

PART = 128 << 20
COUNT = 8
CHUNK = 65536
for name, cls in [("crc32c", CrtCrc32cChecksum), ("sha256", Sha256Checksum), ("crc32", CrtCrc32Checksum)]:
    total = 0.0
    with open(f"{name}-1g.http", "wb") as out:
        for k in range(COUNT):
            # Each upload other bytes (a different seed line), so no two are the same.
            line = b"sigscope issue 14 payload bench, upload %02d ....\n" % k
            data = (line * (PART // len(line) + 1))[:PART]
            t = time.perf_counter()
            c = cls()
            for i in range(0, PART, CHUNK):
                c.update(data[i:i + CHUNK])
            value = base64.b64encode(c.digest())
            total += time.perf_counter() - t
            body = bytearray()
            for i in range(0, PART, CHUNK):
                chunk = data[i:i + CHUNK]
                body += b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            body += b"0\r\nx-amz-checksum-%s:%s\r\n\r\n" % (name.encode(), value)
            head = (f"PUT /b/{name}-{k} HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\nContent-Encoding: aws-chunked\r\n"
                    f"x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-trailer: x-amz-checksum-{name}\r\n"
                    f"x-amz-decoded-content-length: {PART}\r\nContent-Length: {len(body)}\r\n"
                    f"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-trailer, Signature={k:064x}\r\n\r\n").encode()
            out.write(head)
            out.write(body)
    n = PART * COUNT
    print(f"botocore {name}: {n / total / 1e9:.2f} GB/s ({total:.3f} s for {n >> 20} MiB)", file=sys.stderr)
