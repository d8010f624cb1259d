# Sourced by the load scripts that run a test with its figures (crash.sh,
# outage.sh): DATABASE_URL's server, or the private cluster started for
# the run and stopped after it. Afterwards TEST_DB_URL is the URL to use.
TEST_DB_URL="${DATABASE_URL:-}"
if [ -z "$TEST_DB_URL" ]; then
  go build -o bin/ciam ./cmd/ciam
  TEST_DB_URL="$(./bin/ciam pg start)"
  trap './bin/ciam pg stop' EXIT
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
