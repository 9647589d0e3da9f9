# shellcheck shell=bash
# One function per real instance: start_ID launches it (no waiting), ready_ID waits for it,
# seeds it once (stamp in $LAB/state/ID.seeded) and writes its manifest entry from what the
# running server says. Addresses: see tests/lab/README.md.

# ---------------------------------------------------------------- seed data (same names everywhere)
# rows: gongan.person_info 50, shop.customers 40, shop.orders 60, metrics.cpu_usage 30, logs_2024.access_log 25
SQL_DBS=(gongan shop metrics logs_2024)
SQL_TABLES=(gongan.person_info shop.customers shop.orders metrics.cpu_usage logs_2024.access_log)
SQL_ROWS=205
SQL_FIELDS='["xm","sfzh","sjhm","zz","csrq","full_name","passport_no","phone","email","birth_date"]'

done_already() { alive "$1" && [ -f "$(state "$1")" ] && [ -s "$LAB/manifest.d/$1.json" ]; }

# ================================================================ Redis 7 (127.0.10.x:6379)
REDIS_PW=lab-redis-pw
start_redis() {   # ID ADDR MODE(open|auth|protected|tls)
  local id=$1 a=$2 mode=$3 extra=(--protected-mode no)
  [ "$mode" = protected ] && _redis_route "$a"
  alive "$id" && return 0
  mkdir -p "$LAB/data/$id"; chown nobody:nogroup "$LAB/data/$id"
  case $mode in
    auth) extra=(--protected-mode yes --requirepass "$REDIS_PW");;
    protected) extra=(--protected-mode yes);;
    tls) extra=(--protected-mode no --port 0 --tls-port 6379 --tls-cert-file "$LAB/certs/redis-tls.crt"
           --tls-key-file "$LAB/certs/redis-tls.key" --tls-ca-cert-file "$LAB/certs/ca.crt" --tls-auth-clients no);;
  esac
  run_bg "$id" nobody redis-server --bind "$a" --port 6379 --save '' --appendonly no --dir "$LAB/data/$id" \
    --daemonize no --logfile '' "${extra[@]}"
}
# Redis only lets "127.0.0.1"/"::1" sources in when protected; the kernel picks 127.0.0.1 as the
# source for every 127/8 destination, so give this one address its own source address.
_redis_route() { ip route replace local "$1/32" dev lo proto static scope host src "$1" table local || warn "ip route failed: $1 will not refuse"; }
_rcli() { local a=$1; shift; redis-cli -h "$a" "$@"; }
_redis_fill() {   # ADDR DB N PREFIXES... (pipe of SETs / HSETs; values are synthetic)
  local a=$1 db=$2 n=$3; shift 3
  local -a pre=("$@") i p
  { for ((i = 1; i <= n; i++)); do p=${pre[$(((i - 1) % ${#pre[@]}))]}
      if [[ $p == *hash ]]; then echo "HSET ${p%hash}$i xm test-$i sfzh test-$i sjhm test-$i"
      else echo "SET $p$i test-$i"; fi
    done; } | redis-cli -h "$a" ${REDIS_ARGS:-} -n "$db" >/dev/null
}
ready_redis() {
  local id=$1 a=$2 mode=$3 args=() tr=plain auth=none tls=null data notes v
  done_already "$id" && return 0
  case $mode in tls) wait_tcp "$a" 6379 10 "$id" || return 1; args=(--tls --cacert "$LAB/certs/ca.crt");;
                *)   wait_tcp "$a" 6379 10 "$id" || return 1;; esac
  [ "$mode" = auth ] && args=(--no-auth-warning -a "$REDIS_PW")
  if [ "$mode" = protected ]; then
    # no data can be planted (every client is refused); the version comes from the binary.
    redis-cli -h "$a" ping 2>&1 | grep -q DENIED || warn "$id does not refuse (route missing?)"
    v=$(redis-server --version | grep -oE 'v=[0-9.]+' | cut -d= -f2)
    emit "$id" "$a" 6379 plain redis Redis "" required null '{}' null \
      "protected-mode yes, no password: answers -DENIED to every client, because a local route (ip route ... src $a) makes clients connect from $a, not 127.0.0.1; the server reveals no version (binary: $v)"
    touch "$(state "$id")"; return 0
  fi
  wait_cmd 10 redis-cli -h "$a" "${args[@]}" ping || return 1
  REDIS_ARGS="${args[*]}"
  redis-cli -h "$a" "${args[@]}" flushall >/dev/null
  case $mode in
    open) REDIS_ARGS="${args[*]}" _redis_fill "$a" 0 120 "user:hash" "session:" "cache:page:" "gongan:person_info:hash"
          REDIS_ARGS="${args[*]}" _redis_fill "$a" 1 7 "shop:customer:hash" "queue:orders:"
          data='{"databases":2,"records":127,"names":["db0","db1"]}'; notes="requirepass off, protected-mode no";;
    auth) REDIS_ARGS="${args[*]}" _redis_fill "$a" 0 30 "shop:customer:hash" "session:"
          auth=required; data='{"databases":1,"records":30,"names":["db0"]}'; notes="requirepass $REDIS_PW";;
    tls)  REDIS_ARGS="${args[*]}" _redis_fill "$a" 0 10 "metrics:cpu:" "logs_2024:line:"
          tr=tls; data='{"databases":1,"records":10,"names":["db0"]}'
          tls=$(served_cert "$a" 6379 >"$LAB/run/$id.pem" && cert_facts "$LAB/run/$id.pem")
          notes="TLS only on 6379 (--port 0), lab CA certificate, no password, client certs not required";;
  esac
  v=$(redis-cli -h "$a" "${args[@]}" info server | tr -d '\r' | sed -n 's/^redis_version://p')
  emit "$id" "$a" 6379 "$tr" redis Redis "$v" "$auth" "$tls" "$data" null "$notes"
  touch "$(state "$id")"
}

# ================================================================ Memcached (127.0.11.x:11211)
MC_USER=labuser MC_PW=lab-mc-pw
start_memcached() {   # ID ADDR MODE(open|auth)
  local id=$1 a=$2 mode=$3 extra=()
  alive "$id" && return 0
  if [ "$mode" = auth ]; then
    echo "$MC_USER:$MC_PW" >"$LAB/conf/$id.auth"; chmod 644 "$LAB/conf/$id.auth"; extra=(-Y "$LAB/conf/$id.auth")
  fi
  run_bg "$id" memcache memcached -l "$a" -p 11211 -U 0 -m 16 -c 256 "${extra[@]}"
}
_mc() {   # ADDR [AUTH]: send stdin lines (CRLF) and print the answer
  local a=$1 auth=${2:-}
  { [ -n "$auth" ] && printf 'set a 0 0 %d\r\n%s\r\n' "${#auth}" "$auth"; sed 's/$/\r/'; printf 'quit\r\n'; } |
    timeout 5 nc -q 2 "$a" 11211 | tr -d '\r'
}
ready_memcached() {
  local id=$1 a=$2 mode=$3 auth="" i v items bytes authflag=none notes="no SASL, ASCII protocol"
  done_already "$id" && return 0
  wait_tcp "$a" 11211 10 "$id" || return 1
  if [ "$mode" = auth ]; then auth="$MC_USER $MC_PW"; authflag=required; notes="-Y auth file ($MC_USER:$MC_PW): unauthenticated commands get CLIENT_ERROR unauthenticated"; fi
  local n=25; [ "$mode" = auth ] && n=10
  { echo flush_all; for ((i = 1; i <= n; i++)); do
      case $((i % 3)) in 0) k=session:$i;; 1) k=user:profile:$i;; *) k=shop:cart:$i;; esac
      printf 'set %s 0 0 %d\ntest-%d\n' "$k" $((5 + ${#i})) "$i"; done; } | _mc "$a" "$auth" >/dev/null
  v=$(echo version | _mc "$a" "$auth" | sed -n 's/^VERSION //p')
  items=$(echo stats | _mc "$a" "$auth" | sed -n 's/^STAT curr_items //p')
  bytes=$(echo stats | _mc "$a" "$auth" | sed -n 's/^STAT bytes //p')
  emit "$id" "$a" 11211 plain memcached Memcached "$v" "$authflag" null \
    "$(jq -nc --argjson r "$items" --argjson b "$bytes" '{records:$r,bytes:$b}')" null "$notes"
  touch "$(state "$id")"
}

# ================================================================ PostgreSQL 15 (127.0.12.x:5432)
PG_BIN=/usr/lib/postgresql/15/bin
PG_PW=lab-pg-pw
start_postgres() {   # ID ADDR MODE(trust|scram)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 s=$LAB/run/$1
  alive "$id" && return 0
  mkdir -p "$d" "$s"; chown postgres: "$d" "$s"; chmod 700 "$d"
  if [ ! -s "$d/PG_VERSION" ]; then
    echo "$PG_PW" >"$LAB/conf/$id.pw"; chmod 644 "$LAB/conf/$id.pw"
    if [ "$mode" = trust ]; then
      as postgres "$PG_BIN/initdb" -D "$d" -U postgres --auth-local=trust --auth-host=trust -E UTF8 >"$LAB/logs/$id.initdb.log" 2>&1
      echo "host all all 127.0.0.0/8 trust" >>"$d/pg_hba.conf"
    else
      as postgres "$PG_BIN/initdb" -D "$d" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$LAB/conf/$id.pw" -E UTF8 >"$LAB/logs/$id.initdb.log" 2>&1
      echo "host all all 127.0.0.0/8 scram-sha-256" >>"$d/pg_hba.conf"
    fi || { warn "initdb $id failed"; return 1; }
  fi
  local ssl=()
  if [ "$mode" = scram ]; then
    # TLS on the locked one (the SSLRequest answer is 'S'), its own certificate from the lab CA
    install -o postgres -m 600 "$LAB/certs/pg-tls.crt" "$d/server.crt"
    install -o postgres -m 600 "$LAB/certs/pg-tls.key" "$d/server.key"
    ssl=(-c ssl=on -c ssl_cert_file="$d/server.crt" -c ssl_key_file="$d/server.key")
  fi
  run_bg "$id" postgres "$PG_BIN/postgres" -D "$d" -c listen_addresses="$a" -c port=5432 \
    -c unix_socket_directories="$s" -c shared_buffers=16MB -c fsync=off -c max_connections=30 -c logging_collector=off \
    "${ssl[@]}"
}
ready_postgres() {
  local id=$1 a=$2 mode=$3 s=$LAB/run/$1 v auth=none notes
  done_already "$id" && return 0
  wait_tcp "$a" 5432 15 "$id" || return 1
  wait_cmd 10 psql -h "$s" -U postgres -Atc 'select 1' || return 1
  local q=(psql -X -q -h "$s" -U postgres -v ON_ERROR_STOP=1)
  local db; for db in "${SQL_DBS[@]}"; do "${q[@]}" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || return 1; done
  "${q[@]}" -d gongan -c "CREATE TABLE person_info (id serial primary key, xm text, sfzh text, sjhm text, zz text, csrq date);
    INSERT INTO person_info (xm,sfzh,sjhm,zz,csrq) SELECT 'test-'||i,'test-'||i,'test-'||i,'test-'||i, date '1980-01-01'+i FROM generate_series(1,50) i; ANALYZE;"
  "${q[@]}" -d shop -c "CREATE TABLE customers (id serial primary key, full_name text, passport_no text, phone text, email text, birth_date date);
    INSERT INTO customers (full_name,passport_no,phone,email,birth_date) SELECT 'test-'||i,'test-'||i,'test-'||i,'test-'||i||'@example.com', date '1970-01-01'+i FROM generate_series(1,40) i;
    CREATE TABLE orders (order_id serial primary key, customer_id int, amount numeric(10,2), created_at timestamptz);
    INSERT INTO orders (customer_id,amount,created_at) SELECT 1+i%40, i, timestamptz '2024-01-01'+i*interval '1 hour' FROM generate_series(1,60) i; ANALYZE;"
  "${q[@]}" -d metrics -c "CREATE TABLE cpu_usage (host text, ts timestamptz, value double precision);
    INSERT INTO cpu_usage SELECT 'host-'||(i%3), timestamptz '2024-01-01'+i*interval '1 minute', i FROM generate_series(1,30) i; ANALYZE;"
  "${q[@]}" -d logs_2024 -c "CREATE TABLE access_log (ts timestamptz, path text, status int);
    INSERT INTO access_log SELECT timestamptz '2024-01-01'+i*interval '1 minute', '/test-'||i, 200 FROM generate_series(1,25) i; ANALYZE;"
  v=$(psql -X -h "$s" -U postgres -Atc 'show server_version')
  local names; names=$(psql -X -h "$s" -U postgres -Atc "select datname from pg_database where not datistemplate order by 1" | jq -Rn '[inputs]')
  names=$(jq -nc --argjson n "$names" --argjson t "$(printf '%s\n' "${SQL_TABLES[@]}" | jq -Rn '[inputs]')" '$n + $t')
  if [ "$mode" = trust ]; then notes="pg_hba host trust for 127.0.0.0/8: user postgres, no password; server_version '$v'"
  else auth=required; notes="pg_hba host scram-sha-256, postgres password $PG_PW; ssl=on (SSLRequest answered 'S'); server_version '$v'"; fi
  local tls=null
  [ "$mode" = scram ] && tls=$(cert_facts "$LAB/data/$id/server.crt")
  emit "$id" "$a" 5432 plain postgresql PostgreSQL "$(ver "$v")" "$auth" "$tls" \
    "$(jq -nc --argjson n "$names" --argjson f "$SQL_FIELDS" --argjson r $SQL_ROWS '{databases:5,collections:5,records:$r,names:$n,fields:$f}')" null "$notes"
  touch "$(state "$id")"
}

# ================================================================ MariaDB (127.0.13.x:3306)
MY_PW=lab-maria-pw
start_mariadb() {   # ID ADDR MODE(open|auth)
  local id=$1 a=$2 d=$LAB/data/$1
  alive "$id" && return 0
  mkdir -p "$d"; chown mysql: "$d"
  if [ ! -d "$d/mysql" ]; then
    mariadb-install-db --no-defaults --user=mysql --datadir="$d" --auth-root-authentication-method=normal \
      --skip-test-db >"$LAB/logs/$id.install.log" 2>&1 || { warn "mariadb-install-db $id failed"; return 1; }
  fi
  local ssl=()
  if [ "$3" = auth ]; then
    # TLS on the locked one (the greeting offers CLIENT_SSL), its own certificate from the lab CA
    install -o mysql -m 600 "$LAB/certs/mariadb-tls.crt" "$d/server.crt"
    install -o mysql -m 600 "$LAB/certs/mariadb-tls.key" "$d/server.key"
    ssl=(--ssl-cert="$d/server.crt" --ssl-key="$d/server.key")
  fi
  run_bg "$id" mysql mariadbd --no-defaults --datadir="$d" --bind-address="$a" --port=3306 --socket="$d/sock" \
    --pid-file="$d/pid" --skip-log-bin --innodb-buffer-pool-size=32M --performance-schema=OFF --skip-name-resolve \
    --log-error="$LAB/logs/$id.err" "${ssl[@]}"
}
ready_mariadb() {
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 v auth=none notes
  done_already "$id" && return 0
  wait_tcp "$a" 3306 20 "$id" || return 1
  local q=(mariadb --no-defaults -uroot --socket="$d/sock")
  wait_cmd 10 "${q[@]}" -e 'select 1' || { [ "$mode" = auth ] && q+=("-p$MY_PW") && "${q[@]}" -e 'select 1' >/dev/null; } || return 1
  local db; for db in "${SQL_DBS[@]}"; do "${q[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"; done
  "${q[@]}" gongan -e "CREATE TABLE person_info (id int auto_increment primary key, xm varchar(64), sfzh varchar(32), sjhm varchar(32), zz varchar(128), csrq date) ENGINE=InnoDB;
    INSERT INTO person_info (xm,sfzh,sjhm,zz,csrq) SELECT concat('test-',seq),concat('test-',seq),concat('test-',seq),concat('test-',seq), date '1980-01-01' + interval seq day FROM seq_1_to_50;"
  "${q[@]}" shop -e "CREATE TABLE customers (id int auto_increment primary key, full_name varchar(64), passport_no varchar(32), phone varchar(32), email varchar(64), birth_date date) ENGINE=InnoDB;
    INSERT INTO customers (full_name,passport_no,phone,email,birth_date) SELECT concat('test-',seq),concat('test-',seq),concat('test-',seq),concat('test-',seq,'@example.com'), date '1970-01-01' + interval seq day FROM seq_1_to_40;
    CREATE TABLE orders (order_id int auto_increment primary key, customer_id int, amount decimal(10,2), created_at datetime) ENGINE=InnoDB;
    INSERT INTO orders (customer_id,amount,created_at) SELECT 1+seq%40, seq, '2024-01-01' + interval seq hour FROM seq_1_to_60;"
  "${q[@]}" metrics -e "CREATE TABLE cpu_usage (host varchar(32), ts datetime, value double) ENGINE=InnoDB;
    INSERT INTO cpu_usage SELECT concat('host-',seq%3), '2024-01-01' + interval seq minute, seq FROM seq_1_to_30;"
  "${q[@]}" logs_2024 -e "CREATE TABLE access_log (ts datetime, path varchar(128), status int) ENGINE=InnoDB;
    INSERT INTO access_log SELECT '2024-01-01' + interval seq minute, concat('/test-',seq), 200 FROM seq_1_to_25;"
  local t; for t in "${SQL_TABLES[@]}"; do "${q[@]}" -e "ANALYZE TABLE $t PERSISTENT FOR ALL" >/dev/null; done
  if [ "$mode" = open ]; then
    "${q[@]}" -e "CREATE USER IF NOT EXISTS 'root'@'127.%' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.%' WITH GRANT OPTION; FLUSH PRIVILEGES"
    notes="root with an empty password from localhost, 127.0.0.1, ::1 and 127.%"
  else
    # every root account in one session (the socket login itself becomes password-protected)
    "${q[@]}" -N -e "select if(host in ('localhost','127.0.0.1','::1'),
        concat('ALTER USER ',quote(user),'@',quote(host),' IDENTIFIED BY ''$MY_PW'';'),
        concat('DROP USER ',quote(user),'@',quote(host),';')) from mysql.user where user='root'" \
      | { cat; echo 'FLUSH PRIVILEGES;'; } | "${q[@]}" || return 1
    auth=required; notes="root password $MY_PW on every root account"
  fi
  v=$(mariadb --no-defaults -h "$a" -P 3306 -uroot ${MY_ARGS:-} $([ "$mode" = auth ] && echo "-p$MY_PW") -N -e 'select version()')
  notes="$notes; version() '$v'"
  local names; names=$(jq -nc --argjson t "$(printf '%s\n' "${SQL_TABLES[@]}" | jq -Rn '[inputs]')" \
    '["gongan","logs_2024","metrics","shop"] + $t')
  local tls=null
  [ "$mode" = auth ] && tls=$(cert_facts "$LAB/data/$id/server.crt")
  emit "$id" "$a" 3306 plain mysql MariaDB "$(ver "$v")" "$auth" "$tls" \
    "$(jq -nc --argjson n "$names" --argjson f "$SQL_FIELDS" --argjson r $SQL_ROWS '{databases:4,collections:5,records:$r,names:$n,fields:$f}')" null \
    "$notes; databases counted without information_schema, mysql, performance_schema, sys"
  touch "$(state "$id")"
}

# ================================================================ etcd (127.0.14.x:2379, peer 2380)
ETCD_PW=lab-etcd-pw
start_etcd() {   # ID ADDR
  local id=$1 a=$2 d=$LAB/data/$1
  alive "$id" && return 0
  mkdir -p "$d"; chown etcd: "$d"; chmod 700 "$d"
  run_bg "$id" etcd etcd --name "$id" --data-dir "$d" --listen-client-urls "http://$a:2379" \
    --advertise-client-urls "http://$a:2379" --listen-peer-urls "http://$a:2380" \
    --initial-advertise-peer-urls "http://$a:2380" --initial-cluster "$id=http://$a:2380" \
    --initial-cluster-state new --log-outputs stderr --quota-backend-bytes 67108864
}
ready_etcd() {
  local id=$1 a=$2 mode=$3 v auth=none notes="no auth"
  done_already "$id" && return 0
  wait_tcp "$a" 2379 10 "$id" || return 1
  local e=(env ETCDCTL_API=3 etcdctl --endpoints "http://$a:2379")
  wait_cmd 10 "${e[@]}" endpoint health || return 1
  if "${e[@]}" auth status 2>/dev/null | grep -q 'Authentication Status: true'; then e+=(--user "root:$ETCD_PW"); fi
  "${e[@]}" del "" --prefix >/dev/null
  local i
  for i in $(seq 1 8); do "${e[@]}" put "/gongan/person_info/$i" "test-$i" >/dev/null; done
  for i in $(seq 1 6); do "${e[@]}" put "/config/app/setting-$i" "test-$i" >/dev/null; done
  for i in $(seq 1 4); do "${e[@]}" put "/shop/customers/$i" "test-$i" >/dev/null; done
  for i in $(seq 1 2); do "${e[@]}" put "/logs_2024/rotate-$i" "test-$i" >/dev/null; done
  if [ "$mode" = auth ] && [[ ${e[*]} != *--user* ]]; then
    "${e[@]}" user add "root:$ETCD_PW" >/dev/null && "${e[@]}" user grant-role root root >/dev/null &&
      "${e[@]}" auth enable >/dev/null || return 1
  fi
  [ "$mode" = auth ] && { auth=required; notes="auth enabled, user root password $ETCD_PW"; }
  v=$(curl -s "http://$a:2379/version" | jq -r .etcdserver)
  emit "$id" "$a" 2379 plain etcd etcd "$v" "$auth" null \
    '{"records":20,"names":["/gongan","/config","/shop","/logs_2024"]}' null "$notes; peer URL $a:2380"
  touch "$(state "$id")"
}

# ================================================================ Mosquitto (127.0.15.1-2:1883)
MQ_USER=labuser MQ_PW=lab-mqtt-pw
start_mosquitto() {   # ID ADDR MODE(open|auth)
  local id=$1 a=$2 mode=$3 c=$LAB/conf/$1.conf
  alive "$id" && return 0
  { echo "listener 1883 $a"; echo "persistence false"; echo "log_dest stderr"
    if [ "$mode" = auth ]; then
      rm -f "$LAB/conf/$id.passwd"; mosquitto_passwd -b -c "$LAB/conf/$id.passwd" "$MQ_USER" "$MQ_PW" 2>/dev/null
      chown mosquitto: "$LAB/conf/$id.passwd"; chmod 600 "$LAB/conf/$id.passwd"
      echo "allow_anonymous false"; echo "password_file $LAB/conf/$id.passwd"
    else echo "allow_anonymous true"; fi; } >"$c"
  run_bg "$id" mosquitto mosquitto -c "$c"
}
ready_mosquitto() {
  local id=$1 a=$2 mode=$3 v cred=() auth=none notes="allow_anonymous true"
  done_already "$id" && return 0
  wait_tcp "$a" 1883 10 "$id" || return 1
  [ "$mode" = auth ] && { cred=(-u "$MQ_USER" -P "$MQ_PW"); auth=required; notes="allow_anonymous false, password_file ($MQ_USER:$MQ_PW)"; }
  local t
  for t in gongan/person_info/updates shop/customers/new shop/orders/new metrics/cpu logs_2024/app; do
    mosquitto_pub -h "$a" -p 1883 "${cred[@]}" -r -q 1 -t "$t" -m "test-1" || return 1
  done
  v=$(mosquitto_sub -h "$a" -p 1883 "${cred[@]}" -t '$SYS/broker/version' -C 1 -W 5)
  emit "$id" "$a" 1883 plain mqtt Mosquitto "$(ver "$v")" "$auth" null \
    '{"records":5,"names":["gongan/person_info/updates","shop/customers/new","shop/orders/new","metrics/cpu","logs_2024/app"]}' null \
    "$notes; 5 retained messages; \$SYS/broker/version '$v'"
  touch "$(state "$id")"
}

# ================================================================ InfluxDB 1.x (127.0.15.11-12:8086)
INFLUX_PW=lab-influx-pw
start_influxdb() {   # ID ADDR MODE(open|auth)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 c=$LAB/conf/$1.conf
  alive "$id" && return 0
  mkdir -p "$d"; chown influxdb: "$d"
  cat >"$c" <<EOF
reporting-disabled = true
bind-address = "$a:8088"
[meta]
  dir = "$d/meta"
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "$a:8086"
  auth-enabled = $([ "$mode" = auth ] && echo true || echo false)
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
EOF
  run_bg "$id" influxdb influxd run -config "$c"
}
ready_influxdb() {
  local id=$1 a=$2 mode=$3 u=() v auth=none notes="auth-enabled false"
  done_already "$id" && return 0
  wait_tcp "$a" 8086 15 "$id" || return 1
  wait_cmd 10 curl -sf "http://$a:8086/ping" || return 1
  if [ "$mode" = auth ]; then
    curl -s "http://$a:8086/query" --data-urlencode "q=CREATE USER admin WITH PASSWORD '$INFLUX_PW' WITH ALL PRIVILEGES" >/dev/null
    u=(-u "admin:$INFLUX_PW"); auth=required; notes="auth-enabled true, admin password $INFLUX_PW"
  fi
  local db i
  for db in metrics logs_2024 telegraf; do curl -s "${u[@]}" "http://$a:8086/query" --data-urlencode "q=DROP DATABASE $db" >/dev/null
    curl -s "${u[@]}" "http://$a:8086/query" --data-urlencode "q=CREATE DATABASE $db" >/dev/null; done
  { for i in $(seq 1 20); do echo "cpu,host=host-$((i % 2)) value=$i $((1704067200 + i * 60))000000000"; done
    for i in $(seq 1 10); do echo "mem,host=host-$((i % 2)) used=$i $((1704067200 + i * 60))000000000"; done; } |
    curl -s "${u[@]}" "http://$a:8086/write?db=metrics" --data-binary @- >/dev/null
  for i in $(seq 1 15); do echo "access,path=/test-$i status=200i $((1704067200 + i * 60))000000000"; done |
    curl -s "${u[@]}" "http://$a:8086/write?db=logs_2024" --data-binary @- >/dev/null
  for i in $(seq 1 5); do echo "disk,host=host-1 free=$i $((1704067200 + i * 60))000000000"; done |
    curl -s "${u[@]}" "http://$a:8086/write?db=telegraf" --data-binary @- >/dev/null
  v=$(curl -sI "http://$a:8086/ping" | tr -d '\r' | sed -n 's/^X-Influxdb-Version: //Ip')
  emit "$id" "$a" 8086 plain influxdb InfluxDB "$v" "$auth" null \
    '{"databases":3,"collections":4,"records":50,"names":["metrics","logs_2024","telegraf","cpu","mem","access","disk"]}' null \
    "$notes; measurements cpu(20) mem(10) in metrics, access(15) in logs_2024, disk(5) in telegraf; RPC on $a:8088"
  # the RPC (backup/restore) port answers in a binary protocol no probe names: an open port
  # whose record says "unknown" (8088 is in scans for YARN's sake)
  emit "$id-rpc" "$a" 8088 plain unknown "" "" unknown null '{}' null \
    "InfluxDB 1.x RPC (backup and restore) port: binary, identified by no probe"
  touch "$(state "$id")"
}

# ================================================================ ClickHouse (127.0.16.x:8123 + 9000)
CH_PW=lab-ch-pw
start_clickhouse() {   # ID ADDR MODE(open|auth)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 c=$LAB/conf/$1
  alive "$id" && return 0
  mkdir -p "$d" "$c"; chown clickhouse: "$d"
  local pw=""; [ "$mode" = auth ] && pw=$CH_PW
  cat >"$c/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>8123</http_port>
  <tcp_port>9000</tcp_port>
  <listen_host>$a</listen_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>20</max_concurrent_queries>
  <uncompressed_cache_size>16777216</uncompressed_cache_size>
  <mark_cache_size>16777216</mark_cache_size>
  <path>$d/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$c/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mlock_executable>false</mlock_executable>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
</yandex>
EOF
  cat >"$c/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>200000000</max_memory_usage></default></profiles>
  <users><default><password>$pw</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
  chmod -R a+rX "$c"
  run_bg "$id" clickhouse clickhouse-server --config-file="$c/config.xml"
}
ready_clickhouse() {
  local id=$1 a=$2 mode=$3 v auth=none notes="user default, empty password"
  done_already "$id" && return 0
  wait_tcp "$a" 8123 20 "$id" || return 1
  local q=(clickhouse-client --host "$a" --port 9000)
  [ "$mode" = auth ] && { q+=(--password "$CH_PW"); auth=required; notes="user default, password $CH_PW"; }
  wait_cmd 15 "${q[@]}" --query 'select 1' || return 1
  local db; for db in "${SQL_DBS[@]}"; do "${q[@]}" --query "DROP DATABASE IF EXISTS $db"; "${q[@]}" --query "CREATE DATABASE $db"; done
  "${q[@]}" --query "CREATE TABLE gongan.person_info (id UInt32, xm String, sfzh String, sjhm String, zz String, csrq Date) ENGINE=MergeTree ORDER BY id"
  "${q[@]}" --query "INSERT INTO gongan.person_info SELECT number+1, concat('test-',toString(number+1)), concat('test-',toString(number+1)), concat('test-',toString(number+1)), concat('test-',toString(number+1)), toDate('1980-01-01')+number FROM numbers(50)"
  "${q[@]}" --query "CREATE TABLE shop.customers (id UInt32, full_name String, passport_no String, phone String, email String, birth_date Date) ENGINE=MergeTree ORDER BY id"
  "${q[@]}" --query "INSERT INTO shop.customers SELECT number+1, concat('test-',toString(number+1)), concat('test-',toString(number+1)), concat('test-',toString(number+1)), concat('test-',toString(number+1),'@example.com'), toDate('1970-01-01')+number FROM numbers(40)"
  "${q[@]}" --query "CREATE TABLE shop.orders (order_id UInt32, customer_id UInt32, amount Float64, created_at DateTime) ENGINE=MergeTree ORDER BY order_id"
  "${q[@]}" --query "INSERT INTO shop.orders SELECT number+1, 1+number%40, number, toDateTime('2024-01-01 00:00:00')+number*3600 FROM numbers(60)"
  "${q[@]}" --query "CREATE TABLE metrics.cpu_usage (host String, ts DateTime, value Float64) ENGINE=MergeTree ORDER BY ts"
  "${q[@]}" --query "INSERT INTO metrics.cpu_usage SELECT concat('host-',toString(number%3)), toDateTime('2024-01-01 00:00:00')+number*60, number FROM numbers(30)"
  "${q[@]}" --query "CREATE TABLE logs_2024.access_log (ts DateTime, path String, status UInt16) ENGINE=MergeTree ORDER BY ts"
  "${q[@]}" --query "INSERT INTO logs_2024.access_log SELECT toDateTime('2024-01-01 00:00:00')+number*60, concat('/test-',toString(number)), 200 FROM numbers(25)"
  v=$("${q[@]}" --query 'select version()')
  local names; names=$(jq -nc --argjson t "$(printf '%s\n' "${SQL_TABLES[@]}" | jq -Rn '[inputs]')" '["gongan","logs_2024","metrics","shop"] + $t')
  local data; data=$(jq -nc --argjson n "$names" --argjson f "$SQL_FIELDS" --argjson r $SQL_ROWS '{databases:4,collections:5,records:$r,names:$n,fields:$f}')
  notes="$notes; databases counted without system and default"
  emit "$id" "$a" 8123 plain clickhouse ClickHouse "$v" "$auth" null "$data" null "$notes; HTTP interface"
  emit "$id-native" "$a" 9000 plain clickhouse-native ClickHouse "$v" "$auth" null "$data" null "$notes; native TCP interface"
  touch "$(state "$id")"
}

# ================================================================ Prometheus (127.0.17.1:9090)
start_prometheus() {   # ID ADDR
  local id=$1 a=$2 d=$LAB/data/$1
  alive "$id" && return 0
  mkdir -p "$d"; chown prometheus: "$d"
  cat >"$LAB/conf/$id.yml" <<EOF
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$a:9090']
EOF
  chmod 644 "$LAB/conf/$id.yml"
  run_bg "$id" prometheus prometheus --config.file="$LAB/conf/$id.yml" --storage.tsdb.path="$d" \
    --web.listen-address="$a:9090" --storage.tsdb.retention.time=1d
}
ready_prometheus() {
  local id=$1 a=$2 v
  done_already "$id" && return 0
  wait_tcp "$a" 9090 15 "$id" || return 1
  wait_cmd 15 curl -sf "http://$a:9090/-/ready" || return 1
  v=$(curl -s "http://$a:9090/api/v1/status/buildinfo" | jq -r .data.version)
  emit "$id" "$a" 9090 plain prometheus Prometheus "$v" none null '{"names":["prometheus"]}' null \
    "no web.config.file: API and UI open; one scrape job 'prometheus' (itself)"
  touch "$(state "$id")"
}

# ================================================================ RabbitMQ + management (127.0.17.10: 5672, 15672)
start_rabbitmq() {   # ID ADDR
  local id=$1 a=$2 d=$LAB/data/$1
  alive "$id" && return 0
  mkdir -p "$d/home" "$d/mnesia" "$d/log"
  local tuple="{${a//./,}}"
  cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = $a:5672
management.tcp.ip = $a
management.tcp.port = 15672
loopback_users = none
EOF
  echo '[rabbitmq_management].' >"$d/enabled_plugins"
  chown -R rabbitmq: "$d"
  # epmd first, on its own port so it never meets a system epmd
  run_bg "$id-epmd" rabbitmq epmd -port 4370 -address "$a"
  sleep 0.3
  run_bg "$id" rabbitmq env HOME="$d/home" RABBITMQ_NODE_IP_ADDRESS="$a" RABBITMQ_NODE_PORT=5672 \
    RABBITMQ_NODENAME="lab1@$a" RABBITMQ_USE_LONGNAME=true RABBITMQ_DIST_PORT=25700 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface $tuple" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface $tuple" ERL_EPMD_ADDRESS="$a" ERL_EPMD_PORT=4370 \
    RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_PID_FILE="$d/pid" \
    /usr/lib/rabbitmq/bin/rabbitmq-server
}
ready_rabbitmq() {
  local id=$1 a=$2 v m=http://$2:15672/api
  done_already "$id" && return 0
  wait_tcp "$a" 5672 40 "$id" || return 1
  wait_cmd 40 curl -sf -u guest:guest "$m/overview" || return 1
  local q n i
  for q in orders:5 gongan.person_sync:3 shop.customer_events:4 logs_2024:2; do
    n=${q#*:}; q=${q%:*}
    curl -sf -u guest:guest -X DELETE "$m/queues/%2F/$q" >/dev/null
    curl -sf -u guest:guest -X PUT -H 'content-type: application/json' -d '{"durable":true}' "$m/queues/%2F/$q" >/dev/null || return 1
    for ((i = 1; i <= n; i++)); do
      curl -sf -u guest:guest -X POST -H 'content-type: application/json' \
        -d "{\"properties\":{\"delivery_mode\":2},\"routing_key\":\"$q\",\"payload\":\"test-$i\",\"payload_encoding\":\"string\"}" \
        "$m/exchanges/%2F/amq.default/publish" >/dev/null
    done
  done
  v=$(curl -s -u guest:guest "$m/overview" | jq -r .rabbitmq_version)
  local data='{"collections":4,"records":14,"names":["orders","gongan.person_sync","shop.customer_events","logs_2024"]}'
  emit "$id" "$a" 15672 plain rabbitmq RabbitMQ "$v" required null "$data" null \
    "management plugin; default account guest/guest accepted (loopback_users = none); 4 queues, 14 messages in vhost /"
  emit "$id-amqp" "$a" 5672 plain amqp RabbitMQ "$v" required null "$data" null \
    "AMQP 0-9-1; guest/guest accepted; epmd on $a:4370, distribution on $a:25700"
  touch "$(state "$id")"
}

# ================================================================ ZooKeeper (127.0.17.20-21:2181)
ZK_CP=/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-simple.jar
start_zookeeper() {   # ID ADDR WHITELIST
  local id=$1 a=$2 wl=$3 d=$LAB/data/$1
  alive "$id" && return 0
  mkdir -p "$d"; chown zookeeper: "$d"
  cat >"$LAB/conf/$id.cfg" <<EOF
tickTime=2000
dataDir=$d
clientPort=2181
clientPortAddress=$a
admin.enableServer=false
4lw.commands.whitelist=$wl
maxClientCnxns=60
EOF
  chmod 644 "$LAB/conf/$id.cfg"
  run_bg "$id" zookeeper java -Xmx128m -Xss512k -XX:+UseSerialGC -cp "$ZK_CP:/usr/share/java/*" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$LAB/conf/$id.cfg"
}
_zk4() { printf '%s' "$3" | timeout 3 nc -q 2 "$1" "$2" 2>/dev/null; }
ready_zookeeper() {
  local id=$1 a=$2 wl=$3 v nodes notes
  done_already "$id" && return 0
  wait_tcp "$a" 2181 20 "$id" || return 1
  wait_cmd 15 bash -c "printf ruok | timeout 2 nc -q 1 $a 2181 | grep -q imok" || return 1
  # znodes: /gongan, /gongan/person_info, /shop, /shop/customers, /metrics, /logs_2024 (+ the 4 built-in)
  if [ ! -f "$(state "$id").znodes" ]; then
    printf '%s\n' "create /gongan test-1" "create /gongan/person_info test-1" "create /shop test-1" \
      "create /shop/customers test-1" "create /metrics test-1" "create /logs_2024 test-1" "quit" |
      JAVA_OPTS="-Xmx64m" timeout 60 /usr/share/zookeeper/bin/zkCli.sh -server "$a:2181" >"$LAB/logs/$id.zkcli.log" 2>&1
    touch "$(state "$id").znodes"
  fi
  # ZooKeeper 3.8 always allows srvr (zkServer.sh needs it), whatever the whitelist says
  v=$(_zk4 "$a" 2181 srvr | sed -n 's/^Zookeeper version: //p')
  nodes=$(_zk4 "$a" 2181 srvr | sed -n 's/^Node count: //p')
  local names='["/gongan","/gongan/person_info","/shop","/shop/customers","/metrics","/logs_2024"]'
  if [[ ,$wl, == *,mntr,* ]]; then notes="4lw.commands.whitelist=$wl"
  else notes="4lw.commands.whitelist=$wl: mntr, envi, stat, conf, cons, dump answer '... is not executed because it is not in the whitelist.'; srvr still answers (always enabled in 3.8)"; fi
  emit "$id" "$a" 2181 plain zookeeper ZooKeeper "$(ver "$v")" none null \
    "$(jq -nc --argjson r "${nodes:-0}" --argjson n "$names" '{records:$r,names:$n}')" null \
    "$notes; srvr: '$v'; records = srvr Node count (4 built-in znodes + 6 planted + /); no SASL"
  touch "$(state "$id")"
}

# ================================================================ PouchDB Server (127.0.18.x:5984)
POUCH_PW=lab-pouch-pw
start_pouchdb() {   # ID ADDR
  local id=$1 a=$2 d=$LAB/data/$1
  alive "$id" && return 0
  mkdir -p "$d"; [ -f "$d/config.json" ] || echo '{"log":{"file":"'"$LAB"'/logs/'"$id"'.couch.log"}}' >"$d/config.json"
  chown -R nobody:nogroup "$d"; touch "$LAB/logs/$id.couch.log"; chown nobody "$LAB/logs/$id.couch.log"
  run_bg "$id" nobody env HOME="$d" node "$CACHE/npm/pouchdb-server/node_modules/pouchdb-server/bin/pouchdb-server" \
    --host "$a" --port 5984 --dir "$d" --config "$d/config.json"
}
ready_pouchdb() {
  local id=$1 a=$2 mode=$3 v u=http://$2:5984 auth=none notes="admin party: no admin defined"
  done_already "$id" && return 0
  wait_tcp "$a" 5984 30 "$id" || return 1
  wait_cmd 20 curl -sf "$u/" || return 1
  local db n i
  for db in gongan:12 shop:8 logs_2024:5; do
    n=${db#*:}; db=${db%:*}
    curl -s -X DELETE "$u/$db" >/dev/null; curl -sf -X PUT "$u/$db" >/dev/null || return 1
    { printf '{"docs":['; for ((i = 1; i <= n; i++)); do
        [ $i -gt 1 ] && printf ','
        case $db in gongan) printf '{"_id":"person-%d","xm":"test-%d","sfzh":"test-%d","sjhm":"test-%d"}' $i $i $i $i;;
                    shop) printf '{"_id":"customer-%d","full_name":"test-%d","passport_no":"test-%d","email":"test-%d@example.com"}' $i $i $i $i;;
                    *) printf '{"_id":"line-%d","path":"/test-%d","status":200}' $i $i;; esac
      done; printf ']}'; } | curl -sf -X POST -H 'content-type: application/json' -d @- "$u/$db/_bulk_docs" >/dev/null || return 1
  done
  if [ "$mode" = auth ]; then
    curl -sf -X PUT "$u/_config/admins/admin" -d "\"$POUCH_PW\"" >/dev/null || return 1
    notes="admin 'admin' ($POUCH_PW) defined: admin operations need it; do not PUT a database unauthenticated (it crashes pouchdb-server 4.2.0)"
    if curl -s -o /dev/null -w '%{http_code}' "$u/_all_dbs" | grep -q '^2'; then notes="$notes; _all_dbs and documents still readable without credentials"
    else auth=required; fi
  fi
  v=$(curl -s "$u/" | jq -r .version)
  # databases and documents as the server counts them (includes its own _users and _replicator)
  local dbs recs=0 c
  dbs=$(curl -s "$u/_all_dbs")
  for db in $(jq -r '.[]' <<<"$dbs"); do c=$(curl -s "$u/$db" | jq -r '.doc_count // 0'); recs=$((recs + c)); done
  emit "$id" "$a" 5984 plain couchdb "PouchDB Server" "$v" "$auth" null \
    "$(jq -nc --argjson n "$dbs" --argjson r $recs '{databases:($n|length),records:$r,names:$n}')" null \
    "$notes; 25 documents planted in gongan(12) shop(8) logs_2024(5)"
  touch "$(state "$id")"
}

# ================================================================ redis-commander (127.0.18.10-11:8081)
RC_USER=admin RC_PW=lab-rc-pw
start_rcommander() {   # ID ADDR MODE(open|auth) REDIS_ADDR
  local id=$1 a=$2 mode=$3 r=$4 extra=()
  alive "$id" && return 0
  mkdir -p "$LAB/data/$id"; chown nobody:nogroup "$LAB/data/$id"
  [ "$mode" = auth ] && extra=(--http-auth-username "$RC_USER" --http-auth-password "$RC_PW")
  run_bg "$id" nobody env HOME="$LAB/data/$id" NODE_ENV=production \
    node "$CACHE/npm/redis-commander/node_modules/redis-commander/bin/redis-commander.js" \
    --address "$a" --port 8081 --redis-host "$r" --redis-port 6379 --nosave "${extra[@]}"
}
ready_rcommander() {
  local id=$1 a=$2 mode=$3 r=$4 v auth=none notes="no HTTP auth"
  done_already "$id" && return 0
  wait_tcp "$a" 8081 30 "$id" || return 1
  wait_cmd 20 curl -s -o /dev/null "http://$a:8081/" || return 1
  [ "$mode" = auth ] && { auth=required; notes="--http-auth-username $RC_USER --http-auth-password $RC_PW: / still answers 200 with a login form, /apiv2/server/info answers 401"; }
  v=$(jq -r .version "$CACHE/npm/redis-commander/node_modules/redis-commander/package.json")
  emit "$id" "$a" 8081 plain redis-commander redis-commander "$v" "$auth" null '{}' "$(via "$r" 6379 redis)" \
    "$notes; version from package.json ($v)"
  touch "$(state "$id")"
}

# ================================================================ nginx + php-fpm: phpMyAdmin, Adminer, TLS cases
# one nginx (master as root to bind 80/443, workers as www-data) and one php-fpm (as www-data)
PMA_ADDR=127.0.19.1 ADMINER_ADDR=127.0.19.2
TLS_CASES=(tls-valid:127.0.40.1:valid tls-expired:127.0.40.2:expired tls-selfsigned:127.0.40.3:selfsigned
  tls-weak-rsa1024:127.0.40.4:weak tls-name-mismatch:127.0.40.5:mismatch
  tls-shared-1:127.0.40.20:shared tls-shared-2:127.0.40.21:shared tls-shared-3:127.0.40.22:shared)
start_web() {   # MARIADB_OPEN_ADDR
  local my=$1 w=$LAB/web
  alive nginx && alive php-fpm && return 0
  mkdir -p "$w/fpm" "$w/tmp" "$w/sessions" "$w/html" "$w/pma-tmp"
  # phpMyAdmin: private copy (cached) whose vendor_config.php points at our config file
  if [ ! -f "$CACHE/phpmyadmin/index.php" ]; then rm -rf "$CACHE/phpmyadmin"; cp -a /usr/share/phpmyadmin "$CACHE/phpmyadmin"; fi
  sed -i "s|'configFile' => .*|'configFile' => getenv('AJAR_PMA_CONFIG') ?: '/etc/phpmyadmin/config.inc.php',|; s|'tempDir' => .*|'tempDir' => getenv('AJAR_PMA_TMP') ?: '/var/lib/phpmyadmin/tmp/',|" \
    "$CACHE/phpmyadmin/libraries/vendor_config.php"
  cat >"$w/pma-config.inc.php" <<EOF
<?php
\$cfg['blowfish_secret'] = 'ajar-lab-0123456789abcdef0123456789';
\$cfg['Servers'][1]['host'] = '$my';
\$cfg['Servers'][1]['port'] = '3306';
\$cfg['Servers'][1]['connect_type'] = 'tcp';
\$cfg['Servers'][1]['auth_type'] = 'config';
\$cfg['Servers'][1]['user'] = 'root';
\$cfg['Servers'][1]['password'] = '';
\$cfg['Servers'][1]['AllowNoPassword'] = true;
\$cfg['VersionCheck'] = false;
\$cfg['TempDir'] = '$w/pma-tmp';
EOF
  echo '<html><body>ajar lab TLS case</body></html>' >"$w/html/index.html"
  cat >"$w/php-fpm.conf" <<EOF
[global]
pid = $w/fpm/php-fpm.pid
error_log = $LAB/logs/php-fpm.err
daemonize = no
[lab]
listen = $w/fpm/php-fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 3
clear_env = no
env[AJAR_PMA_CONFIG] = $w/pma-config.inc.php
env[AJAR_PMA_TMP] = $w/pma-tmp/
php_admin_value[session.save_path] = $w/sessions
php_admin_value[upload_tmp_dir] = $w/tmp
php_admin_value[memory_limit] = 128M
EOF
  local tls="" c
  for c in "${TLS_CASES[@]}"; do
    IFS=: read -r _ ip cert <<<"$c"
    tls+="  server { listen $ip:443 ssl; server_name _; ssl_certificate $LAB/certs/$cert.crt; ssl_certificate_key $LAB/certs/$cert.key;
    $([ "$cert" = weak ] && echo 'ssl_ciphers DEFAULT:@SECLEVEL=0;') root $w/html; }
"
  done
  cat >"$w/nginx.conf" <<EOF
daemon off;
user www-data www-data;
worker_processes 1;
pid $w/nginx.pid;
error_log $LAB/logs/nginx.err;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $w/tmp/body; proxy_temp_path $w/tmp/proxy; fastcgi_temp_path $w/tmp/fastcgi;
  uwsgi_temp_path $w/tmp/uwsgi; scgi_temp_path $w/tmp/scgi;
  server_tokens on;
  server { listen $PMA_ADDR:80; root $CACHE/phpmyadmin; index index.php;
    location ~ \.php\$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; fastcgi_pass unix:$w/fpm/php-fpm.sock; } }
  server { listen $ADMINER_ADDR:80; root /usr/share/adminer; index adminer.php;
    location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME /usr/share/adminer/adminer.php; fastcgi_pass unix:$w/fpm/php-fpm.sock; } }
$tls}
EOF
  touch "$LAB/logs/php-fpm.err"
  chown -R www-data: "$w/fpm" "$w/tmp" "$w/sessions" "$w/pma-tmp" "$LAB/logs/php-fpm.err"
  alive php-fpm || run_bg php-fpm www-data php-fpm8.2 -F -y "$w/php-fpm.conf"
  # nginx master stays root (it binds 80/443); its worker runs as www-data
  alive nginx || run_bg nginx root nginx -e "$LAB/logs/nginx.err" -c "$w/nginx.conf"
}
ready_web() {
  local my=$1 v c id ip cert
  wait_tcp "$PMA_ADDR" 80 10 nginx || return 1
  wait_cmd 10 test -S "$LAB/web/fpm/php-fpm.sock" || { warn "php-fpm socket missing"; return 1; }
  if ! [ -s "$LAB/manifest.d/phpmyadmin.json" ]; then
    v=$(curl -s "http://$PMA_ADDR/" | grep -oE '[?&]v=[0-9][0-9.]*' | head -1 | sed 's/.*=//')
    emit phpmyadmin "$PMA_ADDR" 80 plain phpmyadmin phpMyAdmin "$v" none null \
      '{"databases":4,"names":["gongan","logs_2024","metrics","shop"]}' "$(via "$my" 3306 mysql)" \
      "auth_type config (root, empty password): the console opens without a login; version from the ?v= asset suffix"
  fi
  if ! [ -s "$LAB/manifest.d/adminer.json" ]; then
    v=$(curl -s "http://$ADMINER_ADDR/" | grep -oE "class=.version.>[0-9.]+" | head -1 | grep -oE '[0-9.]+$')
    [ -n "$v" ] || v=$(curl -s "http://$ADMINER_ADDR/" | grep -oE 'Adminer</a> <span class="version">[0-9.]+' | grep -oE '[0-9.]+$')
    emit adminer "$ADMINER_ADDR" 80 plain adminer Adminer "$v" required null '{}' "$(via "$my" 3306 mysql)" \
      "login form; Adminer refuses the empty root password by default, so a password is needed"
  fi
  for c in "${TLS_CASES[@]}"; do
    IFS=: read -r id ip cert <<<"$c"
    [ -s "$LAB/manifest.d/$id.json" ] && continue
    wait_tcp "$ip" 443 5 nginx || return 1
    served_cert "$ip" 443 >"$LAB/run/$id.pem" || return 1
    v=$(curl -skI "https://$ip/" --ciphers 'DEFAULT:@SECLEVEL=0' | tr -d '\r' | sed -n 's|^Server: nginx/||Ip')
    emit "$id" "$ip" 443 tls http nginx "$v" none "$(cert_facts "$LAB/run/$id.pem")" '{}' null "TLS case '$cert' ($cert.crt), static page"
  done
}

# ================================================================ s3rver (127.0.46.1:4568)
# s3rver 3.7.1 (npm): an S3 API on the filesystem. It checks a signature only when a request
# carries one (Authorization header, Signature or X-Amz-Algorithm in the query) and has no
# access keys of its own to deny with: an unsigned request is always served, so there is only an
# open instance (there is no auth mode to configure). Buckets are created at start with
# --configure-bucket; the objects are PUT by the lab (the lab seeds its own server, as it does
# PouchDB with curl), synthetic "test-N" contents.
S3_BUCKETS=(gongan-person-info shop-customers logs-2024)
start_s3rver() {   # ID ADDR
  local id=$1 a=$2 d=$LAB/data/$1 b args=()
  alive "$id" && return 0
  rm -rf "$d"; mkdir -p "$d"; chown nobody:nogroup "$d"
  for b in "${S3_BUCKETS[@]}"; do args+=(--configure-bucket "$b"); done
  run_bg "$id" nobody env HOME="$d" node "$CACHE/npm/s3rver/node_modules/s3rver/bin/s3rver.js" \
    -d "$d" -a "$a" -p 4568 --no-vhost-buckets "${args[@]}"
}
# objects: gongan-person-info 4 (person_info/test-N.csv), shop-customers 3
# (customers/passport_scans/test-N.txt), logs-2024 2 (access/test-N.log); contents "test-N".
S3_OBJECTS=(gongan-person-info:person_info/test-%d.csv:4 shop-customers:customers/passport_scans/test-%d.txt:3
  logs-2024:access/test-%d.log:2)
ready_s3rver() {   # ID ADDR
  local id=$1 a=$2 u=http://$2:4568 o b k n i recs=0 bytes=0 names='[]' v
  done_already "$id" && return 0
  wait_tcp "$a" 4568 30 "$id" || return 1
  wait_cmd 20 curl -sf "$u/" || return 1
  for o in "${S3_OBJECTS[@]}"; do
    IFS=: read -r b k n <<<"$o"
    for ((i = 1; i <= n; i++)); do
      # shellcheck disable=SC2059
      curl -sf -X PUT --data-binary "test-$i" "$u/$b/$(printf "$k" "$i")" >/dev/null || return 1
    done
  done
  # the facts, as the server lists them (ListObjectsV2 of each bucket)
  local l kc sz
  for b in $(curl -s "$u/" | grep -oE '<Name>[^<]+</Name>' | sed 's/<[^>]*>//g'); do
    l=$(curl -s "$u/$b?list-type=2&max-keys=1000")
    kc=$(grep -oE '<KeyCount>[0-9]+' <<<"$l" | grep -oE '[0-9]+$')
    sz=$(grep -oE '<Size>[0-9]+' <<<"$l" | grep -oE '[0-9]+$' | awk '{s += $1} END {print s + 0}')
    recs=$((recs + ${kc:-0})); bytes=$((bytes + ${sz:-0}))
    names=$(jq -c --arg b "$b" '. + [$b]' <<<"$names")
  done
  v=$(jq -r .version "$CACHE/npm/s3rver/node_modules/s3rver/package.json")
  emit "$id" "$a" 4568 plain s3 s3rver "" none null \
    "$(jq -nc --argjson n "$names" --argjson r $recs --argjson by $bytes '{collections:($n|length),records:$r,bytes:$by,names:$n}')" null \
    "anonymous ListBuckets and ListObjectsV2 answer (s3rver checks no signature on unsigned requests); 9 objects in 3 buckets; version from package.json ($v)"
  touch "$(state "$id")"
}

# ================================================================ NATS 2.9 (127.0.43.x:4222)
# The server greets every client with INFO {json} (version, auth_required) before any login.
NATS_PW=lab-nats-pw
start_nats() {   # ID ADDR MODE(open|auth)
  local id=$1 a=$2 mode=$3 extra=()
  alive "$id" && return 0
  [ "$mode" = auth ] && extra=(--user lab --pass "$NATS_PW")
  run_bg "$id" nobody nats-server -a "$a" -p 4222 "${extra[@]}"
}
ready_nats() {
  local id=$1 a=$2 mode=$3 info v auth=none
  done_already "$id" && return 0
  wait_tcp "$a" 4222 10 "$id" || return 1
  info=$(timeout 3 nc -q 1 "$a" 4222 </dev/null | head -1 | tr -d '\r' | sed -n 's/^INFO //p')
  v=$(jq -r .version <<<"$info")
  [ "$(jq -r '.auth_required // false' <<<"$info")" = true ] && auth=required
  [ -n "$v" ] && [ "$v" != null ] || { warn "$id: no INFO"; return 1; }
  emit "$id" "$a" 4222 plain nats "NATS Server" "$v" "$auth" null '{}' null \
    "nats-server $mode; INFO server_id $(jq -r .server_id <<<"$info")$([ "$mode" = auth ] && echo "; user lab / NATS_PW")"
  touch "$(state "$id")"
}

# ================================================================ Jupyter Notebook 6.4 (127.0.44.x:8888)
# The classic Notebook server, as nobody, its config, data and runtime folders under data/ID.
# open: token and password empty (anyone runs code); token: a fixed token (JUPYTER_TOKEN).
# The notebook folder holds a few small files: their names, types and sizes are what the
# contents API lists (values are synthetic).
JUPYTER_TOKEN=lab-jupyter-token
start_jupyter() {   # ID ADDR MODE(open|token)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 tok=""
  alive "$id" && return 0
  mkdir -p "$d/home" "$d/notebooks"
  if [ ! -f "$d/notebooks/customers.ipynb" ]; then
    local i
    for i in 1 2 3; do printf 'id,value\n%d,test-%d\n' "$i" "$i" >"$d/notebooks/test-$i.csv"; done
    printf 'xm,sfzh,sjhm\ntest-1,test-1,test-1\n' >"$d/notebooks/person_info_2024.csv"
    printf '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n' >"$d/notebooks/customers.ipynb"
    mkdir -p "$d/notebooks/projects"; echo test-1 >"$d/notebooks/projects/notes.txt"
  fi
  chown -R nobody:nogroup "$d"
  [ "$mode" = token ] && tok=$JUPYTER_TOKEN
  run_bg "$id" nobody env HOME="$d/home" JUPYTER_CONFIG_DIR="$d/home/config" JUPYTER_DATA_DIR="$d/home/data" \
    JUPYTER_RUNTIME_DIR="$d/home/runtime" IPYTHONDIR="$d/home/ipython" \
    /usr/bin/jupyter-notebook --no-browser --ip "$a" --port 8888 --port-retries=0 \
    --notebook-dir="$d/notebooks" --NotebookApp.token="$tok" --NotebookApp.password=
}
ready_jupyter() {
  local id=$1 a=$2 mode=$3 u=http://$2:8888 h=() auth=none v c notes
  done_already "$id" && return 0
  wait_tcp "$a" 8888 30 "$id" || return 1
  wait_cmd 20 curl -sf "$u/api" || return 1
  v=$(curl -s "$u/api" | jq -r .version)
  if [ "$mode" = token ]; then
    h=(-H "Authorization: token $JUPYTER_TOKEN"); auth=required
    notes="--NotebookApp.token=$JUPYTER_TOKEN (JUPYTER_TOKEN): /api/contents answers 403 without it; /api still gives the version"
  else
    notes="--NotebookApp.token= --NotebookApp.password=: no authentication, anyone can start a kernel"
  fi
  # the top-level listing as the server gives it (the operator's view, with the token)
  c=$(curl -sf "${h[@]}" "$u/api/contents") || return 1
  emit "$id" "$a" 8888 plain jupyter "Jupyter Notebook" "$v" "$auth" null \
    "$(jq -c '{records: ([.content[] | select(.type != "directory")] | length),
               bytes: ([.content[] | select(.type != "directory") | .size // 0] | add),
               names: [.content[].name]}' <<<"$c")" null \
    "$notes; notebook folder: $(jq -r '[.content[].name] | join(", ")' <<<"$c")"
  touch "$(state "$id")"
}

# ================================================================ Docker registry 2.8 (127.0.45.x:5000)
# CNCF Distribution ("registry:2", Debian's docker-registry), as nobody, filesystem storage under
# data/ID. open: no auth; basic: htpasswd (bcrypt) user lab / REGISTRY_PW; tls: open, TLS on 5000
# with its own certificate from the lab CA. Seeded through the registry's own HTTP API with tiny
# images (one layer holding a README, a config): what an operator's `docker push` writes.
REGISTRY_PW=lab-registry-pw
REGISTRY_SEED_OPEN="shop/webapp:v1.0.0 shop/webapp:v1.1.0 shop/webapp:latest gongan/person-sync:2024.01 gongan/person-sync:latest metrics/exporter:0.1.0"
REGISTRY_SEED_SMALL="shop/webapp:v1.0.0 shop/webapp:latest"
start_registry() {   # ID ADDR MODE(open|basic|tls)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 extra=""
  alive "$id" && return 0
  mkdir -p "$d/storage"
  case $mode in
    basic) htpasswd -Bbn lab "$REGISTRY_PW" >"$d/htpasswd" 2>/dev/null || { warn "htpasswd failed"; return 1; }
           extra="auth:
  htpasswd:
    realm: ajar-lab-registry
    path: $d/htpasswd";;
    tls) extra="";;
  esac
  cat >"$d/config.yml" <<EOC
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/storage
  delete:
    enabled: false
http:
  addr: $a:5000
  headers:
    X-Content-Type-Options: [nosniff]
$([ "$mode" = tls ] && printf '  tls:\n    certificate: %s\n    key: %s\n' "$LAB/certs/registry-tls.crt" "$LAB/certs/registry-tls.key")
$extra
EOC
  chown -R nobody:nogroup "$d"
  run_bg "$id" nobody /usr/bin/docker-registry serve "$d/config.yml"
}
# _reg_blob BASE REPO FILE CURL-ARGS...: upload FILE as a blob (monolithic POST + PUT), print its digest
_reg_blob() {
  local base=$1 repo=$2 f=$3; shift 3
  local dg loc
  dg=sha256:$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$(curl -s -o /dev/null -w '%{http_code}' -I "$@" "$base/v2/$repo/blobs/$dg")" != 200 ]; then
    loc=$(curl -s -D - -o /dev/null -X POST "$@" "$base/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    [ -n "$loc" ] || return 1
    case $loc in /*) loc=$base$loc;; esac
    case $loc in *\?*) loc="$loc&digest=$dg";; *) loc="$loc?digest=$dg";; esac
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$@" -H 'Content-Type: application/octet-stream' \
      --data-binary "@$f" "$loc")" = 201 ] || return 1
  fi
  echo "$dg"
}
# _reg_push BASE REPO TAG CURL-ARGS...: a one-layer image (a README "test-REPO-TAG") tagged REPO:TAG
_reg_push() {
  local base=$1 repo=$2 tag=$3; shift 3
  local w ldg cdg diff code
  w=$(mktemp -d)
  mkdir "$w/root"; echo "test-$repo-$tag" >"$w/root/README"
  tar -C "$w/root" --mtime=2024-01-01 --owner=0 --group=0 -cf - README | gzip -n >"$w/layer.tgz"
  diff=sha256:$(gzip -dc "$w/layer.tgz" | sha256sum | cut -d' ' -f1)
  printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"lab":"ajar"}},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$diff" >"$w/config.json"
  if ldg=$(_reg_blob "$base" "$repo" "$w/layer.tgz" "$@") && cdg=$(_reg_blob "$base" "$repo" "$w/config.json" "$@"); then
    printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"%s"}]}' \
      "$(stat -c %s "$w/config.json")" "$cdg" "$(stat -c %s "$w/layer.tgz")" "$ldg" >"$w/manifest.json"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$@" -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
      --data-binary "@$w/manifest.json" "$base/v2/$repo/manifests/$tag")
  fi
  rm -rf "$w"
  [ "${code:-}" = 201 ]
}
ready_registry() {
  local id=$1 a=$2 mode=$3 base=http://$2:5000 c=() auth=none tr=plain tls=null seed=$REGISTRY_SEED_SMALL it notes
  done_already "$id" && return 0
  wait_tcp "$a" 5000 15 "$id" || return 1
  case $mode in
    open) seed=$REGISTRY_SEED_OPEN; notes="no auth: anyone pulls (and pushes)";;
    basic) c=(-u "lab:$REGISTRY_PW"); auth=required
           notes="htpasswd (bcrypt), user lab / REGISTRY_PW: /v2/ answers 401 with WWW-Authenticate: Basic realm=\"ajar-lab-registry\"";;
    tls) base=https://$a:5000; c=(--cacert "$LAB/certs/ca.crt"); tr=tls
         tls=$(cert_facts "$LAB/certs/registry-tls.crt"); notes="no auth, TLS on 5000 (http.tls), lab CA certificate";;
  esac
  wait_cmd 15 curl -s -o /dev/null "${c[@]}" "$base/v2/" || return 1
  for it in $seed; do _reg_push "$base" "${it%%:*}" "${it#*:}" "${c[@]}" || { warn "$id: push $it failed"; return 1; }; done
  local cat repos tags=0 r n
  cat=$(curl -s "${c[@]}" "$base/v2/_catalog?n=100")
  repos=$(jq -c .repositories <<<"$cat")
  for r in $(jq -r '.[]' <<<"$repos"); do
    n=$(curl -s "${c[@]}" "$base/v2/$r/tags/list" | jq '.tags | length'); tags=$((tags + n))
  done
  # the server does not say its own version: the manifest's is null (Debian package: notes)
  emit "$id" "$a" 5000 "$tr" docker-registry "Docker Registry" "" "$auth" "$tls" \
    "$(jq -nc --argjson n "$repos" --argjson t "$tags" '{collections: ($n|length), records: $t, names: $n}')" null \
    "$notes; Docker-Distribution-Api-Version registry/2.0; package docker-registry $(dpkg-query -W -f='${Version}' docker-registry 2>/dev/null); repositories $(jq -r 'join(", ")' <<<"$repos"), $tags tags"
  touch "$(state "$id")"
}

# ================================================================ OpenLDAP slapd 2.5 (127.0.41.1-3:389, 127.0.41.1:636)
# One seeded directory, dc=lab,dc=example: ou=people with test-1..test-5 (inetOrgPerson), ou=groups.
#   open:   anonymous bind and read (slapd's default access), also LDAPS on 636 (ldap-tls.crt)
#   locked: `access to * by users read by anonymous none` in the database: anonymous binds still
#           succeed and the root DSE (the frontend's) stays readable, the suffix answers noSuchObject
#   noanon: `disallow bind_anon` + `require authc`: the anonymous bind is refused (48) and so is
#           the root DSE search (53 "authentication required")
LDAP_PW=lab-ldap-pw
LDAP_SUFFIX=dc=lab,dc=example
start_slapd() {   # ID ADDR MODE(open|locked|noanon)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 c=$LAB/conf/$1.conf urls="ldap://$2:389/" i
  alive "$id" && return 0
  rm -rf "$d"; mkdir -p "$d/db"
  {
    printf 'include /etc/ldap/schema/%s.schema\n' core cosine inetorgperson
    echo "modulepath /usr/lib/ldap"
    echo "moduleload back_mdb"
    echo "pidfile $d/slapd.pid"
    [ "$mode" = noanon ] && printf 'disallow bind_anon\nrequire authc\n'
    if [ "$mode" = open ]; then
      echo "TLSCertificateFile $LAB/certs/ldap-tls.crt"
      echo "TLSCertificateKeyFile $LAB/certs/ldap-tls.key"
    fi
    echo "database mdb"
    echo "maxsize 16777216"
    echo "suffix \"$LDAP_SUFFIX\""
    echo "rootdn \"cn=admin,$LDAP_SUFFIX\""
    echo "rootpw $LDAP_PW"
    echo "directory $d/db"
    [ "$mode" = locked ] && echo "access to * by users read by anonymous none"
  } >"$c"
  chmod 644 "$c"
  {
    printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: lab\no: ajar lab\n\n' "$LDAP_SUFFIX"
    printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$LDAP_SUFFIX"
    printf 'dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n' "$LDAP_SUFFIX"
    for i in 1 2 3 4 5; do
      printf 'dn: uid=test-%d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: test-%d\ncn: test-%d\nsn: test-%d\nmail: test-%d@lab.example\n\n' \
        "$i" "$LDAP_SUFFIX" "$i" "$i" "$i" "$i"
    done
  } >"$d/seed.ldif"
  slapadd -q -f "$c" -l "$d/seed.ldif" >"$LAB/logs/$id.slapadd.log" 2>&1 || { warn "$id: slapadd failed"; return 1; }
  chown -R openldap:openldap "$d"
  [ "$mode" = open ] && urls+=" ldaps://$a:636/"
  # root binds 389/636, then slapd drops to openldap (-u/-g)
  run_bg "$id" root slapd -d 0 -u openldap -g openldap -f "$c" -h "$urls"
}
_ldapq() { ldapsearch -x -LLL -o ldif-wrap=no "$@" 2>&1; }
ready_slapd() {
  local id=$1 a=$2 mode=$3 auth=required notes data
  done_already "$id" && return 0
  wait_tcp "$a" 389 15 "$id" || return 1
  wait_cmd 10 ldapsearch -x -H "ldap://$a" -D "cn=admin,$LDAP_SUFFIX" -w "$LDAP_PW" -s base -b "$LDAP_SUFFIX" 1.1 || return 1
  local n; n=$(_ldapq -H "ldap://$a" -D "cn=admin,$LDAP_SUFFIX" -w "$LDAP_PW" -b "ou=people,$LDAP_SUFFIX" -s one 1.1 | grep -c '^dn:')
  data=$(jq -nc --arg s "$LDAP_SUFFIX" '{databases:1,names:[$s]}')
  case $mode in
    open) auth=none
      notes="slapd default access (anonymous read); $n entries under ou=people; rootdn cn=admin,$LDAP_SUFFIX / $LDAP_PW; OpenLDAP publishes no version in its root DSE";;
    locked)
      notes="access to * by users read by anonymous none: anonymous bind accepted, root DSE readable, the suffix answers noSuchObject (32) to anonymous; rootdn cn=admin,$LDAP_SUFFIX / $LDAP_PW";;
    noanon) data='{}'
      notes="disallow bind_anon + require authc: anonymous bind refused (48 'anonymous bind disallowed'), root DSE search refused (53); rootdn cn=admin,$LDAP_SUFFIX / $LDAP_PW";;
  esac
  emit "$id" "$a" 389 plain ldap OpenLDAP "" "$auth" null "$data" null "$notes"
  if [ "$mode" = open ]; then
    wait_tcp "$a" 636 10 "$id" || return 1
    served_cert "$a" 636 >"$LAB/run/$id-tls.pem" || return 1
    emit "$id-tls" "$a" 636 tls ldap OpenLDAP "" none "$(cert_facts "$LAB/run/$id-tls.pem")" "$data" null \
      "LDAPS (TLS from the first byte) on the same slapd, certificate ldap-tls.crt"
  fi
  touch "$(state "$id")"
}

# ================================================================ rsync daemon (127.0.42.1-3:873)
#   mixed:    [pub] open (comment "public files"), [backup] `auth users = alice` + secrets file (0600),
#             [hidden] open but `list = no` (never listed, so never seen)
#   locked:   [backup] and [home], both with auth users
#   unlisted: only `list = no` modules: the listing is empty
RSYNC_USER=alice
RSYNC_PW=lab-rsync-pw
start_rsyncd() {   # ID ADDR MODE(mixed|locked|unlisted)
  local id=$1 a=$2 mode=$3 d=$LAB/data/$1 c=$LAB/conf/$1.conf m
  alive "$id" && return 0
  mkdir -p "$d/files"
  for m in 1 2 3; do echo "test-$m" >"$d/files/test-$m.txt"; done
  printf '%s:%s\n' "$RSYNC_USER" "$RSYNC_PW" >"$d/secrets"; chmod 600 "$d/secrets"
  _rmod() {   # NAME COMMENT [auth|hidden]
    printf '[%s]\n  path = %s/files\n  comment = %s\n  read only = yes\n' "$1" "$d" "$2"
    case ${3:-} in
      auth) printf '  auth users = %s\n  secrets file = %s/secrets\n' "$RSYNC_USER" "$d";;
      hidden) printf '  list = no\n';;
    esac
  }
  {
    printf 'use chroot = no\npid file = %s/rsyncd.pid\nuid = nobody\ngid = nogroup\nlog file = %s\n' "$d" "$LAB/logs/$id.rsyncd.log"
    case $mode in
      mixed) _rmod pub "public files"; _rmod backup "nightly backups" auth; _rmod hidden "not listed" hidden;;
      locked) _rmod backup "nightly backups" auth; _rmod home "home directories" auth;;
      unlisted) _rmod hidden "not listed" hidden; _rmod private "not listed either" hidden;;
    esac
  } >"$c"
  chmod 644 "$c"
  # root binds 873; each module connection runs as nobody (uid/gid above)
  run_bg "$id" root rsync --daemon --no-detach --address="$a" --port=873 --config="$c"
}
ready_rsyncd() {
  local id=$1 a=$2 mode=$3 proto names auth notes
  done_already "$id" && return 0
  wait_tcp "$a" 873 10 "$id" || return 1
  proto=$( (sleep 0.5) | timeout 3 nc -q 1 "$a" 873 2>/dev/null | head -1 | sed -n 's/^@RSYNCD: \([0-9.]*\).*/\1/p')
  [ -n "$proto" ] || { warn "$id: no @RSYNCD greeting"; return 1; }
  names=$(timeout 5 rsync "rsync://$a/" 2>/dev/null | awk '{print $1}' | jq -Rnc '[inputs]')
  case $mode in
    mixed) auth=partial
      notes="modules pub (open), backup (auth users $RSYNC_USER / $RSYNC_PW), hidden (open, list = no)";;
    locked) auth=required; notes="modules backup and home, both auth users $RSYNC_USER / $RSYNC_PW";;
    unlisted) auth=unknown; names='[]'; notes="only list = no modules (hidden, private): the listing is empty";;
  esac
  emit "$id" "$a" 873 plain rsync rsync "" "$auth" null "$(jq -nc --argjson n "$names" '{names:$n}')" null \
    "$notes; greeting protocol $proto; rsync tells no program version"
  touch "$(state "$id")"
}
