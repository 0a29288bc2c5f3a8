#!/usr/bin/env python3
"""Writes s3-sigv4-chunked-trailer.http: the S3 documentation's aws-chunked PUT with a trailing
checksum ("Signature calculations for trailing headers (chunked uploads)", sigv4-streaming-trailers:
66560 bytes of 'a' in chunks of 65536, 1024 and 0 bytes, then the trailer
`x-amz-checksum-crc32c:sOO8/Q==` and its x-amz-trailer-signature), with the published seed,
chunk and trailer signatures.

One deviation, documented: the page's Content-Length (66824) is the one of the example without a
trailer; the body it shows is 66946 bytes. Content-Length is not signed in this example, so the
file carries the body's true length (a raw HTTP reader frames the body by it)."""
import pathlib



def chunk(data: bytes, sig: bytes) -> bytes:
    return b"%x;chunk-signature=%s\r\n" % (len(data), sig) + data


body = (chunk(b"a" * 65536, b"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2") + b"\r\n"
        + chunk(b"a" * 1024, b"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7") + b"\r\n"
        + chunk(b"", b"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992")
        + b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
        + b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
        + b"\r\n")
assert len(body) == 66946, len(body)
head = (b"PUT /examplebucket/chunkObject.txt HTTP/1.1\r\n"
        b"Host: s3.amazonaws.com\r\n"
        b"x-amz-date: 20130524T000000Z\r\n"
        b"x-amz-storage-class: REDUCED_REDUNDANCY\r\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        b"SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
        b"Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e\r\n"
        b"x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\r\n"
        b"Content-Encoding: aws-chunked\r\n"
        b"x-amz-decoded-content-length: 66560\r\n"
        b"x-amz-trailer: x-amz-checksum-crc32c\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body))
pathlib.Path(__file__).with_name("s3-sigv4-chunked-trailer.http").write_bytes(head + body)
