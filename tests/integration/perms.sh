#!/usr/bin/env bash
# Integration (issue 22): what ajar writes about exposed services is private. Under umask 022
# a new store (and its -wal/-shm), an -o file, a --trace file and a report file are mode 0600;
# an -o file that exists keeps its mode. A webhook's token never reaches the store or a report.
# Traffic: one closed port on 127.0.0.1 (the webhook too: 127.0.0.1:9).
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
umask 022
AJ=${AJAR:-build-asan/ajar}
[ -x "$AJ" ] || AJ=build/ajar
mode() { stat -c %a "$1" 2>/dev/null; }
D=$T_TMP/d
mkdir -p "$D"
"$AJ" scan -q -p 1 --rate 0 --db "$D/a.db" -o "$D/out.jsonl" --trace "$D/t.trace" 127.0.0.1 >/dev/null 2>&1
check_eq "scan: exit 0" "$?" 0
check_eq "a new store is 0600" "$(mode "$D/a.db")" 600
for f in "$D"/a.db-wal "$D"/a.db-shm; do
    [ -e "$f" ] && check_eq "$(basename "$f") is 0600" "$(mode "$f")" 600
done
check_eq "an -o file is 0600" "$(mode "$D/out.jsonl")" 600
check_eq "a --trace file is 0600" "$(mode "$D/t.trace")" 600
"$AJ" report --db "$D/a.db" -o "$D/r.txt" >/dev/null 2>&1
check_eq "report: exit 0" "$?" 0
check_eq "a report file is 0600" "$(mode "$D/r.txt")" 600
"$AJ" report --db "$D/a.db" --format csv -o "$D/r.csv" >/dev/null 2>&1
check_eq "a CSV report is 0600" "$(mode "$D/r.csv")" 600
: >"$D/mine.jsonl"
chmod 640 "$D/mine.jsonl"
"$AJ" scan -q -p 1 --rate 0 --no-db -o "$D/mine.jsonl" 127.0.0.1 >/dev/null 2>&1
check_eq "an -o file that exists keeps its mode" "$(mode "$D/mine.jsonl")" 640
"$AJ" scan -q -p 1 --rate 0 --db "$D/w.db" --webhook "https://127.0.0.1:9/h/SECRET123" 127.0.0.1 >/dev/null 2>&1
check_eq "scan with a webhook: exit 0" "$?" 0
"$AJ" report --db "$D/w.db" --format html -o "$D/w.html" >/dev/null 2>&1
"$AJ" report --db "$D/w.db" -o "$D/w.txt" >/dev/null 2>&1
check_eq "the webhook's token is in neither the store nor a report" \
    "$(cat "$D"/w.db* "$D/w.html" "$D/w.txt" | grep -c SECRET123)" 0
check_eq "the scans list shows the webhook's host" "$(grep -c 'https://127.0.0.1:9/&lt;redacted&gt;\|https://127.0.0.1:9/<redacted>' "$D/w.html")" 1
"$AJ" scan -p 1 --rate 0 --no-db --webhook "http://127.0.0.1:9/x" 127.0.0.1 >/dev/null 2>"$D/warn"
check_eq "a cleartext http:// webhook is warned about" "$(grep -c 'cleartext http' "$D/warn")" 1
"$AJ" scan -p 1 --rate 0 --no-db --webhook "https://127.0.0.1:9/x" 127.0.0.1 >/dev/null 2>"$D/warn"
check_eq "an https:// webhook is not" "$(grep -c 'cleartext http' "$D/warn")" 0
t_end
