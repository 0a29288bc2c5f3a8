#!/usr/bin/env python3
"""Writes three 256 MiB STREAMING-UNSIGNED-PAYLOAD-TRAILER uploads (64 KiB chunks; CRC32C,
SHA256, CRC32 trailers computed by botocore's own checksum classes, awscrt for the CRCs) and a
baseline of the same body as UNSIGNED-PAYLOAD without framing, into the current directory;
prints botocore's throughput for each checksum over the same bytes (bench/payload/run.sh)."""
import base64, hashlib, sys, time
from awscrt import checksums
from botocore.httpchecksum import CrtCrc32cChecksum, Sha256Checksum, CrtCrc32Checksum
n = 256 << 20
data = (b"sigscope issue 14 payload bench " * (n // 32 + 1))[:n]
for name, cls in [("crc32c", CrtCrc32cChecksum), ("sha256", Sha256Checksum), ("crc32", CrtCrc32Checksum)]:
    t = time.perf_counter()
    c = cls(); 
    for i in range(0, n, 65536):
        c.update(data[i:i+65536])
    value = base64.b64encode(c.digest()).decode()
    dt = time.perf_counter() - t
    print(f"botocore {name}: {n/dt/1e9:.2f} GB/s ({dt:.3f} s)", file=sys.stderr)
    body = bytearray()
    for i in range(0, n, 65536):
        chunk = data[i:i+65536]
        body += b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    body += b"0\r\nx-amz-checksum-%s:%s\r\n\r\n" % (name.encode(), value.encode())
    head = (f"PUT /b/{name} HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\nContent-Encoding: aws-chunked\r\n"
            f"x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-trailer: x-amz-checksum-{name}\r\n"
            f"x-amz-decoded-content-length: {n}\r\nContent-Length: {len(body)}\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-trailer, Signature=00\r\n\r\n").encode()
    open(f"{name}.http", "wb").write(head + body)
