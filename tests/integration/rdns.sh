#!/usr/bin/env bash
# Integration: `ajar scan --rdns` (docs/attribution.md, "Names: --rdns"). 127.0.174.0/24 is this
# test's; every DNS query goes to a resolver the test starts on loopback.
#  - dnsmasq on 127.0.174.53:5353 (its own hosts file and PTR records, no upstream): the PTR names
#    are in the --no-db stream, the -o file (rewritten at the end), the store's
#    observations.record and `ajar report`; one query per address whatever its ports
#  - a TLS service: its certificate's CN and SAN DNS names after the PTR name, the IP SAN left out
#  - without --rdns the records have neither "hostnames" nor "ptr"
#  - a resolver that never answers (127.0.174.54): the scan ends within --rdns-timeout plus slack,
#    with "ptr":[]
#  - hostile answers (127.0.174.55): too many names kept to 4, the overlong one, an address and a
#    duplicate dropped; an answer with bad labels refused whole
#  - usage: --resolver must be an IP address, and needs --rdns
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
if [ ! -x "$DNSMASQ" ]; then
    bad "dnsmasq is not installed (scripts/deps.sh test installs dnsmasq-base)"
    t_end
    exit 1
fi
R=127.0.174
P=18080
REV=174.0.127 # $R reversed, for in-addr.arpa

wait_udp() { # addr:port
    for _ in $(seq 100); do ss -Huln "src ${1%:*}" | grep -q ":${1##*:}\b" && return 0; sleep 0.05; done
    return 1
}
ms() { date +%s%3N; }
# ---- the resolver with names ----
printf '%s.1 db1.example.test\n%s.5 web1.example.test\n' $R $R >"$T_TMP/hosts"
user=()
[ "$(id -u)" -eq 0 ] && user=(--user=root)
bg "$DNSMASQ" --conf-file=/dev/null --keep-in-foreground --bind-interfaces \
    --listen-address=$R.53 --port=5353 --no-resolv --no-hosts --addn-hosts="$T_TMP/hosts" \
    --ptr-record=2.$REV.in-addr.arpa,a.example.test --ptr-record=2.$REV.in-addr.arpa,b.example.test \
    --pid-file= "${user[@]}" --log-queries --log-facility="$T_TMP/dnsmasq.log"
dnsmasq_pid=$!
for m in drop:54 many:55 badlabels:56; do
    bg python3 tests/tools/dns_responder.py --mode ${m%:*} --log "$T_TMP/${m%:*}.log" \
        $R.${m#*:}:5353 >/dev/null
done
for a in $R.53:5353 $R.54:5353 $R.55:5353 $R.56:5353; do
    wait_udp $a || { bad "resolver $a did not start"; t_end; exit 1; }
done
sleep 0.2
kill -0 $dnsmasq_pid 2>/dev/null || { bad "dnsmasq did not start (address in use?)"; t_end; exit 1; }
start_listeners "$T_TMP/conns" --banner "hello" $R.1:$P $R.1:18081 $R.2:$P $R.3:$P $R.4:$P ||
    { bad "listeners"; t_end; exit 1; }

# a TLS service whose certificate names it (and its address)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" -subj /CN=Web1.Example.Test \
    -addext "subjectAltName=DNS:*.example.test,DNS:web1.example.test,IP:$R.5,DNS:api.example.test" \
    >/dev/null 2>&1
mkdir -p "$T_TMP/www"
bg python3 -c '
import functools, http.server, ssl, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[4])
s = http.server.HTTPServer((sys.argv[1], 8443), h)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()' $R.5 "$T_TMP/cert.pem" "$T_TMP/key.pem" "$T_TMP/www" 2>/dev/null
for _ in $(seq 100); do ss -Htln "src $R.5" | grep -q ':8443\b' && break; sleep 0.05; done

# ---- names in the stream (--no-db) ----
"$AJAR" scan --no-db -q --rate 0 -p $P,18081 --rdns --resolver $R.53:5353 $R.1-$R.3 \
    >"$T_TMP/stream.jsonl"
check_eq "--no-db scan exit status" "$?" 0
check_eq "stream: 4 records" "$(wc -l <"$T_TMP/stream.jsonl")" 4
check_eq "stream: the PTR name of .1 on both its ports" \
    "$(jq -c 'select(.ip=="'$R.1'") | [.hostnames, .ptr]' "$T_TMP/stream.jsonl" | sort -u)" \
    '[["db1.example.test"],["db1.example.test"]]'
check_eq "stream: both PTR names of .2" \
    "$(jq -c 'select(.ip=="'$R.2'") | [(.hostnames|sort), (.ptr|sort)]' "$T_TMP/stream.jsonl")" \
    '[["a.example.test","b.example.test"],["a.example.test","b.example.test"]]'
check_eq "stream: .3 has no name: ptr [] and no hostnames" \
    "$(jq -c 'select(.ip=="'$R.3'") | [has("hostnames"), .ptr]' "$T_TMP/stream.jsonl")" '[false,[]]'
check_eq "one PTR query for .1 whatever its ports" \
    "$(grep -c "query\[PTR\] 1.$REV.in-addr.arpa" "$T_TMP/dnsmasq.log")" 1
check "records with names pass the schema" python3 -c '
import json, sys, jsonschema
s = json.load(open("docs/record.schema.json"))
for l in open(sys.argv[1]):
    jsonschema.validate(json.loads(l), s)' "$T_TMP/stream.jsonl"

# ---- --discovery-only: the PTR names on the open-port records ----
"$AJAR" scan --no-db -q --rate 0 -p $P --discovery-only --rdns --resolver $R.53:5353 $R.1 \
    >"$T_TMP/disc.jsonl"
check_eq "--discovery-only --rdns: the PTR name" "$(jq -c '[.hostnames, .ptr, has("service")]' \
    "$T_TMP/disc.jsonl")" '[["db1.example.test"],["db1.example.test"],false]'

# ---- without --rdns: neither member ----
"$AJAR" scan --no-db -q --rate 0 -p $P $R.1-$R.2 >"$T_TMP/plain.jsonl"
check_eq "without --rdns: no hostnames, no ptr" \
    "$(jq -c 'has("hostnames") or has("ptr")' "$T_TMP/plain.jsonl" | sort -u)" false

# ---- the store, the -o file, the report ----
"$AJAR" scan -q --rate 0 -p $P --rdns --resolver $R.53:5353 $R.1-$R.2 -o "$T_TMP/out.jsonl" \
    >/dev/null
check_eq "stored scan exit status" "$?" 0
check_eq "-o file (rewritten at the end): the names" \
    "$(jq -r 'select(.ip=="'$R.1'") | .hostnames[0]' "$T_TMP/out.jsonl")" db1.example.test
check_eq "-o file carries first_seen (the store's final view)" \
    "$(jq -r 'select(.ip=="'$R.1'") | .first_seen != null' "$T_TMP/out.jsonl")" true
check_eq "store: observations.record has the names" \
    "$(sqlite3 "$AJAR_DB" "select record from observations" | jq -r 'select(.ip=="'$R.1'") | .ptr[0]')" \
    db1.example.test
check_eq "report --format jsonl: the names" \
    "$("$AJAR" report --format jsonl | jq -r 'select(.ip=="'$R.2'") | .hostnames | sort | join(",")')" \
    a.example.test,b.example.test

# ---- certificate names after the PTR name ----
"$AJAR" scan --no-db -q --rate 0 -p 8443 --rdns --resolver $R.53:5353 $R.5 >"$T_TMP/tls.jsonl"
check_eq "TLS: PTR name, then the certificate's CN and DNS SANs (wildcard kept, IP left out)" \
    "$(jq -c '[.hostnames, .ptr, (.tls != null)]' "$T_TMP/tls.jsonl")" \
    '[["web1.example.test","*.example.test","api.example.test"],["web1.example.test"],true]'

# ---- a resolver that never answers ----
t0=$(ms)
"$AJAR" scan --no-db -q --rate 0 -p $P --rdns --rdns-timeout 1000 --resolver $R.54:5353 \
    $R.1-$R.4 >"$T_TMP/drop.jsonl"
rc=$?
t1=$(ms)
check_eq "silent resolver: exit status" "$rc" 0
check_eq "silent resolver: every record written" "$(wc -l <"$T_TMP/drop.jsonl")" 4
check_eq "silent resolver: ptr [] and no hostnames" \
    "$(jq -c '[has("hostnames"), .ptr]' "$T_TMP/drop.jsonl" | sort -u)" '[false,[]]'
check "silent resolver: the scan ends within 1 s + 2 s slack ($((t1 - t0)) ms)" \
    test $((t1 - t0)) -lt 3000
check "silent resolver: it was asked (and nothing else was)" grep -q "in-addr.arpa 12" "$T_TMP/drop.log"
t0=$(ms)
"$AJAR" scan --no-db -q --rate 0 -p $P --rdns --resolver $R.54:5353 $R.1 >/dev/null
t1=$(ms)
check "silent resolver, default bound (3 s): ends within 3 s + 2 s slack ($((t1 - t0)) ms)" \
    test $((t1 - t0)) -lt 5000

# ---- killed while findings wait for their names: the checkpoint was held back, resume finds them ----
export AJAR_DB=$T_TMP/killed.db
n0=$(wc -l <"$T_TMP/drop.log")
"$AJAR" scan -q --rate 0 -p $P --rdns --rdns-timeout 8000 --resolver $R.54:5353 $R.1-$R.3 \
    >/dev/null 2>&1 &
sp=$!
for _ in $(seq 100); do [ "$(wc -l <"$T_TMP/drop.log")" -ge $((n0 + 3)) ] && break; sleep 0.05; done
sleep 0.3
kill -9 $sp
wait $sp 2>/dev/null
check_eq "killed while waiting: nothing stored yet" \
    "$(sqlite3 "$AJAR_DB" "select count(*) from observations")" 0
check_eq "killed while waiting: the checkpoint stayed before the waiting findings" \
    "$(sqlite3 "$AJAR_DB" "select checkpoint from scans")" 0
"$AJAR" scan -q --resume --rdns --rdns-timeout 300 >"$T_TMP/resumed.jsonl" 2>/dev/null
check_eq "resumed: exit status" "$?" 0
check_eq "resumed: the 3 findings" "$(sqlite3 "$AJAR_DB" "select count(*) from observations")" 3
export AJAR_DB=$T_TMP/ajar.db

# ---- ajar probe passes the options on (FILE after the options' values) ----
printf '%s:%s\n' $R.1 $P >"$T_TMP/pairs"
"$AJAR" probe --no-db -q --rdns --rdns-timeout 2000 --resolver $R.53:5353 "$T_TMP/pairs" \
    >"$T_TMP/probe.jsonl"
check_eq "ajar probe --rdns: exit status" "$?" 0
check_eq "ajar probe --rdns: the PTR name" "$(jq -c .ptr "$T_TMP/probe.jsonl")" '["db1.example.test"]'

# ---- hostile answers ----
"$AJAR" scan --no-db -q --rate 0 -p $P --rdns --resolver $R.55:5353 $R.3 >"$T_TMP/many.jsonl"
check_eq "many PTRs: exit status" "$?" 0
check_eq "many PTRs: 4 kept, normalised, overlong/address/duplicate dropped" \
    "$(jq -c .ptr "$T_TMP/many.jsonl")" '["upper.example.test","n1.ex","n2.ex","n3.ex"]'
check "many PTRs: every name a host name of at most 253 bytes" jq -e -n \
    '[inputs] | all(.[].hostnames[]; test("^[a-z0-9_.-]{1,253}$"))' "$T_TMP/many.jsonl" >/dev/null
"$AJAR" scan --no-db -q --rate 0 -p $P --rdns --resolver $R.56:5353 $R.3 >"$T_TMP/bad.jsonl"
check_eq "bad labels: exit status" "$?" 0
check_eq "bad labels: the answer refused whole" "$(jq -c .ptr "$T_TMP/bad.jsonl")" '[]'

# ---- IPv6: a found ::1 asked as ip6.arpa, of a resolver given as [::1]:PORT ----
if ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
    bg python3 tests/tools/dns_responder.py --mode many --log "$T_TMP/v6.log" '[::1]:5354' >/dev/null
    start_listeners "$T_TMP/conns6" --banner "hello" '[::1]:18082' || bad "v6 listener"
    wait_udp '[::1]:5354' || bad "v6 resolver did not start"
    "$AJAR" scan --no-db -q --rate 0 -p 18082 --rdns --resolver '[::1]:5354' ::1 >"$T_TMP/v6.jsonl"
    check_eq "IPv6: exit status" "$?" 0
    check_eq "IPv6: the names" "$(jq -c .ptr "$T_TMP/v6.jsonl")" '["upper.example.test","n1.ex","n2.ex","n3.ex"]'
    check "IPv6: asked as ip6.arpa (PTR)" grep -q "^1\.0\.0\..*\.ip6\.arpa 12$" "$T_TMP/v6.log"
fi

# ---- usage ----
before=$(wc -l <"$T_TMP/conns")
for args in "--rdns --resolver dns.example.com" "--rdns --resolver $R.53:0" \
    "--rdns --resolver $R.53:99999" "--resolver $R.53" "--rdns-timeout 500" \
    "--rdns --rdns-timeout 5" "--rdns --rdns-timeout x"; do
    # shellcheck disable=SC2086
    "$AJAR" scan --no-db -q -p $P $args $R.1 >"$T_TMP/usage.out" 2>"$T_TMP/usage.err"
    check_eq "usage: $args: exit 2" "$?" 2
    check_eq "usage: $args: one line" "$(wc -l <"$T_TMP/usage.err")" 1
done
sleep 0.2
check_eq "usage errors connected nowhere" "$(wc -l <"$T_TMP/conns")" "$before"
t_end
