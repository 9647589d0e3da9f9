#!/usr/bin/env bash
# bench/serve.sh -- how fast the dashboard answers the findings page over a
# store of 1,000,000 findings in one scan: p50/p95 per kind of request
# (filters, search, deep pages, sorts) and for a mix of all of them, over
# HTTPS on loopback, measured with wrk. Target: p95 < 50 ms.
#
#   bench/serve.sh [-n COUNT] [-d SECONDS] [--db FILE | --pg] [--threads N]
#
# The store is made by bench/serve_gen.c (the store's real write path and
# the real assessment; --db reuses a store made before; --pg puts it in a
# throwaway PostgreSQL 15 on 127.0.162.1:5432, tests/tools/pg.sh, with fsync
# off for the generation: the figures are the dashboard's reads). `ajar serve`
# runs the release build with its defaults; the first findings request
# builds the scan's in-memory index (timed and printed: the cold start),
# a warm-up touches every URL, then wrk runs each class for a few seconds
# (-t2 -c8) and the mix for -d seconds (default 20). Only 127.0.0.1 is
# contacted. A benchmark, not a test: nothing here fails a build.
set -u
cd "$(dirname "$0")/.."
n=1000000 dur=20 db= threads= pg=0
while [ $# -gt 0 ]; do
    case $1 in
        -n) n=$2; shift ;;
        -d) dur=$2; shift ;;
        --db) db=$2; shift ;;
        --threads) threads="--threads $2"; shift ;;
        --pg) pg=1 ;;
        *) echo "usage: $0 [-n COUNT] [-d SECONDS] [--db FILE | --pg] [--threads N]" >&2; exit 2 ;;
    esac
    shift
done
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/deps.sh test)" >&2; exit 1; }
make -s -j2 || exit 1
out=bench/out
mkdir -p "$out"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc \
    $(pkg-config --cflags jansson sqlite3 libpq) bench/serve_gen.c build/libajar.a \
    $(pkg-config --libs openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8) -lm -lpthread \
    -o "$out/serve_gen" || exit 1
tmp=$(mktemp -d /tmp/ajar-bench-serve.XXXXXX)
pid=
PG_ADDR=127.0.162.1
. tests/tools/pg.sh
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    pg_stop
    rm -rf "$tmp"
}
trap cleanup EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$pg" = 1 ]; then
    pg_start "$tmp/pg" fast || exit 1
    db=$PG_URL
    t0=$(date +%s)
    "$out/serve_gen" --db "$db" -n "$n" || exit 1
    echo "store: $n findings generated into PostgreSQL in $(($(date +%s) - t0)) s"
elif [ -z "$db" ]; then
    db=$tmp/serve.db
    t0=$(date +%s)
    "$out/serve_gen" --db "$db" -n "$n" || exit 1
    echo "store: $n findings generated in $(($(date +%s) - t0)) s, $(du -sh "$db" | cut -f1)"
else
    cp "$db" "$tmp/serve.db" || exit 1
    db=$tmp/serve.db
fi
pw=serve-load-$RANDOM-$RANDOM-key
printf '%s\n' "$pw" | build/ajar user add bench --password-stdin --db "$db" >/dev/null || exit 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=https://127.0.0.1:$port
# shellcheck disable=SC2086
build/ajar serve --db "$db" --listen "127.0.0.1:$port" --state-dir "$tmp" $threads 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 600); do grep -q "listening on" "$tmp/serve.log" && break; sleep 0.1; done
grep -q "listening on" "$tmp/serve.log" || { echo "ajar serve did not start:"; cat "$tmp/serve.log"; exit 1; }
curl -sk -c "$tmp/jar" "$base/login" >"$tmp/login.html"
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$tmp/login.html" | head -1 | sed 's/.*value="//; s/"$//')
code=$(curl -sk -b "$tmp/jar" -c "$tmp/jar" -o /dev/null -w '%{http_code}' \
    --data-urlencode user=bench --data-urlencode "password=$pw" --data-urlencode "csrf=$csrf" \
    "$base/login")
# the cookie is ajar_session, or __Host-ajar_session (bound to this origin)
session=$(awk '$6 ~ /ajar_session$/ {print $6 "=" $7}' "$tmp/jar")
[ "$code" = 303 ] && [ -n "$session" ] || { echo "login failed (HTTP $code)"; cat "$tmp/serve.log"; exit 1; }
get() { curl -sk -o "$tmp/page.html" -w '%{http_code} %{time_total}' -H "Cookie: $session" "$base$1"; }

# the cold start: the first findings request builds the index
read -r code secs < <(get /findings)
[ "$code" = 200 ] || { echo "GET /findings: HTTP $code"; exit 1; }
rss=$(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$pid/status")
echo "cold: first /findings (index build) ${secs} s; server RSS after: $rss"
total=$(grep -o 'class="count">[0-9,]*' "$tmp/page.html" | head -1 | sed 's/.*>//')
echo "findings in the scan: $total"

declare -A class
class[default]="/findings"
class[severity]="/findings?severity=critical|/findings?min=high|/findings?severity=low,info"
class[service]="/findings?service=redis|/findings?service=elasticsearch&min=high|/findings?service=kibana"
class[signal]="/findings?signal=personal-data-schema|/findings?signal=cert-expired|/findings?signal=end-of-life&auth=none"
class[search]="/findings?q=person|/findings?q=10.1.|/findings?q=mongo&severity=critical|/findings?q=sfzh"
class[deep]="/findings?page=10000|/findings?sort=address&page=5000|/findings?severity=critical&page=900"
class[sort]="/findings?sort=records|/findings?sort=-first_seen&min=medium|/findings?sort=product&service=mysql|/findings?sort=-bytes"
order="default severity service signal search deep sort"
all=
for c in $order; do all="$all|${class[$c]}"; done
all=${all#|}

# warm-up: every URL twice, and check they answer 200
IFS='|' read -ra urls <<<"$all"
for u in "${urls[@]}" "${urls[@]}"; do
    read -r code _ < <(get "$u")
    [ "$code" = 200 ] || { echo "GET $u: HTTP $code"; exit 1; }
done
per=$((dur / 4 < 5 ? 5 : dur / 4))
printf '%-10s %9s %9s %9s %8s %s\n' class p50_ms p95_ms p99_ms req/s note
run() { # class urls seconds
    local line
    line=$(AJAR_COOKIE=$session AJAR_URLS=$2 wrk -t2 -c8 -d"$3s" --latency -s bench/serve.lua "$base/" 2>&1 | grep '^RESULT')
    # shellcheck disable=SC2086
    local $(echo "${line#RESULT }")
    printf '%-10s %9s %9s %9s %8s %s\n' "$1" "$p50_ms" "$p95_ms" "$p99_ms" "$rps" \
        "$([ "$not200" = 0 ] && [ "$errors" = 0 ] || echo "not200=$not200 errors=$errors")"
    echo "$1 $p95_ms" >>"$tmp/p95"
}
for c in $order; do run "$c" "${class[$c]}" "$per"; done
run mix "$all" "$dur"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); server RSS: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$pid/status")"
worst=$(sort -k2 -g "$tmp/p95" | tail -1)
echo "worst p95: ${worst#* } ms (${worst%% *}); target < 50 ms: $(awk -v w="${worst#* }" 'BEGIN {print (w < 50 ? "met" : "NOT met")}')"
