#!/usr/bin/env bash
# Regenerates ../js-sdk.pcapng and ../js-sdk.json: AWS SDK for JavaScript v3 uploads
# (header and trailer checksums, a presigned PUT), over HTTPS to `sigscope listen --tls-cert … --save`,
# which records the decrypted exchanges. Not run by CI (the tests read the committed files);
# needs node and npm (js/package.json, js/package-lock.json), openssl and a built sigscope.
#
#   bash tests/vectors/payload/gen/generate_js.sh         # uses target/debug/sigscope
#   SIGSCOPE_BIN=path/to/sigscope bash …/generate_js.sh
#
# The pcapng carries capture times, so a new run is not byte-identical to the committed one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")"
root="$(cd "$here/../../../.." && pwd)"
bin="${SIGSCOPE_BIN:-$root/target/debug/sigscope}"
(cd "$here/js" && npm ci --no-audit --no-fund --ignore-scripts --silent)

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
NODE_EXTRA_CA_CERTS="$tmp/cert.pem" node "$here/js/gen_js.mjs" "https://$addr" "$out/js-sdk.json"
kill -INT "$pid"
wait "$pid" || true
pid=""
cp "$tmp/out.pcapng" "$out/js-sdk.pcapng"
echo "wrote $out/js-sdk.pcapng ($(wc -c <"$out/js-sdk.pcapng") bytes)"
