#!/usr/bin/env bash
# tests/integration/scanners.sh -- outside scanners from Debian against `ajar serve` (issue 22):
# testssl.sh for the TLS configuration, wapiti for the web surface (signed in, then not).
#
# Everything runs in a network namespace of the test's own: loopback, plus a veth pair with a
# default route that leads nowhere, so that any packet a scanner would send elsewhere (a "call
# home", a redirect followed off site) reaches the nftables output hook, where it is counted and
# dropped. The count must stay 0. The namespace's resolver is 127.0.0.1, where nothing listens
# (testssl.sh looks up "invalid." while it tries its local openssl's options). Other loopback
# destinations are recorded: only that resolver and openssl's default localhost:4433 may appear.
#
# The server: a fresh SQLite store with bench/serve_gen.c's synthetic findings (two scans, so every
# page has content), a user made with `ajar user add`, TLS on (its generated certificate).
#  - testssl.sh -p -E -S -P -U (all 370 suites of its mapping, through OpenSSL plus its own
#    sockets, not only the ones the local OpenSSL has): no finding of severity MEDIUM, HIGH or CRITICAL but the three explained in
#    docs/hardening.md, each only while its explanation holds; SSLv2, SSLv3, TLS 1.0 and 1.1 not
#    offered; TLS 1.2 suites ECDHE with AEAD only; TLS 1.3 suites the three AEAD ones; the run
#    under two minutes
#  - wapiti, signed in through the login form (its CSRF token and pre-session cookie) and with
#    /logout excluded, then without a session: attack modules that make sense (no brute force, none
#    that calls an outside endpoint); no finding above low, every low one named in
#    docs/hardening.md; the signed-in crawl reached the pages, the anonymous one reached nothing
#    but /login and /static/
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${AJAR_SCANNERS_NS:-}" ]; then
    if ! unshare -n -m true 2>/dev/null; then
        echo "FAIL scanners.sh needs root (or CAP_SYS_ADMIN) for a network namespace of its own"
        echo "0 passed, 1 failed"
        exit 1
    fi
    AJAR_SCANNERS_NS=1 exec unshare -n -m bash "$0" "$@"
fi
. tests/integration/lib.sh
PY=/usr/bin/python3 # Debian's: wapiti's modules live there, not in another python3 on PATH
ADDR=127.0.211.1
PORT=8443
U="https://$ADDR:$PORT"
STORE=$T_TMP/store
DB=$STORE/ajar.db
PW='correct horse battery staple'
mkdir -p "$STORE"

for tool in testssl wapiti; do
    command -v $tool >/dev/null || { bad "$tool is installed (scripts/deps.sh test)"; t_end; exit 1; }
done

# ---- the namespace: loopback, a route to nowhere, a counter on everything else ----
ip link set lo up
printf 'nameserver 127.0.0.1\n' >"$T_TMP/resolv.conf"
mount --bind "$T_TMP/resolv.conf" /etc/resolv.conf
check "the namespace's resolver is 127.0.0.1" grep -qx 'nameserver 127.0.0.1' /etc/resolv.conf
ip link add ajar-sc0 type veth peer name ajar-sc1 &&
    sysctl -qw net.ipv6.conf.ajar-sc0.disable_ipv6=1 net.ipv6.conf.ajar-sc1.disable_ipv6=1 &&
    ip addr add 10.211.0.1/30 dev ajar-sc0 && ip link set ajar-sc0 up && ip link set ajar-sc1 up &&
    ip route add default via 10.211.0.2
check "the namespace has a default route (to nowhere)" bash -c "ip route | grep -q '^default via 10.211.0.2'"
# Loopback beyond 127.0.211.1 reaches nothing here (nothing else listens in this namespace):
# accepted, and every new flow's destination recorded. Anything else is dropped and counted.
nft -f - <<EOF
table inet ajar_scope {
    counter outside { }
    set others { type ipv4_addr . inet_proto . inet_service; flags dynamic; }
    set others6 { type ipv6_addr . inet_proto . inet_service; flags dynamic; }
    set away { type ipv4_addr . inet_proto . inet_service; flags dynamic; }
    set away6 { type ipv6_addr . inet_proto . inet_service; flags dynamic; }
    chain out {
        type filter hook output priority 0; policy accept;
        ip daddr $ADDR accept
        ip saddr $ADDR accept
        ip daddr 127.0.0.0/8 ct state new add @others { ip daddr . meta l4proto . th dport }
        ip daddr 127.0.0.0/8 accept
        ip6 daddr ::1 ct state new add @others6 { ip6 daddr . meta l4proto . th dport }
        ip6 daddr ::1 accept
        ip daddr != 127.0.0.0/8 add @away { ip daddr . meta l4proto . th dport }
        ip6 daddr != ::1 add @away6 { ip6 daddr . meta l4proto . th dport }
        counter name outside drop
    }
}
EOF
check_eq "nftables counts what leaves for elsewhere" "$?" 0
outside_packets() { nft list counter inet ajar_scope outside | grep -o 'packets [0-9]*' | grep -o '[0-9]*$'; }
# the destinations recorded in the sets named, "ADDRESS PROTOCOL PORT" a line
seen() {
    local set
    for set in "$@"; do nft -j list set inet ajar_scope "$set"; done |
        $PY -c 'import json, sys
for line in sys.stdin:
    for o in json.loads(line)["nftables"]:
        for e in o.get("set", {}).get("elem", []):
            print(*e["concat"])' | sort -u
}
loopback_others() { seen others others6; }
# the counter works: a datagram to this namespace's own veth gateway (both ends are ours, made
# above; nothing else is addressed) is counted and dropped
echo x 2>/dev/null >/dev/udp/10.211.0.2/9
check "the counter sees a packet sent elsewhere ($(outside_packets))" [ "$(outside_packets)" = 1 ]
nft reset counter inet ajar_scope outside >/dev/null
check_eq "... and is reset" "$(outside_packets)" 0
echo x 2>/dev/null >/dev/udp/127.0.0.9/9
check_eq "other loopback destinations are recorded" "$(loopback_others)" "127.0.0.9 udp 9"
nft flush set inet ajar_scope others
nft flush set inet ajar_scope away

# ---- the server ----
gen=$T_TMP/serve_gen
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=address,undefined -Isrc \
    $(pkg-config --cflags jansson sqlite3 libpq) bench/serve_gen.c build-asan/libajar.a \
    $(pkg-config --libs openssl sqlite3 jansson libpq libmicrohttpd libargon2 yaml-0.1 libpcre2-8) -lm -lpthread \
    -o "$gen" && "$gen" --db "$DB" -n 4 --scans 2 >/dev/null 2>&1
check_eq "synthetic findings written" "$?" 0
out=$(echo "$PW" | "$AJAR" user add auditor --password-stdin --db "$DB" 2>&1)
check_eq "user add auditor ($out)" "$?" 0
"$AJAR" serve --db "$DB" --listen "$ADDR:$PORT" 2>"$T_TMP/serve.log" &
SERVE_PID=$!
T_PIDS+=("$SERVE_PID")
for _ in $(seq 200); do grep -q "listening on $U/" "$T_TMP/serve.log" && break; sleep 0.05; done
check "serve listens on $U" grep -q "listening on $U/" "$T_TMP/serve.log"
code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "$U/login")
check_eq "the login page answers" "$code" 200

# ---- TLS: testssl.sh ----
# Client-initiated renegotiation, by hand first: the server must answer a renegotiating ClientHello
# by closing (libmicrohttpd treats GNUTLS_E_REHANDSHAKE as an error), never with a ServerHello.
(echo R; sleep 2) | timeout 20 openssl s_client -tls1_2 -msg -connect "$ADDR:$PORT" >"$T_TMP/reneg" 2>&1
reneg_refused() {
    grep -q '^RENEGOTIATING' "$T_TMP/reneg" &&
        [ "$(grep -c 'Handshake .*, ClientHello$' "$T_TMP/reneg")" = 2 ] &&
        [ "$(grep -c 'Handshake .*, ServerHello$' "$T_TMP/reneg")" = 1 ] &&
        sed -n '/^RENEGOTIATING/,$p' "$T_TMP/reneg" | grep -q 'close_notify'
}
check "a client-initiated TLS 1.2 renegotiation is refused (close_notify, no second ServerHello)" reneg_refused
reneg=no
reneg_refused && reneg=refused

t0=$SECONDS
timeout 300 testssl --quiet --color 0 --nodns none --warnings off --add-ca "$STORE/ajar-serve.crt" \
    --jsonfile "$T_TMP/testssl.json" -p -E -S -P -U "$U/" </dev/null >"$T_TMP/testssl.out" 2>&1
t_testssl=$((SECONDS - t0))
echo "testssl.sh: $t_testssl s"
check "testssl.sh ran in under 2 minutes ($t_testssl s)" [ "$t_testssl" -lt 120 ]
$PY - "$T_TMP/testssl.json" "$reneg" docs/hardening.md >"$T_TMP/testssl.check" 2>&1 <<'PY'
import json, re, sys
findings = json.load(open(sys.argv[1]))
reneg, doc = sys.argv[2], open(sys.argv[3]).read()
by = {}
for f in findings:
    by.setdefault(f["id"], []).append(f)
def one(i):
    return by[i][0]["finding"] if i in by else "(missing)"
def say(ok, what):
    print(("ok   " if ok else "FAIL ") + " ".join(what.split()))
say(len(findings) > 30, f"testssl.sh wrote {len(findings)} findings")
for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    say(one(p).startswith("not offered"), f"{p} not offered ({one(p)})")
for p in ("TLS1_2", "TLS1_3"):
    say(one(p).startswith("offered"), f"{p} offered ({one(p)})")
tls12 = [f["finding"] for f in findings if f["id"].startswith("cipher-tls1_2_")]
aead12 = re.compile(r"TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$")
say(len(tls12) > 0, f"TLS 1.2 suites found: {len(tls12)}")
for c in tls12:
    say(aead12.search(c.strip()) is not None, "TLS 1.2 suite is ECDHE with AEAD (no CBC, no static RSA): " + " ".join(c.split()))
tls13 = [f["finding"] for f in findings if f["id"].startswith("cipher-tls1_3_")]
say(len(tls13) > 0, f"TLS 1.3 suites found: {len(tls13)}")
for c in tls13:
    say(c.split()[-1] in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"),
        "TLS 1.3 suite is one of the three AEAD ones: " + " ".join(c.split()))
older = [f["id"] for f in findings if f["id"].startswith("cipher-") and not f["id"].startswith(("cipher-tls1_2_", "cipher-tls1_3_"))]
say(not older, f"no suite below TLS 1.2 ({older})")
# the checks did run
for i in ("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "CRIME_TLS", "BREACH", "POODLE_SSL",
          "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST", "LUCKY13", "RC4",
          "cert_chain_of_trust", "cert_keySize", "cert_signatureAlgorithm"):
    sev = by[i][0]["severity"] if i in by else "(missing)"
    say(sev in ("OK", "INFO", "LOW"), f"{i}: {sev} {one(i)}")
# MEDIUM and above: only the explained ones, each only while its explanation holds
all_aead = len(tls12) > 0 and all(aead12.search(c.strip()) for c in tls12)
explained = {
    # no server cipher order: every suite offered is ECDHE with AEAD (checked above)
    "cipher_order": all_aead,
    # no CRL or OCSP URI: the generated self-signed certificate has no CA to revoke it
    "cert_revocation": True,
    # testssl.sh 3.0.8 calls a closed connection a renegotiation (its 4-tries branch)
    "secure_client_renego": reneg == "refused",
}
for f in findings:
    if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL"):
        ok = explained.get(f["id"], False) and f"`{f['id']}`" in doc
        say(ok, f"{f['severity']} {f['id']}: {f['finding']} -- " +
            ("explained in docs/hardening.md" if ok else "NOT explained (docs/hardening.md, this test)"))
PY
while read -r st rest; do
    case $st in ok) ok "$rest" ;; *) bad "$rest" ;; esac
done <"$T_TMP/testssl.check"
check "the testssl.sh checks were read" grep -q '^ok   TLS1_1 not offered' "$T_TMP/testssl.check"

# ---- the web surface: wapiti ----
# Modules: every attack but brute force (buster, brute_login_form, nikto), the ones that call an
# outside endpoint (ssrf, xxe: wapiti3.ovh) and wapp (downloads its database).
MODULES=exec,file,sql,blindsql,xss,permanentxss,redirect,crlf,csrf,cookieflags,http_headers,csp,methods,htaccess,shellshock,backup
# Debian's wapiti 3.0.4 under Python 3.11 cannot compile an --exclude pattern ("global flags not
# at the start of the expression"): the same pattern, compiled the way Python 3.11 takes it.
wapiti_run() { # tag, extra arguments...
    local tag=$1; shift
    mkdir -p "$T_TMP/$tag.session" "$T_TMP/$tag.config"
    timeout 600 $PY - -u "$U/" --scope folder -m "$MODULES" -S paranoid -t 10 \
        --max-scan-time 60 --max-attack-time 60 --flush-session --no-bugreport -v 1 \
        --store-session "$T_TMP/$tag.session" --store-config "$T_TMP/$tag.config" \
        -f json -o "$T_TMP/$tag.json" "$@" >"$T_TMP/$tag.out" 2>&1 <<'PY'
import re, sys
import wapitiCore.net.crawler as crawler
crawler.wildcard_translate = lambda p: re.compile(re.escape(p).replace(r"\*", ".*") + r"\Z", re.S)
from wapitiCore.main.wapiti import wapiti_main
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
PY
}
# what the crawl saw: "STATUS PATH" for every GET it stored
crawled() { sqlite3 "$T_TMP/$1.session/"*.db "SELECT DISTINCT http_status || ' ' || path FROM paths WHERE method = 'GET'"; }
wapiti_findings() { # tag -> "ok|FAIL level category: info (method path parameter)" lines
    $PY - "$T_TMP/$1.json" docs/hardening.md <<'PY'
import json, sys
r, doc = json.load(open(sys.argv[1])), open(sys.argv[2]).read()
print("ok   wapiti report: %s, %d vulnerability and %d anomaly categories" %
      (r["infos"]["version"], len(r["vulnerabilities"]), len(r["anomalies"])))
for kind in ("vulnerabilities", "anomalies"):
    for cat, items in r[kind].items():
        for v in items:
            ok = int(v["level"]) <= 1 and v["info"] in doc
            info = " / ".join(v["info"].splitlines())
            print("%s level %s %s: %s (%s %s %s)%s" % ("ok  " if ok else "FAIL", v["level"], cat, info,
                  v["method"], v["path"], v["parameter"], "" if ok else " -- above low, or not in docs/hardening.md"))
PY
}
read_checks() { while read -r st rest; do case $st in ok) ok "$rest" ;; *) bad "$rest" ;; esac; done; }

t0=$SECONDS
# /logout and /account/sessions ("Sign out here" needs no password) would end the crawl's session
wapiti_run signed-in --auth-type post -a "auditor%$PW" -s "$U/login" -x "$U/logout" \
    -x "$U/account/sessions"
rc=$?
t_in=$((SECONDS - t0))
echo "wapiti signed in: $t_in s"
check_eq "wapiti (signed in) exits 0" "$rc" 0
check "wapiti signed in through the form" grep -q 'Login success' "$T_TMP/signed-in.out"
audit=$STORE/ajar-audit.log
check "... as auditor (audit log)" grep -q '"event":"login","user":"auditor"' "$audit"
check "... and the session was never ended (/logout, /account/sessions excluded)" bash -c "! grep -q '\"event\":\"logout\"\\|\"event\":\"session_ended\"' '$audit'"
crawled signed-in >"$T_TMP/signed-in.paths"
for p in / /findings /finding /clusters /cluster /scans /diff; do
    check "the signed-in crawl reached $p" grep -q "^200 $U$p\$" "$T_TMP/signed-in.paths"
done
check "the signed-in scan attacked the findings filters" grep -q "^\[+\] GET $U/findings?.*q=" "$T_TMP/signed-in.out"
wapiti_findings signed-in >"$T_TMP/signed-in.check" 2>&1
read_checks <"$T_TMP/signed-in.check"
grep -q '^ok   wapiti report' "$T_TMP/signed-in.check" || bad "the signed-in report was read: $(head -3 "$T_TMP/signed-in.check")"

t0=$SECONDS
wapiti_run anonymous
rc=$?
t_anon=$((SECONDS - t0))
echo "wapiti anonymous: $t_anon s"
check_eq "wapiti (anonymous) exits 0" "$rc" 0
crawled anonymous >"$T_TMP/anonymous.paths"
check "the anonymous crawl found the login form" grep -q "^200 $U/login\$" "$T_TMP/anonymous.paths"
check "the anonymous scan attacked the sign-in POST" grep -q "^\[+\] POST $U/login" "$T_TMP/anonymous.out"
leaked=$(grep '^200 ' "$T_TMP/anonymous.paths" | grep -v "^200 $U/login\$\|^200 $U/static/")
check "anonymous: nothing but /login and /static/ answered 200 ($leaked)" [ -z "$leaked" ]
wapiti_findings anonymous >"$T_TMP/anonymous.check" 2>&1
read_checks <"$T_TMP/anonymous.check"
grep -q '^ok   wapiti report' "$T_TMP/anonymous.check" || bad "the anonymous report was read: $(head -3 "$T_TMP/anonymous.check")"

check "the server survived the scans" kill -0 "$SERVE_PID"
kill "$SERVE_PID" 2>/dev/null
wait "$SERVE_PID" 2>/dev/null
check "no sanitizer report from the server" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:' '$T_TMP/serve.log'"
check_eq "no packet left for anywhere but $ADDR ($(seen away away6 | paste -sd, -))" "$(outside_packets)" 0
# testssl.sh tries its local openssl's options with `openssl s_client -OPTION`, which connects to
# OpenSSL's default, localhost:4433, or with `-connect invalid.`, a name lookup (nothing listens
# on either in this namespace)
others=$(loopback_others | grep -vx '127\.0\.0\.1 tcp 4433\|::1 tcp 4433\|127\.0\.0\.1 udp 53')
check "no other loopback destination but localhost:4433 and the resolver ($others)" [ -z "$others" ]
echo "other loopback destinations: $(loopback_others | paste -sd, -)"
echo "times: testssl.sh $t_testssl s, wapiti signed in $t_in s, anonymous $t_anon s"
t_end
