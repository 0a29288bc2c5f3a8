"""Prints a wrk Lua script sending one S3 GetObject signed now by botocore (SigV4) for
HOST:PORT, so the endpoint under test verifies it as valid (for the 15 minutes a
signature is fresh).

    sign.py HOST:PORT ACCESS_KEY SECRET MAX_REQUESTS_PER_THREAD
"""
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

host, ak, sk, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
req = AWSRequest(method="GET", url="http://%s/examplebucket/bench/object.txt" % host)
S3SigV4Auth(Credentials(ak, sk), "s3", "us-east-1").add_auth(req)
lua = ['wrk.method = "GET"', 'wrk.path = "/examplebucket/bench/object.txt"',
       'wrk.headers["Host"] = "%s"' % host]
for k, v in req.headers.items():
    lua.append('wrk.headers["%s"] = "%s"' % (k, v))
# Bounded in count as well as time: each thread stops after MAX_REQUESTS_PER_THREAD.
lua += ["local n = 0",
        "function response(status, headers, body)",
        "  n = n + 1",
        "  if n >= %d then wrk.thread:stop() end" % limit,
        "end"]
print("\n".join(lua))
