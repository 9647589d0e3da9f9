#!/usr/bin/env bash
# `ajar serve` (release build, -O2 -g) under valgrind memcheck on a small
# synthetic store (bench/serve_gen.c): sign in, every page and a few filters,
# a wrong CSRF token, sign out, then SIGINT. --leak-check=full
# --error-exitcode=9: any invalid access, uninitialised use or definite /
# indirect leak makes valgrind exit 9. Loopback only. Run by hand (about a
# minute):   scripts/valgrind-serve.sh      (log: $VALGRIND_LOG, default /tmp/ajar-valgrind-serve.log)
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test >/dev/null || exit 1
make -s -j2 all || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags jansson sqlite3 libpq) bench/serve_gen.c \
    build/libajar.a $(pkg-config --libs openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8) -lm -lpthread \
    -o "$tmp/gen" || exit 1
"$tmp/gen" --db "$tmp/s.db" -n 2000 --scans 2 >/dev/null || exit 1
pw=valgrind-password-$RANDOM
echo "$pw" | build/ajar user add v --password-stdin --db "$tmp/s.db" >/dev/null 2>&1 || exit 1
log=${VALGRIND_LOG:-/tmp/ajar-valgrind-serve.log}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
U=https://127.0.0.1:$port
valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=9 --log-file="$log" \
    build/ajar serve --db "$tmp/s.db" --listen "127.0.0.1:$port" --state-dir "$tmp" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 600); do grep -q "listening on" "$tmp/serve.log" && break; sleep 0.1; done
jar=$tmp/jar
tok=$(curl -sk -c "$jar" "$U/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | cut -d'"' -f4)
curl -sk -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$tok" --data-urlencode user=v \
    --data-urlencode "password=wrong password" "$U/login"
tok=$(curl -sk -c "$jar" -b "$jar" "$U/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | cut -d'"' -f4)
curl -sk -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$tok" --data-urlencode user=v \
    --data-urlencode "password=$pw" "$U/login"
n=0 bad=0
for r in / /findings "/findings?severity=critical" "/findings?q=10.1." "/findings?q=person&sort=-records" \
    "/findings?page=3" "/finding?id=5" "/finding?id=999999" /clusters /scans /diff "/diff?old=1&new=2" \
    /nope /static/ajar.css; do
    code=$(curl -sk -b "$jar" -o /dev/null -w '%{http_code}' "$U$r")
    n=$((n + 1)); case $code in 200|404) ;; *) bad=$((bad + 1)); echo "GET $r: $code" ;; esac
done
curl -sk -b "$jar" -o /dev/null -d "csrf=nope" "$U/logout"
csrf=$(curl -sk -b "$jar" "$U/" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | cut -d'"' -f4)
curl -sk -b "$jar" -o /dev/null -d "csrf=$csrf" "$U/logout"
kill -INT $pid
wait $pid
rc=$?
echo "valgrind-serve: exit $rc, $n pages ($bad unexpected answers) (log: $log)"
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost' "$log" | sed 's/^==[0-9]*== /  /'
exit $rc
