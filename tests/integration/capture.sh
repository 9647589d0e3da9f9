#!/usr/bin/env bash
# Integration: proof of the scope promise on the wire. Inside a network
# namespace this test creates (`unshare -n`: its own loopback, nothing else,
# no other traffic), listeners are planted on a few addresses -- inside the
# targets, on excluded addresses, and outside the targets -- and tcpdump
# records every packet on lo while `ajar scan` (probes on) covers
#   127.0.190.96-127.0.190.111 and 127.0.190.120, ports 6379,9200,5432,
#   --exclude 127.0.190.100,127.0.190.104-127.0.190.107
# (--rate 100 and a 32 MB capture buffer so that tcpdump keeps up: a burst of
# SYNs at --rate 0 overflowed its ring). Then, from the capture:
#  - ZERO packets to or from an excluded address
#  - ZERO packets to an address outside the targets (the only other address
#    seen is 127.0.0.1, the scanner's own source address on loopback)
#  - the excluded and outside listeners logged no connection; the included
#    ones were found
cd "$(dirname "$0")/../.."
if [ -z "${AJAR_CAPTURE_NS:-}" ]; then
    bash scripts/deps.sh test >/dev/null 2>&1 || true
    if [ "$(id -u)" -ne 0 ] || ! command -v tcpdump >/dev/null; then
        echo "capture.sh: needs root and tcpdump"; echo "0 passed, 1 failed"; exit 1
    fi
    AJAR_CAPTURE_NS=1 exec unshare -n bash "$0" "$@"
fi
. tests/integration/lib.sh
ip link set lo up || { bad "lo up in the namespace"; t_end; exit 1; }
check_eq "inside a fresh namespace: lo is the only interface" "$(ip -o link show | wc -l)" 1

inside=(127.0.190.97:6379 127.0.190.110:9200 127.0.190.120:5432 127.0.190.111:6379)
excluded=(127.0.190.100:6379 127.0.190.105:9200 127.0.190.107:5432)
outside=(127.0.190.95:6379 127.0.190.112:9200 127.0.190.130:5432 127.0.0.1:6379)
start_listeners "$T_TMP/conns" "${inside[@]}" "${excluded[@]}" "${outside[@]}" || { bad "listeners"; t_end; exit 1; }

tcpdump --immediate-mode -B 32768 -i lo -nn -U -w "$T_TMP/lo.pcap" 2>"$T_TMP/tcpdump.err" &
tdp=$!
T_PIDS+=($tdp)
for _ in $(seq 100); do grep -q 'listening on' "$T_TMP/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
check "tcpdump listens on lo" grep -q 'listening on' "$T_TMP/tcpdump.err"
sleep 1 # "listening on" comes a moment before the first packet is kept

"$AJAR" scan -q --no-db --rate 100 -p 6379,9200,5432 \
    --exclude 127.0.190.100,127.0.190.104-127.0.190.107 \
    127.0.190.96-127.0.190.111 127.0.190.120 -o "$T_TMP/scan.jsonl"
check_eq "scan exit status" "$?" 0
# let tcpdump write out what it has seen: wait until the capture file stops growing
last=-1
for _ in $(seq 20); do
    sleep 0.5
    size=$(stat -c %s "$T_TMP/lo.pcap" 2>/dev/null || echo 0)
    [ "$size" = "$last" ] && break
    last=$size
done
kill -INT $tdp 2>/dev/null
wait $tdp 2>/dev/null
# a capture that lost packets proves nothing: the kernel must have dropped none
check "tcpdump: 0 packets dropped by the kernel" grep -q '^0 packets dropped by kernel' "$T_TMP/tcpdump.err"
tcpdump -nn -r "$T_TMP/lo.pcap" 2>/dev/null >"$T_TMP/packets.txt"
npk=$(wc -l <"$T_TMP/packets.txt")
echo "capture: $npk packets on lo"
check "packets were captured" [ "$npk" -gt 20 ]

# "IP 127.0.0.1.45678 > 127.0.190.97.6379: Flags [S], ..." -> addresses
awk '$2 == "IP" { s=$3; d=$5; sub(/\.[0-9]+$/, "", s); sub(/\.[0-9]+:?$/, "", d); sub(/:$/, "", d); print s; print d }' \
    "$T_TMP/packets.txt" | sort -u >"$T_TMP/addrs"
echo "addresses on the wire: $(tr '\n' ' ' <"$T_TMP/addrs")"
check "every packet is IPv4 TCP between loopback addresses" \
    bash -c "! grep -v -E '^[0-9:.]+ IP 127\\.[0-9.]+ > 127\\.[0-9.]+: Flags' '$T_TMP/packets.txt'"
allowed() { # address -> in the targets minus the exclusions, or the scanner's own 127.0.0.1
    local a=$1 last=${1##*.}
    [ "$a" = 127.0.0.1 ] && return 0
    [ "$a" = 127.0.190.120 ] && return 0
    case $a in 127.0.190.*) ;; *) return 1 ;; esac
    [ "$last" -ge 96 ] && [ "$last" -le 111 ] && [ "$last" -ne 100 ] &&
        { [ "$last" -lt 104 ] || [ "$last" -gt 107 ]; }
}
stray=""
while read -r a; do allowed "$a" || stray="$stray $a"; done <"$T_TMP/addrs"
check_eq "zero packets to or from excluded addresses or addresses outside the targets" "$stray" ""
for x in 127.0.190.100 127.0.190.104 127.0.190.105 127.0.190.106 127.0.190.107; do
    check_eq "zero packets for excluded $x" "$(grep -cE "(IP|>) ${x//./\\.}\\.[0-9]+[: ]" "$T_TMP/packets.txt")" 0
done
check_eq "a SYN to each of the 12 in-scope addresses" \
    "$(grep -E 'Flags \[S\]' "$T_TMP/packets.txt" | awk '{print $5}' | sed -E 's/\.[0-9]+:$//' | sort -u | grep -c '^127\.0\.190\.')" 12
for l in "${excluded[@]}" "${outside[@]}"; do
    check "no connection reached $l" bash -c "! grep -q '^$l ' '$T_TMP/conns'"
done
for l in "${inside[@]}"; do
    check "found $l" grep -q "\"ip\":\"${l%:*}\",\"port\":${l#*:}[,}]" "$T_TMP/scan.jsonl"
done
t_end
