"""Scenarios k-s of tests/diagnosis (issue 12's "Must show" list): what each exchange
must be diagnosed as, written from the planted cause (see ../README.md and clients.py).

classify_new(dport, method, path, query, auth) -> dict or None (not one of these).

The rules each expectation rests on, with the public file they come from:
* requests-aws4auth 1.4.0 (requests_aws4auth/aws4auth.py): amz_cano_querystring parses the
  query with parse_qs (a raw `+` is a space, signed `%20`) and sorts the values of a name;
  amz_cano_path unquotes an S3 path and quotes it with safe='/~' (a raw `+` is signed `%2B`).
* aws-requests-auth 0.4.3 (aws_requests_auth/aws_auth.py): get_canonical_querystring signs
  the raw pairs as sent, sorted (a `+` stays `+`); signs only host;x-amz-date and sends
  x-amz-content-sha256 unsigned.
* curl 7.88.1 (lib/http_aws_sigv4.c): the path and the query as sent, the query unsorted.
* botocore 1.43.11 (botocore/auth.py): S3SigV4Auth signs the path as sent and, for a URL
  without params, the raw query pairs sorted (_canonical_query_string_url); HmacV1Auth signs
  the Date header it sets itself even beside X-Amz-Date (canonical_standard_headers), and
  the bucket root of a path-style request as `/bucket/` (boto/boto3#4433).
* boto 2.49 (boto/utils.py canonical_string): the SigV2 Date line is empty when x-amz-date
  is sent.
* Ceph RGW 16.2 (src/rgw/rgw_auth_s3.cc; its debug log, rgw-auth.log): the query's `+` is a
  space; of a repeated name only the last value is signed (`tag=a` for `?tag=b&tag=a`); the
  path is decoded and encoded again, a `+` staying a plus (`%2B`); without
  x-amz-content-sha256 the payload is UNSIGNED-PAYLOAD.
"""

CLIENT_LEG = "client -> proxy (the request as the client signed it; the server's answer relayed)"
SERVER_LEG = "proxy -> server (the request as the server received it)"
RGW = 7480


def legs(client_leg, scenario, cause):
    """Both legs of a request a proxy changed after signing (as expected.proxied)."""
    if client_leg:
        return dict(scenario=scenario, leg=CLIENT_LEG, cause=cause,
                    expect_findings=["request-altered", "server-strings-differ"],
                    expect_findings_without_secret=["server-strings-differ"],
                    verdict="valid", first="request-altered",
                    first_without_secret="server-strings-differ")
    return dict(scenario=scenario, leg=SERVER_LEG, cause=cause,
                expect_findings=["request-altered"],
                expect_findings_without_secret=["request-altered"],
                verdict="invalid", first="request-altered",
                first_without_secret="request-altered")


def classify_new(dport, method, path, query, auth):
    key = path.rsplit("/", 1)[-1]
    aws4auth = "SignedHeaders=host;x-amz-content-sha256;x-amz-date," in auth
    if key == "k-date-shifted.txt":
        return legs(dport == 9202, "k-date-shifted",
                    "requests-aws4auth signed X-Amz-Date T; the proxy on 9202 re-stamped it "
                    "T+7 s: the server's string to sign and canonical request carry T+7 s. "
                    "With the secret the server leg verifies once X-Amz-Date is moved back "
                    "7 s.")
    if key == "k-date-shifted-sigv2.txt":
        return legs(dport == 9202, "k-date-shifted-sigv2",
                    "botocore SigV2 signed its Date header; the proxy on 9202 moved it 7 s "
                    "later: the server's StringToSign has the later Date line.")
    if key in ("k-date-shifted-unseen.txt", "k-date-shifted-unseen-sigv2.txt"):
        # Only the proxy -> server leg is captured: with the secret, the widened search must
        # find X-Amz-Date (Date) 7 s off before blaming the secret; without it, the server's
        # strings equal the request's, and a wrong secret cannot be told from a change made
        # before the capture point: the finding must say both.
        return dict(scenario="k-date-shifted-unseen" + ("-sigv2" if "sigv2" in key else ""),
                    leg=SERVER_LEG + "; the client -> proxy leg is not captured",
                    cause="the client signed with its own date; the proxy on 9205 (its client "
                          "side not captured) moved X-Amz-Date (SigV2: Date) 7 s later.",
                    expect_findings=["request-altered"],
                    expect_findings_without_secret=["strings-agree-key-differs"],
                    verdict="invalid", first="request-altered",
                    first_without_secret="strings-agree-key-differs",
                    says={"request-altered": ["7s later"]},
                    says_without_secret={"strings-agree-key-differs": [
                        "another secret", "changed before it reached this capture point"]})
    if key == "l-a=b@c~d.txt":
        if dport == 9203:
            return dict(scenario="l-path-reencoded", leg=CLIENT_LEG,
                        cause="the JS SDK v3 sent /diagbucket/l-a%3Db%40c~d.txt; the proxy on "
                              "9203 decoded %3D and %40 and encoded ~ as %7E; the server signs "
                              "the path as it receives it (botocore's S3SigV4Auth).",
                        expect_findings=["request-altered", "server-strings-differ"],
                        expect_findings_without_secret=["server-strings-differ"],
                        verdict="valid", first="request-altered",
                        first_without_secret="server-strings-differ")
        # The received path decodes to the same key: under aws (S3 decodes and encodes the
        # path again) it still verifies, but this server signs the path as sent (botocore's
        # rule), so it refuses: the earlier leg shows the change, and the server's strings
        # are botocore's.
        return dict(scenario="l-path-reencoded", leg=SERVER_LEG,
                    cause="the re-encoded path as the server received it: valid under aws "
                          "(decoded and encoded again), refused by a server that signs the "
                          "path as sent (botocore's rule).",
                    expect_findings=["request-altered", "server-strings-differ",
                                     "server-likely-dialect"],
                    expect_findings_without_secret=["request-altered", "server-strings-differ"],
                    verdict="valid", first="request-altered")
    if path == "/diagbucket" and query == "prefix=m+plus":
        if dport == 9100:
            return dict(scenario="m-query-plus-server-rule",
                        cause="requests-aws4auth signed prefix=m%20plus (a raw + is a space, "
                              "as AWS reads it); the server signs the raw query as sent "
                              "(prefix=m+plus): a rule of the server, no change in transit; "
                              "moto's rule (botocore re-signing the raw query, issue 20), so "
                              "the server is named after it.",
                        expect_findings=["server-strings-differ", "server-likely-dialect"],
                        expect_findings_without_secret=["server-strings-differ"],
                        verdict="valid", first="server-likely-dialect",
                        # the rule, and no claim of a change
                        says={"server-strings-differ": ["prefix=m+plus", "moto"]})
        if aws4auth:
            return dict(scenario="m-query-plus-rgw", expect_findings=[], verdict="valid",
                        cause="the same requests-aws4auth request to Ceph RGW, which also "
                              "reads a raw + as a space: accepted.")
        return dict(scenario="m-query-plus-client-rule",
                    cause="aws-requests-auth signs the raw pairs as sent (prefix=m+plus); RGW "
                          "reads + as a space (%20) and refuses. moto's dialect signs the "
                          "query as sent (issue 20): with the secret the client's rule is "
                          "named by it, not the secret blamed. RGW's 403 carries no strings.",
                    expect_findings=["dialect-mismatch", "server-likely-dialect"],
                    expect_findings_without_secret=[],
                    verdict="invalid", first="dialect-mismatch",
                    first_without_secret="query-plus",
                    says={"dialect-mismatch": ["signed like moto", "the pairs as sent"]})
    if key == "n+plus.txt":
        if dport == 9100:
            return dict(scenario="n-path-plus-server-rule",
                        cause="requests-aws4auth signed the S3 path with + as %2B (as RGW and "
                              "MinIO read it; aws reads a space); the server signs the path as "
                              "sent (botocore's S3 rule), +.",
                        expect_findings=["dialect-mismatch", "server-strings-differ",
                                         "server-likely-dialect"],
                        expect_findings_without_secret=["server-strings-differ"],
                        verdict="invalid", first="dialect-mismatch",
                        first_without_secret="server-strings-differ",
                        says={"dialect-mismatch": ["a raw `+` in an S3 path"],
                              "server-strings-differ": ["signed as sent under botocore"]})
        return dict(scenario="n-path-plus-rgw",
                    cause="the same requests-aws4auth PUT to RGW, which reads + in a path as a "
                          "plus (%2B): accepted; under aws (a space) it is not valid.",
                    expect_findings=["dialect-mismatch"], expect_findings_without_secret=[],
                    verdict="invalid", first="dialect-mismatch", first_without_secret=None)
    if key == "n+plus-curl.txt":
        if dport == RGW:
            return dict(scenario="n-path-plus-curl-rgw",
                        cause="curl 7.88 signs the path as sent (+); RGW decodes and encodes "
                              "it again (%2B) and refuses; its 403 carries no strings.",
                        expect_findings=["dialect-mismatch", "server-likely-dialect"],
                        expect_findings_without_secret=[],
                        verdict="invalid", first="dialect-mismatch",
                        # curl sends its form Content-Type unsigned
                        first_without_secret="proxy-sensitive-header-unsigned")
        return dict(scenario="n-path-plus-curl-botocore",
                    cause="the same curl PUT to the server that signs the path as sent: "
                          "accepted; under aws (+ read as a space) it is not valid.",
                    expect_findings=["dialect-mismatch"], expect_findings_without_secret=[],
                    verdict="invalid", first="dialect-mismatch", first_without_secret=None)
    if path == "/diagbucket" and query == "tag=b&tag=a":
        if dport == RGW:
            return dict(scenario="o-duplicate-keys-rgw",
                        cause="requests-aws4auth signed tag=a&tag=b (values sorted, as the "
                              "specification says); RGW 16.2 signs tag=a, the last value only "
                              "(its debug log, rgw-auth.log), and refuses; its 403 carries no "
                              "strings.",
                        expect_findings=["server-likely-dialect"],
                        expect_findings_without_secret=[], verdict="valid",
                        first="server-likely-dialect", first_without_secret=None,
                        says={"server-likely-dialect": ["repeated query names", "ceph-rgw"]})
        return dict(scenario="o-duplicate-keys-botocore", expect_findings=[], verdict="valid",
                    cause="the same request to the server that sorts the pairs (botocore's "
                          "_canonical_query_string_url): accepted.")
    if key == "p-unsigned-header.txt":
        cause = ("botocore PUT; the proxy on 9204 added x-amz-meta-via, unsigned; the server "
                 "(S3's rule) refuses any x-amz-* header that is not signed: 403 AccessDenied "
                 "with HeadersNotSigned x-amz-meta-via.")
        if dport == 9204:
            # The server names a header this request does not have: added after this point.
            return dict(scenario="p-unsigned-header-added", leg=CLIENT_LEG, cause=cause,
                        expect_findings=["request-altered"], verdict="valid",
                        first="request-altered",
                        says={"request-altered": ["x-amz-meta-via"]})
        return dict(scenario="p-unsigned-header-added", leg=SERVER_LEG, cause=cause,
                    expect_findings=["request-altered"], verdict="invalid",
                    first="request-altered")
    if key == "q-sigv2-date-line.txt":
        if dport == 9102:
            return dict(scenario="q-sigv2-date-line-server-rule",
                        cause="botocore SigV2 with an X-Amz-Date header: HmacV1Auth signs the "
                              "Date header on line 4; the server (boto 2's canonical_string, "
                              "as aws, boto2 and RGW) leaves the Date line empty when "
                              "x-amz-date is sent. A server-side rule, no change in transit.",
                        expect_findings=["dialect-mismatch", "server-strings-differ",
                                         "server-likely-dialect"],
                        expect_findings_without_secret=["strings-agree-key-differs"],
                        verdict="invalid", first="dialect-mismatch",
                        first_without_secret="strings-agree-key-differs",
                        says={"server-strings-differ": ["SigV2 Date line", "an empty line",
                                                        "aws, boto2, ceph-rgw"]},
                        says_without_secret={"strings-agree-key-differs": [
                            "botocore and minio sign line 4"]})
        return dict(scenario="q-sigv2-date-line-botocore",
                    cause="the same request to the server verifying with botocore's own "
                          "HmacV1Auth: accepted; under aws (empty Date line) it is not valid.",
                    expect_findings=["dialect-mismatch"], expect_findings_without_secret=[],
                    verdict="invalid", first="dialect-mismatch", first_without_secret=None)
    if path == "/diagbucket" and query == "encoding-type=url":
        return dict(scenario="r-botocore-bucket-slash",
                    cause="botocore SigV2 ListObjects, path-style: it signs /diagbucket/ for a "
                          "request to /diagbucket (boto/boto3#4433); the server signs the path "
                          "it received (HmacV1Auth without botocore's auth_path).",
                    expect_findings=["dialect-mismatch", "server-strings-differ",
                                     "server-likely-dialect"],
                    expect_findings_without_secret=["strings-agree-key-differs"],
                    verdict="invalid", first="dialect-mismatch",
                    first_without_secret="strings-agree-key-differs",
                    says={"dialect-mismatch": ["boto/boto3#4433"]},
                    says_without_secret={"strings-agree-key-differs": [
                        "botocore signs line 5 as `/diagbucket/`"]})
    if key.startswith("t-") and "Signature=" in query:
        # Not a contract code: the fact itself explains the refusal, with the secret or not.
        return dict(scenario="t-presigned-v2-plus-unescaped",
                    cause="a botocore SigV2 presigned URL fetched with the + of its Signature "
                          "unescaped; the server decodes the query as a form (parse_qsl), "
                          "reads a space and refuses. The signature as written verifies.",
                    expect_findings=[], verdict="valid", first="signature-plus-unescaped",
                    says={"signature-plus-unescaped": ["boto/boto#916"]})
    if key == "s-js-control.txt":
        return dict(scenario="s-js-control", expect_findings=[], verdict="valid",
                    cause="a valid JS SDK v3 GetObject (to the botocore verifier, then to "
                          "RGW): accepted.")
    return None
