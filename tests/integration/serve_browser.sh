#!/usr/bin/env bash
# Integration: the dashboard in a real browser. A store from a scan of the
# lab when the lab is up (two scans, so the diff has two sides), else from
# bench/serve_gen.c's synthetic findings (three scans of 3,000); a user;
# `ajar serve` (the sanitizer build) on 127.0.0.1 at a free port; then
# tests/web/browser.mjs (playwright-core driving Debian's chromium) signs in,
# visits every page, applies a filter, opens a detail page and signs out,
# checks the content, the CSP (no console error) and that no host but
# 127.0.0.1 was asked for anything. Screenshots: test-output/serve/.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
OUT=test-output/serve
mkdir -p "$OUT"
rm -f "$OUT"/*.png
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { bad "chromium is not installed (scripts/deps.sh test)"; t_end; exit 1; }
if [ ! -f tests/web/node_modules/playwright-core/package.json ]; then
    # a fresh Debian 12 has no Node.js: Debian's (this machine's may come from elsewhere)
    command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y -q nodejs npm >/dev/null 2>&1 || { bad "install nodejs and npm"; t_end; exit 1; }
    (cd tests/web && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null 2>&1; }) ||
        { bad "npm install playwright-core"; t_end; exit 1; }
fi
DB=$T_TMP/web.db
if [ -f "$AJAR_LAB_DIR/manifest.json" ] && tests/lab/lab status >/dev/null 2>&1; then
    M=$AJAR_LAB_DIR/manifest.json
    jq -r '.instances[].address' "$M" | sort -u >"$T_TMP/targets"
    P=$(jq -r '[.instances[].port] | unique | map(tostring) | join(",")' "$M")
    for i in 1 2; do
        "$AJAR" scan -q -iL "$T_TMP/targets" -p "$P" --rate 0 --db "$DB" -o /dev/null
        check_eq "lab scan $i into the store" "$?" 0
    done
    echo "store: two scans of the lab"
else
    make -s -j2 build/libajar.a || { bad "build the release library"; t_end; exit 1; }
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc \
        $(pkg-config --cflags jansson sqlite3 libpq) bench/serve_gen.c build/libajar.a \
        $(pkg-config --libs openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8) -lm -lpthread \
        -o "$T_TMP/serve_gen" || { bad "build serve_gen"; t_end; exit 1; }
    "$T_TMP/serve_gen" --db "$DB" -n 3000 --scans 3 >/dev/null
    check_eq "synthetic store" "$?" 0
    echo "store: synthetic (the lab is down), three scans of 3,000 findings"
fi
PW=browser-test-password-$RANDOM
printf '%s\n' "$PW" | "$AJAR" user add tester --password-stdin --db "$DB" >/dev/null
check_eq "user add" "$?" 0
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bg "$AJAR" serve --db "$DB" --listen "127.0.0.1:$PORT" --state-dir "$T_TMP" 2>"$T_TMP/serve.log"
for _ in $(seq 300); do grep -q "listening on" "$T_TMP/serve.log" && break; sleep 0.1; done
check "ajar serve starts" grep -q "listening on https://127.0.0.1:$PORT/" "$T_TMP/serve.log"
AJAR_BASE=https://127.0.0.1:$PORT AJAR_USER=tester AJAR_PASSWORD=$PW AJAR_OUT=$OUT CHROMIUM=$CHROMIUM \
    timeout 300 node tests/web/browser.mjs >"$T_TMP/browser.out" 2>&1
rc=$?
grep -v '^[0-9]* passed' "$T_TMP/browser.out"
last=$(tail -n 1 "$T_TMP/browser.out")
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    T_PASS=$((T_PASS + BASH_REMATCH[1])); T_FAIL=$((T_FAIL + BASH_REMATCH[2]))
    [ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || bad "browser.mjs exited $rc"
else
    bad "browser.mjs did not finish (exit $rc)"
fi
check "screenshots saved" test -s "$OUT/findings.png"
check "no sanitizer report from the server" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$T_TMP/serve.log'"
t_end
