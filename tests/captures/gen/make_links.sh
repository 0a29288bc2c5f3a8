#!/usr/bin/env bash
# Regenerate the link-type fixtures tests/captures/link-* (issue 13): real loopback captures
# of curl --aws-sigv4 requests to gen/server.py (port 8088, which tshark reads as HTTP without
# -d), taken by dumpcap on `lo` and on `nflog:7` (an iptables/ip6tables NFLOG rule on lo, so
# the frames are LINKTYPE_NFLOG 239), then:
#   link-nflog.pcap         the nflog capture as a pcap (editcap -F pcap)
#   link-merged.pcapng      mergecap -a of the nflog capture, then the lo one: two interfaces
#                           ("nflog:7" NFLOG, "lo" Ethernet), frames not in time order across
#                           them (the lo traffic was captured first but comes last)
#   link-rawip.pcap / link-rawip4.pcap / link-rawip6.pcap
#                           editcap -C 14 -T rawip|rawip4|rawip6 of the lo capture (MAC header
#                           chopped; LINKTYPE_RAW 101, IPV4 228, IPV6 229)
#   link-<kind>.pcap        gen/relink.py: the lo capture's IP packets behind another link
#                           header (null, loop, ppp, ppp-hdlc, pppoes, chdlc, atm-rfc1483,
#                           ipnet, ipoib, enc, pflog)
# and beside each, X.tshark.tsv (what `tshark -Y http.request` lists; the parity test in
# tests/capture/parity.rs compares), plus link-merged.pcapng.interfaces.tsv (tshark's
# frame.interface_name of each request). Needs root (capture, iptables). Output differs run
# to run (ports, times, signatures).
#
#   bash tests/captures/gen/make_links.sh
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
PORT=8088
GROUP=7
PIDS=()
cleanup() {

  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for t in dumpcap tshark editcap mergecap curl iptables ip6tables; do
  command -v "$t" >/dev/null || { echo "$t is required (apt-get install tshark iptables curl)" >&2; exit 1; }
done

wait_log() {  # file pattern
  for _ in $(seq 100); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

for host in 127.0.0.1 ::1; do
  "$PY" "$HERE/server.py" "$host" "$PORT" 2>"$WORK/server-${host//:/_}.log" &
  PIDS+=("$!")
  wait_log "$WORK/server-${host//:/_}.log" listening
done

SIG=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
requests() {  # tag: a GET over IPv4, a PUT over IPv6 (one connection each)
  curl -sS "${SIG[@]}" "http://127.0.0.1:$PORT/examplebucket/$1-v4.txt" -o /dev/null
  curl -sS "${SIG[@]}" -X PUT --data-binary "body of $1" -H 'Content-Type: text/plain' \
    "http://[::1]:$PORT/examplebucket/$1-v6.txt" -o /dev/null
}

capture() {  # name interface [filter]
  dumpcap -q -i "$2" -s 0 ${3:+-f "$3"} -w "$WORK/$1" 2>"$WORK/$1.log" &
  local pid=$!
  wait_log "$WORK/$1.log" 'Capturing on'
  sleep 1
  requests "$1"
  # nfnetlink_log hands packets over in batches, at the latest after its 1 s flush timer:
  # stopping sooner loses the batch still in the kernel.
  sleep 3
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
}

# 1. lo (Ethernet), first.
capture lo.pcapng lo "tcp port $PORT"

# 2. nflog:7: only the test port's packets are logged to the group.
add_rule() {  # iptables|ip6tables
  "$1" -I OUTPUT -o lo -p tcp --dport "$PORT" -j NFLOG --nflog-group "$GROUP"
  "$1" -I OUTPUT -o lo -p tcp --sport "$PORT" -j NFLOG --nflog-group "$GROUP"
}
del_rules() {
  for t in iptables ip6tables; do
    "$t" -D OUTPUT -o lo -p tcp --dport "$PORT" -j NFLOG --nflog-group "$GROUP" 2>/dev/null || true
    "$t" -D OUTPUT -o lo -p tcp --sport "$PORT" -j NFLOG --nflog-group "$GROUP" 2>/dev/null || true
  done
}
trap 'del_rules; cleanup' EXIT
add_rule iptables
add_rule ip6tables
capture nflog.pcapng "nflog:$GROUP"
del_rules

editcap -F pcap "$WORK/nflog.pcapng" "$OUT/link-nflog.pcap"
mergecap -a -F pcapng -w "$OUT/link-merged.pcapng" "$WORK/nflog.pcapng" "$WORK/lo.pcapng"

editcap -F pcap "$WORK/lo.pcapng" "$WORK/lo.pcap"
tshark -r "$WORK/lo.pcap" -Y ip -w "$WORK/lo4.pcap" 2>/dev/null
tshark -r "$WORK/lo.pcap" -Y ipv6 -w "$WORK/lo6.pcap" 2>/dev/null
editcap -C 14 -T rawip "$WORK/lo.pcap" "$OUT/link-rawip.pcap"
editcap -C 14 -T rawip4 "$WORK/lo4.pcap" "$OUT/link-rawip4.pcap"
editcap -C 14 -T rawip6 "$WORK/lo6.pcap" "$OUT/link-rawip6.pcap"
for kind in null loop ppp ppp-hdlc pppoes chdlc atm-rfc1483 ipnet enc pflog; do
  "$PY" "$HERE/relink.py" "$kind" "$WORK/lo.pcap" "$OUT/link-$kind.pcap"
done

cd "$OUT"
fail=0
for f in link-*.pcap link-*.pcapng; do
  chmod 0644 "$f"
  tshark -r "$f" -o tcp.desegment_tcp_streams:TRUE -o http.desegment_headers:TRUE \
    -o http.desegment_body:TRUE -Y http.request -T fields -E separator=/t -E header=y \
    -e frame.number -e http.request.method -e http.request.uri -e http.host \
    -e http.authorization >"$f.tshark.tsv" 2>/dev/null
  n=$(($(wc -l <"$f.tshark.tsv") - 1))
  want=2; [ "$f" = link-merged.pcapng ] && want=4
  [ "$f" = link-rawip4.pcap ] || [ "$f" = link-rawip6.pcap ] && want=1
  printf '%-26s %-40s requests=%s\n' "$f" "$(capinfos -T -r -E "$f" | cut -f2)" "$n"
  [ "$n" -eq "$want" ] || { echo "!! $f: tshark lists $n requests, want $want" >&2; fail=1; }
done
tshark -r link-merged.pcapng -Y http.request -T fields -E separator=/t -E header=y \
  -e frame.number -e frame.interface_name -e frame.time_epoch >link-merged.pcapng.interfaces.tsv 2>/dev/null
exit "$fail"
