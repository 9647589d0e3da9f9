#!/usr/bin/env bash
# Integration: allocation failures injected one by one, as curl's torture
# tests do. src/core/util.c fails the Nth allocation made through
# xmalloc/xcalloc/xrealloc/xstrdup when AJAR_FAIL_ALLOC=N (and with
# AJAR_FAIL_ALLOC=0 fails none and prints the count at exit). A counting run
# of a small scan (three lab instances: Redis, Elasticsearch, PostgreSQL,
# stored in SQLite) gives K; then for N = 1..K (every N up to 300, then a
# stride so that at most ~150 more runs are made) the ASan build runs the
# same scan with the Nth allocation failing, and must:
#  - never die of a signal, never print a sanitizer report (ASan, UBSan, LSan)
#  - exit 0, 1 or 3
#  - when it exits 1, say why on stderr in a line starting "ajar: " or
#    "ajar scan: "
#  - print only whole JSON lines
# Out of scope: jansson, SQLite, OpenSSL and libpq allocate through their own
# malloc, which this does not reach (docs/hardening.md).
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
lab_up || { bad "lab up"; t_end; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TARGETS=(127.0.10.1:6379 127.0.20.5:9200 127.0.12.1:5432)

one() { # N -> prints "N rc verdict"
    local n=$1 d="$T_TMP/run.$1"
    mkdir -p "$d"
    AJAR_FAIL_ALLOC=$n timeout 120 "$AJAR" scan -q --rate 0 --db "$d/t.db" "${TARGETS[@]}" \
        >"$d/out" 2>"$d/err"
    local rc=$? v=ok
    if [ $rc -ge 124 ]; then v="signal-or-timeout"
    elif grep -qE 'Sanitizer|runtime error|^SUMMARY' "$d/err"; then v="sanitizer"
    elif [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 3 ]; then v="status"
    elif [ $rc -eq 1 ] && ! grep -qE '^ajar( [a-z]+)?: ' "$d/err"; then v="no-message"
    elif [ -s "$d/out" ] && ! jq -e . "$d/out" >/dev/null 2>&1; then v="bad-json"
    fi
    echo "$n $rc $v"
    [ "$v" = ok ] && rm -rf "$d"
    return 0
}
export -f one
export AJAR T_TMP
export TARGETS_S="${TARGETS[*]}"

rm -f "$T_TMP/count.db"
AJAR_FAIL_ALLOC=0 "$AJAR" scan -q --rate 0 --db "$T_TMP/count.db" "${TARGETS[@]}" >"$T_TMP/count.out" 2>"$T_TMP/count.err"
check_eq "counting run exit status" "$?" 0
K=$(sed -n 's/^ajar: allocations: \([0-9]*\)$/\1/p' "$T_TMP/count.err" | tail -n 1)
check "counting run reports K" [ -n "$K" ]
K=${K:-0}
check_eq "counting run found the three services" "$(jq -r .service "$T_TMP/count.out" | sort | tr '\n' ' ')" \
    "elasticsearch postgresql redis "
ns=()
for ((n = 1; n <= K && n <= 300; n++)); do ns+=("$n"); done
if [ "$K" -gt 300 ]; then
    stride=$(((K - 300) / 150 + 1))
    for ((n = 301; n <= K; n += stride)); do ns+=("$n"); done
fi
echo "torture: $K allocations in the counting run; ${#ns[@]} runs"
printf '%s\n' "${ns[@]}" | xargs -P 2 -I{} bash -c 'TARGETS=($TARGETS_S); one {}' >"$T_TMP/verdicts"
check_eq "every run reported" "$(wc -l <"$T_TMP/verdicts")" "${#ns[@]}"
fails=$(awk '$3 != "ok"' "$T_TMP/verdicts" | sort -n)
if [ -n "$fails" ]; then
    while read -r n rc v; do
        bad "AJAR_FAIL_ALLOC=$n: exit $rc, $v"
        grep -m 12 -E 'ERROR|SUMMARY|runtime error|#[0-9] |^ajar' "$T_TMP/run.$n/err" | sed 's/^/     /'
    done <<<"$fails"
else
    ok "all ${#ns[@]} runs clean"
fi
echo "exit statuses: $(awk '{print $2}' "$T_TMP/verdicts" | sort | uniq -c | tr '\n' ' ')"

# ---- a full disk and a read-only store ----
# A small tmpfs holds the database: a first scan is stored; then the disk is
# filled up to a few KB during a bigger scan (the whole lab), which must fail
# with a clear message, and the first scan's findings must still be there.
# Then the file system is remounted read-only: a scan must refuse cleanly,
# and `ajar report` still reads the first scan.
MNT=$T_TMP/mnt
mkdir -p "$MNT"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
    trap 'umount "$MNT" 2>/dev/null; t_cleanup' EXIT
    DB=$MNT/store.db
    "$AJAR" scan -q --rate 0 --db "$DB" "${TARGETS[@]}" >"$T_TMP/first.jsonl" 2>"$T_TMP/first.err"
    check_eq "first scan on the small disk" "$?" 0
    "$AJAR" report --db "$DB" --format jsonl >"$T_TMP/first.report" 2>/dev/null
    check_eq "first scan stored 3 findings" "$(wc -l <"$T_TMP/first.report")" 3
    # leave ~24 KB free: the lab's findings (about 100) need more
    dd if=/dev/zero of="$MNT/fill" bs=4k count=100000 2>/dev/null
    rm -f "$MNT/fill.small"
    truncate -s 0 "$MNT/fill"
    free_kb=$(df -k --output=avail "$MNT" | tail -n 1 | tr -d ' ')
    dd if=/dev/zero of="$MNT/fill" bs=1k count=$((free_kb - 24)) 2>/dev/null
    M=$AJAR_LAB_DIR/manifest.json
    jq -r '.instances[].address' "$M" | sort -u >"$T_TMP/targets"
    P=$(jq -r '[.instances[].port] | unique | map(tostring) | join(",")' "$M")
    "$AJAR" scan -q --rate 0 --db "$DB" -iL "$T_TMP/targets" -p "$P" >"$T_TMP/full.jsonl" 2>"$T_TMP/full.err"
    rc=$?
    echo "full disk: exit $rc; $(grep -m 2 '^ajar' "$T_TMP/full.err" | tr '\n' ' ')"
    check "full disk: exit status 1" [ $rc -eq 1 ]
    check "full disk: a clear message" grep -qiE '^ajar.*(is full|no space)' "$T_TMP/full.err"
    check "full disk: no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' '$T_TMP/full.err'"
    rm -f "$MNT/fill"
    "$AJAR" report --db "$DB" --format jsonl --scan 1 >"$T_TMP/after.report" 2>/dev/null
    check "full disk: the first scan's findings intact" diff -q "$T_TMP/first.report" "$T_TMP/after.report"
    check_eq "full disk: sqlite integrity" "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)" ok
    # read-only (chmod 444 does not stop root: a read-only mount does)
    chmod 444 "$DB"
    mount -o remount,ro "$MNT"
    "$AJAR" scan -q --rate 0 --db "$DB" "${TARGETS[@]}" >"$T_TMP/ro.jsonl" 2>"$T_TMP/ro.err"
    rc=$?
    echo "read-only store: exit $rc; $(grep -m 2 '^ajar' "$T_TMP/ro.err" | tr '\n' ' ')"
    check "read-only store: exit status 1" [ $rc -eq 1 ]
    check "read-only store: a clear message" grep -qiE '^ajar.*(read-only|readonly|read only)' "$T_TMP/ro.err"
    check "read-only store: no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' '$T_TMP/ro.err'"
    # a WAL-mode SQLite file cannot be opened on a read-only mount without its
    # -shm file (SQLite's rule); immutable=1 reads it as it is on disk
    check_eq "read-only store: sqlite3 reads it intact" \
        "$(sqlite3 "file:$DB?immutable=1" 'PRAGMA integrity_check' 2>&1)" ok
    check_eq "read-only store: the first scan's 3 findings are there" \
        "$(sqlite3 "file:$DB?immutable=1" 'SELECT count(*) FROM observations WHERE scan=1' 2>&1)" 3
    mount -o remount,rw "$MNT"
    "$AJAR" report --db "$DB" --format jsonl --scan 1 >"$T_TMP/ro.report" 2>"$T_TMP/ro.report.err"
    check "read-only store, mounted read-write again: ajar report reads the first scan" \
        diff -q "$T_TMP/first.report" "$T_TMP/ro.report"
    umount "$MNT"
else
    echo "torture: not root or no tmpfs: full-disk and read-only checks skipped"
fi
t_end
