#!/usr/bin/env bash
# The lab's `up` after one of its servers died: the server is started again and
# seeded again. A server that keeps its data only in memory (Memcached here)
# comes back empty, so a seeded stamp left from its earlier process must not
# count (that once left the open Redis and Memcached empty after a machine restart,
# and lab_scan saw records=0).
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
lab_up || { bad "lab up"; t_end; exit 1; }
items() { printf 'stats\r\nquit\r\n' | timeout 5 nc -q 2 127.0.11.1 11211 | tr -d '\r' |
    sed -n 's/^STAT curr_items //p'; }
check_eq "memcached-open seeded" "$(items)" 25
pidf=$AJAR_LAB_DIR/pids/memcached-open.pid
pid=$(cat "$pidf")
kill -KILL "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
gone() { ! kill -0 "$1" 2>/dev/null; }
down() { ! tests/lab/lab status >/dev/null 2>&1; }
check "memcached-open is gone" gone "$pid"
check "lab status sees it down" down
lab_up || bad "lab up again"
check "a new process" test "$(cat "$pidf")" != "$pid"
check_eq "memcached-open seeded again" "$(items)" 25

# A lab directory left from an earlier boot (its boot_id differs): `down` kills none of
# the pids it records (they name other processes now) and leaves this boot's route alone;
# `up` forgets them and the seeds (lab_stale in tests/lab/real/lib.sh).
fake=$T_TMP/stale-lab
mkdir -p "$fake/pids" "$fake/state"
sleep 600 &
spid=$!
T_PIDS+=("$spid")
echo "$spid" >"$fake/pids/redis-open.pid"
echo 00000000-0000-0000-0000-000000000000 >"$fake/boot_id"
check "the fake lab is stale" env AJAR_LAB_DIR="$fake" bash -c '. tests/lab/real/lib.sh && lab_stale'
AJAR_LAB_DIR=$fake tests/lab/lab down >/dev/null 2>&1
running() { kill -0 "$1" 2>/dev/null; }
check "down spared the process its stale pid file names" running "$spid"
check "down removed the stale directory" test ! -e "$fake"
check "this boot's route for redis-protected is still there" \
    bash -c 'ip route show table local | grep -q "127.0.10.3 "'
check "the running lab is not stale" bash -c '. tests/lab/real/lib.sh && ! lab_stale'
t_end
