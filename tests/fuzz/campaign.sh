#!/usr/bin/env bash
# tests/fuzz/campaign.sh -- the fuzzing hours of issue #11: every harness until it has run
# 10 million executions or an hour, whichever comes first, and a table of where each stands.
#
#   bash tests/fuzz/campaign.sh run [LANES [HARNESS...]]
#                                             fuzz every harness not yet done (or those named,
#                                             in that order), LANES at a time (default 2), each
#                                             at nice 19, each run
#                                             `FUZZ_RUNS=10000000 run.sh 3600 HARNESS`
#   bash tests/fuzz/campaign.sh status        the table (markdown) of every run so far
#
# Each run's libFuzzer log is kept as build-fuzz/hours/HARNESS-YYYYmmddHHMM.log, with run.sh's
# summary beside it (.out). A harness is done when one of its logs shows 10,000,000 executions
# or 3590 seconds. A run that did not end by itself (killed, or the machine paused it) leaves no
# "Done" line and does not count. `run` may be stopped at any time and started again: it skips
# what is done. Never pause a fuzzer (SIGSTOP) to free the machine: libFuzzer measures its
# timeouts by the wall clock and reports the paused input as a hang.
set -u
cd "$(dirname "$0")/../.."
hours=build-fuzz/hours
mkdir -p "$hours"

# "harness seconds executions cov ft result" for one log
summary() {
    local log=$1 h secs ex last cov ft res
    h=$(basename "$log" .log)
    h=${h%-*}
    secs=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}' | tail -n 1)
    ex=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -n 1)
    last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | awk '{print $2}')
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | awk '{print $2}')
    res=$(grep -aoE 'ERROR: [A-Za-z]+: [a-z-]+|runtime error: .*' "$log" | head -n 1)
    echo "$h ${secs:--} ${ex:--} ${cov:--} ${ft:--} ${res:-none}"
}

# Met before build-fuzz/hours/ existed; their figures are in docs/fuzzing.md (bson: 13.3M
# executions in the first session; web_text: 20M in the second).
earlier="bson web_text"

is_done() { # harness
    local log s
    grep -qw -- "$1" <<<"$earlier" && return 0
    for log in "$hours/$1"-[0-9]*.log; do
        [ -f "$log" ] || continue
        read -r _ secs ex _ _ res < <(summary "$log")
        [ "$res" = none ] || continue
        s=${secs/-/0} e=${ex/-/0}
        [ "$e" -ge 10000000 ] || [ "$s" -ge 3590 ] && return 0
    done
    return 1
}

lane() { # harness...
    local h ts
    for h in "$@"; do
        is_done "$h" && continue
        ts=$(date +%Y%m%d%H%M)
        FUZZ_RUNS=10000000 nice -n 19 bash tests/fuzz/run.sh 3600 "$h" >"$hours/$h-$ts.out" 2>&1
        cp "build-fuzz/log/$h.log" "$hours/$h-$ts.log"
    done
}

case ${1:-status} in
run)
    n=${2:-2}
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "campaign.sh: LANES must be a number" >&2; exit 2; }
    shift 2 2>/dev/null || shift
    todo=()
    for h in ${*:-$(bash tests/fuzz/run.sh --list)}; do is_done "$h" || todo+=("$h"); done
    echo "campaign: ${#todo[@]} harnesses to run, $n at a time"
    for ((l = 0; l < n; l++)); do
        mine=()
        for ((i = l; i < ${#todo[@]}; i += n)); do mine+=("${todo[i]}"); done
        [ ${#mine[@]} -gt 0 ] && lane "${mine[@]}" &
        sleep 5 # one build at a time (run.sh also takes a lock)
    done
    wait
    ;;
status)
    echo "| harness | seconds | executions | cov | ft | result |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for log in "$hours"/*-[0-9]*.log; do
        [ -f "$log" ] || continue
        read -r h secs ex cov ft res < <(summary "$log")
        if [ "$res" = none ] && [ "$secs" = - ]; then
            res="did not finish"
        elif [ "$res" = none ]; then
            res="no finding"
        fi
        printf '| `%s` | %s | %s | %s | %s | %s |\n' "$h" "$secs" "$ex" "$cov" "$ft" "$res"
    done
    done=0 left=()
    for h in $(bash tests/fuzz/run.sh --list); do
        if is_done "$h"; then done=$((done + 1)); else left+=("$h"); fi
    done
    echo
    echo "done: $done of $((done + ${#left[@]})) harnesses; to run: ${left[*]:-none}"
    ;;
*)
    echo "usage: campaign.sh run [LANES [HARNESS...]] | status" >&2
    exit 2
    ;;
esac
