#!/usr/bin/env bash
# Regenerates the GCS (GOOG4-HMAC-SHA256) fixtures of this folder: every request is signed by
# curl's own GOOG4 signer (`--aws-sigv4 goog:goog:auto:storage`, curl >= 7.75; 7.88.1 made the
# committed ones) with the HMAC key GOOGTESTKEY/googsecret of ../credentials, or another secret
# for the tampered ones. Not run by CI (dates differ each run).
#
# - listen.pcapng: the requests sent to `sigscope listen --dialect gcs --respond gcs` (the
#   endpoint that plays Cloud Storage and its front end) and its answers, saved by --save:
#   a GET (200), a PUT whose signed Accept-Encoding the front end extends (403, GCS's error
#   body with the server's CanonicalRequest), the same PUT without Accept-Encoding (200), and a
#   GET signed with another secret (403).
# - recorded.http: the same four requests received by a plain loopback recorder (no answer
#   but 200), the raw bytes curl sent.
#
#   SIGSCOPE=target/debug/sigscope bash tests/vectors/gcs/gen/make.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.."
bin="${SIGSCOPE:-$here/../../../../target/debug/sigscope}"
port="${PORT:-18998}"
rport="${RPORT:-18997}"

send() { # base
  local base="$1"
  curl -s -o /dev/null --aws-sigv4 "goog:goog:auto:storage" --user "GOOGTESTKEY:googsecret" \
    "$base/bucket/cat%20pics/tabby.jpeg?generation=1"
  curl -s -o /dev/null -X PUT --data-binary 'hello, gcs' -H 'Accept-Encoding: gzip' \
    --aws-sigv4 "goog:goog:auto:storage" --user "GOOGTESTKEY:googsecret" "$base/bucket/obj"
  curl -s -o /dev/null -X PUT --data-binary 'hello, gcs' \
    --aws-sigv4 "goog:goog:auto:storage" --user "GOOGTESTKEY:googsecret" "$base/bucket/obj"
  curl -s -o /dev/null --aws-sigv4 "goog:goog:auto:storage" --user "GOOGTESTKEY:wrongsecret" \
    "$base/bucket/obj"
}

rm -f "$out/listen.pcapng"
"$bin" listen --port "$port" --dialect gcs --respond gcs --credentials "$out/credentials" \
  --save "$out/listen.pcapng" --format tsv >/dev/null 2>&1 &
listener=$!
python3 - "$out/recorded.http" "$rport" <<'PY' &
import socket, sys
out, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(8); s.settimeout(20)
with open(out, "wb") as f:
    for _ in range(4):
        c, _ = s.accept(); c.settimeout(5); data = b""
        while b"\r\n\r\n" not in data:
            data += c.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        while len(body) < n:
            body += c.recv(65536)
        f.write(head + b"\r\n\r\n" + body)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"); c.close()
PY
recorder=$!
sleep 1
send "http://127.0.0.1:$port"
send "http://127.0.0.1:$rport"
wait "$recorder"
sleep 1
kill -INT "$listener"; wait "$listener" || true
echo "wrote $out/listen.pcapng $out/recorded.http"
