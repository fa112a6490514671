#!/usr/bin/env bash
# `make demo-server`: pseudo init, pseudo serve in the background, a project, tokens, the README's
# curl calls, a graceful shutdown. Everything lives in a temporary folder, on 127.0.0.1 only.
set -euo pipefail
PSEUDO=$(realpath "${1:-target/release/pseudo}")
WORK=$(mktemp -d)
export PSEUDO_DATA="$WORK/data"
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "pseudo init"
"$PSEUDO" init > "$WORK/admin-token"
echo "(the administrator access token went to $WORK/admin-token)"

step "pseudo project create cohort --reversible --retention 5y --treatment same"
"$PSEUDO" project create cohort --reversible --retention 5y --treatment same | grep -E '"(id|reversible|retention_end|treatment)"'
TOKEN=$("$PSEUDO" token issue psn --project cohort)
REV_TOKEN=$("$PSEUDO" token issue rev --project cohort)
echo "psn and rev tokens issued (${#TOKEN} and ${#REV_TOKEN} characters)"

step "pseudo serve (background, a free port on 127.0.0.1)"
"$PSEUDO" serve --listen 127.0.0.1:0 2> "$WORK/serve.log" &
SERVER=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$WORK/serve.log" && break
  sleep 0.1
done
HOST=$(grep -o 'listening on http://[0-9.:]*' "$WORK/serve.log" | sed 's#.*http://##')
echo "listening on $HOST"
echo "portal: http://$HOST/ (sign-in page answers $(curl -s -o /dev/null -w '%{http_code}' "http://$HOST/signin"); sign in with the first administrator access token: $(cat "$WORK/admin-token"); this demo's server stops at its end, see the last line)"

step "curl: pseudonymise (JSON, then CSV)"
OUT=$(curl -s -X POST "http://$HOST/api/request-psn" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"data": ["Example PID 1", "Example PID 2"]}')
echo "$OUT"
curl -s -X POST "http://$HOST/api/request-psn" -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv" -H "Accept: text/csv" --data-binary 'Example PID 1,Example PID 2'
P1=$(echo "$OUT" | sed -E 's/.*\["([^"]*)".*/\1/')
P2=$(echo "$OUT" | sed -E 's/.*"([^"]*)"\]\}/\1/')

step "curl: reverse"
curl -s -X POST "http://$HOST/api/request-psn-rev" -H "Authorization: Bearer $REV_TOKEN" -H "Content-Type: application/json" -d "{\"data\": [\"$P1\", \"$P2\"]}"
echo

step "curl: a revoked token is refused"
JTI=$("$PSEUDO" token list | grep -m1 '"jti"' | sed -E 's/.*: "([^"]*)".*/\1/')
"$PSEUDO" token revoke "$JTI" > /dev/null
curl -s -X POST "http://$HOST/api/request-psn" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"data": ["Example PID 1"]}'
echo

step "shutdown (SIGTERM)"
kill -TERM "$SERVER"
wait "$SERVER"
SERVER=
tail -n 2 "$WORK/serve.log"
echo
echo "To use the portal yourself: pseudo init (prints the first administrator access token), then"
echo "pseudo serve, open http://127.0.0.1:8080/ and sign in with that token."
