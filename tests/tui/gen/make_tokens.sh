#!/usr/bin/env bash
# Makes tests/tui/tokens.http: requests that carry credentials rather than signatures (Basic,
# Bearer with a JWT, X-Auth-Token), sent by real curl to a one-shot loopback listener, for the
# UI's snapshot tests of the decoded-only modes. Same curl, same bytes.
#
#   bash tests/tui/gen/make_tokens.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
REC="$ROOT/samples/gen/record_one.py"
OUT="$HERE/../tokens.http"
b64url() { python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip("="))' "$1"; }
# A JWT as an OIDC provider would issue (test claims; the signature part is not verified).
JWT="$(b64url '{"alg":"RS256","typ":"JWT","kid":"test-key-1"}').$(b64url '{"iss":"https://idp.example.test","sub":"operator","aud":"sts.amazonaws.com","exp":1440941760,"iat":1440938160}').c2lnbmF0dXJlLW5vdC12ZXJpZmllZA"
{
  python3 "$REC" -- curl -s -o /dev/null -A curl/7.88.1 -u 'operator:hunter2-not-a-real-password' \
      'http://127.0.0.1:{port}/admin/status'
  python3 "$REC" -- curl -s -o /dev/null -A curl/7.88.1 -H "Authorization: Bearer $JWT" \
      'http://127.0.0.1:{port}/v1/identity'
  python3 "$REC" -- curl -s -o /dev/null -A curl/7.88.1 \
      -H 'X-Auth-Token: gAAAAABmTestTokenNotARealKeystoneFernetToken0123456789' \
      'http://127.0.0.1:{port}/v1/AUTH_test/container'
} >"$OUT"
echo "wrote $OUT"
