#!/usr/bin/env bash
# tests/integration/golden.sh -- what ajar shows above the store, byte for
# byte: every `ajar report` format and grouping, `ajar diff`, `ajar history`
# and the dashboard's main pages, compared with the files under
# tests/golden/ (taken before issue #23's redesign of report/ and web/, so
# that it changes nothing it did not mean to).
#
# The store: bench/serve_gen.c (the store's real write path, the real
# assessment) with 500 findings, three scans a week apart, attribution on
# three findings in four (--attr), the last scan started at --now. Inputs:
# tests/golden/input/ (the owners file).
#
# The clock: everything that reads the wall clock (the store's scan end and
# first/last seen, the report's heading, history's "open for", the
# dashboard's durations, the generated certificate's validity, the Date
# header, account creation and sign-in times) runs under libfaketime (Debian
# package faketime) with the wall clock frozen at FROZEN (UTC) and the
# monotonic clock left real (FAKETIME_DONT_FAKE_MONOTONIC: deadlines, the
# store's commit timer and the dashboard's cache still see time pass, so
# nothing waits forever). libfaketime is an LD_PRELOAD library, which the
# sanitizer build does not take, so this test runs the release build
# (build/ajar, $AJAR_REL). Pinning the clock instead through a variable read
# by ajar would mean a test hook in src/ for every clock read (now_wall, the
# store's, libmicrohttpd's Date, OpenSSL's certificate dates); faketime
# needs none.
#
# Normalised (sed, in norm_web below), because it is random by design and
# nothing else:
#   - the CSRF token in every form: name="csrf" value="<64 hex>" -> value="CSRF"
#   - /account's session ids: the public id in the "end" form field
#     (value="<64 hex>" -> value="SESSION") and its first 12 hex digits
#     shown in the table (<td class="mono">xxxxxxxxxxxx…</td> -> SESSION…)
# Nothing else is: no port, path or key fingerprint appears in an output
# (the store path is given relative, the server's port is in no page).
#
#   bash tests/integration/golden.sh                  compare (a unified diff on a mismatch)
#   GOLDEN_UPDATE=1 bash tests/integration/golden.sh  rewrite tests/golden/* (review the diff!)
#
# Only 127.0.0.1 is contacted (ajar serve on a free port).
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
GOLD=$ROOT/tests/golden
REL=${AJAR_REL:-$ROOT/build/ajar}
UPDATE=${GOLDEN_UPDATE:-}
NOW=1772366400              # 2026-03-01T12:00:00Z: the last scan starts here (serve_gen --now)
FROZEN='2026-03-01 12:10:00' # the wall clock of every process (UTC): the last scan took 10 min
PW=golden-test-password-1
t0=$SECONDS

# libfaketime itself rather than the faketime wrapper: the wrapper forks and does not pass a
# SIGTERM on, so the server it started would outlive the test
FT_LIB=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -n 1)
[ -f "$FT_LIB" ] || { bad "faketime is not installed (scripts/deps.sh test)"; t_end; exit 1; }
make -s -j2 build/ajar build/libajar.a || { bad "build the release binary and library"; t_end; exit 1; }
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc \
    $(pkg-config --cflags jansson sqlite3 libpq) bench/serve_gen.c build/libajar.a \
    $(pkg-config --libs openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8 libmaxminddb libcares) \
    -lm -lpthread -o "$T_TMP/serve_gen" || { bad "build serve_gen"; t_end; exit 1; }

export TZ=UTC LC_ALL=C
unset NO_COLOR AJAR_DB
# run a command with the wall clock frozen at FROZEN (an absolute FAKETIME without '@' stands
# still; the MT library: ajar has threads)
ft() { LD_PRELOAD=$FT_LIB FAKETIME=$FROZEN FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"; }

RUN=$T_TMP/run OUT=$T_TMP/out
mkdir -p "$RUN" "$OUT"
cd "$RUN" || exit 1
cp "$GOLD/input/owners.txt" owners.txt
ft "$T_TMP/serve_gen" --db golden.db -n 500 --scans 3 --now "$NOW" --attr >gen.log 2>&1
check_eq "the synthetic store (serve_gen --now $NOW --attr)" "$?" 0
check "... three scans" grep -q "scan 3: 510 findings" gen.log

# ---- capture ----
# cap NAME CMD...: the command's standard output is the file NAME; it must exit 0 and say
# nothing on standard error (a warning there is a change too).
cap() {
    local name=$1 rc; shift
    mkdir -p "$(dirname "$OUT/$name")"
    ft "$@" >"$OUT/$name" 2>"$T_TMP/stderr"; rc=$?
    check_eq "$name: exit status" "$rc" 0
    check "$name: nothing on standard error ($(head -c 200 "$T_TMP/stderr"))" [ ! -s "$T_TMP/stderr" ]
}
report() { cap "report/$1" "$REL" report --db golden.db "${@:2}"; }

# every format of the newest scan
report text.txt
report json.json -f json
report jsonl.jsonl -f jsonl
report csv.csv -f csv
report html.html -f html
report sarif.sarif -f sarif
report ocsf.ocsf -f ocsf
# the oldest scan: "first scan of this scope"
report scan1.txt --scan 1
# the filters, in the heading and the rows
report filtered.txt --min-severity high --service elasticsearch
report filtered.csv -f csv --min-severity high --service elasticsearch
report personal.txt --personal-data-over 1,000,000
report personal.html -f html --personal-data-over 1,000,000
# groupings: text whole, HTML whole by owner and at least high by the others; the machine
# formats (which gain an owner field, or stay as they are for provider/asn/country) on one
# service: the files stay small, each renderer's grouping code is still all there
for by in owner provider asn country; do
    ow=() hi=(--min-severity high)
    [ $by = owner ] && ow=(--owners owners.txt) hi=()
    report by-$by.txt --by $by "${ow[@]}"
    report by-$by.html -f html --by $by "${ow[@]}" "${hi[@]}"
    report by-$by-redis.csv -f csv --service redis --by $by "${ow[@]}"
done
for f in json jsonl sarif; do report by-owner-redis.$f -f $f --service redis --by owner --owners owners.txt; done
report personal-by-owner.txt --personal-data-over 1,000,000 --by owner --owners owners.txt
# clusters: text, json, jsonl, csv (the HTML report always has them)
report clusters.txt --clusters
for f in json jsonl csv; do report clusters.$f -f $f --clusters; done
report clusters-by-provider.txt --clusters --by provider

# diff: the last two scans, the first against the last
cap diff/last.txt "$REL" diff --db golden.db
cap diff/last.json "$REL" diff --db golden.db --json
cap diff/1-3.txt "$REL" diff --db golden.db 1 3
# history: the first service of each kind the diff lists (changed, closed, new)
svc_of() { awk -v m="$1" '$1 == m { print $2; exit }' "$OUT/diff/last.txt"; }
changed=$(svc_of '~') closed=$(svc_of '-') new=$(svc_of '+')
check "the diff lists a changed, a closed and a new service ($changed $closed $new)" \
    [ -n "$changed" ] && [ -n "$closed" ] && [ -n "$new" ]
for k in changed closed new; do
    cap "history/$k.txt" "$REL" history --db golden.db "${!k}"
    cap "history/$k.json" "$REL" history --db golden.db --json "${!k}"
done
cap history/address.txt "$REL" history --db golden.db "${changed%:*}"

# ---- the dashboard ----
# accounts: an admin, and a viewer scoped to one owner (its pages are built from its scope)
printf '%s\n' "$PW" | ft "$REL" user add tester --password-stdin --db golden.db >/dev/null 2>&1
check_eq "user add tester" "$?" 0
printf '%s\n' "$PW" | ft "$REL" user add north --role viewer --owner "North Agency" --password-stdin \
    --db golden.db >/dev/null 2>&1
check_eq "user add north (a viewer of North Agency)" "$?" 0
mkdir -p state
# (not through ft, a function: $! must be the server itself)
LD_PRELOAD=$FT_LIB FAKETIME=$FROZEN FAKETIME_DONT_FAKE_MONOTONIC=1 \
    "$REL" serve --db golden.db --listen 127.0.0.1:0 --state-dir state --owners owners.txt 2>serve.log &
SERVE_PID=$!
T_PIDS+=("$SERVE_PID")
PORT=
for _ in $(seq 200); do
    PORT=$(grep -o 'https://127.0.0.1:[0-9]*/' serve.log 2>/dev/null | head -1 | sed 's/.*://; s/\///')
    [ -n "$PORT" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
done
check "ajar serve starts on 127.0.0.1" [ -n "$PORT" ]
U=https://127.0.0.1:$PORT
login() { # user -> status; cookies in jar.USER
    local jar=jar.$1 t
    rm -f "$jar"
    t=$(curl -sk -c "$jar" -b "$jar" "$U/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | cut -d'"' -f4)
    curl -sk -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$t" \
        --data-urlencode "user=$1" --data-urlencode "password=$PW" "$U/login"
}
# the normalisations documented at the top, and only those
norm_web() {
    sed -E -i \
        -e 's/name="csrf" value="[0-9a-f]{64}"/name="csrf" value="CSRF"/g' \
        -e 's/name="end" value="[0-9a-f]{64}"/name="end" value="SESSION"/g' \
        -e 's/<td class="mono">[0-9a-f]{12}…<\/td>/<td class="mono">SESSION…<\/td>/g' \
        "$1"
}
# page NAME PATH [STATUS [USER]]: the body of GET PATH is web/NAME
page() {
    local name=web/$1 path=$2 want=${3:-200} user=${4:-tester} code
    mkdir -p "$OUT/web"
    code=$(curl -sk -b "jar.$user" -o "$OUT/$name" -w '%{http_code}' --max-time 30 "$U$path")
    check_eq "GET $path ($user): status" "$code" "$want"
    norm_web "$OUT/$name"
}
first_id() { grep -o 'href="/finding?id=[0-9]*"' "$OUT/web/$1" | head -1 | grep -o '[0-9]*'; }
if [ -n "$PORT" ]; then
    check_eq "tester signs in" "$(login tester)" 303
    check_eq "north signs in" "$(login north)" 303
    # The order is fixed: the dashboard keeps the indexes of two scans in memory and a
    # finding's page shows what an index in memory knows (never building one), so the
    # pages of the newest scan come first, the finding pages right after its index is built.
    page overview.html /
    page findings.html /findings
    page findings-page2.html "/findings?page=2"
    page findings-filter.html "/findings?severity=critical,high&service=elasticsearch&auth=none"
    page findings-search.html "/findings?q=person"
    page findings-search-address.html "/findings?q=10.1"
    page findings-pii-by-records.html "/findings?pii=1&sort=-records"
    page findings-attr.html "/findings?provider=alibaba-cloud&country=CN&sort=address"
    page findings-asn.html "/findings?asn=AS3320&min=medium"
    page findings-owner.html "/findings?owner=City%20Hospital"
    page findings-new.html "/findings?new=1"
    page findings-via.html "/findings?via=1"
    page findings-cert-shared.html "/findings?signal=cert-shared&sort=address"
    page clusters.html /clusters
    cluster=$(grep -o 'href="/cluster?id=[0-9A-Za-z_-]*' "$OUT/web/clusters.html" | head -1 | sed 's/.*id=//')
    check "the clusters page links a cluster ($cluster)" [ -n "$cluster" ]
    page cluster.html "/cluster?id=$cluster"
    for k in via:findings-via new:findings-new pii:findings-pii-by-records cluster:clusters \
        tls:findings-cert-shared; do
        id=$(first_id "${k#*:}.html")
        check "a ${k%%:*} finding is linked ($id)" [ -n "$id" ]
        page "finding-${k%%:*}.html" "/finding?id=$id"
    done
    page finding-unknown.html "/finding?id=999999" 404
    page findings-bad-filter.html "/findings?severity=bogus" 400
    page scans.html /scans
    page overview-scan1.html "/?scan=1"
    page findings-scan1.html "/findings?scan=1&sort=address"
    page diff.html /diff
    page diff-1-3.html "/diff?old=1&new=3"
    page account.html /account
    page users.html /users
    # the viewer of North Agency: only its owner's findings
    page viewer-overview.html / 200 north
    page viewer-findings.html /findings 200 north
    page viewer-clusters.html /clusters 200 north
    page viewer-users.html /users 403 north
    # the style sheet (public) and the headers of a page (Date is the frozen clock)
    page style.css /static/ajar.css
    curl -sk -b jar.tester -D - -o /dev/null "$U/" | tr -d '\r' >"$OUT/web/headers.txt"
fi
kill "$SERVE_PID" 2>/dev/null
wait "$SERVE_PID" 2>/dev/null

# ---- compare (or rewrite) ----
cd "$OUT" || exit 1
produced=$(find . -type f | sed 's|^\./||' | sort)
if [ -n "$UPDATE" ]; then
    for f in $produced; do
        mkdir -p "$GOLD/$(dirname "$f")"
        cp "$f" "$GOLD/$f"
    done
    # golden files no capture makes any more
    (cd "$GOLD" && find . -type f ! -path './input/*' ! -name README.md | sed 's|^\./||' | sort) |
        comm -23 - <(echo "$produced") | while read -r f; do rm -f "$GOLD/$f" && echo "removed $f"; done
    echo "golden files rewritten: $(echo "$produced" | wc -l) under tests/golden/ (review: git diff --stat tests/golden)"
else
    for f in $produced; do
        if [ ! -f "$GOLD/$f" ]; then
            bad "$f: no golden file (GOLDEN_UPDATE=1 to make it)"
        elif cmp -s "$GOLD/$f" "$f"; then
            ok "$f matches"
        else
            bad "$f differs from tests/golden/$f:"
            diff -u "$GOLD/$f" "$f" | head -n 40
        fi
    done
    missing=$( (cd "$GOLD" && find . -type f ! -path './input/*' ! -name README.md | sed 's|^\./||' | sort) |
        comm -23 - <(echo "$produced"))
    check "every golden file was produced again (${missing//$'\n'/ })" [ -z "$missing" ]
    echo "golden: $(echo "$produced" | wc -l) files compared in $((SECONDS - t0)) s"
fi
t_end
