#!/usr/bin/env bash
# Issue 14: the cost of the payload checks (aws-chunked framing, decoded length, trailer
# checksum) on 256 MiB uploads, against botocore computing the same checksums in the same run.
# Needs the payload venv (tests/vectors/payload/gen/requirements.txt: botocore + awscrt).
#   bash bench/payload/run.sh [path/to/release/sigscope]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../target/release/sigscope}"
venv="${SIGSCOPE_PAYLOAD_VENV:-/tmp/sigscope-payload-venv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$venv/bin/python" "$here/make_uploads.py"
python3 - <<'PY'
d = open('crc32c.http', 'rb').read()
i = d.index(b'\r\n\r\n')
head = d[:i].replace(b'STREAMING-UNSIGNED-PAYLOAD-TRAILER', b'UNSIGNED-PAYLOAD').replace(b'Content-Encoding: aws-chunked\r\n', b'')
open('baseline.http', 'wb').write(head + d[i:])
PY
for r in 1 2 3; do
  for f in baseline crc32c sha256 crc32; do
    /usr/bin/time -f "$f %U s user %e s wall" "$bin" report "$f.http" --body-cap 1G --format json --credentials /dev/null >/dev/null
  done
done 2>&1 | sort
