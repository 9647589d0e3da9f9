#!/bin/bash
# tests/probe/tools/record-a.sh -- record the replay fixtures of the Redis,
# Memcached, MQTT and ZooKeeper probes from REAL servers (Debian's redis-server
# 7.0, memcached 1.6, mosquitto 2.0, zookeeper 3.8).
#
#   bash tests/probe/tools/record-a.sh            (from the repository root, as root)
#
# Starts its own short-lived instances on 127.0.151.0/24 only, runs each probe
# against them with record-a (record-a.c: the probe's own requests, each turn's
# answer saved as N.resp / N.eof in tests/probe/cases/<probe>/<case>/), and
# stops them by pid. expect.json files are written by hand, not here.
# Redis protected mode needs a client source other than 127.0.0.1: like the
# lab, a local route with `src 127.0.151.10` is added for that one address and
# removed afterwards. Needs build-asan/libajar.a (make asan, or at least the
# library).
set -u
cd "$(dirname "$0")/../../.."
ROOT=$PWD
T=$(mktemp -d /tmp/record-a.XXXXXX); chmod 755 "$T"   # servers drop to their own users
CASES=$ROOT/tests/probe/cases
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  ip route del local 127.0.151.10/32 dev lo table local 2>/dev/null
  sleep 0.5
  rm -rf "$T"
}
trap cleanup EXIT

L=$(pkg-config --libs openssl sqlite3 jansson libpq libmicrohttpd libargon2)
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Isrc -O1 -g -o "$T/record-a" tests/probe/tools/record-a.c \
  -Wl,--whole-archive build-asan/libajar.a -Wl,--no-whole-archive -fsanitize=address,undefined $L -lm -lpthread || exit 1
REC=$T/record-a

bg() { "$@" >"$T/log.$#.$RANDOM" 2>&1 & PIDS+=($!); }
waitport() { for _ in $(seq 50); do nc -z "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done; echo "no $1:$2" >&2; return 1; }
record() {   # PROBE CASE IP PORT
  local d=$CASES/$1/$2
  mkdir -p "$d"; rm -f "$d"/*.resp "$d"/*.eof
  echo "== $1/$2"; "$REC" "$1" "$3" "$4" "$d" | grep -E '"(version|auth|records|bytes)"|rc='
}

# ---- Redis 7 ----
bg redis-server --bind 127.0.151.1 --port 6379 --save '' --appendonly no --dir "$T" --protected-mode no
bg redis-server --bind 127.0.151.2 --port 6379 --save '' --appendonly no --dir "$T" --requirepass lab-a-pw
ip route replace local 127.0.151.10/32 dev lo src 127.0.151.10 table local
bg redis-server --bind 127.0.151.10 --port 6379 --save '' --appendonly no --dir "$T" --protected-mode yes --enable-protected-configs no
# an ACL user "default" without +info: NOPERM
bg redis-server --bind 127.0.151.11 --port 6379 --save '' --appendonly no --dir "$T" --protected-mode no
waitport 127.0.151.1 6379; waitport 127.0.151.2 6379; waitport 127.0.151.10 6379; waitport 127.0.151.11 6379
{ for i in $(seq 1 120); do echo "SET user:$i test-$i"; done; } | redis-cli -h 127.0.151.1 >/dev/null
{ for i in $(seq 1 7); do echo "SET queue:$i test-$i"; done; } | redis-cli -h 127.0.151.1 -n 1 >/dev/null
redis-cli -h 127.0.151.1 -n 1 expire queue:1 3600 >/dev/null
redis-cli -h 127.0.151.11 acl setuser default on nopass '~*' '&*' +@all -info >/dev/null
record redis open 127.0.151.1 6379
record redis requirepass 127.0.151.2 6379
record redis protected-mode 127.0.151.10 6379
record redis acl-noperm 127.0.151.11 6379

# ---- Memcached 1.6 ----
printf 'labuser:lab-a-pw\n' >"$T/mc-auth"; chmod 644 "$T/mc-auth"
mkdir -p "$T/sasl"; printf 'mech_list: plain\nsasldb_path: %s/sasl/sasldb2\n' "$T" >"$T/sasl/memcached.conf"
bg memcached -l 127.0.151.3 -p 11211 -U 0 -u nobody
bg memcached -l 127.0.151.4 -p 11211 -U 0 -u nobody -Y "$T/mc-auth"
bg env SASL_CONF_PATH="$T/sasl" memcached -l 127.0.151.5 -p 11211 -U 0 -u nobody -S
waitport 127.0.151.3 11211; waitport 127.0.151.4 11211; waitport 127.0.151.5 11211
{ for i in $(seq 1 25); do printf 'set item:%d 0 0 %d\r\ntest-%d\r\n' "$i" $((5 + ${#i})) "$i"; done; printf 'quit\r\n'; } |
  nc -q1 127.0.151.3 11211 >/dev/null
record memcached open 127.0.151.3 11211
record memcached ascii-auth 127.0.151.4 11211
# -S: the server waits in silence for a binary header; record-a times out (3 s) and the
# probe retries in binary. The replay harness models that silence as a close (1.eof).
record memcached sasl-binary 127.0.151.5 11211
touch "$CASES/memcached/sasl-binary/1.eof"

# ---- Mosquitto 2.0 ----
mosquitto_passwd -b -c "$T/mq.passwd" labuser lab-a-pw 2>/dev/null; chmod 644 "$T/mq.passwd"
printf 'listener 1883 127.0.151.6\nallow_anonymous true\npersistence false\n' >"$T/mq1.conf"
printf 'listener 1883 127.0.151.7\nallow_anonymous false\npassword_file %s/mq.passwd\npersistence false\n' "$T" >"$T/mq2.conf"
bg mosquitto -c "$T/mq1.conf"
bg mosquitto -c "$T/mq2.conf"
waitport 127.0.151.6 1883; waitport 127.0.151.7 1883
record mqtt anonymous 127.0.151.6 1883
record mqtt password-file 127.0.151.7 1883

# ---- ZooKeeper 3.8 ----
ZK_CP=/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-simple.jar
for i in 8 9; do
  wl=srvr,mntr,envi,ruok; [ $i = 9 ] && wl=ruok
  mkdir -p "$T/zk$i"
  printf 'tickTime=2000\ndataDir=%s/zk%s\nclientPort=2181\nclientPortAddress=127.0.151.%s\nadmin.enableServer=false\n4lw.commands.whitelist=%s\n' \
    "$T" $i $i $wl >"$T/zk$i.cfg"
  bg java -Xmx128m -Xss512k -XX:+UseSerialGC -cp "$ZK_CP:/usr/share/java/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$T/zk$i.cfg"
done
waitport 127.0.151.8 2181; waitport 127.0.151.9 2181
printf '%s\n' "create /shop test-1" "create /shop/customers test-1" "create /metrics test-1" quit |
  JAVA_OPTS="-Xmx64m" timeout 60 /usr/share/zookeeper/bin/zkCli.sh -server 127.0.151.8:2181 >"$T/zkcli.log" 2>&1
record zookeeper 4lw-open 127.0.151.8 2181
record zookeeper whitelist-ruok 127.0.151.9 2181
echo "done"
