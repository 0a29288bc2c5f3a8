#!/usr/bin/env bash
# Regenerates ../botocore-trailers.pcapng and ../botocore-trailers.json: real botocore uploads
# in STREAMING-UNSIGNED-PAYLOAD-TRAILER, over HTTPS to `sigscope listen --tls-cert … --save`,
# which records the decrypted exchanges. Not run by CI (the tests read the committed files);
# needs python3 (venv, pip: the pins in requirements.txt), openssl and a built sigscope.
#
#   bash tests/vectors/payload/gen/generate.sh            # uses target/debug/sigscope
#   SIGSCOPE_BIN=path/to/sigscope SIGSCOPE_PAYLOAD_VENV=/tmp/venv bash …/generate.sh
#
# The pcapng carries capture times, so a new run is not byte-identical to the committed one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")"
root="$(cd "$here/../../../.." && pwd)"
bin="${SIGSCOPE_BIN:-$root/target/debug/sigscope}"
venv="${SIGSCOPE_PAYLOAD_VENV:-/tmp/sigscope-payload-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 1 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
"$bin" listen --port 0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
  --credentials "$out/botocore-trailers.credentials" --save "$tmp/out.pcapng" \
  --format json >"$tmp/feed.json" 2>"$tmp/listen.err" &
pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "$tmp/listen.err" && break
  sleep 0.1
done
addr="$(grep -o "https://[0-9.:]*" "$tmp/listen.err" | head -1 | cut -d/ -f3)"
[ -n "$addr" ] || { cat "$tmp/listen.err"; exit 1; }
"$venv/bin/python" "$here/gen_trailers.py" "https://$addr" "$tmp/cert.pem" "$out/botocore-trailers.json"
kill -INT "$pid"
wait "$pid" || true
pid=""
cp "$tmp/out.pcapng" "$out/botocore-trailers.pcapng"
echo "wrote $out/botocore-trailers.pcapng ($(wc -c <"$out/botocore-trailers.pcapng") bytes)"
