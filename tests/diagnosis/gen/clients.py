#!/usr/bin/env python3
"""The real clients of tests/diagnosis/scenarios.pcap, one scenario after another.

usage: clients.py [SCENARIO ...]     (default: all, in capture order)

Every request goes to a server or proxy started by make.sh on 127.0.0.1;
nothing leaves loopback.  The failures are the point: each scenario prints
the status and error code it got.  See ../README.md for what each one is.
"""
import contextlib
import datetime
import io
import os
import sys
import time
import urllib.error
import urllib.request

import boto
import botocore
import botocore.auth
import botocore.session
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.exception import BotoServerError
from boto.regioninfo import RegionInfo
from botocore.config import Config
from botocore.exceptions import ClientError

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WRONG_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEYX"   # a stale copy of the key
BUCKET = "diagbucket"
S3 = "http://127.0.0.1:9100"
HOST_PROXY = "http://127.0.0.1:9200"
CTYPE_PROXY = "http://127.0.0.1:9201"

# Keep any user AWS config out of it.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
for v in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
          "AWS_DEFAULT_REGION", "AWS_REGION"):
    os.environ.pop(v, None)


def s3client(endpoint=S3, key=AKID, secret=SECRET, region="us-east-1", **cfg):
    base = dict(retries={"max_attempts": 0}, connect_timeout=5, read_timeout=10,
                s3={"addressing_style": "path"})
    base.update(cfg)
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
        aws_secret_access_key=secret, config=Config(**base))


def call(label, fn, **kw):
    try:
        r = fn(**kw)
        if "Body" in r:
            r["Body"].read()
        print("  %-40s HTTP %s" % (label, r["ResponseMetadata"]["HTTPStatusCode"]))
    except ClientError as e:
        print("  %-40s HTTP %s %s" % (label, e.response["ResponseMetadata"].get("HTTPStatusCode"),
                                      e.response.get("Error", {}).get("Code")))


def fetch(label, url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()
            print("  %-40s HTTP %s" % (label, r.status))
    except urllib.error.HTTPError as e:
        e.read()
        print("  %-40s HTTP %s" % (label, e.code))


# ---------------------------------------------------------------- scenarios

def a_seed():
    """boto 2 cfn-push-stats: put_metric_data to heat's CloudWatch API."""
    for port, which in ((8003, "keystoneclient 0.9.0"), (8004, "current keystoneclient")):
        cw = CloudWatchConnection(aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                                  region=RegionInfo(name="heat", endpoint="127.0.0.1"),
                                  port=port, path="/v1/", is_secure=False)
        try:
            cw.put_metric_data("system/linux", "MemoryUtilization", value=45.3, unit="Percent",
                               dimensions={"AutoScalingGroupName": "WebServerGroup"})
            print("  %-40s HTTP 200" % ("put_metric_data -> " + which))
        except BotoServerError as e:
            print("  %-40s HTTP %s %s" % ("put_metric_data -> " + which, e.status, e.error_code))


def b_wrong_secret():
    call("get_object with a wrong secret",
         s3client(secret=WRONG_SECRET).get_object, Bucket=BUCKET, Key="b-wrong-secret.txt")


def c_host_rewrite():
    call("get_object via Host-rewriting proxy",
         s3client(HOST_PROXY).get_object, Bucket=BUCKET, Key="c-host-rewrite.txt")


def d_content_type():
    call("put_object text/plain via c-t proxy", s3client(CTYPE_PROXY).put_object,
         Bucket=BUCKET, Key="d-content-type.txt", Body=b"plain text, signed as such\n",
         ContentType="text/plain")
    call("SigV2 get_object via c-t proxy", s3client(CTYPE_PROXY, signature_version="s3")
         .get_object, Bucket=BUCKET, Key="d-content-type-sigv2.txt")


@contextlib.contextmanager
def signing_clock(delta):
    """Shift only the clock botocore's signers read (botocore.auth imports
    get_current_datetime from botocore.compat)."""
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: real(*a, **k) + delta
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = real


def e_clock_skew():
    c = s3client()
    with signing_clock(datetime.timedelta(hours=-1)):
        call("get_object, signing clock -1h", c.get_object, Bucket=BUCKET,
             Key="e-clock-skew.txt")


def f_region():
    call("get_object signed for eu-west-1", s3client(region="eu-west-1").get_object,
         Bucket=BUCKET, Key="f-region.txt")


def g_payload():
    c = s3client()

    def tamper(request, **kw):
        # after signing: same length, different bytes (Content-Length stays right)
        # (botocore hands the body over as a BytesIO here)
        body = request.body
        data = body.read() if hasattr(body, "read") else body
        data = data.replace(b"v1", b"v2")
        request.body = io.BytesIO(data) if hasattr(body, "read") else data
    c.meta.events.register("before-send.s3.PutObject", tamper)
    call("put_object, body changed after signing", c.put_object, Bucket=BUCKET,
         Key="g-payload.txt", Body=b"config v1: replicas=3\n")


def h_presigned_expired():
    c = s3client(signature_version="s3v4")
    url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET,
                                                         "Key": "h-presigned-expired.txt"},
                                   ExpiresIn=1)
    time.sleep(3)
    fetch("presigned GET 3 s after ExpiresIn=1", url)


def i_unknown_key():
    call("get_object with AKIDUNKNOWN", s3client(key="AKIDUNKNOWN").get_object,
         Bucket=BUCKET, Key="i-unknown-key.txt")


def j_control():
    c = s3client()
    call("put_object (control)", c.put_object, Bucket=BUCKET, Key="j-control.txt",
         Body=b"all is well\n", ContentType="text/plain")
    call("get_object (control)", c.get_object, Bucket=BUCKET, Key="j-control.txt")
    call("SigV2 get_object (control)", s3client(signature_version="s3").get_object,
         Bucket=BUCKET, Key="j-control-sigv2.txt")
    url = s3client(signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "j-control-presigned.txt"},
        ExpiresIn=600)
    fetch("presigned GET (control)", url)


ORDER = [a_seed, b_wrong_secret, c_host_rewrite, d_content_type, e_clock_skew, f_region,
         g_payload, h_presigned_expired, i_unknown_key, j_control]

if __name__ == "__main__":
    print("botocore %s, boto %s" % (botocore.__version__, boto.__version__))
    wanted = sys.argv[1:]
    for fn in ORDER:
        if wanted and fn.__name__ not in wanted and fn.__name__[0] not in wanted:
            continue
        print(fn.__name__)
        fn()
        time.sleep(0.3)   # keeps scenarios apart in the capture
