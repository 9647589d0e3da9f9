#!/usr/bin/env bash
# tests/integration/serve_roles.sh -- who may see what on the dashboard (issue 22): the
# access-control matrix, from outside with curl (loopback only).
#
# Three tenants' open Redis servers (real redis-server): Tenant A at 127.0.170.20-21 (AS37963,
# Alibaba Cloud), Tenant B at 127.0.171.20-21 (AS16509, AWS), Tenant C at 127.0.172.20
# (AS64512); one identical deployment spread over all three (a cluster). Two scans with
# --asn-db (a MaxMind DB file made here), `ajar serve --owners`. Accounts: an admin, an
# analyst, and viewers scoped by owner (A), by network (AS16509: B), by provider
# (alibaba-cloud: A), and to an owner with no finding.
#
# For every role, every route: the status; for every viewer, every finding id, cluster id and
# scan of the store: only its own findings answer, everything else the same 404 as an id that
# does not exist, and no page it can open (overview, findings with searches, clusters, cluster,
# scans, diff, its own findings) shows another tenant's address, or counts them. The account
# routes: a session of another account cannot be ended; one's own can; a new password ends
# the others.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."

command -v redis-server >/dev/null || { bad "redis-server is not installed"; t_end; exit 1; }
A=(127.0.170.20 127.0.170.21) B=(127.0.171.20 127.0.171.21) C=(127.0.172.20)
ALL=("${A[@]}" "${B[@]}" "${C[@]}")
for ip in "${ALL[@]}"; do
    bg redis-server --bind "$ip" --port 6379 --save '' --appendonly no --daemonize no \
        --dir "$T_TMP" --logfile "$T_TMP/redis-$ip.log"
done
for ip in "${ALL[@]}"; do
    for _ in $(seq 100); do redis-cli -h "$ip" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
check "five redis servers answer" bash -c "for ip in ${ALL[*]}; do redis-cli -h \$ip ping | grep -q PONG || exit 1; done"

perl tests/tools/make-mmdb.pl asn "$T_TMP/asn.mmdb" || bad "make-mmdb.pl asn"
DB=$T_TMP/store/ajar.db
mkdir -p "$T_TMP/store"
for i in 1 2; do
    # scan 2 starts in a later second than scan 1 saw anything: "new since the last scan"
    # (first seen at or after the scan's start, times in seconds) is then none in scan 2
    [ "$i" = 2 ] && sleep 1.1
    "$AJAR" scan -q -p 6379 --rate 0 --asn-db "$T_TMP/asn.mmdb" --db "$DB" -o /dev/null "${ALL[@]}"
    check_eq "scan $i: exit 0" "$?" 0
done
q() { sqlite3 "$DB" "$1"; }
check_eq "ten observations (5 servers x 2 scans)" "$(q 'SELECT COUNT(*) FROM observations')" 10
CL=$(q "SELECT cluster FROM observations WHERE cluster IS NOT NULL AND cluster <> '' GROUP BY cluster ORDER BY COUNT(*) DESC LIMIT 1")
check "the identical deployments form one cluster over the three tenants" \
    [ "$(q "SELECT COUNT(DISTINCT v.address) FROM observations o JOIN services v ON v.id = o.service WHERE o.cluster = '$CL'")" = 5 ]
printf '127.0.170.0/24\tTenant A\n127.0.171.0/24\tTenant B\n127.0.172.0/24\tTenant C\n127.0.173.0/24\tNobody\n' >"$T_TMP/owners"

# ---- accounts ----
PW='matrix test password'
add() { printf '%s\n' "$PW" | "$AJAR" user add "$@" --password-stdin --db "$DB" 2>&1; }
out=$(add adam); check "the first account is an admin by default ($out)" grep -q "(admin)" <<<"$out"
out=$(add ann); check "the next is an analyst by default ($out)" grep -q "(analyst)" <<<"$out"
out=$(add va --owner "Tenant A"); check "--owner makes a viewer ($out)" grep -q "(viewer: owner Tenant A)" <<<"$out"
add vb --role viewer --asn AS16509 >/dev/null
add vp --role viewer --provider alibaba-cloud >/dev/null
add vn --role viewer --owner Nobody >/dev/null
out=$(add vx --role viewer); rc=$?
check "a viewer without a scope is refused (exit $rc)" bash -c "[ $rc = 2 ] && grep -q 'give --owner' <<<'$out'"
out=$(add vy --role analyst --owner "Tenant A"); rc=$?
check "an analyst with a scope is refused (exit $rc)" bash -c "[ $rc = 2 ] && grep -q 'only a viewer' <<<'$out'"
out=$(add vz --asn 0); rc=$?
check_eq "a malformed AS number is refused" "$rc" 2
out=$("$AJAR" user list --db "$DB")
check "user list shows roles and scopes" bash -c "grep -q '^va  *viewer .*scope: owner Tenant A' <<<'$out' && grep -q '^vb  *viewer .*scope: AS16509' <<<'$out' && grep -q '^adam  *admin' <<<'$out'"

# ---- serve ----
"$AJAR" serve --db "$DB" --listen 127.0.0.1:0 --owners "$T_TMP/owners" 2>"$T_TMP/serve.log" &
T_PIDS+=($!)
for _ in $(seq 200); do
    PORT=$(grep -o 'https://127.0.0.1:[0-9]*/' "$T_TMP/serve.log" 2>/dev/null | head -1 | sed 's/.*://; s/\///')
    [ -n "$PORT" ] && break
    sleep 0.05
done
U="https://127.0.0.1:$PORT"
check "serve starts" [ -n "$PORT" ]

login() { # user -> a cookie jar at $T_TMP/jar.USER
    local jar=$T_TMP/jar.$1 t
    rm -f "$jar"
    t=$(curl -sk -c "$jar" -b "$jar" "$U/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | cut -d'"' -f4)
    curl -sk -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$t" \
        --data-urlencode "user=$1" --data-urlencode "password=$PW" "$U/login"
}
get() { # user path -> status; body in $T_TMP/body
    curl -sk -b "$T_TMP/jar.$1" -o "$T_TMP/body" -w '%{http_code}' --path-as-is "$U$2"
}
csrf_of() { get "$1" /account >/dev/null; grep -o 'name="csrf" value="[0-9a-f]*"' "$T_TMP/body" | head -1 | cut -d'"' -f4; }
post() { # user path data... -> status
    local u=$1 p=$2; shift 2
    local args=() d
    for d in "$@"; do args+=(--data-urlencode "$d"); done
    curl -sk -b "$T_TMP/jar.$u" -o "$T_TMP/body" -w '%{http_code}' -H "Origin: $U" \
        --data-urlencode "csrf=$(csrf_of "$u")" "${args[@]}" "$U$p"
}
USERS=(adam ann va vb vp vn)
for u in "${USERS[@]}"; do check_eq "$u signs in" "$(login "$u")" 303; done

# ---- the matrix: routes x roles ----
declare -A own=([va]="127\\.0\\.170\\." [vb]="127\\.0\\.171\\." [vp]="127\\.0\\.170\\." [vn]="NONE")
declare -A nown=([va]=2 [vb]=2 [vp]=2 [vn]=0)
others() { # viewer -> a regex of the addresses that are not its own
    case $1 in
    va | vp) echo '127\.0\.17[12]\.' ;;
    vb) echo '127\.0\.17[02]\.' ;;
    vn) echo '127\.0\.17[012]\.' ;;
    esac
}
ROUTES=(/ "/?scan=1" /findings "/findings?scan=1" "/findings?q=127.0.17" "/findings?q=redis&sort=address"
    "/findings?cluster=$CL" "/findings?owner=Tenant%20B" "/findings?asn=AS16509" "/findings?provider=aws"
    /clusters "/cluster?id=$CL" "/cluster?id=$CL&scan=1" /scans "/diff?old=1&new=2" "/diff" /account)
for u in "${USERS[@]}"; do
    for r in "${ROUTES[@]}"; do
        code=$(get "$u" "$r")
        case $u:$r in
        vn:/cluster\?*) check_eq "$u GET $r: 404 (no member in its scope)" "$code" 404 ;;
        *) check_eq "$u GET $r: 200" "$code" 200 ;;
        esac
        if [ -n "${own[$u]:-}" ]; then
            n=$(grep -oE "$(others "$u")" "$T_TMP/body" | wc -l)
            check_eq "$u GET $r: no other tenant's address" "$n" 0
        fi
    done
    if [ -z "${own[$u]:-}" ]; then
        get "$u" "/findings?scan=2" >/dev/null
        check "$u: the findings page lists every tenant's" bash -c "for ip in ${ALL[*]}; do grep -q \">\$ip<\|\$ip:\" '$T_TMP/body' || exit 1; done"
        check "$u: and counts them all" grep -q 'of 5 findings' "$T_TMP/body"
    fi
    code=$(get "$u" /users)
    if [ "$u" = adam ]; then
        check_eq "$u GET /users: 200" "$code" 200
        check "... lists every account with its role" bash -c "grep -q '>vb<' '$T_TMP/body' && grep -q 'AS16509' '$T_TMP/body'"
    else
        check_eq "$u GET /users: 403" "$code" 403
        check "... and shows nothing of the accounts" bash -c "! grep -q 'adam\|vb' '$T_TMP/body'"
    fi
done

# counts: a viewer's totals are its own
for u in va vb vp vn; do
    get "$u" "/findings?scan=2" >/dev/null
    check_eq "$u: the findings page counts its own (${nown[$u]})" \
        "$(grep -o 'of [0-9,]* findings' "$T_TMP/body" | head -1)" "of ${nown[$u]} findings"
    get "$u" "/?scan=2" >/dev/null
    check "$u: the overview's findings card counts its own" grep -q "<b>${nown[$u]}</b><span>findings</span>" "$T_TMP/body"
    get "$u" "/findings?scan=2&q=127.0.172.20" >/dev/null
    check "$u: a search for another tenant's address finds nothing" grep -q '<b class="count">0</b>' "$T_TMP/body"
    get "$u" /scans >/dev/null
    check "$u: the scans page shows no scan's arguments" bash -c "! grep -q -- '--asn-db\|6379' '$T_TMP/body'"
done
curl -sk -b "$T_TMP/jar.va" -D "$T_TMP/hdr" -o /dev/null "$U/findings"
check "a viewer's findings page is not cached (no-store)" grep -qi '^cache-control: no-store' "$T_TMP/hdr"
check "... and names no server software" bash -c "! grep -qi '^server:' '$T_TMP/hdr'"
curl -sk -b "$T_TMP/jar.va" -D "$T_TMP/hdr" -o /dev/null "$U/account"
check "the account page is not cached either" grep -qi '^cache-control: no-store' "$T_TMP/hdr"
get ann /scans >/dev/null
check "an analyst sees the scans' arguments" grep -q -- "--asn-db" "$T_TMP/body"
get va "/cluster?id=$CL&scan=2" >/dev/null
check_eq "va: the shared cluster shows its 2 members of 5" "$(grep -o '<b>[0-9]*</b><span>members in this scan' "$T_TMP/body")" "<b>2</b><span>members in this scan"
get ann "/cluster?id=$CL&scan=2" >/dev/null
check_eq "ann: the shared cluster shows all 5" "$(grep -o '<b>[0-9]*</b><span>members in this scan' "$T_TMP/body")" "<b>5</b><span>members in this scan"
get va /clusters >/dev/null
check "va: the clusters list does not count other tenants' members" bash -c "! grep -q '<b>5</b>' '$T_TMP/body'"

# every finding id, for every role: its own 200, the rest 404 like an id that does not exist
while IFS='|' read -r id ip; do
    for u in "${USERS[@]}"; do
        code=$(get "$u" "/finding?id=$id")
        want=200
        if [ -n "${own[$u]:-}" ] && ! [[ $ip =~ ^${own[$u]} ]]; then want=404; fi
        check_eq "$u GET /finding?id=$id ($ip): $want" "$code" "$want"
        if [ "$want" = 404 ]; then
            check "... the same page as no finding" bash -c "grep -q 'No observation with this number' '$T_TMP/body' && ! grep -q '$ip' '$T_TMP/body'"
        elif [ -n "${own[$u]:-}" ]; then
            check_eq "$u: its finding $id names no other tenant's address" "$(grep -oE "$(others "$u")" "$T_TMP/body" | wc -l)" 0
        fi
    done
done < <(q "SELECT o.id, v.address FROM observations o JOIN services v ON v.id = o.service ORDER BY o.id")
code=$(get va "/finding?id=999999")
check "va: an id that does not exist: the same 404" bash -c "[ $code = 404 ] && grep -q 'No observation with this number' '$T_TMP/body'"
code=$(get va "/cluster?id=0123456789abcdef")
check_eq "va: a cluster id that does not exist: 404" "$code" 404

# ---- the account routes ----
ann_sha=$(get ann /account >/dev/null; grep -o 'name="end" value="[0-9a-f]\{64\}"' "$T_TMP/body" | head -1 | cut -d'"' -f4)
check "ann's account page lists her session" [ ${#ann_sha} = 64 ]
code=$(post va /account/sessions "end=$ann_sha" "current=$PW")
check_eq "va cannot end ann's session: 404" "$code" 404
check_eq "... ann is still signed in" "$(get ann /)" 200
code=$(curl -sk -b "$T_TMP/jar.va" -o /dev/null -w '%{http_code}' --data-urlencode "end=others" "$U/account/sessions")
check_eq "ending sessions without the CSRF token: 403" "$code" 403
cp "$T_TMP/jar.va" "$T_TMP/jar.va1"
check_eq "va signs in a second time" "$(login va)" 303
get va /account >/dev/null
check_eq "va's account page lists her two sessions" "$(grep -o 'name="end" value="[0-9a-f]\{64\}"' "$T_TMP/body" | wc -l)" 2
check "... marking this browser's" grep -q "this browser" "$T_TMP/body"
code=$(post va /account/sessions "end=others")
check_eq "ending the other sessions without the password: 400" "$code" 400
code=$(post va /account/sessions "end=others" "current=not her password")
check_eq "... with a wrong one: 400" "$code" 400
check_eq "... the first browser is still signed in" "$(curl -sk -b "$T_TMP/jar.va1" -o /dev/null -w '%{http_code}' "$U/")" 200
code=$(post va /account/sessions "end=others" "current=$PW")
check_eq "va ends her other sessions with her password: 303" "$code" 303
check_eq "... the first browser is signed out" "$(curl -sk -b "$T_TMP/jar.va1" -o /dev/null -w '%{http_code}' "$U/")" 303
check_eq "... this one is not" "$(get va /)" 200
# password change
cp "$T_TMP/jar.vb" "$T_TMP/jar.vb1"
check_eq "vb signs in a second time" "$(login vb)" 303
code=$(post vb /account/password "current=wrong password here" "password=a new long password" "again=a new long password")
check_eq "a wrong current password: 400" "$code" 400
code=$(post vb /account/password "current=$PW" "password=a new long password" "again=another new password")
check_eq "new passwords that differ: 400" "$code" 400
code=$(post vb /account/password "current=$PW" "password=123456789012" "again=123456789012")
check "a weak new password: 400, saying why" bash -c "[ $code = 400 ] && grep -q 'consecutive' '$T_TMP/body'"
code=$(post vb /account/password "current=$PW" "password=a new long password" "again=a new long password")
check_eq "the right current password and a good new one: 303" "$code" 303
check_eq "... vb's other session ended" "$(curl -sk -b "$T_TMP/jar.vb1" -o /dev/null -w '%{http_code}' "$U/")" 303
check_eq "... this one goes on" "$(get vb /)" 200
PW_OLD=$PW; PW='a new long password'
check_eq "... the new password signs in" "$(login vb)" 303
PW=$PW_OLD
check_eq "... the old one does not" "$(login vb)" 401
check "the audit log records the password change and the ended sessions" bash -c \
    "grep -q '\"event\":\"password_changed\",\"user\":\"vb\"' '$T_TMP/store/ajar-audit.log' && grep -q '\"event\":\"sessions_ended\",\"user\":\"va\"' '$T_TMP/store/ajar-audit.log'"
# signing out here from the account page needs no password
check_eq "vn signs in again" "$(login vn)" 303
vn_sha=$(get vn /account >/dev/null; grep -o 'name="end" value="[0-9a-f]\{64\}"' "$T_TMP/body" | head -1 | cut -d'"' -f4)
code=$(post vn /account/sessions "end=$vn_sha")
check_eq "signing out here needs no password: 303" "$code" 303
check_eq "... and vn is signed out" "$(get vn /)" 303
# a viewer's scope changes with its account: deleted, its sessions end at once
"$AJAR" user del vp --db "$DB" >/dev/null 2>&1
check_eq "a deleted viewer's session ends" "$(get vp /)" 303
# ---- a scoped viewer in a real browser (playwright-core, Debian's chromium) ----
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -f tests/web/node_modules/playwright-core/package.json ]; then
    command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y -q nodejs npm >/dev/null 2>&1
    (cd tests/web && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null 2>&1; })
fi
if [ -x "$CHROMIUM" ] && [ -f tests/web/node_modules/playwright-core/package.json ]; then
    AJAR_BASE=$U AJAR_USER=va AJAR_PASSWORD=$PW AJAR_OUT=test-output/serve-scoped CHROMIUM=$CHROMIUM \
        AJAR_OWN='127\.0\.170\.' AJAR_OTHERS='127\.0\.17[12]\.[0-9]+' AJAR_NOWN=2 AJAR_CLUSTER=$CL \
        timeout 300 node tests/web/scoped.mjs >"$T_TMP/scoped.out" 2>&1
    rc=$?
    grep -v '^[0-9]* passed' "$T_TMP/scoped.out"
    last=$(tail -n 1 "$T_TMP/scoped.out")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        T_PASS=$((T_PASS + BASH_REMATCH[1])); T_FAIL=$((T_FAIL + BASH_REMATCH[2]))
        [ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || bad "scoped.mjs exited $rc"
    else
        bad "scoped.mjs did not finish (exit $rc)"
    fi
else
    bad "chromium or playwright-core missing (scripts/deps.sh test; tests/web npm ci)"
fi
check "no sanitizer report from the server" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$T_TMP/serve.log'"
t_end
