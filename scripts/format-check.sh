#!/usr/bin/env bash
# Fail when a C source or header differs from what .clang-format wants.
# Prints "N passed, N failed" (files) last so the test runner can count it.
cd "$(dirname "$0")/.."
pass=0 fail=0
while IFS= read -r f; do
    if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "needs clang-format: $f (run: make format)"
    fi
done < <(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 2>/dev/null)
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
