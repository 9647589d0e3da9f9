#!/bin/bash
# tests/probe/tools/record-http-b.sh -- how the fixtures of the HTTP-family
# probes "B" (etcd, ClickHouse HTTP, InfluxDB 1.x, Prometheus, RabbitMQ
# management, redis-commander, phpMyAdmin, Adminer) were recorded.
#
# It starts short-lived real servers on 127.0.150.0/24 only (flags from
# /work/shared/LAB-NOTES.md), seeds them with a little test data (as the lab
# operator, with the servers' own clients), then sends EXACTLY the requests
# the probes send (same request line and headers as src/probe/http.c writes)
# and writes each raw answer, byte for byte, into
# tests/probe/cases/<app>/<case>/N.resp. Then it stops what it started (by pid).
#
#   tests/probe/tools/record-http-b.sh [etcd|clickhouse|influxdb|prometheus|rabbitmq|rcommander|web]...
#
# Needs: etcd-server etcd-client clickhouse-server influxdb prometheus
# rabbitmq-server redis-server nginx php-fpm adminer phpmyadmin mariadb-server
# php-cli (bcrypt for Prometheus' web config), node+npm (redis-commander
# 0.9.0 is installed into the work folder with a private npm cache).
# Docker has no recording: its fixtures come from the Engine API docs
# (tests/probe/cases/docker/README.md). Hand-made or edited fixtures are
# named in each case folder's README.md.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
CASES=$ROOT/tests/probe/cases
W=${W:-$(mktemp -d /tmp/record-http-b.XXXXXX)}
chmod 755 "$W"
PIDS=()
NET=127.0.150

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT

bg() { # USER CMD... : start in the background, remember the pid
  local u=$1; shift
  if [ "$u" = root ]; then "$@" >>"$W/log" 2>&1 &
  else setpriv --reuid="$u" --regid="$u" --clear-groups "$@" >>"$W/log" 2>&1 & fi
  PIDS+=($!)
}
wait_port() { # ADDR PORT SECONDS
  local i; for ((i = 0; i < $3 * 10; i++)); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
  echo "record: $1:$2 did not come up" >&2; return 1
}

# raw ADDR PORT OUTFILE METHOD PATH [BODY] [EXTRA-HEADER-LINES]: one request, the raw answer
cat >"$W/raw.py" <<'EOF'
import socket, sys
host, port, out, method, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
body = sys.argv[6].encode() if len(sys.argv) > 6 and sys.argv[6] else None
extra = (sys.argv[7] if len(sys.argv) > 7 else "").replace("\r\n", "\n").replace("\n", "\r\n")
hostport = host if port == 80 else "%s:%d" % (host, port)
req = ("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ajar/0.1 (+metadata-only exposure scanner)\r\n"
       "Accept: */*\r\nConnection: keep-alive\r\n" % (method, path, hostport)) + extra
if body is not None:
    req += "Content-Length: %d\r\n" % len(body)
req = req.encode() + b"\r\n" + (body or b"")
s = socket.create_connection((host, port), timeout=10)
s.sendall(req)
data = b""
def more():
    global data
    c = s.recv(65536)
    if not c: raise EOFError
    data += c
def line_at(pos):
    while b"\r\n" not in data[pos:]: more()
    return data.index(b"\r\n", pos)
try:
    while b"\r\n\r\n" not in data: more()
    he = data.index(b"\r\n\r\n") + 4
    head = data[:he].decode("latin1").lower()
    status = int(head.split()[1])
    clen = None; chunked = False
    for l in head.split("\r\n")[1:]:
        if l.startswith("content-length:"): clen = int(l.split(":", 1)[1])
        if l.startswith("transfer-encoding:") and "chunked" in l: chunked = True
    if method == "HEAD" or status in (204, 304) or status < 200:
        end = he
    elif chunked:
        pos = he
        while True:
            le = line_at(pos)
            sz = int(data[pos:le].split(b";")[0], 16)
            pos = le + 2
            if sz == 0:
                while True:  # trailers up to the blank line
                    le = line_at(pos); blank = le == pos; pos = le + 2
                    if blank: break
                break
            while len(data) < pos + sz + 2: more()
            pos += sz + 2
        end = pos
    elif clen is not None:
        while len(data) < he + clen: more()
        end = he + clen
    else:
        try:
            while True: more()
        except EOFError:
            pass
        end = len(data)
except EOFError:
    end = len(data)
open(out, "wb").write(data[:end])
print("  %s %s -> %s (%d bytes)" % (method, path[:70], data[:data.find(b"\r\n")].decode("latin1"), end), file=sys.stderr)
EOF
raw() { python3 "$W/raw.py" "$@"; }
# the probes' percent-encoding: everything but unreserved characters and ( ) , *
enc() { python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe="(),*"))' "$1"; }
casedir() { mkdir -p "$CASES/$1"; rm -f "$CASES/$1"/[0-9]*.resp "$CASES/$1"/[0-9]*.head "$CASES/$1"/[0-9]*.body; echo "$CASES/$1"; }

# ---------------------------------------------------------------- etcd 3.4
rec_etcd() {
  local i a d
  for i in 1 2; do
    a=$NET.$i d=$W/etcd$i; mkdir -p "$d"
    bg root etcd --name rec$i --data-dir "$d" --listen-client-urls "http://$a:2379" \
      --advertise-client-urls "http://$a:2379" --listen-peer-urls "http://$a:2380" \
      --initial-advertise-peer-urls "http://$a:2380" --initial-cluster "rec$i=http://$a:2380"
    wait_port "$a" 2379 10 || return 1
  done
  sleep 0.5
  local e1="etcdctl --endpoints=http://$NET.1:2379" e2="etcdctl --endpoints=http://$NET.2:2379"
  $e1 put /app/config '{"a":1}' >/dev/null; $e1 put /app/users/1 test >/dev/null; $e1 put foo bar >/dev/null
  $e2 put secret test >/dev/null; $e2 user add root --new-user-password=rec-etcd-pw >/dev/null
  $e2 user grant-role root root >/dev/null; $e2 auth enable >/dev/null
  local c range='{"key":"AA==","range_end":"AA==","count_only":true}'
  for i in 1 2; do
    a=$NET.$i; [ $i = 1 ] && c=$(casedir etcd/open-3.4) || c=$(casedir etcd/auth-3.4)
    echo "etcd $a -> $c"
    raw "$a" 2379 "$c/1.resp" GET /
    raw "$a" 2379 "$c/2.resp" GET /version
    raw "$a" 2379 "$c/3.resp" POST /v3/kv/range "$range"
  done
}

# ---------------------------------------------------------------- ClickHouse 18.16
CH_EX="WHERE database NOT IN ('system','INFORMATION_SCHEMA','information_schema')"
rec_clickhouse() {
  local i a d pw
  for i in 3 4; do
    a=$NET.$i d=$W/ch$i pw=""; [ $i = 4 ] && pw=rec-ch-pw
    mkdir -p "$d/data"
    cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>8123</http_port><tcp_port>9000</tcp_port><listen_host>$a</listen_host>
  <uncompressed_cache_size>16777216</uncompressed_cache_size><mark_cache_size>16777216</mark_cache_size>
  <path>$d/data/</path><tmp_path>$d/data/tmp/</tmp_path><user_files_path>$d/data/user_files/</user_files_path>
  <format_schema_path>$d/data/format_schemas/</format_schema_path><users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mlock_executable>false</mlock_executable>
</yandex>
EOF
    cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>200000000</max_memory_usage></default></profiles>
  <users><default><password>$pw</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
    chown -R clickhouse: "$d"
    bg clickhouse clickhouse-server --config-file="$d/config.xml"
    wait_port "$a" 8123 20 || return 1
  done
  sleep 1
  local q="http://$NET.3:8123/" s
  for s in "CREATE DATABASE shop" "CREATE DATABASE gongan" "CREATE DATABASE empty_db" \
    "CREATE TABLE gongan.person_info (id UInt32, xm String, sfzh String, sjhm String) ENGINE=MergeTree ORDER BY id" \
    "INSERT INTO gongan.person_info SELECT number+1, 'test', 'test', 'test' FROM numbers(50)" \
    "CREATE TABLE shop.customers (id UInt32, full_name String, email String) ENGINE=MergeTree ORDER BY id" \
    "INSERT INTO shop.customers SELECT number+1, 'test', 'test@example.com' FROM numbers(40)" \
    "CREATE TABLE shop.cart (id UInt32, item String) ENGINE=Memory" "INSERT INTO shop.cart VALUES (1,'x'),(2,'y')"; do
    curl -sf "$q" --data-binary "$s" >/dev/null || echo "record: clickhouse seed failed: $s" >&2
  done
  local c
  c=$(casedir clickhouse/open-18.16); echo "clickhouse $NET.3 -> $c"
  raw $NET.3 8123 "$c/1.resp" GET /
  raw $NET.3 8123 "$c/2.resp" GET "/?query=$(enc "SELECT version()")"
  raw $NET.3 8123 "$c/3.resp" GET "/?query=$(enc "SELECT name FROM system.databases FORMAT JSONCompact")"
  raw $NET.3 8123 "$c/4.resp" GET "/?query=$(enc "SELECT database, name FROM system.tables $CH_EX LIMIT 10000 FORMAT JSONCompact")"
  raw $NET.3 8123 "$c/5.resp" GET "/?query=$(enc "SELECT database, table, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE active GROUP BY database, table LIMIT 10000 FORMAT JSONCompact")"
  raw $NET.3 8123 "$c/6.resp" GET "/?query=$(enc "SELECT DISTINCT name FROM system.columns $CH_EX LIMIT 10000 FORMAT JSONCompact")"
  # a server >= 20 without system.tables.total_rows: 18.16's real answers, the version edited (README.md there)
  c=$(casedir clickhouse/fallback-20.3-edited); echo "clickhouse $NET.3 -> $c"
  cp "$CASES/clickhouse/open-18.16/"{1,2,3}.resp "$c/"
  sed -i 's/^18\.16\.1$/20.3.19/' "$c/2.resp"
  raw $NET.3 8123 "$c/4.resp" GET "/?query=$(enc "SELECT database, name, total_rows, total_bytes FROM system.tables $CH_EX LIMIT 10000 FORMAT JSONCompact")"
  cp "$CASES/clickhouse/open-18.16/4.resp" "$c/5.resp"; cp "$CASES/clickhouse/open-18.16/5.resp" "$c/6.resp"
  cp "$CASES/clickhouse/open-18.16/6.resp" "$c/7.resp"
  c=$(casedir clickhouse/auth-18.16); echo "clickhouse $NET.4 -> $c"
  raw $NET.4 8123 "$c/1.resp" GET /
  raw $NET.4 8123 "$c/2.resp" GET "/?query=$(enc "SELECT version()")"
  c=$(casedir clickhouse/no-default-accounts); cp "$CASES/clickhouse/auth-18.16/1.resp" "$c/1.resp"
}

# ---------------------------------------------------------------- InfluxDB 1.6
rec_influxdb() {
  local i a d au
  for i in 5 6; do
    a=$NET.$i d=$W/influx$i au=false; [ $i = 6 ] && au=true
    mkdir -p "$d"
    cat >"$d/influxdb.conf" <<EOF
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
  auth-enabled = $au
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
EOF
    bg root influxd run -config "$d/influxdb.conf"
    wait_port "$a" 8086 10 || return 1
  done
  sleep 0.5
  local u=http://$NET.5:8086 u2=http://$NET.6:8086
  curl -s $u/query --data-urlencode "q=CREATE DATABASE metrics" >/dev/null
  curl -s $u/query --data-urlencode "q=CREATE DATABASE telegraf" >/dev/null
  printf 'cpu,host=a value=1,idle=2 1704067200000000000\nmem,host=a used=3 1704067200000000000\n' |
    curl -s "$u/write?db=metrics" --data-binary @-
  printf 'disk,host=b free=5 1704067200000000000\n' | curl -s "$u/write?db=telegraf" --data-binary @-
  curl -s $u2/query --data-urlencode "q=CREATE USER admin WITH PASSWORD 'rec-influx-pw' WITH ALL PRIVILEGES" >/dev/null
  local c
  c=$(casedir influxdb/open-1.6); echo "influxdb $NET.5 -> $c"
  raw $NET.5 8086 "$c/1.resp" GET /
  raw $NET.5 8086 "$c/2.resp" GET "/query?q=$(enc "SHOW DATABASES")"
  raw $NET.5 8086 "$c/3.resp" GET "/query?q=$(enc 'SHOW FIELD KEYS ON "metrics"')"
  raw $NET.5 8086 "$c/4.resp" GET "/query?q=$(enc 'SHOW FIELD KEYS ON "telegraf"')"
  c=$(casedir influxdb/auth-1.6); echo "influxdb $NET.6 -> $c"
  raw $NET.6 8086 "$c/1.resp" GET /
  raw $NET.6 8086 "$c/2.resp" GET "/query?q=$(enc "SHOW DATABASES")"
  c=$(casedir influxdb/ping-only); echo "influxdb $NET.6 /ping -> $c"
  raw $NET.6 8086 "$c/1.resp" GET /ping
}

# ---------------------------------------------------------------- Prometheus 2.42
rec_prometheus() {
  local i a d extra h
  for i in 7 8; do
    a=$NET.$i d=$W/prom$i extra=(); mkdir -p "$d/data"
    cat >"$d/prom.yml" <<EOF
global:
  scrape_interval: 2s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$a:9090']
  - job_name: node
    static_configs:
      - targets: ['$NET.250:9100', '$NET.251:9100']
EOF
    if [ $i = 8 ]; then
      h=$(php -r 'echo password_hash("rec-prom-pw", PASSWORD_BCRYPT);')
      printf 'basic_auth_users:\n  admin: %s\n' "$h" >"$d/web.yml"; extra=(--web.config.file="$d/web.yml")
    fi
    chown -R prometheus: "$d"
    bg prometheus prometheus --config.file="$d/prom.yml" --storage.tsdb.path="$d/data" \
      --web.listen-address="$a:9090" "${extra[@]}"
    wait_port "$a" 9090 15 || return 1
  done
  sleep 8 # discovery hands targets to the scrape manager every 5 s
  local c
  c=$(casedir prometheus/open-2.42); echo "prometheus $NET.7 -> $c"
  raw $NET.7 9090 "$c/1.resp" GET /
  raw $NET.7 9090 "$c/2.resp" GET /api/v1/status/buildinfo
  raw $NET.7 9090 "$c/3.resp" GET "/api/v1/targets?state=active"
  c=$(casedir prometheus/basic-auth-2.42); echo "prometheus $NET.8 -> $c"
  raw $NET.8 9090 "$c/1.resp" GET /
  c=$(casedir prometheus/basic-auth-other-port); cp "$CASES/prometheus/basic-auth-2.42/1.resp" "$c/"
}

# ---------------------------------------------------------------- RabbitMQ 3.10 + management
rec_rabbitmq() {
  local a=$NET.9 d=$W/rmq; mkdir -p "$d/home" "$d/mnesia" "$d/log"
  printf 'listeners.tcp.1 = %s:5672\nmanagement.tcp.ip = %s\nmanagement.tcp.port = 15672\n' "$a" "$a" >"$d/rabbitmq.conf"
  echo '[rabbitmq_management].' >"$d/enabled_plugins"; chown -R rabbitmq: "$d"
  bg rabbitmq epmd -port 4371 -address "$a"; sleep 0.3
  bg rabbitmq env HOME="$d/home" RABBITMQ_NODE_IP_ADDRESS="$a" RABBITMQ_NODE_PORT=5672 \
    RABBITMQ_NODENAME="rec1@$a" RABBITMQ_USE_LONGNAME=true RABBITMQ_DIST_PORT=25701 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {${a//./,}}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {${a//./,}}" ERL_EPMD_ADDRESS="$a" ERL_EPMD_PORT=4371 \
    RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_PID_FILE="$d/pid" /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_port "$a" 15672 60 || return 1
  sleep 1
  local c
  c=$(casedir rabbitmq/login-required-3.10); echo "rabbitmq $a -> $c"
  raw "$a" 15672 "$c/1.resp" GET /
  raw "$a" 15672 "$c/2.resp" GET /api/overview
  raw "$a" 15672 "$c/3.resp" GET /api/auth
  # the answer an open management API gives (here: the operator's own guest login,
  # as a reverse proxy that injects credentials would forward it); ajar never sends credentials
  c=$(casedir rabbitmq/open-overview); echo "rabbitmq $a (operator login) -> $c"
  cp "$CASES/rabbitmq/login-required-3.10/1.resp" "$c/1.resp"
  raw "$a" 15672 "$c/2.resp" GET /api/overview "" "Authorization: Basic Z3Vlc3Q6Z3Vlc3Q=
"
  # the rabbitmq pid file names the beam process the wrapper started
  [ -s "$d/pid" ] && PIDS+=("$(cat "$d/pid")")
}

# ---------------------------------------------------------------- redis-commander 0.9.0 + redis 7
rec_rcommander() {
  local r=$NET.10 d=$W/rc
  mkdir -p "$d/npm" "$d/h1" "$d/h2"
  if [ ! -f "$d/npm/node_modules/redis-commander/package.json" ]; then
    (cd "$d/npm" && npm_config_cache="$d/npm-cache" npm install --no-audit --no-fund redis-commander@0.9.0 >"$d/npm.log" 2>&1)
  fi
  bg root redis-server --bind "$r" --port 6379 --save '' --appendonly no --dir "$d"
  wait_port "$r" 6379 5 || return 1
  local k; for k in user:1 user:2 session:abc; do redis-cli -h "$r" set "$k" test >/dev/null; done
  redis-cli -h "$r" -n 2 set other test >/dev/null
  local js=$d/npm/node_modules/redis-commander/bin/redis-commander.js
  bg root env HOME="$d/h1" NODE_ENV=production node "$js" --address $NET.11 --port 8081 --redis-host "$r" --redis-port 6379 --nosave
  bg root env HOME="$d/h2" NODE_ENV=production node "$js" --address $NET.12 --port 8081 --redis-host "$r" --redis-port 6379 --nosave \
    --http-auth-username admin --http-auth-password rec-rc-pw
  wait_port $NET.11 8081 30 && wait_port $NET.12 8081 30 || return 1
  sleep 2
  local c
  c=$(casedir redis_commander/open-0.9.0); echo "redis-commander $NET.11 -> $c"
  raw $NET.11 8081 "$c/1.resp" GET /
  raw $NET.11 8081 "$c/2.resp" GET /apiv2/server/info
  c=$(casedir redis_commander/http-auth-0.9.0); echo "redis-commander $NET.12 -> $c"
  raw $NET.12 8081 "$c/1.resp" GET /
  raw $NET.12 8081 "$c/2.resp" GET /apiv2/server/info
  # the 34 KB page: keep the real head and the page's <head> (README.md there)
  for c in "$CASES"/redis_commander/{open,http-auth}-0.9.0; do python3 - "$c" <<'EOF'
import os, sys
c = sys.argv[1]
raw = open(c + "/1.resp", "rb").read()
he = raw.index(b"\r\n\r\n")
head = [l for l in raw[:he].split(b"\r\n") if not l.lower().startswith(b"content-length")]
body = raw[he + 4:]
cut = body.index(b"</head>") + len(b"</head>\n")
open(c + "/1.head", "wb").write(b"\n".join(head) + b"\n")
open(c + "/1.body", "wb").write(body[:cut] + b"<!-- ajar fixture: the rest of the 34 KB page is cut, see README.md -->\n</html>\n")
os.remove(c + "/1.resp")
EOF
  done
}

# ---------------------------------------------------------------- nginx + php-fpm: phpMyAdmin 5.2.1, Adminer 4.8.1
rec_web() {
  local w=$W/web my=$NET.13
  mkdir -p "$w/fpm" "$w/sessions" "$w/tmp" "$w/pma-tmp" "$w/my"
  mariadb-install-db --no-defaults --datadir="$w/my/data" --auth-root-authentication-method=normal \
    --skip-test-db --user=mysql >"$w/my/install.log" 2>&1
  chown -R mysql: "$w/my"
  bg mysql mariadbd --no-defaults --datadir="$w/my/data" --bind-address=$my --port=3306 --socket="$w/my/sock" \
    --skip-log-bin --innodb-buffer-pool-size=32M --performance-schema=OFF
  wait_port $my 3306 20 || return 1
  mariadb -h $my -uroot -e "CREATE DATABASE shop; CREATE TABLE shop.customers (id int, full_name varchar(50));"
  rm -rf "$w/pma"; cp -a /usr/share/phpmyadmin "$w/pma"
  sed -i "s|'configFile' => .*|'configFile' => getenv('AJAR_PMA_CONFIG') ?: '/etc/phpmyadmin/config.inc.php',|; s|'tempDir' => .*|'tempDir' => '$w/pma-tmp/',|" \
    "$w/pma/libraries/vendor_config.php"
  local mode
  for mode in cookie config; do cat >"$w/pma-$mode.inc.php" <<EOF
<?php
\$cfg['blowfish_secret'] = 'ajar-rec-0123456789abcdef0123456789ab';
\$cfg['Servers'][1]['host'] = '$my';
\$cfg['Servers'][1]['port'] = '3306';
\$cfg['Servers'][1]['connect_type'] = 'tcp';
\$cfg['Servers'][1]['auth_type'] = '$mode';
\$cfg['Servers'][1]['user'] = 'root';
\$cfg['Servers'][1]['password'] = '';
\$cfg['Servers'][1]['AllowNoPassword'] = true;
\$cfg['VersionCheck'] = false;
\$cfg['TempDir'] = '$w/pma-tmp';
EOF
  done
  cat >"$w/php-fpm.conf" <<EOF
[global]
pid = $w/fpm/php-fpm.pid
error_log = $w/php-fpm.err
daemonize = no
[rec]
user = www-data
group = www-data
listen = $w/fpm/php-fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 2
clear_env = no
php_admin_value[session.save_path] = $w/sessions
php_admin_value[upload_tmp_dir] = $w/tmp
EOF
  chown -R www-data: "$w/sessions" "$w/tmp" "$w/pma-tmp"
  bg root php-fpm8.2 -F -y "$w/php-fpm.conf"
  local php="location ~ \\.php\$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; fastcgi_pass unix:$w/fpm/php-fpm.sock;"
  cat >"$w/nginx.conf" <<EOF
daemon off;
user www-data www-data;
worker_processes 1;
pid $w/nginx.pid;
error_log $w/nginx.err;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $w/tmp/body; fastcgi_temp_path $w/tmp/fcgi; proxy_temp_path $w/tmp/proxy;
  uwsgi_temp_path $w/tmp/uwsgi; scgi_temp_path $w/tmp/scgi;
  server { listen $NET.14:80; root $w/pma; index index.php; $php fastcgi_param AJAR_PMA_CONFIG $w/pma-cookie.inc.php; } }
  server { listen $NET.15:80; root $w/pma; index index.php; $php fastcgi_param AJAR_PMA_CONFIG $w/pma-config.inc.php; } }
  server { listen $NET.16:80; root /etc/adminer; index conf.php; $php } }
  server { listen $NET.17:80; root /usr/share/nginx/html; index index.html; }
}
EOF
  sleep 0.5
  bg root nginx -e "$w/nginx.err" -c "$w/nginx.conf"
  wait_port $NET.17 80 10 || return 1
  local c
  cat >"$W/pma_excerpt.py" <<'EOF'
# phpMyAdmin pages are 20-150 KB; the replay test splits each response at every offset, so the case keeps
# the real headers and only the real lines of the page the probe reads (README.md in the case folder).
import sys
src, out = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
he = raw.index(b"\r\n\r\n")
head = [l for l in raw[:he].split(b"\r\n") if not l.lower().startswith((b"transfer-encoding", b"content-length"))]
body = raw[he + 4:]
if b"transfer-encoding: chunked" in raw[:he].lower():
    p, body, src_body = 0, b"", body
    while True:
        le = src_body.index(b"\r\n", p); n = int(src_body[p:le], 16); p = le + 2
        if n == 0: break
        body += src_body[p:p + n]; p += n + 2
keep, seen_v = [], False
for line in body.split(b"\n"):
    take = any(k in line for k in (b"<title", b"CommonParams.setAll", b"login_form", b"pma_username",
                                   b"route=/database/structure&db=", b"route=/logout", b"pma_navigation_tree"))
    if not take and b"?v=" in line and not seen_v:
        take = seen_v = True
    if take: keep.append(line.strip())
excerpt = b"<!DOCTYPE HTML>\n<!-- ajar fixture: real lines of the page, the rest cut (README.md) -->\n" + b"\n".join(keep) + b"\n"
open(out + "/1.head", "wb").write(b"\n".join(head) + b"\n")
open(out + "/1.body", "wb").write(excerpt)
print("  %s: body %d bytes, excerpt %d" % (out, len(body), len(excerpt)), file=sys.stderr)
EOF
  c=$(casedir phpmyadmin/login-5.2.1); echo "phpmyadmin $NET.14 -> $c"
  raw $NET.14 80 "$W/pma-cookie-full.resp" GET /
  python3 "$W/pma_excerpt.py" "$W/pma-cookie-full.resp" "$c"
  c=$(casedir phpmyadmin/auto-login-5.2.1); echo "phpmyadmin $NET.15 -> $c"
  raw $NET.15 80 "$W/pma-config-full.resp" GET /
  python3 "$W/pma_excerpt.py" "$W/pma-config-full.resp" "$c"
  c=$(casedir adminer/login-4.8.1); echo "adminer $NET.16 -> $c"
  raw $NET.16 80 "$c/1.resp" GET /
  c=$(casedir adminer/negative-nginx-default); echo "nginx $NET.17 -> $c"
  raw $NET.17 80 "$c/1.resp" GET /
}

[ $# -eq 0 ] && set -- etcd clickhouse influxdb prometheus rabbitmq rcommander web
for what in "$@"; do "rec_$what" || echo "record: $what failed" >&2; done
echo "work folder: $W (logs in $W/log)"
