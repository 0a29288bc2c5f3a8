#!/usr/bin/env bash
# Regenerates ../botocore-rgw16.pcapng and ../botocore-rgw16.json: botocore (requirements.txt)
# through `sigscope listen --upstream` (TLS on the listener) to a real Ceph RGW 16.2, started
# with ../../../../../shared/servers (../shared beside the repository; Debian's radosgw,
# 16.2.15), on port 7490 under its own SRV_ROOT. Not run by CI.
#
#   bash tests/vectors/payload/gen/generate_rgw.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")"
root="$(cd "$here/../../../.." && pwd)"
servers="${SIGSCOPE_SERVERS:-$root/../shared/servers}"
bin="${SIGSCOPE_BIN:-$root/target/debug/sigscope}"
venv="${SIGSCOPE_PAYLOAD_VENV:-/tmp/sigscope-payload-venv}"
export SRV_ROOT="${SRV_ROOT:-/tmp/realsrv-payload}" RGW_PORT="${RGW_PORT:-7490}" CEPH_MON_PORT="${CEPH_MON_PORT:-3310}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
started=""
if ! curl -s -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/"; then
  "$servers/install-ceph-rgw.sh" >/dev/null
  "$servers/start-ceph-rgw.sh" >/dev/null
  started=1
fi

tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "$started" ] && "$servers/stop-ceph-rgw.sh" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 1 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
"$bin" listen --port 0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
  --upstream "http://127.0.0.1:$RGW_PORT" --preserve-host --credentials "$out/botocore-trailers.credentials" \
  --save "$tmp/out.pcapng" --format json >"$tmp/feed.json" 2>"$tmp/listen.err" &
pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$tmp/listen.err" && break
  sleep 0.1
done
addr="$(grep -o "https://[0-9.:]*" "$tmp/listen.err" | head -1 | cut -d/ -f3)"
[ -n "$addr" ] || { cat "$tmp/listen.err"; exit 1; }
"$venv/bin/python" "$here/gen_rgw.py" "https://$addr" "$tmp/cert.pem" "$out/botocore-rgw16.json"
kill -INT "$pid"
wait "$pid" || true
pid=""
cp "$tmp/out.pcapng" "$out/botocore-rgw16.pcapng"
echo "wrote $out/botocore-rgw16.pcapng ($(wc -c <"$out/botocore-rgw16.pcapng") bytes)"
