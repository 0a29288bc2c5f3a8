"""Real SigV4A streaming uploads (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]), signed by
awscrt's aws-c-auth and captured on the wire.

    bash tests/vectors/sigv4a/gen/generate.sh

Who signs what. No SDK that installs here (botocore, boto3, the JavaScript SDK v3, awscrt's
Python API) sends SigV4A *signed chunks*: awscrt's Python API signs whole requests only
(`awscrt.auth.aws_sign_request`), and the CRT S3 client uploads with unsigned trailers. The
chunk and trailer signer is in the library awscrt ships, aws-c-auth (`source/aws_signing.c`:
`AWS_ST_HTTP_REQUEST_CHUNK`, `AWS_ST_HTTP_REQUEST_TRAILING_HEADERS`, the `*` padding of
`s_add_signature_property_to_result_set`), compiled into `_awscrt.abi3.so` but not bound to
Python. This script calls it there through ctypes: the seed signature by
`awscrt.auth.aws_sign_request`, then each chunk and the trailer by aws-c-auth's own
`aws_sign_request_aws` on a signable built here with aws-c-auth's signable vtable (the
library's `aws_signable_new_chunk`/`aws_signable_new_trailing_headers` were dropped by the
linker; what they build is a previous-signature property, a payload stream and, for the
trailer, the `headers` property list: `source/signable_chunk.c`, `source/signable_trailer.c`).
The symbols are the shared object's own (its symbol table, offset from its load address).
Only the aws-chunked framing is written here, as S3's sigv4-streaming.html and
sigv4-streaming-trailers.html lay it out; every signature is aws-c-auth's.

Each case: streaming/<case>.http (the bytes a capture server on 127.0.0.1 received) and
streaming/<case>.json. The object names on the wire are the case names.
"""

import ctypes
import datetime
import http.client
import json
import os
import sys
import threading
import zlib
import base64

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "streaming")
sys.path.insert(0, os.path.join(HERE, "..", "..", "real", "gen"))

import _awscrt  # noqa: E402
import awscrt  # noqa: E402
import awscrt.auth as auth  # noqa: E402
import awscrt.http  # noqa: E402

from common import CaptureServer  # noqa: E402

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

# aws-c-auth include/aws/auth/signing_config.h, enum aws_signature_type.
AWS_ST_HTTP_REQUEST_CHUNK = 2
AWS_ST_HTTP_REQUEST_TRAILING_HEADERS = 6


class Cursor(ctypes.Structure):
    _fields_ = [("len", ctypes.c_size_t), ("ptr", ctypes.c_void_p)]


class ArrayList(ctypes.Structure):
    # aws-c-common include/aws/common/array_list.h
    _fields_ = [("alloc", ctypes.c_void_p), ("current_size", ctypes.c_size_t),
                ("length", ctypes.c_size_t), ("item_size", ctypes.c_size_t),
                ("data", ctypes.c_void_p)]


class Pair(ctypes.Structure):
    # aws-c-auth include/aws/auth/signable.h, struct aws_signable_property_list_pair
    _fields_ = [("name", Cursor), ("value", Cursor)]


GET_PROPERTY = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Cursor))
GET_LIST = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
GET_STREAM = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
DESTROY = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
COMPLETE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)


class Vtable(ctypes.Structure):
    _fields_ = [("get_property", GET_PROPERTY), ("get_property_list", GET_LIST),
                ("get_payload_stream", GET_STREAM), ("destroy", DESTROY)]


class Signable(ctypes.Structure):
    _fields_ = [("allocator", ctypes.c_void_p), ("impl", ctypes.c_void_p),
                ("vtable", ctypes.POINTER(Vtable))]


class Crt(object):
    """aws-c-auth's functions inside _awscrt.abi3.so, found by the shared object's symbol table."""

    def __init__(self):
        path = _awscrt.__file__
        self.base = self._load_base(path)
        syms = self._symbols(path)
        exported = ctypes.CDLL(path)
        # The load base is right if an exported function sits where the symbol table says.
        if ctypes.cast(exported.PyInit__awscrt, ctypes.c_void_p).value != self.base + syms["PyInit__awscrt"]:
            sys.exit("could not locate _awscrt's symbols")

        def fn(name, restype, *args):
            return ctypes.CFUNCTYPE(restype, *args)(self.base + syms[name])

        self.allocator = fn("aws_default_allocator", ctypes.c_void_p)()
        self.stream_from_cursor = fn("aws_input_stream_new_from_cursor", ctypes.c_void_p,
                                     ctypes.c_void_p, ctypes.POINTER(Cursor))
        self.stream_release = fn("aws_input_stream_release", ctypes.c_void_p, ctypes.c_void_p)
        self.sign = fn("aws_sign_request_aws", ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                       ctypes.c_void_p, COMPLETE, ctypes.c_void_p)
        self.get_property = fn("aws_signing_result_get_property", ctypes.c_int, ctypes.c_void_p,
                               ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
        last_error = fn("aws_last_error", ctypes.c_int)
        error_str = fn("aws_error_debug_str", ctypes.c_char_p, ctypes.c_int)
        self.error_name = lambda: error_str(last_error()).decode()
        self.credentials_new = fn("aws_credentials_new", ctypes.c_void_p, ctypes.c_void_p, Cursor, Cursor,
                                  Cursor, ctypes.c_uint64)
        self.signature_name = ctypes.c_void_p.from_address(self.base + syms["g_aws_signature_property_name"]).value

    @staticmethod
    def _load_base(path):
        real = os.path.realpath(path)
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and os.path.realpath(parts[5]) == real and int(parts[2], 16) == 0:
                    return int(parts[0].split("-")[0], 16)
        sys.exit("_awscrt is not mapped")

    @staticmethod
    def _symbols(path):
        import subprocess
        out = subprocess.run(["readelf", "-Ws", path], check=True, capture_output=True, text=True).stdout
        syms = {}
        for line in out.splitlines():
            p = line.split()
            if len(p) >= 8 and p[3] in ("FUNC", "OBJECT") and p[1] != "0000000000000000":
                syms.setdefault(p[7], int(p[1], 16))
        return syms


def aws_string(ptr):
    """The bytes of an aws_string (aws-c-common string.h: allocator, len, bytes[])."""
    n = ctypes.c_size_t.from_address(ptr + ctypes.sizeof(ctypes.c_void_p)).value
    return ctypes.string_at(ptr + 2 * ctypes.sizeof(ctypes.c_void_p), n)


class Signer(object):
    """Signs chunks and trailers with aws-c-auth, each from the previous signature."""

    def __init__(self, crt, date):
        self.crt = crt
        self.config = auth.AwsSigningConfig(
            algorithm=auth.AwsSigningAlgorithm.V4_ASYMMETRIC,
            credentials_provider=auth.AwsCredentialsProvider.new_static(ACCESS_KEY, SECRET_KEY),
            region="us-east-1", service="s3", date=date,
            signed_body_header_type=auth.AwsSignedBodyHeaderType.NONE)
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype = ctypes.c_void_p
        get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        # awscrt-python source/auth_signing_config.c: the capsule holds a config_binding whose
        # first member is the native aws_signing_config_aws (config_type, algorithm,
        # signature_type, ...): its signature_type is set to a chunk's or the trailer's.
        self.native = get_pointer(self.config._binding, b"aws_signing_config_aws")
        # Chunk and trailer signing wants explicit credentials, not a provider
        # (signing_config.c, aws_validate_aws_signing_config_aws): `credentials` is the field
        # before `credentials_provider`, at offset 232 on x86-64 (checked: the provider's
        # pointer is at 240 and the credentials' is null until set).
        if ctypes.c_void_p.from_address(self.native + 232).value is not None or \
                ctypes.c_void_p.from_address(self.native + 240).value is None:
            sys.exit("unexpected aws_signing_config_aws layout")
        ak, sk = ACCESS_KEY.encode(), SECRET_KEY.encode()
        self._creds = [ctypes.create_string_buffer(ak, len(ak)), ctypes.create_string_buffer(sk, len(sk))]
        creds = crt.credentials_new(crt.allocator, Cursor(len(ak), ctypes.cast(self._creds[0], ctypes.c_void_p)),
                                    Cursor(len(sk), ctypes.cast(self._creds[1], ctypes.c_void_p)),
                                    Cursor(0, None), 2**64 - 1)
        ctypes.c_void_p.from_address(self.native + 232).value = creds
        self._keep = []

    def _run(self, signature_type, prev, payload=None, headers=None):
        ctypes.c_int.from_address(self.native + 8).value = signature_type
        prev_buf = ctypes.create_string_buffer(prev, len(prev))
        stream = None
        if payload is not None:
            data = ctypes.create_string_buffer(payload, len(payload))
            self._keep.append(data)
            cur = Cursor(len(payload), ctypes.cast(data, ctypes.c_void_p))
            stream = self.crt.stream_from_cursor(self.crt.allocator, ctypes.byref(cur))
        pairs = None
        if headers is not None:
            bufs = [ctypes.create_string_buffer(b, len(b)) for kv in headers for b in kv]
            self._keep.extend(bufs)
            arr = (Pair * len(headers))()
            for i, (k, v) in enumerate(headers):
                arr[i].name = Cursor(len(k), ctypes.cast(bufs[2 * i], ctypes.c_void_p))
                arr[i].value = Cursor(len(v), ctypes.cast(bufs[2 * i + 1], ctypes.c_void_p))
            pairs = ArrayList(None, ctypes.sizeof(arr), len(headers), ctypes.sizeof(Pair),
                              ctypes.cast(arr, ctypes.c_void_p))
            self._keep.extend([arr, pairs])

        def get_property(_s, name, out):
            if aws_string(name) != b"previous-signature":
                return -1
            out[0] = Cursor(len(prev), ctypes.cast(prev_buf, ctypes.c_void_p))
            return 0

        def get_list(_s, name, out):
            if pairs is None or aws_string(name) != b"headers":
                return -1
            out[0] = ctypes.addressof(pairs)
            return 0

        def get_stream(_s, out):
            out[0] = stream
            return 0

        vt = Vtable(GET_PROPERTY(get_property), GET_LIST(get_list), GET_STREAM(get_stream), DESTROY(lambda _s: None))
        signable = Signable(self.crt.allocator, None, ctypes.pointer(vt))
        done = threading.Event()
        got = {}

        def complete(result, error, _ud):
            if error == 0:
                val = ctypes.c_void_p()
                if self.crt.get_property(result, self.crt.signature_name, ctypes.byref(val)) == 0:
                    got["sig"] = aws_string(val.value)
            got["error"] = error
            done.set()

        cb = COMPLETE(complete)
        rc = self.crt.sign(self.crt.allocator, ctypes.addressof(signable), self.native, cb, None)
        if rc != 0:
            sys.exit("aws_sign_request_aws failed: %s" % self.crt.error_name())
        done.wait(10)
        if stream:
            self.crt.stream_release(stream)
        if got.get("error") != 0 or "sig" not in got:
            sys.exit("aws-c-auth did not sign (error %r)" % got.get("error"))
        return got["sig"]

    def chunk(self, prev, data):
        # aws-c-auth hashes a null stream as the empty string: the final chunk has none.
        return self._run(AWS_ST_HTTP_REQUEST_CHUNK, prev, payload=data if data else None)

    def trailer(self, prev, headers):
        return self._run(AWS_ST_HTTP_REQUEST_TRAILING_HEADERS, prev, headers=headers)


def seed(date, path, headers, mode):
    """The request's own signature, from awscrt's Python API (aws_sign_request)."""
    req = awscrt.http.HttpRequest("PUT", path, awscrt.http.HttpHeaders(headers))
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4_ASYMMETRIC,
        credentials_provider=auth.AwsCredentialsProvider.new_static(ACCESS_KEY, SECRET_KEY),
        region="us-east-1", service="s3", date=date,
        signed_body_value=mode,
        signed_body_header_type=auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256)
    auth.aws_sign_request(req, config).result(10)
    return list(req.headers)


def upload(signer, date, case, chunks, trailer, corrupt=None):
    """Frames `chunks`, signs every chunk (and the trailer) with aws-c-auth, sends the upload."""
    mode = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    decoded = b"".join(chunks)
    crc = base64.b64encode(zlib.crc32(decoded).to_bytes(4, "big"))
    head = [("Host", "127.0.0.1:%d" % SERVER.port), ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", str(len(decoded)))]
    if trailer:
        head.append(("x-amz-trailer", "x-amz-checksum-crc32"))
    # The signed request announces its Content-Length: compute the framed length first.
    sig_len = 144  # aws-c-auth pads every chunk signature to 144 characters.
    framed_len = sum(len("%x;chunk-signature=" % len(c)) + sig_len + 4 + len(c) for c in chunks)
    framed_len += len("0;chunk-signature=") + sig_len + 2
    if trailer:
        framed_len += len(b"x-amz-checksum-crc32:" + crc) + 2
        framed_len += len("x-amz-trailer-signature:") + sig_len + 2
    framed_len += 2
    head.append(("Content-Length", str(framed_len)))
    path = "/bucket/" + case
    os.makedirs(OUT, exist_ok=True)
    signed = seed(date, path, head, mode)
    auth_value = dict((k.lower(), v) for k, v in signed)["authorization"]
    prev = auth_value.rsplit("Signature=", 1)[1].encode()
    body = b""
    for c in list(chunks) + [b""]:
        sig = signer.chunk(prev, c)
        body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), sig, c) if c else b"0;chunk-signature=%s\r\n" % sig
        prev = sig
    if trailer:
        tsig = signer.trailer(prev, [(b"x-amz-checksum-crc32", crc)])
        body += b"x-amz-checksum-crc32:%s\r\nx-amz-trailer-signature:%s\r\n" % (crc, tsig)
    body += b"\r\n"
    assert len(body) == framed_len, (len(body), framed_len)
    if corrupt == "chunk":
        # One data byte of the first chunk changed after signing.
        at = body.index(b"\r\n") + 2
        body = body[:at] + bytes([body[at] ^ 1]) + body[at + 1:]
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port)
    conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
    for k, v in signed:
        conn.putheader(k, v)
    conn.endheaders()
    conn.send(body)
    conn.getresponse().read()
    conn.close()
    reqs = SERVER.requests
    if len(reqs) != 1:
        sys.exit("expected one request on the wire, got %d" % len(reqs))
    raw = reqs.pop()
    with open(os.path.join(OUT, case + ".http"), "wb") as f:
        f.write(raw)
    doc = {
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "mode": mode,
        "chunks": [len(c) for c in chunks],
        "signer": "seed: awscrt %s aws_sign_request; chunks and trailer: aws-c-auth aws_sign_request_aws in awscrt's _awscrt.abi3.so (ctypes)" % awscrt.__version__,
        "corrupted": corrupt,
    }
    with open(os.path.join(OUT, case + ".json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", case, len(raw), "bytes")


SERVER = CaptureServer(port=0)


def main():
    crt = Crt()
    date = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    signer = Signer(crt, date)
    data = bytes((i * 7 + 3) % 251 for i in range(70000))
    chunks = [data[:65536], data[65536:]]
    upload(signer, date, "payload", chunks, trailer=False)
    upload(signer, date, "payload-trailer", chunks, trailer=True)
    upload(signer, date, "tampered-chunk", chunks, trailer=False, corrupt="chunk")


if __name__ == "__main__":
    main()
