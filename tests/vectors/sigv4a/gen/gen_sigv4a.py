"""Real SigV4A (AWS4-ECDSA-P256-SHA256) requests from botocore + awscrt, captured on the wire.

    bash tests/vectors/sigv4a/gen/generate.sh

Every signature comes from awscrt (through botocore's signers); nothing here signs. Each case
is written as <case>.http (the exact bytes received by a capture server on 127.0.0.1, the one
of tests/vectors/real/gen/common.py) and <case>.json (credentials, region set, signer). SigV4A
signatures are randomised: a new run gives other signatures, and other dates.
"""

import json
import os
import sys
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "real", "gen"))

import awscrt  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402,F401  (botocore.crt.auth needs it imported first)
import botocore.session  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.crt.auth import CrtS3SigV4AsymQueryAuth, CrtSigV4AsymAuth  # noqa: E402
from botocore.httpsession import URLLib3Session  # noqa: E402

from common import CaptureServer  # noqa: E402

# The signer class botocore picked, recorded rather than assumed: an S3 client given
# signature_version='v4a' signs with the generic CrtSigV4AsymAuth, not CrtS3SigV4AsymAuth.
USED = []
_add_auth = CrtSigV4AsymAuth.add_auth


def _recording_add_auth(self, request):
    USED.append(type(self).__name__)
    return _add_auth(self, request)


CrtSigV4AsymAuth.add_auth = _recording_add_auth

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI"
SERVER = CaptureServer(port=0)
BASE = "http://127.0.0.1:%d" % SERVER.port


def take_one():
    reqs = SERVER.requests
    if len(reqs) != 1:
        sys.exit("expected one request on the wire, got %d" % len(reqs))
    raw = reqs[0]
    del reqs[:]
    return raw


def wire_region_set(raw):
    """The region set the signer put on the wire (header, or presigned parameter)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "x-amz-region-set":
            return v.strip()
    target = head.split(" ")[1]
    q = urllib.parse.parse_qs(target.partition("?")[2])
    return q["X-Amz-Region-Set"][0]


def write(case, raw, mode, how, asked, token=None, notes=""):
    region_set = wire_region_set(raw)
    signer = "%s (%s)" % ("/".join(USED), how)
    del USED[:]
    with open(os.path.join(OUT, case + ".http"), "wb") as f:
        f.write(raw)
    doc = {
        "case": case,
        "generator": "gen_sigv4a.py: botocore %s, awscrt %s" % (botocore.__version__, awscrt.__version__),
        "signer": signer,
        "mode": mode,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "session_token": token,
        "region_set": region_set,
        "region_asked": asked,
        "notes": notes,
    }
    with open(os.path.join(OUT, case + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print("%-28s %-14s %s" % (case, mode, region_set))


def s3_client(region, token=None):
    return botocore.session.get_session().create_client(
        "s3",
        region_name=region,
        endpoint_url=BASE,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
        config=Config(
            signature_version="v4a",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 0, "mode": "standard"},
        ),
    )


def quiet(call):
    """The capture server's empty 200 makes some parsers raise after the request was sent."""
    try:
        call()
    except Exception:  # noqa: BLE001
        pass


def explicit(case, region_set, token=None, method="GET", body=None, notes=""):
    """botocore's generic SigV4A signer on a request of service `service` (not S3 rules)."""
    creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
    req = AWSRequest(method=method, url=BASE + "/path/to/thing?list-type=2&prefix=a%20b",
                     data=body, headers={"Content-Type": "application/json"} if body else {})
    CrtSigV4AsymAuth(creds, "service", region_set).add_auth(req)
    URLLib3Session().send(req.prepare())
    write(case, take_one(), "sigv4a-header", "add_auth on a request", region_set, token, notes)


def main():
    c = s3_client("us-west-2")
    quiet(lambda: c.get_object(Bucket="bucket", Key="folder/key with space.txt"))
    write("s3-get-object", take_one(), "sigv4a-header", "S3 client, signature_version v4a",
          "us-west-2", notes="S3 client in us-west-2 with signature_version v4a: region set *, and the path encoded twice (the generic signer's rule, not S3's): S3 would refuse it for this key")
    quiet(lambda: c.put_object(Bucket="bucket", Key="k.json", Body=b'{"a": 1}\n'))
    write("s3-put-object", take_one(), "sigv4a-header", "S3 client, signature_version v4a",
          "us-west-2", notes="a signed body")
    # botocore's generate_presigned_url refuses `v4a-query`: its query signer, directly.
    pre = AWSRequest(method="GET", url=BASE + "/bucket/k.txt")
    CrtS3SigV4AsymQueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-west-2", expires=900).add_auth(pre)
    quiet(lambda: urllib.request.urlopen(pre.url).read())
    write("s3-presigned-get", take_one(), "sigv4a-query", "add_auth on a request",
          "us-west-2", notes="presigned URL fetched by urllib")
    ct = s3_client("eu-central-1", TOKEN)
    quiet(lambda: ct.head_object(Bucket="bucket", Key="k.txt"))
    write("s3-head-session-token", take_one(), "sigv4a-header", "S3 client, signature_version v4a",
          "eu-central-1", TOKEN, notes="session credentials: x-amz-security-token signed")
    explicit("service-region-star", "*", notes="region set * (every region)")
    explicit("service-region-list", "us-east-1,us-west-2", method="POST", body=b'{"x": 1}',
             notes="a region set of two regions and a body")


if __name__ == "__main__":
    main()
