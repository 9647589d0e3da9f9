#!/usr/bin/env bash
# The whole lab scan (tests/lab; started if `tests/lab/lab status` says it is
# down, never stopped here) under valgrind memcheck, release build
# (build/ajar, -O2 -g), stored in a fresh SQLite file: --leak-check=full
# --error-exitcode=9, so any invalid read or write, use of an uninitialised
# value or definite/indirect leak makes it exit 9. Too slow for `make test`
# (a run takes minutes); run it by hand:
#   scripts/valgrind-lab.sh            prints valgrind's summary, exits with its status
# The full log is left in $VALGRIND_LOG (default /tmp/ajar-valgrind-lab.log).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test >/dev/null || exit 1
make -j2 all >/dev/null || exit 1 # incremental: never a stale binary
export AJAR_LAB_DIR=${AJAR_LAB_DIR:-/tmp/ajar-lab}
if ! tests/lab/lab status >/dev/null 2>&1; then
    tests/lab/lab up >/dev/null || { echo "valgrind-lab: lab up failed" >&2; exit 1; }
fi
M=$AJAR_LAB_DIR/manifest.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jq -r '.instances[].address' "$M" | sort -u >"$tmp/targets"
P=$(jq -r '[.instances[].port] | unique | map(tostring) | join(",")' "$M")
log=${VALGRIND_LOG:-/tmp/ajar-valgrind-lab.log}
start=$SECONDS
valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=9 --track-origins=yes --log-file="$log" \
    build/ajar scan -q -iL "$tmp/targets" -p "$P" --rate 0 --db "$tmp/lab.db" -o "$tmp/lab.jsonl"
rc=$?
echo "valgrind-lab: exit $rc in $((SECONDS - start)) s, $(wc -l <"$tmp/lab.jsonl") records (log: $log)"
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable' "$log" | sed 's/^==[0-9]*== /  /'
exit $rc
