#!/usr/bin/env bash
# tests/integration/lean.sh -- memory per connection in flight (issue 26): at most 8 KiB for a
# plaintext exchange, measured, not computed.
#
# A holding server (tests/tools/hold_es.py) listens on N ports of 127.0.216.1 and answers as
# Elasticsearch 7.10.2 from recorded responses (the replay case open-7.10.2: its root, the
# vendor docs' _cat/indices, a recorded mapping), but holds every answer to GET / until all N
# connections have asked (or 20 s passed): the N probe connections are then all in flight at
# once, each after its first request. ajar (the release build: the sanitizers' allocator
# would be measured instead) probes the N ports with --concurrency N, then one port alone;
# the difference of their peak resident sets (VmHWM), divided by N, is the memory a
# connection in flight costs. Checks: every store identified with its index and fields (a
# server that held nothing back would prove nothing: the server counts the connections that
# waited together), and the cost per connection <= 8 KiB.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."

N=${LEAN_N:-2000}
BASE=21000
ADDR=127.0.216.1
REL=${AJAR_REL:-$PWD/build/ajar}
make -s -j2 build/ajar || { bad "build the release binary"; t_end; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((N + 200)) ] || { bad "open-file limit $(ulimit -n) below $N connections"; t_end; exit 1; }

FX=${AJAR_FIXTURES:-tests/fixtures/recorded}
[ -f "$FX/elasticsearch/7.10.2/root.json" ] || FX=tests/fixtures/recorded

# peak RSS of a command (KiB): run it, sample /proc/PID/status VmHWM at its end via wait4
# (GNU time's %M is the same figure from the kernel's rusage)
peak() { # out-file args...
    local out=$1; shift
    /usr/bin/time -f '%M' -o "$T_TMP/rss" "$REL" "$@" >"$out" 2>"$T_TMP/err"
    local rc=$?
    [ $rc -eq 0 ] || sed 's/^/     | /' "$T_TMP/err" | head -5
    cat "$T_TMP/rss"
}
command -v /usr/bin/time >/dev/null 2>&1 || [ -x /usr/bin/time ] || \
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q time >/dev/null 2>&1
[ -x /usr/bin/time ] || { bad "GNU time is not installed"; t_end; exit 1; }

run_server() { # n hold -> port file
    python3 tests/tools/hold_es.py --addr "$ADDR" --base "$BASE" --n "$1" --hold "$2" \
        --fixtures "$FX" --ready "$T_TMP/ready.$1" --report "$T_TMP/report.$1" &
    T_PIDS+=($!)
    for _ in $(seq 200); do [ -f "$T_TMP/ready.$1" ] && return 0; sleep 0.05; done
    return 1
}

# one port alone: the baseline (the binary, its tables, one connection)
run_server 1 1 || { bad "the holding server did not start"; t_end; exit 1; }
echo "$ADDR:$BASE" >"$T_TMP/one"
rss1=$(peak "$T_TMP/one.jsonl" probe --rate 0 --no-db -o - "$T_TMP/one")
check "one store identified" grep -q '"service":"elasticsearch"' "$T_TMP/one.jsonl"
kill "${T_PIDS[-1]}" 2>/dev/null; wait "${T_PIDS[-1]}" 2>/dev/null

targets=$T_TMP/targets
for ((i = 0; i < N; i++)); do echo "$ADDR:$((BASE + i))"; done >"$targets"
# twice, each against a fresh holding server; the smaller peak counts (a peak is the allocator's
# as much as ours: one run's stray arena growth is not the cost of a connection)
rssn=
for run in 1 2; do
    run_server "$N" "$N" || { bad "the holding server did not start on $N ports"; t_end; exit 1; }
    r=$(peak "$T_TMP/many.jsonl" probe --rate 0 --no-db --concurrency "$N" -o - "$targets")
    kill -USR1 "${T_PIDS[-1]}" 2>/dev/null; sleep 0.3
    held=$(cat "$T_TMP/report.$N" 2>/dev/null || echo 0)
    check_eq "run $run: the server held all $N connections' first answers together" "$held" "$N"
    got=$(grep -c '"service":"elasticsearch".*"names":\["twitter"\].*"fields":\["contact.email"' "$T_TMP/many.jsonl")
    check_eq "run $run: all $N stores identified with their index and fields" "$got" "$N"
    kill "${T_PIDS[-1]}" 2>/dev/null; wait "${T_PIDS[-1]}" 2>/dev/null
    rm -f "$T_TMP/ready.$N" "$T_TMP/report.$N"
    echo "     | run $run: peak RSS $r KiB"
    if [ -z "$rssn" ] || [ "$r" -lt "$rssn" ]; then rssn=$r; fi
done
per=$(( (rssn - rss1) * 1024 / N ))
echo "     | peak RSS: 1 port $rss1 KiB, $N ports $rssn KiB: $per bytes per connection in flight"
check "memory per connection in flight <= 8 KiB ($per bytes)" [ "$per" -le 8192 ]
check "... and the figure is a real one (> 1 KiB: the N connections were measured)" [ "$per" -gt 1024 ]
t_end
