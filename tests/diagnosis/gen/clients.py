#!/usr/bin/env python3
"""The real clients of tests/diagnosis/scenarios.pcap, one scenario after another.

usage: clients.py [SCENARIO ...]     (default: all, in capture order)

Every request goes to a server or proxy started by make.sh on 127.0.0.1;
nothing leaves loopback.  The failures are the point: each scenario prints
the status and error code it got.  See ../README.md for what each one is.
"""
import contextlib
import datetime
import email.utils
import io
import os
import subprocess
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
import requests
from aws_requests_auth.aws_auth import AWSRequestsAuth
from requests_aws4auth import AWS4Auth

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WRONG_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEYX"   # a stale copy of the key
BUCKET = "diagbucket"
S3 = "http://127.0.0.1:9100"
HOST_PROXY = "http://127.0.0.1:9200"
CTYPE_PROXY = "http://127.0.0.1:9201"
S3_BOTO2_V2 = "http://127.0.0.1:9102"      # the S3-like server, SigV2 verified by boto 2's rules
DATE_PROXY = "http://127.0.0.1:9202"
PATH_PROXY = "http://127.0.0.1:9203"
HEADER_PROXY = "http://127.0.0.1:9204"
UNSEEN_DATE_PROXY = "http://127.0.0.1:9205"  # its client side is not captured
RGW = "http://127.0.0.1:7480"              # Ceph RGW 16.2 (../shared/servers)
HERE = os.path.dirname(os.path.abspath(__file__))

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


def req(label, method, url, auth, **kw):
    """One request through python-requests with a signing plugin (no retries)."""
    try:
        r = requests.request(method, url, auth=auth, timeout=10, **kw)
        code = ""
        if r.status_code >= 400 and b"<Code>" in r.content:
            code = r.content.split(b"<Code>")[1].split(b"<")[0].decode()
        print("  %-40s HTTP %s %s" % (label, r.status_code, code))
    except requests.RequestException as e:
        print("  %-40s %s" % (label, type(e).__name__))


def aws4auth():
    return AWS4Auth(AKID, SECRET, "us-east-1", "s3")


def aws_requests_auth(endpoint):
    host = endpoint.split("//", 1)[1]
    return AWSRequestsAuth(aws_access_key=AKID, aws_secret_access_key=SECRET, aws_host=host,
                           aws_region="us-east-1", aws_service="s3")


def curl(label, method, url, data=None):
    """curl's own SigV4 signer (--aws-sigv4), the system curl. It sends no
    x-amz-content-sha256 of its own (RGW 16.2 then reads UNSIGNED-PAYLOAD where curl signed
    the body's hash), so it is given one, UNSIGNED-PAYLOAD, which curl signs and uses as the
    payload hash: the path is then the only thing the servers can disagree on."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method,
           "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "%s:%s" % (AKID, SECRET),
           "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url]
    if data is not None:
        cmd[1:1] = ["--data-binary", data]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    print("  %-40s HTTP %s" % (label, out))


def js(endpoint, *keys):
    """The AWS SDK for JavaScript v3 (js_client.cjs; NODE_PATH from make.sh)."""
    sys.stdout.flush()
    subprocess.run(["node", os.path.join(HERE, "js_client.cjs"), endpoint] + list(keys),
                   check=False, env=dict(os.environ, NODE_NO_WARNINGS="1"))


def with_amz_date(client):
    """A botocore SigV2 client that also sends X-Amz-Date (RFC 1123, as S3's SigV2 takes
    it), set before signing: HmacV1Auth still signs the Date header it adds itself."""
    def add(request, **kw):
        request.headers["X-Amz-Date"] = email.utils.formatdate(usegmt=True)
    client.meta.events.register("before-sign.s3", add)
    return client


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


def k_date_shift():
    req("aws4auth GET via date-shifting proxy", "GET",
        DATE_PROXY + "/diagbucket/k-date-shifted.txt", aws4auth())
    call("SigV2 get_object via date proxy", s3client(DATE_PROXY, signature_version="s3")
         .get_object, Bucket=BUCKET, Key="k-date-shifted-sigv2.txt")
    # the same through a proxy whose client side is not captured: one leg only
    req("aws4auth GET via unseen date proxy", "GET",
        UNSEEN_DATE_PROXY + "/diagbucket/k-date-shifted-unseen.txt", aws4auth())
    call("SigV2 get_object via unseen date proxy",
         s3client(UNSEEN_DATE_PROXY, signature_version="s3").get_object, Bucket=BUCKET,
         Key="k-date-shifted-unseen-sigv2.txt")


def l_path_reencode():
    js(PATH_PROXY, "l-a=b@c~d.txt")


def m_query_plus():
    req("aws4auth GET ?prefix=m+plus -> 9100", "GET", S3 + "/diagbucket?prefix=m+plus",
        aws4auth())
    req("aws4auth GET ?prefix=m+plus -> RGW", "GET", RGW + "/diagbucket?prefix=m+plus",
        aws4auth())
    req("aws-requests-auth GET ?prefix=m+plus -> RGW", "GET",
        RGW + "/diagbucket?prefix=m+plus", aws_requests_auth(RGW))


def n_path_plus():
    req("aws4auth PUT n+plus.txt -> 9100", "PUT", S3 + "/diagbucket/n+plus.txt", aws4auth(),
        data=b"a plus in the key\n")
    req("aws4auth PUT n+plus.txt -> RGW", "PUT", RGW + "/diagbucket/n+plus.txt", aws4auth(),
        data=b"a plus in the key\n")
    curl("curl PUT n+plus-curl.txt -> RGW", "PUT", RGW + "/diagbucket/n+plus-curl.txt",
         "a plus in the key, by curl\n")
    curl("curl PUT n+plus-curl.txt -> 9100", "PUT", S3 + "/diagbucket/n+plus-curl.txt",
         "a plus in the key, by curl\n")


def o_duplicate_keys():
    for where, base in (("RGW", RGW), ("9100", S3)):
        req("aws4auth GET ?tag=b&tag=a -> " + where, "GET", base + "/diagbucket",
            aws4auth(), params=[("tag", "b"), ("tag", "a")])


def p_unsigned_header():
    call("put_object via x-amz-meta-adding proxy", s3client(HEADER_PROXY).put_object,
         Bucket=BUCKET, Key="p-unsigned-header.txt", Body=b"tagged on the way\n")


def q_sigv2_date_line():
    call("SigV2 + X-Amz-Date -> boto2-rules server",
         with_amz_date(s3client(S3_BOTO2_V2, signature_version="s3")).get_object,
         Bucket=BUCKET, Key="q-sigv2-date-line.txt")
    call("SigV2 + X-Amz-Date -> 9100 (botocore)",
         with_amz_date(s3client(signature_version="s3")).get_object,
         Bucket=BUCKET, Key="q-sigv2-date-line.txt")


def r_bucket_slash():
    call("SigV2 list_objects (path-style)", s3client(signature_version="s3").list_objects,
         Bucket=BUCKET)


def s_js_control():
    js(S3, "s-js-control.txt")
    js(RGW, "s-js-control.txt")


def t_presigned_v2_plus():
    """A botocore SigV2 presigned URL whose Signature holds a `+` (%2B), fetched with the
    `+` left unescaped, as clients that build URLs by hand do (boto/boto#916). The key is
    the first of t-0.txt, t-1.txt, ... whose signature has one."""
    c = s3client(signature_version="s3")
    for i in range(500):
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET,
                                                             "Key": "t-%d.txt" % i},
                                       ExpiresIn=600)
        if "%2B" in url.partition("Signature=")[2].partition("&")[0]:
            break
    sig = url.partition("Signature=")[2].partition("&")[0]
    fetch("presigned v2 GET, + unescaped", url.replace(sig, sig.replace("%2B", "+")))


def rgw_setup():
    """Before the capture: the bucket and the objects the RGW scenarios read (RGW starts
    empty every time)."""
    c = s3client(RGW)
    c.create_bucket(Bucket=BUCKET)
    for key in ("s-js-control.txt",):
        c.put_object(Bucket=BUCKET, Key=key, Body=b"stored before the capture\n")
    print("rgw: bucket %s ready" % BUCKET)


ORDER = [a_seed, b_wrong_secret, c_host_rewrite, d_content_type, e_clock_skew, f_region,
         g_payload, h_presigned_expired, i_unknown_key, j_control, k_date_shift,
         l_path_reencode, m_query_plus, n_path_plus, o_duplicate_keys, p_unsigned_header,
         q_sigv2_date_line, r_bucket_slash, s_js_control, t_presigned_v2_plus]

if __name__ == "__main__":
    from importlib.metadata import version
    if sys.argv[1:] == ["--setup-rgw"]:
        rgw_setup()
        sys.exit(0)
    print("botocore %s, boto %s, requests %s, requests-aws4auth %s, aws-requests-auth %s"
          % (botocore.__version__, boto.__version__, requests.__version__,
             version("requests-aws4auth"), version("aws-requests-auth")))
    wanted = sys.argv[1:]
    for fn in ORDER:
        if wanted and fn.__name__ not in wanted and fn.__name__[0] not in wanted:
            continue
        print(fn.__name__)
        fn()
        time.sleep(0.3)   # keeps scenarios apart in the capture
