#!/usr/bin/env bash
# tests/fuzz/run.sh -- build the libFuzzer harnesses and fuzz them.
#
#   bash tests/fuzz/run.sh SECONDS [HARNESS...]   fuzz each for SECONDS
#   bash tests/fuzz/run.sh --merge [HARNESS...]   minimise what the runs
#                                                 found into the committed
#                                                 corpora (within their caps)
#   bash tests/fuzz/run.sh --list                 the harness names
#   FUZZ_RUNS=N stops a harness after N executions (default: time only)
#
# Harnesses (tests/fuzz/fuzz.mk): probe_<name> for every probe and HTTP
# app, and http_resp, es_common, bson, cert, target. Each runs in turn (one
# process: the machine is shared; run two of these scripts on disjoint
# harness lists for two) over its committed seeds tests/fuzz/corpus/<h>/
# plus what earlier runs found, build-fuzz/corpus/<h>/ (where new inputs
# go, so the committed corpora only change through --merge). A crash,
# timeout (10 s), leak or out-of-memory (2 GiB) input is written to
# tests/fuzz/crashes/<h>/ to be fixed and kept as a regression (the smoke
# test, tests/integration/fuzz_smoke.sh, replays every file there).
# Prints per harness the executions, coverage (cov/ft of libFuzzer's last
# stats line) and the result; the last line is "N passed, N failed".
# Logs: build-fuzz/log/<h>.log. The fuzzers never touch the network.
set -u
cd "$(dirname "$0")/../.."
MK="make --no-print-directory -f tests/fuzz/fuzz.mk"
all=$($MK names)
mode=fuzz secs=60
case "${1:-}" in
--list) tr ' ' '\n' <<<"$all"; exit 0 ;;
--merge) mode=merge; shift ;;
'') ;;
*) secs=$1; shift ;;
esac
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "run.sh: SECONDS must be a number" >&2; exit 2; }
sel=("$@")
[ ${#sel[@]} -eq 0 ] && read -r -a sel <<<"$all"
for h in "${sel[@]}"; do
    grep -qw -- "$h" <<<"$all" || { echo "run.sh: no harness '$h' (--list)" >&2; exit 2; }
done
mkdir -p build-fuzz/log
# one build at a time: two run.sh on disjoint lists share the library objects
if ! flock build-fuzz/.build.lock $MK -j2 "${sel[@]/#/build-fuzz/fuzz_}" >build-fuzz/log/build.log 2>&1; then
    tail -n 30 build-fuzz/log/build.log
    echo "run.sh: build failed (log: build-fuzz/log/build.log)"
    echo "0 passed, ${#sel[@]} failed"
    exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0
for h in "${sel[@]}"; do
    bin=build-fuzz/fuzz_$h seeds=tests/fuzz/corpus/$h work=build-fuzz/corpus/$h
    crashes=tests/fuzz/crashes/$h log=build-fuzz/log/$h.log
    mkdir -p "$seeds" "$work" "$crashes"
    dict=()
    [[ $h == probe_* ]] && dict=(-dict=tests/fuzz/probe.dict)
    if [ "$mode" = merge ]; then
        tmp=$(mktemp -d)
        "$bin" -merge=1 "${dict[@]}" -rss_limit_mb=2048 -timeout=10 "$tmp" "$seeds" "$work" >"$log" 2>&1
        n=$(find "$tmp" -type f | wc -l) b=$(du -sb "$tmp" | cut -f1)
        if [ "$n" -gt 0 ] && [ "$n" -le 50 ] && [ "$b" -le 204800 ]; then
            find "$seeds" -type f -delete && cp "$tmp"/* "$seeds"/
            printf '%-30s merged: %d files, %d bytes\n' "$h" "$n" "$b"
        else
            printf '%-30s not merged: %d files, %d bytes (over 50 files / 200 KB)\n' "$h" "$n" "$b"
        fi
        rm -rf "$tmp"
        pass=$((pass + 1))
        continue
    fi
    # slow-unit-* files are libFuzzer's notes of an input slower than 10 s of wall clock
    # (a machine under load, a paused process), not failures: the -timeout above is the limit
    before=$(find "$crashes" -type f ! -name 'slow-unit-*' | wc -l)
    t0=$SECONDS
    "$bin" "${dict[@]}" -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1
    rc=$?
    find "$crashes" -type f -name 'slow-unit-*' -delete
    after=$(find "$crashes" -type f | wc -l)
    execs=$(grep -a 'stat::number_of_executed_units' "$log" | tail -n 1 | awk '{print $2}')
    last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1)
    [ -z "$execs" ] && execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}')
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}')
    corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | awk '{print $2}')
    if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
        result=ok pass=$((pass + 1))
    else
        result="FAIL exit $rc: $(grep -aoE 'ERROR: [A-Za-z]+: [a-z-]+|ERROR: libFuzzer: [a-z-]+|runtime error: .*' "$log" | head -n 1)"
        result="$result; input: $(grep -aoE 'Test unit written to .*' "$log" | sed 's/Test unit written to //' | tail -n 1)"
        fail=$((fail + 1))
    fi
    printf '%-30s %10s execs %6s cov %7s ft %5s corp %4ds  %s\n' "$h" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" $((SECONDS - t0)) "$result"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
