"""boto 2's SigV2 form (`S3Connection.build_post_form_args`), printed as JSON field pairs.

boto 2.49.0 builds this form on Python 2 only (on Python 3 it base64-encodes a str and
fails), so gen_postpolicy.py runs this under a Python 2.7 with boto==2.49.0 on its path.

    python2.7 gen_boto2.py HOST PORT ACCESS_KEY SECRET_KEY EXPIRES_IN
"""
import json
import sys

import boto
import boto.s3.connection

host, port, ak, sk, expires = sys.argv[1:6]
conn = boto.s3.connection.S3Connection(
    ak, sk, host=host, port=int(port), is_secure=False,
    calling_format=boto.s3.connection.OrdinaryCallingFormat())
args = conn.build_post_form_args("bucket", "uploads/${filename}", expires_in=int(expires),
                                 acl="private", max_content_length=1024)
print(json.dumps({"boto": boto.__version__,
                  "fields": [[f["name"], f["value"]] for f in args["fields"]]}))
