"""Fixtures signed by boto 2 (boto==2.49.0) and captured on the wire.

Every request is made through a real boto2 connection class pointed at the
capture server (127.0.0.1:PORT, is_secure=False).  The canonical request /
string to sign come from boto's own DEBUG log ('boto' logger) or, where boto
does not log it, from recording what boto passes to its own sign_string /
hmac objects.
"""

import base64
import urllib.parse
import urllib.request

import common
import recorders

import boto
import boto.connection
import boto.utils
from boto.regioninfo import RegionInfo
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.sdb.connection import SDBConnection
from boto.s3.connection import S3Connection, OrdinaryCallingFormat

GROUP = "boto2"
VERSION = boto.__version__

# boto.UserAgent embeds the local Python/OS version; pin it so the captured
# bytes do not depend on the machine (the value is not signed by any boto2
# signer).  It keeps the real "Boto/2.49.0" prefix, which matters to
# keystone's Boto/2.x.[0-2] port-strip check.
FIXED_UA = "Boto/%s Python/3.11.7 Linux/fixture" % VERSION


def _setup():
    boto.connection.UserAgent = FIXED_UA
    boto.UserAgent = FIXED_UA


class HmacV4Conn(boto.connection.AWSAuthConnection):
    """A plain boto2 connection that signs with HmacAuthV4Handler."""

    def _required_auth_capability(self):
        return ["hmac-v4"]


class QueryV1Conn(boto.connection.AWSQueryConnection):
    APIVersion = "2010-08-01"

    def _required_auth_capability(self):
        return ["sign-v1"]


class QueryV0Conn(boto.connection.AWSQueryConnection):
    APIVersion = "2010-08-01"

    def _required_auth_capability(self):
        return ["sign-v0"]


def creds():
    return dict(aws_access_key_id=common.ACCESS_KEY,
                aws_secret_access_key=common.SECRET_KEY)


def base_meta(handler, mode, knob, notes, token=None):
    return {
        "generator": "boto %s %s" % (VERSION, handler),
        "mode": mode,
        "access_key": common.ACCESS_KEY,
        "secret_key": common.SECRET_KEY,
        "session_token": token,
        "knob": knob,
        "notes": notes,
    }


def sigv4_client(logs, raw):
    cr = logs.block("CanonicalRequest:\n")
    sts = logs.block("StringToSign:\n")
    sig = logs.block("Signature:\n")
    return {"canonical_request": cr, "string_to_sign": sts, "signature": sig}


def query_sig_from_wire(raw):
    """The Signature parameter as boto put it on the wire, decoded."""
    head, _, body = raw.partition(b"\r\n\r\n")
    target = head.split(b"\r\n")[0].split(b" ")[1].decode()
    qs = urllib.parse.urlparse(target).query
    params = urllib.parse.parse_qs(qs)
    if "Signature" not in params and body:
        params = urllib.parse.parse_qs(body.decode())
    return params["Signature"][0]


def attempt(fn):
    try:
        fn()
    except Exception as e:  # the empty 200 reply makes boto's parsers fail
        return e
    return None


def run(srv, logs):
    _setup()
    port = srv.port
    skipped = []

    # ---------------------------------------------------------------- 1
    case = "cfn-push-stats-post"
    logs.reset()
    cw = CloudWatchConnection(
        region=RegionInfo(name="heat", endpoint="127.0.0.1"), port=port,
        path="/v1/", is_secure=False, **creds())
    attempt(lambda: cw.put_metric_data(
        "system/linux", "MemoryUtilization", value=45.3, unit="Percent",
        dimensions={"AutoScalingGroupName": "WebServerGroup"}))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV4Handler (CloudWatchConnection.put_metric_data)",
                  "sigv4-header",
                  "post-form-params-in-canonical-query",
                  "What heat-cfntools cfn-push-stats sends to heat's "
                  "CloudWatch API: SigV4 POST, params in the form body, empty "
                  "canonical query. boto2 derives the scope from the host "
                  "name 127.0.0.1 (region '0', service '127'). Old keystone "
                  "(0.9.0) sorts the body params into the canonical query and "
                  "rejects it; current keystoneclient accepts (LP#1360892)."),
        client=sigv4_client(logs, raw),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    # ---------------------------------------------------------------- 2
    case = "sigv4-get-query"
    logs.reset()
    cw = CloudWatchConnection(
        region=RegionInfo(name="heat", endpoint="127.0.0.1"), port=port,
        path="/v1/", is_secure=False, **creds())
    attempt(lambda: cw.make_request(
        "ListMetrics",
        {"Namespace": "system/linux", "MetricName": "Memory Utilization",
         "Dimensions.member.1.Name": "InstanceId",
         "Dimensions.member.1.Value": "i-0~a_b.c"},
        path="/", verb="GET"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV4Handler (CloudWatchConnection.make_request GET)",
                  "sigv4-header", "canonical-query-encoding",
                  "SigV4 GET with the parameters in the URL query (space, "
                  "'/', '~' in values). Both keystone versions build the same "
                  "canonical query as boto2 and accept."),
        client=sigv4_client(logs, raw),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    # ---------------------------------------------------------------- 3
    case = "sigv4-path-dotslash"
    logs.reset()
    c = HmacV4Conn("127.0.0.1", port=port, is_secure=False, **creds())
    attempt(lambda: c.make_request("GET", "/./"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV4Handler (AWSAuthConnection.make_request)",
                  "sigv4-header", "canonical-uri-normalisation",
                  "Path '/./' on the wire. boto2 canonicalises it with "
                  "posixpath.normpath and re-appends the trailing slash: '//'. "
                  "The spec (botocore) normalises to '/', keystone uses '/./' "
                  "verbatim, so all three differ."),
        client=sigv4_client(logs, raw),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    case = "sigv4-path-doubleslash"
    logs.reset()
    c = HmacV4Conn("127.0.0.1", port=port, is_secure=False,
                   suppress_consec_slashes=False, **creds())
    attempt(lambda: c.make_request("GET", "//example//"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV4Handler (AWSAuthConnection.make_request, "
                  "suppress_consec_slashes=False)",
                  "sigv4-header", "canonical-uri-normalisation",
                  "Path '//example//' on the wire. posixpath.normpath keeps "
                  "a leading '//' so boto2 signs '//example/'; the spec "
                  "signs '/example/'; keystone signs '//example//'."),
        client=sigv4_client(logs, raw),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    # ---------------------------------------------------------------- 4
    case = "sigv4-header-quotes"
    logs.reset()
    c = HmacV4Conn("127.0.0.1", port=port, is_secure=False, **creds())
    attempt(lambda: c.make_request(
        "GET", "/v1/",
        headers={"X-Amz-Meta-Quoted": 'say   "hello   world"  twice'}))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV4Handler (AWSAuthConnection.make_request)",
                  "sigv4-header", "header-value-trimall",
                  "A signed x-amz-* header whose value contains a double "
                  "quote and runs of spaces. boto2 only strips such a value "
                  "(no folding); the spec/botocore fold runs of spaces; "
                  "keystoneclient only strips too, so it agrees with boto2."),
        client=sigv4_client(logs, raw),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    # ---------------------------------------------------------------- 5
    # Query signature v2: SimpleDB is the boto2 client that still uses
    # QuerySignatureV2AuthHandler ('sdb' capability).
    def sdb(endpoint="127.0.0.1"):
        return SDBConnection(
            region=RegionInfo(name="us-east-1", endpoint=endpoint),
            port=port, is_secure=False, **creds())

    def v2_client(rec):
        return {"canonical_request": None,
                "string_to_sign": rec["sts"],
                "signature": rec["sig"]}

    def record_sign_string(conn):
        """Wrap the auth handler's own hmac (boto's _get_hmac) to record the
        exact string it HMACs."""
        rec = {"log": []}
        h = conn._auth_handler
        orig = h._get_hmac

        def _get_hmac():
            return recorders.RecordingHmac(orig(), rec["log"], "hmac")
        h._get_hmac = _get_hmac
        return rec

    case = "query-v2-post"
    logs.reset()
    conn = sdb()
    rec = record_sign_string(conn)
    domain = conn.get_domain("my domain", validate=False)
    attempt(lambda: conn.batch_put_attributes(
        domain, {"item 1": {"colour": "blue~green", "size": "a b"}}))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("QuerySignatureV2AuthHandler (SDBConnection."
                  "batch_put_attributes)", "query-v2",
                  "query-v2-host-and-encoding",
                  "Query signature v2 (HmacSHA256) POST, all parameters and "
                  "Signature in the form body. boto2's query connections send "
                  "(and sign) 'Host: 127.0.0.1' without the port they "
                  "connect to."),
        client=v2_client({"sts": recorders.joined(rec["log"], "hmac")
                          .decode("utf-8"),
                          "sig": query_sig_from_wire(raw)}),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    case = "query-v2-get"
    logs.reset()
    conn = sdb()
    rec = record_sign_string(conn)
    attempt(lambda: conn.get_all_domains(max_domains=10))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("QuerySignatureV2AuthHandler (SDBConnection."
                  "get_all_domains)", "query-v2",
                  "query-v2-host-and-encoding",
                  "Query signature v2 (HmacSHA256) GET, parameters and "
                  "Signature in the URL query."),
        client=v2_client({"sts": recorders.joined(rec["log"], "hmac")
                          .decode("utf-8"),
                          "sig": query_sig_from_wire(raw)}),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    case = "query-v2-host-case"
    logs.reset()
    conn = sdb(endpoint="LOCALHOST")
    rec = record_sign_string(conn)
    attempt(lambda: conn.get_all_domains(max_domains=10))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("QuerySignatureV2AuthHandler (SDBConnection."
                  "get_all_domains, endpoint 'LOCALHOST')", "query-v2",
                  "query-v2-host-case",
                  "Endpoint spelled in upper case: the Host header says "
                  "'LOCALHOST:port' but boto2 lower-cases the host in the "
                  "string to sign. keystoneclient (and botocore SigV2Auth) "
                  "use the host verbatim, so they reject."),
        client=v2_client({"sts": recorders.joined(rec["log"], "hmac")
                          .decode("utf-8"),
                          "sig": query_sig_from_wire(raw)}),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    case = "query-v1"
    logs.reset()
    conn = QueryV1Conn(host="127.0.0.1", port=port, is_secure=False,
                       path="/v1/", **creds())
    rec = record_sign_string(conn)
    attempt(lambda: conn.make_request(
        "ListMetrics", {"Zeta": "z", "alpha": "a b", "Beta": "x/y"},
        path="/", verb="GET"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("QuerySignatureV1AuthHandler (AWSQueryConnection "
                  "subclass with capability sign-v1)", "query-v1",
                  "query-v1-case-insensitive-sort",
                  "Signature v1: HMAC-SHA1 over name+value pairs sorted "
                  "case-insensitively, no separators, no encoding. Mixed-case "
                  "names (alpha/Beta/Zeta) sort differently from v2's byte "
                  "order."),
        client=v2_client({"sts": recorders.joined(rec["log"], "hmac")
                          .decode("utf-8"),
                          "sig": query_sig_from_wire(raw)}),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    case = "query-v0"
    logs.reset()
    conn = QueryV0Conn(host="127.0.0.1", port=port, is_secure=False,
                       path="/v1/", **creds())
    err = attempt(lambda: conn.make_request("Foo", {}, path="/",
                                            verb="GET"))
    srv.reset()
    if err is not None and isinstance(err, (AttributeError, TypeError)):
        skipped.append((GROUP + "/" + case,
                        "boto 2.49.0 QuerySignatureV0AuthHandler cannot run "
                        "on Python 3: %s: %s" % (type(err).__name__, err)))
    else:
        raise RuntimeError("query-v0 unexpectedly worked; write the case")

    # ---------------------------------------------------------------- 6 S3
    def s3(**kw):
        return S3Connection(host="127.0.0.1", port=port, is_secure=False,
                            calling_format=OrdinaryCallingFormat(),
                            **dict(creds(), **kw))

    def s3v2_client(rec_or_logs=None, sts=None, sig=None):
        return {"canonical_request": None, "string_to_sign": sts,
                "signature": sig}

    def auth_header_sig(raw):
        for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
            k, v = line.split(b":", 1)
            if k.strip().lower() == b"authorization":
                return v.strip().decode().rsplit(":", 1)[1]
        return None

    case = "s3-sigv2-put"
    logs.reset()
    conn = s3()
    bucket = conn.get_bucket("examplebucket", validate=False)
    key = bucket.new_key("photos/puppy 1.jpg")
    attempt(lambda: key.set_contents_from_string(
        b"fake jpeg bytes\n",
        headers={"Content-Type": "image/jpeg",
                 "x-amz-meta-reviewedby": "joe@johnsmith.net",
                 "x-amz-meta-filechecksum": "0x02661779"},
        policy="public-read"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV1Handler (S3Connection, OrdinaryCallingFormat, "
                  "Key.set_contents_from_string)", "sigv2-header",
                  "s3v2-amz-headers-and-resource",
                  "S3 SigV2 PUT with body, Content-MD5, Content-Type, "
                  "x-amz-acl and x-amz-meta-* headers; path-style resource "
                  "with a space in the key."),
        client=s3v2_client(sts=logs.block("StringToSign:\n"),
                           sig=auth_header_sig(raw))))

    case = "s3-sigv2-subresource"
    logs.reset()
    conn = s3()
    bucket = conn.get_bucket("examplebucket", validate=False)
    attempt(lambda: bucket.get_acl("photos/puppy.jpg"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV1Handler (S3Connection, Bucket.get_acl)",
                  "sigv2-header", "s3v2-subresource-list",
                  "GET ?acl on an object: 'acl' is a sub-resource in every "
                  "implementation's list, so it is part of the canonical "
                  "resource."),
        client=s3v2_client(sts=logs.block("StringToSign:\n"),
                           sig=auth_header_sig(raw))))

    case = "s3-sigv2-subresource-encryption"
    logs.reset()
    conn = s3()
    attempt(lambda: conn.make_request("GET", "examplebucket",
                                      query_args="encryption"))
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV1Handler (S3Connection.make_request, "
                  "query_args='encryption')", "sigv2-header",
                  "s3v2-subresource-list",
                  "GET ?encryption: boto2's qsa_of_interest has "
                  "'encryptionConfig' but not 'encryption', so the "
                  "sub-resource is left out of the string to sign; Ceph RGW "
                  "and MinIO include it."),
        client=s3v2_client(sts=logs.block("StringToSign:\n"),
                           sig=auth_header_sig(raw))))

    case = "s3-sigv2-presigned"
    logs.reset()
    conn = s3()
    signed = []
    h = conn._auth_handler
    orig_sign = h.sign_string

    def sign_string(s):
        signed.append(s)
        return orig_sign(s)
    h.sign_string = sign_string
    url = conn.generate_url(3600, "GET", "examplebucket", "photos/puppy.jpg",
                            response_headers={
                                "response-content-type": "image/jpeg"})
    req = urllib.request.Request(url, headers={"User-Agent": "urllib"})
    attempt(lambda: urllib.request.urlopen(req).read())
    raw = srv.take_one(case)
    common.write_case(GROUP, case, raw, dict(
        base_meta("HmacAuthV1Handler.sign_string via S3Connection."
                  "generate_url (query auth), fetched with urllib",
                  "sigv2-query", "s3v2-presigned-expires",
                  "Presigned S3 SigV2 URL (Expires replaces the Date line) "
                  "with a response-content-type override sub-resource; "
                  "frozen clock + 3600 s."),
        client=s3v2_client(sts=signed[-1],
                           sig=query_sig_from_wire(raw))))

    case = "s3-sigv4-put"
    logs.reset()
    boto.config.add_section("s3") if not boto.config.has_section("s3") \
        else None
    boto.config.set("s3", "use-sigv4", "True")
    try:
        conn = s3()
        # boto2 cannot derive an S3 region from an IP host name
        # (S3HmacAuthV4Handler.determine_region_name finds no 's3' label and
        # fails); set the handler's own region_name, the same attribute its
        # constructor takes.
        conn._auth_handler.region_name = "us-east-1"
        bucket = conn.get_bucket("examplebucket", validate=False)
        key = bucket.new_key("test$file.text")
        attempt(lambda: key.set_contents_from_string(
            b"Welcome to Amazon S3.",
            headers={"x-amz-storage-class": "REDUCED_REDUNDANCY"}))
        raw = srv.take_one(case)
    finally:
        boto.config.remove_option("s3", "use-sigv4")
    common.write_case(GROUP, case, raw, dict(
        base_meta("S3HmacAuthV4Handler (S3Connection with [s3] use-sigv4, "
                  "Key.set_contents_from_string)", "sigv4-header",
                  "s3-sigv4-signed-headers",
                  "boto2's S3 SigV4 signs every header except Authorization "
                  "(Content-MD5, Content-Type, Content-Length, User-Agent, "
                  "Expect...) and re-quotes the path with safe='/~' ('$' -> "
                  "%24). With a non-default port it sends and signs "
                  "'Host: 127.0.0.1:PORT:PORT' (server_name() already has the "
                  "port, host_header() appends it again). keystone rejects: "
                  "it signs the path as webob re-quotes it ('$' kept)."),
        client=sigv4_client(logs, raw),
        verifiers=common.keystone_verifiers(raw, common.SECRET_KEY)))

    return skipped
