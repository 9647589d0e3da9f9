#!/usr/bin/env bash
# `make analyze` in the test run: clang-tidy and cppcheck over every source file must report
# nothing (scripts/analyze.sh). Two checks, one per analyser; their findings are printed.
cd "$(dirname "$0")/../.." || exit 1
out=$(bash scripts/analyze.sh 2>&1)
rc=$?
line=$(grep -E '^analyze: clang-tidy [0-9]+ findings, cppcheck [0-9]+ findings' <<<"$out" | tail -n 1)
if [ -z "$line" ]; then
    echo "$out" | tail -n 20
    echo "analyze: did not run"
    echo "0 passed, 2 failed"
    exit 1
fi
nt=$(awk '{print $3}' <<<"$line") nc=$(awk '{print $6}' <<<"$line")
pass=0 fail=0
[ "$nt" = 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL clang-tidy: $nt findings"; }
[ "$nc" = 0 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL cppcheck: $nc findings"; }
[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && { fail=1; echo "FAIL scripts/analyze.sh exit $rc"; }
grep -E ': (error|warning|portability|performance)' <<<"$out" | head -n 40
echo "$line"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
