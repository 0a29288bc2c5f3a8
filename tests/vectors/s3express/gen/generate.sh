#!/usr/bin/env bash
# Regenerates tests/vectors/s3express/session.pcap: botocore (pins in requirements.txt) against
# the loopback stand-in s3x_server.py, captured by tcpdump on lo. Needs root (tcpdump). Not run
# by CI: the tests read the committed capture. Dates, ports and so signatures differ per run.
#
#   bash tests/vectors/s3express/gen/generate.sh   # SIGSCOPE_S3X_VENV=/tmp/venv to reuse a venv
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../session.pcap"
venv="${SIGSCOPE_S3X_VENV:-/tmp/sigscope-s3x-venv}"
port="${PORT:-18777}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
python3 "$here/s3x_server.py" "$port" &
server=$!
tcpdump -i lo -U -s 0 -w "$out.tmp" "tcp port $port" 2>/dev/null &
dump=$!
trap 'kill $server $dump 2>/dev/null || true' EXIT
sleep 1
"$venv/bin/python" "$here/gen_s3express.py" "$port"
sleep 1
kill -INT "$dump"; wait "$dump" || true
mv "$out.tmp" "$out"
echo "wrote $out"
