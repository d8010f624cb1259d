#!/usr/bin/env bash
# Crash safety under load: runs TestCrashSafetyUnderSIGKILL (cmd/ciam) with
# KILLS kills (20 by default): the server is started as a process of its
# own, loaded with registrations, document uploads and AML screening,
# killed with SIGKILL at random moments and started again each time; then
# the test checks that nothing acknowledged is lost, no customer is half
# written, every event is delivered, no job stays stuck and the audit chain
# verifies, and prints its figures. `make test` runs the same test with 3.
# Usage: bash docs/load/crash.sh   (from the project folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
KILLS=${KILLS:-20}
. docs/load/testdb.sh
DATABASE_URL="$TEST_DB_URL" CIAM_ROOT="$PWD" CIAM_CRASH_KILLS="$KILLS" \
  go test ./cmd/ciam -run '^TestCrashSafetyUnderSIGKILL$' -count=1 -v -timeout 60m 2>&1 |
  grep -E 'kill [0-9]+ of|crash figures|^(--- |ok|FAIL|PASS)|_test.go:[0-9]+: '
