#!/usr/bin/env bash
# Load benchmark of live capture (`sigscope capture -i lo`, issue 16) beside tshark, on the
# same traffic in the same run, on loopback only. Bounded: wrk runs for DURATION seconds with
# a per-thread request cap; both sniffers are stopped right after.
#
#   sudo bench/sniff/run.sh       # writes bench/sniff/last-run.txt; figures go in results.md
#
# Traffic: wrk (THREADS threads, CONNS keep-alive connections) sending one S3 GetObject
# signed by botocore (bench/live/sign.py) to a minimal hyper responder
# (examples/live_upstream.rs), so the responder costs little and the sniffers see real
# signed HTTP/1.1. Sniffers, both on `lo` with the capture filter `tcp port PORT`:
#   sigscope capture -i lo port PORT --format json  (every exchange verified, printed to
#     /dev/null), FORMAT=tsv lists without verifying;
#   tshark -i lo -f 'tcp port PORT' -Y http.request -T fields -e frame.number (to /dev/null).
# Measured: requests wrk completed; exchanges sigscope printed; packets each captured and
# dropped (sigscope: pcap stats, its summary line; tshark: dumpcap's end-of-run counts);
# each sniffer's CPU time (utime+stime from /proc, children included for tshark's dumpcap)
# and sigscope's RSS every 5 s.
#
# Needs: root (capture), wrk (apt-get install -y wrk), tshark, python3.11 with network access
# to PyPI for the signing venv. Environment: DURATION (s, default 60), CONNS (default 10),
# THREADS (default 1), CAP (requests per wrk thread, default 3000000), FORMAT (json|tsv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-60}"
CONNS="${CONNS:-10}"
THREADS="${THREADS:-1}"
CAP="${CAP:-3000000}"
FORMAT="${FORMAT:-json}"
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
SIGN_VENV="${SIGSCOPE_VENV:-/tmp/sigscope-fixtures-venv}"
AK=AKIDEXAMPLE
SK='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
CREDS="$ROOT/tests/captures/credentials"
OUT="$HERE/last-run.txt"
WORK="$(mktemp -d /tmp/sigscope-bench-sniff.XXXXXX)"

[ "$(id -u)" = 0 ] || { echo "capturing needs root" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }
command -v tshark >/dev/null || { echo "tshark is needed: apt-get install -y tshark" >&2; exit 2; }
[ -x "$SIGN_VENV/bin/python" ] || "$PY" -m venv "$SIGN_VENV"
"$SIGN_VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/live/requirements.txt"

cargo build --release --locked --bin sigscope --example live_upstream >/dev/null 2>&1
BIN="$ROOT/target/release/sigscope"
UPBIN="$ROOT/target/release/examples/live_upstream"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 never opened" >&2
    exit 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds of a process and its reaped children (utime stime cutime cstime).
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU seconds of a process tree (tshark runs dumpcap as a child).
tree_cpu_s() {
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do
        total=$(awk -v a="$total" -v b="$(cpu_s "$p")" 'BEGIN { printf "%.1f", a + b }')
    done
    echo "$total"
}

PORT=19911
"$UPBIN" "$PORT" 2>/dev/null & pids+=($!)
wait_port "$PORT"
"$SIGN_VENV/bin/python" "$ROOT/bench/live/sign.py" "127.0.0.1:$PORT" "$AK" "$SK" "$CAP" >"$WORK/req.lua"

"$BIN" capture -i lo port "$PORT" --format "$FORMAT" --credentials "$CREDS" \
    >"$WORK/sigscope.out" 2>"$WORK/sigscope.err" & SG=$!; pids+=($SG)
tshark -i lo -f "tcp port $PORT" -Y http.request -T fields -e frame.number \
    >"$WORK/tshark.out" 2>"$WORK/tshark.err" & TS=$!; pids+=($TS)
for _ in $(seq 1 100); do
    grep -q "capturing on" "$WORK/sigscope.err" && grep -q "Capturing on" "$WORK/tshark.err" && break
    sleep 0.1
done
sleep 1

RSS=()
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s "$WORK/req.lua" "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt" & WRK=$!
for _ in $(seq 5 5 "$DURATION"); do
    sleep 5
    RSS+=("$(rss_kib "$SG")")
done
wait "$WRK"
sleep 2
SG_CPU=$(cpu_s "$SG"); TS_CPU=$(tree_cpu_s "$TS")
kill -INT "$SG" "$TS"
for _ in $(seq 1 300); do
    kill -0 "$SG" 2>/dev/null || kill -0 "$TS" 2>/dev/null || break
    sleep 0.1
done
wait "$SG" || true
wait "$TS" || true

REQS=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
RATE=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
case "$FORMAT" in
    json) SG_X=$(wc -l <"$WORK/sigscope.out") ;;
    *) SG_X=$(($(wc -l <"$WORK/sigscope.out") - 1)) ;;
esac
TS_X=$(wc -l <"$WORK/tshark.out")
{
    echo "sigscope capture vs tshark on lo: $(date -u '+%Y-%m-%d %H:%M UTC'), sigscope $(git rev-parse --short HEAD)"
    echo "machine: $(nproc) CPUs, $(uname -r); $(uptime)"
    echo "wrk: $THREADS threads, $CONNS connections, ${DURATION} s: $REQS requests, $RATE requests/s"
    echo "sigscope (--format $FORMAT): $SG_X exchanges printed; CPU ${SG_CPU} s; RSS KiB every 5 s: ${RSS[*]}"
    echo "sigscope summary: $(grep -E 'packets captured' "$WORK/sigscope.err" | tail -1)"
    grep -i "warning" "$WORK/sigscope.err" | head -3 || true
    echo "tshark: $TS_X requests listed; CPU ${TS_CPU} s (with dumpcap)"
    echo "tshark says: $(grep -iE 'packets (captured|dropped)|dropped' "$WORK/tshark.err" | tr '\n' ' ')"
    echo "$(tshark --version | head -1)"
} | tee "$OUT"
