"""Shared helpers for the sigscope real-library fixture generators.

- CaptureServer: a tiny HTTP/1.1 server on 127.0.0.1 that records the raw
  bytes of every request it receives and answers 200 with an empty body.
- keystone verifier emulation: rebuilds what heat's ec2token middleware
  (heat/api/aws/ec2token.py) hands to keystone, and runs the *real*
  python-keystoneclient Ec2Signer (loaded from the downloaded packages).
- write_case: writes <case>.http and <case>.json.

Nothing here computes a signature itself: every signature in the fixtures
comes from a real library.
"""

import copy
import hashlib
import importlib.util
import io
import json
import logging
import os
import socket
import sys
import threading
import types
import urllib.parse

import recorders

OUT_DIR = os.environ.get(
    "SIGSCOPE_OUT",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

# Fixed port so the Host header (and therefore every signature) is stable.
# 8003 is the port of heat's CloudWatch API, which is what cfn-push-stats
# talks to in the seed case.
PORT = int(os.environ.get("SIGSCOPE_PORT", "8003"))

# Fixed instant every generator is frozen at (freezegun).
FROZEN_TIME = "2015-08-30T12:36:00Z"

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


# --------------------------------------------------------------------------
# capture server
# --------------------------------------------------------------------------

class CaptureServer(object):
    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    def __init__(self, port=PORT):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._handle, args=(conn,),
                                 daemon=True)
            t.start()

    @staticmethod
    def _read_until(conn, buf, marker):
        while marker not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return buf, False
            buf += chunk
        return buf, True

    @staticmethod
    def _read_n(conn, buf, n):
        while len(buf) < n:
            chunk = conn.recv(65536)
            if not chunk:
                return buf, False
            buf += chunk
        return buf, True

    def _handle(self, conn):
        buf = b""
        try:
            while True:
                buf, ok = self._read_until(conn, buf, b"\r\n\r\n")
                if not ok:
                    return
                head_end = buf.index(b"\r\n\r\n") + 4
                head = buf[:head_end]
                lines = head.split(b"\r\n")
                headers = {}
                for line in lines[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        headers[k.strip().lower()] = v.strip()
                if headers.get(b"expect", b"").lower() == b"100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                raw = head
                rest = buf[head_end:]
                if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
                    # keep the chunked framing verbatim: read chunk by chunk
                    # up to the terminating chunk and the trailer section
                    state = {"rest": rest}

                    def crlf(pos):
                        while b"\r\n" not in state["rest"][pos:]:
                            chunk = conn.recv(65536)
                            if not chunk:
                                raise OSError("eof in chunked body")
                            state["rest"] += chunk
                        return state["rest"].index(b"\r\n", pos)

                    pos = 0
                    while True:
                        le = crlf(pos)
                        size = int(state["rest"][pos:le].split(b";")[0], 16)
                        pos = le + 2
                        if size == 0:
                            while True:  # trailers, then an empty line
                                le = crlf(pos)
                                line = state["rest"][pos:le]
                                pos = le + 2
                                if line == b"":
                                    break
                            break
                        state["rest"], ok = self._read_n(
                            conn, state["rest"], pos + size + 2)
                        pos += size + 2
                    rest = state["rest"]
                    raw += rest[:pos]
                    buf = rest[pos:]
                else:
                    n = int(headers.get(b"content-length", b"0") or b"0")
                    rest, ok = self._read_n(conn, rest, n)
                    raw += rest[:n]
                    buf = rest[n:]
                with self.lock:
                    self.requests.append(raw)
                conn.sendall(self.RESPONSE)
        except OSError:
            return
        finally:
            conn.close()

    def reset(self):
        with self.lock:
            self.requests = []

    def take_one(self, case):
        with self.lock:
            reqs = list(self.requests)
            self.requests = []
        if len(reqs) != 1:
            raise RuntimeError("%s: expected exactly one request on the "
                               "wire, got %d" % (case, len(reqs)))
        return reqs[0]


# --------------------------------------------------------------------------
# log capture (botocore.auth / boto DEBUG output)
# --------------------------------------------------------------------------

class LogCapture(logging.Handler):
    def __init__(self, *names):
        logging.Handler.__init__(self, logging.DEBUG)
        self.records = []
        self.names = names
        for n in names:
            lg = logging.getLogger(n)
            lg.setLevel(logging.DEBUG)
            lg.addHandler(self)

    def emit(self, record):
        self.records.append(record.getMessage())

    def reset(self):
        self.records = []

    def block(self, prefix):
        """Return the text after the first record starting with `prefix`
        (botocore/boto log 'CanonicalRequest:\\n<text>')."""
        found = [r[len(prefix):] for r in self.records if r.startswith(prefix)]
        if not found:
            return None
        return found[-1]

    def all(self, prefix):
        return [r[len(prefix):] for r in self.records if r.startswith(prefix)]


# --------------------------------------------------------------------------
# python-keystoneclient Ec2Signer, both versions in one process
# --------------------------------------------------------------------------

_KS = {}


def load_keystone_signers(legacy_root, current_root):
    """Load keystoneclient/contrib/ec2/utils.py of both versions standalone.

    legacy_root / current_root: extracted package roots (the directory that
    contains the `keystoneclient` package)."""
    # 0.9.0: needs only six.
    path = os.path.join(legacy_root, "keystoneclient", "contrib", "ec2",
                        "utils.py")
    spec = importlib.util.spec_from_file_location("ks_legacy_ec2_utils", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _KS["keystone-legacy"] = mod

    # current: `from keystoneclient.i18n import _` -> stub it just for the
    # import, then remove the stub again.
    saved = {k: sys.modules.get(k) for k in ("keystoneclient",
                                             "keystoneclient.i18n")}
    pkg = types.ModuleType("keystoneclient")
    pkg.__path__ = []
    i18n = types.ModuleType("keystoneclient.i18n")
    i18n._ = lambda s: s
    pkg.i18n = i18n
    sys.modules["keystoneclient"] = pkg
    sys.modules["keystoneclient.i18n"] = i18n
    try:
        path = os.path.join(current_root, "keystoneclient", "contrib", "ec2",
                            "utils.py")
        spec = importlib.util.spec_from_file_location("ks_current_ec2_utils",
                                                      path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _KS["keystone"] = mod
        _instrument_all()
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def keystone_module(name):
    return _KS[name]


# what the instrumented Ec2Signer modules fed to sha256 / hmac
KS_LOG = []


def _instrument_all():
    for mod in _KS.values():
        recorders.instrument_ec2signer_module(mod, KS_LOG)


def ks_strings(version):
    """(canonical_request, string_to_sign) of the last Ec2Signer run, as the
    library built them.  v0/v1/v2 have no canonical request; v1's string to
    sign is the concatenation of every hmac.update()."""
    if version == "4":
        cr = recorders.last(KS_LOG, "sha256")
        sts = recorders.last(KS_LOG, "hmac")
        return (cr.decode("utf-8") if cr is not None else None,
                sts.decode("utf-8") if sts is not None else None)
    sts = recorders.joined(KS_LOG, "hmac")
    return None, sts.decode("utf-8")


KS_LIBRARY = {}


def raw_to_environ(raw, server_port=PORT):
    """Build the WSGI environ a server such as eventlet.wsgi (heat's server)
    builds for this request: PATH_INFO is the percent-decoded path,
    QUERY_STRING the raw query, headers as HTTP_*."""
    head_end = raw.index(b"\r\n\r\n")
    head = raw[:head_end].decode("latin-1")
    body = raw[head_end + 4:]
    lines = head.split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    path, _, query = target.partition("?")
    env = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote(path, encoding="latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": version,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for line in lines[1:]:
        k, v = line.split(":", 1)
        k = k.strip()
        v = v.strip()
        if k.lower() == "content-type":
            key = "CONTENT_TYPE"
        elif k.lower() == "content-length":
            key = "CONTENT_LENGTH"
        else:
            key = "HTTP_" + k.upper().replace("-", "_")
        if key in env:
            env[key] = env[key] + "," + v
        else:
            env[key] = v
    return env


def heat_ec2token_credentials(raw):
    """What heat's EC2Token middleware (heat/api/aws/ec2token.py,
    _get_signature/_get_access/_authorize) sends to keystone's
    /v2.0/ec2tokens as ec2Credentials, JSON round-tripped like the real
    HTTP call does."""
    import webob
    req = webob.Request(raw_to_environ(raw))
    sig = req.params.get("Signature") or req.params.get("X-Amz-Signature")
    if sig is None and "Authorization" in req.headers:
        sig = req.headers["Authorization"].partition(
            "Signature=")[2].split(",")[0]
    access = req.params.get("AWSAccessKeyId")
    if access is None:
        cred = req.params.get("X-Amz-Credential")
        if cred:
            access = cred.split("/")[0]
    if access is None and "Authorization" in req.headers:
        cred = req.headers["Authorization"].partition(
            "Credential=")[2].split(",")[0]
        access = cred.split("/")[0]
    auth_params = dict(req.params)
    auth_params.pop("Signature", None)
    body_hash = hashlib.sha256(req.body).hexdigest()
    creds = {"access": access,
             "signature": sig,
             "host": req.host,
             "verb": req.method,
             "path": req.path,
             "params": auth_params,
             "headers": dict(req.headers.items()),
             "body_hash": body_hash}
    return json.loads(json.dumps(creds))


def keystone_verifiers(raw, secret):
    """Run both Ec2Signer versions as keystone's ec2tokens check would:
    Ec2Signer(secret).generate(credentials) compared with the signature
    heat extracted."""
    creds = heat_ec2token_credentials(raw)
    out = {}
    for name in ("keystone-legacy", "keystone"):
        mod = _KS[name]
        c = copy.deepcopy(creds)
        entry = {"library": KS_LIBRARY[name]}
        version = c["params"].get("SignatureVersion") or "4"
        del KS_LOG[:]
        try:
            computed = mod.Ec2Signer(secret).generate(c)
            entry["signature"] = computed
            entry["accepts"] = computed == creds["signature"]
            cr, sts = ks_strings(version)
            entry["canonical_request"] = cr
            entry["string_to_sign"] = sts
        except Exception as e:  # the real library refused the request
            entry["signature"] = None
            entry["accepts"] = False
            entry["error"] = "%s: %s" % (type(e).__name__, e)
            entry["canonical_request"] = None
            entry["string_to_sign"] = None
        out[name] = entry
    return out


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------

def write_case(group, case, raw, meta):
    d = os.path.join(OUT_DIR, group)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, case + ".http"), "wb") as f:
        f.write(raw)
    doc = {"case": case}
    doc.update(meta)
    for k in ("generator", "mode", "access_key", "secret_key",
              "session_token", "client", "knob", "notes"):
        if k not in doc:
            raise KeyError("%s/%s: missing %s" % (group, case, k))
    doc.setdefault("verifiers", {})
    with open(os.path.join(d, case + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    summary = {k: v.get("accepts") for k, v in doc["verifiers"].items()}
    print("%-16s %-28s %-14s %s" % (group, case, doc["mode"], summary))
