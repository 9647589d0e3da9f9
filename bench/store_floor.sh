#!/usr/bin/env bash
# bench/store_floor.sh -- SQLite's own cost per finding for the store's schema, and for the
# variants docs/store.md weighs: 300,000 findings made by bench/store_gen.c (real records), then
# bench/store_floor.c replays them with nothing but the writer's statements, one variant at a
# time (each into a new file). The floor under the store's writer thread, which bench/store.sh
# measures whole.
#
#   bench/store_floor.sh [-n COUNT] [VARIANT...]     (default: every variant)
#
# A benchmark, not a test: nothing here fails a build.
set -u
cd "$(dirname "$0")/.."
n=300000
[ "${1:-}" = -n ] && { n=$2; shift 2; }
variants=("$@")
[ ${#variants[@]} -eq 0 ] &&
    variants=(current no-signals int-ident hash-ids trigger no-service no-obs-index bare-row
        one-table one-table-hash)
. bench/lib.sh
build_store_gen || exit 1
out=bench/out
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror bench/store_floor.c \
    $(pkg-config --cflags --libs sqlite3) -o "$out/store_floor" || exit 1
tmp=$(mktemp -d /tmp/ajar-bench-floor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $n findings"
"$out/store_gen" --db "$tmp/src.db" -n "$n" >/dev/null || exit 1
for v in "${variants[@]}"; do
    "$out/store_floor" --from "$tmp/src.db" --to "$tmp/floor.db" -n "$n" "$v"
done
