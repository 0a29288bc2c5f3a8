"""SigV4A verify-one-request benchmark (issue 15): awscrt's side, run by bench/sigv4a/run.sh.

    python awscrt_verify.py REQUEST.http PUBLIC-KEY.json DUMP-DIR   # prints one JSON object

awscrt's verifier is aws-c-auth's `aws_verify_sigv4a_signing` (source/aws_signing.c), compiled
into awscrt's `_awscrt.abi3.so` but not bound to Python: it is called here through ctypes, at
the shared object's own symbols (as tests/vectors/sigv4a/gen/gen_streaming.py calls its
signer). Per call it builds the canonical request from the signable and the signing config,
compares it with the canonical request it is given (`AWS_AUTH_CANONICAL_REQUEST_MISMATCH`
otherwise), builds the string to sign, makes a P-256 key from the hex public coordinates and
verifies the hex DER signature over SHA-256 of the string to sign (aws-lc underneath).

What the caller must prepare, once, outside the timed loop: the request reduced to its signed
headers minus the ones aws-c-auth adds itself (`x-amz-date`, `x-amz-region-set`; it refuses a
signable that carries them), the date, region set and service from the Authorization header and
`X-Amz-Date`, ECC credentials derived once (so the key pair is not re-derived per call, as
sigscope's cache does), the expected canonical request and the public key. The canonical
requests come from sigscope (benches/sigv4a.rs, `SIGSCOPE_V4A_DUMP`): awscrt accepting the
request therefore also proves its own canonical request byte-identical to sigscope's.

Before timing: the request verifies; a copy with one signed header changed (the same change
benches/sigv4a.rs makes) fails with `AWS_AUTH_SIGV4A_SIGNATURE_VALIDATION_FAILURE` (its
canonical request matching sigscope's for the tampered copy: the signature is what fails); and
the public key awscrt derives from the credentials equals PUBLIC-KEY.json.
"""

import ctypes
import datetime
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

import _awscrt
import awscrt
import awscrt.auth as auth
import awscrt.http

TAMPER_HEADER = "x-amz-sdk-checksum-algorithm"  # as benches/sigv4a.rs
TAMPER_VALUE = "CRC32C"
# Headers aws-c-auth adds to the canonical request itself and refuses in a signable
# (aws_signing.c, s_forbidden_headers).
ADDED_BY_SIGNER = {"x-amz-date", "x-amz-region-set", "x-amz-security-token",
                   "x-amz-content-sha256", "authorization"}


class Cursor(ctypes.Structure):
    # aws-c-common include/aws/common/byte_buf.h, struct aws_byte_cursor
    _fields_ = [("len", ctypes.c_size_t), ("ptr", ctypes.c_void_p)]


def symbols(path):
    out = subprocess.run(["readelf", "-Ws", path], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        p = line.split()
        if len(p) >= 8 and p[3] in ("FUNC", "OBJECT") and p[1] != "0000000000000000":
            syms.setdefault(p[7], int(p[1], 16))
    return syms


def load_base(path):
    real = os.path.realpath(path)
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and os.path.realpath(parts[5]) == real and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16)
    sys.exit("_awscrt is not mapped")


class Crt(object):
    """The aws-c-* functions used here, inside _awscrt.abi3.so."""

    def __init__(self):
        path = _awscrt.__file__
        base, syms = load_base(path), symbols(path)
        if ctypes.cast(ctypes.CDLL(path).PyInit__awscrt, ctypes.c_void_p).value != base + syms["PyInit__awscrt"]:
            sys.exit("could not locate _awscrt's symbols")

        def fn(name, restype, *args):
            return ctypes.CFUNCTYPE(restype, *args)(base + syms[name])

        vp, c = ctypes.c_void_p, Cursor
        self.allocator = fn("aws_default_allocator", vp)()
        self.last_error = fn("aws_last_error", ctypes.c_int)
        error_name = fn("aws_error_name", ctypes.c_char_p, ctypes.c_int)
        self.error_name = lambda code: error_name(code).decode()
        self.credentials_new = fn("aws_credentials_new", vp, vp, c, c, c, ctypes.c_uint64)
        self.ecc_credentials = fn("aws_credentials_new_ecc_from_aws_credentials", vp, vp, vp)
        self.derive_key = fn("aws_ecc_key_pair_new_ecdsa_p256_key_from_aws_credentials", vp, vp, vp)
        self.key_release = fn("aws_ecc_key_pair_release", None, vp)
        self.derive_public = fn("aws_ecc_key_pair_derive_public_key", ctypes.c_int, vp)
        # Its int return is not an error code in every aws-c-cal: the cursors' lengths are checked.
        self.public_key = fn("aws_ecc_key_pair_get_public_key", None, vp,
                             ctypes.POINTER(Cursor), ctypes.POINTER(Cursor))
        self.signable_new = fn("aws_signable_new_http_request", vp, vp, vp)
        self.stream_from_cursor = fn("aws_input_stream_new_from_cursor", vp, vp, ctypes.POINTER(Cursor))
        self.set_body = fn("aws_http_message_set_body_stream", None, vp, vp)
        self.verify = fn("aws_verify_sigv4a_signing", ctypes.c_int, vp, vp, vp, c, c, c, c)


def capsule(obj, name):
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return get(obj, name)


KEEP = []  # buffers the native cursors point into


def cursor(data):
    buf = ctypes.create_string_buffer(data, len(data))
    KEEP.append(buf)
    return Cursor(len(data), ctypes.cast(buf, ctypes.c_void_p))


def parse_http(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return method, target, headers, body


def parse_authorization(value):
    algorithm, _, rest = value.partition(" ")
    fields = dict(p.strip().split("=", 1) for p in rest.split(","))
    access_key, date, service, _ = fields["Credential"].split("/")
    return algorithm, access_key, date, service, fields["SignedHeaders"].split(";"), fields["Signature"]


class Case(object):
    """One request ready for aws_verify_sigv4a_signing: its signable, config and inputs."""

    def __init__(self, crt, raw, creds, ecc_creds, canonical_request, pub_x, pub_y, tamper=False):
        method, target, headers, body = parse_http(raw)
        h = dict((k.lower(), v) for k, v in headers)
        algorithm, access_key, _, service, signed, signature = parse_authorization(h["authorization"])
        assert algorithm == "AWS4-ECDSA-P256-SHA256", algorithm
        if tamper:
            assert TAMPER_HEADER in h
            h[TAMPER_HEADER] = TAMPER_VALUE
        signable_headers = [(name, h[name]) for name in signed if name not in ADDED_BY_SIGNER]
        date = datetime.datetime.strptime(h["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        self.request = awscrt.http.HttpRequest(method, target, awscrt.http.HttpHeaders(signable_headers))
        message = ctypes.c_void_p.from_address(capsule(self.request._binding, b"aws_http_message")).value
        if body:
            body_cursor = cursor(body)
            KEEP.append(body_cursor)
            crt.set_body(message, crt.stream_from_cursor(crt.allocator, ctypes.byref(body_cursor)))
        self.signable = crt.signable_new(crt.allocator, message)
        # The generic SigV4A signer botocore used (botocore/crt/auth.py CrtSigV4AsymAuth: double
        # URI encoding, path normalisation, no x-amz-content-sha256 header, body hashed).
        self.config = auth.AwsSigningConfig(
            algorithm=auth.AwsSigningAlgorithm.V4_ASYMMETRIC,
            signature_type=auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
            credentials_provider=auth.AwsCredentialsProvider.new_static("unused", "unused"),
            region=h["x-amz-region-set"], service=service, date=date,
            signed_body_header_type=auth.AwsSignedBodyHeaderType.NONE)
        native = capsule(self.config._binding, b"aws_signing_config_aws")
        # awscrt-python source/auth_signing_config.c: the capsule's binding starts with the native
        # aws_signing_config_aws; its `credentials` (before `credentials_provider`) is at offset
        # 232 on x86-64 with awscrt 0.32.2 (checked: provider set at 240, credentials null). The
        # verifier wants explicit credentials: the ECC ones derived once.
        if ctypes.c_void_p.from_address(native + 232).value is not None or \
                ctypes.c_void_p.from_address(native + 240).value is None:
            sys.exit("unexpected aws_signing_config_aws layout")
        ctypes.c_void_p.from_address(native + 232).value = ecc_creds
        self.args = (crt.allocator, self.signable, native, cursor(canonical_request),
                     cursor(signature.encode()), cursor(pub_x.encode()), cursor(pub_y.encode()))
        self.crt = crt
        self.access_key = access_key

    def run(self):
        """aws_verify_sigv4a_signing's answer: None when valid, else the aws-c error name."""
        if self.crt.verify(*self.args) == 0:
            return None
        return self.crt.error_name(self.crt.last_error())


def per_call_ns(call, n, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            call()
        times.append((time.perf_counter_ns() - t0) / n)
    return min(times), statistics.median(times)


def main():
    http_path, key_path, dump = sys.argv[1:4]
    with open(http_path, "rb") as f:
        raw = f.read()
    with open(key_path) as f:
        want = json.load(f)
    with open(os.path.join(dump, "canonical-request"), "rb") as f:
        canonical = f.read()
    with open(os.path.join(dump, "tampered-canonical-request"), "rb") as f:
        tampered_canonical = f.read()
    meta_path = http_path[: -len(".http")] + ".json"
    with open(meta_path) as f:
        meta = json.load(f)

    crt = Crt()
    ak, sk = meta["access_key"].encode(), meta["secret_key"].encode()
    creds = crt.credentials_new(crt.allocator, cursor(ak), cursor(sk), Cursor(0, None), 2**64 - 1)
    ecc_creds = crt.ecc_credentials(crt.allocator, creds)

    # awscrt's derived public key is the suite's (public-key.json) for these credentials.
    # The private scalar alone, until the public point is computed from it (aws-c-cal).
    key = crt.derive_key(crt.allocator, creds)
    x, y = Cursor(), Cursor()
    if not key or crt.derive_public(key) != 0:
        sys.exit("awscrt did not derive a key")
    crt.public_key(key, ctypes.byref(x), ctypes.byref(y))
    if x.len != 32 or y.len != 32:
        sys.exit("awscrt's key has no public point")
    pub_x = ctypes.string_at(x.ptr, x.len).hex()
    pub_y = ctypes.string_at(y.ptr, y.len).hex()
    crt.key_release(key)
    if (pub_x, pub_y) != (want["X"], want["Y"]):
        sys.exit("awscrt derived %s %s, not public-key.json" % (pub_x, pub_y))

    good = Case(crt, raw, creds, ecc_creds, canonical, pub_x, pub_y)
    bad = Case(crt, raw, creds, ecc_creds, tampered_canonical, pub_x, pub_y, tamper=True)
    got = good.run()
    if got is not None:
        sys.exit("awscrt refuses the request: %s" % got)
    got = bad.run()
    if got != "AWS_AUTH_SIGV4A_SIGNATURE_VALIDATION_FAILURE":
        sys.exit("awscrt on the tampered copy: %s" % got)
    # And the canonical request check is live: the valid request against the tampered one's.
    cross = Case(crt, raw, creds, ecc_creds, tampered_canonical, pub_x, pub_y)
    if cross.run() != "AWS_AUTH_CANONICAL_REQUEST_MISMATCH":
        sys.exit("awscrt did not compare the canonical request")

    n = int(os.environ.get("V4A_CALLS", "2000"))
    repeats = int(os.environ.get("V4A_REPEATS", "7"))
    verify_best, verify_median = per_call_ns(good.run, n, repeats)

    def derive():
        # Like sigscope's derivation: the scalar from the KDF, then its public point.
        k = crt.derive_key(crt.allocator, creds)
        crt.derive_public(k)
        crt.key_release(k)

    derive_best, derive_median = per_call_ns(derive, max(n // 4, 1), repeats)
    # The cost of one ctypes call into _awscrt with nothing to do, included in both figures.
    call_best, _ = per_call_ns(crt.last_error, n * 10, repeats)
    print(json.dumps({
        "awscrt": awscrt.__version__,
        "python": sys.version.split()[0],
        "request": os.path.basename(http_path),
        "canonical_request_sha256": hashlib.sha256(canonical).hexdigest(),
        "public_key_x": pub_x,
        "calls": n,
        "repeats": repeats,
        "verify_ns_best": verify_best,
        "verify_ns_median": verify_median,
        "derive_ns_best": derive_best,
        "derive_ns_median": derive_median,
        "ctypes_call_ns": call_best,
        "tampered": "AWS_AUTH_SIGV4A_SIGNATURE_VALIDATION_FAILURE",
    }))


if __name__ == "__main__":
    main()
