#!/usr/bin/env bash
# Derives the seed corpora of the fuzz targets from the committed fixtures (issue 19):
# fuzz/corpus/<target>/, small files only (seed.py: at most 8 KiB each, 24 a target).
# Usage: fuzz/seed.sh [OUT_DIR]   (default fuzz/corpus; files already there are kept)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/corpus}"
mkdir -p "$out"
python3 "$here/seed.py" "$out"
