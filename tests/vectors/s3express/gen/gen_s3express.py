"""Real S3 Express One Zone requests from botocore, captured on the wire by tcpdump.

    bash tests/vectors/s3express/gen/generate.sh      # root: tcpdump on the loopback interface

botocore (the pin in requirements.txt) talks to a directory bucket (`bucket--usw2-az1--x-s3`)
through `endpoint_url` at the loopback stand-in `s3x_server.py`, which answers CreateSession
with session credentials and 200s the rest. botocore's own S3 Express code decides everything
on the wire: `S3ExpressIdentityResolver`/`S3ExpressIdentityCache` (botocore/utils.py) call
CreateSession, `S3ExpressAuth` (botocore/auth.py) signs with the session secret and adds
`x-amz-s3session-token`, `S3ExpressQueryAuth` presigns with `X-Amz-S3session-Token`. Nothing
here computes a signature.

The three faulty requests are also signed by botocore's signer classes, given the credentials
a faulty client would give them:
- `expired`: `S3ExpressAuth` with the session credentials of a bucket whose session the server
  makes last 2 seconds, used 3 seconds later;
- `security-token`: `S3SigV4Auth` (service `s3express`) with the session credentials: the
  token goes in `X-Amz-Security-Token`, not `x-amz-s3session-token`;
- `iam-credentials`: `S3ExpressAuth` with the IAM key pair and the session's token (a
  CopyObject or a presigned URL signed with the credentials that signed CreateSession).
"""

import os
import sys
import time
import urllib.request

from botocore.auth import S3ExpressAuth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session
import botocore.session

PORT = int(sys.argv[1])
BASE = "http://127.0.0.1:%d" % PORT
REGION = "us-west-2"
BUCKET = "bucket--usw2-az1--x-s3"
SHORT = "short--usw2-az1--x-s3"
IAM_ACCESS_KEY = "AKIDS3EXPRESSEXAMPLE"
IAM_SECRET = "iamSecretForS3Express/EXAMPLE+bPxRfiCYKEY"


def client():
    s = botocore.session.get_session()
    return s.create_client(
        "s3",
        region_name=REGION,
        endpoint_url=BASE,
        aws_access_key_id=IAM_ACCESS_KEY,
        aws_secret_access_key=IAM_SECRET,
    )


def send(auth, method, url, body=b""):
    req = AWSRequest(method=method, url=url, data=body)
    auth.add_auth(req)
    resp = URLLib3Session().send(req.prepare())
    print(method, url, resp.status_code, file=sys.stderr)


def main():
    c = client()
    # CreateSession, then PutObject and GetObject signed with the session.
    c.put_object(Bucket=BUCKET, Key="hello.txt", Body=b"hello, directory bucket\n")
    c.get_object(Bucket=BUCKET, Key="hello.txt")["Body"].read()
    # A presigned GET (S3ExpressQueryAuth), fetched by urllib.
    url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "hello.txt"})
    urllib.request.urlopen(url).read()
    session = c.create_session(Bucket=BUCKET)["Credentials"]
    creds = Credentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    obj = "%s/%s/hello.txt" % (BASE, BUCKET)
    # The token in the header STS credentials use.
    send(S3SigV4Auth(creds, "s3express", REGION), "GET", obj)
    # The IAM key pair with the session's token.
    iam = Credentials(IAM_ACCESS_KEY, IAM_SECRET, session["SessionToken"])
    send(S3ExpressAuth(iam, "s3express", REGION, identity_cache=None), "GET", obj)
    # A session used after it expired.
    short = c.create_session(Bucket=SHORT)["Credentials"]
    time.sleep(3)
    sc = Credentials(short["AccessKeyId"], short["SecretAccessKey"], short["SessionToken"])
    send(S3ExpressAuth(sc, "s3express", REGION, identity_cache=None), "GET",
         "%s/%s/hello.txt" % (BASE, SHORT))


if __name__ == "__main__":
    main()
