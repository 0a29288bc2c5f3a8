#!/usr/bin/env bash
# Makes the README's screenshots from the real binary: sigscope runs in tmux on the built-in
# demo capture, keys are sent as a person would type them, and each screen (with its colours,
# from `tmux capture-pane -e`) is turned into an SVG by ansi2svg.py beside this script.
#
#   bash assets/gen/screenshots.sh        → assets/*.svg
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
cargo build --release --quiet
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/sigscope"
WORK="$(mktemp -d)"
S="sigscope-shots-$$"
trap 'tmux kill-session -t "$S" 2>/dev/null || true; rm -rf "$WORK"' EXIT

wait_for() { for _ in $(seq 1 100); do tmux capture-pane -p -t "$S" | grep -q -- "$1" && return 0; sleep 0.1; done; echo "never saw: $1" >&2; tmux capture-pane -p -t "$S" >&2; exit 1; }
keys() { for k in "$@"; do tmux send-keys -t "$S" "$k"; sleep 0.15; done; }
shot() {
    sleep 0.4
    tmux capture-pane -e -p -t "$S" >"$WORK/$1.ansi"
    python3 assets/gen/ansi2svg.py "$WORK/$1.ansi" "assets/$1.svg" "$2" "$3" "$4"
    echo "assets/$1.svg"
}

run() {  # run W H ARGS...: a fresh UI in an empty config home
    local w="$1" h="$2"; shift 2
    tmux kill-session -t "$S" 2>/dev/null || true
    tmux new-session -d -s "$S" -x "$w" -y "$h" "cd '$WORK' && XDG_CONFIG_HOME='$WORK' COLORTERM=truecolor '$BIN' $*; sleep 60"
    wait_for "○ ANONYMOUS"
}

# 1. What a newcomer sees: the demo, the seed case selected (valid by the AWS rules, yet 403).
run 160 45
keys Enter
shot overview "sigscope — the built-in demo capture" 160 45
# 2. Verified as keystone-legacy (python-keystoneclient ≤ 0.10), the Diff tab marks where
#    the canonical requests part: the form body in the canonical query string.
keys d Down Down Down Enter
wait_for "verifier keystone-legacy"
keys 5 z
shot diff "sigscope — the seed case, Diff tab (keystone-legacy), zoomed" 160 45
keys z 6
shot dialects "sigscope — every dialect's verdict" 160 45
keys "?"
shot help "sigscope — keys (generated from the keymap)" 160 45
# 3. A narrow terminal: list over detail; a filter in the mitmproxy vocabulary.
run 100 34
keys / 
tmux send-keys -t "$S" -l "~auth sigv2 | ~auth query"
sleep 0.2
shot filter "sigscope — filter as you type (100×34)" 100 34
# 4. Live: a verifying endpoint, fed by curl's own SigV4 signer (a valid request, a wrong secret).
tmux kill-session -t "$S" 2>/dev/null || true
tmux new-session -d -s "$S" -x 160 -y 45 "cd '$WORK' && XDG_CONFIG_HOME='$WORK' COLORTERM=truecolor '$BIN' listen --port 18181 --credentials '$ROOT/samples/demo.credentials'; sleep 60"
wait_for "waiting for requests"
curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" http://127.0.0.1:18181/examplebucket/report.csv
curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIDEXAMPLE:an-old-secret" -X PUT --data-binary "id,total" http://127.0.0.1:18181/examplebucket/upload.csv
wait_for "2 exchanges"
keys j
wait_for "strings-agree-key-differs"
shot listen "sigscope listen — a verifying endpoint (curl --aws-sigv4, one with a stale secret)" 160 45
