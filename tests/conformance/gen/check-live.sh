#!/usr/bin/env bash
# The live check of issue 20, run by .ci/run: the matrix is sent again to freshly started real
# servers (make.sh, into a temporary directory), and each server's answers must be the ones
# committed in tests/conformance/<server>-<version>/answers.tsv, case by case (status and
# error code), so a server release that changes a rule fails CI. It prints, for the test
# binary, the SIGSCOPE_CONFORMANCE_LIVE value naming each fresh corpus and its dialect:
# tests/engine/conformance.rs then verifies the live captures as it does the committed ones.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
committed="$(cd "$here/.." && pwd)"
out="${TMPDIR:-/tmp}/sigscope-conformance-live"
rm -rf "$out"
CONFORMANCE_OUT="$out" bash "$here/make.sh" all >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
status=0 live=()
for dir in "$out"/*/; do
  name="$(basename "$dir")"
  if [ ! -f "$committed/$name/answers.tsv" ]; then
    echo "conformance: no committed corpus $name (a new server version?): run tests/conformance/gen/make.sh" >&2
    status=1
    continue
  fi
  # Columns: case, status, code (the messages carry request ids and may be reworded).
  if ! diff <(cut -f2,5,6 "$committed/$name/answers.tsv") <(cut -f2,5,6 "$dir/answers.tsv") >&2; then
    echo "conformance: $name answered differently from the committed corpus (above: < committed, > live)" >&2
    status=1
  fi
  case "$name" in
    rgw-16.2.*) live+=("$dir=ceph-rgw-16.2") ;;
    moto-*) live+=("$dir=moto") ;;
  esac
  echo "conformance: $name: $(grep -vc '^#' "$dir/answers.tsv") requests, answers as committed" >&2
done
[ "$status" = 0 ] || exit "$status"
(IFS=,; echo "${live[*]}")
