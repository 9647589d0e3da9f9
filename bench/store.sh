#!/usr/bin/env bash
# bench/store.sh -- how fast the store ingests findings: 1,000,000 synthetic
# findings through store_put (the path `ajar scan` uses) into SQLite (a new
# file, WAL, synchronous=NORMAL) and into PostgreSQL 15 (a throwaway server
# on 127.0.160.1:5432 with its default, durable settings), committed; then
# findings/s for each.
#
#   bench/store.sh [-n COUNT] [--sqlite-only] [--batch N]
#
# Two figures per database: the wall-clock rate, and the rate the pipeline
# would reach with one core per thread (COUNT / the busiest thread's CPU
# time: the caller, which makes the records, the store's writer thread, and
# on SQLite its checkpoint thread), which is the fairer figure on a shared,
# loaded machine. The generator is bench/store_gen.c, built here against
# the release library.
# A benchmark, not a test: nothing here fails a build.
set -u
cd "$(dirname "$0")/.."
n=1000000 pg=1 batch=
while [ $# -gt 0 ]; do
    case $1 in
        -n) n=$2; shift ;;
        --sqlite-only) pg=0 ;;
        --batch) batch="--batch $2"; shift ;;
        *) echo "usage: $0 [-n COUNT] [--sqlite-only] [--batch N]" >&2; exit 2 ;;
    esac
    shift
done
. bench/lib.sh
build_store_gen || exit 1
out=bench/out
tmp=$(mktemp -d /tmp/ajar-bench-store.XXXXXX)
. tests/tools/pg.sh
trap 'pg_stop; rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $n findings"
# shellcheck disable=SC2086
"$out/store_gen" --db "$tmp/bench.db" -n "$n" $batch
echo "sqlite file: $(du -sh "$tmp"/bench.db* | awk '{print $1}' | tr '\n' ' ')"
if [ "$pg" = 1 ]; then
    pg_start "$tmp/pg" || exit 1
    # shellcheck disable=SC2086
    "$out/store_gen" --db "$PG_URL" -n "$n" $batch
fi
