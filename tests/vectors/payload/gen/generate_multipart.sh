#!/usr/bin/env bash
# Regenerates ../boto3-multipart.pcapng and ../boto3-multipart.json: real boto3 multipart
# uploads with checksums, over HTTPS to `sigscope listen --upstream` (proxy mode, which saves
# the decrypted exchanges) in front of moto's S3 server on 127.0.0.1. Not run by CI; needs
# python3 (venv, pins in requirements-multipart.txt), openssl and a built sigscope.
#
#   bash tests/vectors/payload/gen/generate_multipart.sh   # SIGSCOPE_BIN, SIGSCOPE_MPU_VENV
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")"
root="$(cd "$here/../../../.." && pwd)"
bin="${SIGSCOPE_BIN:-$root/target/debug/sigscope}"
venv="${SIGSCOPE_MPU_VENV:-/tmp/sigscope-mpu-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-multipart.txt"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# moto's floor on a non-last part, lowered to match the generator's parts.
S3_UPLOAD_PART_MIN_SIZE=1024 "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  -days 1 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
"$bin" listen --port 0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
  --upstream "http://127.0.0.1:$port" \
  --credentials "$out/botocore-trailers.credentials" --save "$tmp/out.pcapng" \
  --format json >"$tmp/feed.json" 2>"$tmp/listen.err" &
lpid=$!
pids+=($lpid)
for _ in $(seq 50); do
  grep -q "listening on" "$tmp/listen.err" && break
  sleep 0.1
done
addr="$(grep -o "https://[0-9.:]*" "$tmp/listen.err" | head -1 | cut -d/ -f3)"
[ -n "$addr" ] || { cat "$tmp/listen.err"; exit 1; }
"$venv/bin/python" "$here/gen_multipart.py" "https://$addr" "$tmp/cert.pem" "$out/boto3-multipart.json"
kill -INT "$lpid"
wait "$lpid" || true
cp "$tmp/out.pcapng" "$out/boto3-multipart.pcapng"
echo "wrote $out/boto3-multipart.pcapng ($(wc -c <"$out/boto3-multipart.pcapng") bytes)"
