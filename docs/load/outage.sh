#!/usr/bin/env bash
# Database outage under load: runs TestDatabaseOutage (web) with the
# database away for SECONDS (30 by default). The test puts a TCP forwarder
# between the server and PostgreSQL and cuts it, which the server sees as a
# stopped database (connections reset, new ones refused), under a light
# load of registrations and reads; it checks that every call answers within
# the client's time-out with success or 503 SERVICE_UNAVAILABLE and
# Retry-After, that /readyz is red and then green, that the server and its
# job queue recover by themselves and that every registration answered 201
# is whole, and prints its figures. `make test` runs it with 3 seconds.
# Usage: bash docs/load/outage.sh   (from the project folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_AWAY=${SECONDS_AWAY:-30}
. docs/load/testdb.sh
DATABASE_URL="$TEST_DB_URL" CIAM_ROOT="$PWD" CIAM_OUTAGE_SECONDS="$SECONDS_AWAY" \
  go test ./web/ -run '^TestDatabaseOutage$' -count=1 -v -timeout 10m 2>&1 |
  grep -E 'outage figures|calls:|^(--- |ok|FAIL|PASS)|_test.go:[0-9]+: '
