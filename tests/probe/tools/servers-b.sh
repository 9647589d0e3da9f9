#!/bin/bash
# tests/probe/tools/servers-b.sh -- short-lived real servers for recording the
# fixtures of the binary-protocol probes B (PostgreSQL, MariaDB, RabbitMQ,
# ClickHouse). Every server binds one address in 127.0.152.0/24 only.
#
#   servers-b.sh up   [pg|my|amqp|ch]...   start (all when none named)
#   PG_SSL=off servers-b.sh up pg       PostgreSQL without TLS (answers N to SSLRequest)
#   servers-b.sh down                      stop everything started here (by pid)
#   servers-b.sh pg-hba trust|scram|reject switch PostgreSQL's pg_hba and reload
#   servers-b.sh my-root empty|password|nohost   switch MariaDB root's state
#   servers-b.sh ch-default empty|password        restart ClickHouse with default's password
#
# State lives in $LAB (default /tmp/ajar-lab-b); pids in $LAB/*.pid.
set -euo pipefail
LAB=${LAB:-/tmp/ajar-lab-b}
PG_ADDR=127.0.152.1
MY_ADDR=127.0.152.3
AMQP_ADDR=127.0.152.4
CH_ADDR=127.0.152.5
PGBIN=/usr/lib/postgresql/15/bin
mkdir -p "$LAB"

as_pg() { setpriv --reuid=postgres --regid=postgres --clear-groups "$@"; }

# the pid of whatever listens on addr:port (the real daemon, not a wrapper)
listener_pid() {
    ss -ltnpH "src = $1:$2" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}

wait_port() { # addr port
    for _ in $(seq 1 150); do
        if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    echo "timeout waiting for $1:$2" >&2
    return 1
}

pg_up() {
    local D=$LAB/pg
    if [ ! -d "$D/data" ]; then
        mkdir -p "$D"
        chown postgres "$D"
        echo secret-pg >"$D/pw" && chown postgres "$D/pw"
        as_pg $PGBIN/initdb -D "$D/data" -U postgres --auth-host=scram-sha-256 --auth-local=trust \
            --pwfile="$D/pw" >"$D/initdb.log"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=pg.ajar.test" \
            -keyout "$D/data/server.key" -out "$D/data/server.crt" 2>/dev/null
        chown postgres "$D/data/server.key" "$D/data/server.crt"
        chmod 600 "$D/data/server.key"
    fi
    as_pg $PGBIN/postgres -D "$D/data" -c listen_addresses=$PG_ADDR -c port=5432 \
        -c unix_socket_directories="$D" -c ssl=${PG_SSL:-on} >"$D/log" 2>&1 &
    wait_port $PG_ADDR 5432
    listener_pid $PG_ADDR 5432 >"$LAB/pg.pid"
    # seed once: a database with a person_info table, analysed so reltuples is set
    if [ ! -f "$D/seeded" ]; then
        as_pg $PGBIN/psql -h "$D" -U postgres -d postgres -q -c "CREATE DATABASE shop" \
            -c "CREATE TABLE person_info(xm text, sfzh text, sjhm text)" \
            -c "INSERT INTO person_info SELECT 'name'||i, 'id'||i, 'tel'||i FROM generate_series(1,1000) i" \
            -c "CREATE TABLE orders(id int, amount numeric)" -c "ANALYZE"
        touch "$D/seeded"
    fi
}

pg_hba() {
    local D=$LAB/pg
    case $1 in
    trust) printf 'local all all trust\nhost all all 127.0.0.0/8 trust\n' ;;
    scram) printf 'local all all trust\nhost all all 127.0.0.0/8 scram-sha-256\n' ;;
    md5) printf 'local all all trust\nhost all all 127.0.0.0/8 md5\n' ;;
    reject) printf 'local all all trust\nhost all all 127.9.9.9/32 trust\n' ;;
    esac >"$D/data/pg_hba.conf"
    kill -HUP "$(cat "$LAB/pg.pid")"
    sleep 0.5
}

my_up() {
    local D=$LAB/my
    if [ ! -d "$D/data" ]; then
        mkdir -p "$D"
        mariadb-install-db --no-defaults --datadir="$D/data" --auth-root-authentication-method=normal \
            --skip-test-db --user=root >"$D/install.log" 2>&1
    fi
    mariadbd --no-defaults --user=root --datadir="$D/data" --bind-address=$MY_ADDR --port=3306 \
        --socket="$D/sock" --skip-log-bin --innodb-buffer-pool-size=32M --performance-schema=OFF \
        --skip-name-resolve >"$D/log" 2>&1 &
    wait_port $MY_ADDR 3306
    listener_pid $MY_ADDR 3306 >"$LAB/my.pid"
    if [ ! -f "$D/seeded" ]; then
        mariadb --no-defaults -S "$D/sock" -u root -e "CREATE DATABASE shop;
            CREATE TABLE shop.person_info(xm varchar(32), sfzh varchar(18), sjhm varchar(11));
            INSERT INTO shop.person_info VALUES ('a','1','2'),('b','3','4'),('c','5','6');
            CREATE TABLE shop.orders(id int, amount decimal(10,2)); ANALYZE TABLE shop.person_info;"
        touch "$D/seeded"
    fi
}

my_root() {
    local D=$LAB/my
    local q
    case $1 in
    empty) q="CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1';
              ALTER USER root@'127.0.0.1' IDENTIFIED BY ''; ALTER USER root@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');" ;;
    password) q="CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1';
              ALTER USER root@'127.0.0.1' IDENTIFIED BY 'secret-my';" ;;
    nohost) q="DROP USER IF EXISTS root@'127.0.0.1'; DROP USER IF EXISTS root@'::1';" ;;
    esac
    mariadb --no-defaults -S "$D/sock" -u root -e "$q FLUSH PRIVILEGES;"
}

amqp_up() {
    local D=$LAB/amqp
    mkdir -p "$D/mnesia" "$D/log"
    printf 'listeners.tcp.1 = %s:5672\nloopback_users = none\n' $AMQP_ADDR >"$D/rabbitmq.conf"
    echo '[].' >"$D/enabled_plugins"
    epmd -port 4372 -address $AMQP_ADDR </dev/null >"$D/epmd.out" 2>&1 &
    echo $! >"$LAB/epmd.pid"
    sleep 0.5
    (
        export HOME=$D RABBITMQ_NODE_IP_ADDRESS=$AMQP_ADDR RABBITMQ_NODENAME=labb@$AMQP_ADDR \
            RABBITMQ_USE_LONGNAME=true RABBITMQ_DIST_PORT=25752 ERL_EPMD_ADDRESS=$AMQP_ADDR ERL_EPMD_PORT=4372 \
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,152,4}" \
            RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,152,4}" \
            RABBITMQ_MNESIA_BASE=$D/mnesia RABBITMQ_LOG_BASE=$D/log RABBITMQ_CONFIG_FILE=$D/rabbitmq.conf \
            RABBITMQ_ENABLED_PLUGINS_FILE=$D/enabled_plugins
        exec /usr/lib/rabbitmq/bin/rabbitmq-server >"$D/out" 2>&1
    ) &
    wait_port $AMQP_ADDR 5672
    listener_pid $AMQP_ADDR 5672 >"$LAB/amqp.pid"
}

ch_up() { # [password]
    local D=$LAB/ch
    mkdir -p "$D/data" "$D/tmp" "$D/user_files" "$D/log"
    local pw=${1:-}
    cat >"$D/config.xml" <<XML
<yandex>
  <logger><level>warning</level><log>$D/log/ch.log</log><errorlog>$D/log/err.log</errorlog></logger>
  <listen_host>$CH_ADDR</listen_host>
  <tcp_port>9000</tcp_port>
  <http_port>8123</http_port>
  <path>$D/data/</path><tmp_path>$D/tmp/</tmp_path><user_files_path>$D/user_files/</user_files_path>
  <users_config>$D/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <display_name>ajar-lab-b</display_name>
</yandex>
XML
    cat >"$D/users.xml" <<XML
<yandex>
  <profiles><default></default></profiles>
  <users><default><password>$pw</password><networks><ip>::/0</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
    clickhouse-server --config-file="$D/config.xml" >"$D/out" 2>&1 &
    wait_port $CH_ADDR 9000
    listener_pid $CH_ADDR 9000 >"$LAB/ch.pid"
}

down_one() {
    local f=$LAB/$1.pid
    [ -f "$f" ] || return 0
    local pid
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
}

cmd=${1:-}
shift || true
case $cmd in
up)
    [ $# -eq 0 ] && set -- pg my amqp ch
    for s in "$@"; do "${s}_up"; done ;;
down)
    for s in pg my amqp ch epmd; do down_one $s; done ;;
pg-hba) pg_hba "$1" ;;
my-root) my_root "$1" ;;
ch-default) down_one ch; ch_up "${1/empty/}" ;;
*) echo "usage: $0 up|down|pg-hba|my-root|ch-default" >&2; exit 2 ;;
esac
