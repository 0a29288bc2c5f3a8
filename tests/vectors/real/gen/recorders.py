"""Thin recorders that let a fixture show the exact string a library fed
into its HMAC, without re-implementing any signing logic: they wrap the
library's own hmac/hashlib objects and log what passes through."""

import hashlib as _hashlib
import hmac as _hmac
import types


class RecordingHmac(object):
    """Wraps a real hmac object; remembers every update() payload."""

    def __init__(self, real, log, tag):
        self._real = real
        self._log = log
        self._tag = tag

    def update(self, data):
        self._log.append((self._tag, bytes(data)))
        self._real.update(data)

    def copy(self):
        return RecordingHmac(self._real.copy(), self._log, self._tag)

    def digest(self):
        return self._real.digest()

    def hexdigest(self):
        return self._real.hexdigest()

    @property
    def digest_size(self):
        return self._real.digest_size

    @property
    def name(self):
        return self._real.name


def instrument_ec2signer_module(mod, log):
    """Replace the `hmac` and `hashlib` names *inside* a loaded
    keystoneclient contrib/ec2/utils.py module with pass-through shims that
    record:  ('sha256', canonical_request_bytes)  and
             ('hmac', string_to_sign_bytes)
    The real hmac/hashlib do all the work."""

    def sha256(data=b"", **kw):
        if data:
            log.append(("sha256", bytes(data)))
        return _hashlib.sha256(data, **kw)

    fake_hashlib = types.SimpleNamespace(sha1=_hashlib.sha1, sha256=sha256,
                                         md5=_hashlib.md5)

    def real_digestmod(d):
        return _hashlib.sha256 if d is sha256 else d

    def new(key, msg=None, digestmod=None):
        real = _hmac.new(key, None, real_digestmod(digestmod))
        h = RecordingHmac(real, log, "hmac")
        if msg is not None:
            h.update(msg)
        return h

    fake_hmac = types.SimpleNamespace(new=new)
    mod.hashlib = fake_hashlib
    mod.hmac = fake_hmac


def last(log, tag):
    vals = [v for t, v in log if t == tag]
    return vals[-1] if vals else None


def joined(log, tag):
    return b"".join(v for t, v in log if t == tag)
