#!/usr/bin/env bash
# Regenerates tests/diagnosis/: real clients against real verifiers, each
# exchange failing (or not) for a known reason, captured by tcpdump on lo.
#
#   bash tests/diagnosis/gen/make.sh          (as root)
#
# Writes tests/diagnosis/scenarios.pcap, credentials, expected.json and
# scenarios.pcap.tshark.tsv (tshark's reading, for reference).
# Needs: root (capture), apt (tcpdump, tshark, curl, Ceph RGW when missing), PyPI (the
# venv), npm and node >= 18 (@aws-sdk/client-s3, into a temporary folder), and the server
# scripts of the workplace's shared/servers (Ceph RGW 16.2 from Debian; $SERVERS).
# Environment (as tests/vectors/real/gen/generate.sh):
#   PYTHON          interpreter for the venv (default python3.11, else python3;
#                   3.8-3.11: boto 2.49.0 does not import on 3.12+)
#   SIGSCOPE_VENV   venv location (default /tmp/sigscope-fixtures-venv)
#   SERVERS         folder of install-ceph-rgw.sh / start-ceph-rgw.sh / stop-ceph-rgw.sh
#                   (default: shared/servers beside the repository)
# Ports (fixed, on 127.0.0.1): 8003 heat+keystoneclient 0.9.0, 8004 heat+current
# keystoneclient, 9100 S3-like verifier, 9102 the same with boto 2's SigV2 rules, 9200
# Host-rewriting proxy, 9201 Content-Type-rewriting proxy, 9202 date-shifting proxy, 9203
# path-re-encoding proxy, 9204 header-adding proxy, 9205 date-shifting proxy (not captured;
# all to 9100), 7480 Ceph RGW.  They are part of the signed Host headers.
set -euo pipefail

GEN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(cd "$GEN/.." && pwd)"
ROOT="$(cd "$OUT/../.." && pwd)"
REAL_GEN="$ROOT/tests/vectors/real/gen"
KS_LEGACY=0.9.0
KS_CURRENT=6.0.0
PCAP="$OUT/scenarios.pcap"
PORTS="8003 8004 9100 9102 9200 9201 9202 9203 9204 7480"
# 9205: a second date-shifting proxy whose client side is NOT captured (only its requests
# to 9100 are): the capture point is at the server, as when tcpdump runs there.
UNCAPTURED=9205
JS_SDK=3.1178.0                        # @aws-sdk/client-s3
SERVERS="${SERVERS:-$(cd "$ROOT/.." && pwd)/shared/servers}"

# ---------------------------------------------------------------- tools
need_apt() {  # need_apt COMMAND PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" \
      | debconf-set-selections 2>/dev/null || true
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
    apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  fi
}
need_apt tcpdump tcpdump
need_apt tshark tshark
need_apt curl curl
command -v node >/dev/null && command -v npm >/dev/null \
  || { echo "make.sh: needs node and npm (the JS SDK v3 client)" >&2; exit 1; }
[ -x "$SERVERS/start-ceph-rgw.sh" ] \
  || { echo "make.sh: no $SERVERS/start-ceph-rgw.sh (set SERVERS)" >&2; exit 1; }
"$SERVERS/install-ceph-rgw.sh"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info >= (3, 12) or sys.version_info < (3, 8):
    sys.exit("need Python 3.8-3.11 (boto 2.49.0 does not import on 3.12+), got %s"
             % sys.version.split()[0])
PY
VENV="${SIGSCOPE_VENV:-/tmp/sigscope-fixtures-venv}"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REAL_GEN/requirements.txt" \
  -r "$GEN/requirements.txt"
VPY="$VENV/bin/python"

WORK="$(mktemp -d /tmp/sigscope-diagnosis.XXXXXX)"
PIDS=()
TCPDUMP_PID=""
RGW_STARTED=""
cleanup() {
  [ -n "$TCPDUMP_PID" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null || true
  [ -n "$RGW_STARTED" ] && "$SERVERS/stop-ceph-rgw.sh" >/dev/null 2>&1 || true
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# the two keystoneclients, as generate.sh fetches them
(
  cd "$WORK"
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --no-binary=:all: "python-keystoneclient==$KS_LEGACY"
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: "python-keystoneclient==$KS_CURRENT"
  mkdir legacy current
  tar -xzf "python-keystoneclient-$KS_LEGACY.tar.gz" -C legacy
  "$VPY" -m zipfile -e "python_keystoneclient-$KS_CURRENT-py3-none-any.whl" current
)
# the JS SDK v3, pinned, into the temporary folder (nothing committed)
npm install --silent --no-audit --no-fund --prefix "$WORK/node" "@aws-sdk/client-s3@$JS_SDK"
export NODE_PATH="$WORK/node/node_modules"
KS_LEGACY_ROOT="$WORK/legacy/python-keystoneclient-$KS_LEGACY"
KS_CURRENT_ROOT="$WORK/current"

# ---------------------------------------------------------------- credentials
# The CLIENTS' keys (= keystone's and the S3 verifier's for these access keys;
# scenario b's client uses a stale secret for AKIDEXAMPLE).
cat > "$OUT/credentials" <<'CREDS'
# Keys for tests/diagnosis/scenarios.pcap (published example keys; nothing real).
# AWS shared credentials file: sigscope report --credentials tests/diagnosis/credentials
[suite]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

[keystoneclient-tests]
aws_access_key_id = 966afbde20b84200ae4e62e09acf46b2
aws_secret_access_key = 89cdf9e94e2643cab35b8b8ac5a51f83
CREDS

# ---------------------------------------------------------------- servers
for p in $PORTS $UNCAPTURED; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "make.sh: 127.0.0.1:$p is already in use" >&2; exit 1
  fi
done
start() {  # name command...
  local name="$1"; shift
  PYTHONDONTWRITEBYTECODE=1 "$@" 2>"$WORK/$name.log" &
  PIDS+=("$!")
  for _ in $(seq 100); do
    grep -q "listening on" "$WORK/$name.log" 2>/dev/null && return 0
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  echo "make.sh: $name did not start" >&2; cat "$WORK/$name.log" >&2; exit 1
}
start heat-legacy  "$VPY" "$GEN/heat_server.py" legacy  "$KS_LEGACY_ROOT" "$KS_CURRENT_ROOT" \
  "$OUT/credentials" --port 8003
start heat-current "$VPY" "$GEN/heat_server.py" current "$KS_LEGACY_ROOT" "$KS_CURRENT_ROOT" \
  "$OUT/credentials" --port 8004
start s3           "$VPY" "$GEN/s3_server.py" --port 9100
start s3-boto2-v2  "$VPY" "$GEN/s3_server.py" --port 9102 --sigv2 boto2
start proxy-host   "$VPY" "$GEN/proxy.py" host         --port 9200 --upstream-port 9100
start proxy-ctype  "$VPY" "$GEN/proxy.py" content-type --port 9201 --upstream-port 9100
start proxy-date   "$VPY" "$GEN/proxy.py" date         --port 9202 --upstream-port 9100
start proxy-path   "$VPY" "$GEN/proxy.py" path         --port 9203 --upstream-port 9100
start proxy-header "$VPY" "$GEN/proxy.py" add-header   --port 9204 --upstream-port 9100
start proxy-date-2 "$VPY" "$GEN/proxy.py" date         --port 9205 --upstream-port 9100
# Ceph RGW (its own debug log shows its canonical requests: kept in rgw-auth.log)
RGW_STARTED=1
"$SERVERS/start-ceph-rgw.sh" > "$WORK/rgw-start.log" 2>&1 \
  || { cat "$WORK/rgw-start.log" >&2; exit 1; }
RGW_LOG="${SRV_ROOT:-${TMPDIR:-/tmp}/realsrv}/ceph/log/client.rgw.a.log"
PYTHONDONTWRITEBYTECODE=1 "$VPY" "$GEN/clients.py" --setup-rgw

# ---------------------------------------------------------------- capture
# -Z root: Debian's tcpdump drops to the tcpdump user before opening the file.
FILTER="$(printf 'tcp port %s or ' $PORTS)"; FILTER="${FILTER% or }"
rm -f "$PCAP"
tcpdump -i lo -s 0 -B 32768 -Z root --immediate-mode -U -w "$PCAP" "$FILTER" \
  2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 100); do
  grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; exit 1; }
sleep 0.5

PYTHONDONTWRITEBYTECODE=1 "$VPY" "$GEN/clients.py" | tee "$WORK/clients.log"

sleep 0.5                                  # the last FIN/ACKs
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=""
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
PIDS=()
# RGW's own reading of the captured requests (canonical request and string to sign of each,
# and its verdict), for the README; then stop it.
# (a logged string spans lines: the lines without a timestamp continue the one before)
awk '/^20[0-9][0-9]-/ { keep = /canonical request =|string to sign =|generated signature|client signature|denied with|ERROR: signature/ }
     keep' "$RGW_LOG" > "$OUT/rgw-auth.log" || true
"$SERVERS/stop-ceph-rgw.sh" >/dev/null 2>&1 || true; RGW_STARTED=""
for f in "$WORK"/*.log; do echo "--- $(basename "$f")"; sed 's/^/  /' "$f"; done
if grep -qE '[1-9][0-9]* packets? dropped by kernel' "$WORK/tcpdump.log"; then
  echo "make.sh: tcpdump dropped packets; run again" >&2; exit 1
fi

# ---------------------------------------------------------------- expected.json
cd "$OUT"
DECODE=()
for p in $PORTS; do DECODE+=(-d "tcp.port==$p,http"); done
TSHARK_OPTS=(-o tcp.desegment_tcp_streams:TRUE -o http.desegment_headers:TRUE
             -o http.desegment_body:TRUE "${DECODE[@]}")
tshark -2 -r scenarios.pcap "${TSHARK_OPTS[@]}" -Y http.request -T fields -E separator=/t \
  -E header=y -e frame.number -e tcp.stream -e tcp.srcport -e tcp.dstport \
  -e http.request.method -e http.request.uri -e http.host -e http.response_in \
  -e http.authorization > scenarios.pcap.tshark.tsv 2>/dev/null
tshark -2 -r scenarios.pcap "${TSHARK_OPTS[@]}" -Y http.response -T fields -E separator=/t \
  -E header=y -e frame.number -e tcp.stream -e http.response.code > "$WORK/responses.tsv" 2>/dev/null
"$VPY" "$GEN/expected.py" scenarios.pcap.tshark.tsv "$WORK/responses.tsv" > expected.json

chmod 0644 scenarios.pcap scenarios.pcap.tshark.tsv expected.json credentials rgw-auth.log
echo "wrote $PCAP ($(tshark -r scenarios.pcap 2>/dev/null | wc -l) frames," \
     "$(($(wc -l < scenarios.pcap.tshark.tsv) - 1)) requests)"
echo "wrote $OUT/expected.json and $OUT/credentials"
