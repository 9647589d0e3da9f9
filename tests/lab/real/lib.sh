# shellcheck shell=bash
# Helpers shared by tests/lab/lab and tests/lab/smoke. Sourced, not run.
# Everything lives under $LAB (runtime, removed by `lab down`) and $CACHE (npm packages,
# certificates and the phpMyAdmin copy; survives `lab down`).

LAB=${AJAR_LAB_DIR:-/tmp/ajar-lab}
CACHE=${AJAR_LAB_CACHE:-/var/cache/ajar-lab}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # tests/lab

say()  { printf '[lab] %s\n' "$*" >&2; }
warn() { printf '[lab] WARNING: %s\n' "$*" >&2; }

# Debian packages the real instances need (see /work/shared/LAB-NOTES.md).
LAB_PKGS=(redis-server redis-tools memcached postgresql-15 mariadb-server mariadb-client
  etcd-server etcd-client mosquitto mosquitto-clients influxdb clickhouse-server clickhouse-client
  prometheus rabbitmq-server zookeeperd nginx php-fpm php-mysql adminer phpmyadmin
  nats-server jupyter-notebook docker-registry apache2-utils slapd ldap-utils rsync
  openssl jq curl netcat-openbsd python3 util-linux iproute2)

ensure_pkgs() {
  local missing=() p
  for p in "${LAB_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  printf 'phpmyadmin phpmyadmin/dbconfig-install boolean false\nphpmyadmin phpmyadmin/reconfigure-webserver multiselect\n' \
    | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  # no package may start its system daemon (docker-registry would bind *:5000, in the way of
  # the lab's own registries): a policy-rc.d that says no, for the install only
  local policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"
  fi
  apt-get update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >"${TMPDIR:-/tmp}/ajar-lab-apt.log" 2>&1 \
    || { tail -20 "${TMPDIR:-/tmp}/ajar-lab-apt.log" >&2; [ -n "$policy" ] && rm -f "$policy"; return 1; }
  [ -n "$policy" ] && rm -f "$policy"
  return 0
}

# npm packages, each in its own folder under $CACHE/npm.
ensure_npm() {
  local spec name dir tmp
  for spec in pouchdb-server@4.2.0 redis-commander@0.9.0 s3rver@3.7.1; do
    name=${spec%@*}; dir=$CACHE/npm/$name
    [ -f "$dir/node_modules/$name/package.json" ] && \
      [ "$(jq -r .version "$dir/node_modules/$name/package.json")" = "${spec#*@}" ] && continue
    say "npm install $spec (about a minute)"
    mkdir -p "$dir"; tmp=$(mktemp -d)
    (cd "$dir" && npm_config_cache=$tmp npm install --no-audit --no-fund --loglevel=error "$spec" >"$tmp/log" 2>&1) \
      || { tail -20 "$tmp/log" >&2; rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
  done
}

# as USER CMD...: run CMD as USER (name or uid) with no supplementary groups.
as() {
  local u=$1; shift
  local uid gid
  uid=$(id -u "$u"); gid=$(id -g "$u")
  setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
}

pidfile() { echo "$LAB/pids/$1.pid"; }
# state NAME: the stamp that says NAME was seeded (by its ready_* in services.sh)
state() { echo "$LAB/state/$1.seeded"; }

# lab_stale: $LAB was written during an earlier boot (its boot_id differs): the pids it
# records now name other processes, and what it says is seeded is gone.
boot_id() { cat /proc/sys/kernel/random/boot_id 2>/dev/null; }
lab_stale() { [ -s "$LAB/boot_id" ] && [ "$(cat "$LAB/boot_id")" != "$(boot_id)" ]; }

# alive NAME: the recorded pid exists and is not a zombie.
alive() {
  local f; f=$(pidfile "$1"); [ -s "$f" ] || return 1
  local p; p=$(cat "$f"); local st
  st=$(ps -o stat= -p "$p" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# run_bg NAME USER CMD...: start CMD in its own session as USER, log to logs/NAME.log,
# pid in pids/NAME.pid. USER "root" means no setpriv (documented per call site).
run_bg() {
  local name=$1 user=$2; shift 2
  local log=$LAB/logs/$name.log
  # a process started now holds none of the data an earlier one was seeded with
  rm -f "$(state "$name")"
  if [ "$user" = root ]; then
    setsid "$@" >>"$log" 2>&1 </dev/null &
  else
    local uid gid; uid=$(id -u "$user"); gid=$(id -g "$user")
    setsid setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@" >>"$log" 2>&1 </dev/null &
  fi
  echo $! >"$(pidfile "$name")"
}

# kill_pid PID: SIGTERM to its process group and itself, SIGKILL after a few seconds.
kill_pid() {
  local p=$1 i st
  [ -n "$p" ] || return 0
  kill -TERM -- "-$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 50); do
    st=$(ps -o stat= -p "$p" 2>/dev/null) || break
    case $st in Z*) break;; esac
    sleep 0.1
  done
  kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null
  return 0
}

# tcp_open ADDR PORT: one connect attempt, 1 s.
tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# wait_tcp ADDR PORT SECONDS [NAME]: poll until the port accepts.
wait_tcp() {
  local a=$1 p=$2 t=${3:-20} name=${4:-} i
  for i in $(seq 1 $((t * 5))); do
    tcp_open "$a" "$p" && return 0
    if [ -n "$name" ] && ! alive "$name"; then warn "$name died; see $LAB/logs/$name.log"; tail -5 "$LAB/logs/$name.log" >&2; return 1; fi
    sleep 0.2
  done
  warn "timeout waiting for $a:$p ${name:+($name)}"; return 1
}

# wait_cmd SECONDS CMD...: poll CMD until it succeeds.
wait_cmd() {
  local t=$1 i; shift
  for i in $(seq 1 $((t * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  return 1
}

# ver STRING: leading dotted version number (10.11.6-MariaDB-0+deb12u1 -> 10.11.6).
ver() { grep -oE '[0-9]+(\.[0-9]+)+' <<<"$1" | head -1; }

# emit: write one manifest entry to $LAB/manifest.d/ID.json.
#   emit ID ADDR PORT TRANSPORT SERVICE PRODUCT VERSION AUTH TLS_JSON DATA_JSON VIA_JSON NOTES
emit() {
  local id=$1 addr=$2 port=$3 tr=$4 svc=$5 prod=$6 v=$7 auth=$8 tls=${9:-null} data=${10:-'{}'} via=${11:-null} notes=${12:-}
  jq -n --arg id "$id" --arg a "$addr" --argjson p "$port" --arg tr "$tr" --arg s "$svc" --arg pr "$prod" \
     --arg v "$v" --arg au "$auth" --argjson tls "$tls" --argjson data "$data" --argjson via "$via" --arg n "$notes" \
     '{id:$id,address:$a,port:$p,transport:$tr,service:$s,product:$pr,version:(if $v=="" then null else $v end),
       auth:$au,tls:$tls,data:$data,via:$via,kind:"real",notes:$n}' >"$LAB/manifest.d/$id.json"
}

# via ADDR PORT SERVICE
via() { jq -nc --arg a "$1" --argjson p "$2" --arg s "$3" '{address:$a,port:$p,service:$s}'; }

# cert_facts PEMFILE: the manifest "tls" object of a certificate.
cert_facts() {
  local f=$1 fp subj iss nb na ss=false bits alg key
  fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
  subj=$(openssl x509 -in "$f" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p' | head -1)
  iss=$(openssl x509 -in "$f" -noout -issuer -nameopt multiline | sed -n 's/^ *commonName *= *//p' | head -1)
  nb=$(date -u -d "$(openssl x509 -in "$f" -noout -startdate | sed 's/.*=//')" +%Y-%m-%dT%H:%M:%SZ)
  na=$(date -u -d "$(openssl x509 -in "$f" -noout -enddate | sed 's/.*=//')" +%Y-%m-%dT%H:%M:%SZ)
  # self-signed: issuer equals subject and the certificate verifies with its own key
  if [ "$(openssl x509 -in "$f" -noout -subject_hash)" = "$(openssl x509 -in "$f" -noout -issuer_hash)" ] &&
     openssl verify -no_check_time -CAfile "$f" "$f" >/dev/null 2>&1; then ss=true; fi
  alg=$(openssl x509 -in "$f" -noout -text | sed -n 's/^ *Public Key Algorithm: *//p' | head -1)
  bits=$(openssl x509 -in "$f" -noout -text | grep -oE 'Public-Key: \(([0-9]+) bit' | grep -oE '[0-9]+' | head -1)
  case $alg in rsaEncryption) key=rsa-$bits;; id-ecPublicKey) key=ec-$bits;; *) key=$alg-$bits;; esac
  jq -nc --arg fp "$fp" --arg s "$subj" --arg i "$iss" --arg nb "$nb" --arg na "$na" --argjson ss $ss --arg k "$key" \
    '{sha256:$fp,subject_cn:$s,issuer_cn:$i,not_before:$nb,not_after:$na,self_signed:$ss,key:$k}'
}

# served_cert ADDR PORT [SNI]: the leaf certificate the server presents, PEM on stdout.
served_cert() {
  local sni=()
  [ -n "${3:-}" ] && sni=(-servername "$3")
  openssl s_client -connect "$1:$2" "${sni[@]}" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>/dev/null \
    | openssl x509 2>/dev/null
}
