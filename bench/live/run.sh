#!/usr/bin/env bash
# Load benchmark of `sigscope listen` (endpoint and reverse-proxy mode) against mitmdump in
# reverse-proxy mode, in the same run, on loopback only. Bounded: every wrk run has a fixed
# duration and a per-thread request cap.
#
#   bench/live/run.sh            # writes bench/live/last-run.txt; figures go in results.md
#
# Needs: wrk (Debian: apt-get install -y wrk), python3.11, network access to PyPI for the
# two venvs (botocore for signing the request; mitmproxy for the peer).
# Environment: DURATION (s, default 10), LONG (s, default 60), CONNS (default 50),
# THREADS (default 2), CAP (requests per wrk thread, default 2000000).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-10}"
LONG="${LONG:-60}"
CONNS="${CONNS:-50}"
THREADS="${THREADS:-2}"
CAP="${CAP:-2000000}"
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
SIGN_VENV="${SIGSCOPE_VENV:-/tmp/sigscope-fixtures-venv}"
MITM_VENV="${SIGSCOPE_MITM_VENV:-/tmp/sigscope-mitm-venv}"
AK=AKIDEXAMPLE
SK='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
CREDS="$ROOT/tests/captures/credentials"
OUT="$HERE/last-run.txt"
WORK="$(mktemp -d /tmp/sigscope-bench-live.XXXXXX)"

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }
[ -x "$SIGN_VENV/bin/python" ] || "$PY" -m venv "$SIGN_VENV"
"$SIGN_VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/tests/live/requirements.txt"
[ -x "$MITM_VENV/bin/mitmdump" ] || { "$PY" -m venv "$MITM_VENV"; "$MITM_VENV/bin/pip" install -q --disable-pip-version-check mitmproxy==11.0.2; }

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

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

UP=19901; EP=19902; PX=19903; MP=19904; PS=19905
"$UPBIN" "$UP" 2>/dev/null & pids+=($!)
"$BIN" listen --port "$EP" --credentials "$CREDS" --format json >/dev/null 2>"$WORK/ep.err" & EP_PID=$!; pids+=($EP_PID)
"$BIN" listen --port "$PX" --credentials "$CREDS" --upstream "http://127.0.0.1:$UP" --format json >/dev/null 2>"$WORK/px.err" & PX_PID=$!; pids+=($PX_PID)
"$BIN" listen --port "$PS" --credentials "$CREDS" --upstream "http://127.0.0.1:$UP" --format json --save "$WORK/saved.pcapng" >/dev/null 2>"$WORK/ps.err" & PS_PID=$!; pids+=($PS_PID)
"$MITM_VENV/bin/mitmdump" -q --mode "reverse:http://127.0.0.1:$UP" --listen-host 127.0.0.1 -p "$MP" --set flow_detail=0 >/dev/null 2>&1 & MP_PID=$!; pids+=($MP_PID)
for p in $UP $EP $PX $PS $MP; do wait_port "$p"; done

# Each target gets a request signed for its own Host, so the endpoint verifies it as valid.
script() { "$SIGN_VENV/bin/python" "$HERE/sign.py" "127.0.0.1:$1" "$AK" "$SK" "$CAP" >"$WORK/$1.lua"; echo "$WORK/$1.lua"; }

run() { # name port seconds
    local s; s="$(script "$2")"
    wrk -t"$THREADS" -c"$CONNS" -d"$3"s --latency -s "$s" "http://127.0.0.1:$2/" >"$WORK/$1.wrk"
    local rps p99 non2xx
    rps="$(awk '/^Requests\/sec/ {print $2}' "$WORK/$1.wrk")"
    p99="$(awk '$1 == "99%" {print $2}' "$WORK/$1.wrk")"
    non2xx="$(awk '/Non-2xx/ {print $5}' "$WORK/$1.wrk")"
    printf '%s\t%s\t%s\t%s\n' "$1" "$rps" "$p99" "${non2xx:-0}"
}

{
    echo "# bench/live/run.sh $(date -u +%FT%TZ) — wrk -t$THREADS -c$CONNS, ${DURATION}s runs, ${LONG}s memory runs"
    echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    printf 'run\treq/s\tp99\tnon-2xx\n'
    # Warm-up, not reported.
    wrk -t1 -c4 -d2s "http://127.0.0.1:$UP/" >/dev/null
    run upstream-direct "$UP" "$DURATION"
    run sigscope-endpoint "$EP" "$DURATION"
    run sigscope-proxy "$PX" "$DURATION"
    run sigscope-proxy-save "$PS" "$DURATION"
    run mitmdump-reverse "$MP" "$DURATION"
    echo "# memory over a ${LONG}s run (VmRSS KiB: before, after 2 s, at the end)"
    for t in "sigscope-proxy $PX $PX_PID" "mitmdump-reverse $MP $MP_PID"; do
        set -- $t
        before="$(rss_kib "$3")"
        ( sleep 2; rss_kib "$3" >"$WORK/$1.rss2" ) &
        r="$(run "$1-long" "$2" "$LONG")"
        end="$(rss_kib "$3")"
        printf '%s\tRSS\t%s\t%s\t%s\n' "$r" "$before" "$(cat "$WORK/$1.rss2")" "$end"
    done
    echo "# saved capture: $(stat -c %s "$WORK/saved.pcapng") bytes"
} | tee "$OUT"
