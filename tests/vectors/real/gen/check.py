"""Consistency check of the fixtures (no signing logic): every JSON parses,
has the documented keys, its client signature occurs on the wire, and for
SigV4 the string to sign ends with sha256(canonical_request).

usage: python3 gen/check.py [tests/vectors/real]"""

import glob
import hashlib
import json
import os
import sys
import urllib.parse

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
KEYS = {"case", "generator", "mode", "access_key", "secret_key",
        "session_token", "client", "verifiers", "knob", "notes"}
bad = 0
n = 0
for path in sorted(glob.glob(os.path.join(root, "*", "*.json"))):
    n += 1
    d = json.load(open(path, encoding="utf-8"))
    raw = open(path[:-5] + ".http", "rb").read()
    name = os.path.relpath(path, root)
    problems = []
    if not KEYS <= set(d):
        problems.append("missing keys %s" % (KEYS - set(d)))
    sig = d["client"]["signature"]
    wire = raw.decode("latin-1")
    if sig not in wire and urllib.parse.quote(sig, safe="") not in wire:
        problems.append("client signature not on the wire")
    if d["mode"].startswith("sigv4"):
        cr = d["client"]["canonical_request"]
        sts = d["client"]["string_to_sign"]
        if hashlib.sha256(cr.encode()).hexdigest() != sts.split("\n")[-1]:
            problems.append("string_to_sign does not hash canonical_request")
    for v, e in d["verifiers"].items():
        if e["accepts"] != (e["signature"] == sig):
            problems.append("verifier %s accepts inconsistent" % v)
    if problems:
        bad += 1
        print("FAIL", name, "; ".join(problems))
print("%d cases, %d failing" % (n, bad))
sys.exit(1 if bad else 0)
