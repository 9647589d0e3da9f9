#!/usr/bin/env bash
# ThreadSanitizer over the code that runs threads: the store's writer and
# checkpoint threads (test_store on SQLite and, with a throwaway PostgreSQL
# on 127.0.160.1, on PostgreSQL too), the dashboard's request threads and
# index warm-up (test_web_*, tests/integration/serve.sh), the webhook's
# sender (webhook.sh), --rdns's resolver thread (test_rdns, rdns.sh), SYN
# discovery's sender threads (syn_packet.sh: --sender-threads 2), and
# scans that write the store while they probe (pipeline.sh, lab_store.sh,
# resume.sh). Builds build-tsan/ (the test
# build with -fsanitize=thread instead of ASan+UBSan). A ThreadSanitizer
# report anywhere fails the run, as does a failed check. Loopback only.
# Not in `make test` (a third build, minutes); run by hand:
#   make tsan      or      scripts/tsan.sh
# Last line: "N passed, N failed" (one per program or script run).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bash scripts/deps.sh test >/dev/null || exit 1
make -s -j2 SB=build-tsan SAN="-fsanitize=thread -fno-omit-frame-pointer" asan || exit 1
logs=$(mktemp -d /tmp/ajar-tsan.XXXXXX)
export TSAN_OPTIONS="halt_on_error=0 log_path=$logs/tsan"
pass=0 fail=0
run() { # name, command...
    local name=$1 out
    shift
    out=$("$@" 2>&1 | tail -1)
    if [[ $out =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
        pass=$((pass + 1))
        echo "ok   $name: $out"
    else
        fail=$((fail + 1))
        echo "FAIL $name: $out"
    fi
}
for t in test_store test_store_ids test_web_auth test_web_pages test_rdns; do
    run "$t" build-tsan/tests/unit/$t
done
pg_unit() {
    . tests/tools/pg.sh
    local d
    d=$(mktemp -d)
    pg_start "$d/pg" fast >/dev/null 2>&1 || { echo "postgresql did not start"; return 1; }
    AJAR_TEST_PG=$PG_URL build-tsan/tests/unit/test_store
    pg_stop
    rm -rf "$d"
}
run "test_store on postgresql" pg_unit
for t in serve webhook pipeline lab_store resume rdns syn_packet; do
    run "$t.sh" env AJAR="$PWD/build-tsan/ajar" bash tests/integration/$t.sh
done
reports=$(cat "$logs"/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer')
if [ "$reports" -gt 0 ]; then
    fail=$((fail + 1))
    echo "FAIL ThreadSanitizer reports: $reports (in $logs)"
    grep -h -A12 '^WARNING: ThreadSanitizer' "$logs"/tsan.* | head -60
else
    pass=$((pass + 1))
    echo "ok   no ThreadSanitizer report"
    rm -rf "$logs"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
