#!/usr/bin/env bash
# Integration: machine-readable where other tools read (issue 24). On 127.0.213.0/24 only:
#  - `ajar report --format ocsf` of two scans of a hostile CouchDB and an open Redis
#    (tests/tools/fake_couchdb.py, fake_redis.py) validates against the OCSF 1.8.0 schema
#    (tests/data/ocsf-1.8.0, compiled to JSON Schema by tests/tools/ocsf_schema.py): class
#    2002, Create in the first scan and Update in the second on one finding_info.uid, the
#    record whole under unmapped.ajar; a service without a signal gives no event
#  - the validator is a real one: broken events are refused
#  - --clusters with ocsf is a usage error
#  - `make install` installs docs/record.schema.json under share/ajar, and the scan's records
#    are valid against the installed copy
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

N=127.0.213
OCSF=tests/data/ocsf-1.8.0
validate() { python3 tests/tools/ocsf_schema.py $OCSF vulnerability_finding --validate "$1" >/dev/null; }
jqe() { local out; out=$(jq -e "$@") && [ -n "$out" ]; } # an empty input fails too
wait_ready() { for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
echo open >"$T_TMP/redis.mode"
bg python3 tests/tools/fake_couchdb.py $N.20:5984 >"$T_TMP/couch.ready" 2>&1
bg python3 tests/tools/fake_redis.py "$T_TMP/redis.mode" $N.21:6379 >"$T_TMP/redis.ready" 2>&1
bg python3 tests/tools/listeners.py --log "$T_TMP/plain.log" $N.22:6379 >"$T_TMP/plain.ready" 2>&1
wait_ready "$T_TMP/couch.ready" && wait_ready "$T_TMP/redis.ready" && wait_ready "$T_TMP/plain.ready" ||
    { bad "helpers did not start"; cat "$T_TMP"/*.ready; t_end; exit 1; }
DB=$T_TMP/o.db
scan() { "$AJAR" scan -q -p 5984,6379 --rate 0 --db "$DB" --resolve couch.example:$N.20 "$@"; }

scan couch.example $N.21-22 -o "$T_TMP/s1.jsonl"
check_eq "first scan: exit status" "$?" 0
sleep 1 # the second scan starts in a later second: first_seen is before it
scan couch.example $N.21-22 -o "$T_TMP/s2.jsonl"
"$AJAR" report --db "$DB" --scan 1 --format ocsf -o "$T_TMP/r1.ocsf"
check_eq "report --format ocsf: exit status" "$?" 0
"$AJAR" report --db "$DB" --scan 2 --format ocsf >"$T_TMP/r2.ocsf"
check "scan 1: every event valid against OCSF 1.8.0 Vulnerability Finding" validate "$T_TMP/r1.ocsf"
check "scan 2: every event valid" validate "$T_TMP/r2.ocsf"
# the golden report of a 500-finding store with attribution (AS, country, cloud provider and
# region): the fields this small scan does not have
check "the golden ocsf report (500 findings, attribution) valid" validate tests/golden/report/ocsf.ocsf
check_eq "one event per finding with a signal (CouchDB, Redis; not the silent port)" \
    "$(jq -r '.resources[0].name' "$T_TMP/r1.ocsf" | sort | tr '\n' ' ')" "couchdb redis "
check_eq "scan 1 creates, scan 2 updates" \
    "$(jq -r .activity_id "$T_TMP/r1.ocsf" | sort -u)/$(jq -r .activity_id "$T_TMP/r2.ocsf" | sort -u)" "1/2"
check_eq "one finding_info.uid per service across scans" \
    "$(cat "$T_TMP/r1.ocsf" "$T_TMP/r2.ocsf" | jq -r .finding_info.uid | sort -u | tr '\n' ' ')" \
    "ajar/tcp/127.0.213.20:5984/couchdb ajar/tcp/127.0.213.21:6379/redis "
check "a vulnerability per signal, each an ajar advisory" jqe -s \
    'all(.[]; (.vulnerabilities|length) == (.unmapped.ajar.signals|length) and all(.vulnerabilities[]; .advisory.uid | startswith("ajar:")))' "$T_TMP/r1.ocsf"
check "severity_id is the record's severity" jqe -s \
    'all(.[]; .severity_id == ({"info":1,"low":2,"medium":3,"high":4,"critical":5}[.unmapped.ajar.severity]))' "$T_TMP/r1.ocsf"
check "the host name given, the hostile names verbatim in the record" jqe -s \
    'map(select(.resources[0].name=="couchdb"))[0] | .device.hostname=="couch.example" and (.unmapped.ajar.data.names | index("<!channel> ping") != null)' "$T_TMP/r1.ocsf"
"$AJAR" report --db "$DB" --scan 1 --format jsonl >"$T_TMP/r1.jsonl"
check "unmapped.ajar is the report's record" bash -c \
    "diff <(jq -Sc 'select(.signals|length>0)' '$T_TMP/r1.jsonl' | sort) <(jq -Sc .unmapped.ajar '$T_TMP/r1.ocsf' | sort)"
check_eq "scan 1's correlation_uid" "$(jq -r .metadata.correlation_uid "$T_TMP/r1.ocsf" | sort -u)" scan-1
"$AJAR" report --db "$DB" --scan 1 --format ocsf --min-severity critical >"$T_TMP/none.ocsf"
check_eq "the filters apply" "$(wc -l <"$T_TMP/none.ocsf")" 0

# the validator refuses what OCSF does not allow
E=$(head -1 "$T_TMP/r1.ocsf")
while IFS='|' read -r what filter; do
    jq -c "$filter" <<<"$E" >"$T_TMP/broken.ocsf"
    check "validator refuses: $what" bash -c "! python3 tests/tools/ocsf_schema.py $OCSF vulnerability_finding --validate '$T_TMP/broken.ocsf' >/dev/null"
done <<'EOF'
no finding_info.uid|del(.finding_info.uid)
severity_id 7|.severity_id = 7
a field OCSF does not have|.bogus = 1
class_uid of another class|.class_uid = 2004
type_uid not class*100+activity|.type_uid = 200205
a vulnerability with advisory and cwe|.vulnerabilities[0].cwe = {"uid": "CWE-306"}
an advisory without uid|del(.vulnerabilities[0].advisory.uid)
a resource without uid or name|.resources[0] |= del(.uid, .name)
a device without type_id|del(.device.type_id)
time as a string|.time = "2026-11-18T00:00:00Z"
an observable of no known type|.observables[0].type_id = 77
no metadata.version|del(.metadata.version)
EOF
check_eq "the unbroken event passes" "$(jq -c . <<<"$E" >"$T_TMP/ok.ocsf"; validate "$T_TMP/ok.ocsf" >/dev/null; echo $?)" 0

"$AJAR" report --db "$DB" --format ocsf --clusters >/dev/null 2>"$T_TMP/err"
check_eq "--clusters --format ocsf: usage error" "$?" 2
check "... said in one line" test "$(wc -l <"$T_TMP/err")" -eq 1

# the record's JSON Schema is installed, and the records are valid against that copy
if make -q all 2>/dev/null; then
    make -s install DESTDIR="$T_TMP/root" PREFIX=/usr >/dev/null 2>&1
    check_eq "make install: exit status" "$?" 0
    S=$T_TMP/root/usr/share/ajar/record.schema.json
else # the release build is not current: the recipe, without building it here
    make -n install DESTDIR="$T_TMP/root" PREFIX=/usr 2>/dev/null | grep -q \
        "docs/record.schema.json $T_TMP/root/usr/share/ajar/record.schema.json"
    check_eq "make install's recipe installs the record schema (release build not current)" "$?" 0
    S=docs/record.schema.json
fi
check "the installed schema is docs/record.schema.json" cmp -s "$S" docs/record.schema.json
check "both scans' records valid against the installed schema" python3 -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
v = jsonschema.validators.validator_for(s)(s)
n = 0
for f in sys.argv[2:]:
    for line in open(f):
        v.validate(json.loads(line)); n += 1
sys.exit(0 if n >= 6 else 1)' "$S" "$T_TMP/s1.jsonl" "$T_TMP/s2.jsonl"
t_end
