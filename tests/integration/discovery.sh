#!/usr/bin/env bash
# Integration: the connect engine against plain listeners on 24 distinct
# loopback addresses (127.0.100.0/24 is reserved for these tests).
#  - --discovery-only finds exactly the open (address, port) pairs
#  - --exclude: nothing at all reaches an excluded address (its listener logs no connection)
#  - shards 0/3, 1/3, 2/3 together equal the unsharded scan, with no duplicates
#  - host names are kept on the record; bad input exits 2 with one line and scans nothing
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ports=(6379 9200 5432 27017 11211)
specs=()
want="$T_TMP/want"
: >"$want"
for i in $(seq 1 24); do
    p=${ports[$((i % 5))]}
    specs+=("127.0.100.$i:$p")
    echo "127.0.100.$i:$p" >>"$want"
    if [ $((i % 3)) -eq 0 ]; then
        q=${ports[$(((i + 2) % 5))]}
        specs+=("127.0.100.$i:$q")
        echo "127.0.100.$i:$q" >>"$want"
    fi
done
specs+=("127.0.100.50:6379" "127.0.100.50:9200")   # the excluded host
sort -o "$want" "$want"
start_listeners "$T_TMP/conns" "${specs[@]}" || { bad "listeners"; t_end; exit 1; }

P=6379,9200,5432,27017,11211
"$AJAR" scan --discovery-only -q -p $P --rate 0 --seed 11 --exclude 127.0.100.50 \
    127.0.100.0/26 -o "$T_TMP/all.jsonl" >/dev/null
check_eq "scan exit status" "$?" 0
jq -r '"\(.ip):\(.port)"' "$T_TMP/all.jsonl" | sort >"$T_TMP/got"
check "found exactly the 32 open pairs" diff -u "$want" "$T_TMP/got"
check_eq "open pairs" "$(wc -l <"$T_TMP/got")" "$(wc -l <"$want")"
check "records have ip, port, transport, time" \
    jq -s -e 'length > 0 and all(.[]; (.ip|type)=="string" and (.port|type)=="number" and .transport=="tcp" and (.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")))' "$T_TMP/all.jsonl" >/dev/null
check "no connection reached the excluded address" bash -c "! grep -q '^127.0.100.50:' '$T_TMP/conns'"
check "listeners saw the scan" grep -q '^127.0.100.1:' "$T_TMP/conns"

# shards
: >"$T_TMP/shards"
for s in 0 1 2; do
    "$AJAR" scan --discovery-only -q -p $P --rate 0 --seed 7 --shard $s/3 --exclude 127.0.100.50 \
        127.0.100.0/26 >>"$T_TMP/shards"
    check_eq "shard $s/3 exit status" "$?" 0
done
jq -r '"\(.ip):\(.port)"' "$T_TMP/shards" | sort >"$T_TMP/shards.sorted"
check "shards 0..2 of 3 equal the unsharded scan" diff -u "$want" "$T_TMP/shards.sorted"
check_eq "no pair found twice across shards" "$(sort "$T_TMP/shards.sorted" | uniq -d | wc -l)" 0

# host names: kept on the record
hp=$(grep -m1 '^127.0.100.1:' "$want" | cut -d: -f2)
start_listeners "$T_TMP/conns2" "127.0.0.1:18779" || bad "listener on 127.0.0.1"
"$AJAR" scan --discovery-only -q -p 18779 localhost >"$T_TMP/host.jsonl"
check_eq "host name kept" "$(jq -r 'select(.ip=="127.0.0.1") | .host' "$T_TMP/host.jsonl")" localhost
"$AJAR" scan --discovery-only -q "127.0.100.1:$hp" >"$T_TMP/pair.jsonl"
check_eq "host:port pair" "$(jq -r '"\(.ip):\(.port)"' "$T_TMP/pair.jsonl")" "127.0.100.1:$hp"

# bad input: exit 2, one line naming the culprit, nothing scanned
before=$(wc -l <"$T_TMP/conns")
for args in "127.0.100.300" "-p 99999 127.0.100.1" "-p redis,bogus 127.0.100.1" "--rate x 127.0.100.1" \
            "--shard 3/3 --seed 1 127.0.100.1" "--bogus 127.0.100.1" "" "--exclude 1.2.3.x 127.0.100.1"; do
    # shellcheck disable=SC2086
    "$AJAR" scan --discovery-only -q $args >/dev/null 2>"$T_TMP/err"
    rc=$?
    check_eq "'$args' exits 2" "$rc" 2
    check_eq "'$args' prints one line" "$(wc -l <"$T_TMP/err")" 1
done
check_eq "bad input scanned nothing" "$(wc -l <"$T_TMP/conns")" "$before"
grep -q "300" <("$AJAR" scan -q 127.0.100.300 2>&1) && ok "error names the bad target" || bad "error names the bad target"

t_end
