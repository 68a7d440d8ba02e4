#!/usr/bin/env bash
# A private PostgreSQL cluster for front databases in tests and CI (sources/README.md section 9).
#   scripts/postgres.sh start   init (once) and start; no-op when already running
#   scripts/postgres.sh stop    stop; no-op when not running
#   scripts/postgres.sh status  exit 0 when running
#   scripts/postgres.sh url     print the SQLAlchemy URL of database frontdb
# Data in $SAFETYNET_HOME/pgdata (default ./var/pgdata); listens on 127.0.0.1:$SAFETYNET_PG_PORT
# (default 55432) and a unix socket in the data dir; trust auth, superuser "postgres".
# initdb refuses to run as root, so as root the server runs as the unprivileged user "postgres".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${SAFETYNET_PG_PORT:-}"
HOME_DIR="${SAFETYNET_HOME:-$PWD/var}"
mkdir -p "$HOME_DIR"
HOME_DIR="$(cd "$HOME_DIR" && pwd)"
PGDATA="$HOME_DIR/pgdata"
PGUSER=postgres
DB=frontdb
say() { echo "[postgres] $*" >&2; }

find_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    fi
}

ensure_installed() {
    PGBIN="$(find_bin)"
    [ -n "$PGBIN" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "PostgreSQL is not installed; run as root, or: apt-get install -y postgresql"
        exit 1
    fi
    say "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    PGBIN="$(find_bin)"
    [ -n "$PGBIN" ] || { say "pg_ctl/initdb not found after installing postgresql"; exit 1; }
}

# Run a server-side command as the cluster owner (from /: the owner may not be able to enter $PWD).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$PGUSER" -- "$@")
    else
        "$@"
    fi
}

choose_datadir() {
    # As root, the owner must be able to reach the data dir; a home under e.g. /root is not reachable.
    if [ "$(id -u)" -eq 0 ] && ! runuser -u "$PGUSER" -- test -x "$HOME_DIR"; then
        PGDATA="/var/tmp/safetynet-pgdata-$(echo -n "$HOME_DIR" | sha256sum | cut -c1-12)"
        say "$HOME_DIR is not reachable by user $PGUSER; using $PGDATA"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The port: SAFETYNET_PG_PORT if set; else the one this cluster was initialised with; else the first free
# port from 55432 (another cluster, e.g. a developer's, may hold the default on the same machine).
resolve_port() {
    [ -n "$PORT" ] && return 0
    if [ -f "$PGDATA/postgresql.conf" ]; then
        PORT="$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$PGDATA/postgresql.conf" | tail -n 1)"
        [ -n "$PORT" ] && return 0
    fi
    PORT=55432
    while port_in_use "$PORT"; do
        PORT=$((PORT + 1))
        [ "$PORT" -le 55499 ] || { say "no free port in 55432-55499"; exit 1; }
    done
}

is_running() {
    [ -f "$PGDATA/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

init_cluster() {
    [ -f "$PGDATA/PG_VERSION" ] && return 0
    say "initdb $PGDATA"
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    if [ "$(id -u)" -eq 0 ]; then chown "$PGUSER:" "$PGDATA"; fi
    as_owner "$PGBIN/initdb" -D "$PGDATA" -U "$PGUSER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$PGDATA.initdb.log" 2>&1 || { say "initdb failed; see $PGDATA.initdb.log"; exit 1; }
    as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF
# safetynet: private cluster, loopback only
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGDATA'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start() {
    ensure_installed
    choose_datadir
    exec 9>"$HOME_DIR/.postgres.lock"
    flock 9  # parallel test workers may start it at the same time
    resolve_port
    if ! is_running; then
        init_cluster
        # 9>&-: the server must not inherit (and so hold) the lock.
        as_owner "$PGBIN/pg_ctl" start -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 >/dev/null 9>&- ||
            { say "start failed; see $PGDATA/server.log"; exit 1; }
        say "started on 127.0.0.1:$PORT (data $PGDATA)"
    fi
    if ! as_owner "$PGBIN/psql" -h "$PGDATA" -p "$PORT" -U "$PGUSER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        as_owner "$PGBIN/createdb" -h "$PGDATA" -p "$PORT" -U "$PGUSER" "$DB"
    fi
}

stop() {
    PGBIN="$(find_bin)"
    [ -n "$PGBIN" ] || return 0
    choose_datadir
    if is_running; then
        as_owner "$PGBIN/pg_ctl" stop -D "$PGDATA" -m fast -w >/dev/null
        say "stopped"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
        PGBIN="$(find_bin)"
        [ -n "$PGBIN" ] || exit 1
        choose_datadir
        is_running
        ;;
    url)
        choose_datadir
        resolve_port
        echo "postgresql+psycopg://$PGUSER@127.0.0.1:$PORT/$DB"
        ;;
    *)
        echo "usage: $0 start|stop|status|url" >&2
        exit 2
        ;;
esac
