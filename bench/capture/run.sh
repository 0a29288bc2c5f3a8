#!/usr/bin/env bash
# Capture-ingest benchmark: sigscope vs tshark on one large generated pcap, in one run.
#
# Generates (or reuses) a pcap of >= 1M signed AWS HTTP/1.1 requests and >= 1 GiB with
# examples/gen_capture/, then measures wall time and peak RSS (/usr/bin/time -v) of
#   sigscope report BIG.pcap --format json                     (the full job, with the test keys)
#   sigscope report BIG.pcap --format json, no credentials     (no HMACs: what the crypto costs)
#   tshark -r BIG.pcap -Y http.request -T fields ...           (default prefs: TCP reassembly + HTTP)
#   tshark ... with TCP sequence analysis off                  (tshark's cheapest comparable setup)
# and writes bench/capture/results.md.
#
# Usage, from anywhere:  bench/capture/run.sh
# Environment:
#   REQUESTS=1000000  MIN_BYTES=1073741824  SEED=1   generated file
#   CACHE_DIR=/tmp/sigscope-capture-bench             where the generated file is kept
#   SIGSCOPE_RUNS=3                                   sigscope runs (median reported)
#   SKIP_TSHARK_TUNED=1                               skip the 4th measurement
#   TIME_LIMIT=1500                                   seconds per measured run (timeout)
#   PROFILE=0                                         skip the perf profile (on a ~100 MB capture)
#   RESULTS=bench/capture/results.md                  where the report goes
# The file is reused when one with the same parameters and generator source exists.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REQUESTS="${REQUESTS:-1000000}"
MIN_BYTES="${MIN_BYTES:-1073741824}"
SEED="${SEED:-1}"
CACHE_DIR="${CACHE_DIR:-/tmp/sigscope-capture-bench}"
SIGSCOPE_RUNS="${SIGSCOPE_RUNS:-3}"
TIME_LIMIT="${TIME_LIMIT:-1500}"
OUT="${RESULTS:-bench/capture/results.md}"
CREDS="tests/captures/credentials"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log() { echo "== $*" >&2; }

# ------------------------------------------------------------------ tools
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    if [ "$(id -u)" = 0 ]; then apt-get install -y time >&2; else sudo apt-get install -y time >&2; fi
fi
command -v tshark >/dev/null || { echo "tshark is not installed (apt-get install tshark)" >&2; exit 1; }

# Build first, so that compiling does not overlap the measurements. Other people may be
# changing the code: retry a broken build a few times, a minute apart.
for attempt in 1 2 3 4 5; do
    if cargo build --release --quiet && cargo build --release --quiet --example gen_capture; then
        break
    fi
    [ "$attempt" = 5 ] && { echo "cargo build failed 5 times" >&2; exit 1; }
    log "build failed (attempt $attempt); retrying in 60 s"
    sleep 60
done
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
# Copies, so that a rebuild by someone else during the run cannot swap the binary under us.
cp "$TARGET_DIR/release/sigscope" "$WORK/sigscope"
cp "$TARGET_DIR/release/examples/gen_capture" "$WORK/gen_capture"
SIGSCOPE="$WORK/sigscope"
GEN="$WORK/gen_capture"
# What was built: commit, and a digest of any uncommitted change to the sources.
BUILD_REV="$(git rev-parse --short HEAD)"
BUILD_DIRTY="$(git status --porcelain -- src Cargo.toml Cargo.lock | wc -l)"
BUILD_DIFF="$(git diff HEAD -- src Cargo.toml Cargo.lock | sha256sum | cut -c1-12)"
BUILD_BIN="$(sha256sum "$SIGSCOPE" | cut -c1-12)"

# ------------------------------------------------------------------ the capture
mkdir -p "$CACHE_DIR"
GEN_HASH="$(cat examples/gen_capture/*.rs | sha256sum | cut -c1-12)"
BIG="$CACHE_DIR/capture-r$REQUESTS-m$MIN_BYTES-s$SEED-$GEN_HASH.pcap"
META="$BIG.meta"
if [ -s "$BIG" ] && [ -s "$META" ] && [ "$(stat -c %s "$BIG")" = "$(sed -n 's/^bytes=//p' "$META")" ]; then
    log "reusing $BIG"
else
    log "generating $BIG"
    rm -f "$BIG" "$META"
    "$GEN" "$BIG" --requests "$REQUESTS" --min-bytes "$MIN_BYTES" --seed "$SEED" >"$META.tmp"
    mv "$META.tmp" "$META"
fi
cat "$META" >&2
meta() { sed -n "s/^$1=//p" "$META"; }

# Read the file once so that every measured run reads it from the page cache.
warm() { cat "$BIG" >/dev/null; }

# measure NAME STDOUT-FILE CMD...: one run under GNU time; keeps NAME.time and NAME.err.
measure() {
    local name="$1" stdout="$2"
    shift 2
    warm
    log "$name: $*"
    local rc=0
    timeout "$TIME_LIMIT" /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$stdout" 2>"$WORK/$name.err" || rc=$?
    echo "$rc" >"$WORK/$name.rc"
    grep -E "Elapsed|Maximum resident" "$WORK/$name.time" >&2 || true
    [ "$rc" = 0 ] || log "$name exited with $rc"
}

uptime >"$WORK/load-before"
for i in $(seq 1 "$SIGSCOPE_RUNS"); do
    measure "sigscope-$i" /dev/null \
        "$SIGSCOPE" report "$BIG" --credentials "$CREDS" --format json
done
# No credentials: every signature is "unverified" (no HMAC), the rest of the job is the same.
for i in $(seq 1 "$SIGSCOPE_RUNS"); do
    measure "sigscope-nokeys-$i" /dev/null \
        env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        "$SIGSCOPE" report "$BIG" --format json
done
# The like-for-like job: list every request (TSV), as tshark -T fields does, no verification.
for i in $(seq 1 "$SIGSCOPE_RUNS"); do
    measure "sigscope-tsv-$i" /dev/null "$SIGSCOPE" report "$BIG" --format tsv
done
# tshark's output is small (three fields per request), so it goes to a file to be counted.
TSHARK_FIELDS=(-Y http.request -T fields -e frame.number -e http.request.method -e http.request.uri)
measure tshark "$WORK/tshark.tsv" tshark -r "$BIG" "${TSHARK_FIELDS[@]}"
if [ -z "${SKIP_TSHARK_TUNED:-}" ]; then
    measure tshark-tuned "$WORK/tshark-tuned.tsv" tshark -r "$BIG" \
        -o tcp.analyze_sequence_numbers:FALSE -o tcp.track_bytes_in_flight:FALSE \
        -o tcp.calculate_timestamps:FALSE "${TSHARK_FIELDS[@]}"
fi
uptime >"$WORK/load-after"

# Correctness (not timed): every request seen, the verdicts the generator intended.
log "checking sigscope's output (untimed)"
"$SIGSCOPE" report "$BIG" --credentials "$CREDS" --format json 2>/dev/null |
    grep -o '"verifier":"aws","verdict":"[a-z]*"' | sort | uniq -c >"$WORK/verdicts" || true
cat "$WORK/verdicts" >&2
wc -l <"$WORK/tshark.tsv" >"$WORK/tshark.count"
[ -f "$WORK/tshark-tuned.tsv" ] && wc -l <"$WORK/tshark-tuned.tsv" >"$WORK/tshark-tuned.count"

# Where sigscope's time goes (PROFILE=0 skips): perf on a ~100 MB capture of the same mix.
tidy() { sed -E 's/([[:space:]]+-){2}[[:space:]]*$//; s/[[:space:]]+$//'; }
if [ "${PROFILE:-1}" != 0 ] && command -v perf >/dev/null; then
    SMALL="$CACHE_DIR/capture-r60000-m0-s$SEED-$GEN_HASH.pcap"
    if [ ! -s "$SMALL" ] || [ ! -s "$SMALL.meta" ]; then
        "$GEN" "$SMALL" --requests 60000 --seed "$SEED" >"$SMALL.meta.tmp"
        mv "$SMALL.meta.tmp" "$SMALL.meta"
    fi
    log "profiling on $SMALL"
    if perf record -q -F 999 --call-graph dwarf,16384 -o "$WORK/perf.data" \
        "$SIGSCOPE" report "$SMALL" --credentials "$CREDS" --format json >/dev/null 2>&1; then
        echo "$SMALL" >"$WORK/perf.file"
        perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio -g none \
            --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' | tidy | head -30 >"$WORK/perf-self.txt" || true
        perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none \
            --percent-limit 2 2>/dev/null | grep -v '^#' | grep -v '^$' | grep -v '(inlined)' |
            grep -E 'sigscope::|serde_json::ser::to_writer' | tidy | head -40 >"$WORK/perf-children.txt" || true
    else
        log "perf record failed; no profile"
    fi
fi

export ROOT OUT WORK BIG META SIGSCOPE CREDS SIGSCOPE_RUNS TIME_LIMIT REQUESTS MIN_BYTES SEED \
    BUILD_REV BUILD_DIRTY BUILD_DIFF BUILD_BIN
python3 - <<'EOF'
import datetime, os, re, statistics, subprocess

root, out, work, big, meta_path, sigscope = (os.environ[k] for k in
    ("ROOT", "OUT", "WORK", "BIG", "META", "SIGSCOPE"))
runs = int(os.environ["SIGSCOPE_RUNS"])

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=root).stdout.strip()
    except OSError:
        return "?"

meta = dict(l.split("=", 1) for l in open(meta_path).read().split("\n") if "=" in l)
size = int(meta["bytes"]); requests = int(meta["requests"]); packets = int(meta["packets"])

def parse_time(name):
    p = os.path.join(work, name + ".time")
    if not os.path.exists(p):
        return None
    t = open(p).read()
    def field(label):
        for line in t.splitlines():
            if line.strip().startswith(label):
                return line.rsplit(": ", 1)[1].strip()
        return None
    wall = field("Elapsed (wall clock) time")
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    rc = int(open(os.path.join(work, name + ".rc")).read())
    err = open(os.path.join(work, name + ".err")).read()
    return {
        "wall": secs,
        "user": float(field("User time")),
        "sys": float(field("System time")),
        "rss_kib": int(field("Maximum resident set size")),
        "rc": rc,
        "err": err,
    }

def count_sigscope(r):
    m = re.search(r"(\d+) HTTP exchanges", r["err"])
    return int(m.group(1)) if m else None

rows = []
sig_runs = [r for r in (parse_time(f"sigscope-{i}") for i in range(1, runs + 1)) if r]
def median(rs):
    return sorted(rs, key=lambda r: r["wall"])[len(rs) // 2] if rs else None  # by wall time
sig = median(sig_runs)
sig["count"] = count_sigscope(sig)
nok_runs = [r for r in (parse_time(f"sigscope-nokeys-{i}") for i in range(1, runs + 1)) if r]
nok = median(nok_runs)
if nok:
    nok["count"] = count_sigscope(nok)
tsv_runs = [r for r in (parse_time(f"sigscope-tsv-{i}") for i in range(1, runs + 1)) if r]
tsv = median(tsv_runs)
if tsv:
    tsv["count"] = count_sigscope(tsv)
tsh = parse_time("tshark")
tsh["count"] = int(open(os.path.join(work, "tshark.count")).read())
tun = parse_time("tshark-tuned")
if tun:
    tun["count"] = int(open(os.path.join(work, "tshark-tuned.count")).read())

def mb(x): return x / 1e6
def thr(r): return mb(size) / r["wall"]
def rps(r): return requests / r["wall"]
def fmt_rss(k): return f"{k / 1024:,.0f} MiB"

creds = os.environ["CREDS"]
cmd_sig = f"target/release/sigscope report BIG.pcap --credentials {creds} --format json > /dev/null"
cmd_nok = "AWS_SHARED_CREDENTIALS_FILE=/dev/null target/release/sigscope report BIG.pcap --format json > /dev/null"
cmd_tsh = "tshark -r BIG.pcap -Y http.request -T fields -e frame.number -e http.request.method -e http.request.uri > OUT.tsv"
cmd_tun = ("tshark -r BIG.pcap -o tcp.analyze_sequence_numbers:FALSE -o tcp.track_bytes_in_flight:FALSE "
           "-o tcp.calculate_timestamps:FALSE -Y http.request -T fields -e frame.number "
           "-e http.request.method -e http.request.uri > OUT.tsv")

table = [
    (f"**sigscope** report, JSON, test keys (median of {len(sig_runs)})", sig, cmd_sig),
]
if nok:
    table.append((f"sigscope report, JSON, no credentials (median of {len(nok_runs)})", nok, cmd_nok))
if tsv:
    table.append((f"sigscope report, TSV request listing, no verification (median of {len(tsv_runs)})", tsv,
                  "target/release/sigscope report BIG.pcap --format tsv > /dev/null"))
table.append(("**tshark** `-Y http.request`, default prefs", tsh, cmd_tsh))
if tun:
    table.append(("tshark `-Y http.request`, TCP analysis off", tun, cmd_tun))

def runs_line(rs):
    return ", ".join(f"{r['wall']:.1f}" for r in rs)

lines = []
lines.append("| run | wall s | CPU s (user+sys) | MB/s | requests/s | peak RSS | RSS / file | requests seen | exit |")
lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for label, r, _ in table:
    lines.append(
        f"| {label} | {r['wall']:.1f} | {r['user'] + r['sys']:.1f} | {thr(r):,.1f} | {rps(r):,.0f} | "
        f"{fmt_rss(r['rss_kib'])} | {r['rss_kib'] * 1024 / size * 100:.2f}% | "
        f"{r['count'] if r['count'] is not None else '?'} | {r['rc']} |")

ratio = tsh["wall"] / sig["wall"]
cpu_ratio = (tsh["user"] + tsh["sys"]) / (sig["user"] + sig["sys"])
ratio_tuned = tun["wall"] / sig["wall"] if tun else None
mem_ratio = tsh["rss_kib"] / sig["rss_kib"]
# Ingest throughput: the same job as tshark's (read, reassemble, parse HTTP, list each request).
ingest = tsh["wall"] / tsv["wall"] if tsv else None
ingest_tuned = tun["wall"] / tsv["wall"] if (tsv and tun) else None
target_ok = ingest is not None and ingest >= 20

verdicts = open(os.path.join(work, "verdicts")).read().strip("\n")
lscpu = sh("lscpu")
model = re.search(r"Model name:\s*(.+)", lscpu)
model = model.group(1).strip() if model else "?"
rev = os.environ["BUILD_REV"]
dirty = int(os.environ["BUILD_DIRTY"]) > 0
mem = sh("sh", "-c", "free -g | awk '/^Mem:/ {print $2}'")
kernel = sh("uname", "-r")
tshark_v = sh("sh", "-c", "tshark --version | head -1")
sig_v = sh(sigscope, "--version")
rustc_v = sh("rustc", "--version")
load_b = open(os.path.join(work, "load-before")).read().strip()
load_a = open(os.path.join(work, "load-after")).read().strip()
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

md = f"""# Capture ingest: sigscope vs tshark

Made by `bench/capture/run.sh` on {now}. One generated capture, every tool run on it in the
same run, one after another, with the file in the page cache (it is read once before each run).

**Ingest throughput, sigscope / tshark: {f"{ingest:.1f}" if ingest else "?"}×** (wall time): reading the pcap, reassembling TCP,
parsing HTTP and listing every request (`sigscope report --format tsv`), the job
`tshark -Y http.request -T fields` does{f"; {ingest_tuned:.1f}× against tshark with TCP sequence analysis off" if ingest_tuned else ""}.
Target ≥ 20×: **{"met" if target_ok else "not met"}**.

**Full report, sigscope / tshark: {ratio:.1f}×** (wall time; {cpu_ratio:.1f}× in CPU time){f"; {ratio_tuned:.1f}× against tshark with TCP sequence analysis off" if ratio_tuned else ""}:
the same ingest plus verification under all 7 dialects, the diagnosis and ~5.6 KB of JSON per
request, work tshark does not do.
sigscope's peak RSS: **{fmt_rss(sig['rss_kib'])}**, {sig['rss_kib'] * 1024 / size * 100:.2f}% of the {mb(size):,.0f} MB file
({mem_ratio:.0f}× less than tshark's {fmt_rss(tsh['rss_kib'])}).

{chr(10).join(lines)}

All sigscope runs, wall s: with keys {runs_line(sig_runs)}; no credentials {runs_line(nok_runs)}; listing {runs_line(tsv_runs)}.
MB = 10^6 bytes of pcap file; requests/s = the file's {requests:,} requests / wall time.
"requests seen" is sigscope's count of HTTP exchanges (its stderr summary) and the number of rows
tshark printed.

## The capture

`{os.path.basename(big)}`, made by `cargo run --release --example gen_capture -- BIG.pcap --requests {os.environ['REQUESTS']} --min-bytes {os.environ['MIN_BYTES']} --seed {os.environ['SEED']}`
(deterministic: same arguments, same bytes).

| | |
| --- | ---: |
| size | {size:,} bytes ({size / 2**30:.2f} GiB) |
| HTTP requests | {requests:,} |
| HTTP responses (incl. `100 Continue`) | {int(meta['responses']):,} |
| packets | {packets:,} |
| TCP connections | {int(meta['connections']):,} |
| requests meant valid / invalid (403) | {int(meta['expected_valid']):,} / {int(meta['expected_invalid']):,} |
| capture time span | {float(meta['capture_seconds']):,.0f} s |

Legacy pcap, Ethernet, µs timestamps; clients on 127.0.0.2–251 to a server on 127.0.0.1:80, 32
connections open at a time with their packets interleaved, 1–16 keep-alive exchanges each,
MSS 1448, correct IPv4/TCP checksums. Requests: S3 SigV4 GET/HEAD/PUT (header auth,
really signed with the test key; 0.5% are PUTs of 4–64 KiB), SigV4 presigned GETs, S3 SigV2
GETs, 2% signed with a wrong secret (→ 403 `SignatureDoesNotMatch`), and ~32% the real
botocore/boto2 requests of `tests/vectors/real` byte for byte (with `100 Continue` where they sent
`Expect`).

sigscope's verdicts (untimed check run; `"verifier":"aws","verdict":…` per request):

```
{verdicts}
```

## Machine

| | |
| --- | --- |
| CPU | {model}, {os.cpu_count()} logical CPUs |
| memory | {mem} GiB |
| kernel | {kernel} |
| tshark | {tshark_v} |
| sigscope | {sig_v}, git {rev}{f" plus uncommitted changes to src/ or Cargo files (diff sha256 {os.environ['BUILD_DIFF']})" if dirty else ""}, `cargo build --release` ({rustc_v}); binary sha256 {os.environ['BUILD_BIN']} |
| load before | `{load_b}` |
| load after | `{load_a}` |

## Commands

BIG.pcap is the file above; each command ran under `timeout {os.environ['TIME_LIMIT']} /usr/bin/time -v`
(wall = "Elapsed (wall clock) time", peak RSS = "Maximum resident set size").

"""
for label, r, cmd in table:
    md += f"- {label.replace('**', '')}:\n  `{cmd}`\n"
md += """
Notes:
- tshark's default prefs already reassemble TCP streams and HTTP headers and bodies
  (`tcp.desegment_tcp_streams`, `http.desegment_headers`, `http.desegment_body` are all TRUE in
  4.0), so `-o tcp.desegment_tcp_streams:TRUE -o http.desegment_body:TRUE` is the same run as the
  default one and is not repeated. The "TCP analysis off" run turns off tshark's per-packet
  sequence analysis, which sigscope does not do either, for a more favourable tshark number.
- The machine may be shared: the load averages above show whether something else ran at the
  same time. CPU time (user+sys) is less sensitive to that than wall time.
- The listing (`--format tsv`) is the like-for-like job: pcap reading, TCP reassembly, HTTP/1.x
  parsing with bodies and their SHA-256, each request matched with its response, and one line
  per request with eleven fields (tshark prints three). The full report adds signature analysis
  under all dialects, the diagnosis and one JSON line per exchange (about 5.6 KB each).
- sigscope reads on one thread (pcap, link/IP/TCP decoding), reassembles and parses HTTP on a
  second, and analyses and formats on one worker per core; tshark uses one thread.
- Rerun: `bench/capture/run.sh` (`REQUESTS`, `MIN_BYTES`, `SEED`, `SIGSCOPE_RUNS`,
  `SKIP_TSHARK_TUNED=1`, `CACHE_DIR` in the environment; the capture is cached under
  `/tmp/sigscope-capture-bench`).
"""
if os.path.exists(os.path.join(work, "perf-self.txt")):
    small = open(os.path.join(work, "perf.file")).read().strip()
    md += f"""
## Where sigscope's time goes

`perf record -F 999 --call-graph dwarf` of the same sigscope command on
`{os.path.basename(small)}` ({os.path.getsize(small) / 1e6:,.0f} MB, same mix, 60,000 requests); percentages are
of all CPU samples, every thread.

Self time (`perf report --no-children --sort symbol`, ≥ 1%):

```
{open(os.path.join(work, "perf-self.txt")).read().rstrip()}
```

Inclusive time of sigscope's own functions (`perf report --children --sort symbol`, ≥ 2%):

```
{open(os.path.join(work, "perf-children.txt")).read().rstrip()}
```
"""

with open(os.path.join(root, out), "w") as f:
    f.write(md)
print(md)
EOF
