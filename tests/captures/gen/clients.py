#!/usr/bin/env python3
"""Real-client traffic for the sigscope capture fixtures (botocore + curl).

Usage: clients.py SCENARIO
  (keepalive | large | chunked | cooked | cookedv1 | ipv6 | nano | headbody)

Every request goes to a local server started by make_captures.sh; nothing
leaves loopback.  Errors from the server (403) are expected and printed.
"""
import io
import os
import subprocess
import sys

import botocore
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
BUCKET = "examplebucket"

# Keep the user's own AWS config out of it.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)


def client(service, endpoint, **cfg):
    base = dict(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=10)
    if service == "s3":
        base["s3"] = {"addressing_style": "path"}
    base.update(cfg)
    return botocore.session.get_session().create_client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        config=Config(**base),
    )


def call(label, fn, **kw):
    try:
        r = fn(**kw)
        code = r.get("ResponseMetadata", {}).get("HTTPStatusCode")
        print(f"  {label}: HTTP {code}")
        return r
    except ClientError as e:
        print(f"  {label}: HTTP {e.response['ResponseMetadata'].get('HTTPStatusCode')}"
              f" {e.response.get('Error', {}).get('Code')} (expected for deny/)")


def curl(*args):
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "  curl: HTTP %{http_code} %{url_effective}\\n",
           *args]
    subprocess.run(cmd, check=True)


def keepalive(ep="http://127.0.0.1:8003"):
    s3 = client("s3", ep)
    # All of these go through one urllib3 pool -> one TCP connection.
    call("list_buckets", s3.list_buckets)
    call("list_objects_v2", s3.list_objects_v2, Bucket=BUCKET, Prefix="photos/2024 summer/",
         Delimiter="/")
    call("put_object", s3.put_object, Bucket=BUCKET, Key="test.txt",
         Body=b"Welcome to Amazon S3.", ContentType="text/plain")
    call("get_object", s3.get_object, Bucket=BUCKET, Key="test.txt")["Body"].read()
    call("get_object (escaped key)", s3.get_object, Bucket=BUCKET,
         Key="dir/hello world+(1)~é.txt")["Body"].read()
    call("head_object", s3.head_object, Bucket=BUCKET, Key="test.txt")
    call("get_object deny/", s3.get_object, Bucket=BUCKET, Key="deny/secret.txt")
    call("delete_object", s3.delete_object, Bucket=BUCKET, Key="test.txt")
    # Presigned URLs, fetched by one curl run on its own (second) connection:
    #  - query-string SigV4 (X-Amz-Algorithm=...), needs signature_version=s3v4
    #  - a second SigV4 one for a deny/ key (403)
    #  - botocore's default S3 presign in us-east-1: legacy SigV2 query auth
    #    (AWSAccessKeyId/Signature/Expires)
    v4 = client("s3", ep, signature_version="s3v4")
    u1 = v4.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "test.txt"},
                                   ExpiresIn=3600)
    u2 = v4.generate_presigned_url("get_object",
                                   Params={"Bucket": BUCKET, "Key": "deny/presigned.txt"},
                                   ExpiresIn=3600)
    u3 = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "test.txt"},
                                   ExpiresIn=3600)
    print("  presigned v4:", u1)
    print("  presigned v2:", u3)
    curl(u1, "-o", "/dev/null", u2, "-o", "/dev/null", u3)


def large(ep="http://127.0.0.1:8003"):
    s3 = client("s3", ep)
    body = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(600 * 1024))
    # A file-like body makes botocore add "Expect: 100-continue".
    call("put_object 600KiB", s3.put_object, Bucket=BUCKET, Key="big/blob.bin",
         Body=io.BytesIO(body), ContentType="application/octet-stream")


def chunked(ep="http://127.0.0.1:8003"):
    s3 = client("s3", ep, signature_version="s3v4")
    # 1) curl uploading stdin with Transfer-Encoding: chunked to a presigned PUT URL.
    url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "chunked/curl.txt"},
                                    ExpiresIn=3600)
    data = b"".join(b"line %04d of a chunked upload\n" % i for i in range(400))
    subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "  curl chunked PUT: HTTP %{http_code}\\n",
                        "-T", "-", "-H", "Transfer-Encoding: chunked", url], input=data, check=True)
    # 2) botocore aws-chunked upload with a trailing checksum
    #    (STREAMING-UNSIGNED-PAYLOAD-TRAILER).  botocore only picks the trailer
    #    variant over https; over plain http it falls back to a header checksum.
    #    A documented before-call hook flips the resolved checksum location to
    #    "trailer" so botocore's own AwsChunkedWrapper + signer produce it.
    def force_trailer(params, **kw):
        algo = params.get("context", {}).get("checksum", {}).get("request_algorithm")
        if isinstance(algo, dict):
            algo["in"] = "trailer"
    s3.meta.events.register("before-call.s3.PutObject", force_trailer)
    call("put_object aws-chunked trailer", s3.put_object, Bucket=BUCKET, Key="chunked/aws-chunked.txt",
         Body=io.BytesIO(data))


def cooked(ep="http://127.0.0.1:8004"):
    sts = client("sts", ep)
    call("sts get_caller_identity (SigV4, form POST)", sts.get_caller_identity)
    sqs = client("sqs", ep)
    call("sqs send_message (SigV4, JSON POST)", sqs.send_message,
         QueueUrl=ep + "/123456789012/queue", MessageBody="hi there")
    s3v2 = client("s3", ep, signature_version="s3")
    call("s3 SigV2 put_object", s3v2.put_object, Bucket=BUCKET, Key="v2/test.txt", Body=b"sigv2 body")
    call("s3 SigV2 get_object", s3v2.get_object, Bucket=BUCKET, Key="v2/test.txt")["Body"].read()
    call("s3 SigV2 get_object deny/", s3v2.get_object, Bucket=BUCKET, Key="deny/v2.txt")


def cookedv1(ep="http://127.0.0.1:8004"):
    # The same kinds of signed requests as `cooked`, captured as Linux cooked v1 (SLL).
    sts = client("sts", ep)
    call("sts get_caller_identity (SigV4, form POST)", sts.get_caller_identity)
    s3 = client("s3", ep)
    call("s3 SigV4 put_object", s3.put_object, Bucket=BUCKET, Key="v1/test.txt", Body=b"sll v1 body")
    call("s3 SigV4 get_object", s3.get_object, Bucket=BUCKET, Key="v1/test.txt")["Body"].read()


def headbody(ep="http://127.0.0.1:8005"):
    # HEAD then GET on one kept-alive connection to `server.py --head-body`, which writes
    # `<ok/>` after its HEAD response. urllib3 (so botocore) would see the unread bytes and
    # open a new connection for the GET; http.client reuses the connection as it is, so the
    # stray bytes stay on the wire in front of the GET's response, as with a client that
    # pipelines. The requests are signed by botocore's S3 SigV4 signer.
    import http.client
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signer = S3SigV4Auth(Credentials(AKID, SECRET), "s3", REGION)
    conn = http.client.HTTPConnection(ep.split("//", 1)[1], timeout=10)
    path = f"/{BUCKET}/headbody/object.txt"
    for method in ("HEAD", "GET"):
        req = AWSRequest(method=method, url=ep + path)
        signer.add_auth(req)
        conn.request(method, path, headers=dict(req.headers.items()))
        try:
            r = conn.getresponse()
            r.read()
            print(f"  {method}: HTTP {r.status}")
        except http.client.HTTPException as e:
            # The GET's response is read from `<ok/>HTTP/1.1 200 OK`.
            print(f"  {method}: {type(e).__name__} (expected after the stray HEAD body)")
    conn.close()


def ipv6(ep="http://[::1]:8003"):
    s3 = client("s3", ep)
    call("get_object", s3.get_object, Bucket=BUCKET, Key="v6/object.txt")["Body"].read()
    call("put_object", s3.put_object, Bucket=BUCKET, Key="v6/object.txt", Body=b"over ipv6")
    curl("-g", ep + "/" + BUCKET + "/public/anonymous.txt")  # anonymous, no Authorization
    # curl's own SigV4 implementation (independent from botocore)
    curl("-g", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{AKID}:{SECRET}",
         "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
         ep + "/" + BUCKET + "/v6/curl-sigv4.txt")


def nano(ep="http://127.0.0.1:8003"):
    s3 = client("s3", ep)
    call("get_object", s3.get_object, Bucket=BUCKET, Key="nano/a.txt")["Body"].read()
    call("head_object deny/", s3.head_object, Bucket=BUCKET, Key="deny/nano.txt")


if __name__ == "__main__":
    print(f"botocore {botocore.__version__}: {sys.argv[1]}")
    globals()[sys.argv[1]]()
