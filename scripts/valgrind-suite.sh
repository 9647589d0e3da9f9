#!/usr/bin/env bash
# The integration suite (tests/integration/*.sh) with every `ajar` it runs under valgrind memcheck:
# the release build (build/ajar, -O2 -g) behind a wrapper that the tests take as $AJAR
# (tests/integration/lib.sh). Each process writes its own log; valgrind runs with -q, so a log
# says something only when memcheck found an invalid read or write, a use of an uninitialised
# value, or a definite or indirect leak. Too slow for `make test` (valgrind is 20 to 50 times
# slower than the code); run it by hand, once per resolve of the hardening work:
#
#   scripts/valgrind-suite.sh [TEST.sh...]      default: every test that runs ajar
#
# Prints each test's own result, then the memcheck verdict, and exits 0 only when no log has an
# error. A test's own checks may fail under valgrind for reasons that are not memory errors (its
# deadlines and memory caps are set for the native code): those are listed, not counted as
# memcheck errors. Loopback and the tests' own namespaces only, as the tests themselves.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bash scripts/deps.sh test >/dev/null || exit 1
command -v valgrind >/dev/null || { echo "valgrind-suite: valgrind is not installed" >&2; exit 1; }
make -j2 all >/dev/null || exit 1
# the ASan unit and probe builds are not needed: the tests here call only $AJAR and the tools
tmp=$(mktemp -d /tmp/ajar-vgsuite.XXXXXX)
logs=$tmp/logs
mkdir -p "$logs"
chmod 755 "$tmp" && chmod 1777 "$logs" # syn.sh runs one scan as nobody
cat >"$tmp/ajar" <<EOF
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \\
    --log-file='$logs/vg.%p.log' '$PWD/build/ajar' "\$@"
EOF
chmod +x "$tmp/ajar"
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
    for t in tests/integration/*.sh; do
        case ${t##*/} in lib.sh | *_env.sh) continue ;; esac
        grep -q 'AJAR' "$t" || continue # runs no ajar: nothing for memcheck to see
        tests+=("$t")
    done
fi
export AJAR_LAB_DIR=${AJAR_LAB_DIR:-/tmp/ajar-lab}
failed=()
for t in "${tests[@]}"; do
    t0=$SECONDS
    out=$(AJAR="$tmp/ajar" timeout 2400 bash "$t" 2>&1)
    rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    printf '%-40s exit %3d %5ds  %s\n' "${t##*/}" "$rc" $((SECONDS - t0)) "$last"
    if [ "$rc" -ne 0 ]; then
        failed+=("${t##*/}")
        printf '%s\n' "$out" | grep '^FAIL' | head -n 5 | sed 's/^/    | /'
    fi
done
n=$(find "$logs" -name 'vg.*.log' | wc -l)
bad=$(find "$logs" -name 'vg.*.log' -size +0 | sort)
echo "memcheck: $n ajar processes, $(printf '%s' "$bad" | grep -c .) logs with an error"
for f in $bad; do
    echo "== $f"
    head -n 40 "$f"
done
[ ${#failed[@]} -gt 0 ] && echo "tests whose own checks failed under valgrind: ${failed[*]}"
if [ -n "$bad" ]; then
    echo "valgrind-suite: memcheck errors (logs kept in $logs)"
    exit 9
fi
rm -rf "$tmp"
echo "valgrind-suite: no memcheck error"
