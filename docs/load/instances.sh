#!/usr/bin/env bash
# Throughput of the customer API and AML screening with 1, 2 and 3 servers
# on one database, on this machine. It starts three servers on a database of
# its own (docs/load/server.sh starts the first), makes a tenant, an API
# client and 2,000 customers with 40 earlier transactions each and 10
# rules, and for N = 1, 2, 3 loads the first N servers at once with wrk
# (16 connections in all, split between them), printing the sum of their
# requests/s for:
#   GET /api/v2.1/customers/{id}           (a read, token checked)
#   POST /api/v2.1/aml/transactions/screen  (10 rules, velocity windows)
# The servers share the machine's cores: on one machine a second server
# adds no processor, so the figure shows what running several costs, not
# what they gain on machines of their own.
# Usage: bash docs/load/instances.sh   (from the project folder)
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
PORT=${LOAD_PORT:-18090}
CUSTOMERS=${CUSTOMERS:-2000}
LOAD_DB=ciam_load_instances
TOOLS="wrk:wrk"
. docs/load/server.sh

# Two more servers on the same database, with the same keys.
EXTRA=()
for i in 1 2; do
  HTTP_ADDR="127.0.0.1:$((PORT + i))" ./bin/ciam serve --no-migrate >>"$SERVER_LOG" 2>&1 &
  EXTRA+=($!)
done
trap 'kill ${EXTRA[*]} $SERVER 2>/dev/null; wait ${EXTRA[*]} $SERVER 2>/dev/null || true; [ -n "${KEEP_DB:-}" ] || PGOPTIONS=--client-min-messages=warning psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)" || true' EXIT
for i in 1 2; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$((PORT + i))/readyz" >/dev/null && break; sleep 0.2; done
  curl -fs "http://127.0.0.1:$((PORT + i))/readyz" >/dev/null || { echo "server $((i + 1)) did not start:" >&2; cat "$SERVER_LOG" >&2; exit 1; }
done

SLUG="instload_$(date +%s)"
./bin/ciam tenants create --slug "$SLUG" --name "Instances load test" >/dev/null
CLIENT=$(./bin/ciam api-clients create --tenant "$SLUG" --name load --scopes "customers:read aml:screen" --json)
CID=$(jq -r .clientId <<<"$CLIENT"); SECRET=$(jq -r .clientSecret <<<"$CLIENT")
TOKEN=$(curl -fs -u "$CID:$SECRET" -d grant_type=client_credentials "$BASE/oauth/token" | jq -r .access_token)

psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -v slug="$SLUG" -v customers="$CUSTOMERS" >/dev/null <<'SQL'
\i docs/load/aml-customers.sql
CREATE TEMP TABLE load_rules (n int, expression text, outcome text);
INSERT INTO load_rules VALUES
 (1, 'count_over(duration("24h"), {"direction": "OUT", "currency": "EUR", "at_least": 1000}) > 5', 'REVIEW'),
 (2, 'sum_over(duration("24h"), "EUR", {"direction": "OUT"}) > 15000', 'REVIEW'),
 (3, 'sum_over(duration("168h"), "EUR", {"direction": "OUT"}) > 50000', 'REVIEW'),
 (4, 'count_over(duration("720h")) > 400', 'WARN'),
 (5, 'new_counterparty() && counterparty.country in ["IR", "KP", "MM"]', 'REVIEW'),
 (6, 'amount_in("EUR") >= 20000', 'WARN'),
 (7, 'tx.direction == "OUT" && amount_in("USD") > 15000', 'WARN'),
 (8, 'tx.amount >= 5000 && is_multiple_of(tx.amount, 1000)', 'WARN'),
 (9, 'customer.risk_level == "HIGH" && amount_in("EUR") > 2500', 'REVIEW'),
 (10, 'idle_days() >= 180', 'REVIEW');
CREATE TEMP TABLE load_ids AS SELECT n, gen_random_uuid() AS id FROM load_rules;
INSERT INTO aml_rules (id, tenant_id, active_version, created_by) SELECT id, :'tenant', 1, 'load test' FROM load_ids;
INSERT INTO aml_rule_versions (tenant_id, rule_id, version, name, expression, outcome, score, digest, edited_by, published_at)
SELECT :'tenant', i.id, 1, 'Load rule ' || r.n, r.expression, r.outcome, 10, 'load', 'load test', now()
FROM load_rules r JOIN load_ids i USING (n);
INSERT INTO aml_state (tenant_id, revision) VALUES (:'tenant', 1);
ANALYZE customers; ANALYZE aml_transactions;
SQL

IDS=$(psql -At "$DATABASE_URL" -c "SELECT string_agg('\"' || c.id || '\"', ',') FROM customers c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = '$SLUG'")
WORK=$(mktemp -d)
RUN=$(date +%s)
cat >"$WORK/get.lua" <<LUA
local ids = { $IDS }
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) math.randomseed(os.time() * 1000 + tid * 7919) end
request = function()
  return wrk.format("GET", "/api/v2.1/customers/" .. ids[math.random(#ids)],
    {["X-Tenant-ID"] = "$SLUG", ["Authorization"] = "Bearer $TOKEN"})
end
LUA
# Each wrk process (one per server) sends transactionIds of its own: the
# server's number goes into each id.
aml_lua() {
  cat <<LUA
local ids = { $IDS }
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) math.randomseed(os.time() * 1000 + tid * 7919 + $1) end
local n = 0
request = function()
  n = n + 1
  local k = math.random(1, 50)
  local dir = "OUT"
  if n % 4 == 0 then dir = "IN" end
  local amount = 10 + math.floor(math.random() ^ 3 * 3000)
  local body = string.format('{"customerId":"%s","transactionId":"inst-$RUN-$1-$2-%d-%d","type":"TRANSFER","direction":"%s","amount":"%d.%02d","currency":"EUR","channel":"MOBILE","timestamp":"%s","counterparty":{"name":"Shop %d","country":"DE","account":"DE%020d"}}',
    ids[math.random(#ids)], tid, n, dir, amount, math.random(0, 99), os.date("!%Y-%m-%dT%H:%M:%SZ"), k, k)
  return wrk.format("POST", "/api/v2.1/aml/transactions/screen",
    {["Content-Type"] = "application/json", ["X-Tenant-ID"] = "$SLUG", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA
}

# phase KIND N: wrk against each of the first N servers at once; prints
# the sum of requests/s and the worst p99.
phase() {
  local kind=$1 n=$2 conns=$((16 / $2)) pids=()
  for i in $(seq 0 $((n - 1))); do
    local script="$WORK/get.lua"
    if [ "$kind" = aml ]; then aml_lua "$i" "$n" >"$WORK/aml-$i-$n.lua"; script="$WORK/aml-$i-$n.lua"; fi
    wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$script" "http://127.0.0.1:$((PORT + i))/" >"$WORK/$kind-$n-$i.out" &
    pids+=($!)
  done
  wait "${pids[@]}"
  awk '/Requests\/sec/ {s += $2} / 99%/ {v = $2; if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else {sub(/s/, "", v); v *= 1000}; if (v > p) p = v}
       END {printf "%d servers: %8.0f requests/s (worst p99 %.1f ms)\n", n, s, p}' n="$n" "$WORK/$kind-$n-"*.out
  if grep -q "Non-2xx" "$WORK/$kind-$n-"*.out; then grep -h "Non-2xx" "$WORK/$kind-$n-"*.out; fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $DURATION per phase, 16 connections in all"
wrk -t1 -c4 -d3s -s "$WORK/get.lua" "$BASE/" >/dev/null
echo "== GET /api/v2.1/customers/{id}"
for n in 1 2 3; do phase get "$n"; done
vacuum() { PGOPTIONS=--client-min-messages=warning psql -q "$DATABASE_URL" -c "VACUUM (ANALYZE) aml_transactions"; }
echo "== POST /api/v2.1/aml/transactions/screen"
for n in 1 2 3; do vacuum; phase aml "$n"; done
