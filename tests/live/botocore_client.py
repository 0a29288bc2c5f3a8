"""Real botocore clients against `sigscope listen` (driven by tests/live/botocore.rs).

    botocore_client.py ENDPOINT_URL ACCESS_KEY SECRET CASE...

Each CASE runs one API call with botocore's own signer and prints one JSON line with what
botocore logged while signing (its DEBUG "CanonicalRequest:" / "StringToSign:" records),
the HTTP status and the raw response body, so the Rust test compares our 403 bodies with
botocore's own strings.

Cases: s3v4-create (CreateBucket examplebucket), s3v4-put, s3v4-get, s3v2-put, s3v2-get, query-post (STS GetCallerIdentity, a SigV4
form POST), s3v4-put-eu (signed for eu-west-1), s3v4-put-large (256 KiB from a file object, sent with Expect: 100-continue).
S3 Express One Zone, on the directory bucket bucket--usw2-az1--x-s3 (botocore's own
CreateSession through S3ExpressIdentityResolver, then S3ExpressAuth with the session):
s3express-put, s3express-get; s3express-iam signs a GetObject with botocore's S3ExpressAuth
given the IAM key pair and the session's token (the wrong credentials).
"""
import io
import json
import logging
import sys

import botocore.session
from botocore.auth import S3ExpressAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session
from botocore.exceptions import ClientError


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())

    def last(self, prefix):
        for m in reversed(self.records):
            if m.startswith(prefix):
                return m[len(prefix):]
        return None


def main():
    endpoint, ak, sk = sys.argv[1:4]
    cap = Capture()
    log = logging.getLogger("botocore.auth")
    log.setLevel(logging.DEBUG)
    log.addHandler(cap)
    session = botocore.session.get_session()
    raw = {}

    def after_call(http_response=None, **kw):
        raw["status"] = http_response.status_code
        raw["body"] = http_response.content.decode("utf-8", "replace")

    session.register("after-call.*.*", after_call)

    def client(service, sigv, region="us-east-1"):
        cfg = Config(
            signature_version=sigv,
            retries={"total_max_attempts": 1},
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return session.create_client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id=ak,
            aws_secret_access_key=sk,
            config=cfg,
        )

    def express():
        # No signature_version: botocore picks S3 Express session auth for a directory bucket.
        cfg = Config(retries={"total_max_attempts": 1},
                     request_checksum_calculation="when_required",
                     response_checksum_validation="when_required")
        return session.create_client("s3", region_name="us-west-2", endpoint_url=endpoint,
                                     aws_access_key_id=ak, aws_secret_access_key=sk, config=cfg)

    bucket = "bucket--usw2-az1--x-s3"
    for case in sys.argv[4:]:
        cap.records.clear()
        raw.clear()
        error_code = None
        try:
            if case == "s3v4-put-eu":
                # Signed for eu-west-1: an endpoint in us-east-1 answers
                # AuthorizationHeaderMalformed with <Region>, and botocore's own S3 region
                # redirector re-signs for that region and retries.
                c = client("s3", "s3v4", region="eu-west-1")
                c.put_object(Bucket="examplebucket", Key="live/eu.txt", Body=b"eu\n")
            elif case == "s3v4-create":
                # The bucket the other cases use, on a real server that starts empty.
                client("s3", "s3v4").create_bucket(Bucket="examplebucket")
            elif case.startswith("s3v4") or case.startswith("s3v2"):
                c = client("s3", "s3v4" if case.startswith("s3v4") else "s3")
                if case.endswith("-put"):
                    c.put_object(Bucket="examplebucket", Key="live/test object.txt",
                                 Body=b"hello from botocore\n", ContentType="text/plain")
                elif case.endswith("-put-large"):
                    # A file-like body: botocore adds Expect: 100-continue.
                    c.put_object(Bucket="examplebucket", Key="live/large.bin",
                                 Body=io.BytesIO(bytes(range(256)) * 1024))
                else:
                    c.head_object(Bucket="examplebucket", Key="live/test object.txt")
            elif case == "s3express-put":
                express().put_object(Bucket=bucket, Key="live.txt", Body=b"hello, express\n")
            elif case == "s3express-get":
                express().get_object(Bucket=bucket, Key="live.txt")["Body"].read()
            elif case == "s3express-iam":
                created = express().create_session(Bucket=bucket)["Credentials"]
                token = created["SessionToken"]
                raw["session_secret"] = created["SecretAccessKey"]
                req = AWSRequest(method="GET", url="%s/%s/live.txt" % (endpoint, bucket))
                S3ExpressAuth(Credentials(ak, sk, token), "s3express", "us-west-2",
                              identity_cache=None).add_auth(req)
                r = URLLib3Session().send(req.prepare())
                raw["status"] = r.status_code
                raw["body"] = r.content.decode("utf-8", "replace")
            elif case == "query-post":
                c = client("sts", "v4")
                c.get_caller_identity()
            else:
                sys.exit("unknown case " + case)
        except ClientError as e:
            error_code = e.response.get("Error", {}).get("Code")
        sts = cap.last("StringToSign:\n")
        print(json.dumps({
            "case": case,
            "status": raw.get("status"),
            "error_code": error_code,
            "canonical_request": cap.last("CanonicalRequest:\n"),
            "string_to_sign": sts,
            "body": raw.get("body"),
            "session_secret": raw.get("session_secret"),
        }), flush=True)


if __name__ == "__main__":
    main()
