#!/usr/bin/env bash
# tests/integration/fuzz_smoke.sh -- the fuzz harnesses, briefly, in `make test`.
#
# Builds every libFuzzer harness (tests/fuzz/fuzz.mk) and runs each over
# its committed seed corpus, tests/fuzz/corpus/<h>/, once (-runs=0: no new
# inputs), then every file of tests/fuzz/crashes/<h>/ as a regression: each
# was a crash, timeout, leak or out-of-memory once and must now pass. Quick
# (well under two minutes on two loaded cores once the objects are built).
# Long runs: `make fuzz` or tests/fuzz/run.sh. Prints "N passed, N failed"
# last: one check per harness's corpus and per regression file.
set -u
cd "$(dirname "$0")/../.."
MK="make --no-print-directory -f tests/fuzz/fuzz.mk"
mkdir -p build-fuzz/log
if ! flock build-fuzz/.build.lock $MK -j2 all >build-fuzz/log/smoke-build.log 2>&1; then
    tail -n 30 build-fuzz/log/smoke-build.log
    echo "fuzz_smoke: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
pass=0 fail=0
for h in $($MK names); do
    bin=build-fuzz/fuzz_$h log=build-fuzz/log/smoke-$h.log
    if [ -d "tests/fuzz/corpus/$h" ]; then
        if "$bin" -runs=0 -rss_limit_mb=2048 -timeout=10 "tests/fuzz/corpus/$h" >"$log" 2>&1; then
            pass=$((pass + 1))
            echo "ok   $h corpus ($(find "tests/fuzz/corpus/$h" -type f | wc -l) inputs)"
        else
            fail=$((fail + 1))
            echo "FAIL $h corpus"
            grep -aE 'ERROR|runtime error|#[0-9]+ +in ' "$log" | head -n 15
        fi
    fi
    for c in "tests/fuzz/crashes/$h"/*; do
        [ -f "$c" ] || continue
        if "$bin" -rss_limit_mb=2048 -timeout=10 "$c" >"$log" 2>&1; then
            pass=$((pass + 1))
            echo "ok   $h regression ${c##*/}"
        else
            fail=$((fail + 1))
            echo "FAIL $h regression $c"
            grep -aE 'ERROR|runtime error|#[0-9]+ +in ' "$log" | head -n 15
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
