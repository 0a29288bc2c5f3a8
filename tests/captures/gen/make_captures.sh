#!/usr/bin/env bash
# Regenerate the sigscope capture fixtures in tests/captures/ with real tools:
# tcpdump / dumpcap capture loopback traffic between real clients (botocore,
# curl) and gen/server.py.  Needs root (packet capture) and python3 with
# botocore.  Re-runnable; output differs run to run (timestamps, ports, ISNs,
# signatures over X-Amz-Date).
#
#   bash tests/captures/gen/make_captures.sh
#   ONLY="cooked-v1.pcap head-body.pcap" bash tests/captures/gen/make_captures.sh
#       (only those captures and their tshark views; truncated.pcap needs keepalive.pcap)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
SERVER_PIDS=()

cleanup() {
  for p in "${SERVER_PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- tools
if ! command -v tcpdump >/dev/null || ! command -v tshark >/dev/null \
   || ! command -v dumpcap >/dev/null || ! command -v editcap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
  apt-get update
  apt-get install -y tcpdump tshark
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
"$PY" -c 'import botocore' 2>/dev/null || "$PY" -m pip install botocore

# ---------------------------------------------------------------- helpers
want() {  # outfile: whether this run makes it (all unless ONLY lists others)
  [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]
}

start_server() {  # host port [server.py options...]
  "$PY" "$HERE/server.py" "$@" 2>"$WORK/server-$2-${1//:/_}.log" &
  SERVER_PIDS+=("$!")
  for _ in $(seq 50); do
    grep -q listening "$WORK/server-$2-${1//:/_}.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $1:$2 did not start" >&2; exit 1
}

CAP_PID=""
start_capture() {  # log-file command...
  local log="$1"; shift
  "$@" 2>"$log" &
  CAP_PID=$!
  # tcpdump says "listening on", dumpcap says "Capturing on"
  for _ in $(seq 100); do
    grep -qE 'listening on|Capturing on' "$log" 2>/dev/null && { sleep 0.3; return 0; }
    sleep 0.1
  done
  echo "capture did not start:" >&2; cat "$log" >&2; exit 1
}

stop_capture() {
  sleep 0.5                      # let the last FIN/ACKs reach the capture
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  CAP_PID=""
}

dropped() {  # caplog -> number of packets the kernel/capture dropped
  { grep -oE '[0-9]+ packets? dropped by kernel' "$1" | grep -oE '^[0-9]+';
    grep -oE "received/dropped on interface [^:]*: [0-9]+/[0-9]+" "$1" | grep -oE '[0-9]+$';
  } | awk '{s+=$1} END {print s+0}'
}

# --immediate-mode: deliver every packet at once, so nothing is still sitting in
# the kernel ring when SIGINT arrives (without it, -i any lost most packets).
# -B: a large kernel buffer; loopback segments are up to 64 KiB each.
capture_with_retry() {  # outfile scenario capture-command...
  local out="$1" scenario="$2"; shift 2
  for attempt in 1 2 3; do
    rm -f "$OUT/$out"
    start_capture "$WORK/$out.caplog" "$@"
    "$PY" "$HERE/clients.py" "$scenario"
    stop_capture
    cat "$WORK/$out.caplog"
    [ "$(dropped "$WORK/$out.caplog")" -eq 0 ] && return 0
    echo "!! packets dropped, capturing $out again (attempt $attempt)"
  done
  echo "could not capture $out without drops" >&2; exit 1
}

tcpdump_capture() {  # outfile iface filter scenario [extra tcpdump args...]
  local out="$1" iface="$2" filter="$3" scenario="$4"; shift 4
  want "$out" || return 0
  echo "== $out ($scenario via tcpdump -i $iface $*)"
  capture_with_retry "$out" "$scenario" \
    tcpdump -i "$iface" -s 0 -B 32768 -U --immediate-mode "$@" -w "$OUT/$out" "$filter"
}

# ---------------------------------------------------------------- servers
start_server 127.0.0.1 8003
start_server 127.0.0.1 8004
start_server ::1 8003
start_server 127.0.0.1 8005 --head-body   # writes a body after HEAD responses

# ---------------------------------------------------------------- captures
tcpdump_capture keepalive.pcap      lo  'tcp port 8003' keepalive
tcpdump_capture large-body.pcap     lo  'tcp port 8003' large
tcpdump_capture chunked-upload.pcap lo  'tcp port 8003' chunked
tcpdump_capture cooked-any.pcap     any 'tcp port 8004' cooked
tcpdump_capture nanosecond.pcap     lo  'tcp port 8003' nano --time-stamp-precision=nano
# -i any writes Linux cooked v2 by default here; -y LINUX_SLL asks for v1 (DLT 113), whose
# loopback frames (ARPHRD_LOOPBACK) sigscope once could not decode.
tcpdump_capture cooked-v1.pcap      any 'tcp port 8004' cookedv1 -y LINUX_SLL
tcpdump_capture head-body.pcap      lo  'tcp port 8005' headbody

if want pcapng-ipv6.pcapng; then
echo "== pcapng-ipv6.pcapng (ipv6 via dumpcap -i lo)"
# dumpcap writes pcapng natively (tcpdump 4.99 can only write pcap).
# -q keeps the packet counter off stderr.
capture_with_retry pcapng-ipv6.pcapng ipv6 \
  dumpcap -q -i lo -s 0 -B 32 -f 'ip6 and tcp port 8003' -w "$OUT/pcapng-ipv6.pcapng"
fi

if want truncated.pcap; then
echo "== truncated.pcap (keepalive.pcap cut at ~70%, inside a packet)"
size=$(stat -c %s "$OUT/keepalive.pcap")
cut=$(( size * 70 / 100 ))
# make sure the cut is inside a packet record, not on a record boundary
bounds="$("$PY" - "$OUT/keepalive.pcap" <<'PYEOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off, b = 24, []
while off + 16 <= len(d):
    b.append(off)
    incl = struct.unpack(end + "I", d[off + 8:off + 12])[0]
    off += 16 + incl
b.append(off)
print(" ".join(map(str, b)))
PYEOF
)"
for b in $bounds; do
  if [ "$b" -eq "$cut" ] || [ "$b" -eq $((cut - 16)) ]; then cut=$((cut + 37)); fi
done
head -c "$cut" "$OUT/keepalive.pcap" > "$OUT/truncated.pcap"
echo "truncated.pcap: $cut of $size bytes"
fi

FIXTURES=()
for f in keepalive.pcap large-body.pcap chunked-upload.pcap cooked-any.pcap \
         pcapng-ipv6.pcapng nanosecond.pcap truncated.pcap cooked-v1.pcap head-body.pcap; do
  want "$f" && FIXTURES+=("$f")
done

# tcpdump drops privileges to its own user and dumpcap writes 0600 files.
for f in "${FIXTURES[@]}"; do
  chown --reference="$OUT" "$OUT/$f" 2>/dev/null || true
  chmod 0644 "$OUT/$f"
done

# ---------------------------------------------------------------- tshark views
cd "$OUT"   # relative names, so tshark's messages do not embed this checkout's path
# -d: 8003/8004 are not in the HTTP dissector's default port list.
TSHARK_OPTS=(-o tcp.desegment_tcp_streams:TRUE -o http.desegment_headers:TRUE
             -o http.desegment_body:TRUE -o http.dechunk_body:TRUE
             -d tcp.port==8003,http -d tcp.port==8004,http -d tcp.port==8005,http)
for f in "${FIXTURES[@]}"; do
  tshark -r "$f" "${TSHARK_OPTS[@]}" -Y http.request -T fields -E separator=/t -E header=y \
    -e frame.number -e http.request.method -e http.request.uri -e http.host -e http.authorization \
    > "$OUT/$f.tshark.tsv" 2> "$WORK/$f.err" || true
  tshark -r "$f" "${TSHARK_OPTS[@]}" -Y http.response -T fields -E separator=/t -E header=y \
    -e frame.number -e http.response.code -e http.request_in -e http.response_for.uri \
    > "$OUT/$f.tshark-responses.tsv" 2>> "$WORK/$f.err" || true
  if [ -s "$WORK/$f.err" ]; then
    grep -v '^Running as user "root"' "$WORK/$f.err" > "$OUT/$f.tshark.stderr" || true
    [ -s "$OUT/$f.tshark.stderr" ] || rm -f "$OUT/$f.tshark.stderr"
  else
    rm -f "$OUT/$f.tshark.stderr"
  fi
  printf '%-22s %-28s requests=%s responses=%s\n' "$f" \
    "$(capinfos -T -r -E "$f" 2>/dev/null | cut -f2 || true)" \
    "$(($(wc -l < "$OUT/$f.tshark.tsv") - 1))" \
    "$(($(wc -l < "$OUT/$f.tshark-responses.tsv") - 1))"
done
# ---------------------------------------------------------------- sanity checks
fail=0
expect_requests() {  # file count
  want "$1" || return 0
  local n=$(($(wc -l < "$1.tshark.tsv") - 1))
  [ "$n" -eq "$2" ] || { echo "!! $1: tshark sees $n requests, expected $2" >&2; fail=1; }
}
expect_requests keepalive.pcap 11
expect_requests large-body.pcap 1
expect_requests chunked-upload.pcap 2
expect_requests cooked-any.pcap 5
expect_requests pcapng-ipv6.pcapng 4
expect_requests nanosecond.pcap 2
expect_requests cooked-v1.pcap 3
expect_requests head-body.pcap 2
# keepalive: the 8 botocore requests share one TCP connection, curl's 3 another.
if want keepalive.pcap; then
streams=$(tshark -r keepalive.pcap -d tcp.port==8003,http -Y http.request -T fields -e tcp.stream \
          2>/dev/null | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')
[ "$streams" = "8 3 " ] || { echo "!! keepalive.pcap: requests per TCP stream: $streams (want 8 3)" >&2; fail=1; }
fi
if want cooked-v1.pcap; then
  # Linux cooked v1, and every frame from lo (ARPHRD_LOOPBACK, 772).
  capinfos -E cooked-v1.pcap | grep -q 'Linux cooked-mode capture v1' \
    || { echo "!! cooked-v1.pcap is not Linux cooked v1" >&2; fail=1; }
  hatypes=$(tshark -r cooked-v1.pcap -T fields -e sll.hatype 2>/dev/null | sort -u | tr '\n' ' ')
  [ "$hatypes" = "772 " ] || { echo "!! cooked-v1.pcap: sll.hatype $hatypes (want 772)" >&2; fail=1; }
fi
if want head-body.pcap; then
  # HEAD and GET on one connection, the stray `<ok/>` in front of the GET's response.
  n=$(tshark -r head-body.pcap -Y 'tcp.len > 0' -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
  [ "$n" -eq 1 ] || { echo "!! head-body.pcap: $n TCP streams (want 1)" >&2; fail=1; }
fi
[ "$fail" -eq 0 ] || exit 1
echo "done."
