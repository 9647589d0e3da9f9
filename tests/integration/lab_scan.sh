#!/usr/bin/env bash
# Integration: scan the whole lab (real servers and labelled emulations on
# 127.0.x.y, tests/lab) with the sanitizer build and compare every record with
# the lab's manifest of the truth (tests/integration/lab_check.py): service,
# product, version, authentication, TLS facts, data counts, `via` through
# consoles, nothing outside the manifest, every line valid against
# docs/record.schema.json. Then the same scan stored twice in SQLite: the
# store's view of the scan equals what was printed.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
lab_up || { bad "lab up"; t_end; exit 1; }
M=$AJAR_LAB_DIR/manifest.json
jq -r '.instances[].address' "$M" | sort -u >"$T_TMP/targets"
P=$(jq -r '[.instances[].port] | unique | map(tostring) | join(",")' "$M")
start=$(date +%s%N)
"$AJAR" scan -q -iL "$T_TMP/targets" -p "$P" --rate 0 --db "$T_TMP/lab.db" -o "$T_TMP/lab.jsonl"
check_eq "lab scan exit status" "$?" 0
ms=$((($(date +%s%N) - start) / 1000000))
echo "lab scan: $(wc -l <"$T_TMP/lab.jsonl") records from $(jq '.instances | length' "$M") instances in ${ms} ms (ASan build)"
/usr/bin/python3 tests/integration/lab_check.py "$M" "$T_TMP/lab.jsonl" >"$T_TMP/check.out"
rc=$?
grep -v '^[0-9]* passed' "$T_TMP/check.out"
last=$(tail -n 1 "$T_TMP/check.out")
p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
T_PASS=$((T_PASS + p)); T_FAIL=$((T_FAIL + f))
[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || bad "lab_check.py exited $rc"
t_end
