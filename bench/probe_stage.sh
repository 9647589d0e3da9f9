#!/usr/bin/env bash
# bench/probe_stage.sh -- ajar's probe stage at full speed against N Elasticsearch stores, beside
# the floor (bench/probe_floor.c: the least a client can do to read the same three answers),
# inside a private network namespace (unshare -n: nothing leaves this machine, the host's
# loopback and sysctls are untouched). Issue 26; figures in docs/bench-probe.md.
#
#   bench/probe_stage.sh [--n N] [--runs R] [--concurrency C] [--out DIR]
#                        [--workers W] [--mapping empty|recorded] [--run CMD]
#
# --run CMD: set up the workload as below (namespace, nginx, the N stores), then instead of the
# benchmark run the shell command CMD inside the namespace, with PAIRS (the ADDR:9200 lines) and
# ADDRS (the addresses) in its environment, and exit with its status. For counts rather than
# times, e.g. --run 'perf stat -e instructions:u build/ajar probe --rate 0 --no-db -q -o /dev/null "$PAIRS"'
#
# The workload: one nginx (Debian's /usr/sbin/nginx, its own config and prefix in a temp dir,
# --workers worker processes, default 2, SO_REUSEPORT) listening on 0.0.0.0:9200, which in the
# namespace takes every 127/8 destination; the stores are the N addresses 127.1.0.0 upward
# (default 4000). Two workers, because one worker's connections are capped by the open-file
# limit (20,000 on the machine this was written on): at --concurrency 16384 a single worker
# fell behind the floor's closes, ran out ("worker_connections are not enough, reusing
# connections") and reset idle keep-alive connections; at N=4000 one or two workers made no
# difference beyond the noise. nginx answers as Elasticsearch 7.10.2, each answer "200 OK" with
# "content-type: application/json; charset=UTF-8" and a content-length, as 7.x sends them
# (nginx adds its own Server, Date and Connection headers):
#   GET /                                   the recorded root document of a real 7.10.2
#                                           (docker, default distribution), byte for byte:
#                                           /work/shared/fixtures/elasticsearch/7.10.2/root.json
#                                           (= tests/probe/cases/elasticsearch/open-7.10.2/1.*)
#   GET /_cat/indices?format=json&bytes=b   three indices: the one row of the vendor's 5.x-7.x
#                                           docs example (fixtures docs-5.x-7.x/cat_indices.json,
#                                           the open-7.10.2 case's 2.*; no real capture exists,
#                                           see the fixtures' notes.md "Gaps") verbatim, and
#                                           two more rows of the same shape (facebook, github)
#   GET /_mapping                           {} (an empty mapping, the issue's workload), or with
#                                           --mapping recorded the real 7.8.0 answer
#                                           (fixtures 7.8.0/mapping.json, the case's 3.*)
#   anything else                           404 (never asked: the log run counts them)
# These are the requests ajar's Elasticsearch probe sends to an open 7.x store: the HTTP
# dispatcher's GET / (src/probe/http.c), then the app's _cat/indices and _mapping
# (src/probe/elasticsearch.c); the log run below shows what each tool really sent.
#
# Tools (the runs are interleaved: run 1 of each, then run 2..., so a change in the machine's
# other load falls on all alike; the median of --runs runs, default 3):
#   ajar-probe   build/ajar probe --rate 0 --no-db -q -o OUT PAIRS     (PAIRS: ADDR:9200 lines)
#   ajar-scan    build/ajar scan -iL ADDRS -p 9200 --rate 0 --no-db -q -o OUT   (connect
#                discovery, then the probe on the connection that found the port)
#   floor        bench/out/probe_floor ADDRS 9200 (one keep-alive connection per address, the
#                three requests one after the other, each answer read to its end, close)
# --concurrency C goes to ajar (--concurrency C) and to the floor (-c C); without it ajar
# fits its own (4096 when the open-file limit allows) and the floor uses min(4096, N).
#
# Per tool: wall seconds (the process, start to exit), services/s (N / wall), CPU seconds
# (user + system; bash's times before and after) per 1,000 stores, maximum RSS (GNU time's %M,
# which includes about 1 MB GNU time's own fork brings into the exec), RSS per connection in flight
# ((max RSS - the RSS of the same command on 1 store) / min(N, concurrency)), the ratios of
# time and CPU to the floor's, nginx's workers' CPU seconds (from /proc, 10 ms steps: what the
# server spent on the run, to see whether it bounds the floor), and the stores identified:
# records with service elasticsearch, version 7.10.2 and the three index names (the worst run;
# for the floor: the addresses whose three answers came whole with a 2xx). A run that
# identified fewer than N says so, with what the other records said (or why the floor failed). Then one more run of each tool with nginx's access_log on (a separate nginx, so the
# timed runs write no log): requests and connections per address ($server_addr is the store,
# $pid + $connection a connection), the requests other than the three, and each request line.
#
# Output: the tables on stdout and in DIR/probe_stage-DATE-nN[-cC][-mapping].txt (DIR: --out, default
# bench/out, gitignored). Needs root (unshare, sysctls in the namespace). The open-file limit is
# raised to the hard limit (nginx gets worker_rlimit_nofile to match); N=20000 with
# --concurrency 16384 needs a hard limit above 16,500. A benchmark, never a test: nothing in
# make test runs it and nothing here fails a build.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
n=4000 runs=3 conc="" out=bench/out workers=2 mapping=empty
usage() {
    echo "usage: $0 [--n N] [--runs R] [--concurrency C] [--out DIR] [--workers W] [--mapping empty|recorded] [--run CMD]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
        --n) n=${2:-}; shift ;;
        --runs) runs=${2:-}; shift ;;
        --concurrency) conc=${2:-}; shift ;;
        --out) out=${2:-}; shift ;;
        --workers) workers=${2:-}; shift ;;
        --mapping) mapping=${2:-}; shift ;;
        --run) [ -n "${2:-}" ] || usage; export AJAR_BENCH_RUN=$2; shift ;;
        *) usage ;;
    esac
    shift
done
for v in "$n" "$runs" "$workers" ${conc:+"$conc"}; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[ "$n" -le 65536 ] || { echo "$0: --n at most 65536 (127.1.0.0-127.1.255.255)" >&2; exit 2; }
case $mapping in empty | recorded) ;; *) usage ;; esac

FIX=/work/shared/fixtures/elasticsearch
if [ "${AJAR_BENCH_INSIDE:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || { echo "$0: needs root (unshare -n)" >&2; exit 1; }
    for f in "$FIX/7.10.2/root.json" "$FIX/docs-5.x-7.x/cat_indices.json" "$FIX/7.8.0/mapping.json"; do
        [ -r "$f" ] || { echo "$0: missing fixture $f" >&2; exit 1; }
    done
    bash scripts/deps.sh bench >/dev/null || exit 1 # nginx, GNU time, jq (scripts/deps.sh)
    [ -n "${AJAR_BENCH_NOBUILD:-}" ] || make -s -j2 all >/dev/null || exit 1
    mkdir -p bench/out "$out" || exit 1
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -o bench/out/probe_floor bench/probe_floor.c || exit 1
    out=$(cd "$out" && pwd)
    exec env AJAR_BENCH_INSIDE=1 AJAR_BENCH_OUT="$out" unshare -n bash "$0" --n "$n" --runs "$runs" \
        ${conc:+--concurrency "$conc"} --workers "$workers" --mapping "$mapping"
fi

# ---- inside the namespace ----
out=$AJAR_BENCH_OUT
ip link set lo up
# many short connections from 127.0.0.1 to the same N destinations, run after run
sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
    net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
nofile=$(ulimit -n)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
AJAR=$ROOT/build/ajar
FLOOR=$ROOT/bench/out/probe_floor
W=$(mktemp -d /tmp/ajar-probebench.XXXXXX)
NGINX_PID=""
stop_nginx() {
    [ -n "$NGINX_PID" ] || return 0
    kill -QUIT "$NGINX_PID" 2>/dev/null # graceful: the workers finish what they hold
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=""
}
trap 'stop_nginx; rm -rf "$W"' EXIT
cmax=$((n < 4096 ? n : 4096)) # the connections in flight at most: min(N, concurrency)
if [ -n "$conc" ]; then
    cmax=$((n < conc ? n : conc))
    [ $((conc + 64)) -le "$nofile" ] ||
        echo "warning: --concurrency $conc needs an open-file limit above $((conc + 64)) (it is $nofile): ajar fits its own" >&2
fi
stamp=$(date +%Y%m%d-%H%M%S)
msuffix=""
[ "$mapping" = recorded ] && msuffix=-mapping
report=$out/probe_stage-$stamp-n$n${conc:+-c$conc}$msuffix.txt
say() { echo "$*" | tee -a "$report"; }

# ---- the stores' answers ----
cp "$FIX/7.10.2/root.json" "$W/root.json"
python3 - "$FIX/docs-5.x-7.x/cat_indices.json" "$W/cat.json" <<'PY'
import sys
src = open(sys.argv[1]).read()            # '[\n  {\n ...one row...\n  }\n]\n'
row = src[src.index("  {"):src.rindex("  }") + 3]
assert '"index": "twitter"' in row
rows = [row] + [row.replace('"index": "twitter"', '"index": "%s"' % n) for n in ("facebook", "github")]
open(sys.argv[2], "w").write("[\n" + ",\n".join(rows) + "\n]\n")
PY
if [ "$mapping" = recorded ]; then cp "$FIX/7.8.0/mapping.json" "$W/mapping.json"; else printf '{}' >"$W/mapping.json"; fi
WANT='["facebook","github","twitter"]'
# a file as an nginx single-quoted string: \ ' and newlines escaped; no $ (nginx would expand it)
nginx_str() {
    if grep -q '\$' "$1"; then echo "$1 has a \$: nginx would read a variable" >&2; return 1; fi
    python3 -c 'import sys; s=open(sys.argv[1]).read(); print("\x27" + s.replace("\\","\\\\").replace("\x27","\\\x27").replace("\n","\\n") + "\x27")' "$1"
}
write_conf() { # CONF ACCESS_LOG(off|FILE)
    local log=off
    [ "$2" != off ] && log="$2 es"
    local reuse=""
    [ "$workers" -gt 1 ] && reuse=" reuseport"
    mkdir -p "$W/ngx"
    cat >"$1" <<CONF
worker_processes $workers;
worker_rlimit_nofile $nofile;
pid $W/ngx/nginx.pid;
daemon off;
error_log $W/ngx/error.log warn;
events { worker_connections $((nofile - 32)); multi_accept on; }
http {
    log_format es '\$server_addr \$pid \$connection \$status "\$request"';
    access_log $log;
    keepalive_requests 1000;
    keepalive_timeout 60s;
    server_tokens off;
    client_body_temp_path $W/ngx/body;
    proxy_temp_path $W/ngx/proxy;
    fastcgi_temp_path $W/ngx/fastcgi;
    uwsgi_temp_path $W/ngx/uwsgi;
    scgi_temp_path $W/ngx/scgi;
    default_type "application/json; charset=UTF-8";
    server {
        listen 0.0.0.0:9200 backlog=65535$reuse;
        location = / { return 200 $(nginx_str "$W/root.json"); }
        location = /_cat/indices { return 200 $(nginx_str "$W/cat.json"); }
        location = /_mapping { return 200 $(nginx_str "$W/mapping.json"); }
        location / { return 404 '{"error":"no such path in this benchmark","status":404}'; }
    }
}
CONF
}
start_nginx() { # CONF
    /usr/sbin/nginx -p "$W/ngx/" -c "$1" -e "$W/ngx/error.log" &
    NGINX_PID=$!
    local i
    for i in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "http://127.1.0.0:9200/" && return 0
        sleep 0.05
    done
    echo "nginx did not start:" >&2
    cat "$W/ngx/error.log" >&2
    exit 1
}
write_conf "$W/nginx.conf" off
write_conf "$W/nginx-log.conf" "$W/access.log"

# ---- the stores' addresses: 127.1.0.0 upward ----
python3 - "$n" "$W/addrs.txt" "$W/pairs.txt" <<'PY'
import sys
n = int(sys.argv[1])
addrs = ["127.1.%d.%d" % (i >> 8, i & 255) for i in range(n)]
open(sys.argv[2], "w").write("".join(a + "\n" for a in addrs))
open(sys.argv[3], "w").write("".join(a + ":9200\n" for a in addrs))
PY
head -1 "$W/addrs.txt" >"$W/addrs1.txt"
head -1 "$W/pairs.txt" >"$W/pairs1.txt"

start_nginx "$W/nginx.conf"
# every answer as the fixture's server gave it
for p in / "/_cat/indices?format=json&bytes=b" /_mapping; do
    f=$W/root.json
    case $p in /_cat*) f=$W/cat.json ;; /_mapping) f=$W/mapping.json ;; esac
    curl -s -D "$W/h" -o "$W/b" "http://127.1.0.1:9200$p" || { echo "no answer to GET $p" >&2; exit 1; }
    cmp -s "$W/b" "$f" || { echo "GET $p: the body is not the recorded one" >&2; exit 1; }
    grep -qi '^content-type: application/json; charset=UTF-8' "$W/h" || { echo "GET $p: content-type" >&2; exit 1; }
done
if [ -n "${AJAR_BENCH_RUN:-}" ]; then # --run CMD: the workload only, CMD instead of the benchmark
    PAIRS=$W/pairs.txt ADDRS=$W/addrs.txt bash -c "$AJAR_BENCH_RUN"
    rc=$?
    stop_nginx
    exit $rc
fi

# ---- the tools ----
copt=() fopt=()
[ -n "$conc" ] && copt=(--concurrency "$conc") && fopt=(-c "$conc")
tool_cmd() { # TOOL ONE(0|1) OUT: the command line of TOOL on all stores or on 1
    local addrs=$W/addrs.txt pairs=$W/pairs.txt
    [ "$2" = 1 ] && addrs=$W/addrs1.txt pairs=$W/pairs1.txt
    case $1 in
        ajar-probe) echo "$AJAR" probe --rate 0 --no-db -q "${copt[@]}" -o "$3" "$pairs" ;;
        ajar-scan) echo "$AJAR" scan -iL "$addrs" -p 9200 --rate 0 --no-db -q "${copt[@]}" -o "$3" ;;
        floor) echo "$FLOOR" "${fopt[@]}" "$addrs" 9200 ;;
    esac
}
# identified stores in a run's output
identified() { # TOOL OUT STDOUT
    if [ "$1" = floor ]; then
        sed -n 's/.* done \([0-9]*\) .*/\1/p' "$3"
    else
        jq -r --argjson want "$WANT" 'select(.service == "elasticsearch" and .version == "7.10.2"
            and ((.data.names // []) | sort) == $want) | .ip' "$2" 2>/dev/null | sort -u | wc -l
    fi
}
# the CPU ticks (user + system) of nginx's workers so far: what the server spent on a run
HZ=$(getconf CLK_TCK)
ngx_ticks() {
    local p f t=0
    for p in $(ps -o pid= --ppid "$NGINX_PID"); do
        read -r -a f <"/proc/$p/stat" && t=$((t + f[13] + f[14]))
    done
    echo "$t"
}
# one run: appends "wall cpu rss_kb identified nginx_cpu" to RES
run_once() { # TOOL ONE RES
    local o=$W/o.jsonl rc
    rm -f "$o"
    # shellcheck disable=SC2046 # tool_cmd's words are paths without spaces (mktemp, the tree)
    set -- "$1" "$2" "$3" $(tool_cmd "$1" "$2" "$o")
    # wall: bash's clock; CPU: the shell's children's user + system (bash's times, 1 ms steps) before
    # and after, so the command's and what it waited for; RSS: GNU time's %M (ru_maxrss), which
    # also holds what GNU time's own fork brought into the exec (about 1 MB, the same for all)
    local n0 n1
    n0=$(ngx_ticks)
    local t0=$EPOCHREALTIME t1
    times >"$W/times0"
    /usr/bin/time -f '%M' -o "$W/rss" timeout 600 "${@:4}" </dev/null >"$W/stdout" 2>"$W/stderr"
    rc=$?
    times >"$W/times1"
    t1=$EPOCHREALTIME
    n1=$(ngx_ticks)
    [ $rc = 0 ] || [ $rc = 3 ] || echo "warning: $1 exited $rc: $(tail -2 "$W/stderr" | tr '\n' ' ')" >&2
    local id
    id=$(identified "$1" "$o" "$W/stdout")
    awk -v t0="$t0" -v t1="$t1" -v id="${id:-0}" -v rss="$(tail -1 "$W/rss")" -v ng=$(((n1 - n0) * 1000 / HZ)) '
        FNR == 2 { split($1, u, "m"); split($2, s, "m"); c[FILENAME] = u[1] * 60 + u[2] + s[1] * 60 + s[2] }
        END { printf "%.4f %.3f %d %d %.3f\n", t1 - t0, c[ARGV[2]] - c[ARGV[1]], rss, id, ng / 1000 }' \
        "$W/times0" "$W/times1" >>"$3"
    [ "$1" != floor ] && [ "$2" = 0 ] && cp "$o" "$W/last-$1.jsonl"
    if [ "$2" = 0 ] && [ "${id:-0}" -lt "$n" ]; then # what the others were
        if [ "$1" = floor ]; then
            { echo "  floor, a run that completed ${id:-0} of $n:"; sed 's/^/    /' "$W/stderr"; } >>"$W/short.txt"
        else
            {
                echo "  $1, a run that identified ${id:-0} of $n: $(jq -r .ip "$o" | sort -u | wc -l) addresses with a record;"
                jq -r '[.service // "-", .version // "-", ((.data.names // []) | length | tostring) + " names",
                        .error // "no error"] | join(" | ")' "$o" | sort | uniq -c | sort -rn | head -8 | sed 's/^/    /'
            } >>"$W/short.txt"
        fi
    fi
    return 0
}

TOOLS=(ajar-probe ajar-scan floor)
{
    echo "ajar probe-stage benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r),"
    git -C "$ROOT" log -1 --format="%h %s" | cut -c1-100
    echo "N=$n stores (127.1.0.0 upward, :9200), runs=$runs, concurrency ${conc:-default (ajar: fitted, max 4096; floor: min(4096, N))},"
    echo "nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*nginx\///') x $workers worker(s), mapping $mapping, open-file limit $nofile"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$report"

# the idle runs (1 store): the RSS of the binary itself
for i in "${!TOOLS[@]}"; do
    : >"$W/idle.$i"
    run_once "${TOOLS[$i]}" 1 "$W/idle.$i"
    : >"$W/res.$i"
done
for _ in $(seq "$runs"); do
    for i in "${!TOOLS[@]}"; do run_once "${TOOLS[$i]}" 0 "$W/res.$i"; done
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

col() { cut -d' ' -f"$1" "$2" | median; }
fw=$(col 1 "$W/res.2") fc=$(col 2 "$W/res.2")
[ "$(echo "$fc > 0" | bc)" = 1 ] || fc=0.001 # a CPU time below bash's 1 ms step
say ""
say "$(printf '%-11s %11s %8s %10s %10s %8s %12s %8s %8s %7s  %s' tool identified 'wall s' 'services/s' 'CPU s/1000' 'RSS MB' 'RSS/conn KB' 'x floor' 'x floor' 'nginx' 'walls of the runs')"
say "$(printf '%-11s %11s %8s %10s %10s %8s %12s %8s %8s %7s' '' '(worst)' median '' '' max '' time CPU 'CPU s')"
for i in "${!TOOLS[@]}"; do
    w=$(col 1 "$W/res.$i") c=$(col 2 "$W/res.$i") r=$(col 3 "$W/res.$i")
    r0=$(cut -d' ' -f3 "$W/idle.$i")
    id=$(cut -d' ' -f4 "$W/res.$i" | sort -n | head -1)
    short=""
    [ "$id" -lt "$n" ] && short=" (FEWER THAN N)"
    say "$(printf '%-11s %5d/%-5d %8.3f %10.0f %10.3f %8.1f %12.2f %8.2f %8.2f %7.2f  %s%s' "${TOOLS[$i]}" "$id" "$n" "$w" \
        "$(echo "$n / $w" | bc -l)" "$(echo "$c * 1000 / $n" | bc -l)" "$(echo "$r / 1024" | bc -l)" \
        "$(echo "($r - $r0) / $cmax" | bc -l)" "$(echo "$w / $fw" | bc -l)" "$(echo "$c / $fc" | bc -l)" "$(col 5 "$W/res.$i")" \
        "$(cut -d' ' -f1 "$W/res.$i" | paste -sd' ' -)" "$short")"
done
say ""
say "idle runs (1 store): $(for i in "${!TOOLS[@]}"; do
    printf '%s %.3f s, %.1f MB;  ' "${TOOLS[$i]}" "$(cut -d' ' -f1 "$W/idle.$i")" "$(echo "$(cut -d' ' -f3 "$W/idle.$i") / 1024" | bc -l)"
done)"
say "RSS/conn = (max RSS - the idle run's) / $cmax connections in flight at most"
if [ -s "$W/short.txt" ]; then
    say "runs that identified fewer than N (count | service | version | index names | error):"
    tee -a "$report" <"$W/short.txt"
    : >"$W/short.txt"
fi

# ---- the log run: one run of each tool against an nginx that logs every request ----
stop_nginx
start_nginx "$W/nginx-log.conf"
say ""
say "log run (nginx access_log on, one run of each tool):"
say "$(printf '%-11s %12s %12s %14s %14s %12s' tool requests/addr conns/addr 'addresses seen' 'other requests' identified)"
for i in "${!TOOLS[@]}"; do
    sleep 0.5
    : >"$W/access.log"
    run_once "${TOOLS[$i]}" 0 "$W/logrun.$i"
    sleep 0.5 # nginx logs a request when its answer is out; let the last lines land
    # the curl of start_nginx is in no tool's log: the log is emptied before each tool
    awk -v n="$n" -v tool="${TOOLS[$i]}" -v id="$(cut -d' ' -f4 "$W/logrun.$i")" '
        { req++; conn[$2 " " $3] = 1; addr[$1] = 1
          if ($6 != "/" && $6 != "/_cat/indices?format=json&bytes=b" && $6 != "/_mapping") other++ }
        END { printf "%-11s %12.3f %12.3f %14d %14d %12s\n", tool, req / n, length(conn) / n, length(addr), other, id "/" n }' \
        "$W/access.log" | tee -a "$report"
    awk '{ sub(/^[^"]*"/, ""); sub(/"$/, ""); print }' "$W/access.log" | sort | uniq -c | sort -rn |
        sed "s/^/    ${TOOLS[$i]}: /" >>"$W/requests.txt"
done
stop_nginx
if grep -q . "$W/ngx/error.log" 2>/dev/null; then
    say "nginx's error log ($(wc -l <"$W/ngx/error.log") lines), its first:"
    head -5 "$W/ngx/error.log" | sed 's/^/    /' | tee -a "$report"
fi
if [ -s "$W/short.txt" ]; then
    say "log runs that identified fewer than N (count | service | version | index names | error):"
    tee -a "$report" <"$W/short.txt"
fi
say ""
say "request lines seen in the log run (count, request):"
tee -a "$report" <"$W/requests.txt"
say ""
say "a record of each ajar path (the last run; the fields the count checks):"
for t in ajar-probe ajar-scan; do
    [ -s "$W/last-$t.jsonl" ] || continue
    say "    $t: $(head -1 "$W/last-$t.jsonl" | jq -c '{ip, port, service, product, version, auth, names: .data.names}')"
done
say ""
say "report: $report"
