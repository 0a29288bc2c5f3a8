#!/usr/bin/env bash
# HTTPS-in-captures benchmark (issue 13): sigscope vs tshark, same file, same key log, one run.
#
# Generates (or reuses) a >= 1 GiB pcap of TLS 1.3 traffic (AES-128-GCM) carrying SigV4-signed
# HTTP/1.1 exchanges, with its key log (examples/gen_tls_capture.rs), then measures wall time,
# CPU time and peak RSS (/usr/bin/time -v) of
#   sigscope report --keylog KEYS --credentials … --format json BIG.pcap   (decrypt + verify)
#   sigscope report --keylog KEYS --format tsv BIG.pcap                   (decrypt + list)
#   tshark -o tls.keylog_file:KEYS -Y http.request -T fields … on a PREFIX of the file
# tshark keeps every reassembled and decrypted stream in memory (1.5 GB of RSS for 200 MB in
# an earlier measurement): on this 2-core, 23 GB machine it runs on the first TSHARK_MB of the
# file (cut at a frame boundary by editcap -c), and sigscope is timed on that prefix too, so
# the ratio compares the same bytes. Before timing, the requests sigscope and tshark list on
# the prefix are compared (method, URI), which is what checks the generator's TLS.
#
# Usage: bench/tls/run.sh      Environment: MIN_BYTES (1073741824), TSHARK_MB (200),
#   CACHE_DIR (/tmp/sigscope-tls-bench), RESULTS (bench/tls/results.md), BEFORE (an older
#   sigscope binary, timed on the whole file too), BEFORE_LABEL
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MIN_BYTES="${MIN_BYTES:-1073741824}"
TSHARK_MB="${TSHARK_MB:-200}"
CACHE_DIR="${CACHE_DIR:-/tmp/sigscope-tls-bench}"
OUT="${RESULTS:-bench/tls/results.md}"
CREDS="tests/captures/credentials"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log() { echo "== $*" >&2; }

[ -x /usr/bin/time ] || apt-get install -y time >&2
for t in tshark editcap capinfos; do
  command -v "$t" >/dev/null || { echo "$t is required (apt-get install tshark)" >&2; exit 1; }
done
cargo build --release --quiet
cargo build --release --quiet --example gen_tls_capture
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cp "$TARGET_DIR/release/sigscope" "$WORK/sigscope"

mkdir -p "$CACHE_DIR"
BIG="$CACHE_DIR/tls-$MIN_BYTES.pcap"
KEYS="$BIG.keys"
SRC_SUM="$(sha256sum examples/gen_tls_capture.rs | cut -c1-16)"
if [ ! -f "$BIG" ] || [ "$(cat "$BIG.src" 2>/dev/null)" != "$SRC_SUM" ]; then
  log "generating $BIG"
  "$TARGET_DIR/release/examples/gen_tls_capture" "$BIG" "$KEYS" --min-bytes "$MIN_BYTES" >"$BIG.info"
  echo "$SRC_SUM" >"$BIG.src"
fi
cat "$BIG.info" >&2
SIZE=$(stat -c %s "$BIG")
FRAMES=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' "$BIG.info")
# The prefix: as many frames as fit in TSHARK_MB.
PREFIX="$CACHE_DIR/tls-prefix-$TSHARK_MB.pcap"
if [ ! -f "$PREFIX" ] || [ "$PREFIX" -ot "$BIG" ]; then
  n=$(( FRAMES * TSHARK_MB * 1048576 / SIZE ))
  editcap -r "$BIG" "$PREFIX" "1-$n"
fi
PSIZE=$(stat -c %s "$PREFIX")

# Parity on the prefix: the same requests (method, URI) in the same order.
tshark -r "$PREFIX" -o "tls.keylog_file:$KEYS" -Y http.request -T fields -E separator=/t \
  -e http.request.method -e http.request.uri 2>/dev/null >"$WORK/tshark.tsv"
"$WORK/sigscope" report --keylog "$KEYS" --format json "$PREFIX" 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    x=json.loads(l); print(x["request"]["method"]+"\t"+x["request"]["target"])' >"$WORK/ours.tsv"
if ! cmp -s "$WORK/ours.tsv" "$WORK/tshark.tsv"; then
  echo "!! sigscope and tshark list different requests on the prefix" >&2
  diff "$WORK/ours.tsv" "$WORK/tshark.tsv" | head >&2
  exit 1
fi
PREQ=$(wc -l <"$WORK/tshark.tsv")
log "prefix: $PREQ requests listed by both"

measure() {  # name command...
  local name="$1"; shift
  /usr/bin/time -v "$@" >/dev/null 2>"$WORK/$name.time" || true
  local wall user sys rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$WORK/$name.time" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  user=$(awk -F': ' '/User time/{print $2}' "$WORK/$name.time")
  sys=$(awk -F': ' '/System time/{print $2}' "$WORK/$name.time")
  rss=$(awk -F': ' '/Maximum resident/{print $2}' "$WORK/$name.time")
  echo "$name $wall $(echo "$user + $sys" | bc) $rss"
}
S_JSON=$(measure s_json "$WORK/sigscope" report --keylog "$KEYS" --credentials "$CREDS" --format json "$BIG")
S_TSV=$(measure s_tsv "$WORK/sigscope" report --keylog "$KEYS" --format tsv "$BIG")
B_JSON=""
[ -n "${BEFORE:-}" ] && B_JSON=$(measure b_json "$BEFORE" report --keylog "$KEYS" --credentials "$CREDS" --format json "$BIG")
S_PJSON=$(measure s_pjson "$WORK/sigscope" report --keylog "$KEYS" --credentials "$CREDS" --format json "$PREFIX")
T_PRE=$(measure t_prefix tshark -r "$PREFIX" -o "tls.keylog_file:$KEYS" -Y http.request -T fields \
  -e frame.number -e http.request.method -e http.request.uri -e http.host -e http.authorization)
# tshark on the whole file too, unless told not to (TSHARK_FULL=0): about 4 GB of RSS.
T_FULL=""
if [ "${TSHARK_FULL:-1}" = 1 ]; then
  T_FULL=$(measure t_full tshark -r "$BIG" -o "tls.keylog_file:$KEYS" -Y http.request -T fields \
    -e frame.number -e http.request.method -e http.request.uri -e http.host -e http.authorization)
fi
# Every request of the big file verified valid?
VALID=$("$WORK/sigscope" report --keylog "$KEYS" --credentials "$CREDS" --format json "$BIG" 2>/dev/null |
  python3 -c 'import json,sys
n=v=0
for l in sys.stdin:
    n+=1; v+= json.loads(l)["verdict"]=="valid"
print(f"{v} of {n}")')

row() {  # label "name wall cpu rss" bytes
  read -r _ wall cpu rss <<<"$2"
  printf '| %s | %.1f | %.1f | %.1f | %d MiB |\n' "$1" "$wall" "$cpu" \
    "$(echo "$3 / 1048576 / $wall" | bc -l)" "$((rss / 1024))"
}
mbps() { read -r _ wall _ _ <<<"$1"; echo "$2 / 1048576 / $wall" | bc -l; }
cpu() { read -r _ _ c _ <<<"$1"; echo "$c"; }
RATIO_J=$(echo "$(mbps "$S_PJSON" "$PSIZE") / $(mbps "$T_PRE" "$PSIZE")" | bc -l)
RATIO_JC=$(echo "$(cpu "$T_PRE") / $(cpu "$S_PJSON")" | bc -l)
RATIO_BIG=$(echo "$(mbps "$S_JSON" "$SIZE") / $(mbps "$T_PRE" "$PSIZE")" | bc -l)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "# HTTPS in captures: sigscope vs tshark with the same key log"
  echo
  echo "Generated by \`bench/tls/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); all rows from that one run"
  echo "on one machine ($(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/{print $2}') GB)."
  echo
  echo "File: \`examples/gen_tls_capture.rs\`, $(cat "$BIG.info") — $(printf '%.2f' "$(echo "$SIZE/1000000000" | bc -l)") GB"
  echo "of TLS 1.3 (AES-128-GCM) on keep-alive connections, SigV4-signed S3 PUTs and GETs of 4–128 KiB,"
  echo "and its key log. tshark ran on a prefix of ${TSHARK_MB} MiB ($PREQ requests; editcap -r, whole frames),"
  echo "and sigscope on that prefix too; sigscope and tshark list the same requests there (checked"
  echo "before timing). Every request of the whole file verifies: $VALID valid."
  echo
  echo "| run | wall s | CPU s | MiB/s | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  row "sigscope report --format json, with the keys, whole file" "$S_JSON" "$SIZE"
  [ -n "$B_JSON" ] && row "${BEFORE_LABEL:-an older sigscope}, --format json, with the keys, whole file" "$B_JSON" "$SIZE"
  row "sigscope report --format tsv, whole file" "$S_TSV" "$SIZE"
  row "sigscope report --format json, with the keys, ${TSHARK_MB} MiB prefix" "$S_PJSON" "$PSIZE"
  row "tshark -o tls.keylog_file -Y http.request -T fields, ${TSHARK_MB} MiB prefix" "$T_PRE" "$PSIZE"
  [ -n "$T_FULL" ] && row "tshark -o tls.keylog_file -Y http.request -T fields, whole file" "$T_FULL" "$SIZE"
  echo
  echo "Load average at the end of the run: $LOAD (other jobs shared the 2 cores: wall times"
  echo "include waiting for a core; CPU times do not)."
  echo
  printf -- '- Same prefix, sigscope (decrypt, reassemble, verify, JSON) against tshark: %.1f× in wall-clock throughput, %.1f× in CPU time.\n' "$RATIO_J" "$RATIO_JC"
  if [ -n "$T_FULL" ]; then
    printf -- '- Whole file, sigscope JSON against tshark: %.1f× in wall-clock throughput, %.1f× in CPU time.\n' \
      "$(echo "$(mbps "$S_JSON" "$SIZE") / $(mbps "$T_FULL" "$SIZE")" | bc -l)" \
      "$(echo "$(cpu "$T_FULL") / $(cpu "$S_JSON")" | bc -l)"
  fi
  printf -- '- sigscope on the whole file against tshark on the prefix: %.1f×.\n' "$RATIO_BIG"
  if [ -n "$B_JSON" ]; then
    printf -- '- This build against %s, whole file, JSON: %.1f× faster in wall time, %.1f× in CPU time.\n' \
      "${BEFORE_LABEL:-the older build}" \
      "$(echo "$(mbps "$S_JSON" "$SIZE") / $(mbps "$B_JSON" "$SIZE")" | bc -l)" \
      "$(echo "$(cpu "$B_JSON") / $(cpu "$S_JSON")" | bc -l)"
  fi
  echo "- Peak memory: sigscope's RSS on the whole file is the figure above, against a file of $((SIZE / 1048576)) MiB."
} >"$OUT"
cat "$OUT"
