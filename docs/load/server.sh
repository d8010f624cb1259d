# Sourced by the load scripts: installs what they need, builds the binary,
# makes a database of the load's own and starts `ciam serve` on it.
#
# Before sourcing, set PORT, LOAD_DB and TOOLS ("command:package" pairs).
# Afterwards BASE is the server's URL, and on exit the server stops and the
# database is dropped (KEEP_DB=1 keeps it, to look at afterwards). PROFILE=FILE makes `profile` write a CPU profile of
# the server (five seconds, starting two seconds later).

need() {
  command -v "$1" >/dev/null && return
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq "$2" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
  else echo "install $2 (apt-get install $2)" >&2; exit 1; fi
}
for t in curl:curl jq:jq psql:postgresql-client $TOOLS; do need "${t%%:*}" "${t#*:}"; done

go build -o bin/ciam ./cmd/ciam
go build -o bin/ciam-load ./cmd/ciam-load
BASE="http://127.0.0.1:$PORT"

# A database of its own, made afresh for each run and dropped after, in the
# server DATABASE_URL names or the private cluster: the load's data and keys
# never mix with the demo's.
ADMIN_URL="${DATABASE_URL:-$(./bin/ciam pg start)}"
PGOPTIONS=--client-min-messages=warning psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)" -c "CREATE DATABASE $LOAD_DB"
DATABASE_URL=$(sed -E "s#/[^/?]+(\?|$)#/$LOAD_DB\1#" <<<"$ADMIN_URL")
export DATABASE_URL
./bin/ciam migrate >/dev/null

export HTTP_ADDR="127.0.0.1:$PORT" PUBLIC_URL="$BASE" LOG_LEVEL=warn
export SESSION_KEYS="$(head -c 48 /dev/urandom | base64 -w0)"
export FIELD_ENCRYPTION_KEYS="load:$(head -c 32 /dev/urandom | base64 -w0)"
export OIDC_ISSUER="http://127.0.0.1:1" OIDC_CLIENT_ID=unused OIDC_CLIENT_SECRET=unused
if [ -n "${PROFILE:-}" ]; then export DEBUG_ADDR=127.0.0.1:$((PORT + 1000)); fi
profile() { [ -z "${PROFILE:-}" ] || (sleep 2; curl -fs -o "$PROFILE" "http://$DEBUG_ADDR/debug/pprof/profile?seconds=5") & }

SERVER_LOG=$(mktemp)
./bin/ciam serve --no-migrate >"$SERVER_LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; [ -n "${KEEP_DB:-}" ] || PGOPTIONS=--client-min-messages=warning psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)" || true' EXIT
for _ in $(seq 50); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.2; done
curl -fs "$BASE/readyz" >/dev/null || { echo "the server did not start:" >&2; cat "$SERVER_LOG" >&2; exit 1; }
