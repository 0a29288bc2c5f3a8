#!/usr/bin/env bash
# Regenerate the TLS capture fixtures in tests/captures/tls/ with real tools (issue 13):
# tcpdump captures loopback traffic between curl / openssl s_client (each writing an NSS key
# log, SSLKEYLOGFILE or -keylogfile) and a Python ssl server (tls_server.py) or
# `openssl s_server -www`; every request is SigV4-signed (curl --aws-sigv4, or botocore's
# signer for s_client). Beside each capture X: X.keys (its key log) and X.tshark.tsv (what
# `tshark -o tls.keylog_file:X.keys -Y http.request` lists). Needs root (packet capture).
# Output differs run to run (randoms, ports, times).
#
#   bash tests/captures/tls/gen/make.sh
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for t in tcpdump tshark editcap curl openssl; do
  command -v "$t" >/dev/null || { echo "$t is required" >&2; exit 1; }
done
"$PY" -c 'import botocore' 2>/dev/null || { echo "python3 with botocore is required" >&2; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

SIG=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

wait_log() {  # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

server() {  # port [group]
  "$PY" "$HERE/tls_server.py" 127.0.0.1 "$1" "$WORK/cert.pem" "$WORK/key.pem" ${2:+"$2"} \
    2>"$WORK/srv-$1.log" &
  PIDS+=("$!")
  wait_log "$WORK/srv-$1.log" listening
}

CAP=""
capture_start() {  # name port
  tcpdump -i lo -U --immediate-mode -s 0 -w "$WORK/$1" "tcp port $2" 2>"$WORK/cap-$1.log" &
  CAP=$!
  wait_log "$WORK/cap-$1.log" "listening on"
  sleep 0.3
}
capture_stop() {  # name: stops tcpdump, keeps the capture and its key log beside it
  sleep 1
  kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true
  cp "$WORK/$1" "$OUT/$1"
  [ -f "$WORK/$1.keys" ] && cp "$WORK/$1.keys" "$OUT/$1.keys"
  return 0
}

# curl over one connection: a GET and a PUT. name port curl-options...
curl_pair() {
  local name="$1" port="$2"; shift 2
  server "$port"
  capture_start "$name" "$port"
  SSLKEYLOGFILE="$WORK/$name.keys" curl -sS -k "${SIG[@]}" "$@" \
    "https://127.0.0.1:$port/examplebucket/key.txt" -o /dev/null \
    --next -sS -k "${SIG[@]}" "$@" -X PUT --data-binary 'hello over TLS' \
    -H 'Content-Type: text/plain' "https://127.0.0.1:$port/examplebucket/put.txt" -o /dev/null
  capture_stop "$name"
}

curl_pair tls13-aes128gcm.pcap 18441 --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
curl_pair tls13-aes256gcm.pcap 18442 --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384
curl_pair tls13-chacha20.pcap 18443 --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256
curl_pair tls12-aes128gcm.pcap 18444 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256
curl_pair tls12-aes256gcm.pcap 18445 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384
curl_pair tls12-chacha20.pcap 18446 --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305
# CBC: encrypt-then-MAC (OpenSSL's default) with HMAC-SHA256, and MAC-then-encrypt with SHA-1.
curl_pair tls12-cbc-sha256-etm.pcap 18454 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA256
NO_ENCRYPT_THEN_MAC=1 curl_pair tls12-cbc-sha1.pcap 18455 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-SHA

# Resumed sessions: curl keeps the first connection's session and resumes it on the second
# (Connection: close ends each): TLS 1.3 with a PSK from a ticket. (curl 7.88 did not resume
# a TLS 1.2 session against this server in the same run, so there is no TLS 1.2 one.)
resumed() {  # name port curl-options...
  local name="$1" port="$2"; shift 2
  server "$port"
  capture_start "$name" "$port"
  SSLKEYLOGFILE="$WORK/$name.keys" curl -sS -k "${SIG[@]}" "$@" -H 'Connection: close' \
    "https://127.0.0.1:$port/examplebucket/first.txt" -o /dev/null \
    --next -sS -k "${SIG[@]}" "$@" -H 'Connection: close' \
    "https://127.0.0.1:$port/examplebucket/resumed.txt" -o /dev/null
  capture_stop "$name"
}
resumed tls13-resumed.pcap 18452 --tlsv1.3

# HelloRetryRequest: the client's first key share (P-256) is not the server's only group.
server 18447 X25519
capture_start tls13-hrr.pcap 18447
SSLKEYLOGFILE="$WORK/tls13-hrr.pcap.keys" curl -sS -k "${SIG[@]}" --tlsv1.3 \
  --curves P-256:X25519 "https://127.0.0.1:18447/examplebucket/hrr.txt" -o /dev/null
capture_stop tls13-hrr.pcap

# KeyUpdate: openssl s_client sends one for the line "k", between two signed requests.
server 18448
capture_start tls13-keyupdate.pcap 18448
"$PY" "$HERE/signed.py" 127.0.0.1:18448 /examplebucket/before.txt /examplebucket/after.txt \
  >"$WORK/reqs.txt"
awk 'BEGIN{RS="--\n"} NR==2{printf "%s", $0 > "'"$WORK"'/r1"} NR==3{printf "%s", $0 > "'"$WORK"'/r2"}' \
  "$WORK/reqs.txt"
{ cat "$WORK/r1"; sleep 1; printf 'k\n'; sleep 1; cat "$WORK/r2"; sleep 1.5; } |
  openssl s_client -connect 127.0.0.1:18448 -tls1_3 -keylogfile "$WORK/tls13-keyupdate.pcap.keys" \
    >"$WORK/s_client.out" 2>&1 || true
capture_stop tls13-keyupdate.pcap

# openssl s_server -www (TLS 1.3, one request per connection).
openssl s_server -accept 18449 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -tls1_3 \
  >"$WORK/s_server.log" 2>&1 &
PIDS+=("$!")
wait_log "$WORK/s_server.log" ACCEPT
capture_start s-server-www.pcap 18449
SSLKEYLOGFILE="$WORK/s-server-www.pcap.keys" curl -sS -k "${SIG[@]}" \
  "https://127.0.0.1:18449/examplebucket/www.txt" -o /dev/null
capture_stop s-server-www.pcap

# One key missing: two connections, the key log keeps only the first one's secrets.
server 18450
capture_start missing-key.pcap 18450
for n in 1 2; do
  SSLKEYLOGFILE="$WORK/all.keys" curl -sS -k "${SIG[@]}" --tlsv1.3 \
    "https://127.0.0.1:18450/examplebucket/conn$n.txt" -o /dev/null
done
first=$(awk '/^CLIENT_TRAFFIC_SECRET_0 /{print $2; exit}' "$WORK/all.keys")
grep " $first " "$WORK/all.keys" >"$WORK/missing-key.pcap.keys"
capture_stop missing-key.pcap

# The secrets inside the capture: a pcapng Decryption Secrets Block, no key log beside it.
editcap --inject-secrets "tls,$OUT/tls13-aes128gcm.pcap.keys" "$OUT/tls13-aes128gcm.pcap" \
  "$OUT/tls13-dsb.pcapng"

# HTTP/2 over TLS (curl --http2 to nghttpd, ALPN h2), read by capture/h2 (more HTTP/2
# fixtures: tests/captures/h2/gen/make.sh). In h2/ so that the HTTP/1 parity above does not
# take it.
if command -v nghttpd >/dev/null; then
  mkdir -p "$OUT/h2" "$WORK/www"
  nghttpd -d "$WORK/www" 18451 "$WORK/key.pem" "$WORK/cert.pem" >"$WORK/nghttpd.log" 2>&1 &
  PIDS+=("$!")
  sleep 1
  capture_start tls13-h2.pcap 18451
  SSLKEYLOGFILE="$WORK/tls13-h2.pcap.keys" curl -sS -k --http2 "${SIG[@]}" \
    "https://127.0.0.1:18451/examplebucket/h2.txt" -o /dev/null
  capture_stop tls13-h2.pcap
  mv "$OUT/tls13-h2.pcap" "$OUT/tls13-h2.pcap.keys" "$OUT/h2/"
  tshark -r "$OUT/h2/tls13-h2.pcap" -o "tls.keylog_file:$OUT/h2/tls13-h2.pcap.keys" \
    -Y http2.headers.method -T fields -E separator=/t -E header=y -e frame.number \
    -e http2.headers.method -e http2.headers.path -e http2.headers.authority \
    -e http2.headers.authorization >"$OUT/h2/tls13-h2.pcap.tshark.tsv"
else
  echo "nghttpd not installed (apt-get install nghttp2-server): h2/ not regenerated" >&2
fi

# What tshark lists, with the same key log.
for f in "$OUT"/*.pcap "$OUT"/*.pcapng; do
  keys=()
  [ -f "$f.keys" ] && keys=(-o "tls.keylog_file:$f.keys")
  tshark -r "$f" "${keys[@]}" -o tcp.desegment_tcp_streams:TRUE -o http.desegment_headers:TRUE \
    -o http.desegment_body:TRUE -Y http.request -T fields -E separator=/t -E header=y \
    -e frame.number -e http.request.method -e http.request.uri -e http.host \
    -e http.authorization >"$f.tshark.tsv"
done
echo "done: $(ls "$OUT" | grep -c -E 'pcap(ng)?$') captures in $OUT"
