#!/usr/bin/env bash
# Load test of AML transaction screening on loopback with a real HTTP load
# tool (wrk). It starts its own server, makes a tenant and an API client
# with the CLI, gives the tenant 50 active rules (10 of them velocity or
# aggregates) and 5,000 customers with 40 earlier transactions each, and
# prints:
#   evaluations/s at full load (wrk, 2 threads, 16 connections) with latency
#   percentiles, and latency at a fixed 1,500 evaluations/s, evenly spaced
#   (cmd/ciam-load, open loop: a late answer is charged from when its
#   request was due).
# Rules and history are written with SQL as the tables' owner: a load test
# measures screening, not the four-eyes publication a rule goes through in
# the portal.
# Usage: bash docs/load/aml.sh   (from the project folder)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-15s}
PORT=${LOAD_PORT:-18081}
CUSTOMERS=${CUSTOMERS:-5000}
LOAD_DB=ciam_load_aml
TOOLS="wrk:wrk"
. docs/load/server.sh

SLUG="amlload_$(date +%s)"
./bin/ciam tenants create --slug "$SLUG" --name "AML load test" >/dev/null
CLIENT=$(./bin/ciam api-clients create --tenant "$SLUG" --name load --scopes "aml:screen" --json)
CID=$(jq -r .clientId <<<"$CLIENT"); SECRET=$(jq -r .clientSecret <<<"$CLIENT")
TOKEN=$(curl -fs -u "$CID:$SECRET" -d grant_type=client_credentials "$BASE/oauth/token" | jq -r .access_token)

# Customers, their history over the last 30 days, and 50 active rules.
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -v slug="$SLUG" -v customers="$CUSTOMERS" >/dev/null <<'SQL'
\i docs/load/aml-customers.sql
CREATE TEMP TABLE load_rules (n int, expression text, outcome text);
INSERT INTO load_rules VALUES
 (1, 'count_over(duration("24h"), {"direction": "OUT", "currency": "EUR", "at_least": 1000}) > 5', 'REVIEW'),
 (2, 'sum_over(duration("24h"), "EUR", {"direction": "OUT"}) > 15000', 'REVIEW'),
 (3, 'sum_over(duration("168h"), "EUR", {"direction": "OUT"}) > 50000', 'REVIEW'),
 (4, 'count_over(duration("720h")) > 400', 'WARN'),
 (5, 'amount_in("EUR") >= 9000 && amount_in("EUR") < 10000 && count_over(duration("72h"), {"currency": "EUR", "at_least": 9000, "below": 10000}) >= 3', 'REVIEW'),
 (6, 'tx.direction == "OUT" && sum_over(duration("48h"), "EUR", {"direction": "IN"}) >= 1000 && amount_in("EUR") >= sum_over(duration("48h"), "EUR", {"direction": "IN"}) * dec("0.9")', 'WARN'),
 (7, 'count_over(duration("48h"), {"by": "country"}) >= 10', 'WARN'),
 (8, 'idle_days() >= 180', 'REVIEW'),
 (9, 'new_counterparty() && counterparty.country in ["IR", "KP", "MM"]', 'REVIEW'),
 (10, 'sum_over(duration("720h"), "USD", {"type": ["TRANSFER", "P2P"], "channel": "MOBILE"}) > 200000', 'WARN');
INSERT INTO load_rules
SELECT 10 + g, CASE g % 6
    WHEN 0 THEN format('amount_in("EUR") >= %s', 20000 + g * 1000)
    WHEN 1 THEN format('tx.direction == "OUT" && amount_in("USD") > %s', 15000 + g * 500)
    WHEN 2 THEN format('tx.amount >= %s && is_multiple_of(tx.amount, 1000)', 5000 + g * 100)
    WHEN 3 THEN 'counterparty.country in ["IR", "KP", "MM", "SY", "CU"]'
    WHEN 4 THEN format('customer.risk_level == "HIGH" && amount_in("EUR") > %s', 2500 + g * 10)
    ELSE 'tx.type == "CASH_WITHDRAWAL" && tx.channel == "ATM" && tx.amount > 2500' END,
  CASE WHEN g % 6 = 4 THEN 'REVIEW' ELSE 'WARN' END
FROM generate_series(1, 40) g;
CREATE TEMP TABLE load_ids AS SELECT n, gen_random_uuid() AS id FROM load_rules;
INSERT INTO aml_rules (id, tenant_id, active_version, created_by) SELECT id, :'tenant', 1, 'load test' FROM load_ids;
INSERT INTO aml_rule_versions (tenant_id, rule_id, version, name, expression, outcome, score, digest, edited_by, published_at)
SELECT :'tenant', i.id, 1, 'Load rule ' || r.n, r.expression, r.outcome, 10, 'load', 'load test', now()
FROM load_rules r JOIN load_ids i USING (n);
INSERT INTO aml_state (tenant_id, revision) VALUES (:'tenant', 1);
ANALYZE aml_transactions;
SQL

IDS=$(psql -At "$DATABASE_URL" -c "SELECT string_agg('\"' || c.id || '\"', ',') FROM customers c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = '$SLUG'")
WORK=$(mktemp -d)
RUN=$(date +%s)
lua() { # the wrk request script
  cat <<LUA
local ids = { $IDS }
local start = os.time()
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
-- Each thread its own sequence of customers (the same seed everywhere
-- would send every thread to the same customer at the same moment).
function init(args) math.randomseed(os.time() * 1000 + tid * 7919) end
local n = 0
local countries = { "DE", "FR", "GB", "NG", "US" }
request = function()
  n = n + 1
  local k = math.random(1, 50)
  local dir = "OUT"
  if n % 4 == 0 then dir = "IN" end
  -- Mostly small amounts, as card and transfer traffic is.
  local amount = 10 + math.floor(math.random() ^ 3 * 3000)
  local body = string.format('{"customerId":"%s","transactionId":"load-$RUN-%d-%d-%d","type":"TRANSFER","direction":"%s","amount":"%d.%02d","currency":"EUR","channel":"MOBILE","timestamp":"%s","counterparty":{"name":"Shop %d","country":"%s","account":"DE%020d"}}',
    ids[math.random(#ids)], start, tid, n, dir, amount, math.random(0, 99), os.date("!%Y-%m-%dT%H:%M:%SZ"), k, countries[1 + k % 5], k)
  return wrk.format("POST", "/api/v2.1/aml/transactions/screen",
    {["Content-Type"] = "application/json", ["X-Tenant-ID"] = "$SLUG", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA
}
lua >"$WORK/full.lua"

rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
lat() { awk -v p="$2" '$1 == p"%" || $1 == p".00%" {print $2}' "$1"; }

# Warm up: every customer's window read once, rules compiled.
wrk -t2 -c8 -d5s -s "$WORK/full.lua" "$BASE/" >/dev/null
# Each phase starts from a vacuumed table, as pgbench does: the inserts of
# the phase before would otherwise set autovacuum to work during it.
vacuum() { PGOPTIONS=--client-min-messages=warning psql -q "$DATABASE_URL" -c "VACUUM (ANALYZE) aml_transactions"; }

# The fixed-rate phase's transactions (its warm-up's too), one request body
# per line: the same mix as the wrk script, each with a transactionId of its
# own.
RATE=${RATE:-1500}
SECS=${DURATION%s}
case $SECS in ''|*[!0-9]*) echo "DURATION must be whole seconds, such as 15s" >&2; exit 1 ;; esac
tr -d '"' <<<"$IDS" | tr , '\n' >"$WORK/ids"
awk -v ids="$WORK/ids" -v n=$((RATE * (SECS + 5))) -v run="$RUN" -v now="$(date -u +%Y-%m-%dT%H:%M:%SZ)" 'BEGIN {
  srand(run); while ((getline line < ids) > 0) id[++m] = line; split("DE FR GB NG US", countries, " ")
  for (i = 1; i <= n; i++) {
    k = 1 + int(rand() * 50); dir = (i % 4 == 0) ? "IN" : "OUT"; amount = 10 + int(rand() ^ 3 * 3000)
    printf "{\"customerId\":\"%s\",\"transactionId\":\"fixed-%s-%d\",\"type\":\"TRANSFER\",\"direction\":\"%s\",\"amount\":\"%d.%02d\",\"currency\":\"EUR\",\"channel\":\"MOBILE\",\"timestamp\":\"%s\",\"counterparty\":{\"name\":\"Shop %d\",\"country\":\"%s\",\"account\":\"DE%020d\"}}\n",
      id[1 + int(rand() * m)], run, i, dir, amount, int(rand() * 100), now, k, countries[1 + k % 5], k
  }
}' >"$WORK/bodies"

vacuum
echo "== fixed rate: $RATE evaluations/s, evenly spaced (ciam-load), $DURATION after 5 s at that rate uncounted"
bin/ciam-load -rate "$RATE" -warmup 5s -duration "$DURATION" -timeline -method POST -bodies "$WORK/bodies" -H "Content-Type: application/json" \
  -H "X-Tenant-ID: $SLUG" -H "Authorization: Bearer $TOKEN" "$BASE/api/v2.1/aml/transactions/screen" | tee "$WORK/fixed.out"

vacuum
echo "== full load (wrk, 2 threads, 16 connections, $DURATION)"
profile
wrk -t2 -c16 -d"$DURATION" --latency -s "$WORK/full.lua" "$BASE/" >"$WORK/full.out"
grep -E "Requests/sec|Non-2xx|50%|90%|99%" "$WORK/full.out" || true

echo "== decisions made"
psql -At "$DATABASE_URL" -c "SELECT decision || ': ' || count(*) FROM aml_transactions a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = '$SLUG' AND (a.transaction_ref LIKE 'load-%' OR a.transaction_ref LIKE 'fixed-%') GROUP BY decision ORDER BY decision"

echo
echo "summary: full load $(rate "$WORK/full.out") evaluations/s, p50 $(lat "$WORK/full.out" 50) p99 $(lat "$WORK/full.out" 99);" \
  "at $RATE/s:$(sed -n 's/.*latency from the scheduled time://p' "$WORK/fixed.out")"
