#!/usr/bin/env bash
# SigV4A verify per request (issue 15): sigscope (benches/sigv4a.rs, criterion) against awscrt's
# verifier (aws-c-auth aws_verify_sigv4a_signing, bench/sigv4a/awscrt_verify.py) on the same
# request with the same credentials, in one run; writes bench/sigv4a/results.md.
#
#   bench/sigv4a/run.sh          # SIGSCOPE_V4A_BENCH_VENV=DIR to use another venv
#
# awscrt is pinned and installed in a venv under /tmp (created when missing). The awscrt side
# runs before and after criterion; the faster of its two runs is the one compared. Needs
# readelf (binutils): awscrt's verifier is reached at _awscrt's own symbols.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
AWSCRT_VERSION="0.32.2" # as tests/vectors/sigv4a/gen/requirements.txt
VENV="${SIGSCOPE_V4A_BENCH_VENV:-/tmp/sigscope-v4abench-venv}"
OUT="bench/sigv4a/results.md"
REQUEST="tests/vectors/sigv4a/s3-put-object.http"
PUBLIC_KEY="tests/vectors/aws-signing-test-suite/v4a/get-vanilla/public-key.json"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/python" -c "import awscrt, sys; sys.exit(awscrt.__version__ != '$AWSCRT_VERSION')" 2>/dev/null; then
    echo "installing awscrt==$AWSCRT_VERSION into $VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "awscrt==$AWSCRT_VERSION"
fi
PY="$VENV/bin/python"

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
CRIT_DIR="$TARGET_DIR/criterion"

# Build first so that compiling does not overlap the measurements.
cargo bench --bench sigv4a --no-run --quiet
# One pass of each case (criterion --test): the checks (valid, tampered refused) and
# sigscope's canonical requests for awscrt's verifier.
SIGSCOPE_V4A_DUMP="$WORK" cargo bench --bench sigv4a --quiet -- --test >"$WORK/test.txt" 2>&1 ||
    { cat "$WORK/test.txt" >&2; exit 1; }

uptime >"$WORK/load-before"
echo "== awscrt (before) ==" >&2
"$PY" bench/sigv4a/awscrt_verify.py "$REQUEST" "$PUBLIC_KEY" "$WORK" | tee "$WORK/awscrt-1.json" >&2
echo "== criterion ==" >&2
rm -rf "$CRIT_DIR/sigv4a_verify" "$CRIT_DIR/sigv4a_derive" # no stale cases
cargo bench --bench sigv4a --quiet -- --noplot 2>&1 | tee "$WORK/criterion.txt" >&2
echo "== awscrt (after) ==" >&2
"$PY" bench/sigv4a/awscrt_verify.py "$REQUEST" "$PUBLIC_KEY" "$WORK" | tee "$WORK/awscrt-2.json" >&2
uptime >"$WORK/load-after"

export ROOT OUT WORK CRIT_DIR REQUEST
python3 - <<'EOF'
import datetime, glob, json, os, platform, re, subprocess

root, out, work, crit = (os.environ[k] for k in ("ROOT", "OUT", "WORK", "CRIT_DIR"))

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=root).stdout.strip()
    except OSError:
        return "?"

cases = {}
for group in ("sigv4a_verify", "sigv4a_derive"):
    for bj in glob.glob(os.path.join(crit, group, "*", "new", "benchmark.json")):
        with open(bj) as f:
            b = json.load(f)
        with open(os.path.join(os.path.dirname(bj), "estimates.json")) as f:
            est = json.load(f)
        with open(os.path.join(os.path.dirname(bj), "sample.json")) as f:
            sample = json.load(f)
        m = est["mean"]
        # The fastest sample per iteration among samples of at least 1,000 iterations (criterion's
        # samples grow from a few dozen): the like of awscrt's best repeat of 2,000 calls.
        long_ = [t / n for t, n in zip(sample["times"], sample["iters"]) if n >= 1000]
        best = min(long_ or [t / n for t, n in zip(sample["times"], sample["iters"])])
        cases[b["function_id"]] = (m["point_estimate"], m["confidence_interval"]["lower_bound"],
                                   m["confidence_interval"]["upper_bound"],
                                   est["median"]["point_estimate"], best)
verify_cases = ["sigscope/request_cached_key", "sigscope/analyze_all_dialects",
                "sigscope/ecdsa_verify_only"]
missing = [c for c in verify_cases + ["sigscope/derive_public_key"] if c not in cases]
if missing:
    raise SystemExit(f"criterion results missing for {missing} under {crit}")

runs = []
for name in ("awscrt-1.json", "awscrt-2.json"):
    with open(os.path.join(work, name)) as f:
        runs.append(json.load(f))
crt = min(runs, key=lambda r: r["verify_ns_best"])
crt_verify, crt_derive = crt["verify_ns_best"], min(r["derive_ns_best"] for r in runs)
crt_median = crt["verify_ns_median"]

def ns(x):
    return f"{x:,.0f}"

def ratio(peer, x):
    return f"{peer / x:.2f}×"

rows = []
for c in verify_cases:
    mean, lo, hi, median, best = cases[c]
    rows.append((f"`{c}`", f"{ns(mean)} ({ns(lo)}–{ns(hi)})", ns(median), ns(best),
                 ratio(crt_median, median), ratio(crt_verify, best)))
other = max(runs, key=lambda r: r["verify_ns_best"])
rows.append(("`awscrt/aws_verify_sigv4a_signing`",
             "—", ns(crt_median), f"{ns(crt_verify)} (other run {ns(other['verify_ns_best'])})",
             "1.00×", "1.00×"))
mean, lo, hi, median, best = cases["sigscope/derive_public_key"]
drows = [("`sigscope/derive_public_key`", f"{ns(mean)} ({ns(lo)}–{ns(hi)}); best {ns(best)}", ratio(crt_derive, best)),
         ("`awscrt/derive_key_and_public_point`", f"{ns(crt_derive)} (best)", "1.00×")]

def table(rs):
    return "\n".join("| " + " | ".join(r) + " |" for r in rs)

lscpu = sh("lscpu")
cpu = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
hyp = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Hypervisor vendor")), None)
lock = open(os.path.join(root, "Cargo.lock")).read()
def locked(name):
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(name), lock)
    return m.group(1) if m else "?"
commit = sh("git", "rev-parse", "--short", "HEAD")
# Uncommitted changes to what is measured (not to the docs or this results file).
dirty = " (with uncommitted changes)" if sh("git", "status", "--porcelain", "--untracked-files=no", "--",
                                            "src", "benches", "bench/sigv4a/awscrt_verify.py",
                                            "bench/sigv4a/run.sh", "Cargo.toml", "Cargo.lock") else ""
load_before = open(os.path.join(work, "load-before")).read().strip()
load_after = open(os.path.join(work, "load-after")).read().strip()
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

md = f"""# SigV4A: verify one request, sigscope vs awscrt

Generated by `bench/sigv4a/run.sh` on {now}; every row comes from that one run on one machine.
Rerun with `bench/sigv4a/run.sh` (it rewrites this file); the Rust cases alone:
`cargo bench --bench sigv4a -- --noplot`.

**Verify one request** (public key derived once and cached):

| case | mean ns/op (95% CI) | median ns/op | best ns/op | ratio, medians | ratio, bests |
|---|---:|---:|---:|---:|---:|
{table(rows)}

**Derive the key pair** (once per access key):

| case | ns/op | ratio vs awscrt (bests) |
|---|---:|---:|
{table(drows)}

Ratio = awscrt's ns/op ÷ the row's, so above 1× the row is faster than awscrt. sigscope:
criterion's mean and median, and its fastest sample of at least 1,000 iterations ("best",
per iteration); awscrt: the median
and the best of {crt['repeats']} repeats of {crt['calls']:,} calls (timeit's convention). Medians
and bests are each compared like for like; on a loaded machine the bests are the least
disturbed figures. The awscrt side ran before and after criterion; the faster run is shown.

**Request.** `{os.environ['REQUEST']}`: an S3 PutObject that botocore {'1.43.11'} signed through
awscrt (`AWS4-ECDSA-P256-SHA256`, region set `*`, 5 signed headers, a 9-byte body), with the
fixture's credentials (the AWS suite's `AKIDEXAMPLE`). The same bytes and credentials for both.
Before timing, in this run: sigscope accepts it (one dialect and the full analysis) and refuses a
copy with `x-amz-sdk-checksum-algorithm` changed to `CRC32C`; awscrt accepts it, fails the
tampered copy with `AWS_AUTH_SIGV4A_SIGNATURE_VALIDATION_FAILURE`, and fails the valid request
given the tampered copy's canonical request with `AWS_AUTH_CANONICAL_REQUEST_MISMATCH`;
awscrt's key derived from the credentials equals the suite's `public-key.json` (x
`{crt['public_key_x'][:16]}…`), which sigscope's derivation is tested against.

**awscrt's verifier** is aws-c-auth's `aws_verify_sigv4a_signing`, compiled into awscrt's
`_awscrt` but not bound to Python, called through ctypes (`bench/sigv4a/awscrt_verify.py`).
Per call it canonicalises the request from its signable and signing config, compares that with
the canonical request it is given (sigscope's, written by the bench: awscrt accepting the
request shows the two byte-identical, sha256 `{crt['canonical_request_sha256'][:16]}…`), builds
the string to sign, makes a P-256 key from the hex public coordinates and verifies the DER
signature with aws-lc. What it needs the caller to do first is done once, outside the loop:
reduce the request to its signed headers (less `x-amz-date` and `x-amz-region-set`, which it
adds itself), take the date, region set and service from the `Authorization` header, derive the
ECC credentials (so it does not derive them per call). The figure includes one ctypes call
({ns(crt['ctypes_call_ns'])} ns for an empty one).

**sigscope's cases** (`benches/sigv4a.rs`):
- `sigscope/request_cached_key`: the whole verification from the parsed request: parse the
  `Authorization` header, hash the body, canonical request and string to sign (`aws` dialect),
  public key from a warm `KeyCache`, ECDSA verify. More work than awscrt's timed call (the
  header parsing above).
- `sigscope/analyze_all_dialects`: `engine::analyze`, what the CLI does per request: every
  dialect's canonical request and verification, payload checks, the verdict.
- `sigscope/ecdsa_verify_only`: the ECDSA verification alone (hex decode, DER parse, SHA-256,
  the check) on the string to sign.
- `sigscope/derive_public_key` against awscrt's `aws_ecc_key_pair_new_ecdsa_p256_key_from_aws_credentials`
  plus `aws_ecc_key_pair_derive_public_key` (awscrt's key pair has no public point until then).

**Machine.** {cpu}{f' ({hyp} guest)' if hyp else ''}, {sh('nproc')} CPUs, {platform.system()} {platform.release()}.
Load before: `{load_before}`; after: `{load_after}`. Other jobs share the machine; absolute
figures move between runs, the ratios measured in one run are the result.

**Versions.** sigscope {commit}{dirty}; {sh('rustc', '-V')}; p256 {locked('p256')}; criterion
{locked('criterion')}; CPython {crt['python']}, awscrt {crt['awscrt']}. Criterion: 50 samples, 1 s
warm-up, 3 s measurement per case; bench profile = release (fat LTO, opt-level 3).
"""
# What follows the marker (the history of the optimisation) is kept.
MARK = "\n<!-- history: kept by bench/sigv4a/run.sh -->\n"
try:
    kept = open(os.path.join(root, out)).read().partition(MARK)
    md += (MARK + kept[2]) if kept[1] else ""
except OSError:
    pass
with open(os.path.join(root, out), "w") as f:
    f.write(md)
print(md)
EOF
echo "wrote $OUT" >&2
