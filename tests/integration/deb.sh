#!/usr/bin/env bash
# tests/integration/deb.sh -- the Debian package (debian/, docs/debian.md), built and
# installed on this machine, then purged.
#   - `make deb` builds build/deb/ajar_VERSION_ARCH.deb; lintian reports no error
#   - `dpkg -i` installs it; the version is `ajar --version`'s; the binary, the man page
#     (man -w), bash completion, /usr/share/ajar (signatures, data, the record's schema),
#     the conffiles of /etc/ajar; the system user ajar, /var/lib/ajar and service.conf
#     private to it; the units installed, verified by systemd-analyze, none enabled, and
#     no maintainer script that starts the scan or its report
#   - from the installed paths: `ajar services` and a scan of a fake Typesense on
#     loopback, which only the installed signature files identify, as the user ajar with
#     the units' --config /etc/ajar/service.conf (the store lands in /var/lib/ajar, 0600);
#     a copy of the binary elsewhere still finds the signatures (the compiled-in path)
#   - `dpkg --purge ajar` leaves nothing of the package: binary, /usr/share/ajar, /etc/ajar,
#     /var/lib/ajar, units, man page, completion, docs; the user ajar stays (Debian keeps
#     system users on purge: docs/debian.md)
# Root only (dpkg -i on the machine itself, as CI runs): skipped with a message otherwise.
# A machine where ajar was installed by someone else is left alone (skipped).
# Network traffic: 127.0.210.50 only.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

if [ "$(id -u)" != 0 ]; then
    echo "skip: deb.sh installs a package with dpkg -i on this machine: it needs root"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
MARK=/var/lib/ajar-deb-test.installed
if dpkg-query -W -f='${Status}' ajar 2>/dev/null | grep -q 'ok installed'; then
    if [ -f "$MARK" ]; then
        dpkg --purge ajar >/dev/null 2>&1 # left by an earlier run of this test
    else
        echo "skip: an ajar package is installed on this machine and not by this test: left alone"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
fi
cleanup_pkg() {
    if dpkg-query -W -f='${Status}' ajar 2>/dev/null | grep -q 'ok installed'; then
        dpkg --purge ajar >/dev/null 2>&1
    fi
    rm -f "$MARK"
}
trap 'cleanup_pkg; t_cleanup' EXIT

# ---- build ----
ver=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
out=$(make --no-print-directory deb 2>&1); rc=$?
check_eq "make deb: exit 0" "$rc" 0
DEB=build/deb/ajar_${ver}_${arch}.deb
check "make deb made $DEB" [ -f "$DEB" ]
[ -f "$DEB" ] || { echo "$out" | tail -n 30; t_end; exit 1; }
check "make deb prints the .deb's path last" [ "$(tail -n 1 <<<"$out")" = "$DEB" ]
check "lintian ran and found no error" grep -q "^build-deb: lintian: 0 errors" <<<"$out"
check "the package declares its build dependencies" \
    bash -c 'grep -A12 "^Build-Depends:" debian/control | grep -q "debhelper-compat (= 13)"'
check_eq "the package is ajar $ver for $arch" \
    "$(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')" \
    "Package: ajar Version: $ver Architecture: $arch "

# ---- install ----
touch "$MARK"
out=$(dpkg -i "$DEB" 2>&1); rc=$?
check_eq "dpkg -i: exit 0 ($out)" "$rc" 0
check_eq "installed" "$(dpkg-query -W -f='${Status} ${Version}' ajar)" "install ok installed $ver"
check_eq "ajar --version is the package's" "$(/usr/bin/ajar --version)" "ajar $ver"
check_eq "ajar on PATH is the package's" "$(command -v ajar)" /usr/bin/ajar
check_eq "man -w ajar" "$(man -w ajar 2>/dev/null)" /usr/share/man/man1/ajar.1.gz
check "the man page is ajar's" bash -c 'zcat /usr/share/man/man1/ajar.1.gz | grep -q "^\.TH AJAR 1"'
check "bash completion for ajar" \
    bash -c '. /usr/share/bash-completion/completions/ajar && complete -p ajar >/dev/null'
nsig=$(find signatures -name '*.yaml' | wc -l)
check_eq "the signatures under /usr/share/ajar" "$(find /usr/share/ajar/signatures -name '*.yaml' | wc -l)" "$nsig"
check "the data files and the record's schema" \
    bash -c '[ -s /usr/share/ajar/data/lifecycle.tsv ] && jq -e .properties /usr/share/ajar/record.schema.json >/dev/null'
check_eq "the conffiles" "$(dpkg-query -W -f='${Conffiles}' ajar | awk 'NF {print $1}' | sort | tr '\n' ' ')" \
    "/etc/ajar/ajar.conf /etc/ajar/exclude.txt /etc/ajar/service.conf /etc/ajar/targets.txt "
pw=$(getent passwd ajar)
check "the system user ajar ($pw)" bash -c '[ -n "$1" ] && [ "$(cut -d: -f3 <<<"$1")" -lt 1000 ] && [ "$(cut -d: -f6 <<<"$1")" = /var/lib/ajar ] && [ "$(cut -d: -f7 <<<"$1")" = /usr/sbin/nologin ]' _ "$pw"
check_eq "its state directory" "$(stat -c '%U:%G %a' /var/lib/ajar)" "ajar:ajar 750"
check_eq "service.conf: the units' group may read it, other users not" \
    "$(stat -c '%U:%G %a' /etc/ajar/service.conf)" "root:ajar 640"
check_eq "ajar.conf: every user's defaults" "$(stat -c '%U:%G %a' /etc/ajar/ajar.conf)" "root:root 644"
UNITS="ajar-scan.service ajar-scan.timer ajar-report.service ajar-serve.service"
for u in $UNITS; do
    check "unit $u installed" [ -f /lib/systemd/system/$u ]
done
check "no unit is enabled" bash -c '! find /etc/systemd/system -name "ajar-*" | grep -q .'
check "no maintainer script starts the scan or its report" \
    bash -c '! grep -hE "deb-systemd-invoke.*(ajar-scan\.service|ajar-report\.service)|systemctl.*start.*ajar" /var/lib/dpkg/info/ajar.* 2>/dev/null | grep -q .'
if command -v systemd-analyze >/dev/null; then
    out=$(cd /lib/systemd/system && systemd-analyze verify $UNITS 2>&1); rc=$?
    check_eq "systemd-analyze verify on the units ($out)" "$rc" 0
else
    echo "skip: systemd-analyze is not installed: the units' syntax is not verified"
fi
S=/lib/systemd/system
check "the scan unit: CAP_NET_RAW, for SYN discovery" bash -c "grep -q -- '--discovery syn' $S/ajar-scan.service && grep -qx 'AmbientCapabilities=CAP_NET_RAW' $S/ajar-scan.service && grep -qx 'CapabilityBoundingSet=CAP_NET_RAW' $S/ajar-scan.service"
check "serve and report: no capability at all" bash -c "grep -qx 'CapabilityBoundingSet=' $S/ajar-serve.service && grep -qx 'CapabilityBoundingSet=' $S/ajar-report.service && ! grep -q CAP_ $S/ajar-serve.service $S/ajar-report.service"
for u in ajar-scan.service ajar-report.service ajar-serve.service; do
    check "$u: user ajar, NoNewPrivileges, ProtectSystem=strict" bash -c "grep -qx User=ajar $S/$u && grep -qx NoNewPrivileges=yes $S/$u && grep -qx ProtectSystem=strict $S/$u"
done
check_eq "only the timer and the dashboard can be enabled (by hand)" \
    "$(grep -l '^\[Install\]' $S/ajar-* | xargs -n1 basename | tr '\n' ' ')" "ajar-scan.timer ajar-serve.service "

# ---- run it from the installed paths ----
out=$(cd / && env -u AJAR_SIGNATURES_DIR /usr/bin/ajar services 2>&1); rc=$?
check_eq "ajar services: exit 0" "$rc" 0
check "ajar services lists a service of the installed signature files" grep -q typesense <<<"$out"
mkdir -p "$T_TMP/elsewhere/bin"
cp /usr/bin/ajar "$T_TMP/elsewhere/bin/ajar"
out=$(env -u AJAR_SIGNATURES_DIR "$T_TMP/elsewhere/bin/ajar" services 2>&1)
check "a copy of the binary elsewhere finds /usr/share/ajar (compiled in)" grep -q typesense <<<"$out"
out=$(env -u AJAR_SYSTEM_CONFIG /usr/bin/ajar config show 2>&1)
check "the installed ajar reads /etc/ajar/ajar.conf" grep -qx "# system file /etc/ajar/ajar.conf: read" <<<"$out"
# a fake Typesense: only its signature file (/usr/share/ajar/signatures/typesense.yaml) names it
cat >"$T_TMP/ts.py" <<'PY'
import http.server
body = b'{"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."}'
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.210.50", 8108), H)
print("ready", flush=True)
srv.serve_forever()
PY
bg python3 "$T_TMP/ts.py" >"$T_TMP/ts.ready" 2>&1
for _ in $(seq 100); do grep -q ready "$T_TMP/ts.ready" 2>/dev/null && break; sleep 0.05; done
out=$(cd / && env -u AJAR_SIGNATURES_DIR -u AJAR_DB -u AJAR_SYSTEM_CONFIG \
    runuser -u ajar -- /usr/bin/ajar --config /etc/ajar/service.conf scan -q -p 8108 127.0.210.50 2>&1); rc=$?
check_eq "a scan as the user ajar with the units' configuration: exit 0 ($out)" "$rc" 0
check_eq "it identified Typesense from the installed signature" \
    "$(jq -r '"\(.ip):\(.port) \(.service) \(.auth)"' <<<"$out" 2>/dev/null)" "127.0.210.50:8108 typesense required"
check_eq "its store is /var/lib/ajar/ajar.db, the ajar user's, private" \
    "$(stat -c '%U %a' /var/lib/ajar/ajar.db 2>&1)" "ajar 600"

# ---- purge ----
files=$(dpkg -L ajar)
out=$(dpkg --purge ajar 2>&1); rc=$?
check_eq "dpkg --purge: exit 0 ($out)" "$rc" 0
rm -f "$MARK"
check "not installed any more" bash -c '! dpkg-query -W -f="\${Status}" ajar 2>/dev/null | grep -q installed'
left=
while read -r f; do
    [ -z "$f" ] || [ -d "$f" ] && continue
    [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <<<"$files"
check "no file of the package is left (${left:-none})" [ -z "$left" ]
for d in /usr/bin/ajar /usr/share/ajar /etc/ajar /var/lib/ajar /usr/share/doc/ajar \
    /usr/share/man/man1/ajar.1.gz /usr/share/bash-completion/completions/ajar \
    /lib/systemd/system/ajar-scan.service /lib/systemd/system/ajar-serve.service; do
    check "$d is gone" [ ! -e "$d" ]
done
check "no unit state is left (deb-systemd-helper)" bash -c '! ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep -q ajar'
check "the system user ajar stays (Debian keeps system users on purge)" getent passwd ajar

t_end
