#!/usr/bin/env bash
# bench/syn.sh -- ajar's SYN discovery beside its connect discovery, nmap
# -sS, masscan, zmap and a bare raw-SYN loop (bench/synloop.c: the
# machine's limit), on the same planted listeners, inside a private network
# namespace (unshare -n: nothing leaves this machine, the host is untouched).
#
#   bench/syn.sh [--quick] [--runs N] [--big-runs N] [--tools ajar-syn,masscan,...]
#
# Rows: 127.0.0.0/16 x 3 ports and 127.0.0.0/20 x 1000 ports, each in two
# modes: "rst" (every address answers: closed ports send RST) and "silent"
# (an nftables rule drops SYNs to every unplanted address). Prints, per tool,
# the median wall time of --runs runs (--big-runs for the /20 x 1000 rows),
# the median CPU time (user + system, children included: steadier than wall
# time on a shared machine), probes/s (pairs / wall time), found/planted and
# wall time as a ratio to ajar SYN's (>1: ajar SYN is faster). The runs of a
# row are interleaved (run 1 of every tool, then run 2...), so a change in the
# machine's other load falls on every tool alike; the load average is printed
# before and after each row. A tool stopped at the cap (AJAR_BENCH_TMAX, default
# 600 s) is not run again on that row: its time is a lower bound.
# masscan and zmap inject frames with libpcap, so lo gets a MAC and
# route_localnet/accept_local are set, and lo_for_pcap (bench/lib.sh) lowers
# lo's MTU and turns its offloads off so that libpcap's capture ring holds
# thousands of packets instead of 32 -- inside the namespace only (see
# /work/shared/LAB-NOTES.md). masscan runs at --rate 100000 (MASSCAN_RATE):
# at 300,000 it lost a reply now and then on this machine, at 50,000 the
# /20 x 1000 rows took over 120 s, and it sends no faster than ~48,000/s
# here anyway. --tools runs a subset (ratios are then to the first one). zmap 2.1 scans one port per run: its
# 3-port time is the sum of three runs, and the 1000-port rows are not run.
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
        --tools) only=$2; shift ;; # a subset of ajar-syn,ajar-connect,nmap-sS,masscan,zmap,synloop
        *) echo "usage: $0 [--quick] [--runs N] [--big-runs N] [--tools LIST]" >&2; exit 2 ;;
    esac
    shift
done

if [ "${AJAR_BENCH_INSIDE:-}" != 1 ]; then
    bash scripts/deps.sh bench >/dev/null || exit 1
    [ -n "${AJAR_BENCH_NOBUILD:-}" ] || make -s all >/dev/null || exit 1
    mkdir -p bench/out
    cc -O2 -Wall -Wextra -Werror -o bench/out/synloop bench/synloop.c || exit 1
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
W=$(mktemp -d /tmp/ajar-synbench.XXXXXX)
: >"$W/empty"
# masscan's receive loop only notices the end of the scan when a packet arrives
( while :; do echo x >/dev/udp/127.0.0.1/9; sleep 0.1; done ) 2>/dev/null &
PINGER=$!
trap 'kill $PINGER $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
MASSCAN_RATE=${MASSCAN_RATE:-100000}

# one run: out-file (gets "wall cpu capped"), then the command; the command writes sorted
# "ip:port" lines to the file named last
run_once() {
    local res=$1; shift
    local t0 t1 rc
    t0=$(now)
    /usr/bin/time -f '%U %S' -o "$W/cpu" timeout "$TMAX" bash -c '"$@"' _ "$@" >/dev/null 2>>"$W/err"
    rc=$?
    t1=$(now)
    local cpu
    cpu=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { c = $1 + $2 } END { printf "%.2f", c }' "$W/cpu")
    if [ $rc -eq 124 ]; then echo "$TMAX $cpu 1" >>"$res"; else echo "$(echo "$t1 - $t0" | bc) $cpu 0" >>"$res"; fi
}

ajar_syn() { # ports cidr out
    "$AJAR" scan --discovery syn --discovery-only -q --rate 0 --retries 0 --timeout 500 --no-db \
        --seed 1 -p "$1" "$2" -o "$W/ajar.jsonl"
    jq -r '"\(.ip):\(.port)"' "$W/ajar.jsonl" | sort -u >"$3"
}
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
synloop_cmd() {
    "$SYNLOOP" "$2" "$1" "$W/synloop.raw" >/dev/null
    sort -u "$W/synloop.raw" >"$3"
}

export AJAR SYNLOOP W MASSCAN_RATE
export -f ajar_syn ajar_connect nmap_ss masscan_cmd zmap_cmd synloop_cmd

row() { # label ports cidr nplant pairs mode runs
    local label=$1 ports=$2 cidr=$3 n=$4 pairs=$5 mode=$6 nr=$7
    python3 "$ROOT/bench/plant.py" "$cidr" "$ports" "$n" 42 "$W/planted" >"$W/plant.out" 2>&1 &
    local pp=$!
    for _ in $(seq 200); do grep -q ready "$W/plant.out" && break; sleep 0.05; done
    sort -o "$W/planted" "$W/planted"
    [ "$mode" = silent ] && silent_on "$W/planted"
    local tools=(ajar-syn ajar-connect nmap-sS masscan zmap synloop)
    local fns=(ajar_syn ajar_connect nmap_ss masscan_cmd zmap_cmd synloop_cmd)
    local i r
    if [ -n "$only" ]; then # keep the tools named in --tools, in this order
        local kt=() kf=()
        for i in "${!tools[@]}"; do
            [[ ",$only," == *",${tools[$i]},"* ]] && kt+=("${tools[$i]}") && kf+=("${fns[$i]}")
        done
        tools=("${kt[@]}") fns=("${kf[@]}")
    fi
    echo "  $label $mode: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    for i in "${!tools[@]}"; do : >"$W/res.$i"; : >"$W/found.$i"; done
    for r in $(seq "$nr"); do
        for i in "${!tools[@]}"; do
            [ "${tools[$i]}" = zmap ] && [[ $ports == *-* ]] && continue
            grep -q ' 1$' "$W/res.$i" && continue # stopped at the cap once: not again
            : >"$W/found"
            run_once "$W/res.$i" "${fns[$i]}" "$ports" "$cidr" "$W/found"
            comm -12 "$W/planted" "$W/found" | wc -l >>"$W/found.$i"
        done
    done
    local tsyn=""
    for i in "${!tools[@]}"; do
        if [ "${tools[$i]}" = zmap ] && [[ $ports == *-* ]]; then
            printf '  %-22s %-6s %-12s %s\n' "$label" "$mode" zmap "n/a (one port per run: 1000 runs)"
            continue
        fi
        local t c f k capped=""
        t=$(cut -d' ' -f1 "$W/res.$i" | median)
        c=$(cut -d' ' -f2 "$W/res.$i" | median)
        k=$(wc -l <"$W/res.$i")
        grep -q ' 1$' "$W/res.$i" && capped=" (stopped at the ${TMAX}s cap)"
        f=$(sort -n "$W/found.$i" | head -1) # the worst run
        [ -z "$tsyn" ] && tsyn=$t
        printf '  %-22s %-6s %-12s %8.2fs cpu %7.2fs %10.0f probes/s %5d/%d found (worst of %d)  x%.2f  runs: %s%s\n' \
            "$label" "$mode" "${tools[$i]}" "$t" "$c" "$(echo "$pairs / $t" | bc -l)" "$f" "$n" "$k" \
            "$(echo "$t / $tsyn" | bc -l)" "$(cut -d' ' -f1 "$W/res.$i" | paste -sd' ' -)" "$capped"
    done
    echo "  $label $mode: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    [ "$mode" = silent ] && silent_off
    kill $pp 2>/dev/null
    wait $pp 2>/dev/null
}

echo "ajar SYN discovery benchmark ($(nproc) cores, runs=$runs (/20 x 1000 rows: $big_runs), cap ${TMAX}s per run;"
echo "ratio = tool time / ajar-syn time, >1 means ajar SYN is faster; release build)"
row "127.0.0.0/16 x 3" 6379,9200,27017 127.0.0.0/16 100 196608 rst "$runs"
row "127.0.0.0/16 x 3" 6379,9200,27017 127.0.0.0/16 100 196608 silent "$runs"
if [ "$quick" != 1 ]; then
    row "127.0.0.0/20 x 1000" 1-1000 127.0.0.0/20 200 4096000 rst "$big_runs"
    row "127.0.0.0/20 x 1000" 1-1000 127.0.0.0/20 200 4096000 silent "$big_runs"
fi
