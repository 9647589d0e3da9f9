#!/usr/bin/env bash
# bench/discovery.sh -- ajar's connect discovery beside nmap, in one run, on
# the same planted listeners, inside a private network namespace (unshare -n:
# nothing leaves this machine, the host's loopback settings are untouched).
#
#   bench/discovery.sh [--quick] [--runs N]
#
# Rows: 127.0.0.0/16 x 3 ports and 127.0.0.0/20 x 1000 ports, each in two
# modes: "rst" (every address answers: closed ports send RST) and "silent"
# (an nftables rule drops SYNs to every unplanted address, like most of the
# internet). Tools: ajar --discovery-only (connect), nmap -sT (tuned connect
# scan) and nmap -sS -T5 --min-rate 100000 --max-retries 0 (SYN).
# Prints wall time (median of --runs), found/planted and each tool's time
# as a ratio to ajar's. A benchmark, not a test: nothing here fails a build.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
runs=1 quick=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --runs) runs=$2; shift ;;
        --inside) shift; break ;;
        *) echo "usage: $0 [--quick] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done

if [ "${AJAR_BENCH_INSIDE:-}" != 1 ]; then
    bash scripts/deps.sh bench >/dev/null || exit 1
    [ -n "${AJAR_BENCH_NOBUILD:-}" ] || make -s all >/dev/null || exit 1
    exec env AJAR_BENCH_INSIDE=1 AJAR_BENCH_RUNS=$runs AJAR_BENCH_QUICK=$quick AJAR_BENCH_TMAX=${AJAR_BENCH_TMAX:-900} \
        unshare -n bash "$0"
fi

# ---- inside the namespace ----
ip link set lo up
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
runs=${AJAR_BENCH_RUNS:-1}
TMAX=${AJAR_BENCH_TMAX:-900}   # a tool still running after TMAX seconds is stopped: its time reads as TMAX (a lower bound)
quick=${AJAR_BENCH_QUICK:-0}
AJAR=$ROOT/build/ajar
W=$(mktemp -d /tmp/ajar-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT

. "$ROOT/bench/lib.sh"

# tool name, then the command; the command writes "ip:port" lines to $out
run_tool() {
    local name=$1 out=$2; shift 2
    local times=()
    for _ in $(seq "$runs"); do
        : >"$out"
        local t0 t1
        t0=$(now)
        timeout "$TMAX" bash -c '"$@"' _ "$@" >/dev/null 2>"$W/err"
        local rc=$?
        t1=$(now)
        if [ $rc -eq 124 ]; then times+=("$TMAX"); else times+=("$(echo "$t1 - $t0" | bc)"); fi
    done
    printf '%s\n' "${times[@]}" | median
}

ajar_cmd() { # ports cidr out
    "$AJAR" scan --discovery-only -q --rate 0 --retries 0 --timeout 300 --concurrency 8000 --no-db \
        --seed 1 -p "$1" "$2" -o "$W/ajar.jsonl"
    jq -r '"\(.ip):\(.port)"' "$W/ajar.jsonl" | sort -u >"$3"
}
nmap_cmd() { # flags... -- ports cidr out
    local flags=()
    while [ "$1" != -- ]; do flags+=("$1"); shift; done
    shift
    nmap "${flags[@]}" -n -Pn --open -p "$1" "$2" -oG "$W/nmap.gnmap" >/dev/null 2>&1
    awk '/Ports:/ { ip=$2; sub(/.*Ports: /, ""); n=split($0, a, ", ");
         for (i=1;i<=n;i++) { split(a[i], f, "/"); if (f[2]=="open") print ip ":" f[1] } }' \
        "$W/nmap.gnmap" | sort -u >"$3"
}

export AJAR W
export -f ajar_cmd nmap_cmd

row() { # label ports cidr nplant mode
    local label=$1 ports=$2 cidr=$3 n=$4 mode=$5
    python3 "$ROOT/bench/plant.py" "$cidr" "$ports" "$n" 42 "$W/planted" >"$W/plant.out" 2>&1 &
    local pp=$!
    for _ in $(seq 200); do grep -q ready "$W/plant.out" && break; sleep 0.05; done
    sort -o "$W/planted" "$W/planted"
    [ "$mode" = silent ] && silent_on "$W/planted"
    local ta tn ts fa fn fs
    ta=$(run_tool ajar "$W/f.ajar" ajar_cmd "$ports" "$cidr" "$W/f.ajar")
    tn=$(run_tool nmap-sT "$W/f.nmapt" nmap_cmd -sT -T5 --min-rate 100000 --max-retries 0 -- "$ports" "$cidr" "$W/f.nmapt")
    ts=$(run_tool nmap-sS "$W/f.nmaps" nmap_cmd -sS -T5 --min-rate 100000 --max-retries 0 -- "$ports" "$cidr" "$W/f.nmaps")
    fa=$(comm -12 "$W/planted" "$W/f.ajar" | wc -l)
    fn=$(comm -12 "$W/planted" "$W/f.nmapt" | wc -l)
    fs=$(comm -12 "$W/planted" "$W/f.nmaps" | wc -l)
    [ "$mode" = silent ] && silent_off
    kill $pp 2>/dev/null; wait $pp 2>/dev/null
    printf '%-22s %-6s | ajar %7.2fs %4d/%d | nmap -sT %7.2fs %4d/%d x%5.2f | nmap -sS %7.2fs %4d/%d x%5.2f\n' \
        "$label" "$mode" "$ta" "$fa" "$n" "$tn" "$fn" "$n" "$(echo "$tn / $ta" | bc -l)" \
        "$ts" "$fs" "$n" "$(echo "$ts / $ta" | bc -l)"
}

echo "ajar discovery benchmark ($(nproc) cores, runs=$runs, cap ${TMAX}s per tool run; ratio = tool time / ajar time, >1 means ajar is faster)"
row "127.0.0.0/16 x 3" 6379,9200,27017 127.0.0.0/16 100 rst
row "127.0.0.0/16 x 3" 6379,9200,27017 127.0.0.0/16 100 silent
if [ "$quick" != 1 ]; then
    row "127.0.0.0/20 x 1000" 1-1000 127.0.0.0/20 200 rst
    row "127.0.0.0/20 x 1000" 1-1000 127.0.0.0/20 200 silent
fi
