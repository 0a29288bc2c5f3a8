#!/usr/bin/env bash
# Regenerates ../forms.pcapng and ../forms.json: browser-upload forms made by botocore
# (generate_presigned_post, SigV4) and boto 2 (build_post_form_args, SigV2), posted by
# `requests` to `sigscope listen` (endpoint mode, which answers as S3 and saves the
# exchanges). Not run by CI; needs python3 (venv, pins in requirements.txt) and a built
# sigscope. The script fails when the listener's answer is not S3's for a case.
#
#   bash tests/vectors/postpolicy/gen/generate.sh   # SIGSCOPE_BIN, SIGSCOPE_POST_VENV
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(dirname "$here")"
root="$(cd "$here/../../../.." && pwd)"
bin="${SIGSCOPE_BIN:-$root/target/debug/sigscope}"
venv="${SIGSCOPE_POST_VENV:-/tmp/sigscope-post-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
# boto 2 builds its POST form on Python 2 only: a Python 2.7 (BOTO2_PYTHON, default
# `python2.7`) with boto==2.49.0 installed into BOTO2_PATH.
export BOTO2_PYTHON="${BOTO2_PYTHON:-python2.7}"
export BOTO2_PATH="${BOTO2_PATH:-/tmp/sigscope-post-boto2}"
[ -d "$BOTO2_PATH/boto" ] || "$BOTO2_PYTHON" -m pip install --quiet --target "$BOTO2_PATH" boto==2.49.0

tmp="$(mktemp -d)"
lpid=""
cleanup() {
  [ -n "$lpid" ] && kill "$lpid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$bin" listen --port 0 --credentials "$out/credentials" --save "$tmp/out.pcapng" \
  --format json >"$tmp/feed.json" 2>"$tmp/listen.err" &
lpid=$!
for _ in $(seq 50); do
  grep -qs "listening on" "$tmp/listen.err" && break
  sleep 0.1
done
addr="$(grep -o "http://[0-9.:]*" "$tmp/listen.err" | head -1 | cut -d/ -f3)"
[ -n "$addr" ] || { cat "$tmp/listen.err"; exit 1; }
"$venv/bin/python" "$here/gen_postpolicy.py" "http://$addr" "$out/forms.json"
kill -INT "$lpid"
wait "$lpid" || true
lpid=""
cp "$tmp/out.pcapng" "$out/forms.pcapng"
echo "wrote $out/forms.pcapng ($(wc -c <"$out/forms.pcapng") bytes)"
