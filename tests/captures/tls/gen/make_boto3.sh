#!/usr/bin/env bash
# Regenerates ../boto3.pcap (+ .keys, .tshark.tsv): boto3 over HTTPS with SSLKEYLOGFILE
# (boto3_ops.py: S3 calls, a multipart upload with the default checksum, a presigned GET by
# requests) to `sigscope listen --tls-cert … --upstream` in front of moto's S3 server, captured
# by tcpdump on loopback (the TLS side only). Needs root (packet capture), python3 (venv, pins
# in requirements-boto3.txt), openssl, tcpdump, tshark and a built sigscope. Issue 13.
#
#   bash tests/captures/tls/gen/make_boto3.sh     # SIGSCOPE_BIN, SIGSCOPE_BOTO3_VENV
#
# Output differs run to run (randoms, ports, times).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
ROOT="$(cd "$HERE/../../../.." && pwd)"
BIN="${SIGSCOPE_BIN:-$ROOT/target/debug/sigscope}"
VENV="${SIGSCOPE_BOTO3_VENV:-/tmp/sigscope-boto3-venv}"
PORT=18460
for t in tcpdump tshark openssl curl; do
  command -v "$t" >/dev/null || { echo "$t is required" >&2; exit 1; }
done
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements-boto3.txt"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_log() {  # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

MOTO="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
S3_UPLOAD_PART_MIN_SIZE=1024 "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO" >"$WORK/moto.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$MOTO/" && break
  sleep 0.1
done
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -days 1 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
"$BIN" listen --port "$PORT" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --upstream "http://127.0.0.1:$MOTO" --credentials "$OUT/../credentials" \
  --format json >"$WORK/feed.json" 2>"$WORK/listen.err" &
PIDS+=("$!")
wait_log "$WORK/listen.err" "listening on"

tcpdump -i lo -U --immediate-mode -s 0 -w "$WORK/boto3.pcap" "tcp port $PORT" 2>"$WORK/cap.log" &
CAP=$!
wait_log "$WORK/cap.log" "listening on"
sleep 0.3
SSLKEYLOGFILE="$WORK/boto3.pcap.keys" "$VENV/bin/python" "$HERE/boto3_ops.py" \
  "https://127.0.0.1:$PORT" "$WORK/cert.pem"
sleep 1
kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true
cp "$WORK/boto3.pcap" "$WORK/boto3.pcap.keys" "$OUT/"
F="$OUT/boto3.pcap"
tshark -r "$F" -o "tls.keylog_file:$F.keys" -o tcp.desegment_tcp_streams:TRUE \
  -o http.desegment_headers:TRUE -o http.desegment_body:TRUE -Y http.request -T fields \
  -E separator=/t -E header=y -e frame.number -e http.request.method -e http.request.uri \
  -e http.host -e http.authorization >"$F.tshark.tsv"
echo "wrote $F ($(grep -c . "$F.tshark.tsv") lines of tshark listing, header included)"
