#!/usr/bin/env python3
"""Writes s3-sigv4-chunked.http: the S3 documentation's aws-chunked PUT example
(66560 bytes of 'a' in chunks of 65536, 1024 and 0 bytes, with the published signatures)."""
import pathlib

def chunk(data: bytes, sig: bytes) -> bytes:
    return b"%x;chunk-signature=%s\r\n" % (len(data), sig) + data + b"\r\n"

body = (chunk(b"a" * 65536, b"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")
        + chunk(b"a" * 1024, b"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497")
        + chunk(b"", b"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"))
assert len(body) == 66824, len(body)  # the documented Content-Length
head = (b"PUT /examplebucket/chunkObject.txt HTTP/1.1\r\n"
        b"Host: s3.amazonaws.com\r\n"
        b"x-amz-date: 20130524T000000Z\r\n"
        b"x-amz-storage-class: REDUCED_REDUNDANCY\r\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        b"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
        b"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\r\n"
        b"x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\r\n"
        b"Content-Encoding: aws-chunked\r\n"
        b"x-amz-decoded-content-length: 66560\r\n"
        b"Content-Length: 66824\r\n\r\n")
pathlib.Path(__file__).with_name("s3-sigv4-chunked.http").write_bytes(head + body)
