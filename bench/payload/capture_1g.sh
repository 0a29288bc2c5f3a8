#!/usr/bin/env bash
# Issue 14: a 1 GiB pcap of aws-chunked uploads (make_uploads_1g.py's, sent over loopback by
# capture_1g.py and recorded by tcpdump), then `sigscope report` on it, timed, for each
# checksum; botocore's throughput over the same bytes is printed by make_uploads_1g.py in the
# same run. Needs root (tcpdump on lo), the payload venv (botocore + awscrt) and ~6 GiB in $TMPDIR.
#   bash bench/payload/capture_1g.sh [path/to/release/sigscope]
# BEFORE=path/to/an/older/sigscope times that build too, interleaved with this one (same run);
# SIGSCOPE_BENCH_DIR=dir reuses the captures a run kept there (made again when absent).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "${1:-$here/../../target/release/sigscope}")"
venv="${SIGSCOPE_PAYLOAD_VENV:-/tmp/sigscope-payload-venv}"
work="${SIGSCOPE_BENCH_DIR:-$(mktemp -d)}"
cd "$work"
"$venv/bin/python" "$here/make_uploads_1g.py"
for f in crc32c sha256; do
  if [ -s "$f-1g.pcap" ]; then rm -f "$f-1g.http"; continue; fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  tcpdump -i lo -s 0 -B 262144 -w "$f-1g.pcap" "tcp port $port" 2>"$f.tcpdump.err" &
  tpid=$!
  sleep 1
  python3 "$here/capture_1g.py" "$port" "$f-1g.http"
  sleep 1
  kill -INT "$tpid"; wait "$tpid" || true
  grep -h "dropped" "$f.tcpdump.err" || true
  rm -f "$f-1g.http"
done
rm -f crc32-1g.http
bins=("after=$bin")
[ -n "${BEFORE:-}" ] && bins=("before=$(realpath "$BEFORE")" "${bins[@]}")
for r in 1 2 3; do
  for f in crc32c sha256; do
    for nb in "${bins[@]}"; do
      /usr/bin/time -f "${nb%%=*} $f pcap: %U s user %S s sys %e s wall, %M KB max RSS" \
        "${nb#*=}" report "$f-1g.pcap" --body-cap 1G --format json --credentials /dev/null >/dev/null
    done
  done
done 2>&1 | grep pcap: | sort
echo "captures kept in $work"
