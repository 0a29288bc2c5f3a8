"""Fixtures signed by python-keystoneclient's own Ec2Signer (the signer the
keystone server uses to *verify* EC2 signatures) and sent with urllib.

v0/v1/v2 use the inputs of keystoneclient's unit tests
(keystoneclient/tests/unit/test_ec2utils.py), so the signatures equal the
values those tests expect.  v4-post-legacy is a SigV4 POST signed by the
0.9.0 signer (form parameters in the canonical query).
"""

import datetime
import hashlib
import urllib.parse
import urllib.request

import common

GROUP = "keystoneclient"

UT_ACCESS = "966afbde20b84200ae4e62e09acf46b2"
UT_SECRET = "89cdf9e94e2643cab35b8b8ac5a51f83"


def attempt(fn):
    try:
        return fn()
    except Exception as e:
        return e


def send_get(path, params, host_header):
    url = "http://127.0.0.1:%d%s?%s" % (common.PORT, path,
                                       urllib.parse.urlencode(params))
    req = urllib.request.Request(url, headers={"Host": host_header,
                                               "User-Agent": "urllib"})
    attempt(lambda: urllib.request.urlopen(req).read())


def run(srv, logs):
    current = common.keystone_module("keystone")
    legacy = common.keystone_module("keystone-legacy")
    cur_lib = common.KS_LIBRARY["keystone"]
    leg_lib = common.KS_LIBRARY["keystone-legacy"]

    def meta(mode, lib, knob, notes, access, secret):
        return {"generator": lib + ".generate()", "mode": mode,
                "access_key": access, "secret_key": secret,
                "session_token": None, "knob": knob, "notes": notes}

    def query_case(case, mode, params, knob, notes, sha1=False):
        credentials = {"host": "127.0.0.1", "verb": "GET", "path": "/v1/",
                       "params": dict(params)}
        signer = current.Ec2Signer(UT_SECRET)
        if sha1:
            # exactly what test_generate_v2_SHA1 does
            signer.hmac_256 = None
        del common.KS_LOG[:]
        sig = signer.generate(credentials)
        _, sts = common.ks_strings("2")
        # the signer may add SignatureMethod to the params it signed (v2);
        # send what it signed, plus the signature.
        wire = dict(credentials["params"])
        wire["Signature"] = sig
        send_get("/v1/", sorted(wire.items()), "127.0.0.1")
        raw = srv.take_one(case)
        m = meta(mode, cur_lib + (" (hmac_256=None)" if sha1 else ""),
                 knob, notes, UT_ACCESS, UT_SECRET)
        m["client"] = {"canonical_request": None, "string_to_sign": sts,
                       "signature": sig}
        m["verifiers"] = common.keystone_verifiers(raw, UT_SECRET)
        common.write_case(GROUP, case, raw, m)

    query_case("v0", "query-v0",
               {"SignatureVersion": "0", "AWSAccessKeyId": UT_ACCESS,
                "Timestamp": "2012-11-27T11:47:02Z", "Action": "Foo"},
               "query-v0",
               "keystoneclient unit-test inputs for v0 (HMAC-SHA1 over "
               "Action+Timestamp); expected SmXQEZAUdQw5glv5mX8mmixBtas=. "
               "Sent as a GET with the params in the query.")
    query_case("v1", "query-v1",
               {"SignatureVersion": "1", "AWSAccessKeyId": UT_ACCESS},
               "query-v1-case-insensitive-sort",
               "keystoneclient unit-test inputs for v1; expected "
               "VRnoQH/EhVTTLhwRLfuL7jmFW9c=.")
    query_case("v2-sha256", "query-v2",
               {"SignatureVersion": "2", "AWSAccessKeyId": UT_ACCESS},
               "query-v2-signature-method",
               "keystoneclient unit-test inputs for v2 (the signer adds "
               "SignatureMethod=HmacSHA256 itself); expected "
               "odsGmT811GffUO0Eu13Pq+xTzKNIjJ6NhgZU74tYX/w=. Sent with "
               "'Host: 127.0.0.1' (no port), the host the test signs.")
    query_case("v2-sha1", "query-v2",
               {"SignatureVersion": "2", "AWSAccessKeyId": UT_ACCESS},
               "query-v2-signature-method",
               "keystoneclient unit-test v2 SHA1 (signer.hmac_256=None, "
               "so SignatureMethod=HmacSHA1); expected "
               "ZqCxMI4ZtTXWI175743mJ0hy/Gc=. Both keystone versions "
               "overwrite SignatureMethod with HmacSHA256 when verifying, so "
               "they reject what their own signer produced; the spec honours "
               "SignatureMethod.", sha1=True)

    # ------------------------------------------------------------ v4 POST
    case = "v4-post-legacy"
    amz_date = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    params = {"Action": "PutMetricData", "Version": "2010-08-01",
              "Namespace": "system/linux",
              "MetricData.member.1.MetricName": "MemoryUtilization",
              "MetricData.member.1.Unit": "Percent",
              "MetricData.member.1.Value": "45.3"}
    body = urllib.parse.urlencode(sorted(params.items())).encode()
    host = "127.0.0.1:%d" % common.PORT
    ctype = "application/x-www-form-urlencoded; charset=utf-8"
    auth_prefix = ("AWS4-HMAC-SHA256 Credential=%s/%s/RegionOne/cloudwatch/"
                   "aws4_request,SignedHeaders=content-type;host;x-amz-date,"
                   % (common.ACCESS_KEY, amz_date[:8]))
    credentials = {"host": host, "verb": "POST", "path": "/v1/",
                   "params": dict(params),
                   "headers": {"Host": host, "X-Amz-Date": amz_date,
                               "Content-Type": ctype,
                               "Authorization": auth_prefix},
                   "body_hash": hashlib.sha256(body).hexdigest()}
    del common.KS_LOG[:]
    sig = legacy.Ec2Signer(common.SECRET_KEY).generate(credentials)
    cr, sts = common.ks_strings("4")
    req = urllib.request.Request(
        "http://%s/v1/" % host, data=body, method="POST",
        headers={"Content-Type": ctype, "X-Amz-Date": amz_date,
                 "Authorization": auth_prefix + "Signature=" + sig,
                 "User-Agent": "urllib"})
    attempt(lambda: urllib.request.urlopen(req).read())
    raw = srv.take_one(case)
    m = meta("sigv4-header", leg_lib, "post-form-params-in-canonical-query",
             "The mirror of the seed case: a SigV4 form POST signed by "
             "keystoneclient 0.9.0, which sorts the form parameters into the "
             "canonical query. keystone-legacy accepts, current keystoneclient "
             "(and the spec, botocore, boto2) sign an empty canonical query "
             "and reject. Authorization uses ',' without spaces, as the "
             "keystoneclient tests do.",
             common.ACCESS_KEY, common.SECRET_KEY)
    m["client"] = {"canonical_request": cr, "string_to_sign": sts,
                   "signature": sig}
    m["verifiers"] = common.keystone_verifiers(raw, common.SECRET_KEY)
    common.write_case(GROUP, case, raw, m)
    return []
