#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the tests and prints
# `INFRA_TEST_PG_URL=...` (a superuser URL) for eval. Uses Debian's
# postgresql package; the data directory lives under a temp dir.
set -euo pipefail

port=${INFRA_TEST_PG_PORT:-55432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "test-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
base=${INFRA_TEST_PG_DIR:-/tmp/infra-test-pg}
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -f "$base/data/postmaster.pid" ]; then
  run "$bindir/pg_ctl" -D "$base/data" -m fast stop >/dev/null 2>&1 || true
fi
rm -rf "$base"
mkdir -p "$base"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$base"
run "$bindir/initdb" -D "$base/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
run "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base" start >/dev/null
run "$bindir/psql" -h "$base" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE infra_test LOGIN SUPERUSER PASSWORD '$password'" >/dev/null
echo "INFRA_TEST_PG_URL=postgresql://infra_test:$password@127.0.0.1:$port/postgres?sslmode=disable"
