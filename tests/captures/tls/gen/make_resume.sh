#!/usr/bin/env bash
# Regenerate the TLS resumption and 0-RTT fixtures of tests/captures/tls/ (issue 13) with
# openssl s_client / s_server 3.0 on loopback, captured by tcpdump; each request is
# SigV4-signed by botocore's signer (signed.py) and sent raw by s_client:
#   tls12-resumed-id.pcap       TLS 1.2, two connections, the second resumes the first's
#                               session by session ID (s_client -no_ticket -sess_out/-sess_in)
#   tls12-resumed-ticket.pcap   the same by session ticket (RFC 5077)
#   tls12-resumed-ticket-firstkey.pcap / tls12-resumed-id-firstkey.pcap
#                               the same captures, with a key log that keeps only the first
#                               connection's CLIENT_RANDOM: the resumed connection is read with
#                               the session's master secret, as Wireshark does
#   tls13-early-data.pcap       TLS 1.3, the second connection resumes with a PSK and sends its
#                               request as 0-RTT early data (s_client -early_data, s_server
#                               -early_data); the key log has CLIENT_EARLY_TRAFFIC_SECRET
#   tls13-early-nokey.pcap      the same capture without that line: the early request stays
#                               encrypted (tshark does not list it either)
#   tls12-rsa-nokey.pcap        an ECDHE connection with its key, then an RSA key exchange
#                               (AES128-GCM-SHA256) without: said so
# and beside each X: X.keys and X.tshark.tsv. Needs root (tcpdump). Output differs run to run.
#
#   bash tests/captures/tls/gen/make_resume.sh
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

for t in tcpdump tshark openssl; do
  command -v "$t" >/dev/null || { echo "$t is required" >&2; exit 1; }
done
"$PY" -c 'import botocore' 2>/dev/null || { echo "python3 with botocore is required" >&2; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

wait_log() {  # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

CAP=""
capture_start() {  # name port
  tcpdump -i lo -U --immediate-mode -s 0 -w "$WORK/$1" "tcp port $2" 2>"$WORK/cap-$1.log" &
  CAP=$!
  wait_log "$WORK/cap-$1.log" "listening on"
  sleep 0.3
}
capture_stop() {  # name
  sleep 1
  kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true
  cp "$WORK/$1" "$OUT/$1"
  cp "$WORK/$1.keys" "$OUT/$1.keys"
}

# s_server exits when its stdin ends: it reads from a sleep that outlives the run.
s_server() {  # port log options...
  local port="$1" log="$2"; shift 2
  openssl s_server -accept "$port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" "$@" \
    >"$log" 2>&1 < <(sleep 600) &
  PIDS+=("$!")
  wait_log "$log" ACCEPT
}

requests() {  # port → $WORK/r1, $WORK/r2
  "$PY" "$HERE/signed.py" "127.0.0.1:$1" /examplebucket/first.txt /examplebucket/resumed.txt \
    >"$WORK/reqs.txt"
  awk 'BEGIN{RS="--\n"} NR==2{printf "%s", $0 > "'"$WORK"'/r1"} NR==3{printf "%s", $0 > "'"$WORK"'/r2"}' \
    "$WORK/reqs.txt"
}

# Keeps only the key log lines of the first connection (its client random is the first one).
first_key() {  # from to
  local first
  first=$(awk '/^[A-Z_]+ [0-9a-fA-F]+ /{print $2; exit}' "$1")
  grep " $first " "$1" >"$2"
}

resumed12() {  # name port s_client-options...
  local name="$1" port="$2"; shift 2
  requests "$port"
  s_server "$port" "$WORK/srv-$port.log" -www -tls1_2
  capture_start "$name" "$port"
  for n in 1 2; do
    local sess=(-sess_out "$WORK/sess-$port.pem")
    [ "$n" = 2 ] && sess=(-sess_in "$WORK/sess-$port.pem")
    { cat "$WORK/r$n"; sleep 1; } | openssl s_client -connect "127.0.0.1:$port" -tls1_2 \
      "${sess[@]}" -keylogfile "$WORK/$name.keys" -ign_eof "$@" >"$WORK/cli-$port-$n.log" 2>&1 || true
  done
  grep -q '^Reused, TLSv1.2' "$WORK/cli-$port-2.log" \
    || { echo "!! $name: the second connection did not resume" >&2; exit 1; }
  capture_stop "$name"
  local firstkey="${name%.pcap}-firstkey.pcap"
  cp "$OUT/$name" "$OUT/$firstkey"
  first_key "$OUT/$name.keys" "$OUT/$firstkey.keys"
}
resumed12 tls12-resumed-id.pcap 18591 -no_ticket
resumed12 tls12-resumed-ticket.pcap 18592

# TLS 1.3 0-RTT: the first connection gets a ticket allowing early data, the second sends its
# request as early data (s_server without -www: it does not answer, the requests are the point).
requests 18593
s_server 18593 "$WORK/srv-early.log" -early_data -tls1_3
capture_start tls13-early-data.pcap 18593
{ cat "$WORK/r1"; sleep 1; } | openssl s_client -connect 127.0.0.1:18593 -tls1_3 \
  -sess_out "$WORK/sess13.pem" -keylogfile "$WORK/tls13-early-data.pcap.keys" >"$WORK/e1.log" 2>&1 || true
sleep 1 | openssl s_client -connect 127.0.0.1:18593 -tls1_3 -sess_in "$WORK/sess13.pem" \
  -early_data "$WORK/r2" -keylogfile "$WORK/tls13-early-data.pcap.keys" >"$WORK/e2.log" 2>&1 || true
grep -q 'Early data was accepted' "$WORK/e2.log" \
  || { echo "!! tls13-early-data.pcap: early data was not accepted" >&2; cat "$WORK/e2.log" >&2; exit 1; }
capture_stop tls13-early-data.pcap
cp "$OUT/tls13-early-data.pcap" "$OUT/tls13-early-nokey.pcap"
grep -v '^CLIENT_EARLY_TRAFFIC_SECRET ' "$OUT/tls13-early-data.pcap.keys" >"$OUT/tls13-early-nokey.pcap.keys"

# RSA key exchange, key missing: an ECDHE connection whose key is in the key log, then an
# RSA one (AES128-GCM-SHA256) whose CLIENT_RANDOM line is removed. tshark, without the
# server's private key, lists only the first request too.
requests 18594
s_server 18594 "$WORK/srv-rsa.log" -www -tls1_2
capture_start tls12-rsa-nokey.pcap 18594
for n in 1 2; do
  cipher=ECDHE-RSA-AES128-GCM-SHA256; [ "$n" = 2 ] && cipher=AES128-GCM-SHA256
  { cat "$WORK/r$n"; sleep 1; } | openssl s_client -connect 127.0.0.1:18594 -tls1_2 \
    -cipher "$cipher" -keylogfile "$WORK/rsa-all.keys" -ign_eof >"$WORK/rsa-$n.log" 2>&1 || true
done
first_key "$WORK/rsa-all.keys" "$WORK/tls12-rsa-nokey.pcap.keys"
capture_stop tls12-rsa-nokey.pcap

cd "$OUT"
for f in tls12-rsa-nokey.pcap tls12-resumed-id.pcap tls12-resumed-ticket.pcap tls12-resumed-id-firstkey.pcap \
         tls12-resumed-ticket-firstkey.pcap tls13-early-data.pcap tls13-early-nokey.pcap; do
  tshark -r "$f" -o "tls.keylog_file:$f.keys" -o tcp.desegment_tcp_streams:TRUE \
    -o http.desegment_headers:TRUE -o http.desegment_body:TRUE -Y http.request -T fields \
    -E separator=/t -E header=y -e frame.number -e http.request.method -e http.request.uri \
    -e http.host -e http.authorization >"$f.tshark.tsv" 2>/dev/null
  echo "$f: tshark lists $(($(wc -l <"$f.tshark.tsv") - 1)) requests"
done
