#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
# A throw-away PostgreSQL for the tests of the tracking server's PostgreSQL store.
#
#   scripts/postgres.sh start DIR   initdb a cluster in DIR, start it on a free loopback
#                                   port, create the database "mlflow"; print its DSN
#   scripts/postgres.sh stop DIR    stop the cluster in DIR
#
# Installs Debian's postgresql package when no server is found (as root, with apt-get).
# Root cannot run postgres, so as root the cluster belongs to (and runs as) the
# "postgres" user the package creates. Exit status 3: PostgreSQL cannot be had here.
set -euo pipefail
# runuser, apt-get and the like live in sbin, which a plain PATH (as CI gives) lacks
export PATH="$PATH:/usr/sbin:/sbin"

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

bindir() {
    local found
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return 0
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$found" ] && [ -x "$found/initdb" ]; then
        echo "$found"
        return 0
    fi
    return 1
}

BIN=$(bindir || true)
if [ -z "$BIN" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's postgresql package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
            || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -q postgresql >&2; } || true
    fi
    BIN=$(bindir || true)
    [ -n "$BIN" ] || { echo "PostgreSQL is not installed and cannot be installed here" >&2; exit 3; }
fi

# run a command as the cluster's owner: ourselves, or (as root) the postgres user
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# the cluster lives where its owner can reach it: DIR itself, or (as root, whose temporary
# directories the postgres user cannot enter) a directory the postgres user creates,
# whose path DIR/cluster records
cluster() {
    if [ -f "$dir/cluster" ]; then
        cat "$dir/cluster"
    elif [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- mktemp -d "${TMPDIR:-/tmp}/modelgate-pg.XXXXXX" | tee "$dir/cluster"
    else
        echo "$dir" | tee "$dir/cluster"
    fi
}

case "$action" in
start)
    home=$(cluster)
    data="$home/data"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$BIN/initdb" -D "$data" -U modelgate -A trust --no-sync -E UTF8 >"$dir/initdb.log"
    fi
    as_owner "$BIN/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 \
        -o "-p $port -k $home -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2
    echo "$port" >"$dir/port"
    as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U modelgate mlflow
    echo "postgresql://modelgate@127.0.0.1:$port/mlflow"
    ;;
stop)
    [ -f "$dir/cluster" ] || exit 0
    home=$(cat "$dir/cluster")
    if [ -f "$home/data/PG_VERSION" ]; then
        as_owner "$BIN/pg_ctl" -D "$home/data" -m fast -w stop >&2 || true
    fi
    [ "$home" = "$dir" ] || as_owner rm -rf "$home"
    rm -f "$dir/cluster" "$dir/port"
    ;;
*)
    usage
    ;;
esac
