#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server on loopback for the tests; prints the export line.
#   eval "$(bash scripts/postgres.sh start)"   ...   bash scripts/postgres.sh stop
# Installs Debian's postgresql when its binaries are missing. Runs the server as the postgres user.
set -euo pipefail
DATA=${OVERHEAD_PG_DATA:-/tmp/overhead-pg}
PORT=${OVERHEAD_PG_PORT:-55432}
find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
case "${1:-start}" in
start)
    BIN=$(find_bin)
    if [ -z "$BIN" ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
        BIN=$(find_bin)
    fi
    id postgres >/dev/null 2>&1 || useradd --system --home /tmp postgres
    RUN="runuser -u postgres --"
    [ "$(id -u)" = "0" ] || RUN=""
    rm -rf "$DATA"; mkdir -p "$DATA"; chown postgres "$DATA" 2>/dev/null || true
    $RUN "$BIN/initdb" -D "$DATA" --auth=trust -U postgres >/dev/null
    $RUN "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA" start >/dev/null
    "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -q -c "CREATE DATABASE overhead_test" >/dev/null
    echo "export OVERHEAD_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/overhead_test"
    ;;
stop)
    BIN=$(find_bin)
    RUN="runuser -u postgres --"
    [ "$(id -u)" = "0" ] || RUN=""
    [ -n "$BIN" ] && [ -d "$DATA" ] && $RUN "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
