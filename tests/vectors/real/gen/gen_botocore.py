"""Fixtures signed by botocore (pinned in requirements.txt) and captured on
the wire.

Requests go through real botocore clients (endpoint_url pointing at the
capture server) or, for the path-encoding case, through an AWSRequest signed
with botocore.auth.SigV4Auth and sent with botocore's own URLLib3Session.
Canonical request / string to sign come from the 'botocore.auth' DEBUG log.
"""

import urllib.parse
import urllib.request
import uuid

import common

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.httpsession
import botocore.session
from botocore.config import Config

GROUP = "botocore"
VERSION = botocore.__version__

# botocore's default User-Agent embeds the local OS/Python/feature ids;
# pin it (it is never signed: SIGNED_HEADERS_BLACKLIST).
FIXED_UA = "Botocore/%s sigscope-fixture" % VERSION

_real_uuid4 = uuid.uuid4


def _fixed_uuid4():
    # amz-sdk-invocation-id is a random uuid4 per call; make it stable.
    return uuid.UUID("00000000-0000-4000-8000-000000000001")


def creds_meta(mode, signer, knob, notes, token=None):
    return {
        "generator": "botocore %s %s" % (VERSION, signer),
        "mode": mode,
        "access_key": common.ACCESS_KEY,
        "secret_key": common.SECRET_KEY,
        "session_token": token,
        "knob": knob,
        "notes": notes,
    }


def attempt(fn):
    try:
        return fn()
    except Exception as e:  # the empty 200 reply makes parsers fail
        return e


def v4_client(logs):
    return {"canonical_request": logs.block("CanonicalRequest:\n"),
            "string_to_sign": logs.block("StringToSign:\n"),
            "signature": logs.block("Signature:\n")}


def header_value(raw, name):
    for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        k, v = line.split(b":", 1)
        if k.strip().lower() == name.lower().encode():
            return v.strip().decode()
    return None


def wire_params(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    target = head.split(b"\r\n")[0].split(b" ")[1].decode()
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(target).query,
                                         keep_blank_values=True))
    if body and (header_value(raw, "content-type") or "").startswith(
            "application/x-www-form-urlencoded"):
        params.update(urllib.parse.parse_qsl(body.decode(),
                                             keep_blank_values=True))
    return params


def run(srv, logs):
    uuid.uuid4 = _fixed_uuid4
    try:
        return _run(srv, logs)
    finally:
        uuid.uuid4 = _real_uuid4


def _run(srv, logs):
    port = srv.port
    endpoint = "http://127.0.0.1:%d" % port
    session = botocore.session.Session()

    def client(service, token=None, **cfg):
        return session.create_client(
            service, region_name="us-east-1", endpoint_url=endpoint,
            aws_access_key_id=common.ACCESS_KEY,
            aws_secret_access_key=common.SECRET_KEY,
            aws_session_token=token,
            config=Config(user_agent=FIXED_UA,
                          retries={"total_max_attempts": 1}, **cfg))

    def s3(**cfg):
        return client("s3", s3={"addressing_style": "path"}, **cfg)

    def case_v4(case, fn, signer, knob, notes, mode="sigv4-header",
                token=None, verify=True):
        logs.reset()
        attempt(fn)
        raw = srv.take_one(case)
        meta = creds_meta(mode, signer, knob, notes, token)
        meta["client"] = v4_client(logs)
        if verify:
            meta["verifiers"] = common.keystone_verifiers(
                raw, common.SECRET_KEY)
        common.write_case(GROUP, case, raw, meta)
        return raw

    # ---------------------------------------------------------------- 7
    case_v4("sigv4-get-query",
            lambda: client("lambda").list_functions(Marker="a b+c~d",
                                                    MaxItems=5),
            "SigV4Auth (lambda ListFunctions, rest-json GET)",
            "canonical-query-encoding",
            "Generic-service SigV4 GET whose query has a space, '+' and "
            "'~' (sent as %20, %2B, ~). Both keystone versions build the "
            "same canonical query and accept.")

    case_v4("sigv4-post-form",
            lambda: client("iam").list_users(PathPrefix="/engineering/"),
            "SigV4Auth (iam ListUsers, query protocol POST)",
            "post-form-params-in-canonical-query",
            "Query-protocol POST with a form body; botocore signs "
            "content-type too and leaves the canonical query empty. "
            "keystone 0.9.0 puts the body params in the canonical query and "
            "rejects; current keystoneclient accepts.")

    # SigV4 on a generic service with a path that is already percent-encoded:
    # botocore normalises and encodes it a second time.
    case = "sigv4-path-encoding"
    logs.reset()
    credentials = botocore.credentials.Credentials(common.ACCESS_KEY,
                                                   common.SECRET_KEY)
    req = botocore.awsrequest.AWSRequest(
        method="GET",
        url=endpoint + "/example%20space/50%25/./a+b~c//d",
        params={"k": "v w"},
        headers={"User-Agent": FIXED_UA})
    botocore.auth.SigV4Auth(credentials, "service", "us-east-1").add_auth(req)
    attempt(lambda: botocore.httpsession.URLLib3Session().send(req.prepare()))
    raw = srv.take_one(case)
    meta = creds_meta("sigv4-header",
                      "SigV4Auth(service='service', region='us-east-1') on an "
                      "AWSRequest, sent with botocore.httpsession."
                      "URLLib3Session",
                      "canonical-uri-double-encoding",
                      "Path '/example%20space/50%25/./a+b~c//d': botocore "
                      "removes dot segments and '//' and then percent-encodes "
                      "the already-encoded path again (%20 -> %2520, '+' -> "
                      "%2B). keystone uses webob's re-quoted path as is "
                      "(single encoding, no normalisation) and rejects. The "
                      "params dict {'k': 'v w'} goes on the wire as k=v+w but "
                      "is signed as k=v%20w.")
    meta["client"] = v4_client(logs)
    meta["verifiers"] = common.keystone_verifiers(raw, common.SECRET_KEY)
    common.write_case(GROUP, case, raw, meta)

    # ---------------------------------------------------------------- 8
    case_v4("s3-sigv4-put",
            lambda: s3().put_object(Bucket="examplebucket",
                                    Key="test$file.text",
                                    Body=b"Welcome to Amazon S3.",
                                    StorageClass="REDUCED_REDUNDANCY",
                                    Metadata={"note": "a   b"}),
            "S3SigV4Auth (s3 PutObject, path-style)",
            "s3-sigv4-payload-and-checksum-headers",
            "S3 PutObject with a body: x-amz-content-sha256 is the body "
            "hash; botocore also adds and signs x-amz-checksum-crc32 / "
            "x-amz-sdk-checksum-algorithm and sends Expect: 100-continue "
            "(unsigned). The key's '$' is sent and signed as %24; keystone "
            "signs webob's '$' and the meta value unfolded, and rejects.")

    case_v4("s3-sigv4-key-special",
            lambda: s3().get_object(Bucket="examplebucket",
                                    Key="a b+c~d//e.txt"),
            "S3SigV4Auth (s3 GetObject, path-style)",
            "s3-canonical-uri-single-encoding",
            "Key with space, '+', '~' and '//': S3 signs the path as sent "
            "(single encoding, no normalisation): /examplebucket/"
            "a%20b%2Bc~d//e.txt. A generic SigV4 signer would double-encode "
            "and collapse '//'.")

    case = "s3-sigv4-presigned"
    logs.reset()
    # Without an explicit signature_version botocore 1.43 presigns S3 URLs
    # with SigV2 (AWSAccessKeyId/Signature/Expires) for us-east-1; ask for
    # s3v4 explicitly.
    url = s3(signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": "examplebucket",
                              "Key": "photos/puppy 1.jpg"},
        ExpiresIn=86400)
    attempt(lambda: urllib.request.urlopen(urllib.request.Request(
        url, headers={"User-Agent": "urllib"})).read())
    raw = srv.take_one(case)
    meta = creds_meta("sigv4-query",
                      "S3SigV4QueryAuth (generate_presigned_url get_object), "
                      "fetched with urllib",
                      "presigned-x-amz-signature-exclusion",
                      "S3 presigned GET, UNSIGNED-PAYLOAD, X-Amz-Signature "
                      "appended after signing. heat/keystone never drop "
                      "X-Amz-Signature from the params and hash the empty "
                      "body instead of UNSIGNED-PAYLOAD, so both reject.")
    meta["client"] = v4_client(logs)
    meta["client"]["signature"] = wire_params(raw)["X-Amz-Signature"]
    meta["verifiers"] = common.keystone_verifiers(raw, common.SECRET_KEY)
    common.write_case(GROUP, case, raw, meta)

    case_v4("s3-sigv4-query-plus",
            lambda: s3().list_objects(Bucket="examplebucket",
                                      Prefix="a b+c", Delimiter="/"),
            "S3SigV4Auth (s3 ListObjects, path-style)",
            "canonical-query-plus-vs-space",
            "ListObjects with Prefix 'a b+c': sent as prefix=a%20b%2Bc "
            "(plus encoding-type=url). Verifiers that treat a raw '+' as a "
            "space are not tripped here because botocore encodes it.")

    # ---------------------------------------------------------------- 9
    def case_v2s3(case, fn, signer, knob, notes, mode="sigv2-header"):
        logs.reset()
        res = attempt(fn)
        raw = srv.take_one(case)
        meta = creds_meta(mode, signer, knob, notes)
        if mode == "sigv2-header":
            sig = header_value(raw, "authorization").rsplit(":", 1)[1]
        else:
            sig = wire_params(raw)["Signature"]
        meta["client"] = {"canonical_request": None,
                          "string_to_sign": logs.block("StringToSign:\n"),
                          "signature": sig}
        common.write_case(GROUP, case, raw, meta)
        return res

    case_v2s3("s3-sigv2-get",
              lambda: s3(signature_version="s3").get_object(
                  Bucket="examplebucket", Key="photos/puppy.jpg",
                  Range="bytes=0-9"),
              "HmacV1Auth (s3 GetObject, signature_version='s3')",
              "s3v2-date-line",
              "S3 SigV2 GET: Date header set by botocore, no x-amz-date, "
              "canonical resource /examplebucket/photos/puppy.jpg.")

    case_v2s3("s3-sigv2-subresource",
              lambda: s3(signature_version="s3").get_bucket_acl(
                  Bucket="examplebucket"),
              "HmacV1Auth (s3 GetBucketAcl, signature_version='s3')",
              "s3v2-bucket-resource-trailing-slash",
              "GET /examplebucket?acl: botocore signs the canonical resource "
              "'/examplebucket/?acl' (with a slash the wire path does not "
              "have, boto3#4433); verifiers that build it from the wire path "
              "sign '/examplebucket?acl'.")

    def presign_v2_and_fetch():
        url = s3(signature_version="s3").generate_presigned_url(
            "get_object", Params={"Bucket": "examplebucket",
                                  "Key": "photos/puppy 1.jpg",
                                  "ResponseContentType": "image/jpeg"},
            ExpiresIn=3600)
        return urllib.request.urlopen(urllib.request.Request(
            url, headers={"User-Agent": "urllib"})).read()

    case_v2s3("s3-sigv2-presigned", presign_v2_and_fetch,
              "HmacV1QueryAuth (generate_presigned_url get_object, "
              "signature_version='s3'), fetched with urllib",
              "s3v2-presigned-expires",
              "Presigned S3 SigV2 URL: Expires (frozen clock + 3600) "
              "replaces the Date line; response-content-type is a signed "
              "sub-resource (value decoded in the string to sign, "
              "percent-encoded on the wire).", mode="sigv2-query")

    # ---------------------------------------------------------------- 10
    case = "query-v2"
    logs.reset()
    attempt(lambda: client("sdb").list_domains(MaxNumberOfDomains=10))
    raw = srv.take_one(case)
    meta = creds_meta("query-v2",
                      "SigV2Auth (sdb ListDomains, query protocol POST)",
                      "query-v2-host-and-encoding",
                      "SimpleDB still signs with query signature v2 in "
                      "botocore: POST form body, HmacSHA256, host from the "
                      "URL netloc with ':port'. keystone uses the Host header "
                      "(same value) and accepts.")
    meta["client"] = {"canonical_request": None,
                      "string_to_sign": logs.block("String to sign: "),
                      "signature": wire_params(raw)["Signature"]}
    meta["verifiers"] = common.keystone_verifiers(raw, common.SECRET_KEY)
    common.write_case(GROUP, case, raw, meta)

    # ---------------------------------------------------------------- 11
    token = ("FQoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+/="
             "sigscope-fixture-session-token")
    logs.reset()
    attempt(lambda: client("lambda", token=token).list_functions(MaxItems=1))
    case = "sigv4-session-token"
    raw = srv.take_one(case)
    meta = creds_meta("sigv4-header",
                      "SigV4Auth (lambda ListFunctions with a session token)",
                      "session-token-signed",
                      "Temporary credentials: X-Amz-Security-Token is added "
                      "before signing and listed in SignedHeaders. keystone "
                      "signs it like any other listed header.", token=token)
    meta["client"] = v4_client(logs)
    meta["verifiers"] = common.keystone_verifiers(raw, common.SECRET_KEY)
    common.write_case(GROUP, case, raw, meta)

    return []
