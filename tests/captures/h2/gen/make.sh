#!/usr/bin/env bash
# Regenerate the HTTP/2 capture fixtures in tests/captures/h2/ with real tools (issue 13):
# tcpdump captures loopback traffic between curl (nghttp2 inside, SigV4-signing every request
# with --aws-sigv4, writing its TLS secrets to SSLKEYLOGFILE) and nghttpd (nghttp2's server),
# over TLS with ALPN h2, over cleartext with prior knowledge (h2c), and through the
# HTTP/1.1 `Upgrade: h2c` dance; plus a cleartext capture cut to start mid-connection.
# Beside each capture X: X.keys (its key log, TLS only) and X.tshark.tsv (what
# `tshark -Y 'http.request || http2.headers.method'` lists, see the end). Needs root
# (packet capture), nghttpd (nghttp2-server) and python-hyper's h2 (pip install h2). Output differs run to run (randoms, ports, times).
#
#   bash tests/captures/h2/gen/make.sh
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

for t in tcpdump tshark editcap curl openssl nghttpd; do
  command -v "$t" >/dev/null || { echo "$t is required" >&2; exit 1; }
done
"${PYTHON:-python3}" -c 'import h2' 2>/dev/null || { echo "python3 with h2 (pip install h2) is required" >&2; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www/examplebucket"
for f in a b c d e key; do echo "object $f" >"$WORK/www/examplebucket/$f.txt"; done

# The cleartext ports of nghttpd and of h2c_upgrade_server.py with prior knowledge: tshark reads prior-knowledge HTTP/2 there only when told.
DECODE_AS=(-d tcp.port==18462,http2 -d tcp.port==18464,http2)
SIG=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

wait_log() {  # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

nghttpd_on() {  # port [--no-tls]
  if [ "${2:-}" = --no-tls ]; then
    nghttpd -v --no-tls -d "$WORK/www" "$1" >"$WORK/nghttpd-$1.log" 2>&1 &
  else
    nghttpd -v -d "$WORK/www" "$1" "$WORK/key.pem" "$WORK/cert.pem" >"$WORK/nghttpd-$1.log" 2>&1 &
  fi
  PIDS+=("$!")
  sleep 1
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
  [ -s "$WORK/$1.keys" ] && cp "$WORK/$1.keys" "$OUT/$1.keys"
  return 0
}

# Several requests on one connection (curl --next reuses it): two GETs and a PUT with a body.
sequence() {  # name base-url curl-options...
  local name="$1" base="$2"; shift 2
  SSLKEYLOGFILE="$WORK/$name.keys" curl -sS -k "${SIG[@]}" "$@" "$base/examplebucket/a.txt" -o /dev/null \
    --next -sS -k "${SIG[@]}" "$@" "$base/examplebucket/b.txt?x-id=GetObject&part=1" -o /dev/null \
    --next -sS -k "${SIG[@]}" "$@" -X PUT --data-binary 'hello over HTTP/2' \
      -H 'Content-Type: text/plain' "$base/examplebucket/put.txt" -o /dev/null
}

# h2 over TLS 1.3, ALPN h2.
nghttpd_on 18461
capture_start tls13-h2-sequence.pcap 18461
sequence tls13-h2-sequence.pcap https://127.0.0.1:18461 --http2
capture_stop tls13-h2-sequence.pcap

# Interleaved streams: curl -Z sends its requests in parallel on one connection.
capture_start tls13-h2-parallel.pcap 18461
SSLKEYLOGFILE="$WORK/tls13-h2-parallel.pcap.keys" curl -sS -k --http2 -Z --parallel-max 10 \
  "${SIG[@]}" -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
  "https://127.0.0.1:18461/examplebucket/{a,b,c,d,e}.txt"
capture_stop tls13-h2-parallel.pcap

# h2c with prior knowledge: the connection starts with the preface. curl 7.88 cannot reuse an
# h2c connection, so curl sends one PUT, and h2_client.py (python-hyper h2 and botocore's
# signer) sends several requests on one connection, and two PUTs whose bodies interleave.
nghttpd_on 18462 --no-tls
capture_start h2c-prior-curl.pcap 18462
curl -sS "${SIG[@]}" --http2-prior-knowledge -X PUT --data-binary 'hello over h2c' \
  -H 'Content-Type: text/plain' http://127.0.0.1:18462/examplebucket/put.txt -o /dev/null
capture_stop h2c-prior-curl.pcap
# nghttpd resets a stream whose request has a body it does not take: the python-hyper
# server (h2c_upgrade_server.py, which also takes prior knowledge) answers every request.
"${PYTHON:-python3}" "$HERE/h2c_upgrade_server.py" 127.0.0.1 18464 2>"$WORK/prior.log" &
PIDS+=("$!")
wait_log "$WORK/prior.log" listening
capture_start h2c-prior.pcap 18464
"${PYTHON:-python3}" "$HERE/h2_client.py" 127.0.0.1:18464 sequence
capture_stop h2c-prior.pcap
capture_start h2c-interleaved.pcap 18464
"${PYTHON:-python3}" "$HERE/h2_client.py" 127.0.0.1:18464 interleave
capture_stop h2c-interleaved.pcap
capture_start h2c-host-differs.pcap 18464
"${PYTHON:-python3}" "$HERE/h2_client.py" 127.0.0.1:18464 host
capture_stop h2c-host-differs.pcap

# Upgrade: h2c: the first request is HTTP/1.1 (stream 1's request), 101, then HTTP/2.
# nghttpd does not take the upgrade: a python-hyper h2 server does (h2c_upgrade_server.py).
"${PYTHON:-python3}" "$HERE/h2c_upgrade_server.py" 127.0.0.1 18463 2>"$WORK/upgrade.log" &
PIDS+=("$!")
wait_log "$WORK/upgrade.log" listening
capture_start h2c-upgrade.pcap 18463
sequence h2c-upgrade.pcap http://127.0.0.1:18463 --http2
capture_stop h2c-upgrade.pcap

# A capture that starts mid-connection: five requests a second apart on one h2c connection,
# the capture cut after the second response. The dynamic header tables are unknown.
capture_start h2c-long.pcap 18462
"${PYTHON:-python3}" "$HERE/h2_client.py" 127.0.0.1:18462 slow
capture_stop h2c-long.pcap
# Frames up to the second request's response (the first two HEADERS with :status) go.
cut=$(tshark -r "$OUT/h2c-long.pcap" "${DECODE_AS[@]}" -Y 'http2.headers.status' -T fields -e frame.number | sed -n 2p)
editcap -r "$OUT/h2c-long.pcap" "$OUT/h2c-midstream.pcap" "$((cut + 1))-1000000"
rm -f "$OUT/h2c-long.pcap"

# What tshark lists: HTTP/1 requests (the upgrade) and HTTP/2 HEADERS with a method, one row
# per frame; several HEADERS in one frame are joined by '|'. tshark takes cleartext HTTP/2
# with prior knowledge only when told the port (DECODE_AS); tests/capture/h2.rs passes the
# same arguments.
for f in "$OUT"/*.pcap; do
  keys=()
  [ -f "$f.keys" ] && keys=(-o "tls.keylog_file:$f.keys")
  tshark -r "$f" "${keys[@]}" -o tcp.desegment_tcp_streams:TRUE -o http.desegment_headers:TRUE \
    -o http.desegment_body:TRUE "${DECODE_AS[@]}" -Y 'http.request || http2.headers.method' -T fields \
    -E separator=/t -E header=y -E 'aggregator=|' -e frame.number \
    -e http.request.method -e http.request.uri -e http.host -e http.authorization \
    -e http2.headers.method -e http2.headers.path -e http2.headers.authority \
    -e http2.headers.authorization >"$f.tshark.tsv"
done
echo "done: $(ls "$OUT" | grep -c -E 'pcap$') captures in $OUT"
