# tests/tools/pg.sh -- sourced: a throwaway PostgreSQL 15 server for the
# store's tests and benchmark, from Debian's package.
#
#   pg_start DIR [fast]   initdb into DIR (a new directory), listen on
#                         127.0.160.1:5432 only (this suite's loopback range),
#                         unix socket in DIR, trust auth; sets PG_URL, PG_PID.
#                         "fast" turns fsync off (tests; not the benchmark).
#   pg_stop               stop that server (by its pid) and wait for it.
#
# initdb refuses root, so the server runs as the postgres user (setpriv).
PG_BIN=/usr/lib/postgresql/15/bin
PG_ADDR=${PG_ADDR:-127.0.160.1}
PG_PORT=${PG_PORT:-5432}
PG_PID=
PG_URL=
pg_as() { setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; }
pg_start() { # dir [fast]
    local dir=$1 fast=${2:-}
    if [ ! -x "$PG_BIN/initdb" ]; then
        apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends postgresql-15 \
            >/dev/null 2>&1 || { echo "pg.sh: cannot install postgresql-15" >&2; return 1; }
    fi
    mkdir -p "$dir" && chown postgres:postgres "$dir" && chmod 700 "$dir" || return 1
    # the parent directories must be traversable by postgres
    chmod o+x "$(dirname "$dir")" 2>/dev/null
    pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { echo "pg.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; return 1; }
    local opts=(-c "listen_addresses=$PG_ADDR" -c "port=$PG_PORT" -c "unix_socket_directories=$dir"
                -c max_connections=50 -c shared_buffers=128MB)
    [ "$fast" = fast ] && opts+=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
    if "$PG_BIN/pg_isready" -q -h "$PG_ADDR" -p "$PG_PORT"; then
        echo "pg.sh: something already listens on $PG_ADDR:$PG_PORT" >&2
        return 1
    fi
    # setpriv execs postgres: $! is the server's own pid (a shell function here would
    # put a subshell in between, and pg_stop would signal the wrong process)
    setpriv --reuid=postgres --regid=postgres --clear-groups -- \
        "$PG_BIN/postgres" -D "$dir/data" "${opts[@]}" >"$dir/server.log" 2>&1 &
    PG_PID=$!
    PG_URL="postgresql://postgres@$PG_ADDR:$PG_PORT/postgres"
    for _ in $(seq 200); do
        "$PG_BIN/pg_isready" -q -h "$PG_ADDR" -p "$PG_PORT" && return 0
        kill -0 "$PG_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "pg.sh: the server did not start:" >&2
    tail -n 20 "$dir/server.log" >&2
    pg_stop
    return 1
}
pg_stop() {
    [ -n "$PG_PID" ] || return 0
    kill -INT "$PG_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PG_PID" 2>/dev/null
    wait "$PG_PID" 2>/dev/null
    PG_PID=
}
