#!/usr/bin/env bash
# The terminal UI on a large capture, measured on the real binary in tmux (200x50):
#   * first frame: from process start to the first frame drawn;
#   * key press to the frame that shows it, while the capture is read and verified and after;
#   * peak memory, and memory per exchange.
# The capture is the capture-ingest benchmark's (examples/gen_capture/: 1M signed requests,
# ~1.7 GB); the UI reports its own timings (--timings), keys are sent by tmux.
# For scale, the same file is read to the end by `sigscope report --format tsv` (the listing
# the UI shows) and by tshark, whose UI, Wireshark/termshark, lists the same rows.
#
# Usage: bench/tui/run.sh      Environment: REQUESTS (1000000), MIN_BYTES (1073741824), SEED (1),
#        CACHE_DIR (/tmp/sigscope-capture-bench), KEYS (200 per phase), RESULTS (bench/tui/results.md)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REQUESTS="${REQUESTS:-1000000}"
MIN_BYTES="${MIN_BYTES:-1073741824}"
SEED="${SEED:-1}"
CACHE_DIR="${CACHE_DIR:-/tmp/sigscope-capture-bench}"
KEYS="${KEYS:-200}"
OUT="${RESULTS:-bench/tui/results.md}"
WORK="$(mktemp -d)"
SESSION="sigscope-tui-bench-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
log() { echo "== $*" >&2; }
command -v tmux >/dev/null || { echo "tmux is not installed (apt-get install tmux)" >&2; exit 1; }

cargo build --release --quiet
cargo build --release --quiet --example gen_capture
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cp "$TARGET_DIR/release/sigscope" "$WORK/sigscope"
mkdir -p "$CACHE_DIR"
GEN_HASH="$(cat examples/gen_capture/*.rs | sha256sum | cut -c1-12)"
BIG="$CACHE_DIR/capture-r$REQUESTS-m$MIN_BYTES-s$SEED-$GEN_HASH.pcap"
if [ ! -s "$BIG" ] || [ ! -s "$BIG.meta" ]; then
    log "generating $BIG"
    "$TARGET_DIR/release/examples/gen_capture" "$BIG" --requests "$REQUESTS" --min-bytes "$MIN_BYTES" --seed "$SEED" >"$BIG.meta.tmp"
    mv "$BIG.meta.tmp" "$BIG.meta"
fi
SIZE="$(stat -c %s "$BIG")"
cat "$BIG" >/dev/null   # page cache, as for every run below

screen() { tmux capture-pane -p -t "$SESSION"; }
pid_of() { pgrep -f "$WORK/sigscope $BIG" | head -1; }

log "UI on $BIG"
T0="$(date +%s.%N)"
tmux new-session -d -s "$SESSION" -x 200 -y 50 \
    "'$WORK/sigscope' '$BIG' --credentials tests/captures/credentials --timings '$WORK/timings.json'; sleep 60"
sleep 0.3
PID="$(pid_of)"
# Phase 1: keys while the file is read and verified (down, up, a tab, page down...).
keys=(j j k Tab j BTab NPage j PPage G g)
sent=0
while [ "$sent" -lt "$KEYS" ]; do
    tmux send-keys -t "$SESSION" "${keys[$((sent % ${#keys[@]}))]}"
    sent=$((sent + 1))
    sleep 0.05
done
log "waiting for reading and verification to finish"
until ! screen | grep -qE "reading |verifying [0-9]"; do sleep 1; done
T_LOADED="$(date +%s.%N)"
EXCHANGES="$(screen | grep -oE '[0-9]+ exchanges' | head -1 | cut -d' ' -f1)"
# Phase 2: the same keys with everything loaded.
sent=0
while [ "$sent" -lt "$KEYS" ]; do
    tmux send-keys -t "$SESSION" "${keys[$((sent % ${#keys[@]}))]}"
    sent=$((sent + 1))
    sleep 0.05
done
# A filter over everything: Enter, then the slices.
tmux send-keys -t "$SESSION" "/" && tmux send-keys -t "$SESSION" -l "~v invalid" && tmux send-keys -t "$SESSION" Enter
until screen | grep -q " of $EXCHANGES shown"; do sleep 0.2; done
HWM_KB="$(grep VmHWM "/proc/$PID/status" | awk '{print $2}')"
RSS_KB="$(grep VmRSS "/proc/$PID/status" | awk '{print $2}')"
tmux send-keys -t "$SESSION" q
for _ in $(seq 1 50); do [ -s "$WORK/timings.json" ] && break; sleep 0.2; done
cat "$WORK/timings.json" >&2
LOAD_S="$(python3 -c "print(f'{$T_LOADED - $T0:.1f}')")"

log "for scale: sigscope report --format tsv, tshark -Y http.request"
/usr/bin/time -f "%e %M" -o "$WORK/tsv.time" "$WORK/sigscope" report "$BIG" --format tsv >/dev/null 2>"$WORK/tsv.err"
TSHARK_LINE="not measured (tshark not installed, or SKIP_TSHARK)"
if command -v tshark >/dev/null && [ -z "${SKIP_TSHARK:-}" ]; then
    /usr/bin/time -f "%e %M" -o "$WORK/tshark.time" tshark -r "$BIG" -Y http.request -T fields -e frame.number >/dev/null 2>&1
    TSHARK_LINE="$(awk '{printf "%.1f s, peak %d MiB", $1, $2/1024}' "$WORK/tshark.time")"
fi
TSV_LINE="$(awk '{printf "%.1f s, peak %d MiB", $1, $2/1024}' "$WORK/tsv.time")"

python3 - "$WORK/timings.json" "$OUT" "$BIG" "$SIZE" "$EXCHANGES" "$HWM_KB" "$RSS_KB" "$LOAD_S" "$TSV_LINE" "$TSHARK_LINE" "$(git rev-parse --short HEAD)" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
out, big, size, n, hwm, rss, load, tsv, tshark, rev = sys.argv[2:]
n = int(n); hwm = int(hwm) * 1024; rss = int(rss) * 1024
b, a = t["key_to_frame_while_loading"], t["key_to_frame_after"]
with open(out, "w") as f:
    f.write(f"""# Terminal UI with {n:,} exchanges

Measured by `bench/tui/run.sh` (commit {rev}) on this project's machine (2 cores, KVM), on
`{big.split('/')[-1]}` ({int(size)/1e9:.2f} GB, made by `examples/gen_capture/`), in tmux at
200×50, with the capture's keys. The UI times itself (`--timings`): a key press is timed from
the moment the loop receives it to the end of the frame that shows its effect.

| measure | value |
|---|---:|
| first frame after start | {t['first_frame_ms']:.1f} ms |
| key → frame while reading and verifying ({b['n']} keys) | p50 {b['p50_ms']:.2f} ms, p99 {b['p99_ms']:.2f} ms, max {b['max_ms']:.2f} ms |
| key → frame after ({a['n']} keys, incl. a filter over everything) | p50 {a['p50_ms']:.2f} ms, p99 {a['p99_ms']:.2f} ms, max {a['max_ms']:.2f} ms |
| all {n:,} exchanges read and verified (1 verifier thread, 1 for the UI and the reader) | {load} s |
| peak memory (VmHWM) | {hwm/2**20:.0f} MiB |
| memory per exchange (peak / exchanges) | {hwm/n:,.0f} bytes |

For scale, reading the same file to the end: `sigscope report --format tsv` (the listing,
no verification) {tsv}; `tshark -Y http.request -T fields` {tshark}.
""")
print(open(out).read())
PY
