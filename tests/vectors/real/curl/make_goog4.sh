#!/usr/bin/env bash
# Regenerates goog4-header.http: two requests signed by curl's own GOOG4-HMAC-SHA256 signer
# (`--aws-sigv4 goog:goog:auto:storage`, curl >= 7.75), the first with the secret in
# goog4-header.credentials, the second with another secret. A one-shot loopback listener records
# the raw requests. The dates differ run to run, so CI does not diff the output.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/goog4-header.http"
PORT="${PORT:-18999}"
python3 - "$OUT" "$PORT" <<'PY' &
import socket, sys
out, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(2); s.settimeout(20)
with open(out, "wb") as f:
    for _ in range(2):
        c, _ = s.accept(); c.settimeout(5); data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        f.write(data)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"); c.close()
PY
LISTENER=$!
sleep 0.5
for secret in googsecret wrongsecret; do
  curl -s -o /dev/null --aws-sigv4 "goog:goog:auto:storage" --user "GOOGTESTKEY:$secret" \
    "http://127.0.0.1:$PORT/bucket/obj?a=1"
done
wait "$LISTENER"
echo "wrote $OUT"
