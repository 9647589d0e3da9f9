#!/usr/bin/env bash
# Integration: attribution of records (--asn-db, --geo-db, --cloud-ranges), on 127.0.170.0/24.
#  - without the options the records carry no network/geo/cloud key, and are otherwise the
#    same as with them
#  - MaxMind DB files built here (tests/tools/make-mmdb.pl) give network {asn, org, prefix},
#    geo {country} and cloud (the built-in AS table, or a range file's region and service)
#  - they survive the store: the -o file rewritten from it at the end, `ajar report`
#  - `ajar report --by provider|asn|country` ("unknown" without the field), the CSV columns,
#    SARIF's properties, the clusters' spread
#  - `ajar probe` takes the same options
#  - a truncated, foreign or misplaced file: exit 2, one line naming it, no connection made
# Only loopback traffic: a Redis-like listener on two addresses of 127.0.170.0/24.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

R=127.0.170
cat >"$T_TMP/redis.py" <<'PY'
import socket, sys, threading
info = b"# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"
log = open(sys.argv[1], "a", buffering=1)
def serve(s):
    while True:
        c, a = s.accept()
        log.write("%s\n" % (s.getsockname()[0],))
        try:
            data = b""
            while b"INFO\r\n" not in data:
                d = c.recv(4096)
                if not d: break
                data += d
            c.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
        except OSError:
            pass
        c.close()
for a in sys.argv[2:]:
    h, p = a.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p))); s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
: >"$T_TMP/conns"
bg python3 "$T_TMP/redis.py" "$T_TMP/conns" $R.5:6379 $R.200:6379 >"$T_TMP/redis.ready" 2>&1
for _ in $(seq 100); do grep -q ready "$T_TMP/redis.ready" && break; sleep 0.05; done
check "listener up" grep -q ready "$T_TMP/redis.ready"

for l in asn country foreign; do
    perl tests/tools/make-mmdb.pl $l "$T_TMP/$l.mmdb" || bad "make-mmdb.pl $l"
done
cat >"$T_TMP/aws.json" <<'JSON'
{"syncToken":"1","createDate":"2026-01-01-00-00-00",
 "prefixes":[{"ip_prefix":"127.0.170.128/25","region":"test-region-1","service":"EC2","network_border_group":"test-region-1"}],
 "ipv6_prefixes":[]}
JSON
ATTR=(--asn-db "$T_TMP/asn.mmdb" --geo-db "$T_TMP/country.mmdb" --cloud-ranges "$T_TMP/aws.json")
rec() { jq -c "select(.ip==\"$2\") | $3" "$1"; }

# ---- without the options: no attribution key ----
"$AJAR" scan -q --no-db -p 6379 --rate 0 $R.5 $R.200 -o "$T_TMP/plain.jsonl"
check_eq "plain scan: exit 0" "$?" 0
check_eq "plain scan: 2 records" "$(wc -l <"$T_TMP/plain.jsonl")" 2
check_eq "plain: no network, geo or cloud key" \
    "$(jq -c 'select(has("network") or has("geo") or has("cloud"))' "$T_TMP/plain.jsonl" | wc -l)" 0

# ---- with them ----
"$AJAR" scan -q --no-db -p 6379 --rate 0 "${ATTR[@]}" $R.5 $R.200 -o "$T_TMP/attr.jsonl"
check_eq "attributed scan: exit 0" "$?" 0
check_eq "network of $R.5" "$(rec "$T_TMP/attr.jsonl" $R.5 .network)" \
    '{"asn":37963,"org":"Hangzhou Alibaba Advertising Co.,Ltd.","prefix":"127.0.170.0/24"}'
check_eq "geo of $R.5" "$(rec "$T_TMP/attr.jsonl" $R.5 .geo)" '{"country":"CN"}'
check_eq "cloud of $R.5 (AS table)" "$(rec "$T_TMP/attr.jsonl" $R.5 .cloud)" \
    '{"provider":"alibaba-cloud","region":null,"service":null}'
check_eq "cloud of $R.200 (range file)" "$(rec "$T_TMP/attr.jsonl" $R.200 .cloud)" \
    '{"provider":"aws","region":"test-region-1","service":"EC2"}'
strip='del(.network,.geo,.cloud,.time) | tostring'
check_eq "otherwise the same records" "$(jq -r "$strip" "$T_TMP/attr.jsonl" | sort)" \
    "$(jq -r "$strip" "$T_TMP/plain.jsonl" | sort)"
if python3 -c 'import jsonschema' 2>/dev/null; then
    check "records valid against docs/record.schema.json" python3 -c '
import json, sys, jsonschema
s = json.load(open("docs/record.schema.json"))
for line in open(sys.argv[1]):
    jsonschema.validate(json.loads(line), s)
' "$T_TMP/attr.jsonl"
fi

# ---- through the store: the -o file rewritten at the end, the report ----
"$AJAR" scan -q --db "$T_TMP/s.db" -p 6379 --rate 0 "${ATTR[@]}" $R.5 -o "$T_TMP/stored.jsonl"
check_eq "stored scan: exit 0" "$?" 0
check_eq "the rewritten -o file keeps network" "$(rec "$T_TMP/stored.jsonl" $R.5 .network.asn)" 37963
check_eq "report keeps geo" \
    "$("$AJAR" report --db "$T_TMP/s.db" --format jsonl | jq -r .geo.country)" CN

# ---- ajar report --by provider|asn|country, the CSV columns, the clusters' spread ----
"$AJAR" scan -q --db "$T_TMP/by.db" -p 6379 --rate 0 "${ATTR[@]}" $R.5 $R.200 >/dev/null
check_eq "grouped scan: exit 0" "$?" 0
"$AJAR" report --db "$T_TMP/by.db" --by provider >"$T_TMP/by-provider.txt"
check_eq "report --by provider: exit 0" "$?" 0
check "--by provider: Alibaba Cloud's section" grep -q "^Provider: Alibaba Cloud (1 finding)" \
    "$T_TMP/by-provider.txt"
check "--by provider: AWS's section" grep -q "^Provider: AWS (1 finding)" "$T_TMP/by-provider.txt"
check "--by provider: the totals" grep -q "^  AWS  *1  *1 " "$T_TMP/by-provider.txt"
check "--by asn: one AS" bash -c "'$AJAR' report --db '$T_TMP/by.db' --by asn |
    grep -q '^ASN: AS37963 Hangzhou Alibaba Advertising Co.,Ltd. (2 findings)'"
check "--by country" bash -c "'$AJAR' report --db '$T_TMP/by.db' --by country | grep -q '^Country: CN (2 findings)'"
check "--by provider, html" bash -c "'$AJAR' report --db '$T_TMP/by.db' --by provider --format html |
    grep -q '<h2>By provider</h2>'"
"$AJAR" report --db "$T_TMP/by.db" --format csv >"$T_TMP/by.csv"
check "csv: the attribution columns last" \
    grep -q ',signals_json,asn,org,country,provider,region,hostnames.$' "$T_TMP/by.csv"
check "csv: $R.200's row" grep -q ',37963,"Hangzhou Alibaba Advertising Co.,Ltd.",CN,aws,test-region-1,.$' \
    "$T_TMP/by.csv"
check "sarif: cloud among the properties" bash -c "'$AJAR' report --db '$T_TMP/by.db' --format sarif |
    jq -e '[.runs[0].results[].properties.cloud.provider] | index(\"aws\")' >/dev/null"
# the two Redis answer alike: one cluster, on two providers of one AS
check "--clusters: the spread" bash -c "'$AJAR' report --db '$T_TMP/by.db' --clusters |
    grep -q '^    2 members: 1 AWS (AS37963), 1 Alibaba Cloud (AS37963)$'"
# a record without the field is under "unknown": only a range file, so $R.5 has no cloud
"$AJAR" scan -q --db "$T_TMP/by2.db" -p 6379 --rate 0 --cloud-ranges "$T_TMP/aws.json" $R.5 $R.200 >/dev/null
"$AJAR" report --db "$T_TMP/by2.db" --by provider >"$T_TMP/by2.txt"
check "--by provider: unknown last" bash -c "grep '^Provider:' '$T_TMP/by2.txt' | tr '\n' '|' |
    grep -qx 'Provider: AWS (1 finding)|Provider: unknown (1 finding)|'"
check "--by asn without --asn-db: all unknown" bash -c "'$AJAR' report --db '$T_TMP/by2.db' --by asn |
    grep -q '^ASN: unknown (2 findings)'"
check_eq "--by bogus: exit 2" "$("$AJAR" report --db "$T_TMP/by2.db" --by org >/dev/null 2>&1; echo $?)" 2
check_eq "--owners with --by provider: exit 2" \
    "$("$AJAR" report --db "$T_TMP/by2.db" --by provider --owners /dev/null >/dev/null 2>&1; echo $?)" 2

# ---- probe ----
echo "$R.200:6379" | "$AJAR" probe -q --no-db "${ATTR[@]}" >"$T_TMP/probe.jsonl"
check_eq "probe: exit 0" "$?" 0
check_eq "probe: cloud region" "$(jq -r .cloud.region "$T_TMP/probe.jsonl")" test-region-1

# ---- bad files: exit 2, one line, nothing sent ----
before=$(wc -l <"$T_TMP/conns")
head -c 700 "$T_TMP/asn.mmdb" >"$T_TMP/cut.mmdb"
refused() { # name, expected text, options...
    local name=$1 want=$2; shift 2
    "$AJAR" scan -q --no-db -p 6379 --rate 0 "$@" $R.5 >/dev/null 2>"$T_TMP/err"
    check_eq "$name: exit 2" "$?" 2
    check_eq "$name: one line" "$(wc -l <"$T_TMP/err")" 1
    check "$name: says '$want'" grep -q -- "$want" "$T_TMP/err"
}
refused "truncated MMDB" "cut.mmdb: not a MaxMind DB file" --asn-db "$T_TMP/cut.mmdb"
refused "foreign file as MMDB" "aws.json: not a MaxMind DB file" --geo-db "$T_TMP/aws.json"
refused "foreign layout" "type 'Acme-Weather' whose records hold {temperature, wind}" \
    --asn-db "$T_TMP/foreign.mmdb"
refused "country file to --asn-db" "no AS fields" --asn-db "$T_TMP/country.mmdb"
refused "missing file" "nope.mmdb: No such file" --geo-db "$T_TMP/nope.mmdb"
printf '10.0.0.0/8\nnot a cidr\n' >"$T_TMP/bad-ranges.txt"
refused "bad range file" "bad-ranges.txt: line 2: not a CIDR" --cloud-ranges "$T_TMP/bad-ranges.txt"
printf '{"prefixes":[{"ip_prefix":"1.2.3.0/24"' >"$T_TMP/cut.json"
refused "truncated range file" "cut.json: not valid JSON" --cloud-ranges "$T_TMP/cut.json"
check_eq "no connection for any refused scan" "$(wc -l <"$T_TMP/conns")" "$before"

check "scan --help names --asn-db" sh -c "'$AJAR' scan --help | grep -q -- --asn-db"
t_end
