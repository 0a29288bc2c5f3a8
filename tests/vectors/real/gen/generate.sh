#!/usr/bin/env bash
# Regenerate the real-library signing fixtures in tests/vectors/real/.
#
#   tests/vectors/real/gen/generate.sh
#
# Environment:
#   PYTHON          interpreter for the venv (default python3.11, else python3;
#                   must be <= 3.11: boto 2.49.0 does not import on 3.12+)
#   SIGSCOPE_VENV   venv location (default /tmp/sigscope-fixtures-venv)
#   SIGSCOPE_PORT   capture-server port (default 8003). The port is part of
#                   the signed Host header: changing it changes the fixtures.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(cd "$HERE/.." && pwd)"
KS_LEGACY=0.9.0
KS_CURRENT=6.0.0

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info >= (3, 12) or sys.version_info < (3, 8):
    sys.exit("need Python 3.8-3.11 (boto 2.49.0 does not import on 3.12+), "
             "got %s" % sys.version.split()[0])
PY

VENV="${SIGSCOPE_VENV:-/tmp/sigscope-fixtures-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r "$HERE/requirements.txt"

WORK="$(mktemp -d /tmp/sigscope-ks.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
(
    cd "$WORK"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
        --no-binary=:all: "python-keystoneclient==$KS_LEGACY"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: "python-keystoneclient==$KS_CURRENT"
    mkdir legacy current
    tar -xzf "python-keystoneclient-$KS_LEGACY.tar.gz" -C legacy
    "$VENV/bin/python" -m zipfile -e \
        "python_keystoneclient-$KS_CURRENT-py3-none-any.whl" current
)

# start from a clean slate so removed cases do not linger
rm -rf "$OUT/boto2" "$OUT/botocore" "$OUT/keystoneclient"

cd "$HERE"
PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 SIGSCOPE_OUT="$OUT" \
    "$VENV/bin/python" "$HERE/generate.py" \
    "$WORK/legacy/python-keystoneclient-$KS_LEGACY" "$WORK/current" \
    "$KS_LEGACY" "$KS_CURRENT"
