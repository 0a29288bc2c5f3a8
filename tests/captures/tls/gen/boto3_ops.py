#!/usr/bin/env python3
"""boto3 over HTTPS with SSLKEYLOGFILE (run by make_boto3.sh, which captures it with tcpdump):
S3 calls through `sigscope listen --tls-cert … --upstream` in front of moto's S3 server, and a
presigned GET fetched with requests (urllib3). urllib3, which botocore and requests both use,
writes the TLS secrets to the file SSLKEYLOGFILE names (urllib3/util/ssl_.py
create_urllib3_context; botocore/httpsession.py create_urllib3_context does the same).

The calls, in order (every one signed with the fixture credentials, tests/captures/credentials):
  create_bucket        PUT /boto3bucket
  put_object           PUT, bytes body: over HTTPS botocore 1.36+ streams it as aws-chunked,
                       STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-crc32 trailer
                       (the default checksum, botocore/httpchecksum.py)
  head_object          HEAD
  get_object           GET
  list_objects_v2      GET ?list-type=2
  upload_fileobj       multipart: CreateMultipartUpload, two UploadPart (trailer checksums),
                       CompleteMultipartUpload (s3transfer's and moto's part floors lowered to
                       keep the capture small, as tests/vectors/payload/gen/gen_multipart.py)
  presigned GET        generate_presigned_url, fetched by requests: botocore's default for a
                       presigned URL in us-east-1 (query SigV2: AWSAccessKeyId, Signature,
                       Expires), then one from a client configured with signature_version s3v4
  delete_object x2     DELETE
(12 requests.)
Usage: boto3_ops.py ENDPOINT CA_FILE
"""
import sys

import boto3
import botocore.config
import requests
import s3transfer.utils
from boto3.s3.transfer import TransferConfig
import io

ENDPOINT, CA_FILE = sys.argv[1:3]
AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BUCKET = "boto3bucket"
DATA = bytes((i * 31 + 7) % 251 for i in range(10000))

_d = s3transfer.utils.ChunksizeAdjuster.__init__.__defaults__
s3transfer.utils.ChunksizeAdjuster.__init__.__defaults__ = (_d[0], 1024, _d[2])


def main():
    cfg = botocore.config.Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
    )
    s3 = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=ENDPOINT, verify=CA_FILE,
        aws_access_key_id=AK, aws_secret_access_key=SK, config=cfg)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="hello.txt", Body=b"hello from boto3 over TLS\n")
    head = s3.head_object(Bucket=BUCKET, Key="hello.txt")
    assert head["ContentLength"] == 26, head
    got = s3.get_object(Bucket=BUCKET, Key="hello.txt")["Body"].read()
    assert got == b"hello from boto3 over TLS\n", got
    listed = s3.list_objects_v2(Bucket=BUCKET)
    assert [o["Key"] for o in listed["Contents"]] == ["hello.txt"], listed
    tc = TransferConfig(multipart_threshold=4096, multipart_chunksize=6000, max_concurrency=1,
                        use_threads=False)
    s3.upload_fileobj(io.BytesIO(DATA), BUCKET, "multi.bin", Config=tc)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "multi.bin"}, ExpiresIn=3600)
    v4 = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=ENDPOINT, verify=CA_FILE,
        aws_access_key_id=AK, aws_secret_access_key=SK,
        config=cfg.merge(botocore.config.Config(signature_version="s3v4")))
    url_v4 = v4.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "multi.bin"}, ExpiresIn=3600)
    assert "X-Amz-Signature=" in url_v4 and "Signature=" in url, (url, url_v4)
    with requests.Session() as http:
        for u in (url, url_v4):
            r = http.get(u, verify=CA_FILE, timeout=10)
            assert r.status_code == 200 and r.content == DATA, (r.status_code, len(r.content))
    s3.delete_object(Bucket=BUCKET, Key="hello.txt")
    s3.delete_object(Bucket=BUCKET, Key="multi.bin")
    print("boto3: 12 requests done")


if __name__ == "__main__":
    main()
