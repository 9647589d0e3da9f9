#!/usr/bin/env bash
# Integration (issue 7) on the lab itself:
#  - a scan of every lab service killed with SIGKILL at random moments three times and resumed
#    (--resume) ends with the same services, products, versions and auth states as an uninterrupted
#    scan, in one scan, with no observation written twice;
#  - four processes `--shard i/4 --seed S` writing at once into one PostgreSQL store form one group
#    whose services equal the uninterrupted scan's.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
. tests/tools/pg.sh
lab_up || { bad "lab up"; t_end; exit 1; }
M=$AJAR_LAB_DIR/manifest.json
jq -r '.instances[] | "\(.address):\(.port)"' "$M" | sort -u >"$T_TMP/pairs"
# every service the store knows, with the facts that must agree
facts_sqlite() {
    sqlite3 "$1" "SELECT v.address || ':' || v.port || ' ' || v.service || ' ' || coalesce(o.product,'-') || ' ' ||
        coalesce(o.version,'-') || ' ' || o.auth FROM services v JOIN observations o ON o.service = v.id" | sort
}
ARGS=(scan -q -iL "$T_TMP/pairs" --seed 5 -o /dev/null)

"$AJAR" "${ARGS[@]}" --rate 0 --db "$T_TMP/a.db"
check_eq "uninterrupted scan" "$?" 0
facts_sqlite "$T_TMP/a.db" >"$T_TMP/a.facts"
check "uninterrupted scan stored the lab" test "$(wc -l <"$T_TMP/a.facts")" -ge "$(wc -l <"$T_TMP/pairs")"

# interrupted three times, at random moments, then resumed to the end
kills=0
for round in 1 2 3 4; do
    flag=(); [ "$round" -gt 1 ] && flag=(--resume)
    "$AJAR" "${ARGS[@]}" --rate 4 --db "$T_TMP/b.db" "${flag[@]}" 2>>"$T_TMP/b.err" &
    pid=$!
    if [ "$round" -le 3 ]; then
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.8 + (r % 400) / 100 }')"
        if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
        wait "$pid" 2>/dev/null
    else
        wait "$pid"
        rc=$?
        check_eq "the last --resume finishes" "$rc" 0
        [ "$rc" = 0 ] || tail -n 20 "$T_TMP/b.err"
    fi
done
check "the scan was killed at least twice mid-way" test "$kills" -ge 2
n=$(sqlite3 "$T_TMP/b.db" "SELECT count(*) FROM scans")
check_eq "one scan id across the kills" "$n" 1
[ "$n" = 1 ] || sqlite3 "$T_TMP/b.db" "SELECT id, start_time, end_time, checkpoint FROM scans"
check_eq "no observation written twice" \
    "$(sqlite3 "$T_TMP/b.db" 'SELECT count(*) FROM (SELECT scan, service FROM observations GROUP BY 1, 2 HAVING count(*) > 1)')" 0
facts_sqlite "$T_TMP/b.db" >"$T_TMP/b.facts"
check "killed and resumed = uninterrupted (services, products, versions, auth)" diff -u "$T_TMP/a.facts" "$T_TMP/b.facts"

# four shards at once into one PostgreSQL store
if pg_start "$T_TMP/pg" fast; then
    for i in 0 1 2 3; do
        "$AJAR" scan -q -iL "$T_TMP/pairs" --seed 9 --shard "$i/4" --rate 0 --db "$PG_URL" -o /dev/null &
        pids[i]=$!
    done
    for i in 0 1 2 3; do wait "${pids[i]}"; check_eq "shard $i/4 exit status" "$?" 0; done
    psql -X -q -At -h "$PG_ADDR" -p "$PG_PORT" -U postgres -d postgres -c \
        "SELECT v.address || ':' || v.port || ' ' || v.service || ' ' || coalesce(o.product,'-') || ' ' ||
         coalesce(o.version,'-') || ' ' || o.auth FROM services v JOIN observations o ON o.service = v.id" |
        sort >"$T_TMP/pg.facts"
    check "4 shards in PostgreSQL = one unsharded scan" diff -u "$T_TMP/a.facts" "$T_TMP/pg.facts"
    check_eq "the 4 shards form one group" \
        "$(psql -X -At -h "$PG_ADDR" -p "$PG_PORT" -U postgres -d postgres -c 'SELECT count(DISTINCT scan_group) FROM scans')" 1
    pg_stop
else
    bad "PostgreSQL for the sharded test"
fi
t_end
