#!/usr/bin/env bash
# Regenerates the SigV4A fixtures in tests/vectors/sigv4a/ from real botocore + awscrt (pins in
# requirements.txt). Not run by CI: the tests read the committed files. SigV4A signatures are
# randomised, so a new run is not byte-identical to the committed one.
#
#   bash tests/vectors/sigv4a/gen/generate.sh     # SIGSCOPE_V4A_VENV=/tmp/venv to reuse a venv
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${SIGSCOPE_V4A_VENV:-/tmp/sigscope-v4a-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" "$here/gen_sigv4a.py"
"$venv/bin/python" "$here/gen_streaming.py"   # SigV4A streaming: needs readelf (binutils)
