#!/usr/bin/env bash
# Integration: --discovery syn over AF_PACKET (--send-method mmsg|ring|raw), inside
# network namespaces of its own (frames never leave them; the host is untouched).
#  - on lo (a non-zero MAC, route_localnet and accept_local, as frames written to lo need):
#    each method, with 1 and 2 sender threads, finds exactly the planted pairs, each once,
#    counts every closed port once, and reports no kernel drop; --retries reports nothing twice
#  - the default picks mmsg; without accept_local it says why and sends through the raw
#    socket (and an explicit --send-method mmsg refuses, naming the sysctls)
#  - AF_PACKET refused (a seccomp filter returns EPERM for socket(AF_PACKET), as systemd's
#    RestrictAddressFamilies= and container runtimes do; CAP_NET_RAW covers packet and raw
#    sockets alike, so capabilities cannot refuse one and allow the other): the default falls
#    back to the raw socket with a log line and finds everything; --send-method mmsg fails
#  - privileges: the sender runs as nobody with no capability, holding the rings it was given
#  - the kernel's drops are reported: the sender is stopped while a flood of answer-shaped
#    segments fills its ring (its socket buffer for raw), then the log line counts them
#  - --rate R over N pairs takes N/R seconds (within 5%) with each method and with 2 threads
#  - through a veth pair to a second namespace: the next hop's MAC comes from a neighbour
#    entry made here (captured frames in the other namespace carry it), a wrong entry is
#    followed (frames to that MAC, nothing found), --gateway-mac overrides it, --source-ip
#    sets the source, an on-link target or a missing entry is refused with a clear error by
#    --send-method mmsg and sent through the raw socket by default
cd "$(dirname "$0")/../.."
if [ -z "${AJAR_SYNPKT_NETNS:-}" ]; then
    if ! unshare -n true 2>/dev/null; then
        echo "FAIL syn_packet.sh needs root (or CAP_SYS_ADMIN) for network namespaces of its own"
        echo "0 passed, 1 failed"
        exit 1
    fi
    AJAR_SYNPKT_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. tests/integration/lib.sh
ip link set lo up
ip link set dev lo address 02:00:00:00:00:01
lo_frames() { # on|off: what AF_PACKET frames written to lo need
    local v=0
    [ "$1" = on ] && v=1
    sysctl -q -w net.ipv4.conf.lo.route_localnet=$v net.ipv4.conf.all.route_localnet=$v \
        net.ipv4.conf.lo.accept_local=$v net.ipv4.conf.all.accept_local=$v
}
lo_frames on

ports=(6379 9200 5432)
specs=()
want="$T_TMP/want"
: >"$want"
for i in $(seq 1 30); do
    p=${ports[$((i % 3))]}
    specs+=("127.0.101.$((i * 7)):$p")
    echo "127.0.101.$((i * 7)):$p" >>"$want"
done
sort -o "$want" "$want"
nwant=$(wc -l <"$want")
start_listeners "$T_TMP/conns" "${specs[@]}" || { bad "listeners"; t_end; exit 1; }
P=6379,9200,5432
NPAIRS=$((256 * 3))
SYN=(--discovery syn --discovery-only -v --no-db --timeout 300 --retries 0 --rate 0)

# one scan: method threads outfile [more options]; the log in outfile.err
scan() {
    local m=$1 th=$2 out=$3
    shift 3
    "$AJAR" scan "${SYN[@]}" --send-method "$m" --sender-threads "$th" "$@" -p $P \
        127.0.101.0/24 -o "$out" 2>"$out.err"
}
pairs() { jq -r '"\(.ip):\(.port)"' "$1"; }

for m in mmsg ring raw; do
    for th in 1 2; do
        o=$T_TMP/$m.$th.jsonl
        scan $m $th "$o"
        check_eq "$m, $th thread(s): exit status" "$?" 0
        check "$m, $th thread(s): says it sends with $m" grep -q "syn: sending with $m " "$o.err"
        check "$m, $th thread(s): found exactly the $nwant planted pairs" \
            diff -u "$want" <(pairs "$o" | sort)
        check_eq "$m, $th thread(s): no pair twice" "$(pairs "$o" | sort | uniq -d | wc -l)" 0
        check "$m, $th thread(s): every closed port counted once, no kernel drop" \
            grep -q "syn: $NPAIRS SYNs in .*, $nwant open, $((NPAIRS - nwant)) closed, 0 dropped by the kernel ($m, $th thread" "$o.err"
    done
done
"$AJAR" scan "${SYN[@]}" --send-method mmsg --retries 2 -p $P 127.0.101.0/24 -o "$T_TMP/retries.jsonl" 2>/dev/null
check "mmsg, --retries 2: the same pairs, each once" diff -u "$want" <(pairs "$T_TMP/retries.jsonl" | sort)
check "no connection was made (SYN discovery completes no handshake)" bash -c "! [ -s '$T_TMP/conns' ]"

# the default: mmsg here; raw, saying why, where lo would drop the frames
"$AJAR" scan "${SYN[@]}" -p $P 127.0.101.0/24 -o "$T_TMP/auto.jsonl" 2>"$T_TMP/auto.err"
check "default method: mmsg" grep -q "syn: sending with mmsg on lo (AF_PACKET, 02:00:00:00:00:01 -> 02:00:00:00:00:01) from 127.0.0.1" "$T_TMP/auto.err"
check "default method: found the planted pairs" diff -u "$want" <(pairs "$T_TMP/auto.jsonl" | sort)
lo_frames off
"$AJAR" scan "${SYN[@]}" -p $P 127.0.101.0/24 -o "$T_TMP/nolocal.jsonl" 2>"$T_TMP/nolocal.err"
check_eq "lo without accept_local: exit status" "$?" 0
check "lo without accept_local: says why it sends through the raw socket" \
    grep -q "syn: frames written to lo are dropped as martians unless net.ipv4.conf.lo.accept_local=1 and route_localnet=1 (sysctl): sending through the raw socket" "$T_TMP/nolocal.err"
check "lo without accept_local: raw finds the planted pairs" diff -u "$want" <(pairs "$T_TMP/nolocal.jsonl" | sort)
"$AJAR" scan "${SYN[@]}" --send-method mmsg -p $P 127.0.101.0/24 >/dev/null 2>"$T_TMP/nolocal2.err"
check_eq "lo without accept_local, --send-method mmsg: exit 1" "$?" 1
check "... naming the sysctls" grep -q "^ajar scan: --send-method mmsg: frames written to lo .*route_localnet=1" "$T_TMP/nolocal2.err"
lo_frames on

# AF_PACKET refused: a seccomp filter makes socket(AF_PACKET, ...) fail with EPERM
NOPKT=(/usr/bin/python3 -c '
import errno, os, socket, sys, seccomp
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
f.add_rule(seccomp.ERRNO(errno.EPERM), "socket", seccomp.Arg(0, seccomp.EQ, socket.AF_PACKET))
f.load()
os.execv(sys.argv[1], sys.argv[1:])')
if /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then
    "${NOPKT[@]}" /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)' 2>"$T_TMP/probe.err"
    check "the seccomp filter refuses AF_PACKET" grep -q "PermissionError" "$T_TMP/probe.err"
    "${NOPKT[@]}" "$AJAR" scan "${SYN[@]}" -p $P 127.0.101.0/24 -o "$T_TMP/refused.jsonl" 2>"$T_TMP/refused.err"
    check_eq "AF_PACKET refused: exit status" "$?" 0
    check "AF_PACKET refused: a log line says so and names the fallback" \
        grep -q "syn: AF_PACKET refused (AF_PACKET socket: Operation not permitted): sending through the raw socket" "$T_TMP/refused.err"
    check "AF_PACKET refused: the raw socket sends" grep -q "syn: sending with raw " "$T_TMP/refused.err"
    check "AF_PACKET refused: found the planted pairs" diff -u "$want" <(pairs "$T_TMP/refused.jsonl" | sort)
    "${NOPKT[@]}" "$AJAR" scan "${SYN[@]}" --send-method ring -p $P 127.0.101.0/24 >/dev/null 2>"$T_TMP/refused2.err"
    check_eq "AF_PACKET refused, --send-method ring: exit 1" "$?" 1
    check "... one line naming AF_PACKET" grep -q "^ajar scan: --send-method ring: AF_PACKET socket: Operation not permitted$" "$T_TMP/refused2.err"
else
    bad "python3-seccomp is missing (scripts/deps.sh test installs it)"
fi

# privileges: the sender is nobody, with no capability, holding its packet sockets and rings
"$AJAR" scan "${SYN[@]}" --send-method ring --sender-threads 2 --rate 100 -p $P 127.0.101.0/24 >/dev/null 2>&1 &
spid=$!
sleep 1
child=$(pgrep -P $spid | head -1)
check_eq "the sender runs as nobody" "$(ps -o user= -p "${child:-1}" 2>/dev/null | tr -d ' ')" nobody
check_eq "the sender keeps no capability" "$(awk '/^CapEff/ {print $2}' /proc/"${child:-1}"/status 2>/dev/null)" 0000000000000000
check_eq "the parent keeps no capability" "$(awk '/^CapEff/ {print $2}' /proc/$spid/status 2>/dev/null)" 0000000000000000
nlwp=$(ps -o nlwp= -p "${child:-1}" 2>/dev/null | tr -d ' ')
check "the sender runs its 2 threads (${nlwp:-none}; a ThreadSanitizer build adds its own)" test "${nlwp:-0}" -ge 2
check_eq "the sender maps 4 rings (TX and RX per thread)" "$(grep -c ' socket:\[' /proc/"${child:-1}"/maps 2>/dev/null)" 4
check_eq "the parent maps none" "$(grep -c ' socket:\[' /proc/$spid/maps 2>/dev/null)" 0
kill $spid 2>/dev/null
wait $spid 2>/dev/null

# kernel drops are counted: stop the sender, flood its ring (or socket buffer) with segments
# the filter lets through, let it go on
FLOOD='
import socket, struct, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
src, dst = socket.inet_aton("127.0.101.9"), socket.inet_aton("127.0.0.1")
for i in range(n):
    port = 61000 + i % 4096
    tcp = struct.pack("!HHIIBBHHH", 6379, port, 1, 1 + i, 5 << 4, 0x14, 0, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, dst)
    s.sendto(ip + tcp, ("127.0.0.1", 0))
'
for m in mmsg raw; do
    "$AJAR" scan --discovery syn --discovery-only -v --no-db --timeout 300 --retries 0 --rate 200 \
        --send-method $m -p 1-3 127.0.101.0/24 -o /dev/null 2>"$T_TMP/drops.$m.err" &
    spid=$!
    sleep 0.5
    child=$(pgrep -P $spid | head -1)
    kill -STOP "$child"
    python3 -c "$FLOOD" 120000
    kill -CONT "$child"
    wait $spid
    d=$(sed -n 's/.*closed, \([0-9]*\) dropped by the kernel.*/\1/p' "$T_TMP/drops.$m.err")
    check "$m: the kernel's drops are counted (${d:-none})" test "${d:-0}" -gt 1000
    check "$m: and warned about" grep -q "syn: the kernel dropped $d answers before they were read" "$T_TMP/drops.$m.err"
done

# the rate: N pairs at --rate R take N/R seconds (first SYN to last), and the whole scan about
# that plus --timeout
for spec in "mmsg 1 10000 127.1.0.0/17" "ring 1 10000 127.1.0.0/17" "raw 1 10000 127.1.0.0/17" \
    "mmsg 1 50000 127.1.0.0/15" "mmsg 2 50000 127.1.0.0/15" "ring 2 20000 127.1.0.0/16"; do
    set -- $spec
    m=$1 th=$2 rate=$3 cidr=$4
    n=$((1 << (32 - ${cidr#*/})))
    t0=$(date +%s.%N)
    "$AJAR" scan --discovery syn --discovery-only -v --no-db --timeout 200 --retries 0 -p 7 \
        --rate "$rate" --send-method "$m" --sender-threads "$th" "$cidr" >/dev/null 2>"$T_TMP/rate.err"
    t1=$(date +%s.%N)
    secs=$(sed -n 's/.*syn: \([0-9]*\) SYNs in \([0-9.]*\) s.*/\2/p' "$T_TMP/rate.err")
    sent=$(sed -n 's/.*syn: \([0-9]*\) SYNs in.*/\1/p' "$T_TMP/rate.err")
    want_s=$(echo "($n - 1) / $rate" | bc -l)
    echo "rate: $m x$th --rate $rate, $n pairs: ${secs:-?} s (want $(printf %.3f "$want_s")), wall $(printf %.2f "$(echo "$t1 - $t0" | bc)") s"
    check_eq "rate $m x$th $rate: every SYN sent" "${sent:-0}" "$n"
    check "rate $m x$th $rate: $n SYNs in $(printf %.3f "$want_s") s within 5% (got ${secs:-none})" \
        awk -v g="${secs:-0}" -v w="$want_s" 'BEGIN { d = g / w - 1; if (d < 0) d = -d; exit !(d < 0.05) }'
    check "rate $m x$th $rate: the whole scan within 1 s of that plus --timeout" \
        awk -v t="$(echo "$t1 - $t0" | bc)" -v w="$want_s" 'BEGIN { exit !(t > w && t < w + 0.2 + 1) }'
done

# ---- a gateway: a veth pair to a second namespace ("far") holding the targets ----
unshare -n sleep 600 &
FAR=$!
T_PIDS+=($FAR)
sleep 0.2
inf() { nsenter -t $FAR -n "$@"; }
GWMAC=02:00:00:00:be:ef
ip link add veth0 type veth peer name veth1 || { bad "veth pair"; t_end; exit 1; }
ip link set veth1 netns $FAR
ip addr add 10.199.0.1/24 dev veth0
ip addr add 10.199.0.7/24 dev veth0
ip link set veth0 up
MYMAC=$(ip -o link show veth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
inf ip link set lo up
inf ip link set veth1 address $GWMAC
inf ip addr add 10.199.0.2/24 dev veth1
inf ip link set veth1 up
inf ip addr add 10.199.5.5/32 dev lo
nsenter -t $FAR -n /usr/bin/python3 -c '
import socket, time
ls = []
for a in ("10.199.5.5", "10.199.0.2"):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, 6379)); s.listen(64); ls.append(s)
print("ready", flush=True)
time.sleep(600)' >"$T_TMP/far.ready" 2>&1 &
T_PIDS+=($!)
for _ in $(seq 100); do grep -q ready "$T_TMP/far.ready" && break; sleep 0.05; done
ip route add 10.199.5.0/24 via 10.199.0.2 dev veth0
ip neigh replace 10.199.0.2 lladdr $GWMAC dev veth0 nud permanent
GW=(--discovery syn --discovery-only -v --no-db --timeout 300 --retries 0 -p 6379,9200 --rate 0)

# capture: the SYNs arriving at the far end (with PACKET_QDISC_BYPASS the sender's own
# interface shows no copy of them); "dst-mac src-mac src-ip" per SYN
cap_start() {
    rm -f "$T_TMP/cap.pcap"
    nsenter -t $FAR -n tcpdump -i veth1 -e -n -U -w "$T_TMP/cap.pcap" 'tcp[tcpflags] == tcp-syn' \
        >/dev/null 2>&1 &
    CAP=$!
    sleep 0.5
}
cap_stop() {
    sleep 0.3
    kill $CAP 2>/dev/null
    wait $CAP 2>/dev/null
    tcpdump -r "$T_TMP/cap.pcap" -e -n 2>/dev/null |
        awk '{ sub(/,$/, "", $4); split($10, a, "."); print $4, $2, a[1] "." a[2] "." a[3] "." a[4] }' | sort | uniq -c
}
for m in mmsg ring; do
    cap_start
    "$AJAR" scan "${GW[@]}" --send-method $m 10.199.5.0/29 -o "$T_TMP/gw.$m.jsonl" 2>"$T_TMP/gw.$m.err"
    check_eq "via the gateway, $m: exit status" "$?" 0
    frames=$(cap_stop)
    check_eq "via the gateway, $m: found the target behind it" "$(pairs "$T_TMP/gw.$m.jsonl")" "10.199.5.5:6379"
    check "via the gateway, $m: the MACs named in the log" grep -q "syn: sending with $m on veth0 (AF_PACKET, $MYMAC -> $GWMAC) from 10.199.0.1" "$T_TMP/gw.$m.err"
    check_eq "via the gateway, $m: the 16 SYNs captured carry the neighbour entry's MAC" \
        "$(echo $frames)" "16 $GWMAC $MYMAC 10.199.0.1"
done

ip neigh replace 10.199.0.2 lladdr 02:00:00:00:00:99 dev veth0 nud permanent
cap_start
"$AJAR" scan "${GW[@]}" --send-method mmsg 10.199.5.0/29 -o "$T_TMP/wrong.jsonl" 2>/dev/null
frames=$(cap_stop)
check_eq "a wrong neighbour entry is followed: frames to its MAC" "$(echo $frames)" "16 02:00:00:00:00:99 $MYMAC 10.199.0.1"
check_eq "... which the far end ignores: nothing found" "$(pairs "$T_TMP/wrong.jsonl")" ""
cap_start
"$AJAR" scan "${GW[@]}" --send-method mmsg --gateway-mac $GWMAC --source-ip 10.199.0.7 10.199.5.0/29 \
    -o "$T_TMP/over.jsonl" 2>/dev/null
frames=$(cap_stop)
check_eq "--gateway-mac and --source-ip override: frames" "$(echo $frames)" "16 $GWMAC $MYMAC 10.199.0.7"
check_eq "--gateway-mac and --source-ip override: found" "$(pairs "$T_TMP/over.jsonl")" "10.199.5.5:6379"

# a gateway nobody answers for (10.199.0.3): no neighbour entry, then a failed one
ip route add 10.199.6.0/24 via 10.199.0.3 dev veth0
"$AJAR" scan "${GW[@]}" --send-method mmsg 10.199.6.0/29 >/dev/null 2>"$T_TMP/noneigh.err"
check_eq "no neighbour entry, --send-method mmsg: exit 1" "$?" 1
check "... a clear error" grep -q "^ajar scan: --send-method mmsg: no usable neighbour entry for the gateway 10.199.0.3 on veth0 (none): reach it once (ping 10.199.0.3) or give --gateway-mac$" "$T_TMP/noneigh.err"
"$AJAR" scan "${GW[@]}" --timeout 1500 10.199.6.0/29 -o "$T_TMP/noneigh.jsonl" 2>"$T_TMP/noneigh2.err"
check_eq "no neighbour entry, default: exit status" "$?" 0
check "no neighbour entry, default: raw, saying why" grep -q "syn: no usable neighbour entry for the gateway 10.199.0.3 on veth0 (none): .*: sending through the raw socket" "$T_TMP/noneigh2.err"
check "... and the raw socket sends" grep -q "syn: sending with raw " "$T_TMP/noneigh2.err"
"$AJAR" scan "${GW[@]}" --send-method ring 10.199.6.0/29 >/dev/null 2>"$T_TMP/failed.err"
check "the kernel's failed entry (its ARP went unanswered): refused as such" grep -q "^ajar scan: --send-method ring: no usable neighbour entry for the gateway 10.199.0.3 on veth0 (incomplete or failed)" "$T_TMP/failed.err"

"$AJAR" scan "${GW[@]}" --send-method mmsg 10.199.0.2 >/dev/null 2>"$T_TMP/onlink.err"
check_eq "an on-link target, --send-method mmsg: exit 1" "$?" 1
check "... a clear error" grep -q "^ajar scan: --send-method mmsg: the targets are on-link on veth0 (no gateway), each address with its own MAC; --gateway-mac sends every frame to one next hop$" "$T_TMP/onlink.err"
"$AJAR" scan "${GW[@]}" --send-method mmsg --gateway-mac $GWMAC --interface veth0 10.199.0.2 \
    -o "$T_TMP/onlink.jsonl" 2>/dev/null
check_eq "an on-link target with --gateway-mac and --interface: found" "$(pairs "$T_TMP/onlink.jsonl")" "10.199.0.2:6379"
"$AJAR" scan "${GW[@]}" --interface nosuch0 10.199.0.2 >/dev/null 2>"$T_TMP/noif.err"
check_eq "--interface nosuch0: exit 1" "$?" 1
check "... naming it" grep -q "^ajar scan: --interface nosuch0: no such interface$" "$T_TMP/noif.err"
"$AJAR" scan --discovery-only --send-method mmsg -p 1 127.0.0.1 >/dev/null 2>"$T_TMP/noSYN.err"
check_eq "--send-method without --discovery syn: exit 2" "$?" 2
check "... naming both" grep -q "^ajar scan: --send-method needs --discovery syn$" "$T_TMP/noSYN.err"
t_end
