#!/usr/bin/env python3
"""Signs what sigscope re-signed, with the client library behind each dialect.

usage: sign.py < cases.jsonl      (one JSON object per line in, one per line out)

Run by tests/replay/reference.rs with the venv's Python (SIGSCOPE_VENV, the pins
of tests/live/requirements.txt: botocore 1.43.11, boto 2.49.0).  Each case is a
request as sigscope re-signed it; the library computes the signature of the same
request at the same time with the same secret, and the test compares:

  {"lib": "boto2-query", "version": 1|2, "access": AK, "secret": S,
   "verb": "GET", "host": "h:port", "path": "/", "params": {name: value}}
      boto 2.49 QuerySignatureV1AuthHandler / QuerySignatureV2AuthHandler
      ._calc_signature (boto/auth.py): what boto 2 sends as Signature.

  {"lib": "botocore-sigv4", "access": AK, "secret": S, "method": "POST",
   "url": "http://h/path?q", "headers": [[name, value], ...], "body_b64": "...",
   "signed": ["host", ...], "amz_date": "YYYYMMDDTHHMMSSZ", "region": R,
   "service": S}
      botocore 1.43.11 SigV4Auth (botocore/auth.py) with the request's
      X-Amz-Date as its timestamp and the headers the request names in
      SignedHeaders (as a server signs what the client says it signed).

Out: {"signature": "..."} per case.  Nothing here is sigscope's code.
"""

import base64
import json
import sys


def boto2_query(c):
    import boto.auth
    import boto.provider
    provider = boto.provider.Provider("aws", c["access"], c["secret"])
    cls = {1: boto.auth.QuerySignatureV1AuthHandler,
           2: boto.auth.QuerySignatureV2AuthHandler}[c["version"]]
    handler = cls(c["host"], None, provider)
    params = dict(c["params"])
    _qs, sig = handler._calc_signature(params, c["verb"], c["path"], c["host"])
    return sig.decode() if isinstance(sig, bytes) else sig


def botocore_sigv4(c):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    class Signer(SigV4Auth):
        def headers_to_sign(self, request):
            hm = HTTPHeaders()
            for name in c["signed"]:
                for v in request.headers.get_all(name) or [""]:
                    hm[name] = v
            return hm

    hdrs = HTTPHeaders()
    for k, v in c["headers"]:
        hdrs[k] = v
    r = AWSRequest(method=c["method"], url=c["url"], headers=hdrs,
                   data=base64.b64decode(c["body_b64"]))
    r.context["timestamp"] = c["amz_date"]
    s = Signer(Credentials(c["access"], c["secret"]), c["service"], c["region"])
    cr = s.canonical_request(r)
    return s.signature(s.string_to_sign(r, cr), r)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        c = json.loads(line)
        fn = {"boto2-query": boto2_query, "botocore-sigv4": botocore_sigv4}[c["lib"]]
        print(json.dumps({"signature": fn(c)}), flush=True)


if __name__ == "__main__":
    main()
