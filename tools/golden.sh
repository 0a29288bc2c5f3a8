#!/usr/bin/env bash
# Record every report output of every committed input, so that a refactoring can prove its
# output unchanged: `tools/golden.sh BIN OUTDIR` with the old binary, again with the new one,
# then `diff -r` the two folders. Inputs: every capture, HAR and raw HTTP file in the tree;
# each in the four report formats, with its credentials (a sibling `.credentials` or
# `credentials` file) and without, under the default verifier and under each dialect;
# plus `sigscope dialects` in both formats. stderr is recorded beside stdout.
set -uo pipefail
bin="$(realpath "$1")"; out="$(realpath -m "$2")"
cd "$(dirname "$0")/.."
mkdir -p "$out"
mapfile -t inputs < <(git ls-files | grep -E '\.(pcap|pcapng|http|har|req|sreq)$' | sort)
dialects=$("$bin" dialects --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(x["name"] for x in d))' 2>/dev/null || echo "aws botocore boto2 keystone-legacy keystone ceph-rgw minio")
n=0
for f in "${inputs[@]}"; do
  tag="$(echo "$f" | tr '/' '_')"
  creds=""
  for c in "${f%.*}.credentials" "$f.credentials" "$(dirname "$f")/credentials"; do
    [ -f "$c" ] && { creds="$c"; break; }
  done
  for fmt in json text markdown tsv; do
    "$bin" report "$f" --format "$fmt" --credentials /dev/null >"$out/$tag.nokey.$fmt" 2>"$out/$tag.nokey.$fmt.err"
    echo "exit $?" >>"$out/$tag.nokey.$fmt.err"
    n=$((n+1))
    [ -n "$creds" ] || continue
    for d in default $dialects; do
      [ "$fmt" = tsv ] && [ "$d" != default ] && continue
      dflag=(); [ "$d" = default ] || dflag=(--dialect "$d")
      "$bin" report "$f" --format "$fmt" --credentials "$creds" "${dflag[@]}" >"$out/$tag.$d.$fmt" 2>"$out/$tag.$d.$fmt.err"
      echo "exit $?" >>"$out/$tag.$d.$fmt.err"
      n=$((n+1))
    done
  done
done
"$bin" dialects >"$out/dialects.text" 2>&1; "$bin" dialects --json >"$out/dialects.json" 2>&1
echo "$n report outputs of ${#inputs[@]} inputs in $out"
