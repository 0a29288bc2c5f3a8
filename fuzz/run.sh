#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each on its committed corpus and prints
# a table: target, executions, executions/s, coverage (libFuzzer's final cov/ft), crashes.
# Issue 19. Exits non-zero when any target crashed, hung past FUZZ_TIMEOUT or failed to build.
#
#   fuzz/run.sh [SECONDS] [TARGET...]       (default 20 s, every target)
#
# Toolchain: a nightly when rustup has one, else stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz
# needs -Z flags for the sanitizer). FUZZ_TOOLCHAIN overrides. cargo-fuzz must be installed
# (`cargo install cargo-fuzz`). ASan is on (cargo-fuzz's default). New inputs go to a scratch
# corpus (FUZZ_WORK, default a temporary directory), not into fuzz/corpus; a crashing input is
# kept in fuzz/artifacts/<target>/. FUZZ_TARGET_DIR: where to build (default fuzz/target); CI
# keeps it across runs so that only the first run pays for the ASan build of the dependencies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
secs="${1:-20}"
shift || true
timeout_s="${FUZZ_TIMEOUT:-5}"
nice_n="${FUZZ_NICE:-10}"

if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
  cargo=(cargo "+$FUZZ_TOOLCHAIN")
elif rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  cargo=(cargo +nightly)
else
  export RUSTC_BOOTSTRAP=1
  cargo=(cargo)
fi

tdir=()
[ -n "${FUZZ_TARGET_DIR:-}" ] && tdir=(--target-dir "$FUZZ_TARGET_DIR")

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <("${cargo[@]}" fuzz list)
fi

# Each target's dictionary: the words of what it reads (fuzz/dict).
dict_for() {
  case "$1" in
    link_ip_tcp | tcp_reassembly | tls) echo pcap ;;
    http1 | raw_http | har | server_error | aws_chunked | h2_frames | hpack) echo http ;;
    auth | credentials | filter | config | postpolicy) echo "auth http" ;;
    pipeline) echo "pcap http auth" ;;
    *) echo "" ;;
  esac
}

work="${FUZZ_WORK:-$(mktemp -d)}"
mkdir -p "$work"
echo "building the fuzz targets (${cargo[*]} fuzz build, ASan)…" >&2
if ! nice -n "$nice_n" "${cargo[@]}" fuzz build "${tdir[@]}" >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  exit 2
fi

failed=0
printf '| %-15s | %12s | %8s | %6s | %7s | %7s |\n' target executions "exec/s" cov ft crashes
printf '|%s|%s|%s|%s|%s|%s|\n' "-----------------" "--------------" "----------" "--------" "---------" "---------"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "$work/$t" "artifacts/$t"
  dict="$work/$t.dict"
  : >"$dict"
  for d in $(dict_for "$t"); do cat "dict/$d.dict" >>"$dict"; done
  dict_arg=()
  [ -s "$dict" ] && dict_arg=("-dict=$dict")
  before=$(find "artifacts/$t" -type f | wc -l)
  log="$work/$t.log"
  set +e
  nice -n "$nice_n" "${cargo[@]}" fuzz run "${tdir[@]}" "$t" "$work/$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout="$timeout_s" -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict_arg[@]}" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  crashes=$(($(find "artifacts/$t" -type f | wc -l) - before))
  if [ "$rc" -ne 0 ]; then
    failed=1
    [ "$crashes" -gt 0 ] || crashes="exit $rc"
    echo "$t failed: the end of its log ($log):" >&2
    tail -30 "$log" >&2
  fi
  printf '| %-15s | %12s | %8s | %6s | %7s | %7s |\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
done
echo "($secs s a target, timeout ${timeout_s} s an input; logs and new inputs in $work)" >&2
exit "$failed"
