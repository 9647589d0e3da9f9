#!/usr/bin/env bash
# bench/syn.sh -- ajar's SYN discovery (each --send-method) beside the machine's ceilings
# (bench/pktloop.c: the smallest AF_PACKET frame loop; bench/synloop.c: the smallest raw-socket
# loop), masscan and zmap (and, on request, ajar's connect discovery and nmap -sS), on the same
# planted listeners, inside a private network namespace (unshare -n: nothing leaves this
# machine, the host is untouched).
#
#   bench/syn.sh [--quick] [--runs N] [--big-runs N] [--tools ajar-mmsg,pktloop,...]
#
# Rows: 127.0.0.0/16 x 3 ports with every address answering ("rst": closed ports send RST,
# the receive side's load), and two rows where sending dominates, with only the planted
# addresses answering ("silent": an nftables rule on lo's ingress drops SYNs to every other
# address, so it holds for frames written with AF_PACKET as for the raw socket's packets):
# 127.0.0.0/14 x 3 ports and 127.0.0.0/20 x 1000 ports. --quick: the first two rows.
# Tools (default order; --tools picks and orders a subset of these and ajar-connect, nmap-sS):
#   ajar-mmsg, ajar-ring, ajar-raw   ajar --discovery syn --send-method M (--rate 0 --retries 0
#                                    --timeout 500), one sender thread
#   ajar-mmsg-2t                     the same with --sender-threads 2
#   pktloop                          bench/pktloop.c -t mmsg -r ring: AF_PACKET sendmmsg with
#                                    PACKET_QDISC_BYPASS, TPACKET_V3 receive ring, 500 ms wait
#   synloop                          bench/synloop.c: raw IP socket, sendmmsg, 500 ms wait
#   masscan                          --rate 100000 (MASSCAN_RATE) --wait 1, libpcap on lo
#   zmap                             -B 10G -c 1; one port per run (zmap 2.1): a 3-port time is
#                                    the sum of three runs, the 1000-port row is not run
# Per tool: the median wall time of --runs runs (--big-runs for the /20 x 1000 row), the median
# time from the first SYN to the last where the tool says (ajar -v, the loops), the median CPU
# time (user + system, children included: steadier than wall time on a shared machine),
# probes/s (pairs / wall time), planted pairs found (the worst run), duplicate lines in ajar's
# output (the worst run), and the wall time as a ratio to pktloop's (>1: slower than the
# ceiling). The runs of a row are interleaved (run 1 of every tool, then run 2...), so a change
# in the machine's other load falls on every tool alike; the load average is printed before
# and after each row. A tool stopped at the cap (AJAR_BENCH_TMAX, default 600 s) is not run
# again on that row: its time is a lower bound.
# Inside the namespace lo gets a MAC (masscan and zmap refuse a zero one) and route_localnet
# and accept_local (frames written to lo are otherwise dropped as martians; see
# /work/shared/LAB-NOTES.md), and lo_for_pcap (bench/lib.sh) lowers lo's MTU and turns its
# offloads off so that libpcap's capture ring holds thousands of packets instead of 32.
# A benchmark, not a test: nothing here fails a build.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
runs=3 big_runs=3 quick=0 only=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --runs) runs=$2; shift ;;
        --big-runs) big_runs=$2; shift ;;
        --tools) only=$2; shift ;;
        *) echo "usage: $0 [--quick] [--runs N] [--big-runs N] [--tools LIST]" >&2; exit 2 ;;
    esac
    shift
done

if [ "${AJAR_BENCH_INSIDE:-}" != 1 ]; then
    bash scripts/deps.sh bench >/dev/null || exit 1 # masscan, zmap, nmap, nftables from Debian
    [ -n "${AJAR_BENCH_NOBUILD:-}" ] || make -s -j2 all >/dev/null || exit 1
    mkdir -p bench/out
    cc -O2 -Wall -Wextra -Werror -o bench/out/synloop bench/synloop.c || exit 1
    cc -O2 -Wall -Wextra -Werror -o bench/out/pktloop bench/pktloop.c || exit 1
    exec env AJAR_BENCH_INSIDE=1 AJAR_BENCH_RUNS=$runs AJAR_BENCH_BIG_RUNS=$big_runs \
        AJAR_BENCH_QUICK=$quick AJAR_BENCH_TOOLS=$only AJAR_BENCH_TMAX=${AJAR_BENCH_TMAX:-600} unshare -n bash "$0"
fi

# ---- inside the namespace ----
ip link set lo up
ip link set dev lo address 02:00:00:00:00:01
. "$ROOT/bench/lib.sh"
lo_for_pcap || echo "warning: lo_for_pcap failed: masscan will drop most replies" >&2
sysctl -q -w net.ipv4.conf.lo.route_localnet=1 net.ipv4.conf.all.route_localnet=1 \
    net.ipv4.conf.lo.accept_local=1 net.ipv4.conf.all.accept_local=1
ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null
runs=${AJAR_BENCH_RUNS:-3}
big_runs=${AJAR_BENCH_BIG_RUNS:-3}
TMAX=${AJAR_BENCH_TMAX:-600} # a run stopped after TMAX seconds reads as TMAX (a lower bound)
quick=${AJAR_BENCH_QUICK:-0}
only=${AJAR_BENCH_TOOLS:-}
AJAR=$ROOT/build/ajar
SYNLOOP=$ROOT/bench/out/synloop
PKTLOOP=$ROOT/bench/out/pktloop
W=$(mktemp -d /tmp/ajar-synbench.XXXXXX)
: >"$W/empty"
# masscan's receive loop only notices the end of the scan when a packet arrives
( while :; do echo x >/dev/udp/127.0.0.1/9; sleep 0.1; done ) 2>/dev/null &
PINGER=$!
trap 'kill $PINGER $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
MASSCAN_RATE=${MASSCAN_RATE:-100000}

# one run: result file (gets "wall cpu capped send dups"), then the command; the command
# writes sorted unique "ip:port" lines to the file named last, and may write the seconds from
# its first SYN to its last to that file + ".send" and its duplicate lines to + ".dups"
run_once() {
    local res=$1; shift
    local out=${*: -1}
    local t0 t1 rc
    rm -f "$out.send" "$out.dups"
    t0=$(now)
    /usr/bin/time -f '%U %S' -o "$W/cpu" timeout "$TMAX" bash -c '"$@"' _ "$@" >/dev/null 2>>"$W/err"
    rc=$?
    t1=$(now)
    local cpu send dups
    cpu=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { c = $1 + $2 } END { printf "%.2f", c }' "$W/cpu")
    send=$(cat "$out.send" 2>/dev/null || echo -)
    dups=$(cat "$out.dups" 2>/dev/null || echo -)
    if [ $rc -eq 124 ]; then
        echo "$TMAX $cpu 1 ${send:--} $dups" >>"$res"
    else
        echo "$(echo "$t1 - $t0" | bc) $cpu 0 ${send:--} $dups" >>"$res"
    fi
}

ajar_syn() { # method threads ports cidr out
    "$AJAR" scan --discovery syn --discovery-only -v --rate 0 --retries 0 --timeout 500 --no-db \
        --send-method "$1" --sender-threads "$2" --seed 1 -p "$3" "$4" -o "$W/ajar.jsonl" 2>"$W/ajar.log"
    sed -n 's/.*syn: [0-9]* SYNs in \([0-9.]*\) s.*/\1/p' "$W/ajar.log" >"$5.send"
    jq -r '"\(.ip):\(.port)"' "$W/ajar.jsonl" >"$W/ajar.pairs"
    echo $(($(wc -l <"$W/ajar.pairs") - $(sort -u "$W/ajar.pairs" | wc -l))) >"$5.dups"
    sort -u "$W/ajar.pairs" >"$5"
}
ajar_mmsg() { ajar_syn mmsg 1 "$@"; }
ajar_ring() { ajar_syn ring 1 "$@"; }
ajar_raw() { ajar_syn raw 1 "$@"; }
ajar_mmsg2() { ajar_syn mmsg 2 "$@"; }
ajar_connect() {
    "$AJAR" scan --discovery-only -q --rate 0 --retries 0 --timeout 300 --concurrency 8000 --no-db \
        --seed 1 -p "$1" "$2" -o "$W/ajarc.jsonl"
    jq -r '"\(.ip):\(.port)"' "$W/ajarc.jsonl" | sort -u >"$3"
}
nmap_ss() {
    nmap -sS -T5 --min-rate 100000 --max-retries 0 -n -Pn --open -p "$1" "$2" -oG "$W/nmap.gnmap" >/dev/null 2>&1
    awk '/Ports:/ { ip=$2; sub(/.*Ports: /, ""); n=split($0, a, ", ");
         for (i=1;i<=n;i++) { split(a[i], f, "/"); if (f[2]=="open") print ip ":" f[1] } }' \
        "$W/nmap.gnmap" | sort -u >"$3"
}
masscan_cmd() {
    masscan --adapter lo --adapter-ip 127.0.0.1 --adapter-mac 02:00:00:00:00:02 \
        --router-mac 02:00:00:00:00:01 -p "$1" "$2" --rate "$MASSCAN_RATE" --wait 1 -oL "$W/masscan.txt" >/dev/null 2>&1
    awk '$1 == "open" { print $4 ":" $3 }' "$W/masscan.txt" | sort -u >"$3"
}
zmap_cmd() { # one run per port (zmap 2.1)
    : >"$W/zmap.all"
    local p
    for p in ${1//,/ }; do
        zmap -q -i lo -S 127.0.0.1 -G 02:00:00:00:00:01 --source-mac 02:00:00:00:00:02 -b "$W/empty" \
            -p "$p" -B 10G -c 1 -f saddr,sport -O csv --output-filter="success = 1 && repeat = 0" \
            -o "$W/zmap.csv" "$2" >/dev/null 2>&1
        awk -F, 'NR > 1 { print $1 ":" $2 }' "$W/zmap.csv" >>"$W/zmap.all"
    done
    sort -u "$W/zmap.all" >"$3"
}
loop_cmd() { # binary [options] ports cidr out
    local bin=$1; shift
    local a=("$@")
    local n=${#a[@]}
    "$bin" "${a[@]:0:n-3}" "${a[n-2]}" "${a[n-3]}" "$W/loop.raw" >"$W/loop.out"
    sed -n 's/^sent [0-9]* in \([0-9.]*\) s.*/\1/p' "$W/loop.out" >"${a[n-1]}.send"
    sort -u "$W/loop.raw" >"${a[n-1]}"
}
synloop_cmd() { loop_cmd "$SYNLOOP" "$@"; }
pktloop_cmd() { loop_cmd "$PKTLOOP" -t mmsg -r ring "$@"; }

export AJAR SYNLOOP PKTLOOP W MASSCAN_RATE
export -f ajar_syn ajar_mmsg ajar_ring ajar_raw ajar_mmsg2 ajar_connect nmap_ss masscan_cmd zmap_cmd \
    loop_cmd synloop_cmd pktloop_cmd

ALL_TOOLS=(ajar-mmsg ajar-ring ajar-raw ajar-mmsg-2t pktloop synloop masscan zmap ajar-connect nmap-sS)
ALL_FNS=(ajar_mmsg ajar_ring ajar_raw ajar_mmsg2 pktloop_cmd synloop_cmd masscan_cmd zmap_cmd ajar_connect nmap_ss)
DEFAULT=8 # the first 8; ajar-connect and nmap-sS only when named

row() { # label ports cidr nplant pairs mode runs
    local label=$1 ports=$2 cidr=$3 n=$4 pairs=$5 mode=$6 nr=$7
    python3 "$ROOT/bench/plant.py" "$cidr" "$ports" "$n" 42 "$W/planted" >"$W/plant.out" 2>&1 &
    local pp=$!
    for _ in $(seq 200); do grep -q ready "$W/plant.out" && break; sleep 0.05; done
    sort -o "$W/planted" "$W/planted"
    [ "$mode" = silent ] && silent_ingress_on "$W/planted"
    local tools=() fns=() i r
    if [ -n "$only" ]; then # the tools named in --tools, in that order
        local t
        for t in ${only//,/ }; do
            for i in "${!ALL_TOOLS[@]}"; do
                [ "${ALL_TOOLS[$i]}" = "$t" ] && tools+=("$t") && fns+=("${ALL_FNS[$i]}")
            done
        done
    else
        tools=("${ALL_TOOLS[@]:0:DEFAULT}") fns=("${ALL_FNS[@]:0:DEFAULT}")
    fi
    echo "  $label $mode: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    for i in "${!tools[@]}"; do : >"$W/res.$i"; : >"$W/found.$i"; done
    for r in $(seq "$nr"); do
        for i in "${!tools[@]}"; do
            [ "${tools[$i]}" = zmap ] && [[ $ports == *-* ]] && continue
            grep -q '^[^ ]* [^ ]* 1 ' "$W/res.$i" && continue # stopped at the cap once: not again
            : >"$W/found"
            run_once "$W/res.$i" "${fns[$i]}" "$ports" "$cidr" "$W/found"
            comm -12 "$W/planted" "$W/found" | wc -l >>"$W/found.$i"
        done
    done
    local tbase=""
    for i in "${!tools[@]}"; do # the ratios are to pktloop (the first tool without it)
        [ "${tools[$i]}" = pktloop ] && tbase=$(cut -d' ' -f1 "$W/res.$i" | median)
    done
    [ -z "$tbase" ] && tbase=$(cut -d' ' -f1 "$W/res.0" | median)
    for i in "${!tools[@]}"; do
        if [ "${tools[$i]}" = zmap ] && [[ $ports == *-* ]]; then
            printf '  %-20s %-6s %-13s %s\n' "$label" "$mode" zmap "n/a (one port per run: 1000 runs)"
            continue
        fi
        local t c f k s d capped=""
        t=$(cut -d' ' -f1 "$W/res.$i" | median)
        c=$(cut -d' ' -f2 "$W/res.$i" | median)
        s=$(cut -d' ' -f4 "$W/res.$i" | grep -v -- '^-$')
        if [ -n "$s" ]; then s=$(printf '%.3fs' "$(echo "$s" | median)"); else s=-; fi
        d=$(cut -d' ' -f5 "$W/res.$i" | grep -v -- - | sort -n | tail -1)
        k=$(wc -l <"$W/res.$i")
        grep -q '^[^ ]* [^ ]* 1 ' "$W/res.$i" && capped=" (stopped at the ${TMAX}s cap)"
        f=$(sort -n "$W/found.$i" | head -1) # the worst run
        printf '  %-20s %-6s %-13s %7.2fs send %7s cpu %6.2fs %9.0f probes/s %4d/%d found dups %-2s x%.2f  runs: %s%s\n' \
            "$label" "$mode" "${tools[$i]}" "$t" "${s:--}" "$c" "$(echo "$pairs / $t" | bc -l)" "$f" "$n" "${d:--}" \
            "$(echo "$t / $tbase" | bc -l)" "$(cut -d' ' -f1 "$W/res.$i" | paste -sd' ' -)" "$capped"
    done
    echo "  $label $mode: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    [ "$mode" = silent ] && silent_ingress_off
    kill $pp 2>/dev/null
    wait $pp 2>/dev/null
}

echo "ajar SYN discovery benchmark ($(nproc) cores, runs=$runs (/20 x 1000 row: $big_runs), cap ${TMAX}s per run;"
echo "ratio = tool time / pktloop time (the AF_PACKET ceiling), >1 means slower; release build; $(uptime)"
row "127.0.0.0/16 x 3" 6379,9200,27017 127.0.0.0/16 100 196608 rst "$runs"
row "127.0.0.0/14 x 3" 6379,9200,27017 127.0.0.0/14 100 786432 silent "$runs"
if [ "$quick" != 1 ]; then
    row "127.0.0.0/20 x 1000" 1-1000 127.0.0.0/20 200 4096000 silent "$big_runs"
fi
