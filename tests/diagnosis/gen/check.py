#!/usr/bin/env python3
"""Runs sigscope over tests/diagnosis/ and compares its findings with expected.json.

usage: check.py [SIGSCOPE]     (default: target/debug/sigscope; run from the repo root)

Three runs of `sigscope report tests/diagnosis/scenarios.pcap --format json`:
  with-secret     --credentials tests/diagnosis/credentials
  without-secret  --credentials <empty file>, no AWS_* variables, HOME elsewhere
  dialect:NAME    with-secret plus --dialect NAME, for entries that name one
Only the contract's diagnosis codes (CODES) are compared; other findings
(hints) are shown but do not count.  Exit status 1 when any run differs.
"""
import json
import os
import subprocess
import sys
import tempfile

CODES = {"dialect-mismatch", "server-likely-dialect", "request-altered",
         "signature-unexplained", "strings-agree-key-differs", "clock-skew",
         "region-mismatch", "payload-hash-mismatch", "presigned-expired",
         "access-key-unknown", "server-strings-differ"}
D = "tests/diagnosis"


def run(exe, creds, extra=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home
        out = subprocess.run([exe, "report", D + "/scenarios.pcap", "--credentials", creds,
                              "--format", "json", *extra], env=env, check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    dec, text, objs, i = json.JSONDecoder(), out.decode(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        o, i = dec.raw_decode(text, i)
        objs.append(o)
    return objs


def codes(obj):
    return [f["code"] for f in obj.get("findings") or []]


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else "target/debug/sigscope"
    expected = json.load(open(D + "/expected.json"))
    with tempfile.NamedTemporaryFile("w", suffix=".credentials") as empty:
        runs = {"with-secret": run(exe, D + "/credentials"),
                "without-secret": run(exe, empty.name)}
        for dialect in sorted({d for e in expected
                               for d in e.get("expect_findings_with_dialect", {})}):
            runs["dialect:" + dialect] = run(exe, D + "/credentials", ["--dialect", dialect])
    bad = 0
    print("| # | scenario | status | run | verdict | expected | actual (contract codes) | other findings | ok |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, e in enumerate(expected):
        wants = {"with-secret": e["expect_findings"],
                 "without-secret": e.get("expect_findings_without_secret", e["expect_findings"])}
        for d, w in e.get("expect_findings_with_dialect", {}).items():
            wants["dialect:" + d] = w
        for name, want in wants.items():
            objs = runs[name]
            if n >= len(objs):
                print("| %d | %s | %s | %s | - | %s | (missing) | | NO |" % (n, e["scenario"], e["status"], name, want))
                bad += 1
                continue
            o = objs[n]
            got = codes(o)
            contract = sorted(set(c for c in got if c in CODES))
            other = sorted(set(c for c in got if c not in CODES))
            st = (o.get("response") or {}).get("status")
            ok = contract == sorted(set(want)) and st == e["status"]
            bad += not ok
            print("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                n, e["scenario"], e["status"], name, o.get("verdict"), ", ".join(want) or "-",
                ", ".join(contract) or "-", ", ".join(other) or "", "yes" if ok else "NO"))
    print("\n%d of the expectations differ" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
