#!/usr/bin/env python3
"""Prints SigV4-signed HTTP/1.1 requests (botocore's signer), for clients that send raw
bytes (openssl s_client). Usage: signed.py HOST PATH...  → one request per PATH, on stdout,
each preceded by a line "--" so the caller can split them."""
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def main():
    host = sys.argv[1]
    for path in sys.argv[2:]:
        req = AWSRequest(method="GET", url="https://%s%s" % (host, path))
        SigV4Auth(CREDS, "s3", "us-east-1").add_auth(req)
        p = req.prepare()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host]
        lines += ["%s: %s" % (k, v) for k, v in p.headers.items() if k.lower() != "host"]
        sys.stdout.write("--\n" + "\r\n".join(lines) + "\r\n\r\n")


if __name__ == "__main__":
    main()
