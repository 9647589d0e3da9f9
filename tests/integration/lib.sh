# tests/integration/lib.sh -- sourced by the integration scripts: checks
# that count passes and failures, and the closing "N passed, N failed".
set -u
T_PASS=0 T_FAIL=0
T_TMP=$(mktemp -d /tmp/ajar-it.XXXXXX)
T_PIDS=()
AJAR=${AJAR:-$PWD/build-asan/ajar}
export AJAR_DB=$T_TMP/ajar.db
ok()   { T_PASS=$((T_PASS + 1)); [ -n "${T_VERBOSE:-}" ] && echo "ok   $*"; return 0; }
bad()  { T_FAIL=$((T_FAIL + 1)); echo "FAIL $*"; return 0; }
check() { # description, then a command whose success is the check
    local d=$1; shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
check_eq() { # description, got, want
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}
bg() { "$@" & T_PIDS+=($!); }
t_cleanup() {
    for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T_TMP"
}
trap t_cleanup EXIT
t_end() {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}
# start tests/tools/listeners.py and wait until it listens
start_listeners() { # logfile, specs...
    local log=$1; shift
    local fifo="$T_TMP/ready.$RANDOM"
    python3 tests/tools/listeners.py --log "$log" "$@" >"$fifo" 2>&1 &
    T_PIDS+=($!)
    for _ in $(seq 100); do grep -q ready "$fifo" 2>/dev/null && return 0; sleep 0.05; done
    echo "listeners did not start:"; cat "$fifo"; return 1
}
