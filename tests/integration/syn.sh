#!/usr/bin/env bash
# Integration: --discovery syn, inside a network namespace of its own (raw
# packets never leave it; the host's loopback is never touched).
#  - --discovery-only finds exactly the planted (address, port) pairs, in the
#    connect engine's record shape
#  - shards 0/3, 1/3, 2/3 together equal the unsharded scan, with no duplicates
#  - --exclude: the excluded address is neither reported nor sent a SYN
#  - the sender runs as nobody; without CAP_NET_RAW: exit 1, one line
#  - the raw receive socket is bound to the source address (/proc/net/raw)
#  - without --discovery-only the open pairs go to the probe stage
#  - the achieved SYN rate at --rate 1000, 10000, 50000 is within 5%
cd "$(dirname "$0")/../.."
if [ -z "${AJAR_SYN_NETNS:-}" ]; then
    if ! unshare -n true 2>/dev/null; then
        echo "FAIL syn.sh needs root (or CAP_SYS_ADMIN) for a network namespace of its own"
        echo "0 passed, 1 failed"
        exit 1
    fi
    AJAR_SYN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. tests/integration/lib.sh
ip link set lo up

ports=(6379 9200 5432)
specs=()
want="$T_TMP/want"
: >"$want"
for i in $(seq 1 40); do
    p=${ports[$((i % 3))]}
    specs+=("127.0.100.$((i * 3)):$p")
    echo "127.0.100.$((i * 3)):$p" >>"$want"
    if [ $((i % 4)) -eq 0 ]; then
        q=${ports[$(((i + 1) % 3))]}
        specs+=("127.0.100.$((i * 3)):$q")
        echo "127.0.100.$((i * 3)):$q" >>"$want"
    fi
done
specs+=("127.0.100.200:6379" "127.0.100.200:9200") # the excluded host
sort -o "$want" "$want"
start_listeners "$T_TMP/conns" "${specs[@]}" || { bad "listeners"; t_end; exit 1; }

# count the SYNs that reach the excluded address (nftables, when it is there)
have_nft=0
if command -v nft >/dev/null && nft -f - <<'NFT' 2>/dev/null; then have_nft=1; fi
table inet ajar_syn_test {
    counter excluded_syns { }
    chain in { type filter hook input priority 0; ip daddr 127.0.100.200 tcp flags syn counter name excluded_syns; }
}
NFT

P=6379,9200,5432
SYN=(--discovery syn --discovery-only -q --no-db --timeout 500 --retries 0)
"$AJAR" scan "${SYN[@]}" -p $P --rate 0 --seed 11 --exclude 127.0.100.200 \
    127.0.100.0/24 -o "$T_TMP/all.jsonl" 2>"$T_TMP/err"
check_eq "scan exit status" "$?" 0
[ -s "$T_TMP/err" ] && cat "$T_TMP/err"
jq -r '"\(.ip):\(.port)"' "$T_TMP/all.jsonl" | sort >"$T_TMP/got"
check "found exactly the $(wc -l <"$want") planted pairs" diff -u "$want" "$T_TMP/got"
check "records have ip, port, transport, time (the connect engine's shape)" \
    jq -s -e 'length > 0 and all(.[]; (keys == ["ip","port","time","transport"]) and (.ip|type)=="string" and (.port|type)=="number" and .transport=="tcp" and (.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")))' "$T_TMP/all.jsonl" >/dev/null
check "the excluded address is not reported" bash -c "! grep -q '127.0.100.200' '$T_TMP/all.jsonl'"
if [ $have_nft = 1 ]; then
    n=$(nft list counter inet ajar_syn_test excluded_syns | grep -o 'packets [0-9]*' | cut -d' ' -f2)
    check_eq "no SYN reached the excluded address" "$n" 0
fi
check "no connection was made (SYN discovery completes no handshake)" bash -c "! [ -s '$T_TMP/conns' ]"

# the same with the connect engine: both modes agree
"$AJAR" scan --discovery connect --discovery-only -q --no-db -p $P --rate 0 --seed 11 \
    --exclude 127.0.100.200 127.0.100.0/24 | jq -r '"\(.ip):\(.port)"' | sort >"$T_TMP/connect"
check "connect discovery finds the same pairs" diff -u "$T_TMP/got" "$T_TMP/connect"

# shards
: >"$T_TMP/shards"
for s in 0 1 2; do
    "$AJAR" scan "${SYN[@]}" -p $P --rate 0 --seed 7 --shard $s/3 --exclude 127.0.100.200 \
        127.0.100.0/24 >>"$T_TMP/shards"
    check_eq "shard $s/3 exit status" "$?" 0
done
jq -r '"\(.ip):\(.port)"' "$T_TMP/shards" | sort >"$T_TMP/shards.sorted"
check "shards 0..2 of 3 equal the unsharded scan" diff -u "$want" "$T_TMP/shards.sorted"
check_eq "no pair found twice across shards" "$(uniq -d "$T_TMP/shards.sorted" | wc -l)" 0

# retries: a second pass finds nothing new and reports nothing twice
"$AJAR" scan --discovery syn --discovery-only -q --no-db --timeout 300 --retries 2 -p $P \
    --rate 0 --exclude 127.0.100.200 127.0.100.0/24 | jq -r '"\(.ip):\(.port)"' | sort >"$T_TMP/retries"
check "--retries 2: same pairs, each once" diff -u "$want" "$T_TMP/retries"

# privileges: the sending process is nobody while it runs
"$AJAR" scan "${SYN[@]}" -p $P --rate 200 127.0.100.0/24 >/dev/null 2>&1 &
spid=$!
sleep 1
users=$(ps -o user= --ppid $spid 2>/dev/null | sort -u | tr '\n' ' ')
check_eq "the sender runs as nobody" "$users" "nobody "
check_eq "the parent keeps no capability" \
    "$(grep CapEff /proc/$spid/status 2>/dev/null | awk '{print $2}')" 0000000000000000
# the raw TCP socket is bound to the source address (127.0.0.1, protocol 6): the kernel hands it
# only segments sent to us, not a copy of every SYN we send on loopback
check_eq "the receive socket is bound to the source address" \
    "$(awk '$2 ~ /:0006$/ { print $2 }' /proc/net/raw | sort -u | tr '\n' ' ')" "0100007F:0006 "
kill $spid 2>/dev/null
wait $spid 2>/dev/null

# without CAP_NET_RAW: exit 1, one line saying what is missing. nobody runs a copy of the binary
# and the signatures in a directory it may enter: a clone may sit under a 0700 directory (mktemp -d)
NB=$(mktemp -d /tmp/ajar-nobody.XXXXXX)
chmod 755 "$NB"
mkdir -p "$NB/bin"
cp "$AJAR" "$NB/bin/ajar" && cp -r signatures "$NB/signatures" && chmod -R a+rX "$NB"
(cd "$NB" && setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
    "$NB/bin/ajar" scan "${SYN[@]}" -p 6379 127.0.100.3 >/dev/null 2>"$T_TMP/nocap")
check_eq "without CAP_NET_RAW: exit 1" "$?" 1
check_eq "without CAP_NET_RAW: one line" "$(wc -l <"$T_TMP/nocap")" 1
check "the line names CAP_NET_RAW" grep -q CAP_NET_RAW "$T_TMP/nocap"
rm -rf "$NB"
"$AJAR" scan --discovery bogus -q 127.0.100.3 >/dev/null 2>"$T_TMP/bad"
check_eq "--discovery bogus: exit 2" "$?" 2

# probe stage over the open pairs (no --discovery-only): one record per planted pair
"$AJAR" scan --discovery syn -q --no-db --timeout 300 --retries 0 --probe-timeout 500 -p 6379 \
    --rate 0 127.0.100.0/26 >"$T_TMP/probed.jsonl" 2>/dev/null
check_eq "probe stage exit status" "$?" 0
check_eq "probe stage: every open 6379 probed" \
    "$(jq -r 'select(.port==6379) | .ip' "$T_TMP/probed.jsonl" | sort -u | wc -l)" \
    "$(grep -c '^127\.0\.100\.\([0-9]\|[1-5][0-9]\|6[0-3]\):6379$' "$want")"
check "probe stage records carry a service" jq -s -e 'length > 0 and all(.[]; .service != null)' "$T_TMP/probed.jsonl" >/dev/null

# what a SYN scan covered: a complete one, then one stopped by --max-seconds and one by SIGTERM,
# which close nothing (the walk runs in the sending process, which reports no positions)
D=$T_TMP/syn.db
SS=(--discovery syn --discovery-only -q --db "$D" --timeout 300 --retries 0 -p 6379 127.0.100.0/26)
"$AJAR" scan "${SS[@]}" --rate 0 >/dev/null 2>&1
check "SYN into a store: complete" test "$(sqlite3 "$D" "SELECT status FROM scans WHERE id = 1")" = complete
"$AJAR" scan "${SS[@]}" --rate 20 --max-seconds 1 >/dev/null 2>&1
check_eq "SYN, --max-seconds: recorded interrupted" \
    "$(sqlite3 "$D" "SELECT status || ' ' || stop_reason || ' ' || COALESCE(end_time, 'none') FROM scans WHERE id = 2")" \
    "interrupted --max-seconds none"
timeout -s TERM 1 "$AJAR" scan "${SS[@]}" --rate 20 >/dev/null 2>&1
check_eq "SYN, SIGTERM: recorded interrupted" \
    "$(sqlite3 "$D" "SELECT status || ' ' || stop_reason FROM scans WHERE id = 3")" "interrupted SIGTERM"
check_eq "SYN, interrupted twice: nothing closed" \
    "$(sqlite3 "$D" "SELECT COUNT(*) FROM services WHERE closed_at IS NOT NULL")" 0

# rate accuracy: SYNs sent between the first and the last, over that time
for rate in 1000 10000 50000; do
    # about 3 s of SYNs to closed ports (every one answered by an RST)
    case $rate in 1000) cidr=127.1.0.0/22 np=3 ;; 10000) cidr=127.1.0.0/17 np=1 ;; *) cidr=127.1.0.0/16 np=2 ;; esac
    "$AJAR" scan --discovery syn --discovery-only -v --no-db --timeout 100 --retries 0 \
        -p 1-$np --rate $rate $cidr >/dev/null 2>"$T_TMP/rate"
    got=$(sed -n 's/.*syn: \([0-9]*\) SYNs in \([0-9.]*\) s (\([0-9]*\)\/s).*/\3/p' "$T_TMP/rate")
    echo "rate: --rate $rate achieved ${got:-?}/s ($(grep -o 'syn: [0-9]* SYNs.*' "$T_TMP/rate"))"
    check "--rate $rate within 5% (got ${got:-none})" \
        awk -v g="${got:-0}" -v r=$rate 'BEGIN { d = g / r - 1; if (d < 0) d = -d; exit !(d < 0.05) }'
done

[ $have_nft = 1 ] && nft delete table inet ajar_syn_test
t_end
