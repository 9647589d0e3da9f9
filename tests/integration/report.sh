#!/usr/bin/env bash
# Integration: `ajar report` over a real store, every format.
#
# The store is written by a small generator compiled here against the
# sanitizer library (build-asan/libajar.a): three scans of one scope, a day
# apart, through the store's real path (store_scan_begin, store_put,
# store_scan_end), with findings assessed by assess_finding() -- open and
# locked services, personal-data names, a hostile index name carrying
# markup, a comma and quotes, shared and expired certificates, an IPv6
# address. Nothing here touches the network: the addresses are data (the
# suite's loopback range 127.0.170.0/24, and fd00:170::/32).
#
# Then: text (summary, grouping, new since the previous scan, colour only
# on a terminal and never with NO_COLOR), json and jsonl (jq), csv (the
# python3 csv module), sarif (jq), html (static checks, then a headless
# Chromium screenshot when chromium is installed), --scan, the filters,
# --by owner, --personal-data-over, --clusters, -o, exit statuses 2 and 1,
# and the progress line on a large store.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
R=$T_TMP/r

# ---- the generator ----
cat >"$T_TMP/gen.c" <<'EOF'
#include "assess/assess.h"
#include "store/store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const svc[] = {"elasticsearch", "redis", "mongodb", "kibana", "postgresql"};
static const char *const prod[] = {"Elasticsearch", "Redis", "MongoDB", "Kibana", "PostgreSQL"};
static const char *const ver[] = {"5.5.1", "7.0.15", "3.6.8", "5.5.1", "15.4"};
static const unsigned port[] = {9200, 6379, 27017, 5601, 5432};

static void one(struct finding *f, int i, time_t t)
{
    finding_init(f);
    int k = i % 5;
    if (i == 999)
        snprintf(f->ip, sizeof f->ip, "fd00:170::5");
    else
        snprintf(f->ip, sizeof f->ip, "127.0.170.%d", 10 + i % 200);
    f->port = (uint16_t)(port[k] + (i / 200));
    snprintf(f->transport, sizeof f->transport, "tcp");
    f->time = t;
    snprintf(f->service, sizeof f->service, "%s", svc[k]);
    snprintf(f->product, sizeof f->product, "%s", prod[k]);
    snprintf(f->version, sizeof f->version, "%s", ver[k]);
    f->auth = i % 3 ? AUTH_NONE : AUTH_REQUIRED;
    f->records = (int64_t)(i % 200) * 100000;
    f->bytes = f->records * 300;
    f->collections = 2;
    if (k == 0 || k == 2) {
        char n[64];
        snprintf(n, sizeof n, "person_info_%d", 2019 + i % 3);
        finding_add_name(f, n, strlen(n), f->records, f->bytes);
        finding_add_field(f, "sfzh", 4);
        finding_add_field(f, "sjhm", 4);
    } else {
        finding_add_name(f, "orders", 6, f->records, -1);
    }
    if (i == 1) {
        const char *h = "<script>alert('x')</script>";
        finding_add_name(f, h, strlen(h), 5, 50);
        const char *q = "a,b \"q\" https://evil.example/";
        finding_add_name(f, q, strlen(q), 1, 1);
    }
    if (i % 4 == 0) {
        f->tls.present = true;
        snprintf(f->tls.version, sizeof f->tls.version, "TLSv1.3");
        /* hosts 0, 8, 16 ... share one certificate: a cluster */
        snprintf(f->tls.sha256, sizeof f->tls.sha256, "%064x", i % 8 ? 0x1000 + i : 0xabc);
        snprintf(f->tls.subject_cn, sizeof f->tls.subject_cn, "db%d.example", i % 8 ? i : 0);
        snprintf(f->tls.issuer_cn, sizeof f->tls.issuer_cn, "Lab CA");
        f->tls.not_before = t - 86400 * 400;
        f->tls.not_after = i % 8 == 4 ? t - (time_t)86400 * (20 + i) : t + (time_t)86400 * (30 + 10 * i);
        f->tls.expired = f->tls.not_after < t;
        snprintf(f->tls.key_type, sizeof f->tls.key_type, "rsa");
        f->tls.key_bits = 2048;
        f->tls.name_match = -1;
        f->tls.chain_len = 1;
    }
    struct assess_ctx c = {.now = t, .cert_hosts = i % 8 == 0 && i % 4 == 0 ? 3 : 1};
    assess_finding(f, &c);
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int scans = atoi(argv[2]), bulk = argc > 3 ? atoi(argv[3]) : 0;
    struct err e = {{0}};
    struct store *s;
    if (store_open(&s, argv[1], &e) < 0) goto fail;
    time_t now = now_wall();
    for (int k = 0; k < scans; k++) {
        time_t t = now - (time_t)(scans - 1 - k) * 86400;
        struct scan_meta m = {.args = "gen --scope report-it", .scope_key = "report-it",
                              .seed = 1, .nshards = 1, .start = t};
        int64_t id;
        uint64_t pos;
        if (store_scan_begin(s, &m, &id, &pos, &e) < 0) goto fail;
        int n = bulk ? bulk : 20 + 5 * k;
        for (int i = 0; i < n; i++) {
            struct finding f;
            one(&f, i, t);
            if (bulk && i >= 200) snprintf(f.ip, sizeof f.ip, "10.%d.%d.%d", i >> 16 & 255,
                                           i >> 8 & 255, i & 255);
            if (store_put(s, id, &f, &e) < 0) goto fail;
            finding_free(&f);
        }
        if (!bulk) {
            struct finding f;
            one(&f, 999, t);
            if (store_put(s, id, &f, &e) < 0) goto fail;
            finding_free(&f);
        }
        if (store_scan_end(s, id, &e) < 0) goto fail;
    }
    store_close(s);
    return 0;
fail:
    fprintf(stderr, "gen: %s\n", e.msg);
    return 1;
}
EOF
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Isrc -g -fsanitize=address,undefined \
    $(pkg-config --cflags jansson sqlite3 libpq) "$T_TMP/gen.c" build-asan/libajar.a \
    $(pkg-config --libs openssl sqlite3 jansson libpq yaml-0.1 libpcre2-8) -lm -lpthread -o "$T_TMP/gen" 2>"$T_TMP/cc.err"
check_eq "generator builds" "$?" 0 || cat "$T_TMP/cc.err"
DB=$T_TMP/report.db
"$T_TMP/gen" "$DB" 3
check_eq "generator writes 3 scans" "$?" 0
export AJAR_DB=$DB

rep() { "$AJAR" report "$@"; }

# ---- text ----
rep >"$R.txt" 2>"$R.err"
check_eq "text: exit status" "$?" 0
check "text: summary first" grep -q '^Summary' "$R.txt"
check "text: services found (30 + 1 IPv6)" grep -qE '^  services found +31$' "$R.txt"
check "text: new since the previous scan (5 new hosts)" grep -qE '^  new since previous +5 +\(previous scan #2' "$R.txt"
check "text: by service" grep -qE '^  elasticsearch +[0-9]+' "$R.txt"
check "text: largest exposed volumes" grep -q '^Largest exposed volumes' "$R.txt"
check "text: personal-data exposures" grep -q '^Personal-data exposures' "$R.txt"
order=$(grep -E '^(CRITICAL|HIGH|MEDIUM|LOW|INFO) \(' "$R.txt" | cut -d' ' -f1 | tr '\n' ' ')
check "text: groups by severity, critical first ($order)" test "${order%% *}" = CRITICAL
check "text: groups in order" bash -c "echo '$order' | grep -qE '^CRITICAL (HIGH )?(MEDIUM )?(LOW )?(INFO )?$'"
check "text: IPv6 in brackets" grep -q '\[fd00:170::5\]:5436' "$R.txt"
check "text: no colour into a pipe" bash -c "! grep -q $'\033' '$R.txt'"
if command -v script >/dev/null; then
    script -qec "$AJAR report" /dev/null >"$R.tty" 2>&1
    check "text: colour on a terminal" grep -q $'\033\\[1;31mcritical' "$R.tty"
    NO_COLOR=1 script -qec "$AJAR report" /dev/null >"$R.tty2" 2>&1
    check "text: NO_COLOR on a terminal" bash -c "! grep -q $'\033\\[' '$R.tty2'"
fi

# ---- json / jsonl ----
rep --format json >"$R.json"
check_eq "json: exit status" "$?" 0
check_eq "json: an array of 31 records" "$(jq 'length' "$R.json")" 31
check_eq "json: every record has the record's keys" \
    "$(jq '[.[] | select(has("ip") and has("port") and has("service") and has("signals") and has("first_seen"))] | length' "$R.json")" 31
check_eq "json: hostile name kept as data" \
    "$(jq -r '[.[].data.names[]?] | map(select(startswith("<script>"))) | length' "$R.json")" 1
rep --format jsonl >"$R.jsonl"
check_eq "jsonl: 31 lines" "$(wc -l <"$R.jsonl")" 31
check_eq "jsonl: each line is a record" "$(jq -c 'select(.ip)' "$R.jsonl" | wc -l)" 31
check_eq "jsonl equals json" "$(jq -c '.' "$R.jsonl" | md5sum)" "$(jq -c '.[]' "$R.json" | md5sum)"

# ---- csv ----
rep --format csv >"$R.csv"
check_eq "csv: exit status" "$?" 0
out=$(python3 - "$R.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
h = rows[0]
print(len(rows) - 1, h[0], h[1], len(set(len(r) for r in rows)))
names = [r[h.index("names")] for r in rows[1:]]
print(any('a,b "q" https://evil.example/' in n.split(";") for n in names))
print(all(r[h.index("signals")] == "" or ";" in r[h.index("signals")] or r[h.index("signals")].isascii() for r in rows[1:]))
EOF
)
check_eq "csv: 31 rows, header, same width everywhere" "$(echo "$out" | sed -n 1p)" "31 ip port 1"
check_eq "csv: a name with a comma and quotes survives" "$(echo "$out" | sed -n 2p)" True

# ---- sarif ----
rep --format sarif >"$R.sarif"
check_eq "sarif: exit status" "$?" 0
check_eq "sarif: version" "$(jq -r '.version' "$R.sarif")" 2.1.0
check_eq "sarif: \$schema" "$(jq -r '."$schema" | test("sarif-2.1.0")' "$R.sarif")" true
check_eq "sarif: driver" "$(jq -r '.runs[0].tool.driver.name' "$R.sarif")" ajar
check_eq "sarif: one result per (finding, signal)" "$(jq '.runs[0].results | length' "$R.sarif")" \
    "$(jq '[.[].signals | length] | add' "$R.json")"
check_eq "sarif: every result has a rule, a level and a tcp:// location" \
    "$(jq '.runs[0] as $r | [$r.results[] | select(($r.tool.driver.rules[.ruleIndex].id == .ruleId) and (.level | IN("error","warning","note")) and (.message.text | length > 0) and (.locations[0].physicalLocation.artifactLocation.uri | startswith("tcp://")))] | length' "$R.sarif")" \
    "$(jq '.runs[0].results | length' "$R.sarif")"

# ---- html ----
rep --format html -o "$R.html" >"$R.out"
check_eq "html: exit status" "$?" 0
check "html: -o writes the file, nothing on stdout" test -s "$R.html" -a ! -s "$R.out"
check "html: inline svg" grep -q '<svg' "$R.html"
check_eq "html: one script element" "$(grep -o '<script' "$R.html" | wc -l)" 1
check "html: hostile name escaped" grep -q '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;' "$R.html"
# the only URLs are inside escaped data (the hostile name), never in markup
check "html: no external reference" bash -c "! grep -oE '(src|href)=|url\\(|@import|<link' '$R.html' | grep -q ."
check_eq "html: http(s):// only inside escaped data" \
    "$(grep -oE '.{0,20}https?://' "$R.html" | grep -vc 'q&quot; https://')" 0
check "html: history over 3 scans" grep -q 'last 3 scans' "$R.html"
check "html: expired certificate in red" grep -q 'fill="#b3001b"><title>db4.example' "$R.html"
check "html: clusters" grep -q 'members</text>' "$R.html"
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends chromium >/dev/null 2>&1
fi
if command -v chromium >/dev/null; then
    prof=$(mktemp -d "$T_TMP/chrome.XXXXXX")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" --screenshot="$T_TMP/report.png" --window-size=1400,2400 \
        "file://$R.html" >"$T_TMP/chrome.log" 2>&1
    check "html: chromium renders a screenshot" test -s "$T_TMP/report.png"
    check "html: the screenshot is a PNG" bash -c "head -c 8 '$T_TMP/report.png' | od -An -tx1 | grep -q '89 50 4e 47'"
    [ -n "${REPORT_PNG:-}" ] && cp "$T_TMP/report.png" "$REPORT_PNG"
else
    echo "skip: chromium not installed (html screenshot)"
fi

# ---- scan choice and filters ----
check_eq "--scan 1: 21 records" "$(rep --scan 1 --format json | jq length)" 21
check_eq "--min-severity critical" "$(rep --min-severity critical --format json | jq '[.[] | select(.severity != "critical")] | length')" 0
check "--min-severity critical keeps some" test "$(rep --min-severity critical --format json | jq length)" -gt 0
check_eq "--service redis" "$(rep --service redis --format json | jq -r '[.[].service] | unique | join(",")')" redis
n=$(rep --personal-data-over 1,000,000 --format json | jq '[.[] | select(.data.records >= 1000000 and any(.signals[]; .id == "personal-data-schema"))] | length')
check_eq "--personal-data-over: only personal data over the threshold" \
    "$(rep --personal-data-over 1000000 --format json | jq length)" "$n"
check "--personal-data-over: some" test "$n" -gt 0
rep --clusters --format json >"$R.cl.json"
check_eq "--clusters json: the shared certificate's cluster" \
    "$(jq '[.[] | select(.size >= 2 and (.members | length) == .size)] | length > 0' "$R.cl.json")" true
check "--clusters text" bash -c "'$AJAR' report --clusters | grep -q 'Clusters of identical deployments'"

# ---- owners ----
cat >"$T_TMP/owners" <<'EOF'
# cloud provider and its clients
127.0.170.0/24      Example Cloud
127.0.170.16/28	Client Sixteen
fd00:170::/32       IPv6 Client
EOF
rep --by owner --owners "$T_TMP/owners" >"$R.own.txt"
check_eq "--by owner: exit status" "$?" 0
check "--by owner: longest prefix wins" grep -q '^Owner: Client Sixteen (' "$R.own.txt"
check "--by owner: IPv6" grep -q '^Owner: IPv6 Client (1 finding)' "$R.own.txt"
check_eq "--by owner jsonl: owner field" \
    "$(rep --by owner --owners "$T_TMP/owners" --format jsonl | jq -r 'select(.ip == "127.0.170.20") | .owner')" "Client Sixteen"
rep --by owner --owners "$T_TMP/owners" --personal-data-over 1000000 >"$R.reg.txt"
check "--personal-data-over with --by owner: total per owner" grep -q '^Total per owner' "$R.reg.txt"

# ---- usage errors (2, one line naming the flag) and runtime failures (1) ----
usage() { # description, args...
    local d=$1; shift
    rep "$@" >/dev/null 2>"$R.uerr"
    local rc=$?
    check_eq "usage: $d: exit 2" "$rc" 2
    check_eq "usage: $d: one line" "$(wc -l <"$R.uerr")" 1
}
usage "--format xml" --format xml
check "usage: --format xml names it" grep -q -- "--format: unknown format 'xml'" "$R.uerr"
usage "--min-severity urgent" --min-severity urgent
usage "unknown flag" --bogus
usage "--by owner without --owners" --by owner
usage "--by team" --by team --owners "$T_TMP/owners"
usage "--scan abc" --scan abc
usage "--personal-data-over lots" --personal-data-over lots
usage "--clusters with sarif" --clusters --format sarif
usage "--db without a value" --db
printf '10.0.0.0/40 x\n' >"$T_TMP/bad-owners"
usage "bad owners file" --by owner --owners "$T_TMP/bad-owners"
rep --db "$T_TMP/nope.db" >/dev/null 2>"$R.rerr"
check_eq "no store: exit 1" "$?" 1
check "no store: the report does not create one" test ! -e "$T_TMP/nope.db"
rep --scan 99 >/dev/null 2>"$R.rerr"
check_eq "no such scan: exit 1" "$?" 1
AJAR_DB=$T_TMP/other.db rep >/dev/null 2>&1
check_eq "\$AJAR_DB is the default store (missing here): exit 1" "$?" 1
rep --help >/dev/null
check_eq "--help: exit 0" "$?" 0

# ---- a large store: the progress line on a terminal ----
if [ -z "${REPORT_QUICK:-}" ] && command -v script >/dev/null; then
    "$T_TMP/gen" "$T_TMP/big.db" 1 100100
    check_eq "large store written" "$?" 0
    t0=$SECONDS
    script -qec "$AJAR report --db $T_TMP/big.db --format jsonl -o $T_TMP/big.jsonl" /dev/null >"$R.prog" 2>&1
    check "large store: progress line on a terminal" grep -q 'findings read' "$R.prog"
    check_eq "large store: every finding written" "$(wc -l <"$T_TMP/big.jsonl")" 100100
    "$AJAR" report --db "$T_TMP/big.db" --format jsonl -o /dev/null 2>"$R.prog2"
    check "large store: no progress line when stderr is not a terminal" test ! -s "$R.prog2"
    "$AJAR" report --db "$T_TMP/big.db" >"$R.big.txt"
    check_eq "large store: text report" "$?" 0
    echo "large store: 100100 findings reported in $((SECONDS - t0)) s (three reports, ASan build)"
fi

t_end
