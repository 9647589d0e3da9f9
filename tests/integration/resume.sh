#!/usr/bin/env bash
# Integration: a scan killed with SIGKILL at random moments, resumed each
# time with --resume, ends with the same services in the store as a scan
# that was never interrupted: the same scan id throughout, every service
# once, nothing missing. Plain listeners on 127.0.160.0/24 (this suite's
# range), a slow --rate so the kills land mid-walk. SQLite here; the
# store's unit suite covers resume on PostgreSQL (tests/integration/store.sh).
# The integrator repeats this against the lab.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

q() { sqlite3 -batch "$1" "$2"; }
ports=(6379 9200 27017 11211 5601)
specs=()
for i in $(seq 100 159); do
    specs+=("127.0.160.$i:${ports[$((i % 5))]}")
    [ $((i % 3)) -eq 0 ] && specs+=("127.0.160.$i:${ports[$(((i + 2) % 5))]}")
done
start_listeners "$T_TMP/conns" "${specs[@]}" || { bad "listeners"; t_end; exit 1; }
P=6379,9200,27017,11211,5601
RANGE=127.0.160.100-127.0.160.159 # 60 addresses x 5 ports = 300 pairs
RATE=30                           # about 10 s per full scan
args=(scan -q -p $P --rate $RATE --seed 21 --timeout 500 --probe-timeout 500)

"$AJAR" "${args[@]}" --db "$T_TMP/ref.db" $RANGE >/dev/null 2>&1
check_eq "uninterrupted scan exit status" "$?" 0
want=$(q "$T_TMP/ref.db" "SELECT COUNT(*) FROM services")
check_eq "uninterrupted scan found every listener" "$want" "${#specs[@]}"

DB="$T_TMP/killed.db"
kills=0 resumes=0
extra=()
for round in 1 2 3 4; do
    "$AJAR" "${args[@]}" --db "$DB" "${extra[@]}" $RANGE >/dev/null 2>"$T_TMP/err.$round" &
    pid=$!
    # 0.4 to 2.2 s into a 10 s walk: four rounds never reach its end
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.4 + (r % 180) / 100 }')"
    if ! kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        break # it finished on its own: nothing left to interrupt
    fi
    kills=$((kills + 1))
    wait "$pid" 2>/dev/null
    [ -n "${T_VERBOSE:-}" ] && echo "killed round $round at checkpoint $(q "$DB" 'SELECT checkpoint FROM scans ORDER BY id DESC LIMIT 1')"
    extra=(--resume)
done
check "killed at least 3 times ($kills)" test "$kills" -ge 3
# resume until it finishes
for _ in 1 2 3 4 5; do
    "$AJAR" "${args[@]}" --db "$DB" --resume $RANGE >/dev/null 2>"$T_TMP/err.final"
    rc=$?
    resumes=$((resumes + 1))
    [ "$rc" -eq 0 ] && break
done
check_eq "the resumed scan finishes (exit status)" "$rc" 0
check_eq "one scan, the same id throughout" "$(q "$DB" 'SELECT COUNT(*) || ":" || MIN(id) FROM scans')" "1:1"
check_eq "the scan is finished" "$(q "$DB" 'SELECT COUNT(*) FROM scans WHERE end_time IS NOT NULL')" 1
q "$T_TMP/ref.db" "SELECT address || ':' || port FROM services ORDER BY 1" >"$T_TMP/ref.txt"
q "$DB" "SELECT address || ':' || port FROM services ORDER BY 1" >"$T_TMP/got.txt"
check "the same services as the uninterrupted scan" diff -u "$T_TMP/ref.txt" "$T_TMP/got.txt"
check_eq "every service observed once" \
    "$(q "$DB" 'SELECT COUNT(*) FROM (SELECT scan, service FROM observations GROUP BY 1, 2 HAVING COUNT(*) > 1)')" 0
check_eq "observations = services" "$(q "$DB" 'SELECT COUNT(*) FROM observations')" "$want"
check_eq "the scan's findings count" "$(q "$DB" 'SELECT findings FROM scans')" "$want"
check_eq "nothing closed" "$(q "$DB" 'SELECT COUNT(*) FROM services WHERE closed_at IS NOT NULL')" 0

t_end
