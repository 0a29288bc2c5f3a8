#!/usr/bin/env bash
# Repeats of bench/tls/run.sh's whole-file rows, interleaved, for a shared machine where one run
# can be disturbed (issue 13): ROUNDS times (3) tshark with the key log, then sigscope
# `report --format json` with the keys (and BEFORE, an older sigscope, beside it), all on the
# file run.sh generated. Prints each run and the medians as markdown; ratios are of medians
# measured in this one run.
#   bash bench/tls/repeat.sh [path/to/sigscope]     Environment: ROUNDS, BEFORE, CACHE_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="$(realpath "${1:-target/release/sigscope}")"
ROUNDS="${ROUNDS:-3}"
CACHE_DIR="${CACHE_DIR:-/tmp/sigscope-tls-bench}"
BIG="$CACHE_DIR/tls-1073741824.pcap"
KEYS="$BIG.keys"
CREDS="tests/captures/credentials"
[ -f "$BIG" ] || { echo "run bench/tls/run.sh first (it generates $BIG)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

one() {  # name command...: appends "wall cpu rss_kb" to $WORK/name
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$@" >/dev/null 2>&1 || true
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$WORK/t" >>"$WORK/$name"
}
names=(tshark after)
[ -n "${BEFORE:-}" ] && names+=(before)
for _ in $(seq "$ROUNDS"); do
  one tshark tshark -r "$BIG" -o "tls.keylog_file:$KEYS" -Y http.request -T fields \
    -e http.request.method -e http.request.uri
  for _ in 1 2; do
    one after "$BIN" report --keylog "$KEYS" --credentials "$CREDS" --format json "$BIG"
    [ -n "${BEFORE:-}" ] && one before "$BEFORE" report --keylog "$KEYS" --credentials "$CREDS" \
      --format json "$BIG"
  done
done
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "| run | runs | wall s (each) | median wall s | median CPU s | median peak RSS |"
echo "|---|---:|---|---:|---:|---:|"
for n in "${names[@]}"; do
  walls=$(cut -d' ' -f1 "$WORK/$n" | tr '\n' ' ')
  mw=$(cut -d' ' -f1 "$WORK/$n" | median)
  mc=$(cut -d' ' -f2 "$WORK/$n" | median)
  mr=$(cut -d' ' -f3 "$WORK/$n" | median)
  echo "| $n | $(wc -l <"$WORK/$n") | $walls | $mw | $mc | $((${mr%.*} / 1024)) MiB |"
  echo "$mw $mc" >"$WORK/$n.m"
done
read -r tw tc <"$WORK/tshark.m"
read -r aw ac <"$WORK/after.m"
echo
echo "Medians: sigscope against tshark, $(awk -v a="$tw" -v b="$aw" 'BEGIN{printf "%.1f", a/b}')× in wall time, $(awk -v a="$tc" -v b="$ac" 'BEGIN{printf "%.1f", a/b}')× in CPU time."
if [ -n "${BEFORE:-}" ]; then
  read -r bw bc <"$WORK/before.m"
  echo "This build against BEFORE: $(awk -v a="$bw" -v b="$aw" 'BEGIN{printf "%.2f", a/b}')× in wall time, $(awk -v a="$bc" -v b="$ac" 'BEGIN{printf "%.2f", a/b}')× in CPU time."
fi
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
