#!/usr/bin/env bash
# Regenerates the conformance corpus (issue 20) against real servers on loopback:
#   tests/conformance/<server>-<version>/{requests.pcap,answers.tsv,strings.tsv,credentials}
#
#   make.sh [rgw|moto|all]        (default all; needs root for tcpdump)
#
# Servers: Ceph RGW from ../shared/servers (apt; its start script, ports moved so that a
# server already running on the defaults is left alone), moto from PyPI. Clients: botocore
# (pinned in requirements.txt) in a venv under $TMPDIR. The live check in .ci/run
# (check-live.sh) runs the same matrix and compares only the answers, so a server release that
# changes a rule is noticed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# CONFORMANCE_OUT: where the corpora go (default: the committed ones beside gen/).
corpus="${CONFORMANCE_OUT:-$(cd "$here/.." && pwd)}"
mkdir -p "$corpus"
shared="${SHARED:-$(cd "$here/../../../.." && pwd)/shared}"
venv="${CONFORMANCE_VENV:-${TMPDIR:-/tmp}/sigscope-conformance-venv}"
what="${1:-all}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
py="$venv/bin/python"

# Whatever was started is stopped on the way out, by PID (stop-ceph-rgw.sh reads its PID files).
pids=() stops=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for s in "${stops[@]}"; do "$s" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

creds() { # creds FILE ACCESS SECRET
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$2" "$3" > "$1"
}

rgw() {
  export SRV_ROOT="${TMPDIR:-/tmp}/sigscope-conformance-rgw"
  local port="${RGW_PORT:-7482}"
  "$shared/servers/install-ceph-rgw.sh" >/dev/null
  RGW_PORT="$port" CEPH_MON_PORT="${CEPH_MON_PORT:-3302}" "$shared/servers/start-ceph-rgw.sh" >/dev/null
  stops+=("$shared/servers/stop-ceph-rgw.sh")
  local version out
  version="$(radosgw --version | awk '{print $3}')"
  out="$corpus/rgw-$version"
  rm -rf "$out"
  "$py" "$here/conformance.py" --server rgw --endpoint "http://127.0.0.1:$port" --out "$out" \
    --rgw-log "$SRV_ROOT/ceph/log/client.rgw.a.log"
  creds "$out/credentials" AKIDEXAMPLE 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
}

moto() {
  local port="${MOTO_PORT:-5056}" pid version out key
  # Four actions without authentication: the readiness probe, the IAM user, its policy and
  # its access key are made before moto starts checking signatures (moto/core/responses.py,
  # INITIAL_NO_AUTH_ACTION_COUNT).
  INITIAL_NO_AUTH_ACTION_COUNT=4 "$venv/bin/moto_server" -p "$port" >"${TMPDIR:-/tmp}/sigscope-conformance-moto.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
  key="$("$py" "$here/moto_key.py" "http://127.0.0.1:$port")"
  version="$("$py" -c 'import moto; print(moto.__version__)')"
  out="$corpus/moto-$version"
  rm -rf "$out"
  "$py" "$here/conformance.py" --server moto --endpoint "http://127.0.0.1:$port" --out "$out" \
    --access "${key% *}" --secret "${key#* }"
  creds "$out/credentials" "${key% *}" "${key#* }"
}

garage() {
  # Built from crates.io by ../shared/servers/install-garage.sh (~17 min cold on 2 cores), so
  # it is not part of `all` (nor of CI): run `make.sh garage` where it is installed.
  export SRV_ROOT="${TMPDIR:-/tmp}/sigscope-conformance-garage"
  local port="${GARAGE_S3_PORT:-3910}" version out
  SRV_BIN="${GARAGE_BIN:-${TMPDIR:-/tmp}/realsrv/bin}" "$shared/servers/install-garage.sh" >/dev/null
  SRV_BIN="${GARAGE_BIN:-${TMPDIR:-/tmp}/realsrv/bin}" GARAGE_S3_PORT="$port" \
    GARAGE_RPC_PORT="${GARAGE_RPC_PORT:-3911}" GARAGE_ADMIN_PORT="${GARAGE_ADMIN_PORT:-3913}" \
    "$shared/servers/start-garage.sh" >/dev/null
  stops+=("$shared/servers/stop-garage.sh")
  version="$("${GARAGE_BIN:-${TMPDIR:-/tmp}/realsrv/bin}/bin/garage" --version | grep -o 'cargo:[0-9.]*' | cut -d: -f2)"
  out="$corpus/garage-$version"
  rm -rf "$out"
  "$py" "$here/conformance.py" --server garage --endpoint "http://127.0.0.1:$port" --out "$out" \
    --region garage --garage-log "$SRV_ROOT/garage/garage.log"
  creds "$out/credentials" AKIDEXAMPLE 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
}

case "$what" in
  rgw) rgw ;;
  moto) moto ;;
  garage) garage ;;
  all) rgw; moto ;;
  *) echo "usage: $0 [rgw|moto|garage|all]" >&2; exit 2 ;;
esac
