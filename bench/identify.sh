#!/usr/bin/env bash
# bench/identify.sh -- ajar's identification beside nmap -sV + NSE, in one
# run, on the same lab instances (issues 4 and 5).
#
#   bench/identify.sh [--runs N] [--no-plain] [--head | --ajar PATH] [--out DIR]
#
# ajar is the working tree's release build (make), or with --head a release
# build of the committed HEAD made in a private copy (git archive), or the
# binary given with --ajar.
#
# Every (address, port) of the lab manifest (/tmp/ajar-lab/manifest.json)
# goes to every tool, and nothing else:
#   ajar      build/ajar scan -iL pairs --rate 0 --no-db   (address:port
#             targets, median wall time of --runs, default 3)
#   nmap+NSE  nmap -sV -n -Pn -p PORTS --script ssl-cert,http-title,
#             couchdb-databases,redis-info,memcached-info,mongodb-databases,
#             mysql-info,mysql-empty-password ADDRESSES -- one nmap per
#             distinct port list (addresses grouped by the ports the manifest
#             has on them), all groups started at once; wall time = first
#             start to last exit; run once
#   nmap -sV  the same without --script (skip with --no-plain)
# Then bench/identify_score.py scores product, version and auth per instance
# against the manifest and writes bench/out/identify-table.txt and
# bench/out/identify-summary.txt (method and rules: docs/bench-identify.md).
# Traffic goes to the lab's loopback addresses only. A benchmark, not a test:
# nothing here fails a build. Needs root for apt-get (nmap) and for nmap's
# SYN scan; the lab must be up (it is started with tests/lab/lab up if not).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
runs=3 plain=1 ajar_bin="" head=0 outdir=$ROOT/bench/out
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift ;;
        --no-plain) plain=0 ;;
        --ajar) ajar_bin=$2; shift ;;
        --head) head=1 ;;
        --out) outdir=$2; shift ;;
        *) echo "usage: $0 [--runs N] [--no-plain] [--head | --ajar PATH] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done
MANIFEST=${AJAR_LAB_DIR:-/tmp/ajar-lab}/manifest.json
SCRIPTS=ssl-cert,http-title,couchdb-databases,redis-info,memcached-info,mongodb-databases,mysql-info,mysql-empty-password

if ! command -v nmap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends nmap >/dev/null || { echo "identify: cannot install nmap" >&2; exit 1; }
fi

# ---- the lab ----
if ! tests/lab/lab status 2>/dev/null | tail -1 | grep -q ' 0 down'; then
    echo "identify: lab not fully up, starting it (tests/lab/lab up)" >&2
    tests/lab/lab up >/dev/null || { echo "identify: lab up failed" >&2; exit 1; }
fi
[ -s "$MANIFEST" ] || { echo "identify: no manifest at $MANIFEST" >&2; exit 1; }

# ---- ajar (release build) ----
W=$(mktemp -d /tmp/ajar-identify.XXXXXX)
trap 'rm -rf "$W"' EXIT
if [ "$head" = 1 ]; then
    mkdir -p "$W/src"
    git archive HEAD | tar -x -C "$W/src" || exit 1
    make -C "$W/src" -s -j"$(nproc)" all >"$W/build.log" 2>&1 ||
        { cat "$W/build.log" >&2; echo "identify: build of HEAD failed" >&2; exit 1; }
    ajar_bin=$W/src/build/ajar
    origin="release build of HEAD $(git rev-parse --short HEAD)"
elif [ -z "$ajar_bin" ]; then
    if ! make -s all >/dev/null 2>&1; then
        echo "identify: make failed; using the existing build/ajar" >&2
    fi
    ajar_bin=$ROOT/build/ajar
    origin="working tree build/ajar on $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ differs from HEAD)')"
else
    origin="given binary"
fi
[ -x "$ajar_bin" ] || { echo "identify: no ajar binary at $ajar_bin" >&2; exit 1; }
AJAR=$(readlink -f "$ajar_bin")

mkdir -p "$outdir" "$W/nse" "$W/plain"
python3 bench/identify_score.py targets "$MANIFEST" "$W" || exit 1
# keep a copy of the truth this run was scored against
cp "$MANIFEST" "$outdir/identify-manifest.json"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Builds without --no-db (older trees) store into $W instead.
dbopt=(--no-db)
if ! "$AJAR" scan --no-db --help >/dev/null 2>&1; then
    echo "identify: this ajar has no --no-db; its store goes to $W/ajar.db" >&2
    dbopt=()
fi

echo "identify: ajar x$runs on $(wc -l <"$W/pairs.txt") pairs" >&2
times=()
ajar_outs=()
for r in $(seq "$runs"); do
    t0=$(now)
    (cd "$W" && "$AJAR" scan -iL "$W/pairs.txt" --rate 0 "${dbopt[@]}" -q -o "$W/ajar.$r.jsonl") \
        2>"$W/ajar.$r.err"
    t1=$(now)
    times+=("$(echo "$t1 - $t0" | bc)")
    ajar_outs+=(--ajar "$W/ajar.$r.jsonl")
done
ajar_med=$(printf '%s\n' "${times[@]}" | median)
cp "$W/ajar.1.jsonl" "$outdir/identify-ajar.jsonl"

# one nmap per port group, all at once; prints the wall time
run_nmap() { # dir, extra args...
    local d=$1; shift
    local t0 t1 n=0
    t0=$(now)
    while read -r ports addrs; do
        n=$((n + 1))
        # shellcheck disable=SC2086 # addresses are words
        (s=$(now); nmap -sV -n -Pn -p "$ports" "$@" -oX "$d/g$n.xml" $addrs >"$d/g$n.txt" 2>&1
         echo "$ports $(echo "$(now) - $s" | bc)" >"$d/g$n.time") &
    done <"$W/groups.txt"
    wait
    t1=$(now)
    echo "$t1 - $t0" | bc
}
group_stats() { # dir -> "sum S s, longest L s (ports P)"
    cat "$1"/g*.time | awk '{s+=$2; if ($2>m) {m=$2; p=$1}} END {printf "%d groups, sum of group times %.1f s, longest %.1f s (port %s)", NR, s, m, p}'
}

echo "identify: nmap -sV + NSE ($(wc -l <"$W/groups.txt") groups in parallel)" >&2
nse_wall=$(run_nmap "$W/nse" --script "$SCRIPTS")
nse_stats=$(group_stats "$W/nse")
nmap_args=(--nmap "nmap+NSE=$W/nse")
time_args=(--time "ajar=$ajar_med" --time "nmap+NSE=$nse_wall")
if [ "$plain" = 1 ]; then
    echo "identify: plain nmap -sV" >&2
    plain_wall=$(run_nmap "$W/plain")
    plain_stats=$(group_stats "$W/plain")
    nmap_args+=(--nmap "nmap-sV=$W/plain")
    time_args+=(--time "nmap-sV=$plain_wall")
fi
mkdir -p "$outdir/identify-nmap-nse"
cp "$W"/nse/g*.xml "$outdir/identify-nmap-nse/"

{
    echo "bench/identify.sh  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(uname -sr)"
    echo "ajar: $origin, --rate 0, runs: ${times[*]} s (median $ajar_med s)"
    echo "nmap: $(nmap --version | head -1)"
    echo "nmap+NSE: $nse_stats"
    [ "$plain" = 1 ] && echo "nmap -sV: $plain_stats"
    echo
} >"$outdir/identify-summary.txt"
python3 bench/identify_score.py score --manifest "$MANIFEST" "${ajar_outs[@]}" "${nmap_args[@]}" \
    "${time_args[@]}" --table "$outdir/identify-table.txt" --summary "$W/summary.txt" \
    --json "$outdir/identify-scores.json" >/dev/null || exit 1
cat "$W/summary.txt" >>"$outdir/identify-summary.txt"
cat "$outdir/identify-summary.txt"
echo "table: $outdir/identify-table.txt" >&2
