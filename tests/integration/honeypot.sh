#!/usr/bin/env bash
# honeypot-suspect for an address that answers as many different stores at once: 127.0.69.1
# serves five recorded store cases (ClickHouse, CouchDB, InfluxDB, NATS, Memcached) through
# tests/lab/emu/emu_cases.py, 127.0.69.2 four of them. After a scan into the store, every record
# of .1 carries the info signal (its other signals and severity unchanged), none of .2 does; the
# -o file written at the end has the same records. A scan stopped early counts what it stored.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
mkdir -p "$T_TMP/cases" "$T_TMP/lab"
{
    printf 'hp-ch\t127.0.69.1\t8123\tplain\tclickhouse/open-18.16\n'
    printf 'hp-couch\t127.0.69.1\t5984\tplain\tcouchdb/couchdb-3.3.3-dbs-info\n'
    printf 'hp-influx\t127.0.69.1\t8086\tplain\tinfluxdb/open-1.6\n'
    printf 'hp-nats\t127.0.69.1\t4222\tplain\tnats/open-2.9.10\n'
    printf 'hp-mc\t127.0.69.1\t11211\tplain\tmemcached/open\n'
    printf 'four-ch\t127.0.69.2\t8123\tplain\tclickhouse/open-18.16\n'
    printf 'four-couch\t127.0.69.2\t5984\tplain\tcouchdb/couchdb-3.3.3-dbs-info\n'
    printf 'four-influx\t127.0.69.2\t8086\tplain\tinfluxdb/open-1.6\n'
    printf 'four-nats\t127.0.69.2\t4222\tplain\tnats/open-2.9.10\n'
} >"$T_TMP/cases/t.tsv"
EMU_CASES_DIR=$T_TMP/cases python3 tests/lab/emu/emulab.py serve --family cases --lab-dir "$T_TMP/lab" \
    >"$T_TMP/emu.log" 2>&1 &
T_PIDS+=($!)
for _ in $(seq 100); do nc -z 127.0.69.2 4222 2>/dev/null && break; sleep 0.1; done
check "the planted stores listen" nc -z 127.0.69.1 11211

jqs() { jq -se "$@" >/dev/null; }
P=8123,5984,8086,4222,11211
"$AJAR" scan -q --rate 0 -p $P 127.0.69.1 127.0.69.2 -o "$T_TMP/out.jsonl" >/dev/null 2>"$T_TMP/err"
check_eq "scan: exit 0" "$?" 0
"$AJAR" report --format jsonl >"$T_TMP/r.jsonl" 2>>"$T_TMP/err"
n1=$(jq -r 'select(.ip=="127.0.69.1") | .service' "$T_TMP/r.jsonl" | sort -u | wc -l)
check_eq "five stores identified at .1" "$n1" 5
check_eq "four at .2" "$(jq -r 'select(.ip=="127.0.69.2") | .service' "$T_TMP/r.jsonl" | sort -u | wc -l)" 4
tagged() { jq -r --arg ip "$1" 'select(.ip==$ip) | select(any(.signals[]; .id=="honeypot-suspect")) | .port' "$2" | wc -l; }
check_eq "every record of .1 is a honeypot suspect" "$(tagged 127.0.69.1 "$T_TMP/r.jsonl")" 5
check_eq "none of .2" "$(tagged 127.0.69.2 "$T_TMP/r.jsonl")" 0
check "the detail counts the stores" jqs 'map(select(.ip=="127.0.69.1" and .port==4222))[0] |
    any(.signals[]; .id=="honeypot-suspect" and .severity=="info" and (.detail | test("5 different stores")))' "$T_TMP/r.jsonl"
check "an info signal: the open NATS keeps its no-auth and severity" jqs 'map(select(.ip=="127.0.69.1" and .port==4222))[0] |
    any(.signals[]; .id=="no-auth") and .severity=="high"' "$T_TMP/r.jsonl"
check_eq "the -o file has the same records" "$(tagged 127.0.69.1 "$T_TMP/out.jsonl")" 5
"$AJAR" scan -q --no-db --rate 0 -p $P 127.0.69.1 >"$T_TMP/nodb.jsonl" 2>/dev/null
check_eq "--no-db cannot count (documented)" "$(tagged 127.0.69.1 "$T_TMP/nodb.jsonl")" 0
t_end
