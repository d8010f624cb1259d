#!/usr/bin/env bash
# Load test of the customer API on loopback with real HTTP load tools (wrk
# for throughput, hey for latency at a fixed rate). It starts its own server
# on the private PostgreSQL cluster, makes a tenant, an API client and
# customers, and prints:
#   token issuance/s, registrations/s, password logins/s, and GET customer
#   latency percentiles at a fixed 1,000 requests/s: evenly spaced with
#   cmd/ciam-load (an open-loop generator that charges a late server for
#   the wait), and with hey for comparison.
# Usage: bash docs/load/api.sh   (from the project folder; `make load` runs it)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-15s}
PORT=${LOAD_PORT:-18080}
LOAD_DB=ciam_load_api
TOOLS="wrk:wrk hey:hey"
. docs/load/server.sh

SLUG="load_$(date +%s)"
./bin/ciam tenants create --slug "$SLUG" --name "Load test" >/dev/null
CLIENT=$(./bin/ciam api-clients create --tenant "$SLUG" --name load --scopes "customers:read customers:write" --json)
CID=$(jq -r .clientId <<<"$CLIENT"); SECRET=$(jq -r .clientSecret <<<"$CLIENT")
TOKEN=$(curl -fs -u "$CID:$SECRET" -d grant_type=client_credentials "$BASE/oauth/token" | jq -r .access_token)

WORK=$(mktemp -d)
cat >"$WORK/common.lua" <<'LUA'
-- Each thread counts its answers by status; done prints the ones that are
-- not 2xx, so a failing run says why.
local threads = {}
local counter = 1
setup = function(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
init = function(args) statuses = {} end
response = function(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
    if not sample then sample = body end
  end
end
done = function(summary, latency, requests)
  for _, t in ipairs(threads) do
    local st = t:get("statuses")
    for code, count in pairs(st) do
      io.write(string.format("  status %d: %d, e.g. %s\n", code, count, string.sub(t:get("sample") or "", 1, 200)))
    end
  end
end
LUA
{ cat "$WORK/common.lua"; cat <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials&client_id=$CID&client_secret=$SECRET"
LUA
} >"$WORK/token.lua"
{ cat "$WORK/common.lua"; cat <<LUA
local n = 0
local body = [[$(jq -c 'del(.categorization)' docs/examples/registration.json)]]
request = function()
  n = n + 1
  local email = string.format("load-%d-%d-%d@example.com", os.time(), tid, n)
  local b = body:gsub("john.doe@example.com", email)
  return wrk.format("POST", "/api/v2.1/customer/individual/registration",
    {["Content-Type"] = "application/json", ["X-Tenant-ID"] = "$SLUG", ["Authorization"] = "Bearer $TOKEN"}, b)
end
LUA
} >"$WORK/register.lua"

rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
lat() { awk -v p="$2" '$1 == p"%" || $1 == p".00%" {print $2}' "$1"; }

# The read first, on a server that has done nothing else yet: the later
# phases leave work behind them (the registrations' events and e-mails,
# PostgreSQL's autovacuum after them) that would be measured here too.
# A customer to read.
CUST=$(curl -fs -X POST "$BASE/api/v2.1/customer/individual/registration" -H "Content-Type: application/json" \
  -H "X-Tenant-ID: $SLUG" -H "Authorization: Bearer $TOKEN" \
  --data "$(jq -c 'del(.categorization) | .email = "reader@example.com"' docs/examples/registration.json)" | jq -r .data.customerId)

# 5 s at the rate uncounted (connections opened, statements prepared), then
# measured on the same connections.
echo "== GET customer at a fixed 1000 requests/s, evenly spaced (ciam-load, $DURATION after 5 s uncounted)"
profile
bin/ciam-load -rate 1000 -warmup 5s -duration "$DURATION" -H "X-Tenant-ID: $SLUG" -H "Authorization: Bearer $TOKEN" "$BASE/api/v2.1/customers/$CUST" | tee "$WORK/get.out"
echo "== the same with hey (50 workers x 20/s; the workers fire together, so requests come in bursts of 50)"
hey -z "$DURATION" -c 50 -q 20 -H "X-Tenant-ID: $SLUG" -H "Authorization: Bearer $TOKEN" "$BASE/api/v2.1/customers/$CUST" >"$WORK/hey.out"
grep -E "Requests/sec|50% in|90% in|99% in|\[[0-9]{3}\][[:space:]]+[0-9]+ responses" "$WORK/hey.out"

echo "== token issuance (wrk, 2 threads, 32 connections, $DURATION)"
wrk -t2 -c32 -d"$DURATION" --latency -s "$WORK/token.lua" "$BASE/oauth/token" >"$WORK/token.out"
grep -E "Requests/sec|Non-2xx|^ +(50|99)% |  status " "$WORK/token.out"

echo "== registrations (wrk, 2 threads, 8 connections, $DURATION)"
wrk -t2 -c8 -d"$DURATION" --latency -s "$WORK/register.lua" "$BASE/" >"$WORK/register.out"
grep -E "Requests/sec|Non-2xx|^ +(50|99)% |  status " "$WORK/register.out"

if curl -fs "$BASE/api/v2.1/openapi.json" | jq -e '.paths["/api/v2.1/customer/session"]' >/dev/null; then
  # Sixteen customers, taken in turn: one customer signing in many times at
  # once would meet the lockout's reservations (each attempt is counted
  # before its password is checked), which is not what this measures.
  for i in $(seq 16); do
    curl -fs -X POST "$BASE/api/v2.1/customer/individual/registration" -H "Content-Type: application/json" \
      -H "X-Tenant-ID: $SLUG" -H "Authorization: Bearer $TOKEN" \
      --data "$(jq -c --arg e "login-$i@example.com" 'del(.categorization) | .email = $e' docs/examples/registration.json)" >/dev/null
  done
  { cat "$WORK/common.lua"; cat <<LUA
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email":"login-%d@example.com","password":"SecureP@ss123"}', ((tid - 1) * 8 + n) % 16 + 1)
  return wrk.format("POST", "/api/v2.1/customer/session",
    {["Content-Type"] = "application/json", ["X-Tenant-ID"] = "$SLUG", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA
} >"$WORK/login.lua"
  echo "== password logins (wrk, 2 threads, 8 connections, $DURATION)"
  wrk -t2 -c8 -d"$DURATION" --latency -s "$WORK/login.lua" "$BASE/api/v2.1/customer/session" >"$WORK/login.out"
  grep -E "Requests/sec|Non-2xx|^ +(50|99)% |  status " "$WORK/login.out"
fi

echo
echo "summary: tokens/s=$(rate "$WORK/token.out") registrations/s=$(rate "$WORK/register.out") logins/s=$( [ -f "$WORK/login.out" ] && rate "$WORK/login.out" || echo n/a)"
echo "GET customer at 1000/s evenly spaced:$(grep -o 'p50.*' "$WORK/get.out")"
