#!/usr/bin/env bash
# Builds samples/demo.pcap: the requests of samples/demo.http, byte for byte,
# sent over loopback to samples/gen/demo_server.py and captured by tcpdump,
# plus samples/demo.pcap.tshark.tsv (tshark's reading of it, for parity
# checks).
#
#   samples/gen/make_demo_pcap.sh        (as root: installs tcpdump/tshark
#                                         with apt-get if they are missing)
#
# The server verifies the heat (/v1/) requests the way heat's ec2token
# middleware + keystone 2014.1 do, with the real python-keystoneclient 0.9.0
# Ec2Signer (downloaded here as generate.sh does), and the keys of
# samples/demo.credentials: the seed case (boto 2 cfn-push-stats SigV4 POST)
# gets heat's 403 SignatureDoesNotMatch, the keystoneclient Query v2 GET 200.
# S3 requests are answered by an in-memory bucket (see demo_server.py).
# send_demo.py writes the requests (S3 ones on one keep-alive connection).
#
# Environment (same as tests/vectors/real/gen/generate.sh):
#   PYTHON          interpreter for the venv (default python3.11, else python3)
#   SIGSCOPE_VENV   venv location (default /tmp/sigscope-fixtures-venv)
# The port is 8003: it is part of the signed Host headers in demo.http.
set -euo pipefail

GEN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SAMPLES="$(cd "$GEN/.." && pwd)"
REAL_GEN="$(cd "$SAMPLES/../tests/vectors/real/gen" && pwd)"
PORT=8003
KS_LEGACY=0.9.0
PCAP="$SAMPLES/demo.pcap"
TSV="$SAMPLES/demo.pcap.tshark.tsv"

need_apt() {  # need_apt COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        if [ -z "${APT_UPDATED:-}" ]; then
            apt-get update -qq
            APT_UPDATED=1
        fi
        apt-get install -y -qq --no-install-recommends "$2" >/dev/null
    fi
}
need_apt tcpdump tcpdump
need_apt tshark tshark

# --- venv + python-keystoneclient 0.9.0, as generate.sh sets them up ------
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info >= (3, 12) or sys.version_info < (3, 8):
    sys.exit("need Python 3.8-3.11 (the fixture venv pins boto 2.49.0, "
             "which does not import on 3.12+), got %s"
             % sys.version.split()[0])
PY
VENV="${SIGSCOPE_VENV:-/tmp/sigscope-fixtures-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r "$REAL_GEN/requirements.txt"

WORK="$(mktemp -d /tmp/sigscope-demo-pcap.XXXXXX)"
SERVER_PID=""
TCPDUMP_PID=""
cleanup() {
    [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
(
    cd "$WORK"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
        --no-binary=:all: "python-keystoneclient==$KS_LEGACY"
    mkdir legacy
    tar -xzf "python-keystoneclient-$KS_LEGACY.tar.gz" -C legacy
)
KS_ROOT="$WORK/legacy/python-keystoneclient-$KS_LEGACY"

# --- server ---------------------------------------------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "make_demo_pcap: 127.0.0.1:$PORT is already in use" >&2
    exit 1
fi
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$GEN/demo_server.py" \
    "$KS_ROOT" "$SAMPLES/demo.credentials" --port "$PORT" \
    2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$WORK/server.log" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
grep -q "listening on" "$WORK/server.log" || { cat "$WORK/server.log" >&2; exit 1; }

# --- capture --------------------------------------------------------------
# -Z root: Debian's tcpdump drops to the tcpdump user before it opens the
# output file; stay root so it can write into the work tree.
rm -f "$PCAP"
tcpdump -i lo --immediate-mode -U -Z root -w "$PCAP" "tcp port $PORT" \
    2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null && break
    kill -0 "$TCPDUMP_PID" 2>/dev/null || { cat "$WORK/tcpdump.log" >&2; exit 1; }
    sleep 0.1
done
grep -q "listening on" "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; exit 1; }
sleep 0.5

python3 "$GEN/send_demo.py" "$SAMPLES/demo.http" --port "$PORT"

sleep 0.5                       # let the last FIN/ACKs land
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=""
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=""
sed 's/^/  /' "$WORK/server.log"
sed 's/^/  /' "$WORK/tcpdump.log"

# --- the capture's clock ------------------------------------------------------
# The requests carry the fixtures' frozen signing time (2015-08-30T12:36:00Z). Shift the
# packet timestamps (editcap -t) so the capture starts one second after it: otherwise every
# request shows years of clock skew and the demo would be about that instead of the dialects.
first=$(tshark -r "$PCAP" -c 1 -T fields -e frame.time_epoch 2>/dev/null | cut -d. -f1)
target=$(date -u -d '2015-08-30T12:36:01Z' +%s)
editcap -t "$((target - first))" "$PCAP" "$WORK/shifted.pcap"
mv "$WORK/shifted.pcap" "$PCAP"

# --- tshark's view, for parity checks ---------------------------------------
tshark -r "$PCAP" \
    -o tcp.desegment_tcp_streams:TRUE \
    -o http.desegment_headers:TRUE \
    -o http.desegment_body:TRUE \
    -Y http.request -T fields -E separator=/t -E header=y \
    -e frame.number -e http.request.method -e http.request.uri \
    -e http.host -e http.authorization > "$TSV"

chown root:root "$PCAP" "$TSV"
chmod 0644 "$PCAP" "$TSV"
echo "wrote $PCAP ($(tshark -r "$PCAP" 2>/dev/null | wc -l) frames)"
echo "wrote $TSV"
