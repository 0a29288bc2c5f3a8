#!/usr/bin/env python3
"""Builds tests/diagnosis/expected.json from tshark's reading of the capture.

usage: expected.py REQUESTS.tsv RESPONSES.tsv > expected.json

One entry per HTTP request, in capture order, with the status the server
(or the proxy, relaying it) really answered; the scenario, cause and the
finding codes sigscope should produce come from the table below, keyed by
the object key / port each scenario uses (see clients.py).

expect_findings: the diagnosis codes that `sigscope report --credentials
tests/diagnosis/credentials` must produce for this exchange (an empty list:
no failure finding at all).  expect_findings_without_secret: the same with an
empty credentials file, where it differs.  expect_findings_with_dialect:
{dialect: codes} for `--dialect DIALECT` runs, where one matters.

expect_verdict: the verdict under the aws verifier with the secret (without it every
exchange here is "unverified").  expect_first / expect_first_without_secret: the code of
the finding the list and the report lead with (the first finding that is not "no-secret"
or "decoded-only"; null for none), from the planted cause: what an operator must read
first.  expect_message_contains(_without_secret): {code: [text, ...]}: words the finding of
that code must hold, where the diagnosis must name a rule or a planted value.
"""
import csv
import json
import sys
import urllib.parse

from expected_new import classify_new

CLIENT_LEG = "client -> proxy (the request as the client signed it; the server's answer relayed)"
SERVER_LEG = "proxy -> server (the request as the server received it)"


def proxied(client_leg):
    """The two legs of a request a proxy altered after signing.

    client -> proxy: the request verifies as sent; the server's strings (relayed
    in its 403) differ from it at the altered header: request-altered, and
    server-strings-differ, which is true as well.  Without the secret only the
    latter can be known.
    proxy -> server: the received request does not verify with the right key and
    the server's strings equal the received request's: with the secret the
    alteration search must find the change (request-altered), and nothing may
    claim the key differs.  Without the secret the same capture holds the
    client -> proxy leg with the same signature: comparing the two legs shows
    the change (request-altered), and strings-agree-key-differs would be wrong
    (the key is right)."""
    if client_leg:
        return dict(leg=CLIENT_LEG, expect_findings=["request-altered", "server-strings-differ"],
                    expect_findings_without_secret=["server-strings-differ"],
                    verdict="valid", first="request-altered",
                    first_without_secret="server-strings-differ")
    return dict(leg=SERVER_LEG, expect_findings=["request-altered"],
                expect_findings_without_secret=["request-altered"],
                verdict="invalid", first="request-altered",
                first_without_secret="request-altered")


def classify(dport, method, path, query, auth):
    key = path.rsplit("/", 1)[-1]
    presigned = "X-Amz-Signature=" in query or "Signature=" in query
    if dport == 8003:
        return dict(scenario="a-seed-keystone-legacy", expect_findings=["server-likely-dialect"],
                    expect_findings_with_dialect={
                        "keystone-legacy": ["dialect-mismatch", "server-likely-dialect"]},
                    expect_findings_without_secret=[],
                    verdict="valid", first="server-likely-dialect",
                    # heat's 403 carries no strings: only the hint that boto 2 leaves the
                    # form's Content-Type unsigned (catalogue 2.1) is left to show
                    first_without_secret="proxy-sensitive-header-unsigned",
                    cause="boto 2.49 cfn-push-stats put_metric_data (SigV4 POST, params in the "
                          "form body) to heat whose keystone verifies with python-keystoneclient "
                          "0.9.0: that Ec2Signer puts the body params into the canonical query, so "
                          "it computes another signature than boto2 (LP#1360892). The request is "
                          "valid AWS SigV4.")
    if dport == 8004:
        return dict(scenario="a-seed-keystone-current", expect_findings=[], verdict="valid",
                    cause="the same cfn-push-stats request to heat verifying with the current "
                          "python-keystoneclient, which canonicalises like boto2: accepted.")
    if key == "b-wrong-secret.txt":
        return dict(scenario="b-wrong-secret", expect_findings=["signature-unexplained", "strings-agree-key-differs"],
                    expect_findings_without_secret=["strings-agree-key-differs"],
                    verdict="invalid", first="signature-unexplained",
                    first_without_secret="strings-agree-key-differs",
                    cause="botocore signed with a stale secret for AKIDEXAMPLE; the server's "
                          "StringToSign equals the client's, only the key differs. "
                          "tests/diagnosis/credentials holds the server's (true) secret.")
    if key == "c-host-rewrite.txt":
        return dict(scenario="c-host-rewritten", **proxied(dport == 9200),
                    cause="botocore signed host:127.0.0.1:9200; the proxy on 9200 rewrote Host to "
                          "127.0.0.1 (port dropped) before forwarding, so the server's "
                          "CanonicalRequest has host:127.0.0.1.")
    if key == "d-content-type.txt":
        return dict(scenario="d-content-type-rewritten",
                    **proxied(dport == 9201),
                    cause="botocore SigV4 PUT signed content-type:text/plain; the proxy on 9201 "
                          "replaced it with application/octet-stream.")
    if key == "d-content-type-sigv2.txt":
        return dict(scenario="d-content-type-added-sigv2",
                    **proxied(dport == 9201),
                    cause="botocore SigV2 GET without Content-Type (SigV2 always signs the "
                          "Content-Type line, empty here); the proxy on 9201 added "
                          "Content-Type: application/octet-stream.")
    if key == "e-clock-skew.txt":
        return dict(scenario="e-clock-skew", expect_findings=["clock-skew"], verdict="valid",
                    first="clock-skew",
                    cause="botocore's signing clock was one hour behind (X-Amz-Date = now - 1h): "
                          "S3 answers RequestTimeTooSkewed (15 min allowed).")
    if key == "f-region.txt":
        if "/eu-west-1/" in auth:
            return dict(scenario="f-region-mismatch", expect_findings=["region-mismatch"],
                        verdict="valid", first="region-mismatch",
                        cause="botocore client with region_name='eu-west-1' against the "
                              "us-east-1 server: AuthorizationHeaderMalformed, Region us-east-1.")
        return dict(scenario="f-region-mismatch-redirected", expect_findings=[], verdict="valid",
                    cause="botocore's S3 region redirector read <Region>us-east-1</Region> from "
                          "the 400 and re-signed the request for us-east-1: accepted.")
    if key == "g-payload.txt":
        return dict(scenario="g-payload-hash", expect_findings=["payload-hash-mismatch"],
                    verdict="valid", first="payload-hash-mismatch",
                    cause="a before-send hook changed the PUT body after signing (same length): "
                          "x-amz-content-sha256 no longer matches the body: "
                          "XAmzContentSHA256Mismatch.")
    if key == "h-presigned-expired.txt":
        return dict(scenario="h-presigned-expired", expect_findings=["presigned-expired"],
                    verdict="valid", first="presigned-expired",
                    cause="botocore presigned URL (SigV4 query, X-Amz-Expires=1) fetched with "
                          "urllib 3 s later: AccessDenied, Request has expired.")
    if key == "i-unknown-key.txt":
        # no secret is known for AKIDUNKNOWN, with the credentials file or without
        return dict(scenario="i-unknown-access-key", expect_findings=["access-key-unknown"],
                    verdict="unverified", first="access-key-unknown",
                    cause="botocore signed with access key AKIDUNKNOWN, which the server does not "
                          "know: InvalidAccessKeyId.")
    if key.startswith("j-control"):
        kind = ("SigV4 presigned GET (urllib)" if presigned else
                "SigV2 header" if auth.startswith("AWS ") else "SigV4 header")
        return dict(scenario="j-control", expect_findings=[], verdict="valid",
                    cause="a valid botocore %s %s: accepted." % (kind, method))
    new = classify_new(dport, method, path, query, auth)
    if new is not None:
        return new
    raise SystemExit("expected.py: unclassified request %s %s %s" % (dport, method, path))


def main():
    with open(sys.argv[2], newline="") as f:
        responses = [(int(r["frame.number"]), r["tcp.stream"], int(r["http.response.code"]))
                     for r in csv.DictReader(f, delimiter="\t")]

    def final_status(frame, stream):
        # the first final (non-1xx) response after the request on its connection
        # (tshark's http.response_in may point at an interim 100 Continue)
        for rf, rs, code in responses:
            if rf > frame and rs == stream and code >= 200:
                return code
        return None
    out = []
    with open(sys.argv[1], newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            uri = r["http.request.uri"]
            path, _, query = uri.partition("?")
            e = classify(int(r["tcp.dstport"]), r["http.request.method"],
                         urllib.parse.unquote(path), query, r["http.authorization"])
            first = e.pop("first", None)
            entry = {"scenario": e.pop("scenario"), "method": r["http.request.method"],
                     "path": path, "host": r["http.host"], "frame": int(r["frame.number"]),
                     "status": final_status(int(r["frame.number"]), r["tcp.stream"]), "cause": e.pop("cause"),
                     "expect_findings": e.pop("expect_findings"), "with_secret": True,
                     "expect_verdict": e.pop("verdict"), "expect_first": first,
                     "expect_first_without_secret": e.pop("first_without_secret", first)}
            # words a finding must hold (the rule it names, a planted value): {code: [text]}
            says = e.pop("says", None)
            if says:
                entry["expect_message_contains"] = says
            says_wo = e.pop("says_without_secret", None)
            if says_wo:
                entry["expect_message_contains_without_secret"] = says_wo
            without = e.pop("expect_findings_without_secret", None)
            if without is not None and without != entry["expect_findings"]:
                entry["expect_findings_without_secret"] = without
            entry.update(e)
            out.append(entry)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
