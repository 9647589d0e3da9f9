#!/usr/bin/env bash
# Integration (issue 6): the lab's known cases produce the expected signals,
# severities and clusters end to end -- scan, assess, store -- including the
# Shanghai case: three emulated Kibana 5.5.3 with no login, one certificate
# expired in 2018 on all three, each in front of an Elasticsearch 5.5 full of
# person_info-like indices and a ransom note.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
lab_up || { bad "lab up"; t_end; exit 1; }
DB=$T_TMP/sig.db
OUT=$T_TMP/sig.jsonl
"$AJAR" scan -q --rate 0 --db "$DB" -o "$OUT" -p 80,443,2181,2379,3306,5000,5432,5601,6379,8123,8888,9090,9200,27017 \
    127.0.10.1 127.0.10.2 127.0.12.1 127.0.13.1 127.0.13.2 127.0.14.1 127.0.16.1 127.0.17.1 127.0.17.20 \
    127.0.44.1 127.0.44.2 127.0.45.1 \
    127.0.20.1 127.0.23.2 127.0.25.1 127.0.26.5 127.0.30.1-127.0.30.3 127.0.40.1-127.0.40.4 127.0.40.20-127.0.40.22
check_eq "scan exit status" "$?" 0

# signals of the record at ip:port with this service (from the stream)
sigs() { jq -r --arg ip "$1" --argjson port "$2" --arg svc "$3" \
    'select(.ip==$ip and .port==$port and .service==$svc) | [.signals[].id] | join(" ")' "$OUT" | head -1; }
sev() { jq -r --arg ip "$1" --argjson port "$2" --arg svc "$3" \
    'select(.ip==$ip and .port==$port and .service==$svc) | .severity' "$OUT" | head -1; }
# the store's final view (after the scan's last pass)
dbsigs() { sqlite3 "$DB" "SELECT o.signals FROM observations o JOIN services v ON v.id = o.service
    WHERE v.address = '$1' AND v.port = $2 AND v.service = '$3'" | jq -r '[.[].id] | join(" ")'; }
dbcluster() { sqlite3 "$DB" "SELECT o.cluster FROM observations o JOIN services v ON v.id = o.service
    WHERE v.address = '$1' AND v.port = $2 AND v.service = '$3'"; }
has() { # description, signal list, wanted ids...
    local d=$1 l=" $2 "; shift 2
    for w in "$@"; do
        case "$l" in *" $w "*) ok "$d has $w" ;; *) bad "$d lacks $w (has:$l)" ;; esac
    done
}
hasnt() { local d=$1 l=" $2 "; shift 2
    for w in "$@"; do case "$l" in *" $w "*) bad "$d should not have $w" ;; *) ok "$d has no $w" ;; esac; done; }

# The Shanghai case
for i in 1 2 3; do
    ip=127.0.30.$i
    has "shanghai ES via kibana $i" "$(sigs $ip 5601 elasticsearch)" no-auth dashboard-exposes-store \
        no-auth-capability end-of-life personal-data-schema large-dataset personal-data-over-threshold ransom-note
    check_eq "shanghai ES via kibana $i is critical" "$(sev $ip 5601 elasticsearch)" critical
    has "shanghai kibana $i (store)" "$(dbsigs $ip 5601 kibana)" dashboard-exposes-store no-auth-capability \
        end-of-life cert-expired cert-stale cert-shared
done
# one answer per scan: -o names a regular file, so at the end it holds the scan's final records
# (the shared certificate is only known then) and equals the report of the scan
for i in 1 2 3; do
    has "shanghai kibana $i (-o: the scan's final record)" "$(sigs 127.0.30.$i 5601 kibana)" cert-shared
done
"$AJAR" report --db "$DB" -f jsonl >"$T_TMP/report.jsonl"
check "-o equals ajar report --format jsonl of the scan" cmp -s "$OUT" "$T_TMP/report.jsonl"
c1=$(dbcluster 127.0.30.1 5601 kibana)
check "shanghai kibanas have a cluster id" test -n "$c1"
check_eq "shanghai kibana 2 in the same cluster" "$(dbcluster 127.0.30.2 5601 kibana)" "$c1"
check_eq "shanghai kibana 3 in the same cluster" "$(dbcluster 127.0.30.3 5601 kibana)" "$c1"
check "a Kibana of another version is in another cluster" \
    test "$(dbcluster 127.0.23.2 5601 kibana)" != "$c1"

# Data stores
has "open redis" "$(sigs 127.0.10.1 6379 redis)" no-auth
check_eq "open redis severity" "$(sev 127.0.10.1 6379 redis)" high
check_eq "locked current redis severity" "$(sev 127.0.10.2 6379 redis)" info
hasnt "locked redis" "$(sigs 127.0.10.2 6379 redis)" no-auth
has "postgres trust" "$(sigs 127.0.12.1 5432 postgresql)" default-account-empty-password no-auth
has "mariadb root without password" "$(sigs 127.0.13.1 3306 mysql)" default-account-empty-password \
    no-auth personal-data-schema
check_eq "mariadb root without password, person_info: critical" "$(sev 127.0.13.1 3306 mysql)" critical
hasnt "mariadb with a password" "$(sigs 127.0.13.2 3306 mysql)" no-auth default-account-empty-password
has "clickhouse default without password" "$(sigs 127.0.16.1 8123 clickhouse)" default-account-empty-password
has "etcd open" "$(sigs 127.0.14.1 2379 etcd)" exposed-infrastructure
has "prometheus" "$(sigs 127.0.17.1 9090 prometheus)" exposed-infrastructure
has "zookeeper" "$(sigs 127.0.17.20 2181 zookeeper)" exposed-infrastructure
# Jupyter: open = code execution (high) and file names read (person_info_2024.csv: critical)
has "open jupyter" "$(sigs 127.0.44.1 8888 jupyter)" exposed-infrastructure no-auth personal-data-schema
check_eq "open jupyter, person_info file: critical" "$(sev 127.0.44.1 8888 jupyter)" critical
hasnt "jupyter with a token" "$(sigs 127.0.44.2 8888 jupyter)" exposed-infrastructure no-auth
has "open docker registry" "$(sigs 127.0.45.1 5000 docker-registry)" no-auth
has "elasticsearch 1.7 open" "$(sigs 127.0.20.1 9200 elasticsearch)" no-auth no-auth-capability end-of-life
has "mongodb 2.6 open" "$(sigs 127.0.25.1 27017 mongodb)" no-auth end-of-life
check_eq "mongodb 6.0 locked: info or medium" "$(sev 127.0.26.5 27017 mongodb | grep -cE '^(info|medium)$')" 1
# Certificates
has "expired certificate" "$(sigs 127.0.40.2 443 http)" cert-expired
has "self-signed certificate" "$(sigs 127.0.40.3 443 http)" cert-self-signed
has "1024-bit key" "$(sigs 127.0.40.4 443 http)" cert-weak-key
hasnt "valid certificate" "$(sigs 127.0.40.1 443 http)" cert-expired cert-self-signed cert-weak-key cert-shared
for i in 20 21 22; do has "shared certificate on 127.0.40.$i (store)" "$(dbsigs 127.0.40.$i 443 http)" cert-shared; done
hasnt "unique certificate (store)" "$(dbsigs 127.0.40.1 443 http)" cert-shared
# scanned by name (pinned with --resolve, no DNS): the name is checked against the certificate
"$AJAR" scan -q --no-db -p 443 --resolve valid.lab.example:127.0.40.1 --resolve wrong.lab.example:127.0.40.5 \
    valid.lab.example wrong.lab.example >"$T_TMP/byname.jsonl"
check_eq "a matching name: name_match true" \
    "$(jq -r 'select(.host=="valid.lab.example") | .tls.name_match' "$T_TMP/byname.jsonl")" true
hasnt "a matching name" "$(jq -r 'select(.host=="valid.lab.example") | [.signals[].id] | join(" ")' "$T_TMP/byname.jsonl")" \
    cert-name-mismatch
has "a certificate for another name" \
    "$(jq -r 'select(.host=="wrong.lab.example") | [.signals[].id] | join(" ")' "$T_TMP/byname.jsonl")" cert-name-mismatch
t_end
