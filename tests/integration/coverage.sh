#!/usr/bin/env bash
# Integration: history that never lies (docs/store.md, "What a scan covered"), on SQLite and on
# PostgreSQL (a throwaway postgresql-15 on 127.0.161.1, stopped at the end by its pid).
#  1. The case of the report: four open Redis servers (real redis-server) at 127.203.{1..4}.5:6379,
#     a complete scan of 127.203.0.0/20, then the same scan stopped by SIGTERM after a second:
#     nothing closed, history still open, the report of that scan marked incomplete, diff refused;
#     `ajar scan --resume` alone completes it with nothing closed; one Redis stopped, a complete
#     scan closes exactly that one, and diff says so.
#  2. Chaos: 20 rounds over planted listeners that come and go between rounds, each scan ended at
#     random by SIGTERM, SIGKILL, --max-seconds or not at all, then resumed (bare --resume) or
#     not. After every round, against the truth this script keeps: nothing closed that was
#     listening during the round of the scan that closed it; after a complete coverage, the open
#     services are exactly the listeners; every scan's observations are listeners of its round,
#     none twice; a complete scan observed every listener.
#  3. Shards: three shards of one group after a complete unsharded scan, one of them killed and
#     resumed: nothing is closed before all three complete, then exactly what went away; a diff
#     of the whole against a shard is refused until the group is complete.
# Addresses: 127.203.0.0/20 (the report's), 127.204.0.0/24 (chaos), 127.205.0.0/24 (shards).
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
PG_ADDR=127.0.161.1
. tests/tools/pg.sh
PSQL=$PG_BIN/psql
REDIS_PIDS=()
stop_redis() { for p in "${REDIS_PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'stop_redis; pg_stop; t_cleanup' EXIT

q() { # db, sql: one value per line
    case "$1" in
    postgresql://*) "$PSQL" -X -q -A -t -d "$1" -c "$2" ;;
    *) sqlite3 -batch "$1" "$2" ;;
    esac
}
pg_reset() { "$PSQL" -X -q -d "$PG_URL" -c "SET client_min_messages=warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null; }

if ! command -v redis-server >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends redis-server >/dev/null 2>&1
fi
command -v redis-server >/dev/null || { bad "redis-server is installed"; t_end; exit 1; }
pg_start "$T_TMP/pg" fast || { bad "postgresql starts"; t_end; exit 1; }

# ---- 1. the case of the report ----
declare -A RPID
redis_up() { # i
    local a=127.203.$1.5
    mkdir -p "$T_TMP/redis$1"
    redis-server --bind "$a" --port 6379 --save '' --appendonly no --dir "$T_TMP/redis$1" \
        --logfile "$T_TMP/redis$1/log" >/dev/null 2>&1 &
    RPID[$1]=$!
    REDIS_PIDS+=($!)
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/$a/6379") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
for i in 1 2 3 4; do redis_up $i || bad "redis $i starts"; done

case_of_the_report() { # db name
    local DB=$1 n=$2
    local S=(scan -q -p 6379 --db "$DB" 127.203.0.0/20)
    "$AJAR" "${S[@]}" >"$T_TMP/s1.jsonl" 2>/dev/null
    check_eq "$n: the complete scan finds the four" "$(wc -l <"$T_TMP/s1.jsonl")" 4
    timeout -s TERM 1 "$AJAR" "${S[@]/-q/-v}" >/dev/null 2>"$T_TMP/s2.err"
    check_eq "$n: SIGTERM: the scan says it was interrupted" \
        "$(grep -c 'scan #2: interrupted at .* of its walk (SIGTERM)' "$T_TMP/s2.err")" 1
    check_eq "$n: SIGTERM: recorded interrupted, not complete" \
        "$(q "$DB" "SELECT status || ' ' || stop_reason || ' ' || CASE WHEN end_time IS NULL THEN 'no-end' ELSE 'end' END FROM scans WHERE id = 2")" \
        "interrupted SIGTERM no-end"
    check "$n: SIGTERM: its checkpoint is inside the walk" \
        test "$(q "$DB" 'SELECT CASE WHEN checkpoint > 0 AND checkpoint < walk_total THEN 1 ELSE 0 END FROM scans WHERE id = 2')" = 1
    check_eq "$n: SIGTERM: nothing closed" "$(q "$DB" 'SELECT COUNT(*) FROM services WHERE closed_at IS NOT NULL')" 0
    "$AJAR" diff --db "$DB" >"$T_TMP/d.out" 2>"$T_TMP/d.err"
    check_eq "$n: diff: no second complete scan to compare with (exit 1)" "$?" 1
    "$AJAR" diff --db "$DB" 1 2 >/dev/null 2>"$T_TMP/d.err"
    check_eq "$n: diff 1 2: refused (exit 1)" "$?" 1
    check "$n: diff 1 2: says why and what can be compared" \
        grep -q 'scan #2: interrupted .*not a complete coverage.*complete coverages of its targets: #1' "$T_TMP/d.err"
    # one the interrupted scan did not reach (it reached about a fifth of its walk)
    local unseen
    unseen=$(q "$DB" "SELECT address FROM services WHERE id NOT IN (SELECT service FROM observations WHERE scan = 2) ORDER BY address LIMIT 1")
    "$AJAR" history --db "$DB" "${unseen:-127.203.1.5}:6379" >"$T_TMP/h.out"
    check "$n: history: still open" grep -q '^  OPEN for' "$T_TMP/h.out"
    if [ -n "$unseen" ]; then
        check "$n: history: names the incomplete scan since its last sighting" \
            grep -q 'since its last sighting, not a complete coverage: scan #2: interrupted' "$T_TMP/h.out"
    fi
    "$AJAR" report --db "$DB" --scan 2 >"$T_TMP/r.out"
    check "$n: report of scan 2: marked incomplete" grep -q '^  INCOMPLETE' "$T_TMP/r.out"
    check "$n: report of scan 2: its coverage" grep -q 'coverage: scan #2: interrupted at' "$T_TMP/r.out"
    "$AJAR" report --db "$DB" >"$T_TMP/r.out"
    check "$n: report: the newest complete scan, naming the newer incomplete one" \
        grep -q 'note: newer, not a complete coverage: scan #2' "$T_TMP/r.out"
    check_eq "$n: report: four services" "$(grep -c '^  services found *4$' "$T_TMP/r.out")" 1

    "$AJAR" scan --resume -q --db "$DB" -o "$T_TMP/s2.jsonl" 2>"$T_TMP/s3.err"
    check_eq "$n: --resume alone: exit 0" "$?" 0
    check_eq "$n: --resume alone: scan 2 complete, no third scan" \
        "$(q "$DB" "SELECT COUNT(*) || ' ' || MAX(id) || ' ' || MIN(status) FROM scans WHERE id = 2 OR status <> 'complete' OR id > 2")" "1 2 complete"
    check_eq "$n: --resume alone: nothing closed" "$(q "$DB" 'SELECT COUNT(*) FROM closures')" 0
    check_eq "$n: --resume alone: the scan saw the four" "$(q "$DB" 'SELECT COUNT(*) FROM observations WHERE scan = 2')" 4
    "$AJAR" report --db "$DB" --scan 2 -f jsonl >"$T_TMP/r2.jsonl"
    check "$n: -o after --resume: the file is the report of the scan" cmp -s "$T_TMP/s2.jsonl" "$T_TMP/r2.jsonl"
    "$AJAR" diff --db "$DB" >"$T_TMP/d.out" 2>&1
    check "$n: diff 1 2 once complete: nothing closed" grep -qE '^0 new, 0 closed, [0-4] changed, [0-4] unchanged' "$T_TMP/d.out"

    kill "${RPID[2]}"
    wait "${RPID[2]}" 2>/dev/null
    "$AJAR" "${S[@]}" >/dev/null 2>&1
    check_eq "$n: one Redis stopped: exactly that one closed" \
        "$(q "$DB" 'SELECT address FROM services WHERE closed_at IS NOT NULL')" 127.203.2.5
    check_eq "$n: closed by scan 3" "$(q "$DB" 'SELECT scan FROM closures')" 3
    "$AJAR" diff --db "$DB" >"$T_TMP/d.out" 2>&1
    check "$n: diff: 1 closed" grep -qE '^0 new, 1 closed, [0-3] changed, [0-3] unchanged' "$T_TMP/d.out"
    "$AJAR" history --db "$DB" 127.203.2.5:6379 >"$T_TMP/h.out"
    check "$n: history: closed, by the complete scan 3" grep -q 'CLOSED at .*(found closed by scan #3: complete)' "$T_TMP/h.out"
    redis_up 2 || bad "redis 2 starts again"
}
case_of_the_report "$T_TMP/case.db" sqlite
pg_reset
case_of_the_report "$PG_URL" postgresql

# an interrupted walk closes what its covered part reached and nothing else: with seed 2 the walk
# reaches 127.203.4.5:6379 within its first 880 positions (measured), and a scan stopped by
# --max-seconds 3 at 1,000 pairs/s has concluded about 2,800
DB=$T_TMP/covered.db
S=(scan -q -p 6379 --db "$DB" --seed 2 127.203.0.0/20)
"$AJAR" "${S[@]}" --rate 0 >/dev/null 2>&1
kill "${RPID[4]}"
wait "${RPID[4]}" 2>/dev/null
"$AJAR" "${S[@]}" --max-seconds 3 >/dev/null 2>&1
check_eq "covered part: --max-seconds recorded" "$(q "$DB" 'SELECT status || stop_reason FROM scans WHERE id = 2')" "interrupted--max-seconds"
check_eq "covered part: the stopped Redis it reached is closed, by scan 2, and nothing else" \
    "$(q "$DB" "SELECT v.address || ' ' || c.scan FROM closures c JOIN services v ON v.id = c.service")" "127.203.4.5 2"
"$AJAR" history --db "$DB" 127.203.4.5:6379 >"$T_TMP/h.out"
check "covered part: history names the interrupted scan that found it closed" \
    grep -q 'found closed by scan #2: interrupted at .*(--max-seconds)' "$T_TMP/h.out"
"$AJAR" scan --resume -q --db "$DB" --max-seconds 0 >/dev/null 2>&1
check_eq "covered part: --resume (--max-seconds 0 overrides the stored 3) completes it" \
    "$(q "$DB" 'SELECT status FROM scans WHERE id = 2')" complete
check_eq "covered part: after the resume, still closed once" \
    "$(q "$DB" "SELECT v.address || ' ' || COUNT(*) FROM closures c JOIN services v ON v.id = c.service GROUP BY v.address")" "127.203.4.5 1"
redis_up 4 || bad "redis 4 starts again"

# a resume with other targets or options is refused, naming the difference (exit 2)
timeout -s INT 1 "$AJAR" scan -q -p 6379 --db "$DB" 127.203.0.0/20 >/dev/null 2>&1
id=$(q "$DB" "SELECT MAX(id) FROM scans")
check_eq "SIGINT: recorded" "$(q "$DB" "SELECT stop_reason FROM scans WHERE id = $id")" SIGINT
"$AJAR" scan --resume=$id -q -p 6380 --db "$DB" >/dev/null 2>"$T_TMP/e"
check_eq "resume with other ports: exit 2" "$?" 2
check "resume with other ports: names --ports" grep -q "cannot resume scan $id: --ports: '6380' (the scan: '6379')" "$T_TMP/e"
"$AJAR" scan --resume=$id -q --probe redis --db "$DB" >/dev/null 2>"$T_TMP/e"
check_eq "resume with --probe: exit 2" "$?" 2
check "resume with --probe: names it" grep -q -- "--probe: 'redis' (the scan: '(none)')" "$T_TMP/e"
"$AJAR" scan --resume=$id -q -p 6379 --db "$DB" 127.203.0.0/21 >/dev/null 2>"$T_TMP/e"
check_eq "resume with other targets: exit 2" "$?" 2
check "resume with other targets: names them" grep -q "targets: '127.203.0.0/21' (the scan: '127.203.0.0/20')" "$T_TMP/e"
"$AJAR" scan --resume=$id -q --seed 99 --db "$DB" >/dev/null 2>"$T_TMP/e"
check_eq "resume with another seed: exit 2" "$?" 2
"$AJAR" scan --resume=$id -q --db "$DB" --rate 0 >/dev/null 2>"$T_TMP/e"
check_eq "resume with another rate: allowed, and completes" \
    "$?:$(q "$DB" "SELECT status FROM scans WHERE id = $id")" "0:complete"
"$AJAR" scan --resume -q --db "$DB" >/dev/null 2>"$T_TMP/e"
check_eq "bare --resume with nothing unfinished: exit 1" "$?" 1
# --resume with targets and nothing unfinished starts a new scan, with a seed of its own (it
# walked with seed 0 before)
for i in 1 2; do
    "$AJAR" scan --resume -q -p 6379 --db "$DB" --rate 0 127.203.0.0/28 >/dev/null 2>&1
    check_eq "--resume with targets, nothing to resume ($i): a new scan, exit 0" "$?" 0
    seed[$i]=$(q "$DB" "SELECT seed FROM scans ORDER BY id DESC LIMIT 1")
done
check "--resume with targets, nothing to resume: a random seed (${seed[1]}, ${seed[2]})" \
    test "${seed[1]}" != 0 -a "${seed[2]}" != 0 -a "${seed[1]}" != "${seed[2]}"
stop_redis

# ---- 2. chaos ----
# 64 addresses x 2 ports; each round a random half of 24 candidate pairs listen
CAND=()
for i in $(seq 0 23); do CAND+=("127.204.0.$((i * 2 + 10)):$((i % 2 ? 9200 : 6379))"); done
chaos() { # db name
    local DB=$1 n=$2 LPID= mode fails=0
    : >"$T_TMP/truth"
    for round in $(seq 1 20); do
        local on=()
        for c in "${CAND[@]}"; do [ $((RANDOM % 2)) -eq 0 ] && on+=("$c"); done
        [ ${#on[@]} -eq 0 ] && on=("${CAND[0]}")
        [ -n "$LPID" ] && { kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null; }
        start_listeners "$T_TMP/conns" "${on[@]}" || { bad "$n: listeners, round $round"; return; }
        LPID=${T_PIDS[-1]}
        local before after
        before=$(q "$DB" "SELECT COALESCE(MAX(id), 0) FROM scans" 2>/dev/null || echo 0)
        [ -z "$before" ] && before=0
        local S=(scan -q -p 6379,9200 --db "$DB" --timeout 300 --probe-timeout 300 --retries 0 127.204.0.0/26)
        mode=$((RANDOM % 4))
        case $mode in
        0) "$AJAR" "${S[@]}" --rate 200 >/dev/null 2>&1 ;;
        1 | 2)
            "$AJAR" "${S[@]}" --rate 150 >/dev/null 2>&1 &
            local p=$!
            sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + (r % 60) / 100 }')"
            kill -s "$([ $mode = 1 ] && echo TERM || echo KILL)" "$p" 2>/dev/null
            wait "$p" 2>/dev/null ;;
        3) "$AJAR" "${S[@]}" --rate 60 --max-seconds 1 >/dev/null 2>&1 ;;
        esac
        local resumed=0
        after=$(q "$DB" "SELECT MAX(id) FROM scans")
        # resume this round's own scan only: one killed before it wrote its row leaves the
        # previous round's scan newest, and finishing that one here would mix two rounds'
        # listeners in one scan (the invariants below are per round)
        if [ $mode -ne 0 ] && [ "$after" -gt "$before" ] && [ $((RANDOM % 2)) -eq 0 ]; then
            "$AJAR" scan --resume="$after" -q --db "$DB" --max-seconds 0 --rate 0 >/dev/null 2>&1
            resumed=1
        fi
        # the truth: which pairs listened while scans (before, after] ran
        for id in $(seq $((before + 1)) "$after"); do
            for c in "${on[@]}"; do echo "$id ${c%:*} ${c##*:}"; done >>"$T_TMP/truth"
        done
        q "$DB" "SELECT scan || ' ' || address || ' ' || port FROM closures c JOIN services v ON v.id = c.service" | sort >"$T_TMP/closed"
        local bad_close
        bad_close=$(sort "$T_TMP/truth" | comm -12 - "$T_TMP/closed" | head -n 3)
        [ -n "$bad_close" ] && { fails=$((fails + 1)); echo "round $round (mode $mode, resumed $resumed): closed while listening: $bad_close"; }
        # every observation is of a listener of its scan's round, and none is doubled
        q "$DB" "SELECT o.scan || ' ' || v.address || ' ' || v.port FROM observations o JOIN services v ON v.id = o.service" | sort >"$T_TMP/obs"
        local phantom dup
        phantom=$(sort "$T_TMP/truth" | comm -13 - "$T_TMP/obs" | head -n 3)
        dup=$(uniq -d "$T_TMP/obs" | head -n 3)
        [ -n "$phantom$dup" ] && { fails=$((fails + 1)); echo "round $round: observation not of a listener '$phantom' or twice '$dup'"; }
        local st
        st=$(q "$DB" "SELECT status FROM scans WHERE id = $after")
        if [ "$st" = complete ] && [ "$after" -gt "$before" ]; then
            # a complete coverage: it observed every listener, and the open services are the
            # listeners, no more
            printf '%s\n' "${on[@]}" | sed 's/:/ /' | sort >"$T_TMP/want"
            q "$DB" "SELECT v.address || ' ' || v.port FROM observations o JOIN services v ON v.id = o.service WHERE o.scan = $after" | sort >"$T_TMP/saw"
            q "$DB" "SELECT address || ' ' || port FROM services WHERE closed_at IS NULL" | sort >"$T_TMP/open"
            cmp -s "$T_TMP/want" "$T_TMP/saw" || { fails=$((fails + 1)); echo "round $round: the complete scan $after missed or added:"; diff "$T_TMP/want" "$T_TMP/saw" | head -5; }
            cmp -s "$T_TMP/want" "$T_TMP/open" || { fails=$((fails + 1)); echo "round $round: open after a complete coverage is not the listeners:"; diff "$T_TMP/want" "$T_TMP/open" | head -5; }
        fi
        [ -n "${T_VERBOSE:-}" ] && echo "$n round $round: mode $mode resumed $resumed scans $before..$after last $st, listening ${#on[@]}, closed so far $(wc -l <"$T_TMP/closed")"
    done
    kill "$LPID" 2>/dev/null
    check_eq "$n: chaos, 20 rounds: every invariant held" "$fails" 0
    check "$n: chaos: some scans were interrupted" test "$(q "$DB" "SELECT COUNT(*) FROM scans WHERE status <> 'complete'")" -gt 0
    check "$n: chaos: something was closed" test "$(q "$DB" 'SELECT COUNT(*) FROM closures')" -gt 0
}
chaos "$T_TMP/chaos.db" sqlite
pg_reset
chaos "$PG_URL" postgresql

# ---- probe and import cover exactly their input ----
DB=$T_TMP/probe.db
printf '127.0.163.1:6379\n127.0.163.2:6379\n127.0.163.3:6379\n' >"$T_TMP/pairs.txt"
start_listeners "$T_TMP/conns" 127.0.163.1:6379 127.0.163.2:6379 || bad "probe listeners"
LP=${T_PIDS[-1]}
"$AJAR" probe -q --db "$DB" --timeout 300 --probe-timeout 300 "$T_TMP/pairs.txt" >/dev/null 2>&1
check_eq "probe: finds the two listening" "$(q "$DB" 'SELECT COUNT(*) FROM services')" 2
kill "$LP"
wait "$LP" 2>/dev/null
start_listeners "$T_TMP/conns" 127.0.163.1:6379 || bad "probe listeners again"
LP=${T_PIDS[-1]}
"$AJAR" probe -q --db "$DB" --timeout 300 --probe-timeout 300 "$T_TMP/pairs.txt" >/dev/null 2>&1
check_eq "probe of the same input, complete: the one gone is closed" \
    "$(q "$DB" 'SELECT address FROM services WHERE closed_at IS NOT NULL')" 127.0.163.2
printf '127.0.163.1:6379\n' >"$T_TMP/one.txt"
"$AJAR" probe -q --db "$DB" --timeout 300 --probe-timeout 300 "$T_TMP/one.txt" >/dev/null 2>&1
check_eq "probe of another input: its own scope, closes nothing of the first" \
    "$(q "$DB" 'SELECT COUNT(*) FROM closures')" 1
kill "$LP"

# ---- 3. shards ----
shards() { # db name
    local DB=$1 n=$2
    local on=(127.205.0.10:6379 127.205.0.20:6379 127.205.0.30:6379 127.205.0.40:6379 127.205.0.50:6379)
    start_listeners "$T_TMP/conns" "${on[@]}" || { bad "$n: shard listeners"; return; }
    local LPID=${T_PIDS[-1]}
    local S=(scan -q -p 6379 --db "$DB" --timeout 300 --probe-timeout 300 --seed 5 127.205.0.0/24)
    "$AJAR" "${S[@]}" --rate 0 >/dev/null 2>&1
    check_eq "$n: shards: the whole scan finds five" "$(q "$DB" 'SELECT COUNT(*) FROM observations WHERE scan = 1')" 5
    kill "$LPID"
    wait "$LPID" 2>/dev/null
    start_listeners "$T_TMP/conns" "${on[@]:0:4}" || { bad "$n: shard listeners again"; return; }
    LPID=${T_PIDS[-1]}
    "$AJAR" "${S[@]}" --rate 0 --shard 0/3 >/dev/null 2>&1
    "$AJAR" "${S[@]}" --rate 40 --shard 1/3 >/dev/null 2>&1 &
    local p=$!
    sleep 0.6
    kill -KILL "$p"
    wait "$p" 2>/dev/null
    "$AJAR" "${S[@]}" --rate 0 --shard 2/3 >/dev/null 2>&1
    check_eq "$n: shards: two complete, one killed: nothing closed" "$(q "$DB" 'SELECT COUNT(*) FROM closures')" 0
    check_eq "$n: shards: one group" "$(q "$DB" 'SELECT COUNT(DISTINCT scan_group) FROM scans WHERE id > 1')" 1
    "$AJAR" diff --db "$DB" 1 2 >/dev/null 2>"$T_TMP/e"
    check_eq "$n: shards: diff of the whole against a shard: refused (exit 1)" "$?" 1
    check "$n: shards: diff says the group is incomplete" grep -q 'group #2 incomplete: 2 of 3 shards complete' "$T_TMP/e"
    "$AJAR" "${S[@]}" --rate 0 --shard 1/3 --resume >/dev/null 2>&1
    check_eq "$n: shards: the killed shard resumed, not restarted" "$(q "$DB" 'SELECT COUNT(*) FROM scans')" 4
    check_eq "$n: shards: all three complete: exactly the one that went away closed" \
        "$(q "$DB" 'SELECT address FROM services WHERE closed_at IS NOT NULL')" 127.205.0.50
    check_eq "$n: shards: closed once" "$(q "$DB" 'SELECT COUNT(*) FROM closures')" 1
    "$AJAR" diff --db "$DB" >"$T_TMP/d.out" 2>&1
    check "$n: shards: diff of the two complete coverages" grep -q '^0 new, 1 closed, 0 changed, 4 unchanged' "$T_TMP/d.out"
    kill "$LPID"
}
shards "$T_TMP/shards.db" sqlite
pg_reset
shards "$PG_URL" postgresql

t_end
