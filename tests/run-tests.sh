#!/usr/bin/env bash
# Run every test: the unit and probe-replay programs of the sanitizer build,
# then the scripts under tests/integration (each prints "N passed, N failed"
# last). Sums them and prints the total alone on the last line.
#   tests/run-tests.sh [FILTER]     only tests whose path contains FILTER
set -u
cd "$(dirname "$0")/.."
filter=${1:-}
export AJAR=${AJAR:-$PWD/build-asan/ajar}
export AJAR_REL=$PWD/build/ajar
# recorded responses: ../shared/fixtures when the clone has it beside it, else the copy in the tree
if [ -z "${AJAR_FIXTURES:-}" ]; then
    if [ -d ../shared/fixtures ]; then AJAR_FIXTURES=$(cd .. && pwd)/shared/fixtures
    else AJAR_FIXTURES=$PWD/tests/fixtures/recorded; fi
fi
export AJAR_FIXTURES
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0
export AJAR_LAB_DIR=${AJAR_LAB_DIR:-/tmp/ajar-lab}
lab_was_up=0
tests/lab/lab status >/dev/null 2>&1 && lab_was_up=1
run_one() { # name, command...
    local name=$1; shift
    [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && return
    local log="$out/log" t0=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local last
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0
    if [ -n "$last" ]; then
        p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$f" -eq 0 ]; then
        printf 'ok   %-44s %5d checks  %3ds\n' "$name" "$p" $((SECONDS - t0))
    else
        printf 'FAIL %-44s %5d passed %d failed (exit %d)\n' "$name" "$p" "$f" "$rc"
        sed 's/^/     | /' "$log" | grep -v '^     | ok ' | tail -n 40
    fi
}
for t in build-asan/tests/unit/test_* build-asan/tests/probe/test_*; do
    [ -x "$t" ] || continue
    run_one "${t#build-asan/}" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    case ${t##*/} in lib.sh | *_env.sh) continue ;; esac # sourced by the tests, not tests
    run_one "$t" bash "$t"
done
# stop the lab if this run started it (AJAR_KEEP_LAB=1 keeps it)
if [ "$lab_was_up" = 0 ] && [ -z "${AJAR_KEEP_LAB:-}" ] && [ -f "$AJAR_LAB_DIR/manifest.json" ]; then
    tests/lab/lab down >/dev/null 2>&1
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
